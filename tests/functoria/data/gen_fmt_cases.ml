(* Records what OCaml's Stdlib.Format really prints, as fixtures for
   tests/functoria/test_fmt.py.  Run with:  ocaml gen_fmt_cases.ml > fmt_cases.json

   Three families of cases:
   - "ops": a random sequence of direct calls (open/close box, string, break,
     force_newline, flush, print_newline) on a buffer formatter whose margin
     and max_indent vary;
   - "fmt": a format string (random or written by hand) and its arguments,
     printed with Format.asprintf / fprintf;
   - "seq": several fprintf calls on one persistent formatter (describe).
   Printer arguments (%a) are described by the [arg] type below, which the
   Python test interprets the same way.

   For a bigger one-off check (not committed), set GEN_SEED and GEN_SCALE, e.g.
     GEN_SEED=3 GEN_SCALE=8 ocaml gen_fmt_cases.ml > big.json
   and replay that file with the test's _replay function. *)

let buf = Buffer.create 4096
let out = Buffer.add_string buf

(* --- JSON output ------------------------------------------------------- *)

let json_string s =
  let b = Buffer.create (String.length s + 2) in
  Buffer.add_char b '"';
  String.iter
    (fun c ->
      match c with
      | '"' -> Buffer.add_string b "\\\""
      | '\\' -> Buffer.add_string b "\\\\"
      | '\n' -> Buffer.add_string b "\\n"
      | c when Char.code c < 0x20 -> Buffer.add_string b (Printf.sprintf "\\u%04x" (Char.code c))
      | c -> Buffer.add_char b c)
    s;
  Buffer.add_char b '"';
  Buffer.contents b

let json_list f l = "[" ^ String.concat ", " (List.map f l) ^ "]"

(* --- printer arguments shared with the Python side ---------------------- *)

type sep = Cut | Sp | Nop | Any of string
type elt = Elt_string | Elt_fmt1 of string | Elt_fmt2 of string

type arg =
  | List of sep * elt * string list list
  | Text of string
  | Vbox of int * arg
  | Box of int * arg
  | Hvbox of int * arg

let rec pp_arg ppf = function
  | List (sep, elt, items) ->
      let pp_sep ppf () =
        match sep with
        | Cut -> Format.pp_print_cut ppf ()
        | Sp -> Format.pp_print_space ppf ()
        | Nop -> ()
        | Any f ->
            let f : (unit, Format.formatter, unit) format = Scanf.format_from_string f "" in
            Format.fprintf ppf f
      in
      let pp_elt ppf item =
        match (elt, item) with
        | Elt_string, [ s ] -> Format.pp_print_string ppf s
        | Elt_fmt1 f, [ s ] ->
            let f : (string -> unit, Format.formatter, unit) format = Scanf.format_from_string f "%s" in
            Format.fprintf ppf f s
        | Elt_fmt2 f, [ a; b ] ->
            let f : (string -> string -> unit, Format.formatter, unit) format =
              Scanf.format_from_string f "%s%s"
            in
            Format.fprintf ppf f a b
        | _ -> failwith "bad list item"
      in
      List.iteri (fun i x -> if i > 0 then pp_sep ppf (); pp_elt ppf x) items
  | Text s ->
      (* Fmt.text: spaces are break hints, newlines forced newlines. *)
      let n = String.length s in
      let start = ref 0 in
      for i = 0 to n - 1 do
        if s.[i] = ' ' || s.[i] = '\n' then begin
          Format.pp_print_string ppf (String.sub s !start (i - !start));
          if s.[i] = ' ' then Format.pp_print_space ppf () else Format.pp_force_newline ppf ();
          start := i + 1
        end
      done;
      Format.pp_print_string ppf (String.sub s !start (n - !start))
  | Vbox (i, a) -> Format.pp_open_vbox ppf i; pp_arg ppf a; Format.pp_close_box ppf ()
  | Box (i, a) -> Format.pp_open_box ppf i; pp_arg ppf a; Format.pp_close_box ppf ()
  | Hvbox (i, a) -> Format.pp_open_hvbox ppf i; pp_arg ppf a; Format.pp_close_box ppf ()

let rec arg_json = function
  | List (sep, elt, items) ->
      let sep =
        match sep with
        | Cut -> json_string "cut"
        | Sp -> json_string "sp"
        | Nop -> json_string "nop"
        | Any f -> Printf.sprintf "{\"any\": %s}" (json_string f)
      in
      let elt =
        match elt with
        | Elt_string -> json_string "string"
        | Elt_fmt1 f | Elt_fmt2 f -> Printf.sprintf "{\"fmt\": %s}" (json_string f)
      in
      Printf.sprintf "{\"list\": %s, \"sep\": %s, \"elt\": %s}"
        (json_list (json_list json_string) items) sep elt
  | Text s -> Printf.sprintf "{\"text\": %s}" (json_string s)
  | Vbox (i, a) -> Printf.sprintf "{\"box\": \"v\", \"indent\": %d, \"arg\": %s}" i (arg_json a)
  | Box (i, a) -> Printf.sprintf "{\"box\": \"b\", \"indent\": %d, \"arg\": %s}" i (arg_json a)
  | Hvbox (i, a) -> Printf.sprintf "{\"box\": \"hv\", \"indent\": %d, \"arg\": %s}" i (arg_json a)

(* A conversion argument as recorded in JSON. *)
type value = S of string | D of int | A of arg | T of arg | C of char | B of bool | F of float

let value_json = function
  | S s -> Printf.sprintf "{\"s\": %s}" (json_string s)
  | D d -> Printf.sprintf "{\"d\": %d}" d
  | A a -> Printf.sprintf "{\"a\": %s}" (arg_json a)
  | T a -> Printf.sprintf "{\"t\": %s}" (arg_json a)
  | C c -> Printf.sprintf "{\"c\": %s}" (json_string (String.make 1 c))
  | B b -> Printf.sprintf "{\"b\": %b}" b
  | F f -> Printf.sprintf "{\"f\": %.17g}" f

(* --- case recording -------------------------------------------------- *)

let first = ref true

let record fields =
  if not !first then out ",\n";
  first := false;
  out "  {";
  out (String.concat ", " (List.map (fun (k, v) -> json_string k ^ ": " ^ v) fields));
  out "}"

let fmt_case name fmt values result =
  record
    [ ("name", json_string name); ("kind", json_string "fmt"); ("fmt", json_string fmt);
      ("args", json_list value_json values); ("out", json_string result) ]

(* --- direct-call cases ------------------------------------------------ *)

type op =
  | Open of string * int
  | Close
  | Str of string
  | Brk of int * int
  | Fnl
  | Flush
  | Nl

let op_json = function
  | Open ("h", _) -> "[\"open\", \"h\", 0]" (* pp_open_hbox takes no indent *)
  | Open (k, i) -> Printf.sprintf "[\"open\", %s, %d]" (json_string k) i
  | Close -> "[\"close\"]"
  | Str s -> Printf.sprintf "[\"str\", %s]" (json_string s)
  | Brk (n, o) -> Printf.sprintf "[\"brk\", %d, %d]" n o
  | Fnl -> "[\"fnl\"]"
  | Flush -> "[\"flush\"]"
  | Nl -> "[\"nl\"]"

let run_op ppf = function
  | Open ("h", _) -> Format.pp_open_hbox ppf ()
  | Open ("v", i) -> Format.pp_open_vbox ppf i
  | Open ("hv", i) -> Format.pp_open_hvbox ppf i
  | Open ("hov", i) -> Format.pp_open_hovbox ppf i
  | Open (_, i) -> Format.pp_open_box ppf i
  | Close -> Format.pp_close_box ppf ()
  | Str s -> Format.pp_print_string ppf s
  | Brk (n, o) -> Format.pp_print_break ppf n o
  | Fnl -> Format.pp_force_newline ppf ()
  | Flush -> Format.pp_print_flush ppf ()
  | Nl -> Format.pp_print_newline ppf ()

let ops_case name margin max_indent ops =
  let b = Buffer.create 256 in
  let ppf = Format.formatter_of_buffer b in
  Format.pp_set_margin ppf margin;
  Format.pp_set_max_indent ppf max_indent;
  List.iter (run_op ppf) ops;
  Format.pp_print_flush ppf ();
  record
    [ ("name", json_string name); ("kind", json_string "ops"); ("margin", string_of_int margin);
      ("max_indent", string_of_int max_indent); ("ops", json_list op_json ops);
      ("out", json_string (Buffer.contents b)) ]

let letters = "abcdefghijklmnopqrstuvwxyz_ABCXYZ0123"

let rand_word len =
  let b = Buffer.create len in
  for _ = 1 to len do
    let r = Random.int 100 in
    if r < 2 then Buffer.add_char b '\n'
    else if r < 4 then Buffer.add_string b "\xc3\xa9" (* é: two bytes, one character *)
    else Buffer.add_char b letters.[Random.int (String.length letters)]
  done;
  Buffer.contents b

let rand_len () =
  match Random.int 10 with
  | 0 -> 0
  | 1 | 2 | 3 | 4 -> 1 + Random.int 6
  | 5 | 6 | 7 -> 4 + Random.int 15
  | _ -> 10 + Random.int 40

let kinds = [| "h"; "v"; "hv"; "hov"; "b" |]

let rec rand_ops depth budget =
  if budget <= 0 then []
  else
    let r = Random.int 100 in
    let here, used =
      if r < 38 then ([ Str (rand_word (rand_len ())) ], 1)
      else if r < 68 then ([ Brk (Random.int 4, Random.int 7 - 2) ], 1)
      else if r < 88 && depth < 5 then begin
        let inner_budget = 1 + Random.int (max 1 (budget / 2)) in
        let inner = rand_ops (depth + 1) inner_budget in
        let closing = if Random.int 12 = 0 then [] else [ Close ] in
        ((Open (kinds.(Random.int 5), Random.int 6) :: inner) @ closing, inner_budget + 1)
      end
      else if r < 92 then ([ Fnl ], 1)
      else if r < 94 then ([ Flush ], 1)
      else if r < 96 then ([ Nl ], 1)
      else if r < 98 then ([ Close ], 1)
      else ([ Str (String.make (60 + Random.int 20) 'w') ], 1)
    in
    here @ rand_ops depth (budget - used)

(* A list of words in one box whose widths put line ends near the margin. *)
let edge_ops () =
  let kind = kinds.(Random.int 5) in
  let target = 60 + Random.int 25 in
  let rec words acc total =
    if total >= target then List.rev acc
    else
      let w = 1 + Random.int 12 in
      words (Str (String.make w (Char.chr (97 + Random.int 26))) :: acc) (total + w + 1)
  in
  let prefix = String.make (Random.int 14) 'p' in
  let body = words [] (String.length prefix) in
  let sep = if Random.bool () then Brk (1, 0) else Brk (Random.int 3, Random.int 4) in
  let rec join = function [] -> [] | [ x ] -> [ x ] | x :: tl -> x :: sep :: join tl in
  (Str prefix :: Open (kind, Random.int 4) :: join body) @ [ Close ]

let seed = Option.fold ~none:20261123 ~some:int_of_string (Sys.getenv_opt "GEN_SEED")
let scale = Option.fold ~none:1 ~some:int_of_string (Sys.getenv_opt "GEN_SCALE")
let () = Random.init seed

let gen_ops () =
  for i = 1 to 260 * scale do
    let margin, max_indent =
      match Random.int 10 with
      | 0 | 1 | 2 | 3 | 4 | 5 -> (78, 68)
      | 6 | 7 -> (10 + Random.int 40, 0)
      | _ -> (40 + Random.int 60, 0)
    in
    let max_indent = if max_indent = 0 then 2 + Random.int (margin - 2) else max_indent in
    ops_case (Printf.sprintf "random_ops_%03d" i) margin max_indent (rand_ops 0 (5 + Random.int 40))
  done;
  for i = 1 to 80 * scale do
    ops_case (Printf.sprintf "edge_ops_%03d" i) 78 68 (edge_ops ())
  done

(* --- random format strings ------------------------------------------- *)

let rand_fmt nconv =
  let b = Buffer.create 64 in
  let convs = ref nconv in
  let depth = ref 0 in
  let pieces = 4 + Random.int 20 in
  for _ = 1 to pieces do
    match Random.int 20 with
    | 0 | 1 | 2 | 3 | 4 ->
        String.iter
          (fun c -> Buffer.add_string b (match c with '\n' -> "\n" | c -> String.make 1 c))
          (rand_word (rand_len ()))
    | 5 ->
        incr depth;
        Buffer.add_string b
          (match Random.int 8 with
          | 0 -> "@["
          | 1 -> Printf.sprintf "@[<%d>" (Random.int 5)
          | 2 -> Printf.sprintf "@[<v %d>" (Random.int 4)
          | 3 -> Printf.sprintf "@[<hov%d>" (Random.int 4)
          | 4 -> "@[<h>"
          | 5 -> Printf.sprintf "@[<hv %d>" (Random.int 4)
          | 6 -> Printf.sprintf "@[<b %d>" (Random.int 4)
          | _ -> "@[<v>")
    | 6 | 7 -> if !depth > 0 then (decr depth; Buffer.add_string b "@]") else Buffer.add_string b "@,"
    | 8 | 9 -> Buffer.add_string b "@ "
    | 10 -> Buffer.add_string b "@,"
    | 11 -> Buffer.add_string b (Printf.sprintf "@;<%d %d>" (Random.int 4) (Random.int 5 - 1))
    | 12 -> Buffer.add_string b (match Random.int 3 with 0 -> "@;" | 1 -> "@\n" | _ -> "@@")
    | 13 -> Buffer.add_string b (match Random.int 4 with 0 -> "@." | 1 -> "%!" | 2 -> "%%" | _ -> "@?")
    | _ ->
        if !convs > 0 then begin
          decr convs;
          Buffer.add_string b
            (match Random.int 4 with
            | 0 -> Printf.sprintf "%%-%ds" (Random.int 14)
            | 1 -> "%S"
            | 2 -> Printf.sprintf "%%%ds" (Random.int 8)
            | _ -> "%s")
        end
  done;
  for _ = 1 to !convs do Buffer.add_string b " %s" done;
  if Random.bool () then for _ = 1 to !depth do Buffer.add_string b "@]" done;
  Buffer.contents b

let gen_random_fmts () =
  for i = 1 to 90 * scale do
    let n = Random.int 4 in
    let s = rand_fmt n in
    let a () = rand_word (rand_len ()) in
    let name = Printf.sprintf "random_fmt_%03d" i in
    match n with
    | 0 ->
        let f : (string, Format.formatter, unit, string) format4 = Scanf.format_from_string s "" in
        fmt_case name s [] (Format.asprintf f)
    | 1 ->
        let f : (string -> string, Format.formatter, unit, string) format4 =
          Scanf.format_from_string s "%s"
        in
        let x = a () in
        fmt_case name s [ S x ] (Format.asprintf f x)
    | 2 ->
        let f : (string -> string -> string, Format.formatter, unit, string) format4 =
          Scanf.format_from_string s "%s%s"
        in
        let x = a () and y = a () in
        fmt_case name s [ S x; S y ] (Format.asprintf f x y)
    | _ ->
        let f : (string -> string -> string -> string, Format.formatter, unit, string) format4 =
          Scanf.format_from_string s "%s%s%s"
        in
        let x = a () and y = a () and z = a () in
        fmt_case name s [ S x; S y; S z ] (Format.asprintf f x y z)
  done

(* --- the cases of functoria-spec.md section 0 ---------------------------- *)

(* Dot labels of If vertices: Fmt.str "If\n%a" Key.pp_deps, keys joined by ",@ ". *)
let gen_if_labels () =
  let keys = [ "net"; "no-dhcp"; "target"; "ipv4"; "ipv6-only"; "dhcp"; "accept-router-advertisement";
               "interface"; "unix-socket-activation"; "block-size"; "aaa" ] in
  for n = 0 to List.length keys do
    let ks = List.filteri (fun i _ -> i < n) keys in
    let f = ("If\n%a" : (_, Format.formatter, unit, string) format4) in
    let a = List (Any ",@ ", Elt_string, List.map (fun k -> [ k ]) ks) in
    fmt_case (Printf.sprintf "if_label_%02d" n) (string_of_format f) [ A a ] (Format.asprintf f pp_arg a)
  done

(* main.ml prelude: Fmt.pf ppf "%a@.@." Fmt.text prelude. *)
let gen_prelude () =
  List.iter
    (fun os ->
      let prelude =
        Printf.sprintf
          "open Lwt.Infix\ntype 'a io = 'a Lwt.t\nlet return = Lwt.return\nlet run t = %s.Main.run t ; exit 0" os
      in
      let f = ("%a@.@." : (_, Format.formatter, unit, string) format4) in
      fmt_case ("prelude_" ^ os) (string_of_format f) [ A (Text prelude) ]
        (Format.asprintf f pp_arg (Text prelude)))
    [ "Unix_os"; "Solo5_os"; "Xen_os"; "Unikraft_os" ]

(* Engine.emit_connect's Lazy.force block, printed through Fmt.kstr. *)
let gen_lazy_force () =
  let sets =
    [ [ "a__1"; "b__2"; "c__3"; "d__4" ]; [ "unit__11"; "foo__3"; "bar__4"; "struct_end__2" ];
      [ "x__1" ]; []; [ "a__1"; "b__2" ]; [ "a__1"; "b__2"; "c__3" ];
      [ "tcpv4v6_socket__1"; "udpv4v6_socket__2"; "ab__3"; "cd__4"; "e__5"; "f__6"; "gh__7"; "ij__8" ];
      [ "mirage_runtime__74"; "ab__3"; "cdefgh__4"; "ab__5"; "cdefg__6"; "k__7" ];
      [ "n1__1"; "n2__2"; "n3__3"; "n4__4"; "n5__5"; "n6__6"; "n7__7"; "n8__8"; "n9__9" ] ]
  in
  List.iteri
    (fun i names ->
      List.iter
        (fun with_pos ->
          let items = List.map (fun n -> [ n; "_" ^ n ]) names in
          let inits = List (Nop, Elt_fmt2 "  let _%s = Lazy.force %s in@ ", List.map (fun [@warning "-8"] [ n; r ] -> [ r; n ]) items) in
          let binds = List (Nop, Elt_fmt1 "  _%s >>= fun _ ->\n", List.map (fun n -> [ "_" ^ n ]) names) in
          if with_pos then begin
            let f = ("let %s = lazy (\n%a%a# %d %S@.  %s@\n);;" : (_, Format.formatter, unit, string) format4) in
            fmt_case (Printf.sprintf "lazy_force_%d_pos" i) (string_of_format f)
              [ S "main__1"; A inits; A binds; D 12; S "unikernel.ml"; S "Unikernel.start _a _b" ]
              (Format.asprintf f "main__1" pp_arg inits pp_arg binds 12 "unikernel.ml" "Unikernel.start _a _b")
          end
          else begin
            let f = ("let %s = lazy (\n%a%a  %s@\n);;" : (_, Format.formatter, unit, string) format4) in
            fmt_case (Printf.sprintf "lazy_force_%d" i) (string_of_format f)
              [ S "main__1"; A inits; A binds; S "return ()" ]
              (Format.asprintf f "main__1" pp_arg inits pp_arg binds "return ()")
          end)
        [ false; true ])
    sets

(* Device.start code: "@[(%s.start@ %a@ : unit io)@]" with the args joined by Fmt.sp. *)
let gen_start () =
  let sets =
    [ ("Unikernel_make__25", [ "_tcpip_stack_direct_makev4v6__46"; "_static_htdocs__3"; "_mirage_kv_unix__7" ]);
      ("Unikernel", []); ("Unikernel", [ "_a" ]); ("Unikernel__2", [ "_console__1"; "_time__3" ]);
      ("Unikernel_main__9", [ "_stack__8"; "_block__7"; "_kv_ro__6"; "_random__5"; "_pclock__4"; "_mclock__3";
                              "_time__2"; "_http__1"; "_dns_client__11"; "_happy_eyeballs__12" ]);
      ("U", [ String.make 70 'x' ]); ("Unikernel_make__1", [ String.make 40 'y'; String.make 10 'z' ]) ]
  in
  List.iteri
    (fun i (m, args) ->
      let a = List (Sp, Elt_string, List.map (fun x -> [ x ]) args) in
      let f = ("@[(%s.start@ %a@ : unit io)@]" : (_, Format.formatter, unit, string) format4) in
      fmt_case (Printf.sprintf "start_%d" i) (string_of_format f) [ S m; A a ] (Format.asprintf f m pp_arg a))
    sets;
  (* Widths around the margin. *)
  for w = 20 to 60 do
    let args = [ "_" ^ String.make w 'a'; "_" ^ String.make (w / 2) 'b' ] in
    let a = List (Sp, Elt_string, List.map (fun x -> [ x ]) args) in
    let f = ("@[(%s.start@ %a@ : unit io)@]" : (_, Format.formatter, unit, string) format4) in
    fmt_case (Printf.sprintf "start_width_%d" w) (string_of_format f) [ S "Unikernel__1"; A a ]
      (Format.asprintf f "Unikernel__1" pp_arg a)
  done

(* describe: Lib.describe prints "@[<v>%a@]" Info.pp, then "%a\n%!" with the dot graph or nothing,
   on one persistent formatter.  Here Info.pp's show is inlined; keys use Key.pps' vbox. *)
let seq_case name calls result =
  record
    [ ("name", json_string name); ("kind", json_string "seq");
      ("calls", json_list (fun (f, vs) -> Printf.sprintf "{\"fmt\": %s, \"args\": %s}" (json_string f) (json_list value_json vs)) calls);
      ("out", json_string result) ]

let describe_case name app_name keys output dot =
  let b = Buffer.create 256 in
  let ppf = Format.formatter_of_buffer b in
  let calls = ref [] in
  let keys_arg = Vbox (0, List (Any ",@ ", Elt_string, List.map (fun k -> [ k ]) keys)) in
  let f1 = ("@[<v>@[<2>%-10s@ %a@]@,@[<2>%-10s@ %a@]%a@]" : (_, Format.formatter, unit, unit) format4) in
  let output_part =
    match output with
    | None -> List (Nop, Elt_string, [])
    | Some o -> List (Nop, Elt_fmt1 "@,@[<2>Output    @ %s@]", [ [ o ] ])
  in
  Format.fprintf ppf f1 "Name" pp_arg (List (Nop, Elt_string, [ [ app_name ] ])) "Keys" pp_arg keys_arg pp_arg output_part;
  calls := [ (string_of_format f1, [ S "Name"; A (List (Nop, Elt_string, [ [ app_name ] ])); S "Keys"; A keys_arg; A output_part ]) ];
  let f2 = ("%a\n%!" : (_, Format.formatter, unit, unit) format4) in
  (match dot with
  | None ->
      let g = List (Nop, Elt_string, []) in
      Format.fprintf ppf f2 pp_arg g;
      calls := !calls @ [ (string_of_format f2, [ A g ]) ]
  | Some (vertices, edges) ->
      let vs = List (Cut, Elt_string, List.map (fun v -> [ v ]) vertices) in
      let es = List (Cut, Elt_string, List.map (fun v -> [ v ]) edges) in
      let g = ("@[<v2>digraph G {@,ordering=out;@,%a@,@,%a@,}@]\n%!" : (_, Format.formatter, unit, unit) format4) in
      Format.fprintf ppf g pp_arg vs pp_arg es;
      calls := !calls @ [ (string_of_format g, [ A vs; A es ]) ]);
  seq_case name !calls (Buffer.contents b)

let gen_describe () =
  let base = [ "net= (default)"; "no-dhcp=false (default)"; "target=spt"; "utcp=false (default)" ] in
  describe_case "describe_generic" "describe" base None None;
  describe_case "describe_short" "noop" [ "vote=cat (default)"; "warn_error=false (default)" ] None None;
  describe_case "describe_nokeys" "noop" [] None None;
  (* Keys threshold: entries joined by ", " total C columns, around 66/67. *)
  for c = 56 to 80 do
    let first = String.make (c - 25) 'k' in
    let keys = [ first ^ "=1"; "second=abcdefghijklmn" ] in
    (* C = (len first + 2) + 2 + 21 *)
    describe_case (Printf.sprintf "describe_keys_C%d" c) "app" keys None None;
    describe_case (Printf.sprintf "describe_keys1_C%d" c) "app" [ String.make c 'q' ] None None
  done;
  for n = 60 to 72 do
    describe_case (Printf.sprintf "describe_name_%d" n) (String.make n 'n') [ "target=unix" ] None None
  done;
  let vertices =
    [ "1 [label=\"tcpv4v6_socket__1\\nTcpv4v6_socket\\n\", shape=\"box\"];"; "2 [label=\"If\\ntarget\"];";
      "3 [label=\"$\", shape=\"diamond\"];"; "74 [label=\"mirage_runtime__74\\nMirage_runtime\\ntarget\", shape=\"box\"];" ]
  in
  let edges = [ "3 -> 2 [];"; "2 -> 1 [style=\"dotted\", headport=\"n\"];"; "3 -> 74 [style=\"bold\", tailport=\"sw\"];" ] in
  describe_case "describe_dot_stdout" "describe" base (Some "-") (Some (vertices, edges));
  describe_case "describe_dot_noedges" "describe" base (Some "-") (Some (vertices, []));
  describe_case "describe_dot_short" "noop" [ "vote=cat (default)" ] (Some "-") (Some ([ "1 [label=\"x\"];" ], [ "1 -> 1 [];" ]))

(* Directives and conversions written by hand, including malformed break specs. *)
let gen_directives () =
  let no_args =
    [ ("a@;<3>b@;<2 4>c" : (_, Format.formatter, unit, string) format4); "@{<tag>x@}y"; "a@b@"; "@[< v 3 >a@,b@]";
      "@[<hov>a@ b@]"; "x@;<3 >y"; "x@;<a>y"; "x@;< 1 2 >y"; "100%%@%@@"; "@[<v 0>a@\nb@]@?c@.d"; "@[<hv 2>a@ b@]";
      "@[<hv 2>" ^^ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@ bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb@ c@]";
      "@[<b 4>aaaa@ @[<h>bbbb@ cccc@]@ dddd@]"; "@[<2>x@;<1 -2>y@]"; "a%!b@.c%!";
      "@[xx@<3>abcdefgh@ yy@]"; "@[@<70>abc@ yyyyyyyyyy@]"; "@<70>@[abc@ yyyyyyyyyy@]";
      "@[@<2>@<70>abc@ yyyyyyyyyy@]"; "a@<x>b@<5"; "@[<v 2>a@,@[<h>b@ c@]@,@[<hov 1>d@ e@]@]" ]
  in
  List.iteri
    (fun i f -> fmt_case (Printf.sprintf "directive_%02d" i) (string_of_format f) [] (Format.asprintf f))
    no_args;
  let f = ("%5S|%-6d|%x|%X|%o|%c|%B|%+d|% d|%5.2f|%03d|%i" : (_, Format.formatter, unit, string) format4) in
  fmt_case "conversions" (string_of_format f)
    [ S "a"; D 3; D 255; D 255; D 8; C 'z'; B true; D 4; D 5; F 3.14159; D (-7); D 12 ]
    (Format.asprintf f "a" 3 255 255 8 'z' true 4 5 3.14159 (-7) 12);
  let f = ("@[<v 2>head:@,%t@,%a@]" : (_, Format.formatter, unit, string) format4) in
  let t = List (Sp, Elt_string, [ [ "one" ]; [ "two" ] ]) in
  let a = Box (1, List (Any ";@ ", Elt_string, List.init 20 (fun i -> [ Printf.sprintf "item%d" i ]))) in
  fmt_case "closure_and_printer" (string_of_format f) [ T t; A a ] (Format.asprintf f (fun ppf -> pp_arg ppf t) pp_arg a)

let () =
  out "{\"ocaml_version\": ";
  out (json_string Sys.ocaml_version);
  out ", \"cases\": [\n";
  gen_ops ();
  gen_random_fmts ();
  gen_if_labels ();
  gen_prelude ();
  gen_lazy_force ();
  gen_start ();
  gen_describe ();
  gen_directives ();
  out "\n]}\n";
  print_string (Buffer.contents buf)
