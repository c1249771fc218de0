(* One section of mirage.mli (4.11.1): Monitoring. *)
open Mirage

let stack = generic_stackv4v6 default_network
let main = main "Unikernel.Main" (stackv4v6 @-> job)
let () = register "monitoring" [ monitoring ~group:"m" stack; main $ stack ]
