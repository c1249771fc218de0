"""Block and key-value devices against their documented behaviour and error values."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mirage_nb.errors import SimulationError
from mirage_nb.sim.block import Disconnected, FileBlock, Info, Is_read_only, MemBlock
from mirage_nb.sim.chamelon import Chamelon, ChamelonKv, format_device
from mirage_nb.sim.kv import (
    DICTIONARY,
    VALUE,
    Already_present,
    CrunchKv,
    Dictionary_expected,
    DirectKv,
    Key,
    MemKv,
    No_space,
    Not_found,
    Rename_source_prefix,
    Value_expected,
)
from mirage_nb.sim.lwt import Promise
from mirage_nb.sim.result import Error, Msg, Ok
from mirage_nb.sim.run import Run


def now(p: Promise[Any]) -> Any:
    """Device calls complete at once: read the value of the (resolved) promise."""
    assert p._st == 1, p
    return p._val


def in_run(f: Any) -> Any:
    out: list[Any] = []

    async def main() -> None:
        out.append(f())

    r = Run().run(main)
    assert r.exit_code == 0, r
    return out[0]


# -- block -----------------------------------------------------------------------


def test_block_info_read_write_roundtrip() -> None:
    b = MemBlock("mem", 16)
    assert now(b.get_info()) == Info(read_write=True, sector_size=512, size_sectors=16)
    data = bytearray(b"x" * 512 + b"y" * 512)
    assert now(b.write(3, [data])) == Ok(None)
    buf = bytearray(1024)
    assert now(b.read(3, [memoryview(buf)[:512], memoryview(buf)[512:]])) == Ok(None)
    assert buf == data


def test_block_out_of_range_errors_as_mirage_block_unix_reports_them() -> None:
    b = MemBlock("disk.img", 8)
    r = in_run(lambda: now(b.read(8, [bytearray(512)])))
    assert r == Error(Msg("read: End_of_file at file disk.img offset 4096 with buffers of length [ 512 ]"))
    r = in_run(lambda: now(b.write(7, [bytearray(1024)])))
    assert r == Error(Msg("write: End_of_file at file disk.img offset 3584 with buffers of length [ 1024 ]"))
    r = in_run(lambda: now(b.read(0, [bytearray(100)])))
    assert r == Error(Msg("read: buffer length (100) is not a multiple of sector_size (512) for file disk.img"))
    assert in_run(lambda: now(b.read(-1, [bytearray(512)]))).is_ok is False


def test_block_read_only_and_disconnected() -> None:
    b = MemBlock("ro", 4, read_write=False)
    assert now(b.write(0, [bytearray(512)])) == Error(Is_read_only())
    assert str(Is_read_only()) == "attempted to write to a read-only disk"
    assert now(b.read(0, [bytearray(512)])) == Ok(None)
    now(b.disconnect())
    assert now(b.read(0, [bytearray(512)])) == Error(Disconnected())
    with pytest.raises(SimulationError, match="list of buffers"):
        b.read(0, bytearray(512))  # type: ignore[arg-type]


def test_file_block_persists_between_devices(tmp_path: Path) -> None:
    img = tmp_path / "disk.img"
    img.write_bytes(bytes(8 * 512))
    a = FileBlock(img)
    assert a.info.size_sectors == 8
    now(a.write(2, [bytearray(b"z" * 512)]))
    buf = bytearray(512)
    now(FileBlock(img).read(2, [buf]))
    assert bytes(buf) == b"z" * 512
    with pytest.raises(SimulationError, match="does not exist"):
        FileBlock(tmp_path / "missing.img")


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(-2, 10), st.integers(1, 3), st.binary(min_size=1, max_size=1)), max_size=20))
def test_block_behaves_like_a_byte_array(ops: list[tuple[int, int, bytes]]) -> None:
    b = MemBlock("m", 8)
    model = bytearray(8 * 512)
    for sector, n, fill in ops:
        r = in_run(lambda sector=sector, n=n, fill=fill: now(b.write(sector, [bytearray(fill * (512 * n))])))
        if 0 <= sector and sector + n <= 8:
            assert r == Ok(None)
            model[sector * 512 : (sector + n) * 512] = fill * (512 * n)
        else:
            assert isinstance(r, Error)
    buf = bytearray(8 * 512)
    now(b.read(0, [buf]))
    assert buf == model


# -- kv_ro -----------------------------------------------------------------------


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    (tmp_path / "secret").write_bytes(b"foo\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x").write_bytes(b"\x00\xffbin")
    return tmp_path


@pytest.mark.parametrize("kind", [CrunchKv, DirectKv])
def test_kv_ro_reads_and_errors(tree: Path, kind: Any) -> None:
    kv = kind(tree)
    assert now(kv.get(Key.v("secret"))) == Ok("foo\n")
    assert now(kv.get("/d/x")) == Ok("\x00\xffbin")
    assert now(kv.get_partial("secret", 1, 10)) == Ok("oo\n")
    assert now(kv.size("d/x")) == Ok(5)
    assert now(kv.exists("d")) == Ok(DICTIONARY) and now(kv.exists("nope")) == Ok(None)
    assert now(kv.exists("secret")) == Ok(VALUE)
    assert now(kv.list(Key.empty)) == Ok([(Key.v("d"), DICTIONARY), (Key.v("secret"), VALUE)])
    assert now(kv.get("d")) == Error(Value_expected(Key.v("d")))
    assert now(kv.list("secret")) == Error(Dictionary_expected(Key.v("secret")))
    assert now(kv.get("missing")) == Error(Not_found(Key.v("missing")))
    assert str(Not_found(Key.v("a/b"))) == "Cannot find the key /a/b"
    assert str(Value_expected(Key.v("d"))) == "Expecting a value for the key /d"
    assert len(now(kv.digest("secret")).value) == 32
    assert isinstance(now(kv.last_modified("secret")), Ok)


def test_crunch_is_a_snapshot_direct_is_live(tree: Path) -> None:
    crunch, direct = CrunchKv(tree), DirectKv(tree)
    (tree / "secret").write_bytes(b"changed")
    (tree / "new").write_bytes(b"n")
    assert now(crunch.get("secret")) == Ok("foo\n") and now(crunch.get("new")) == Error(Not_found(Key.v("new")))
    assert now(direct.get("secret")) == Ok("changed") and now(direct.get("new")) == Ok("n")


def test_keys() -> None:
    k = Key.v("/a//b/")
    assert k.segments == ("a", "b") and str(k) == "/a/b" and k / "c" == Key.v("a/b/c")
    assert k.parent() == Key.v("a") and k.basename() == "b"
    with pytest.raises(SimulationError):
        k.add("x/y")


# -- kv_rw -----------------------------------------------------------------------


def rw_ops(kv: Any) -> list[Any]:
    out = [
        now(kv.set("/a/b", "hello")),
        now(kv.get("/a/b")),
        now(kv.list("/a")),
        now(kv.set("/a", "x")),
        now(kv.set("/a/b/c", "x")),
        now(kv.set_partial("/a/b", 7, "!")),
        now(kv.get("/a/b")),
        now(kv.rename("/a", "/a/z")),
        now(kv.rename("/a", "/q")),
        now(kv.get("/q/b")),
        now(kv.allocate("/q/b", 3)),
        now(kv.allocate("/n", 3)),
        now(kv.get("/n")),
        now(kv.remove("/q")),
        now(kv.get("/q/b")),
        now(kv.remove("/q")),
    ]
    return out


EXPECTED_RW = [
    Ok(None),
    Ok("hello"),
    Ok([(Key.v("a/b"), VALUE)]),
    Error(Value_expected(Key.v("a"))),
    Error(Dictionary_expected(Key.v("a/b"))),
    Ok(None),
    Ok("hello\x00\x00!"),
    Error(Rename_source_prefix(Key.v("a"), Key.v("a/z"))),
    Ok(None),
    Ok("hello\x00\x00!"),
    Error(Already_present(Key.v("q/b"))),
    Ok(None),
    Ok("\x00\x00\x00"),
    Ok(None),
    Error(Not_found(Key.v("q/b"))),
    Error(Not_found(Key.v("q"))),
]


def test_mem_kv_rw_operations() -> None:
    assert in_run(lambda: rw_ops(MemKv())) == EXPECTED_RW


def _formatted(n: int = 64) -> MemBlock:
    b = MemBlock("littlefs", n)
    format_device(b)
    return b


def test_chamelon_same_semantics_as_memory_and_survives_remount() -> None:
    expected = EXPECTED_RW
    block = _formatted()

    def go() -> Any:
        fs = ChamelonKv(block, 16)
        assert fs.mount() is None
        ops = rw_ops(fs)
        now(fs.set("/keep/me", "data" * 300))
        again = ChamelonKv(block, 16)
        assert again.mount() is None
        return ops, now(again.get("/keep/me")), now(again.list("/")), again.revision

    ops, kept, listing, rev = in_run(go)
    assert ops == expected
    assert kept == Ok("data" * 300)
    assert listing == Ok([(Key.v("keep"), DICTIONARY), (Key.v("n"), VALUE)])
    assert rev > 5


def test_chamelon_layout_superblock_pair_and_copy_on_write() -> None:
    block = _formatted(16)

    def go() -> Any:
        fs = ChamelonKv(block, 16)
        fs.mount()
        now(fs.set("/f", "v1"))
        before = bytes(block.data)
        # corrupt the newest superblock copy: the previous tree must come back
        newest = fs.revision % 2
        block.data[newest * 512 + 5] ^= 0xFF
        old = ChamelonKv(block, 16)
        assert old.mount() is None
        return before[:4], before[512:516], now(old.get("/f")), old.revision

    magic0, magic1, got, rev = in_run(go)
    assert magic0 == b"MNBC" or magic1 == b"MNBC"
    assert got == Error(Not_found(Key.v("f"))) and rev == 1


def test_chamelon_no_space_changes_nothing() -> None:
    block = _formatted(6)

    def go() -> Any:
        fs = ChamelonKv(block, 16)
        fs.mount()
        r1 = now(fs.set("/small", "s"))
        snapshot = bytes(block.data)
        r2 = now(fs.set("/big", "x" * 5000))
        return r1, r2, bytes(block.data) == snapshot, now(fs.get("/small"))

    r1, r2, unchanged, small = in_run(go)
    assert r1 == Ok(None) and r2 == Error(No_space()) and unchanged and small == Ok("s")


def test_chamelon_refuses_an_unformatted_disk() -> None:
    async def main() -> None:
        await Chamelon.connect(MemBlock("blank", 16))

    r = Run().run(main)
    assert r.exit_code == 2 and "not formatted" in r.output


def test_kv_values_are_byte_strings() -> None:
    kv = MemKv()
    in_run(lambda: now(kv.set("b", b"\xff\x00")))
    assert now(kv.get("b")) == Ok("\xff\x00")
    with pytest.raises(SimulationError, match="byte strings"):
        in_run(lambda: kv.set("u", "€"))


def test_os_is_untouched_by_crunch(tree: Path) -> None:
    before = sorted(os.listdir(tree))
    CrunchKv(tree)
    assert sorted(os.listdir(tree)) == before


_paths = st.sampled_from(["/a", "/b", "/a/x", "/a/y", "/b/z/w", "/c"])
_ops = st.lists(
    st.one_of(
        st.tuples(st.just("set"), _paths, st.text(alphabet="abc\x00\xff", max_size=700)),
        st.tuples(st.just("remove"), _paths),
        st.tuples(st.just("rename"), _paths, _paths),
        st.tuples(st.just("get"), _paths),
        st.tuples(st.just("list"), _paths),
        st.tuples(st.just("partial"), _paths, st.integers(0, 600), st.text(alphabet="xy", max_size=30)),
    ),
    max_size=25,
)


def _apply(kv: Any, op: tuple[Any, ...]) -> Any:
    match op:
        case ("set", k, v):
            return now(kv.set(k, v))
        case ("remove", k):
            return now(kv.remove(k))
        case ("rename", a, b):
            return now(kv.rename(a, b))
        case ("get", k):
            return now(kv.get(k))
        case ("list", k):
            return now(kv.list(k))
        case ("partial", k, off, v):
            return now(kv.set_partial(k, off, v))


@settings(max_examples=40, deadline=None)
@given(_ops)
# A directory renamed onto its own parent: its entries are taken before the parent is replaced.
@example([("set", "/b/z/w", ""), ("rename", "/b", "/a/x"), ("rename", "/a/x", "/a")])
def test_chamelon_on_disk_agrees_with_the_memory_store_and_remounts(ops: list[tuple[Any, ...]]) -> None:
    def go() -> Any:
        block = _formatted(128)
        fs = ChamelonKv(block, 16)
        fs.mount()
        mem = MemKv()
        for op in ops:
            a, b = _apply(mem, op), _apply(fs, op)
            assert a == b, (op, a, b)
        remounted = ChamelonKv(block, 16)
        assert remounted.mount() is None
        for p in ["/a", "/b", "/a/x", "/a/y", "/b/z/w", "/c", "/b/z"]:
            assert now(remounted.get(p)) == now(mem.get(p)), p
        return True

    assert in_run(go)
