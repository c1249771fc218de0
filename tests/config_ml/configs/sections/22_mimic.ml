(* One section of mirage.mli (4.11.1): Mimic devices. *)
open Mirage

let stack = generic_stackv4v6 default_network
let he = generic_happy_eyeballs stack
let dns = generic_dns_client stack he
let main = main "Unikernel.Main" (mimic @-> job)
let () = register "mimic" [ main $ mimic_happy_eyeballs stack he dns ]
