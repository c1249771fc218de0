"""The xenstore daemon's logic: a tree of keys with permissions, transactions and watches.

Pure: :class:`Store` is the tree; :class:`Xenstored` answers
:class:`~.xs_wire.Message` s from connected domains and queues what each
connection must receive (replies and watch events). Moving bytes through the
shared ring pages is the job of :mod:`.host`.

* **Paths** are ``/``-separated; a relative path is relative to the
  connection's home, ``/local/domain/<domid>``. Writing a key creates its
  missing parents (empty).
* **Permissions** are a list such as ``n0 r1``: the first entry names the
  owner and what every domain not listed may do (``n`` none, ``r`` read,
  ``w`` write, ``b`` both); later entries grant a domain more. Domain 0
  and a node's owner may do anything. A new node takes its parent's
  permissions, owned by its creator when that is not domain 0.
* **Transactions** work on a snapshot of the tree taken at
  ``XS_TRANSACTION_START``; at ``XS_TRANSACTION_END`` the changes are
  applied only if no node the transaction looked at or changed has been
  modified meanwhile; otherwise the reply is ``EAGAIN`` and the caller
  starts again.
* **Watches** fire once when set, then whenever their node or a node below
  it is written or removed (also ``@introduceDomain`` and ``@releaseDomain``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from mirage_nb.sim.xen.xs_wire import Message, Op, strings

__all__ = ["XsError", "Node", "Store", "Connection", "Xenstored", "parse_perms", "format_perms"]

_PERM = {"n": (False, False), "r": (True, False), "w": (False, True), "b": (True, True)}


class XsError(Exception):
    """A request the daemon refuses; ``code`` is the errno name sent back (``ENOENT``, ``EAGAIN``...)."""

    def __init__(self, code: str, what: str = "") -> None:
        super().__init__(f"{code}: {what}" if what else code)
        self.code = code


Perms = tuple[tuple[str, int], ...]


def parse_perms(items: list[str]) -> Perms:
    """``["n0", "r1"]`` to ``(("n", 0), ("r", 1))``."""
    out = []
    for it in items:
        if len(it) < 2 or it[0] not in _PERM or not it[1:].isdigit():
            raise XsError("EINVAL", f"bad permission {it!r}")
        out.append((it[0], int(it[1:])))
    if not out:
        raise XsError("EINVAL", "empty permission list")
    return tuple(out)


def format_perms(perms: Perms) -> list[str]:
    return [f"{p}{d}" for p, d in perms]


@dataclass(frozen=True, slots=True)
class Node:
    """One key: its value, its permissions and its children's names (immutable: changes make new nodes)."""

    value: bytes = b""
    perms: Perms = (("n", 0),)
    children: tuple[str, ...] = ()


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


def _name(path: str) -> str:
    return path.rsplit("/", 1)[1]


def _valid(path: str) -> bool:
    if path == "/" or path.startswith("@"):
        return True
    return path.startswith("/") and not path.endswith("/") and "//" not in path and "\0" not in path


