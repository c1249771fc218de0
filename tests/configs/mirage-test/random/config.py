# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from mirage_nb.mirage import *

main = main("App.Make", job @ job, pos=("config.ml", 3, 32, 39))(noop)
register("random", [main])
