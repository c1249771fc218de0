"""Configs give devices addresses with Ipaddr, as real config.ml files do."""

from __future__ import annotations

import pytest

from mirage_nb.config_ml import loads
from mirage_nb.errors import ConfigMlError

CONFIG = """
open Mirage
let stack =
  generic_stackv4v6 ~ipv4_network:(Ipaddr.V4.Prefix.of_string_exn "{prefix}")
    ~ipv4_gateway:(Ipaddr.V4.of_string_exn "192.168.5.1") default_network
let main = main "Unikernel.Main" (stackv4v6 @-> job)
let () = register "ip" [ main $ stack ]
"""


def test_a_static_address_reaches_the_generated_runtime_argument():
    app = loads(CONFIG.replace("{prefix}", "192.168.5.2/24"))
    main_ml = app.configure(target="hvt", no_dhcp=True)["mirage/main.ml"]
    assert 'Ipaddr.V4.Prefix.of_string_exn "192.168.5.2/24"' in main_ml
    assert 'Ipaddr.V4.of_string_exn "192.168.5.1"' in main_ml


def test_a_malformed_address_is_the_exception_ocaml_raises_at_its_place():
    with pytest.raises(ConfigMlError, match=r'Ipaddr.Parse_error\("not an IPv4 prefix", "192.168.5.300/24"\)') as e:
        loads(CONFIG.replace("{prefix}", "192.168.5.300/24"))
    assert e.value.loc is not None and e.value.loc.line == 4
