(* mirage >= 4.10.0 & < 4.12.0 *)
open Mirage

(* [hello] is a dune library in the hello/ directory beside this file. *)
let main = main "Unikernel" job ~local_libs:[ "hello" ]
let () = register "local-library" [ main ]
