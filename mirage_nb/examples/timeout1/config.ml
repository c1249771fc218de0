(* mirage >= 4.9.0 & < 4.12.0 *)
open Mirage

(* A random delay against a timeout, settled with Lwt.state and Lwt.cancel. *)
let main =
  main
    ~packages:[ package "duration"; package ~min:"0.2.0" "randomconv" ]
    "Unikernel" job

let () = register "timeout1" [ main ]
