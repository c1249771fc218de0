# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from mirage_nb.mirage import *

# mirage runs this config as `-f config_dash_in_name.ml`, so __POS__ names that file.
main = main("App", job @ job, pos=("config_dash_in_name.ml", 3, 21, 28))
register("noop-functor.v0", [main(noop)], src="none")
