(* One section of mirage.mli (4.11.1): Static key/value stores. *)
open Mirage

let disk = block_of_file "kv.img"

let main =
  main "Unikernel.Main"
    (kv_ro @-> kv_ro @-> kv_ro @-> kv_ro @-> kv_ro @-> kv_rw @-> kv_rw @-> kv_rw @-> job)

let () =
  register "kv"
    [
      main $ crunch "htdocs" $ direct_kv_ro "static" $ tar_kv_ro disk $ fat_ro disk
      $ generic_kv_ro ~group:"assets" ~key:(Key.value (Key.kv_ro ~group:"assets" ())) "assets"
      $ direct_kv_rw "store" $ kv_rw_mem () $ tar_kv_rw (block_of_file "rw.img");
    ]
