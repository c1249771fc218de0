(* One section of mirage.mli (4.11.1): Monotonic time. *)
open Mirage

let main = main "Unikernel.Main" (mtime @-> mtime @-> job)
let () = register ~mtime:no_mtime "mtime" [ main $ default_mtime $ mock_mtime ]
