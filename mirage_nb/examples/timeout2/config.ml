(* mirage >= 4.9.0 & < 4.12.0 *)
open Mirage

(* The same race, settled with Lwt.pick: the loser is cancelled at once. *)
let main =
  main
    ~packages:[ package "duration"; package ~min:"0.2.0" "randomconv" ]
    "Unikernel" job

let () = register "timeout2" [ main ]
