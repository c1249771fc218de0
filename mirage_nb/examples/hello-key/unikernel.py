"""Twin of mirage-skeleton tutorial/hello-key: say the --hello boot argument four times, one second apart."""

from mirage_nb.unikernel import Arg, Duration, Logs, Mirage_runtime, Mirage_sleep

hello = Mirage_runtime.register_arg(
    Arg.value(Arg.opt(Arg.string, "Hello World!", Arg.info(["hello"], doc="How to say hello.")))
)


async def start() -> None:
    for _ in range(4):
        Logs.info("%s", hello())
        await Mirage_sleep.ns(Duration.of_sec(1))
