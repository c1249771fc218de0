"""Twin of mirage-skeleton device-usage/disk-lottery: a high-score game kept in one sector of a disk."""

from typing import Any

from mirage_nb.unikernel import (
    Arg,
    Cstruct,
    Error,
    Logs,
    Mirage_crypto_rng,
    Mirage_runtime,
    Ok,
    exit,
    local_library,
)

Lotto = local_library(__file__, "lotto")

reset_all = Mirage_runtime.register_arg(
    Arg.value(Arg.flag(Arg.info(["reset-all"], doc="Reset all state on disk and quit")))
)

sector = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.int64, 0, Arg.info(["slot"], doc="Sector to read and write game state to")))
)

reset = Mirage_runtime.register_arg(
    Arg.value(
        Arg.flag(
            Arg.info(["reset"], doc="Reset the state on disk at the specified slot (using --slot, default 0) and quit")
        )
    )
)


class Main:
    """``module Main (Disk : Mirage_block.S)``."""

    def __init__(self, Disk: Any) -> None:
        self.Disk = Disk

    async def write_state(self, disk: Any, info: Any, sector: int, state: Any) -> None:
        buf = Cstruct.create(info.sector_size)
        Lotto.marshal(buf, state)
        match await self.Disk.write(disk, sector, [buf]):
            case Error(e):
                Logs.err("Error writing new state: %a", self.Disk.pp_write_error, e)
                exit(6)

    async def read_state(self, disk: Any, info: Any, sector: int) -> Any:
        buf = Cstruct.create(info.sector_size)
        match await self.Disk.read(disk, sector, [buf]):
            case Error(e):
                Logs.err("Error reading: %a", self.Disk.pp_error, e)
                exit(6)
        match Lotto.unmarshal(buf):
            case Ok(state):
                return state
            case Error(e):
                Logs.err("Error reading state: %s", str(e))
                exit(6)

    async def play(self, disk: Any, info: Any, sector: int) -> None:
        state = await self.read_state(disk, info, sector)
        draw = int.from_bytes(Mirage_crypto_rng.generate(4), "big")
        game, state = Lotto.play(state, draw)
        Logs.app("%a", Lotto.pp_game, game)
        Logs.info("Saving new game state...")
        await self.write_state(disk, info, sector, state)
        Logs.info("Done!")
        Logs.app("Thank you for playing! Exiting...")

    async def reset_game(self, disk: Any, info: Any, sector: int) -> None:
        await self.write_state(disk, info, sector, Lotto.initial_state)

    async def reset_all_games(self, disk: Any, info: Any) -> None:
        for s in range(info.size_sectors):
            await self.reset_game(disk, info, s)

    async def start(self, disk: Any) -> None:
        info = await self.Disk.get_info(disk)
        if info.sector_size < Lotto.length:
            Logs.err("Sector size %d is too short for storing lottery data!", info.sector_size)
            exit(5)
        if sector() < 0 or sector() >= info.size_sectors:
            Logs.err("Invalid sector %Ld", sector())
            exit(5)
        if reset_all():
            await self.reset_all_games(disk, info)
            Logs.app("All %Ld game slots reset.", info.size_sectors)
        elif reset():
            await self.reset_game(disk, info, sector())
            Logs.app("Reset game slot %Ld.", sector())
        else:
            await self.play(disk, info, sector())
