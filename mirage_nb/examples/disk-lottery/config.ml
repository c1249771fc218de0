(* mirage >= 4.10.0 & < 4.12.0 *)
open Mirage

(* One game slot per sector of the disk; on unix the disk is disk.img
   (eight slots: dd if=/dev/zero of=disk.img count=8, then boot once with
   --reset-all). lotto.ml beside the unikernel is compiled with it. *)
let disk =
  if_impl Key.is_solo5
    (block_of_file "storage")
    (if_impl Key.is_unikraft (block_of_file "0") (block_of_file "disk.img"))

let job =
  let packages = [ package "checkseum"; package "cstruct"; package "fmt" ] in
  main ~packages "Unikernel.Main" (block @-> job)

let () = register "lottery" [ job $ disk ]
