(* mirage >= 4.9.0 & < 4.12.0 *)
(* An authoritative DNS server (ocaml-dns's primary role): the zone file
   "example.org" of the kv_ro store "zone" is served on UDP and TCP port 53
   of the default stack; the unikernel's code is in unikernel.py. *)
open Mirage

let packages =
  [ package ~min:"10.0.0" ~max:"11.0.0" ~sublibs:[ "zone"; "mirage" ] "dns-server" ]

let zone = generic_kv_ro "zone"
let stack = generic_stackv4v6 default_network
let main = main "Unikernel.Main" ~packages (kv_ro @-> stackv4v6 @-> job)
let () = register "primary" [ main $ zone $ stack ]
