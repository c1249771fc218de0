"""The Python twin of hello/config.ml: the same application, built with mirage_nb's DSL."""

from mirage_nb.mirage import *

main = main("Unikernel", job, packages=[package("duration")])
register("hello", [main])
