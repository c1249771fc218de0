# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from mirage_nb.mirage import *

main = main("App", job, pos=("config.ml", 3, 21, 28))
register("noop", [if_impl(Key.is_solo5, main, main)], src="none")
