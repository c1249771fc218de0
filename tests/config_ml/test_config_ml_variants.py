"""OCaml polymorphic variants in a config.ml meet the DSL's values: `` `Hvt `` is the target Hvt."""

from __future__ import annotations

from mirage_nb.config_ml import loads

CONFIG = """
open Mirage
let disk = match_impl Key.(value target) [ (`Hvt, block_of_file "hvt-disk") ] ~default:(block_of_file "other")
let on_hvt = Key.(match_ (value target) (fun t -> t = `Hvt))
let second = if_impl on_hvt (block_of_file "yes") (block_of_file "no")
let main = main "Unikernel.Main" (block @-> block @-> job)
let () = register "variants" [ main $ disk $ second ]
"""


def block_names(target: str) -> list[str]:
    files = loads(CONFIG).configure(target=target)
    return [line.strip() for line in files["mirage/main.ml"].splitlines() if "Block.connect" in line]


def test_a_variant_pattern_matches_the_target_it_names():
    assert block_names("hvt") == ['Block.connect "hvt-disk"', 'Block.connect "yes"']


def test_other_targets_take_the_default_and_compare_unequal():
    assert block_names("unix") == ['Block.connect "other"', 'Block.connect "no"']
