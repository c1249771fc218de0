(* mirage >= 4.10.0 & < 4.12.0 *)
open Mirage

(* A littlefs store (chamelon) on the block device "littlefs"; its program
   block size is a boot argument that unikernel.ml defines. *)
let program_block_size =
  Runtime_arg.create ~pos:__POS__ "Unikernel.program_block_size"

let store = chamelon ~program_block_size (block_of_file "littlefs")

let job =
  main
    ~packages:[ package ~sublibs:[ "core"; "string" ] "hxd" ]
    "Unikernel.Make" (kv_rw @-> job)

let () = register "elittlefs" [ job $ store ]
