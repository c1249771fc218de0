(* One section of mirage.mli (4.11.1): Conduit configuration. *)
open Mirage

let stack = generic_stackv4v6 default_network
let main = main "Unikernel.Main" (conduit @-> job)
let () = register "conduit" [ main $ conduit_direct ~tls:true stack ]
