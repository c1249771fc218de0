(* mirage >= 4.5.0 & < 4.12.0 *)
(* One web instance behind the balancer (a mirage_nb scenario, not a
   mirage-skeleton example): HTTP/1.1 on port 80, one request at a time,
   each taking --service-ms of virtual time; the code is in unikernel.py. *)
open Mirage

let main =
  main ~packages:[ package "duration" ] "Unikernel.Main" (stackv4v6 @-> job)

let stack = generic_stackv4v6 default_network
let () = register "web_server" [ main $ stack ]
