"""Properties of the catalog over arbitrary user input (Hypothesis)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mirage_nb.functoria import keys as K
from mirage_nb.functoria.device import nice_name
from mirage_nb.functoria.impl import walk
from mirage_nb.functoria.ocaml import escaped
from mirage_nb.mirage import Runtime_arg, crunch, default_network, generic_stackv4v6, ramdisk

OCAML_IDENT = re.compile(r"^[a-z_][A-Za-z0-9_']*$")
groups = st.from_regex(r"\A[a-z][a-z0-9]{0,8}\Z")


@settings(max_examples=40, deadline=None)
@given(groups)
def test_a_group_prefixes_every_key_and_runtime_argument_of_a_stack(group):
    stack = generic_stackv4v6(default_network, group=group)
    keys: list[K.Key] = []
    args = []
    walk(stack, lambda d: args.extend(d.dev.runtime_args), lambda i: keys.extend(i.cond.deps))
    assert {k.name for k in keys} == {"target", f"{group}-net", f"{group}-no-dhcp", f"{group}-utcp"}
    # (default_network's interfaces have no group: netif is called without one)
    net_args = [a for a in args if a.code.startswith("Mirage_runtime_network.") and ".interface " not in a.code]
    assert net_args and all(f'~group:"{group}" ' in a.code for a in net_args)
    assert all(OCAML_IDENT.match(a.var_name) for a in args)


@given(st.text(min_size=1, max_size=20))
def test_crunch_names_are_ocaml_modules(dirname):
    d = crunch(dirname).dev
    assert re.match(r"^Static_[a-z0-9_]*$", d.module_name)
    assert nice_name(d.module_name) == d.module_name.lower()


@given(st.text(max_size=20))
def test_ramdisk_names_are_ocaml_strings(name):
    code = ramdisk(name).dev.connect(None, "Ramdisk", []).code
    assert code.startswith('Ramdisk.connect ~name:"') and code.endswith('"')
    assert "\n" not in code


@given(st.lists(st.text(max_size=12), max_size=12))
def test_dns_servers_always_print_an_ocaml_list(servers):
    code = Runtime_arg.dns_servers(servers).code
    assert code.startswith("Mirage_runtime_network.dns_servers (Some [") and code.endswith("])")
    literals = re.findall(r'"((?:[^"\\]|\\.)*)"', code)
    assert literals == [escaped(x) for x in servers]
