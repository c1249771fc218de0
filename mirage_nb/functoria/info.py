"""What a configured application knows about itself (twin of ``Functoria.Info``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import keys as K
from .fmt import Formatter, fprintf
from .package import Package, merge_all
from .runtime_arg import RuntimeArg

__all__ = ["Info", "describe_text", "pp_info", "pp_rows"]


@dataclass(frozen=True)
class Info:
    """Name, config file, keys and their context, runtime args, packages, output.

    Every device hook receives an ``Info`` (no ambient globals, STYLE §3.6).
    """

    name: str
    config_file: str = "config.ml"
    project_name: str = "mirage"
    output: str | None = None
    keys: tuple[K.Key, ...] = ()
    runtime_args: tuple[RuntimeArg, ...] = ()
    context: K.Context = field(default_factory=K.Context)
    package_list: tuple[Package, ...] = ()
    local_libs: tuple[str, ...] = ()
    # Tool-specific extras (e.g. the command line, for opam's x-mirage-configure).
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def packages(self) -> list[Package]:
        """Packages merged by name, sorted by name (``Info.packages``)."""
        return list(merge_all(self.package_list).values())

    def libraries(self) -> list[str]:
        libs: set[str] = set()
        for p in self.packages:
            if not p.build:
                libs |= p.libs
        return sorted(libs) + list(self.local_libs)

    def get(self, key: K.Key) -> Any:
        return self.context.get(key)

    @property
    def main(self) -> str:
        """The generated main file: ``main.ml``, or ``<output>.ml``."""
        return f"{self.output or 'main'}.ml"


def key_entries(info: Info) -> list[str]:
    """``Key.pps``: ``name=value``, with `` (default)`` when the context does not set it."""
    out = []
    for k in info.keys:
        v = info.context.get(k)
        if k.arg.kind == "required" and v is None:
            out.append(k.name)
            continue
        dflt = "" if info.context.mem(k) else " (default)"
        out.append(f"{k.name}={k.arg.print(v)}{dflt}")
    return out


def pp_info(ppf: Formatter, info: Info) -> None:
    """``Info.pp false`` inside ``@[<v>...@]``: the name, the key entries and the output (see :func:`pp_rows`)."""
    pp_rows(ppf, info.name, key_entries(info), info.output)


def pp_rows(ppf: Formatter, name: str, entries: Sequence[str], output: str | None) -> None:
    """The rows of ``Info.pp false``: ``@[<2>%-10s@ %a@]`` separated by cuts, in a vertical box.

    Printed through the Format port, so where the Keys row breaks (after
    ``Keys`` when the entries laid flat reach the margin, spec §4.1) is
    decided by the same algorithm as in OCaml.
    """

    def keys_box(ppf: Formatter) -> None:
        ppf.open_box("v", 0)
        for i, e in enumerate(entries):
            if i:
                ppf.string(",")
                ppf.space()
            ppf.string(e)
        ppf.close_box()

    def row(label: str, body: Callable[[Formatter], None], last: bool) -> None:
        fprintf(ppf, "@[<2>%-10s@ %t@]", label, body)
        if not last:
            ppf.cut()

    ppf.open_box("v", 0)
    row("Name", lambda p: p.string(name), False)
    row("Keys", keys_box, output is None)
    if output is not None:
        out = output
        row("Output", lambda p: p.string(out), True)
    ppf.close_box()


def describe_text(info: Info) -> str:
    """The Name, Keys (and Output) rows of ``mirage describe``, without a final newline."""
    ppf = Formatter()
    pp_info(ppf, info)
    return ppf.contents()
