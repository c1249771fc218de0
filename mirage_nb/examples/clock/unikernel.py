"""Twin of mirage-skeleton device-usage/clock: a speaking clock, every second, for ever (run it with until=)."""

from mirage_nb.unikernel import Duration, Logs, Mirage_mtime, Mirage_ptime, Mirage_sleep, Ptime


async def start() -> None:
    while True:
        current_time = Mirage_ptime.now()
        tz = Mirage_ptime.current_tz_offset_s()
        Logs.app("%Lu nanoseconds have elapsed.", Mirage_mtime.elapsed_ns())
        Logs.app("At the stroke, the time will be %a \x07 *BEEP*", Ptime.pp_human(tz_offset_s=tz), current_time)
        await Mirage_sleep.ns(Duration.of_sec(1))
