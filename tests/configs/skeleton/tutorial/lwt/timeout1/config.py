# mirage >= 4.9.0 & < 4.12.0
# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from mirage_nb.mirage import *

main = main("Unikernel", job, packages=[package("duration"), package("randomconv", min="0.2.0")])

register("timeout1", [main])
