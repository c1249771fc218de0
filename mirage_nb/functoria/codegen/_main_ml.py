"""The generated ``main.ml``: prelude, runtime-argument registrations, functor applications, connects.

The text goes through :mod:`mirage_nb.functoria.fmt` with the same format
strings functoria uses, because its layout depends on ``Format``'s rules: a
``Lazy.force`` line joins the previous one when both fit in 78 columns, the
last break before a flush becomes a newline (``exit`` / ``0`` in the
prelude), and a raw newline does not reset the column count.

Line directives (``# 31 "mirage/main.ml"``) say which line comes next, so
the generator keeps count of the lines written so far, as functoria does.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Any

from ..fmt import Formatter, fprintf, pp_list, pp_nop, pp_text, sprintf
from ..graph import Node, connect_order
from ..info import Info
from ..runtime_arg import RuntimeArg
from ..vfs import VirtualFS
from ._text import parent_dir

__all__ = [
    "main_path",
    "directive_path",
    "write_main",
    "write_runtime_args",
    "runtime_args_text",
    "prelude_text",
    "emit_connect",
]


def main_path(info: Info) -> str:
    """Where main.ml lives, relative to the working directory: ``<config dir>/mirage/main.ml``."""
    return posixpath.normpath(posixpath.join(parent_dir(info.config_file), info.project_name, info.main))


def directive_path(info: Info) -> str:
    """The file name the line directives give for main.ml (``Fpath.normalize`` of the same path)."""
    return main_path(info)


def _count_lines(text: str) -> int:
    return text.count("\n")


def _pp_pos(ppf: Formatter, pos: tuple[str, int] | None) -> None:
    # "# %d %S@." : the directive, then a flush that ends the line.
    if pos is not None:
        fprintf(ppf, "# %d %S@.", pos[1], pos[0])


def runtime_args_text(args: Sequence[RuntimeArg], runtime_modname: str) -> str:
    """The ``register_arg`` blocks the ``struct end`` device appends (``Job.Args.configure``)."""

    def serialize(ppf: Formatter, arg: RuntimeArg) -> None:
        fprintf(
            ppf,
            "let %s__key = %s.register_arg @@@@\n%a  @[<v2>%s@]\n;;\n",
            arg.var_name,
            runtime_modname,
            _pp_pos,
            (arg.file, arg.line),
            arg.code,
        )

    ppf = Formatter()
    # Fmt.iter's default separator is a cut: after the flush of each
    # directive it is the last pending break, so it always becomes a newline.
    fprintf(ppf, "@[<v>%a@]@.", pp_list(lambda p, _v: p.cut(), serialize), list(args))
    return ppf.contents()


def write_runtime_args(info: Info, fs: VirtualFS, runtime_modname: str) -> None:
    """Configure hook of functoria's ``runtime_args`` job: append the registrations to main.ml.

    ``fs`` is the view the device hooks get (rooted at the project directory,
    where main.ml is ``info.main``).
    """
    fs.append(info.main, runtime_args_text(info.runtime_args, runtime_modname))


def _module_expression(node: Node) -> str:
    return node.dev.module_name + "".join(f"({a.impl_name})" for a in node.args)


def prelude_text(prelude: str) -> str:
    """The top of main.ml: the tool's prelude printed with ``%a@.@.`` (``Fmt.text``)."""
    ppf = Formatter()
    fprintf(ppf, "%a@.@.", pp_text, prelude)
    return ppf.contents()


def emit_connect(var_name: str, names: Sequence[str], rargs: Sequence[RuntimeArg], code: Any) -> str:
    """One ``let x = lazy (...);;`` block of main.ml (``Engine.emit_connect``)."""
    rnames = ["_" + n for n in names]

    def meta_init(ppf: Formatter, pair: tuple[str, str]) -> None:
        connect_name, result_name = pair
        fprintf(ppf, "  let _%s = Lazy.force %s in@ ", result_name, connect_name)

    def bind(ppf: Formatter, name: str) -> None:
        fprintf(ppf, "  _%s >>= fun %s ->\n", name, name)

    def bind_key(ppf: Formatter, k: RuntimeArg) -> None:
        fprintf(ppf, "  let _%s = %s in\n", k.var_name, f"({k.var_name}__key ())")

    pos = None if code.pos is None else (code.pos[0], code.pos[1])
    return sprintf(
        "let %s = lazy (\n%a%a%a%a  %s@\n);;",
        var_name,
        pp_list(pp_nop, meta_init),
        list(zip(names, rnames, strict=True)),
        pp_list(pp_nop, bind),
        rnames,
        pp_list(pp_nop, bind_key),
        list(rargs),
        _pp_pos,
        pos,
        code.code,
    )


class _Main:
    """main.ml being appended to, with its line count (functoria's ``Engine.main`` record)."""

    def __init__(self, info: Info, fs: VirtualFS) -> None:
        self.fs = fs
        self.path = main_path(info)
        self.directive = directive_path(info)
        self.lines = _count_lines(fs.read(self.path))

    def append(self, text: str) -> None:
        self.lines += _count_lines(text) + 1
        self.fs.append(self.path, text + "\n")

    def reset_pos(self) -> None:
        self.append(sprintf("%a", _pp_pos, (self.directive, self.lines + 2)))


def write_main(
    info: Info,
    graph: Node,
    init: Sequence[Node],
    prelude: str,
    fs: VirtualFS,
    hooks_fs: VirtualFS,
) -> None:
    """Write main.ml: prelude, then the configure pass, the connect pass and the final ``run``.

    ``fs`` is rooted at the working directory; ``hooks_fs`` is the view the
    devices' configure hooks write through (the project directory).
    """
    path = main_path(info)
    fs.write(path, prelude_text(prelude))
    order = list(connect_order(graph))
    # Configure pass: each device's hook, then its functor application.
    for v in order:
        if v.dev.configure is not None:
            v.dev.configure(info, hooks_fs)
        if v.args:
            m = _Main(info, fs)
            m.reset_pos()
            m.append(f"module {v.impl_name} = {_module_expression(v)}\n")
    # Connect pass.
    m = _Main(info, fs)
    for v in order:
        names = [n.var_name for n in v.args + v.deps]
        rargs = list(v.dev.runtime_args)
        call_names = ["_" + n for n in names] + ["_" + k.var_name for k in rargs]
        code = v.dev.connect(info, v.impl_name, call_names)
        m.append(emit_connect(v.var_name, names, rargs, code))
        m.reset_pos()
    forces = "".join(f"Lazy.force {n.var_name} >>= fun _ ->\n  " for n in init)
    m.append(f"let () =\n  let t = {forces}Lazy.force {graph.var_name} in\n  run t\n;;")
