(* mirage >= 4.4.0 & < 4.12.0 *)
(* An HTTP server on port 80 through conduit, over whichever stack
   generic_stackv4v6 picks; the unikernel's code is in unikernel.py. *)
open Mirage

let main =
  main ~packages:[ package "cohttp-mirage" ] "Unikernel.Main" (conduit @-> job)

let () =
  register "conduit_server"
    [ main $ conduit_direct (generic_stackv4v6 default_network) ]
