(* One section of mirage.mli (4.11.1): ARP configuration. *)
open Mirage

let main = main "Unikernel.Main" (arpv4 @-> job)
let () = register "arp" [ main $ arp (ethif default_network) ]
