(* One section of mirage.mli (4.11.1): General mirage devices. *)
open Mirage

let main = main "Unikernel.Main" (qubesdb @-> job)
let () = register "general" [ main $ default_qubesdb ]
