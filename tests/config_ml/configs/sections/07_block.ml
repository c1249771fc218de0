(* One section of mirage.mli (4.11.1): Block devices. *)
open Mirage

let main = main "Unikernel.Main" (block @-> block @-> block @-> block @-> job)

let () =
  register "block"
    [
      main $ block_of_file "disk.img" $ ramdisk "rd"
      $ generic_block ~group:"data" "data.img"
      $ generic_block ~key:(Key.value (Key.block ())) "other";
    ]
