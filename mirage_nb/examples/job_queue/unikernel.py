"""A persistent job queue: a line protocol over TCP, every job kept in a ``kv_rw`` store (littlefs on a disk).

The store holds one file per job, so the queue's state is the disk's, and a
restart (a new run with the same disk image) finds every job where it was:

* ``/pending/<id>``: a job waiting for a worker (its payload);
* ``/taken/<id>``: a job a worker took and has not finished;
* ``/done/<id>``: a finished job (its payload and result);
* ``/next``: the next job number.

At start, jobs found under ``/taken`` go back to ``/pending``: the worker
that took them may have gone with the old run, so a job is done at least
once (a worker may finish one twice, never zero times).

The protocol, one command per line on ``--port`` (7000), one answer line each:

* ``PUT <payload>`` -> ``OK <id>``
* ``TAKE`` -> ``JOB <id> <payload>`` (oldest first) or ``EMPTY``
* ``DONE <id> <result>`` -> ``OK <id>`` (or ``ERR not taken <id>``)
* ``RESULT <id>`` -> ``RESULT <id> <result>``, ``PENDING <id>`` or ``ERR unknown <id>``
* ``STATS`` -> ``pending <n> taken <n> done <n>``

Commands run one at a time, whichever connection they come from (a lock, as
``Lwt_mutex.with_lock`` would do it): ``TAKE`` lists, reads and renames, and
two workers must never be handed the same job between those steps.
"""

from collections import deque
from typing import Any

from mirage_nb.unikernel import Arg, Data, Eof, Error, Logs, Lwt, Mirage_kv, Mirage_runtime, Ok, failwith

program_block_size = Arg.value(
    Arg.opt(Arg.int, 16, Arg.info(["program-block-size"], doc="program block size for chamelon"))
)
port = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.int, 7000, Arg.info(["port"], doc="The TCP port of the queue's protocol.")))
)

src = Logs.Src.create("job_queue", doc="The persistent job queue")
Log = Logs.src_log(src)


def key(s: str) -> Any:
    return Mirage_kv.Key.v(s)


def job_id(n: int) -> str:
    """A job's id: zero-padded, so that a directory listing is in arrival order."""
    return f"{n:06d}"


class Lock:
    """A first-come, first-served lock (the shape of ``Lwt_mutex``): ``await lock.run(f)`` runs ``f()`` alone."""

    def __init__(self) -> None:
        self.locked = False
        self.waiters: deque[Any] = deque()

    async def run(self, f: Any) -> Any:
        if self.locked:
            p, r = Lwt.wait()
            self.waiters.append(r)
            await p  # the holder hands the lock over: it stays locked
        self.locked = True
        try:
            return await f()
        finally:
            if self.waiters:
                Lwt.wakeup(self.waiters.popleft(), None)
            else:
                self.locked = False


class Main:
    """``module Main (Store : Mirage_kv.RW) (S : Tcpip.Stack.V4V6)``."""

    def __init__(self, Store: Any, S: Any) -> None:  # noqa: N803 - the functor's module arguments
        self.Store, self.S = Store, S

    async def ids(self, store: Any, directory: str) -> list[str]:
        match await self.Store.list(store, key(directory)):
            case Ok(entries):
                return [Mirage_kv.Key.basename(k) for k, _ in entries]
            case Error(_):
                return []  # no such directory yet: nothing in it

    async def get(self, store: Any, k: str) -> str | None:
        match await self.Store.get(store, key(k)):
            case Ok(v):
                return v
            case Error(_):
                return None

    async def must(self, what: str, p: Any) -> None:
        match await p:
            case Error(e):
                failwith(f"{what}: {e}")

    async def start(self, store: Any, s: Any) -> None:
        Store, S = self.Store, self.S  # noqa: N806
        next_id = int(await self.get(store, "/next") or "1")
        requeued = await self.ids(store, "/taken")
        for i in requeued:
            await self.must("requeue", Store.rename(store, key(f"/taken/{i}"), key(f"/pending/{i}")))
        pending = await self.ids(store, "/pending")
        done = await self.ids(store, "/done")
        Log.info(
            lambda f: f(
                "store mounted: %d pending (%d put back from taken), %d done, next job %d",
                len(pending),
                len(requeued),
                len(done),
                next_id,
            )
        )

        async def command(line: str) -> str:
            nonlocal next_id
            verb, _, rest = line.partition(" ")
            match verb.upper():
                case "PUT":
                    i = job_id(next_id)
                    next_id += 1
                    await self.must("put", Store.set(store, key(f"/pending/{i}"), rest))
                    await self.must("next", Store.set(store, key("/next"), str(next_id)))
                    Log.info(lambda f: f("put %s: %s", i, rest))
                    return f"OK {i}"
                case "TAKE":
                    waiting = await self.ids(store, "/pending")
                    if not waiting:
                        return "EMPTY"
                    i = waiting[0]
                    payload = await self.get(store, f"/pending/{i}")
                    await self.must("take", Store.rename(store, key(f"/pending/{i}"), key(f"/taken/{i}")))
                    Log.info(lambda f: f("take %s", i))
                    return f"JOB {i} {payload}"
                case "DONE":
                    i, _, result = rest.partition(" ")
                    payload = await self.get(store, f"/taken/{i}")
                    if payload is None:
                        return f"ERR not taken {i}"
                    await self.must("done", Store.set(store, key(f"/done/{i}"), f"{payload} = {result}"))
                    await self.must("remove", Store.remove(store, key(f"/taken/{i}")))
                    Log.info(lambda f: f("done %s: %s = %s", i, payload, result))
                    return f"OK {i}"
                case "RESULT":
                    i = rest.strip()
                    if (r := await self.get(store, f"/done/{i}")) is not None:
                        return f"RESULT {i} {r}"
                    if await self.get(store, f"/pending/{i}") is not None or await self.get(store, f"/taken/{i}"):
                        return f"PENDING {i}"
                    return f"ERR unknown {i}"
                case "STATS":
                    counts = [len(await self.ids(store, d)) for d in ("/pending", "/taken", "/done")]
                    return "pending {} taken {} done {}".format(*counts)
                case _:
                    return f"ERR unknown command {verb!r}"

        lock = Lock()

        async def on_connect(flow: Any) -> None:
            buf = b""
            while True:
                match await S.TCP.read(flow):
                    case Ok(Data(b)):
                        buf += bytes(b)
                    case Ok(Eof()) | Error(_):
                        await S.TCP.close(flow)
                        return
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    text = line.decode().strip()
                    answer = await lock.run(lambda text=text: command(text))
                    await S.TCP.write(flow, (answer + "\n").encode())

        S.TCP.listen(S.tcp(s), port=port(), callback=on_connect)
        Log.info(lambda f: f("listening on %d/TCP", port()))
        await S.listen(s)
