"""Twin of the ``syslog`` example's unikernel: hello, four times, one second apart, through its log reporter.

``start`` receives the reporter's value (``unit``): the reporter is the
job's dependency only so that it is connected before the first message.
"""

from mirage_nb.unikernel import Duration, Logs, Mirage_sleep


async def start(_syslog) -> None:
    for _ in range(4):
        Logs.info(lambda m: m("hello"))
        await Mirage_sleep.ns(Duration.of_sec(1))
