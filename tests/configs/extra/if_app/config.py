# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from mirage_nb.mirage import *

f1 = main("Unikernel.Unix_version", job @ job, pos=("config.ml", 3, 19, 26))
f2 = main("Unikernel.Other_version", job @ job, pos=("config.ml", 4, 19, 26))
register("choice", [if_impl(Key.is_unix, f1, f2)(noop)], src="none")
