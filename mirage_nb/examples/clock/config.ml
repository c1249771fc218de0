(* mirage >= 4.9.0 & < 4.12.0 *)
open Mirage

(* A speaking clock: Mirage_mtime and Mirage_ptime are globals since
   MirageOS 4.9, so the unikernel needs no clock device. *)
let main = main ~packages:[ package "duration" ] "Unikernel" job
let () = register "speaking_clock" [ main ]
