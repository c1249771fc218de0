(* One section of mirage.mli (4.11.1): Network stack configuration. *)
open Mirage

let stack =
  generic_stackv4v6 ~group:"s"
    ~ipv4_network:(Ipaddr.V4.Prefix.of_string_exn "10.0.0.2/24")
    ~ipv4_gateway:(Ipaddr.V4.of_string_exn "10.0.0.1")
    ~ipv6_network:(Ipaddr.V6.Prefix.of_string_exn "fe80::2/64")
    default_network

let main = main "Unikernel.Main" (stackv4v6 @-> tcpv4v6 @-> job)
let () = register "stack" [ main $ stack $ tcpv4v6_of_stackv4v6 stack ]
