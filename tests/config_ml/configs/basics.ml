(* mirage >= 4.9.0 & < 4.12.0 *)
open Mirage

(* A network unikernel, written the way skeleton configs are. *)
let packages = [ package "duration"; package ~min:"0.2.0" "randomconv" ]
let stack = generic_stackv4v6 default_network
let stack_in_group = generic_stackv4v6 ~group:"data" default_network

(* labels before and after positional arguments, and punned *)
let main = main ~packages "Unikernel.Main" (stackv4v6 @-> network @-> job)
let other = main
let late_label = Mirage.main "Unikernel" job ~packages:[ package "fmt" ]

(* [$] groups to the left: ((main $ stack) $ default_network) *)
let applied = main $ stack $ default_network
let arrow = stackv4v6 @-> network @-> kv_ro @-> job
let () = register "basics" [ applied ]
