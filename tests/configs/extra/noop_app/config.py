# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from mirage_nb.mirage import *

main = main("Unikernel.Hello", job @ job, pos=("config.ml", 3, 21, 28))
register("hello", [main(noop)], src="none")
