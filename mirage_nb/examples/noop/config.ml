(* mirage >= 4.4.0 & < 4.12.0 *)
(* The smallest unikernel there is: no job of its own, only the jobs that
   [register] always adds (argument parsing, logs, clocks, randomness). *)
let () = Mirage.register "noop" []
