(* mirage >= 4.4.0 & < 4.12.0 *)
open Mirage

(* The read-only store of the directory "t": compiled into the unikernel
   with ocaml-crunch, or read from the host directory, as --kv_ro says
   (crunch by default). *)
let store = generic_kv_ro "t"

(* Unikernel.Main is a functor over that store's module. *)
let job = main "Unikernel.Main" (kv_ro @-> job)
let () = register "kv_ro" [ job $ store ]
