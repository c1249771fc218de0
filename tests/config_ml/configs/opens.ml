open Mirage

module Util = struct
  let twice f x = f (f x)
  let kv_ro = "Util.kv_ro"

  module Inner = struct
    let depth = 2
  end
end

module U = Util

let ( +++ ) a b = a ^ "+" ^ b
let joined = "a" +++ "b" +++ "c"

(* Inside Key.( ... ), kv_ro is Key.kv_ro (a key), not the kv_ro module type *)
let data_key = Key.(value @@ kv_ro ~group:"data" ())
let outer_kv_ro = kv_ro
let util_kv_ro = Util.(kv_ro)
let shadowed = let open Util in kv_ro
let keyed = Key.(pure String.length $ value target)
let four = U.twice (fun x -> x * 2) 1
let depth = Util.Inner.depth
let piped = [ 1; 2; 3 ] |> List.map (fun x -> x + 1) |> List.fold_left ( + ) 0
let app = Printf.sprintf "%d" @@ 6 * 7
let () = Mirage.register "opens" [ noop ]
