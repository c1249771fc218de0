(* One section of mirage.mli (4.11.1): Other devices. *)
open Mirage

let main = main "Unikernel.Main" job
let () = register "other" [ noop; main ]
