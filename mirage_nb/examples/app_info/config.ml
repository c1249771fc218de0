(* mirage >= 4.9.0 & < 4.12.0 *)
open Mirage

(* dune-build-info tells the unikernel which libraries it was linked with. *)
let main =
  main "Unikernel" ~packages:[ package "fmt"; package "dune-build-info" ] job

let () = register "app-info" [ main ]
