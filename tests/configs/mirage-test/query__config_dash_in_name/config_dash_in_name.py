# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from pathlib import Path

from mirage_nb.mirage import *

# __POS__ names the file OCaml compiled: mirage ran this config both as config.ml
# and as `-f config_dash_in_name.ml`, so the twin takes the name it runs under.
FILE = Path(__file__).stem + ".ml"

main = main("App", job @ job, pos=(FILE, 3, 21, 28))
register("noop-functor.v0", [main(noop)], src="none")
