# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from mirage_nb.mirage import *

runtime_args = [runtime_arg(("config.ml", 3, 38, 45), "Unikernel.hello")]
main = main("App", job, runtime_args=runtime_args, pos=("config.ml", 4, 35, 42))
register("noop", [main], src="none")
