"""The ``text/plain`` of every view: what ``mirage describe`` would print, never a memory address.

This text is also what an untrusted notebook, a terminal IPython and nbval
see, so it carries the whole story in words (and says how to see the graph).
"""

from __future__ import annotations

import re

from ._views import (
    AppView,
    FallbackView,
    FilesView,
    ImplView,
    KeyRow,
    KeyView,
    RunResultView,
    TypView,
    View,
)

__all__ = ["text_of", "format_ns"]

_VERTEX = re.compile(r"^\s*\d+ \[", re.M)


def format_ns(ns: int) -> str:
    """A virtual time as seconds with nanoseconds: ``1.000000000s``."""
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    return f"{sign}{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}s"


def _keys(rows: tuple[KeyRow, ...]) -> list[str]:
    return [f"  {r.name}={r.value}{' (default)' if r.is_default else ''}" for r in rows]


def _problems(ps: tuple[str, ...]) -> list[str]:
    return [f"! {p}" for p in ps]


def text_of(v: View, *, graph_note: bool = True) -> str:
    """The plain-text display of a view.

    ``graph_note`` False leaves out an application's "[device graph: ...]"
    line: the HTML display draws the graph, so it has no use for the note.
    """
    match v:
        case AppView():
            lines = [v.describe.rstrip("\n")]
            lines += _problems(v.problems)
            if v.dot is not None and graph_note:
                n = len(_VERTEX.findall(v.dot))
                lines.append(f"[device graph: {n} vertices; run the cell in a trusted notebook to draw it]")
            return "\n".join(lines)
        case ImplView():
            head = f"{v.kind} {v.module_name} : {v.module_type}"
            if v.applied:
                head += f"  (applied to {v.applied} argument{'s' if v.applied > 1 else ''})"
            lines = [head]
            if v.doc:
                lines.append(f"  {v.doc}")
            if v.keys:
                lines.append("keys:")
                lines += _keys(v.keys)
            lines.append(f"graph: {v.devices} device{'s' if v.devices != 1 else ''}")
            lines += _problems(v.problems)
            return "\n".join(lines)
        case TypView():
            if v.params:
                n = len(v.params)
                return f"module type {v.ocaml}  (a functor of {n} argument{'s' if n > 1 else ''}, giving {v.result})"
            return f"module type {v.ocaml}"
        case KeyView():
            r = v.row
            lines = [f"key {r.name} = {r.value!s}{' (default)' if r.is_default else ''}", f"  options: {r.options}"]
            if v.alternatives:
                lines.append(f"  values: {', '.join(v.alternatives)}")
            if r.doc:
                lines.append(f"  {r.doc}")
            if v.env:
                lines.append(f"  environment: {v.env}")
            return "\n".join(lines)
        case FilesView():
            lines = [f"{v.title}: {len(v.files)} file{'s' if len(v.files) != 1 else ''}"]
            lines += [f"  {f.path} ({len(f.text.splitlines())} lines)" for f in v.files]
            return "\n".join(lines)
        case RunResultView():
            lines = [text for _t, _s, text in v.console]
            code = "-" if v.exit_code is None else str(v.exit_code)
            lines.append(f"[{v.stopped} at {format_ns(v.end_ns)}, exit {code}: {v.note}]")
            return "\n".join(lines)
        case FallbackView():
            return f"<{v.title}: {v.message}>"
    return f"<{type(v).__name__}>"
