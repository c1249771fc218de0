# ruff: noqa: F403, F405 - a twin opens Mirage as its config.ml does
from mirage_nb.mirage import *

# The OCaml config exercises compiler warnings (an unused module, a useless
# `let rec`, an unused record type and function); only its devices matter here.

eth = etif(default_network)
main = main("App.Make", ethernet @ job, pos=("config.ml", 12, 32, 39))


def _unused_ramdisk(conf):
    return ramdisk("secrets\f42")


register("etif", [main(eth)])
