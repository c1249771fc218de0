(* One section of mirage.mli (4.11.1): Git client configuration. *)
open Mirage

let stack = generic_stackv4v6 default_network
let tcp = tcpv4v6_of_stackv4v6 stack
let he = generic_happy_eyeballs stack
let mimic = mimic_happy_eyeballs stack he (generic_dns_client stack he)

let git =
  merge_git_clients (git_tcp tcp mimic)
    (merge_git_clients
       (git_ssh ~group:"ssh" ~authenticator:"SHA256:abc" ~key:"ed25519:xyz" tcp mimic)
       (git_http ~group:"http" ~headers:[ ("User-Agent", "mirage") ] tcp mimic))

let main = main "Unikernel.Main" (git_client @-> job)
let () = register "git" [ main $ git ]
