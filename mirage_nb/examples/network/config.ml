(* mirage >= 4.5.0 & < 4.12.0 *)
(* A TCP listener on whichever stack generic_stackv4v6 picks for the target
   and the --net / --dhcp keys; the unikernel's code is in unikernel.py. *)
open Mirage

let listener = main "Unikernel.Main" (stackv4v6 @-> job)
let net_stack = generic_stackv4v6 default_network
let () = register "network" [ listener $ net_stack ]
