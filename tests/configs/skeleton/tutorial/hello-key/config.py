# mirage >= 4.9.0 & < 4.12.0
# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from mirage_nb.mirage import *

packages = [package("duration")]
main = main("Unikernel", job, packages=packages)
register("hello-key", [main])
