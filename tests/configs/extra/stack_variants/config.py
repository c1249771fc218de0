# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from mirage_nb.mirage import *

device = generic_stackv4v6(default_network)
main = main("App", stackv4v6 @ job, pos=("config.ml", 4, 21, 28))
register("describe", [main(device)], src="none")
