"""Twin of mirage-skeleton tutorial/lwt/heads2: both sleeps start first, then ``heads <&> tails``."""

from mirage_nb.unikernel import Duration, Logs, Lwt, Mirage_sleep


async def start() -> None:
    async def heads_() -> None:
        await Mirage_sleep.ns(Duration.of_sec(1))
        Logs.info("Heads")

    async def tails_() -> None:
        await Mirage_sleep.ns(Duration.of_sec(2))
        Logs.info("Tails")

    # Lwt promises start when they are made: spawn both before combining them.
    heads = Lwt.spawn(heads_())
    tails = Lwt.spawn(tails_())
    await Lwt.join([heads, tails])  # heads <&> tails
    Logs.info("Finished")
