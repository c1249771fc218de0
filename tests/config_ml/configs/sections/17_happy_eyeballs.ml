(* One section of mirage.mli (4.11.1): Happy-eyeballs. *)
open Mirage

let stack = generic_stackv4v6 default_network
let main = main "Unikernel.Main" (happy_eyeballs @-> job)

let () =
  register "he"
    [ main $ generic_happy_eyeballs ~aaaa_timeout:1_000_000L ~resolve_retries:3 stack ]
