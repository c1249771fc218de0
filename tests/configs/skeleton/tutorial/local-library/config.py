# mirage >= 4.10.0 & < 4.12.0
# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from mirage_nb.mirage import *

main = main("Unikernel", job, local_libs=["hello"])
register("local-library", [main])
