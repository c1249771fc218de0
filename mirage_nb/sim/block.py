"""Block devices (twin of ``Mirage_block.S``) over a file or over memory.

A block device is an array of 512-byte sectors. ``read``/``write`` take a
start sector and a list of buffers whose lengths are multiples of the sector
size; errors come back as values (``Error(Is_read_only())``,
``Error(Msg("read: End_of_file at file disk.img offset ..."))``) exactly
where mirage-block-unix returns them, including the debug log lines it
writes on its ``mirage-block-unix`` source. Buffers are ``bytearray`` (or a
``memoryview`` of one): reads fill them in place, as Cstruct buffers are.

I/O takes no virtual time (the promise is already resolved): a deliberate
simplification.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from mirage_nb.errors import SimulationError
from mirage_nb.sim.lwt import Promise, return_
from mirage_nb.sim.result import Error, Msg, Ok

__all__ = [
    "Info",
    "Disconnected",
    "Is_read_only",
    "BlockDevice",
    "MemBlock",
    "FileBlock",
    "Mirage_block",
    "BlockModule",
    "SECTOR_SIZE",
]

SECTOR_SIZE = 512


@dataclass(frozen=True, slots=True)
class Info:
    """Twin of ``Mirage_block.info``."""

    read_write: bool
    sector_size: int
    size_sectors: int


@dataclass(frozen=True, slots=True)
class Disconnected:
    """Twin of ``` `Disconnected ```."""

    def __str__(self) -> str:
        return "Device is disconnected"


@dataclass(frozen=True, slots=True)
class Is_read_only:
    """Twin of ``` `Is_read_only ```."""

    def __str__(self) -> str:
        return "attempted to write to a read-only disk"


def _pp_info(ppf: Any, info: Info) -> None:
    ppf.fprintf(
        "@[<2>{ @[Mirage_block.read_write =@ %B@];@ @[sector_size =@ %d@];@ @[size_sectors =@ %LdL@]@ }@]",
        info.read_write,
        info.sector_size,
        info.size_sectors,
    )


def _pp_error(ppf: Any, e: Any) -> None:
    ppf.string(str(e))


class Mirage_block:
    """Twin of the ``Mirage_block`` module: ``info``, ``pp_info``, ``pp_error``, ``pp_write_error``."""

    info = Info
    pp_info = staticmethod(_pp_info)
    pp_error = staticmethod(_pp_error)
    pp_write_error = staticmethod(_pp_error)
    Disconnected = Disconnected
    Is_read_only = Is_read_only


class BlockDevice:
    """A connected block device; subclasses provide the storage (``_pread``/``_pwrite``)."""

    log_source = "mirage-block-unix"

    def __init__(self, name: str, size_sectors: int, read_write: bool, sector_size: int = SECTOR_SIZE) -> None:
        self.name = name
        self.info = Info(read_write, sector_size, size_sectors)
        self.connected = True
        self.reads = 0
        self.writes = 0

    def _pread(self, offset: int, n: int) -> bytes:
        raise NotImplementedError

    def _pwrite(self, offset: int, data: bytes) -> None:
        raise NotImplementedError

    def _debug(self, msg: str) -> None:
        from mirage_nb.sim.logs import Logs, Src

        Logs.debug("%s", msg, src=Src(self.log_source, "Mirage BLOCK interface for Unix"))

    def _fatal(self, msg: str) -> Error[Msg]:
        self._debug(msg)
        return Error(Msg(msg))

    def _check_lengths(self, op: str, buffers: list[Any]) -> Error[Msg] | None:
        # mirage-block-unix checks buffer lengths before anything else (lwt_wrap_exn).
        ss = self.info.sector_size
        for b in buffers:
            if len(b) % ss:
                return self._fatal(
                    f"{op}: buffer length ({len(b)}) is not a multiple of sector_size ({ss}) for file {self.name}"
                )
        return None

    def _check(self, op: str, sector: int, buffers: list[Any]) -> tuple[int, Error[Any] | None]:
        ss = self.info.sector_size
        offset = sector * ss

        def describe() -> str:
            if not buffers:
                return ""
            return "with buffers of length [ " + ", ".join(str(len(b)) for b in buffers) + " ]"

        total = sum(len(b) for b in buffers)
        nsect = (total + ss - 1) // ss
        if sector < 0 or sector + nsect > self.info.size_sectors:
            self._debug(
                f"{op} beyond end of file: sector_start ({sector}) + len ({nsect}) > "
                f"size_sectors ({self.info.size_sectors})"
            )
            return offset, self._fatal(f"{op}: End_of_file at file {self.name} offset {offset} {describe()}")
        return offset, None

    def get_info(self) -> Promise[Info]:
        return return_(self.info)

    def read(self, sector: int, buffers: list[Any]) -> Promise[Any]:
        """Fill ``buffers`` from ``sector`` on; ``Ok(None)`` or an error value."""
        buffers = _as_list(buffers)
        err = self._check_lengths("read", buffers)
        if err is not None:
            return return_(err)
        if not self.connected:
            return return_(Error(Disconnected()))
        offset, err = self._check("read", sector, buffers)
        if err is not None:
            return return_(err)
        for b in buffers:
            data = self._pread(offset, len(b))
            b[: len(b)] = data
            offset += len(b)
        self.reads += 1
        return return_(Ok(None))

    def write(self, sector: int, buffers: list[Any]) -> Promise[Any]:
        """Write ``buffers`` from ``sector`` on; ``Ok(None)`` or an error value."""
        buffers = _as_list(buffers)
        err = self._check_lengths("write", buffers)
        if err is not None:
            return return_(err)
        if not self.connected:
            return return_(Error(Disconnected()))
        if not self.info.read_write:
            return return_(Error(Is_read_only()))
        offset, err = self._check("write", sector, buffers)
        if err is not None:
            return return_(err)
        for b in buffers:
            self._pwrite(offset, bytes(b))
            offset += len(b)
        self.writes += 1
        return return_(Ok(None))

    def disconnect(self) -> Promise[None]:
        self.connected = False
        return return_(None)


def _as_list(buffers: Any) -> list[Any]:
    if isinstance(buffers, bytes | bytearray | memoryview):
        raise SimulationError("read/write take a list of buffers, e.g. [buf], not a single buffer")
    return list(buffers)


class MemBlock(BlockDevice):
    """A block device over a bytearray (contents are lost at the end of the run unless you keep it)."""

    def __init__(
        self,
        name: str = "mem",
        size_sectors: int = 2048,
        *,
        data: bytes | bytearray | None = None,
        read_write: bool = True,
        sector_size: int = SECTOR_SIZE,
    ) -> None:
        if data is None:
            data = bytearray(size_sectors * sector_size)
        if len(data) % sector_size:
            raise SimulationError(
                f"block device {name}: {len(data)} bytes is not a whole number of {sector_size}-byte sectors"
            )
        self.data = data if isinstance(data, bytearray) else bytearray(data)
        super().__init__(name, len(self.data) // sector_size, read_write, sector_size)

    def _pread(self, offset: int, n: int) -> bytes:
        return bytes(self.data[offset : offset + n])

    def _pwrite(self, offset: int, data: bytes) -> None:
        self.data[offset : offset + len(data)] = data


class FileBlock(BlockDevice):
    """A block device over a file, as ``block_of_file`` on unix: changes persist across runs."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        read_write: bool = True,
        sector_size: int = SECTOR_SIZE,
    ) -> None:
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise SimulationError(
                f"block_of_file: the disk image {self.path} does not exist "
                f"(create it, e.g. `dd if=/dev/zero of={os.path.basename(self.path)} count=8`)"
            )
        size = os.path.getsize(self.path)
        super().__init__(name or os.path.basename(self.path), size // sector_size, read_write, sector_size)

    def _pread(self, offset: int, n: int) -> bytes:
        with open(self.path, "rb") as f:
            f.seek(offset)
            return f.read(n).ljust(n, b"\0")

    def _pwrite(self, offset: int, data: bytes) -> None:
        with open(self.path, "r+b") as f:
            f.seek(offset)
            f.write(data)


class BlockModule:
    """The module a functor receives for a block argument (``B : Mirage_block.S``): functions over a device."""

    pp_error = staticmethod(_pp_error)
    pp_write_error = staticmethod(_pp_error)

    def __init__(self, name: str = "Block") -> None:
        self.name = name

    @staticmethod
    def get_info(t: BlockDevice) -> Promise[Info]:
        return t.get_info()

    @staticmethod
    def read(t: BlockDevice, sector: int, buffers: list[Any]) -> Promise[Any]:
        return t.read(sector, buffers)

    @staticmethod
    def write(t: BlockDevice, sector: int, buffers: list[Any]) -> Promise[Any]:
        return t.write(sector, buffers)

    @staticmethod
    def disconnect(t: BlockDevice) -> Promise[None]:
        return t.disconnect()

    def __repr__(self) -> str:
        return f"<module {self.name} : Mirage_block.S>"
