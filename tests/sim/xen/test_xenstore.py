"""xenstore: the wire format, the tree and its permissions, transactions that conflict, watches that fire."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mirage_nb.sim.xen.xenstore import Xenstored
from mirage_nb.sim.xen.xs_wire import HEADER, ByteRing, Message, MessageReader, Op, strings, xenstore_rings


def req(xs: Xenstored, domid: int, op: Op, *args: str, tx: int = 0, raw: bytes | None = None) -> Message:
    return xs.handle(domid, Message(op, 7, tx, raw if raw is not None else strings(*args)))


def events(xs: Xenstored, domid: int) -> list[list[str]]:
    c = xs.connections[domid]
    out = [m.strings for m in c.outbox if m.op == Op.WATCH_EVENT]
    c.outbox.clear()
    return out


def test_header_is_four_little_endian_words():
    m = Message(Op.READ, 3, 0, strings("/a"))
    assert m.to_bytes() == bytes.fromhex("02000000030000000000000003000000") + b"/a\0"
    assert HEADER.size == 16


@given(st.lists(st.tuples(st.sampled_from(list(Op)), st.binary(max_size=40)), max_size=8), st.data())
def test_reader_reassembles_messages_split_anywhere(msgs, data):
    stream = b"".join(Message(op, i, 0, p).to_bytes() for i, (op, p) in enumerate(msgs))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    reader = MessageReader()
    got = []
    prev = 0
    for c in [*cuts, len(stream)]:
        got += reader.feed(stream[prev:c])
        prev = c
    assert [(m.op, m.req_id, m.payload) for m in got] == [(op, i, p) for i, (op, p) in enumerate(msgs)]


@given(st.lists(st.binary(min_size=1, max_size=700), max_size=12))
def test_byte_ring_carries_a_stream_across_the_wrap(chunks):
    page = bytearray(4096)
    req, _ = xenstore_rings(page)
    peer = ByteRing(page, 0, 1024, 2048, 2052)
    sent = b"".join(chunks)
    out = bytearray()
    pos = 0
    while pos < len(sent):
        pos += req.write(sent[pos : pos + 300])
        out += peer.read()
    assert bytes(out) == sent


def test_read_write_directory_rm_and_errors():
    xs = Xenstored()
    assert req(xs, 0, Op.WRITE, raw=b"/local/domain/3/name\0web").payload == b"OK\0"
    assert req(xs, 0, Op.READ, "/local/domain/3/name").payload == b"web"
    assert req(xs, 0, Op.DIRECTORY, "/local/domain").strings == ["3"]
    assert req(xs, 0, Op.READ, "/nope").strings == ["ENOENT"]
    assert req(xs, 0, Op.RM, "/local/domain/3").payload == b"OK\0"
    assert req(xs, 0, Op.DIRECTORY, "/local/domain").strings == []
    assert req(xs, 0, Op.GET_DOMAIN_PATH, "4").strings == ["/local/domain/4"]


def test_relative_paths_and_permissions():
    xs = Xenstored()
    req(xs, 0, Op.MKDIR, "/local/domain/3")
    req(xs, 0, Op.SET_PERMS, "/local/domain/3", "n3")
    req(xs, 0, Op.MKDIR, "/local/domain/4")
    # domain 3 owns its home: a relative path lands there
    assert req(xs, 3, Op.WRITE, raw=b"data/x\0one").payload == b"OK\0"
    assert req(xs, 0, Op.READ, "/local/domain/3/data/x").payload == b"one"
    assert req(xs, 4, Op.READ, "/local/domain/3/data/x").strings == ["EACCES"]
    req(xs, 3, Op.SET_PERMS, "data/x", "n3", "r4")
    assert req(xs, 4, Op.READ, "/local/domain/3/data/x").payload == b"one"
    assert req(xs, 4, Op.WRITE, raw=b"/local/domain/3/data/x\0two").strings == ["EACCES"]
    assert req(xs, 3, Op.GET_PERMS, "data/x").strings == ["n3", "r4"]
    assert req(xs, 4, Op.INTRODUCE, "9", "1", "1").strings == ["EACCES"]


def test_transactions_conflict_with_eagain_and_disjoint_ones_commit():
    xs = Xenstored()
    req(xs, 0, Op.WRITE, raw=b"/counter\x000")
    t1 = int(req(xs, 0, Op.TRANSACTION_START, "").strings[0])
    t2 = int(req(xs, 0, Op.TRANSACTION_START, "").strings[0])
    assert req(xs, 0, Op.READ, "/counter", tx=t1).payload == b"0"
    assert req(xs, 0, Op.READ, "/counter", tx=t2).payload == b"0"
    req(xs, 0, Op.WRITE, tx=t1, raw=b"/counter\x001")
    req(xs, 0, Op.WRITE, tx=t2, raw=b"/counter\x001")
    assert req(xs, 0, Op.READ, "/counter").payload == b"0"  # nothing visible before the end
    assert req(xs, 0, Op.TRANSACTION_END, "T", tx=t1).payload == b"OK\0"
    assert req(xs, 0, Op.TRANSACTION_END, "T", tx=t2).strings == ["EAGAIN"]
    assert req(xs, 0, Op.READ, "/counter").payload == b"1"
    t3 = int(req(xs, 0, Op.TRANSACTION_START, "").strings[0])
    req(xs, 0, Op.WRITE, tx=t3, raw=b"/a\0x")
    req(xs, 0, Op.WRITE, raw=b"/b\0y")  # an unrelated path changes meanwhile
    assert req(xs, 0, Op.TRANSACTION_END, "T", tx=t3).payload == b"OK\0"
    t4 = int(req(xs, 0, Op.TRANSACTION_START, "").strings[0])
    req(xs, 0, Op.WRITE, tx=t4, raw=b"/a\0z")
    assert req(xs, 0, Op.TRANSACTION_END, "F", tx=t4).payload == b"OK\0"  # abort
    assert req(xs, 0, Op.READ, "/a").payload == b"x"


def test_watches_fire_when_set_on_writes_below_and_on_removal():
    xs = Xenstored()
    req(xs, 0, Op.MKDIR, "/local/domain/3")
    req(xs, 3, Op.WATCH, "/local/domain/3", "tok")
    assert events(xs, 3) == [["/local/domain/3", "tok"]]
    req(xs, 0, Op.WRITE, raw=b"/local/domain/3/state\x004")
    assert events(xs, 3) == [["/local/domain/3/state", "tok"]]
    req(xs, 0, Op.WRITE, raw=b"/local/domain/4\0x")
    assert events(xs, 3) == []
    t = int(req(xs, 0, Op.TRANSACTION_START, "").strings[0])
    req(xs, 0, Op.WRITE, tx=t, raw=b"/local/domain/3/state\x005")
    assert events(xs, 3) == []  # not before the commit
    req(xs, 0, Op.TRANSACTION_END, "T", tx=t)
    assert events(xs, 3) == [["/local/domain/3/state", "tok"]]
    req(xs, 0, Op.RM, "/local/domain/3")
    assert ["/local/domain/3/state", "tok"] in events(xs, 3)
    req(xs, 3, Op.WATCH, "@introduceDomain", "intro")
    events(xs, 3)
    req(xs, 0, Op.INTRODUCE, "9", "1", "1")
    assert events(xs, 3) == [["@introduceDomain", "intro"]]
    req(xs, 3, Op.UNWATCH, "@introduceDomain", "intro")
    req(xs, 0, Op.INTRODUCE, "10", "1", "1")
    assert events(xs, 3) == []
