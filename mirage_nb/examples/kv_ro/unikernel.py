"""Twin of mirage-skeleton device-usage/kv_ro: check the key "secret" of a kv_ro store against "foo\\n"."""

from typing import Any

from mirage_nb.unikernel import Error, Logs, Mirage_kv, Ok


class Main:
    """``module Main (KV : Mirage_kv.RO)``."""

    def __init__(self, KV: Any) -> None:
        self.KV = KV

    async def start(self, kv: Any) -> None:
        our_secret = "foo\n"
        match await self.KV.get(kv, Mirage_kv.Key.v("secret")):
            case Error(e):
                Logs.warn("Could not compare the secret against a known constant: %a", self.KV.pp_error, e)
            case Ok(stored_secret):
                if our_secret == stored_secret:
                    Logs.info("Contents of extremely secret vital storage confirmed!")
                else:
                    Logs.warn("The secret provided does not match!")
