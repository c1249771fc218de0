"""The game and its on-disk state (twin of lotto.ml): "LOTO" || uint32 hiscore || uint32 crc32, big-endian."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from mirage_nb.unikernel import Cstruct, Error, Msg, Ok


@dataclass(frozen=True)
class State:
    hiscore: int  # an unsigned 32-bit number


initial_state = State(0)


@dataclass(frozen=True)
class New_hiscore:
    hiscore: int
    old_hiscore: int


@dataclass(frozen=True)
class Tie:
    hiscore: int


@dataclass(frozen=True)
class Loss:
    loser: int
    hiscore: int


def pp_game(ppf: Any, game: Any) -> None:
    match game:
        case New_hiscore(hiscore, old):
            ppf.fprintf("YOU WON! You beat the old high score %lu with %lu!", old, hiscore)
        case Tie(hiscore):
            ppf.fprintf("TIE! You tied with the high score %lu", hiscore)
        case Loss(loser, hiscore):
            ppf.fprintf("YOU LOST! With %lu you didn't beat the high score %lu", loser, hiscore)


def play(state: State, draw: int) -> tuple[Any, State]:
    draw &= 0xFFFFFFFF
    if draw == state.hiscore:
        return Tie(draw), state
    if draw > state.hiscore:  # Int32.unsigned_compare
        return New_hiscore(draw, state.hiscore), State(draw)
    return Loss(draw, state.hiscore), state


magic = "LOTO"
magic_len = 4
hiscore_offset = 4
crc_offset = 8
length = 12


def _digest(buf: Any) -> int:
    return zlib.crc32(bytes(buf)) & 0xFFFFFFFF  # checkseum's Crc32 is the IEEE CRC-32


def marshal(buf: Any, state: State) -> None:
    if Cstruct.length(buf) < length:
        raise ValueError("Lotto.marshal")
    Cstruct.blit_from_string(magic, 0, buf, 0, magic_len)
    Cstruct.set_uint32_be(buf, hiscore_offset, state.hiscore)
    Cstruct.set_uint32_be(buf, crc_offset, _digest(Cstruct.sub(buf, 0, magic_len + 4)))
    Cstruct.memset(Cstruct.shift(buf, length), 0)


def unmarshal(buf: Any) -> Any:
    if Cstruct.length(buf) < length:
        raise ValueError("Lotto.unmarshal")
    if Cstruct.to_string(buf, off=0, len=magic_len) != magic:
        return Error(Msg("bad magic; is this lottery data?"))
    if Cstruct.get_uint32_be(buf, crc_offset) != _digest(Cstruct.sub(buf, 0, magic_len + 4)):
        return Error(Msg("bad checksum; possible data corruption"))
    return Ok(State(Cstruct.get_uint32_be(buf, hiscore_offset)))
