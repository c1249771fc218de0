(* mirage >= 4.9.0 & < 4.12.0 *)
(* A DHCP server (charrua) straight on the network device: the unikernel
   builds its own Ethernet and ARP layers and answers DHCP frames; its
   settings are in dhcp_config (dhcp_config.py here). *)
open Mirage

let packages =
  [
    package ~min:"1.6.0" "charrua";
    package ~min:"3.0.0" "charrua-server";
    package ~min:"3.0.0" ~sublibs:[ "mirage" ] "arp";
    package ~min:"3.0.0" "ethernet";
  ]

let main = main "Unikernel.Main" ~packages (network @-> job)
let () = register "dhcp" [ main $ default_network ]
