"""Twin of mirage-skeleton tutorial/lwt/timeout1: after 2 s, look at the promise with ``Lwt.state``.

A random delay r in [0, 3000) ms: "Returned \\"Heads\\"" if r <= 2000 else
"Cancelled", always at t = 2 s.
"""

from typing import Any

from mirage_nb.unikernel import Duration, Logs, Lwt, Mirage_crypto_rng, Mirage_sleep, Randomconv


async def timeout(delay: int, t: Any) -> Any:
    await Mirage_sleep.ns(delay)
    match Lwt.state(t):
        case Lwt.Return(v):
            return v
        case Lwt.Fail(ex):
            raise ex
        case _:  # Lwt.Sleep
            Lwt.cancel(t)
            return None


async def start() -> None:
    async def heads() -> str:
        r = Randomconv.int(Mirage_crypto_rng.generate, bound=3000)
        await Mirage_sleep.ns(Duration.of_ms(r))
        return "Heads"

    t = Lwt.spawn(heads())
    v = await timeout(Duration.of_sec(2), t)
    if v is None:
        Logs.info("Cancelled")
    else:
        Logs.info("Returned %S", v)
