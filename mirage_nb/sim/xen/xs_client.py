"""A domain's xenstore client: requests written to its ring page, replies and watch events read back.

This is what a guest's xenbus driver (and each daemon's libxenstore) does:
serialise a :class:`~.xs_wire.Message` into the request ring, notify the
xenstore domain, and resolve the waiting request when the reply with its
``req_id`` comes back. Watch events call the callback registered with the
watch's token. :meth:`XsClient.transaction` retries a transaction that
ends in ``EAGAIN``, as every real caller does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from mirage_nb.sim.lwt import Promise, Resolver, wait, wakeup
from mirage_nb.sim.xen.xenbus import XenbusState, check_transition
from mirage_nb.sim.xen.xenstore import XsError
from mirage_nb.sim.xen.xs_wire import Message, MessageReader, Op, strings, xenstore_rings

if TYPE_CHECKING:
    from mirage_nb.sim.xen.host import XenHost

__all__ = ["XsClient", "switch_state"]

T = TypeVar("T")


class XsClient:
    """The xenstore connection of domain ``domid`` over its page and event-channel ``port``."""

    def __init__(self, host: XenHost, domid: int, page: bytearray, port: int) -> None:
        self.host = host
        self.domid = domid
        self.port = port
        self.req, self.rsp = xenstore_rings(page)
        self.reader = MessageReader()
        self.out = bytearray()
        self.waiting: dict[int, Resolver[Message]] = {}
        self.watch_callbacks: dict[str, Callable[[str], None]] = {}
        self._next_id = 1
        host.bind(domid, port, self._on_event)

    # -- the ring ---------------------------------------------------------------

    def _flush(self) -> None:
        if not self.out:
            return
        n = self.req.write(bytes(self.out))
        del self.out[:n]
        if n:
            self.host.notify(self.domid, self.port)

    def _on_event(self, _port: int) -> None:
        data = self.rsp.read()
        for m in self.reader.feed(data):
            if m.op == Op.WATCH_EVENT:
                args = m.strings
                cb = self.watch_callbacks.get(args[1]) if len(args) >= 2 else None
                if cb is not None:
                    cb(args[0])
            else:
                r = self.waiting.pop(m.req_id, None)
                if r is not None:
                    wakeup(r, m)
        self._flush()
        if data:
            self.host.notify(self.domid, self.port)  # room freed in the reply ring

    async def request(self, op: Op, payload: bytes, tx: int = 0) -> Message:
        """Send one request and wait for its reply; an ``XS_ERROR`` reply raises :class:`XsError`."""
        rid = self._next_id
        self._next_id += 1
        p: Promise[Message]
        r: Resolver[Message]
        p, r = wait()
        self.waiting[rid] = r
        self.out += Message(op, rid, tx, payload).to_bytes()
        self._flush()
        reply: Message = await p
        if reply.op == Op.ERROR:
            raise XsError(reply.strings[0] if reply.strings else "EINVAL", payload.split(b"\0")[0].decode())
        return reply

    # -- the operations -----------------------------------------------------------

    async def read(self, path: str, tx: int = 0) -> str:
        return (await self.request(Op.READ, strings(path), tx)).payload.decode()

    async def write(self, path: str, value: str, tx: int = 0) -> None:
        await self.request(Op.WRITE, path.encode() + b"\0" + value.encode(), tx)

    async def mkdir(self, path: str, tx: int = 0) -> None:
        await self.request(Op.MKDIR, strings(path), tx)

    async def rm(self, path: str, tx: int = 0) -> None:
        await self.request(Op.RM, strings(path), tx)

    async def directory(self, path: str, tx: int = 0) -> list[str]:
        return (await self.request(Op.DIRECTORY, strings(path), tx)).strings

    async def set_perms(self, path: str, perms: list[str], tx: int = 0) -> None:
        await self.request(Op.SET_PERMS, strings(path, *perms), tx)

    async def get_perms(self, path: str) -> list[str]:
        return (await self.request(Op.GET_PERMS, strings(path))).strings

    async def watch(self, path: str, token: str, callback: Callable[[str], None]) -> None:
        """Watch ``path``; ``callback(path_that_changed)`` runs on every event (once at once, as Xen does)."""
        self.watch_callbacks[token] = callback
        await self.request(Op.WATCH, strings(path, token))

    async def unwatch(self, path: str, token: str) -> None:
        await self.request(Op.UNWATCH, strings(path, token))
        self.watch_callbacks.pop(token, None)

    async def introduce(self, domid: int, mfn: int, port: int) -> None:
        await self.request(Op.INTRODUCE, strings(str(domid), str(mfn), str(port)))

    async def release(self, domid: int) -> None:
        await self.request(Op.RELEASE, strings(str(domid)))

    async def transaction_start(self) -> int:
        return int((await self.request(Op.TRANSACTION_START, b"\0")).strings[0])

    async def transaction_end(self, tx: int, commit: bool = True) -> None:
        await self.request(Op.TRANSACTION_END, strings("T" if commit else "F"), tx)

    async def transaction(self, body: Callable[[int], Awaitable[T]], *, attempts: int = 16) -> T:
        """Run ``body(tx)`` in a transaction, starting again when it ends in ``EAGAIN``."""
        for _ in range(attempts):
            tx = await self.transaction_start()
            try:
                result = await body(tx)
            except BaseException:
                await self.transaction_end(tx, commit=False)
                raise
            try:
                await self.transaction_end(tx)
            except XsError as e:
                if e.code == "EAGAIN":
                    self.host.trace(self.domid, "xenstore", f"transaction {tx} conflicted (EAGAIN): again")
                    continue
                raise
            return result
        raise XsError("EAGAIN", f"transaction gave up after {attempts} conflicts")

    async def wait_for(self, path: str, accept: Callable[[str], bool], token: str) -> str:
        """Watch ``path`` until its value satisfies ``accept``; that value (a missing key reads as "")."""
        p: Promise[str]
        r: Resolver[str]
        p, r = wait()
        done = False

        def fired(_changed: str) -> None:
            async def check() -> None:
                nonlocal done
                try:
                    v = await self.read(path)
                except XsError:
                    v = ""
                if not done and accept(v):
                    done = True
                    wakeup(r, v)

            from mirage_nb.sim.lwt import async_

            async_(check)

        await self.watch(path, token, fired)
        value: Any = await p
        await self.unwatch(path, token)
        return str(value)


async def switch_state(driver: Any, new: XenbusState) -> None:
    """Write a driver's new xenbus ``state`` key, refusing a change the handshake does not allow.

    ``driver`` has ``host``, ``xs``, ``path``, ``who`` (``blkfront``...) and its current ``state``.
    """
    check_transition(driver.who, driver.state, new)
    await driver.xs.write(f"{driver.path}/state", str(int(new)))
    driver.state = new
    driver.host.trace(driver.xs.domid, "xenbus", f"{driver.who} {driver.path} -> {new.name}")
