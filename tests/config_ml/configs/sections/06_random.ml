(* One section of mirage.mli (4.11.1): Random. *)
open Mirage

let main = main "Unikernel.Main" (random @-> job)
let () = register ~random:no_random "random" [ main $ default_random ]
