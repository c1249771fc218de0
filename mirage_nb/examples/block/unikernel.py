"""Twin of mirage-skeleton device-usage/block: write patterns at both ends of a disk, read them back.

Writes and reads past the end must fail; the summary counts started, passed
and failed tests. It needs a disk image (the real Makefile makes one with
``dd if=/dev/zero of=disk.img count=100000``).
"""

from typing import Any

from mirage_nb.unikernel import Cstruct, Error, Logs, Mirage_block, Ok, Printf, exit


class Main:
    """``module Main (B : Mirage_block.S)``."""

    log_src = Logs.Src.create("block", doc="block tester")
    Log = Logs.src_log(log_src)

    def __init__(self, B: Any) -> None:
        self.B = B
        self.tests_started = 0
        self.tests_passed = 0
        self.tests_failed = 0

    def check_equal(self, a: Any, b: Any) -> None:
        if not Cstruct.equal(a, b):
            self.Log.warn("Buffers unequal: %S vs %S", Cstruct.to_string(a), Cstruct.to_string(b))

    @staticmethod
    def fill_with_pattern(x: Any, phrase: str) -> None:
        assert len(phrase) > 0
        while Cstruct.length(x) > 0:
            n = min(len(phrase), Cstruct.length(x))
            Cstruct.blit_from_string(phrase, 0, x, 0, n)
            x = Cstruct.shift(x, n)

    def alloc_dull_boy(self, sector_size: int, n: int) -> list[Any]:
        b = Cstruct.create_unsafe(n * sector_size)
        sectors = []
        for i in range(n):
            sector = Cstruct.sub(b, i * sector_size, sector_size)
            self.fill_with_pattern(sector, f"{i}: All work and no play makes Dave a dull boy.\n")
            sectors.append(sector)
        return sectors

    async def check_sector_write(self, b: Any, offset: int, length: int) -> None:
        self.Log.debug("writing %d sector(s) at %Ld\n", length, offset)
        self.tests_started += 1
        info = await self.B.get_info(b)
        sectors = self.alloc_dull_boy(info.sector_size, length)
        match await self.B.write(b, offset, sectors):
            case Error(e):
                self.Log.err("%a", self.B.pp_write_error, e)
                exit(2)
        buf = Cstruct.create(length * info.sector_size)
        sectors2 = [Cstruct.sub(buf, i * info.sector_size, info.sector_size) for i in range(length)]
        match await self.B.read(b, offset, sectors2):
            case Error(e):
                self.Log.err("%a", self.B.pp_error, e)
                exit(2)
        for x, y in zip(sectors, sectors2, strict=True):
            self.check_equal(x, y)
        self.tests_passed += 1

    async def check_sector_write_failure(self, b: Any, offset: int, length: int) -> None:
        self.Log.debug("writing %d sectors at %Ld\n", length, offset)
        self.tests_started += 1
        info = await self.B.get_info(b)
        sectors = self.alloc_dull_boy(info.sector_size, length)
        self.Log.debug("Expecting error output from the following operation...")
        match await self.B.write(b, offset, sectors):
            case Ok(_):
                self.Log.err("-- expected failure; got success\n%!")
                self.tests_failed += 1
            case Error(_):
                self.tests_passed += 1

    async def check_sector_read_failure(self, b: Any, offset: int, length: int) -> None:
        Printf.printf("reading %d sectors at %Ld\n%!", length, offset)
        self.tests_started += 1
        info = await self.B.get_info(b)
        sectors = [Cstruct.create(length * info.sector_size)]
        self.Log.debug("Expecting error output from the following operation...")
        match await self.B.read(b, offset, sectors):
            case Ok(_):
                self.Log.err("-- expected failure; got success\n%!")
                self.tests_failed += 1
            case Error(_):
                self.tests_passed += 1

    async def start(self, b: Any) -> None:
        info = await self.B.get_info(b)
        self.Log.info("%a", Mirage_block.pp_info, info)
        n = info.size_sectors
        await self.check_sector_write(b, 0, 1)
        await self.check_sector_write(b, n - 1, 1)
        await self.check_sector_write(b, 0, 2)
        await self.check_sector_write(b, n - 2, 2)
        await self.check_sector_write(b, 0, 12)
        await self.check_sector_write(b, n - 12, 12)
        await self.check_sector_write_failure(b, n, 1)
        await self.check_sector_write_failure(b, n - 11, 12)
        await self.check_sector_read_failure(b, n, 1)
        await self.check_sector_read_failure(b, n - 11, 12)
        self.Log.info("Test sequence finished")
        self.Log.info("Total tests started: %d", self.tests_started)
        self.Log.info("Total tests passed:  %d", self.tests_passed)
        self.Log.info("Total tests failed:  %d", self.tests_failed)
