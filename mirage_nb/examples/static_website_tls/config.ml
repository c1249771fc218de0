(* mirage >= 4.9.0 & < 4.12.0 *)
(* A static website over HTTPS: pages from the htdocs kv_ro, certificate
   and key from the tls kv_ro; plain HTTP redirects to HTTPS. The tls/
   directory is not shipped: make a test CA and certificate first
   (make_test_pki in mirage_nb.lab), never commit a private key. *)
open Mirage

let stack = generic_stackv4v6 default_network
let data_key = Key.(value @@ kv_ro ~group:"data" ())
let data = generic_kv_ro ~key:data_key "htdocs"

(* with ~tls:false the server speaks plain HTTP only *)
let https_srv = cohttp_server @@ conduit_direct ~tls:true stack
let certs_key = Key.(value @@ kv_ro ~group:"certs" ())
let certs = generic_kv_ro ~key:certs_key "tls"

let main =
  let packages = [ package "uri"; package "magic-mime" ] in
  main ~packages "Dispatch.HTTPS" (kv_ro @-> kv_ro @-> http @-> job)

let () = register "https" [ main $ data $ certs $ https_srv ]
