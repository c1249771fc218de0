(* One section of mirage.mli (4.11.1): Syslog configuration. *)
open Mirage

let stack = generic_stackv4v6 default_network
let main = main "Unikernel.Main" (syslog @-> syslog @-> syslog @-> job)

let () =
  register "syslog"
    [ main $ syslog_udp stack $ syslog_tcp ~group:"t" stack $ syslog_tls stack (crunch "certs") ]
