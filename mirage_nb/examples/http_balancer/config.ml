(* mirage >= 4.5.0 & < 4.12.0 *)
(* The front of a self-scaling web service (a mirage_nb scenario, not a
   mirage-skeleton example): it accepts HTTP on port 80 and hands each
   request to the web instance with the fewest requests in flight; an
   orchestrator adds and removes instances on its control port; the code is
   in unikernel.py. *)
open Mirage

let main = main "Unikernel.Main" (stackv4v6 @-> job)
let stack = generic_stackv4v6 default_network
let () = register "http_balancer" [ main $ stack ]
