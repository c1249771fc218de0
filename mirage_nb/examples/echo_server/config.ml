(* mirage >= 4.9.0 & < 4.12.0 *)
open Mirage

(* A pretend server: it "reads" lines that arrive after random delays. *)
let main =
  let packages = [ package "duration"; package ~min:"0.2.0" "randomconv" ] in
  main ~packages "Unikernel" job

let () = register "echo_server" [ main ]
