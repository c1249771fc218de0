(* mirage >= 4.9.0 & < 4.12.0 *)
open Mirage

(* Two sleeping threads joined with Lwt.join. *)
let main = main ~packages:[ package "duration" ] "Unikernel" job
let () = register "heads1" [ main ]
