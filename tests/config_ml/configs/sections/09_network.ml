(* One section of mirage.mli (4.11.1): Network interfaces. *)
open Mirage

let main = main "Unikernel.Main" (network @-> network @-> job)
let () = register "network" [ main $ default_network $ netif ~group:"second" "tap1" ]
