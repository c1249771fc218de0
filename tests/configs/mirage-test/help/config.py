# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from mirage_nb.mirage import *

main = main("App", job @ job, pos=("config.ml", 3, 21, 28))
register("noop", [main(noop)])
