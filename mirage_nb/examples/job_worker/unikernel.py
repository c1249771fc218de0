"""A worker of the ``job_queue`` unikernel: take a job, work on it, report it done, again.

It keeps one TCP connection to the queue (``--queue``, ``--port``) and
speaks its line protocol: ``TAKE`` gets ``JOB <id> <payload>`` or ``EMPTY``
(then it waits ``--idle-ms`` and asks again); a job takes ``--work-ms`` of
virtual time, then ``DONE <id> <result>``. The jobs it knows are
``fib <n>`` (the n-th Fibonacci number) and ``factor <n>`` (its prime
factors); for anything else the result is ``unknown job``. ``--jobs`` stops
it after that many jobs (0: never). It logs under its ``--worker`` name.
"""

from typing import Any

from mirage_nb.unikernel import Arg, Data, Duration, Eof, Error, Ipaddr, Logs, Mirage_runtime, Mirage_sleep, Ok

queue = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.string, "10.0.0.2", Arg.info(["queue"], doc="The job queue's address.")))
)
port = Mirage_runtime.register_arg(Arg.value(Arg.opt(Arg.int, 7000, Arg.info(["port"], doc="The queue's TCP port."))))
name = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.string, "worker", Arg.info(["worker"], doc="This worker's name, in its log lines.")))
)
work_ms = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.int, 1000, Arg.info(["work-ms"], doc="Virtual milliseconds one job takes.")))
)
idle_ms = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.int, 1000, Arg.info(["idle-ms"], doc="How long to wait when the queue is empty.")))
)
jobs = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.int, 0, Arg.info(["jobs"], doc="Stop after this many jobs (0: never).")))
)

src = Logs.Src.create("job_worker", doc="A worker of the job queue")
Log = Logs.src_log(src)


def fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def factor(n: int) -> list[int]:
    out, d = [], 2
    while d * d <= n:
        while n % d == 0:
            out.append(d)
            n //= d
        d += 1
    return [*out, n] if n > 1 else out


def work(payload: str) -> str:
    """The result of a job: what the worker computes for ``payload``."""
    verb, _, arg = payload.partition(" ")
    try:
        if verb == "fib":
            return str(fib(int(arg)))
        if verb == "factor":
            return "*".join(map(str, factor(int(arg))))
    except ValueError:
        pass
    return "unknown job"


class Main:
    """``module Main (S : Tcpip.Stack.V4V6)``."""

    def __init__(self, S: Any) -> None:  # noqa: N803 - the functor's module argument
        self.S = S

    async def start(self, s: Any) -> None:
        S = self.S  # noqa: N806
        me = name()
        match await S.TCP.create_connection(S.tcp(s), (Ipaddr.of_string_exn(queue()), port())):
            case Error(e):
                Log.err(lambda f: f("%s: cannot reach the queue at %s:%d: %a", me, queue(), port(), S.TCP.pp_error, e))
                return
            case Ok(flow):
                pass
        buf = b""

        async def ask(line: str) -> str | None:
            nonlocal buf
            await S.TCP.write(flow, (line + "\n").encode())
            while b"\n" not in buf:
                match await S.TCP.read(flow):
                    case Ok(Data(b)):
                        buf += bytes(b)
                    case Ok(Eof()) | Error(_):
                        return None
            answer, buf = buf.split(b"\n", 1)
            return answer.decode()

        finished = 0
        Log.info(lambda f: f("%s: connected to the queue at %s:%d", me, queue(), port()))
        while jobs() == 0 or finished < jobs():
            answer = await ask("TAKE")
            if answer is None:
                Log.warn(lambda f: f("%s: the queue closed the connection", me))
                return
            if answer == "EMPTY":
                await Mirage_sleep.ns(Duration.of_ms(idle_ms()))
                continue
            _, i, payload = answer.split(" ", 2)
            await Mirage_sleep.ns(Duration.of_ms(work_ms()))
            result = work(payload)
            await ask(f"DONE {i} {result}")
            finished += 1
            Log.info("%s: job %s: %s = %s", me, i, payload, result)
        await S.TCP.close(flow)
