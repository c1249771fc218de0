"""Twin of the ``hxd`` library's xxd-style printer (``Hxd_string.pp Hxd.default``).

Each line is ``OFFSET: hhhh hhhh ...  ascii`` with 16 bytes per line in
groups of 2, the hex part padded to a fixed width, and ends with a Format
cut (``@,``), as hxd emits it: inside a box the cut may become a line break.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Hxd", "Hxd_string", "Ohex", "Xxd"]


@dataclass(frozen=True)
class Xxd:
    """The xxd configuration: columns, group size, upper-case hex."""

    cols: int = 16
    groupsize: int = 2
    uppercase: bool = False


class Hxd:
    """``Hxd.default`` and ``Hxd.xxd``."""

    default = Xxd()

    @staticmethod
    def xxd(cols: int = 16, groupsize: int = 2, uppercase: bool = False) -> Xxd:
        return Xxd(cols, groupsize, uppercase)


def _line(cfg: Xxd, offset: int, chunk: bytes) -> str:
    hexfmt = "{:02X}" if cfg.uppercase else "{:02x}"
    out = [("{:08X}" if cfg.uppercase else "{:08x}").format(offset) + ":"]
    hexpart = []
    for i, b in enumerate(chunk):
        if i % cfg.groupsize == 0:
            hexpart.append(" ")
        hexpart.append(hexfmt.format(b))
    width = sum(1 for i in range(cfg.cols) if i % cfg.groupsize == 0) + 2 * cfg.cols + 2
    out.append("".join(hexpart).ljust(width))
    out.append("".join(chr(b) if 32 <= b <= 126 else "." for b in chunk))
    return "".join(out)


class Hxd_string:
    """``Hxd_string.pp cfg``: a printer for ``%a`` over a string."""

    @staticmethod
    def pp(cfg: Xxd) -> Any:
        def pp(ppf: Any, s: str | bytes) -> None:
            data = s.encode("latin-1") if isinstance(s, str) else bytes(s)
            for off in range(0, len(data), cfg.cols):
                ppf.string(_line(cfg, off, data[off : off + cfg.cols]))
                ppf.brk(0, 0)

        return pp


def _printable(b: int) -> str:
    return chr(b) if 32 <= b <= 126 else "."


class Ohex:
    """Twin of the ``ohex`` library's ``pp_hexdump``: rows of 16 bytes, offsets, then the printable chars."""

    @staticmethod
    def pp_hexdump(row_numbers: bool = True, chars: bool = True) -> Any:
        def pp(ppf: Any, s: str | bytes) -> None:
            data = s.encode("latin-1") if isinstance(s, str) else bytes(s)
            for idx, b in enumerate(data):
                if idx % 16 == 0 and row_numbers:
                    ppf.fprintf("%06x  ", idx)
                ppf.fprintf("%02x", b)
                if idx % 2 == 1:
                    ppf.string(" ")
                if idx % 8 == 7:
                    ppf.string(" ")
                if idx % 16 == 15 and chars:
                    for c in data[idx - 15 : idx + 1]:
                        ppf.string(_printable(c))
                if idx % 16 == 15:
                    ppf.string("\n")
            if chars:
                rem = len(data) % 16
                pad = 0 if rem == 0 else 16 - rem
                if pad > 0:
                    ppf.string(" " * (pad * 2 + (pad + 1) // 2 + (1 if pad > 8 else 0) + 1))
                for c in data[len(data) - rem :]:
                    ppf.string(_printable(c))
            if len(data) % 16:
                ppf.string("\n")

        return pp
