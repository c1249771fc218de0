"""Twin of mirage-skeleton tutorial/lwt/timeout2: the same race with ``Lwt.pick``.

"Returned \\"Heads\\"" comes at t = r ms (pick cancels the timer), "Cancelled" at t = 2 s.
"""

from typing import Any

from mirage_nb.unikernel import Duration, Logs, Lwt, Mirage_crypto_rng, Mirage_sleep, Randomconv


def timeout(delay: int, t: Any) -> Any:
    async def tmout() -> None:
        await Mirage_sleep.ns(delay)
        return None

    async def value() -> Any:
        return await t

    return Lwt.pick([tmout(), value()])


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
