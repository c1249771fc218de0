# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from mirage_nb.mirage import *

stack = generic_stackv4v6(default_network)
data = generic_kv_ro("htdocs")
server = cohttp_server(conduit_direct(stack, tls=False))
main = main("Unikernel.Make", kv_ro @ http @ job, pos=("config.ml", 6, 21, 28))
register("www", [main(data, server)], src="none")
