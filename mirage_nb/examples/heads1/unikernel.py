"""Twin of mirage-skeleton tutorial/lwt/heads1: ``Lwt.join`` of two sleeps, then "Finished"."""

from mirage_nb.unikernel import Duration, Logs, Lwt, Mirage_sleep


async def heads() -> None:
    await Mirage_sleep.ns(Duration.of_sec(1))
    Logs.info("Heads")


async def tails() -> None:
    await Mirage_sleep.ns(Duration.of_sec(2))
    Logs.info("Tails")


async def start() -> None:
    await Lwt.join([heads(), tails()])
    Logs.info("Finished")