@dataclass
class Store:
    """The tree, as a map from absolute path to node, and each path's last-modified generation."""

    nodes: dict[str, Node] = field(default_factory=lambda: {"/": Node()})
    generation: int = 0
    modified: dict[str, int] = field(default_factory=dict)

    def copy(self) -> Store:
        return Store(dict(self.nodes), self.generation, dict(self.modified))

    def _touch(self, path: str) -> None:
        self.generation += 1
        self.modified[path] = self.generation

    def can(self, domid: int, path: str, write: bool) -> bool:
        if domid == 0:
            return True
        node = self.nodes[path]
        owner = node.perms[0][1]
        if owner == domid:
            return True
        allowed = node.perms[0][0]
        for p, d in node.perms[1:]:
            if d == domid:
                allowed = p
        r, w = _PERM[allowed]
        return w if write else r

    def read(self, domid: int, path: str) -> bytes:
        node = self.nodes.get(path)
        if node is None:
            raise XsError("ENOENT", path)
        if not self.can(domid, path, False):
            raise XsError("EACCES", path)
        return node.value

    def directory(self, domid: int, path: str) -> tuple[str, ...]:
        node = self.nodes.get(path)
        if node is None:
            raise XsError("ENOENT", path)
        if not self.can(domid, path, False):
            raise XsError("EACCES", path)
        return node.children

    def write(self, domid: int, path: str, value: bytes) -> list[str]:
        """Set ``path`` (making missing parents); the paths created or changed, for the watches."""
        changed = self._make(domid, path)
        if not self.can(domid, path, True):
            raise XsError("EACCES", path)
        self.nodes[path] = replace(self.nodes[path], value=value)
        self._touch(path)
        return changed if path in changed else [*changed, path]

    def mkdir(self, domid: int, path: str) -> list[str]:
        return self._make(domid, path)

    def _make(self, domid: int, path: str) -> list[str]:
        if path in self.nodes:
            return []
        parent = _parent(path)
        made = self._make(domid, parent) if parent not in self.nodes else []
        if not self.can(domid, parent, True):
            raise XsError("EACCES", path)
        pnode = self.nodes[parent]
        perms = pnode.perms if domid == 0 else ((pnode.perms[0][0], domid), *pnode.perms[1:])
        self.nodes[path] = Node(b"", perms, ())
        self.nodes[parent] = replace(pnode, children=(*pnode.children, _name(path)))
        self._touch(path)
        self._touch(parent)
        return [*made, path]

    def rm(self, domid: int, path: str) -> list[str]:
        if path not in self.nodes:
            raise XsError("ENOENT", path)
        if path == "/":
            raise XsError("EINVAL", "cannot remove /")
        if not self.can(domid, path, True):
            raise XsError("EACCES", path)
        gone = [p for p in self.nodes if p == path or p.startswith(path + "/")]
        for p in gone:
            del self.nodes[p]
            self._touch(p)
        parent = _parent(path)
        pnode = self.nodes[parent]
        self.nodes[parent] = replace(pnode, children=tuple(c for c in pnode.children if c != _name(path)))
        self._touch(parent)
        return gone

    def get_perms(self, domid: int, path: str) -> Perms:
        if path not in self.nodes:
            raise XsError("ENOENT", path)
        if not self.can(domid, path, False):
            raise XsError("EACCES", path)
        return self.nodes[path].perms

    def set_perms(self, domid: int, path: str, perms: Perms) -> list[str]:
        if path not in self.nodes:
            raise XsError("ENOENT", path)
        node = self.nodes[path]
        if domid != 0 and node.perms[0][1] != domid:
            raise XsError("EACCES", path)
        self.nodes[path] = replace(node, perms=perms)
        self._touch(path)
        return [path]


@dataclass
class Transaction:
    """An open transaction: its snapshot, when it began, what it looked at and its changes to replay."""

    tid: int
    start_gen: int
    view: Store
    touched: set[str] = field(default_factory=set)
    ops: list[tuple[str, str, object]] = field(default_factory=list)


@dataclass
class Connection:
    """One domain's link to the daemon: its watches, transactions and the messages waiting to go out."""

    domid: int
    watches: list[tuple[str, str]] = field(default_factory=list)
    transactions: dict[int, Transaction] = field(default_factory=dict)
    outbox: list[Message] = field(default_factory=list)

    @property
    def home(self) -> str:
        return f"/local/domain/{self.domid}"


