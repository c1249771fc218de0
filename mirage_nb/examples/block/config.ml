(* mirage >= 4.10.0 & < 4.12.0 *)
open Mirage

(* The disk: solo5 names its block devices ("storage"), unikraft numbers
   them ("0"), and on unix it is the file disk.img beside this config
   (create it first: dd if=/dev/zero of=disk.img count=100000). *)
let disk =
  if_impl Key.is_solo5
    (block_of_file "storage")
    (if_impl Key.is_unikraft (block_of_file "0") (block_of_file "disk.img"))

let job = main "Unikernel.Main" (block @-> job)
let () = register "block_test" [ job $ disk ]
