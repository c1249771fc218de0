(* One section of mirage.mli (4.11.1): DNS client. *)
open Mirage

let stack = generic_stackv4v6 default_network
let he = generic_happy_eyeballs stack
let dns = generic_dns_client ~timeout:5_000_000_000L ~nameservers:[ "udp:9.9.9.9" ] ~cache_size:64 stack he
let main = main "Unikernel.Main" (dns_client @-> job)
let () = register "dns" [ main $ dns ]
