"""Twin of mirage-skeleton tutorial/local-library: print a value from a library in the unikernel's tree."""

from mirage_nb.unikernel import Logs, local_library

Hello = local_library(__file__, "hello")


async def start() -> None:
    Logs.info("The hello library has a message for you: %s", Hello.hello)
