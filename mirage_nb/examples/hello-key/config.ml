(* mirage >= 4.9.0 & < 4.12.0 *)
open Mirage

(* The --hello runtime argument is declared in the unikernel itself,
   with Mirage_runtime.register_arg: nothing to add here. *)
let packages = [ package "duration" ]
let main = main ~packages "Unikernel" job
let () = register "hello-key" [ main ]
