(* One section of mirage.mli (4.11.1): Sleep. *)
open Mirage

let main = main "Unikernel.Main" (sleep @-> job)
let () = register ~sleep:no_sleep "sleep" [ main $ default_sleep ]
