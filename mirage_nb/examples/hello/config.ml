(* mirage >= 4.9.0 & < 4.12.0 *)
open Mirage

(* "Unikernel" is not a functor (its type is plain [job]): its [start] gets
   a unit argument, and it sleeps with Mirage_sleep, which needs [duration]. *)
let main = main "Unikernel" job ~packages:[ package "duration" ]
let () = register "hello" [ main ]
