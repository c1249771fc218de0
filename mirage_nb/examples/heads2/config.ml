(* mirage >= 4.9.0 & < 4.12.0 *)
open Mirage

(* The same two threads, joined with the <&> operator. *)
let main =
  main
    ~packages:[ package "duration"; package ~min:"0.2.0" "randomconv" ]
    "Unikernel" job

let () = register "heads2" [ main ]
