(* mirage >= 4.5.0 & < 4.12.0 *)
(* A worker of the job queue (a mirage_nb scenario, not a mirage-skeleton
   example): it connects to the queue over TCP, takes a job, works on it,
   reports it done, and asks again; the code is in unikernel.py. *)
open Mirage

let main =
  main ~packages:[ package "duration" ] "Unikernel.Main" (stackv4v6 @-> job)

let stack = generic_stackv4v6 default_network
let () = register "job_worker" [ main $ stack ]
