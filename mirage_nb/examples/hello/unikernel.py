"""Twin of mirage-skeleton tutorial/hello: log "hello" four times, one second apart."""

from mirage_nb.unikernel import Duration, Logs, Mirage_sleep


async def start() -> None:
    for _ in range(4):
        Logs.info(lambda m: m("hello"))
        await Mirage_sleep.ns(Duration.of_sec(1))
