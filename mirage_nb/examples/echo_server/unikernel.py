"""Twin of mirage-skeleton tutorial/lwt/echo_server: ten fake lines, each after a random delay."""

from mirage_nb.unikernel import Duration, Logs, Mirage_crypto_rng, Mirage_sleep, Randomconv


def generate(n: int) -> bytes:
    return Mirage_crypto_rng.generate(n)


async def read_line() -> str:
    await Mirage_sleep.ns(Duration.of_ms(Randomconv.int(generate, bound=2500)))
    return "a" * Randomconv.int(generate, bound=20)


async def start() -> None:
    for _ in range(10):
        s = await read_line()
        Logs.info("%s", s)
