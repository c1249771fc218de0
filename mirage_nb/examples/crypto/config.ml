(* mirage >= 4.9.0 & < 4.12.0 *)
open Mirage

(* No devices: randomness, hashes, ciphers and RSA come from libraries,
   and the RNG is one of the globals every 4.9+ unikernel has. *)
let libraries =
  [ package "fmt"
  ; package ~min:"0.2.0" "ohex"
  ; package ~min:"1.2.0" "digestif"
  ; package ~min:"1.0.0" "mirage-crypto-rng"
  ; package ~min:"1.0.0" "mirage-crypto-pk"
  ; package ~min:"1.0.0" "mirage-crypto"
  ; package ~min:"0.2.0" "randomconv"
  ]

let () = register "crypto-test" [ main ~packages:libraries "Unikernel" job ]
