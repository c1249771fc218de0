"""What a configured application knows about itself (twin of ``Functoria.Info``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from . import keys as K
from .package import Package, merge_all
from .runtime_arg import RuntimeArg

__all__ = ["Info", "describe_text"]


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

    def with_output(self, output: str | None) -> Info:
        return replace(self, output=output)


def _show(label: str, body_lines: list[str], flat_len: int) -> list[str]:
    """``@[<2>%-10s@ %a@]`` where ``%a`` is a vertical box of ``body_lines``.

    The break after the label stays a space when the body, laid flat, fits:
    Format breaks when its size reaches the space left (78 - 11 = 67).
    """
    head = f"{label:<10}"
    if flat_len < 67:
        first = f"{head} {body_lines[0]}" if body_lines else f"{head} "
        return [first] + [" " * 11 + line for line in body_lines[1:]]
    return [head] + ["  " + line for line in body_lines]


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


def describe_text(info: Info) -> str:
    """``Info.pp false``: the Name, Keys (and Output) rows, without a final newline."""
    rows = _show("Name", [info.name], len(info.name))
    entries = key_entries(info)
    body = [e + ("," if i < len(entries) - 1 else "") for i, e in enumerate(entries)]
    flat = sum(len(e) for e in entries) + 2 * max(len(entries) - 1, 0)
    rows += _show("Keys", body, flat)
    if info.output is not None:
        rows += _show("Output", [info.output], len(info.output))
    return "\n".join(rows)
