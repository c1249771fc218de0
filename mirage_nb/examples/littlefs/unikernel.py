"""Twin of mirage-skeleton device-usage/littlefs: store "/foo" in a read-write store on a block device.

``program_block_size`` is a plain argument term that config.ml names with
``Runtime_arg.create ~pos:__POS__ "Unikernel.program_block_size"``.
"""

from typing import Any

from mirage_nb.unikernel import Arg, Error, Fmt, Hxd, Hxd_string, Logs, Mirage_kv, failwith

program_block_size = Arg.value(
    Arg.opt(Arg.int, 16, Arg.info(["program-block-size"], doc="program block size for chamelon"))
)


def key(s: str) -> Any:
    return Mirage_kv.Key.v(s)


class Make:
    """``module Make (Store : Mirage_kv.RW)``."""

    def __init__(self, Store: Any) -> None:
        self.Store = Store

    async def start(self, store: Any) -> None:
        r = await self.Store.set(store, key("/foo"), "Hello World!")
        if isinstance(r, Error):
            failwith(Fmt.str("%a", self.Store.pp_write_error, r.error))
        r = await self.Store.get(store, key("/foo"))
        if isinstance(r, Error):
            failwith(Fmt.str("%a", self.Store.pp_error, r.error))
        Logs.info("foo: @[<hov>%a@]", Hxd_string.pp(Hxd.default), r.value)
