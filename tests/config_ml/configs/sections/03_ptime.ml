(* One section of mirage.mli (4.11.1): Posix time. *)
open Mirage

let main = main "Unikernel.Main" (ptime @-> ptime @-> job)
let () = register ~ptime:no_ptime "ptime" [ main $ default_ptime $ mock_ptime ]
