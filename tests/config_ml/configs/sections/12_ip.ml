(* One section of mirage.mli (4.11.1): IP configuration. *)
open Mirage

let net = default_network
let eth = ethif net
let arp = arp eth
let ip4 = create_ipv4 ~group:"v4" eth arp
let ip6 = create_ipv6 ~group:"v6" net eth
let main = main "Unikernel.Main" (ipv4v6 @-> ipv4 @-> job)

let () =
  register "ip" [ main $ create_ipv4v6 ~group:"both" ip4 ip6 $ ipv4_qubes default_qubesdb eth arp ]
