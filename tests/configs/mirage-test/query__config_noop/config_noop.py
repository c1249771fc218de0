# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from mirage_nb.mirage import *

register("noop", [noop], src="none")
