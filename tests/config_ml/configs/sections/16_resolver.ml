(* One section of mirage.mli (4.11.1): Resolver configuration. *)
open Mirage

let stack = generic_stackv4v6 default_network
let main = main "Unikernel.Main" (resolver @-> resolver @-> job)
let () = register "resolver" [ main $ resolver_dns ~ns:[ "tcp:8.8.8.8" ] stack $ resolver_unix_system ]