class Xenstored:
    """The daemon: answers each connection's messages against one :class:`Store`.

    ``on_introduce(domid, mfn, port)`` is called when domain 0 introduces a
    domain (the driver maps its page and binds its port, then :meth:`connect`).
    """

    def __init__(self, on_introduce: Callable[[int, int, int], None] | None = None) -> None:
        self.store = Store()
        self.connections: dict[int, Connection] = {}
        self.introduced: set[int] = set()
        self.on_introduce = on_introduce
        self._next_tid = 1
        self.trace: list[tuple[int, str, str]] = []  # (domid, request, reply), for a learner to read
        for p in ("/local", "/local/domain", "/tool"):
            self.store.mkdir(0, p)

    def connect(self, domid: int) -> Connection:
        c = self.connections.get(domid)
        if c is None:
            c = self.connections[domid] = Connection(domid)
        return c

    def _abs(self, conn: Connection, path: str) -> str:
        if not path:
            raise XsError("EINVAL", "empty path")
        p = path if path.startswith(("/", "@")) else f"{conn.home}/{path}"
        if not _valid(p):
            raise XsError("EINVAL", path)
        return p

    def handle(self, domid: int, msg: Message) -> Message:
        """Answer one request from ``domid``; watch events it causes go to the connections' outboxes."""
        conn = self.connect(domid)
        try:
            reply = self._dispatch(conn, msg)
        except XsError as e:
            reply = Message(Op.ERROR, msg.req_id, msg.tx_id, strings(e.code))
        self.trace.append((domid, str(msg), str(reply)))
        conn.outbox.append(reply)
        return reply

    def _view(self, conn: Connection, tx_id: int) -> tuple[Store, Transaction | None]:
        if tx_id == 0:
            return self.store, None
        t = conn.transactions.get(tx_id)
        if t is None:
            raise XsError("ENOENT", f"transaction {tx_id}")
        return t.view, t

    def _dispatch(self, conn: Connection, msg: Message) -> Message:
        args = msg.strings
        op = msg.op
        ok = Message(Op(op) if op in Op._value2member_map_ else op, msg.req_id, msg.tx_id, strings("OK"))

        def answer(payload: bytes) -> Message:
            return Message(msg.op, msg.req_id, msg.tx_id, payload)

        def need(n: int) -> None:
            if len(args) < n:
                raise XsError("EINVAL", f"{msg.op_name} needs {n} arguments")

        store, tx = self._view(conn, msg.tx_id)
        match op:
            case Op.READ:
                need(1)
                p = self._abs(conn, args[0])
                if tx:
                    tx.touched.add(p)
                return answer(store.read(conn.domid, p))
            case Op.DIRECTORY:
                need(1)
                p = self._abs(conn, args[0])
                if tx:
                    tx.touched.add(p)
                return answer(strings(*store.directory(conn.domid, p)))
            case Op.GET_PERMS:
                need(1)
                p = self._abs(conn, args[0])
                return answer(strings(*format_perms(store.get_perms(conn.domid, p))))
            case Op.WRITE:
                # path\0value: the value is everything after the first nul, not nul-terminated
                path, _, value = msg.payload.partition(b"\0")
                p = self._abs(conn, path.decode())
                return self._change(conn, tx, ok, "write", p, value)
            case Op.MKDIR:
                need(1)
                return self._change(conn, tx, ok, "mkdir", self._abs(conn, args[0]), None)
            case Op.RM:
                need(1)
                return self._change(conn, tx, ok, "rm", self._abs(conn, args[0]), None)
            case Op.SET_PERMS:
                need(2)
                return self._change(conn, tx, ok, "set_perms", self._abs(conn, args[0]), parse_perms(args[1:]))
            case Op.WATCH:
                need(2)
                wpath, token = args[0], args[1]
                self._abs(conn, wpath)
                conn.watches.append((wpath, token))
                conn.outbox.append(Message(Op.WATCH_EVENT, 0, 0, strings(wpath, token)))
                return ok
            case Op.UNWATCH:
                need(2)
                if (args[0], args[1]) not in conn.watches:
                    raise XsError("ENOENT", f"watch {args[0]} {args[1]}")
                conn.watches.remove((args[0], args[1]))
                return ok
            case Op.TRANSACTION_START:
                if msg.tx_id:
                    raise XsError("EBUSY", "nested transaction")
                tid = self._next_tid
                self._next_tid += 1
                conn.transactions[tid] = Transaction(tid, self.store.generation, self.store.copy())
                return answer(strings(str(tid)))
            case Op.TRANSACTION_END:
                need(1)
                t = conn.transactions.pop(msg.tx_id, None)
                if t is None:
                    raise XsError("ENOENT", f"transaction {msg.tx_id}")
                if args[0] == "T":
                    self._commit(conn, t)
                return ok
            case Op.INTRODUCE:
                need(3)
                if conn.domid != 0:
                    raise XsError("EACCES", "only domain 0 introduces domains")
                domid, mfn, port = (int(a) for a in args[:3])
                if domid in self.introduced:
                    raise XsError("EEXIST", f"domain {domid}")
                self.introduced.add(domid)
                if self.on_introduce is not None:
                    self.on_introduce(domid, mfn, port)
                self.connect(domid)
                self._fire("@introduceDomain")
                return ok
            case Op.RELEASE:
                need(1)
                if conn.domid != 0:
                    raise XsError("EACCES", "only domain 0 releases domains")
                d = int(args[0])
                self.introduced.discard(d)
                self.connections.pop(d, None)
                self._fire("@releaseDomain")
                return ok
            case Op.IS_DOMAIN_INTRODUCED:
                need(1)
                return answer(strings("T" if int(args[0]) in self.introduced or args[0] == "0" else "F"))
            case Op.GET_DOMAIN_PATH:
                need(1)
                return answer(strings(f"/local/domain/{int(args[0])}"))
        raise XsError("ENOSYS", msg.op_name)

    def _change(self, conn: Connection, tx: Transaction | None, ok: Message, what: str, p: str, arg: object) -> Message:
        store = tx.view if tx else self.store
        changed = self._apply(store, conn.domid, what, p, arg)
        if tx:
            tx.touched.update([p, *changed])
            tx.ops.append((what, p, arg))
        else:
            for c in changed:
                self._fire(c)
        return ok

    @staticmethod
    def _apply(store: Store, domid: int, what: str, p: str, arg: object) -> list[str]:
        if what == "write":
            assert isinstance(arg, bytes)
            return store.write(domid, p, arg)
        if what == "mkdir":
            return store.mkdir(domid, p)
        if what == "rm":
            return store.rm(domid, p)
        assert isinstance(arg, tuple)
        return store.set_perms(domid, p, arg)

    def _commit(self, conn: Connection, t: Transaction) -> None:
        for p in sorted(t.touched):
            if self.store.modified.get(p, 0) > t.start_gen:
                raise XsError("EAGAIN", f"{p} changed during transaction {t.tid}")
        changed: list[str] = []
        for what, p, arg in t.ops:
            changed += self._apply(self.store, conn.domid, what, p, arg)
        for c in dict.fromkeys(changed):
            self._fire(c)

    def _fire(self, path: str) -> None:
        """Queue a watch event to every watch on ``path`` or on an ancestor of it."""
        for conn in self.connections.values():
            for wpath, token in conn.watches:
                full = wpath if wpath.startswith(("/", "@")) else f"{conn.home}/{wpath}"
                if path == full or (full != "/" and path.startswith(full + "/")) or full == "/":
                    shown = path if wpath.startswith(("/", "@")) else path[len(conn.home) + 1 :]
                    conn.outbox.append(Message(Op.WATCH_EVENT, 0, 0, strings(shown, token)))

    def ls(self, path: str = "/", depth: int = 99) -> str:
        """The tree below ``path`` as ``xenstore-ls -p`` shows it: indented keys, values and permissions."""
        lines: list[str] = []

        def walk(p: str, indent: int) -> None:
            node = self.store.nodes[p]
            for c in node.children:
                cp = f"{p.rstrip('/')}/{c}"
                cn = self.store.nodes[cp]
                v = cn.value.decode("utf-8", "replace")
                perms = ",".join(format_perms(cn.perms))
                lines.append(f'{" " * indent}{c} = "{v}"  ({perms})')
                if indent // 1 < depth:
                    walk(cp, indent + 1)

        if path not in self.store.nodes:
            raise XsError("ENOENT", path)
        walk(path, 0)
        return "\n".join(lines)
