# mirage >= 4.4.0 & < 4.12.0
# ruff: noqa: F403 - a twin opens Mirage as its config.ml does
from mirage_nb import mirage as Mirage
from mirage_nb.mirage import *

Mirage.register("noop", [])
