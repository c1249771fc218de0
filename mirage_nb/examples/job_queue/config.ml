(* mirage >= 4.10.0 & < 4.12.0 *)
(* A persistent job queue (a mirage_nb scenario, not a mirage-skeleton
   example): jobs are kept in a littlefs store (chamelon) on the block device
   "jobs.img", so they survive a restart; clients and workers speak a line
   protocol over TCP (PUT, TAKE, DONE, RESULT, STATS); the code is in
   unikernel.py. *)
open Mirage

let program_block_size =
  Runtime_arg.create ~pos:__POS__ "Unikernel.program_block_size"

let store = chamelon ~program_block_size (block_of_file "jobs.img")
let stack = generic_stackv4v6 default_network

let main =
  main ~packages:[ package "duration" ] "Unikernel.Main"
    (kv_rw @-> stackv4v6 @-> job)

let () = register "job_queue" [ main $ store $ stack ]
