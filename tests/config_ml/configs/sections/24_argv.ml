(* One section of mirage.mli (4.11.1): Argv configuration. *)
open Mirage

let main = main "Unikernel.Main" job
let () = register ~argv:no_argv "argv" [ main; runtime_args default_argv ]
