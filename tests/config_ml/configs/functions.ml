(* mirage >= 4.4.0 *)
open Mirage

type hash = Hash
type choice = Left of string | Right of int * int | Nothing

let hash = typ Hash

let describe_choice = function
  | Left s -> "left " ^ s
  | Right (a, b) when a = b -> "same"
  | Right (a, _) -> Printf.sprintf "right %d" a
  | Nothing -> "nothing"

let choices = List.map describe_choice [ Left "x"; Right (1, 1); Right (2, 3); Nothing ]

let kind = function
  | `Unix | `MacOSX -> "unix-like"
  | `Xen -> "xen"
  | `Solo5 name -> "solo5/" ^ name
  | _ -> "other"

let kinds = [ kind `Unix; kind `MacOSX; kind (`Solo5 "hvt"); kind `Qubes ]

let with_labels ~name ?(suffix = "!") ?prefix x =
  let p = match prefix with None -> "" | Some p -> p ^ ":" in
  p ^ name ^ x ^ suffix

let l1 = with_labels ~name:"a" "b"
let l2 = with_labels "b" ~suffix:"?" ~name:"a"
let l3 = with_labels ?prefix:(Some "p") ~name:"a" "b"
let l4 = with_labels ?prefix:None ~name:"a" "b"
let name = "n"
let l5 = with_labels ~name "b"

let partial = with_labels ~name:"z"
let from_partial = partial "y"

let rec fact n = if n <= 1 then 1 else n * fact (n - 1)
let f10 = fact 10

let pair = (1, "one")
let first, second = pair
let pos = __POS__

let tail = match [ 1; 2; 3 ] with [] -> [] | _ :: rest -> rest
let nested = match (Some 3, [ "a" ]) with Some n, [ s ] -> string_of_int n ^ s | _ -> "no"
let adder = fun x ~by -> x + by
let added = adder ~by:2 40

let connect _info modname = function
  | [ a; b ] -> code ~pos:__POS__ {ocaml|%s.start %s %S|ocaml} modname a b
  | _ -> assert false

let code_value = connect () "Unikernel" [ "x"; "y\n" ]

let () =
  let main = main "Unikernel.Main" (hash @-> job) in
  register "functions" [ main $ impl "Hash" hash ]
