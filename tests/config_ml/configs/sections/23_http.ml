(* One section of mirage.mli (4.11.1): HTTP configuration. *)
open Mirage

let stack = generic_stackv4v6 default_network
let conduit = conduit_direct ~tls:true stack
let tcp = tcpv4v6_of_stackv4v6 stack
let he = generic_happy_eyeballs stack
let mimic = mimic_happy_eyeballs stack he (generic_dns_client stack he)
let port = Runtime_arg.create ~pos:__POS__ "Unikernel.port"

let main =
  main "Unikernel.Main" (http @-> http @-> http_client @-> http_server @-> alpn_client @-> job)

let () =
  register "http"
    [
      main $ cohttp_server conduit $ httpaf_server conduit
      $ cohttp_client (resolver_dns stack) conduit
      $ paf_server ~port tcp $ paf_client tcp mimic;
    ]
