"""The Python twin of hello/config.ml: the same application, built with mirage_nb's DSL."""

from mirage_nb.mirage import *  # noqa: F403 - the names of OCaml's `open Mirage`

main = main("Unikernel", job, packages=[package("duration")])  # noqa: F405
register("hello", [main])  # noqa: F405
