"""Reading an ``xl`` domain configuration (the ``.xl`` file ``mirage configure -t xen`` writes).

The format is ``key = value`` lines, ``#`` comments, values that are
strings (single or double quotes), integers, or lists ``[ 'a', 'b' ]``.
A ``disk`` entry is a comma-separated list of ``key=value`` settings
(``format=raw, vdev=xvdb, access=rw, target=disk.img``); a ``vif`` entry
likewise (``bridge=br0``, ``mac=...``). :func:`parse_xl` gives the
:class:`XlConfig` the domain builder reads; a line it cannot read raises a
:class:`~mirage_nb.errors.ConfigError` naming the file, line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mirage_nb.errors import ConfigError, Location

__all__ = ["XlDisk", "XlVif", "XlConfig", "parse_xl"]

_TOKEN = re.compile(r"\s*(?:(?P<str>'[^']*'|\"[^\"]*\")|(?P<int>-?\d+)|(?P<punct>[\[\],])|(?P<word>[A-Za-z_][\w.]*))")


@dataclass(frozen=True, slots=True)
class XlDisk:
    """One ``disk`` entry: the image (``target``), its virtual device, format and access."""

    target: str
    vdev: str
    format: str = "raw"
    access: str = "rw"

    @property
    def read_write(self) -> bool:
        return self.access in ("rw", "w")


@dataclass(frozen=True, slots=True)
class XlVif:
    """One ``vif`` entry: the bridge it joins in the driver domain, and its MAC if given."""

    bridge: str = "xenbr0"
    mac: str | None = None
    settings: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class XlConfig:
    """What ``xl create`` reads from the file."""

    name: str
    kernel: str
    memory: int
    type: str
    disks: tuple[XlDisk, ...]
    vifs: tuple[XlVif, ...]
    values: dict[str, Any] = field(default_factory=dict)


def _settings(spec: str, where: Location, positional: tuple[str, ...] = ()) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, part in enumerate(p.strip() for p in spec.split(",") if p.strip()):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
        elif i < len(positional):
            out[positional[i]] = part
        else:
            raise ConfigError(f"cannot read {part!r} in {spec!r}: expected key=value", loc=where)
    return out


def parse_xl(text: str, filename: str = "<xl>") -> XlConfig:
    """Read an xl configuration's text into an :class:`XlConfig` (``name`` and ``kernel`` are required)."""
    values: dict[str, Any] = {}
    where: dict[str, Location] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw)
        if not line.strip():
            continue
        m = re.match(r"\s*([A-Za-z_][\w.]*)\s*=\s*", line)
        if m is None:
            raise ConfigError(
                f"cannot read this line: expected key = value, got {raw.strip()!r}",
                loc=Location(filename, lineno, 1),
            )
        key = m.group(1)
        loc = Location(filename, lineno, m.end() + 1)
        values[key] = _value(line[m.end() :], loc)
        where[key] = loc
    for k in ("name", "kernel"):
        if k not in values:
            raise ConfigError(f"{filename}: the domain configuration has no {k} = ... line")
    disks = tuple(_disk(d, where["disk"]) for d in _list(values, "disk"))
    vifs = tuple(_vif(v, where["vif"]) for v in _list(values, "vif"))
    memory = values.get("memory", 128)
    if not isinstance(memory, int) or memory <= 0:
        raise ConfigError(f"memory must be a positive number of MiB, got {memory!r}", loc=where.get("memory"))
    return XlConfig(
        name=str(values["name"]),
        kernel=str(values["kernel"]),
        memory=memory,
        type=str(values.get("type", "pv")),
        disks=disks,
        vifs=vifs,
        values=values,
    )


def _strip_comment(line: str) -> str:
    """The line without its ``#`` comment (a ``#`` inside quotes is not one)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def _list(values: dict[str, Any], key: str) -> list[str]:
    v = values.get(key, [])
    if isinstance(v, str):
        return [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ConfigError(f"{key} must be a list of strings, got {v!r}")
    return v


def _disk(spec: str, loc: Location) -> XlDisk:
    s = _settings(spec, loc, ("target", "format", "vdev", "access"))
    if "target" not in s or "vdev" not in s:
        raise ConfigError(f"disk {spec!r}: expected at least vdev=... and target=...", loc=loc)
    return XlDisk(target=s["target"], vdev=s["vdev"], format=s.get("format", "raw"), access=s.get("access", "rw"))


def _vif(spec: str, loc: Location) -> XlVif:
    s = _settings(spec, loc)
    return XlVif(bridge=s.get("bridge", "xenbr0"), mac=s.get("mac"), settings=tuple(sorted(s.items())))


def _value(src: str, loc: Location) -> Any:
    toks: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(src.rstrip()):
        m = _TOKEN.match(src, pos)
        if m is None or m.end() == pos:
            raise ConfigError(
                f"cannot read the value {src.strip()!r}",
                loc=Location(loc.file, loc.line, loc.column + pos),
            )
        kind = m.lastgroup or ""
        toks.append((kind, m.group(kind), loc.column + m.start(kind)))
        pos = m.end()

    def atom(t: tuple[str, str, int]) -> Any:
        kind, text, col = t
        if kind == "str":
            return text[1:-1]
        if kind == "int":
            return int(text)
        if kind == "word":
            return text
        raise ConfigError(f"unexpected {text!r}", loc=Location(loc.file, loc.line, col))

    if not toks:
        raise ConfigError("a value is missing after =", loc=loc)
    if toks[0][1] != "[":
        if len(toks) != 1:
            raise ConfigError(f"one value expected, got {src.strip()!r}", loc=loc)
        return atom(toks[0])
    if toks[-1][1] != "]":
        raise ConfigError("a list must end with ]", loc=Location(loc.file, loc.line, toks[-1][2]))
    items = []
    expect_item = True
    for t in toks[1:-1]:
        if t[1] == ",":
            if expect_item:
                raise ConfigError("an item is missing before ,", loc=Location(loc.file, loc.line, t[2]))
            expect_item = True
        else:
            if not expect_item:
                raise ConfigError("a , is missing between items", loc=Location(loc.file, loc.line, t[2]))
            items.append(atom(t))
            expect_item = False
    return items
