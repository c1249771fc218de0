(* mirage >= 4.6.0 & < 4.12.0 *)
(* A raw IPv6 host: the network device, Ethernet on it, and IPv6 over both,
   handed to the unikernel as three modules (see unikernel.py). *)
open Mirage

let main =
  main
    ~packages:[ package ~min:"3.0.0" "ethernet"; package ~min:"7.0.0" "tcpip" ]
    "Unikernel.Main"
    (network @-> ethernet @-> ipv6 @-> job)

let iface = default_network
let eth = ethif iface
let ip6 = create_ipv6 iface eth
let () = register "ping" [ main $ iface $ eth $ ip6 ]
