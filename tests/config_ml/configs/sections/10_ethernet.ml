(* One section of mirage.mli (4.11.1): Ethernet configuration. *)
open Mirage

let main = main "Unikernel.Main" (ethernet @-> job)
let () = register "ethernet" [ main $ ethif default_network ]
