(* One section of mirage.mli (4.11.1): Log reporters. *)
open Mirage

let quiet = Key.(create "quiet" Arg.(flag (info [ "quiet-logs" ])))

let reporter =
  if_impl (Key.value quiet) no_reporter (default_reporter ~level:(Some Logs.Debug) ())

let main = main "Unikernel.Main" job
let () = register ~reporter "reporter" [ main ]
