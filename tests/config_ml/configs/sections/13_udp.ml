(* One section of mirage.mli (4.11.1): UDP configuration. *)
open Mirage

let ip =
  let net = default_network in
  let eth = ethif net in
  create_ipv4v6 (create_ipv4 eth (arp eth)) (create_ipv6 net eth)

let main = main "Unikernel.Main" (udpv4v6 @-> job)
let () = register "udp" [ main $ direct_udp ip ]
