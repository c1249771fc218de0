(* mirage >= 4.9.0 & < 4.12.0 *)
open Mirage

(* A hello unikernel whose logs leave the machine. The syslog reporter is a
   dependency of the job, so it is connected (and [Logs.set_reporter]
   called) before [start] runs. [--syslog=IP] names the log host (and
   [--syslog-port], [--syslog-truncate] the rest); without it the reporter
   warns and the logs stay on the console. [syslog_tcp stack] and
   [syslog_tls stack kv] (client certificate and CA read from [kv]) are the
   other transports; give them [--syslog-truncate=N] (their default, 0,
   cuts every line to nothing, as logs-syslog 0.5 does). *)
let stack = generic_stackv4v6 default_network
let reporter = syslog_udp stack

let main =
  main "Unikernel" job ~packages:[ package "duration" ] ~deps:[ dep reporter ]

let () = register "syslog" [ main ]
