(* mirage >= 4.9.0 & < 4.12.0 *)
(* comments (* nest *) and may hold "strings with *) inside" and {x| quoted *) |x} and '"' *)
open Mirage

let escapes = "tab\tnl\n\"q\" \\ \065\x42\o103 \u{e9}\
               continued"
let quoted = {|no \escapes "here"|}
let tagged = {tag|a |} b|tag}
let chars = [ 'a'; '\n'; '\''; '\065' ]
let ints = [ 0x1F; 0o17; 0b101; 1_000; -3 ]
let arith = (7 / 2, -7 / 2, 7 mod 3, -7 mod 3, 2 * 3 + 4, 10 - 2 - 3, 1 lsl 4)
let compare = (1 < 2, "b" > "a", [ 1 ] = [ 1 ], Some 1 <> None, not true, true && false || true)
let concat = String.concat ", " [ "a"; "b"; "c" ]
let lists = (List.concat [ [ 1 ]; [ 2; 3 ] ], [ 1 ] @ [ 2 ] @ [ 3 ], List.length [ 1; 2 ], List.rev [ 1; 2; 3 ])
let env = Sys.getenv_opt "HOME"
let defaulted = Option.value ~default:"none" env
let fmt = Printf.sprintf "%s=%d %S %5.2f %-3s| %%" "x" 42 "q\"" 3.14159 "ab"
let fmtstr = Fmt.str "%a and %s" Fmt.int 3 "x"
let iterated = List.iter (fun _ -> ()) [ 1; 2 ]
let filtered = List.filter (fun x -> x mod 2 = 0) [ 1; 2; 3; 4 ]
let seq = ignore 1; 2
let () = register "stdlib" [ noop ]
