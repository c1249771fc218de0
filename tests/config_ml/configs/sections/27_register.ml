(* One section of mirage.mli (4.11.1): Application registering. *)
open Mirage

let main =
  let connect _ modname = function
    | [ noop ] -> code ~pos:__POS__ "%s.start %s" modname noop
    | _ -> connect_err "main" 1
  in
  impl ~connect "Unikernel.Main" (job @-> job)

let () =
  register ~argv:default_argv ~reporter:no_reporter ~sleep:default_sleep ~ptime:default_ptime
    ~mtime:default_mtime ~random:default_random ~src:(`Some "https://example.org/u.git") "registering"
    [ main $ noop ]
