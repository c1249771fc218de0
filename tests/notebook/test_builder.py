"""The step-by-step builder, driven without a browser: catalog, steps, configs, undo, export, widgets."""

from __future__ import annotations

import pytest

from mirage_nb.notebook.builder import Builder, BuilderError, default_catalog

from .conftest import NETWORK_ML, NETWORK_PY, network_app


def build_network() -> Builder:
    b = Builder("network")
    path = b.add_device("stackv4v6")
    assert [e.name for e in b.providers(path)] == ["direct_stackv4v6", "generic_stackv4v6"]
    b.choose(path, "generic_stackv4v6")
    assert [s.path for s in b.open_slots()] == [(0, 0)]
    assert "default_network" in [e.name for e in b.providers((0, 0))]
    b.choose((0, 0), "default_network")
    return b


def test_catalog_lists_devices_by_the_type_they_provide():
    cat = default_catalog()
    stacks = {e.name: e for e in cat.providers("stackv4v6")}
    g = stacks["generic_stackv4v6"]
    assert g.kind == "constructor" and [(p.kind, p.typ) for p in g.params] == [("device", "network")]
    assert g.signature == "network impl -> stackv4v6 impl"
    d = stacks["direct_stackv4v6"]
    assert [p.typ for p in d.params] == ["network", "ethernet", "arpv4", "ipv4v6", "ipv4v6"]
    nets = {e.name: e for e in cat.providers("network")}
    assert nets["default_network"].kind == "value"
    assert [(p.name, p.kind) for p in nets["netif"].params] == [("dev", "string")]
    assert "job" not in cat.provided_types() and "stackv4v6" in cat.provided_types()
    assert "unix" in cat.targets() and "hvt" in cat.targets()


def test_built_network_describes_as_the_hand_written_config():
    b = build_network()
    step = b.step()
    assert step.complete and step.problems == ()
    assert step.describe == network_app().describe()
    assert step.dot == network_app().dot()
    assert step.config_py == NETWORK_PY
    assert step.config_ml == NETWORK_ML


def test_built_config_ml_reads_back_through_the_config_ml_reader():
    from mirage_nb import config_ml

    b = build_network()
    app = config_ml.loads(b.config_ml(), filename="config.ml")
    assert app.describe() == b.describe()


def test_each_step_has_configs_and_a_hint():
    b = Builder("network")
    assert "choose a module type" in b.step().hint
    # No device yet: a complete unikernel that is a lone job.
    assert b.step().complete and b.step().describe.startswith("Name       network")
    b.add_device("stackv4v6")
    s = b.step()
    assert s.hint == "choose a stackv4v6 device for argument 1 of Unikernel.Main"
    assert "let stack = (* a stackv4v6 device *)" in s.config_ml
    b.choose((0,), "generic_stackv4v6")
    s = b.step()
    assert s.hint == "choose a network device for argument 1 of generic_stackv4v6"
    assert "generic_stackv4v6 (* a network device *)" in s.config_ml
    b.choose((0, 0), "default_network")
    assert b.step().hint.startswith("complete")


def test_target_and_keys_change_the_describe_output():
    b = build_network()
    b.set_target("hvt")
    b.set_key("no-dhcp", True)
    s = b.step()
    assert s.command == "mirage describe -t hvt --no-dhcp"
    assert s.describe == network_app().describe(target="hvt", no_dhcp=True)
    assert "target=hvt," in s.describe and "no-dhcp=true," in s.describe
    b.set_key("no-dhcp", None)
    assert b.step().command == "mirage describe -t hvt"


def test_available_keys_come_from_the_built_application():
    b = Builder("network")
    b.add_device("stackv4v6")
    assert b.available_keys() == []
    b.choose((0,), "generic_stackv4v6")
    b.choose((0, 0), "default_network")
    assert b.available_keys() == ["net", "no-dhcp", "utcp"]


def test_undo_goes_back_one_step_at_a_time():
    b = build_network()
    b.set_target("xen")
    b.undo()
    assert b.state.target is None
    b.undo()
    assert [s.path for s in b.open_slots()] == [(0, 0)]
    b.undo()
    b.undo()
    assert b.state.slots == ()
    b.undo()
    assert b.state.slots == ()


def test_string_arguments_and_nested_constructors():
    b = Builder("kv")
    b.add_device("stackv4v6")
    b.choose((0,), "generic_stackv4v6")
    b.choose((0, 0), "netif", {"dev": "tap1"})
    b.add_device("kv_ro")
    b.choose((1,), "generic_kv_ro", {"dir": "htdocs"})
    ml = b.config_ml()
    assert 'let stack = generic_stackv4v6 (netif "tap1")' in ml
    assert 'let kv_ro_dev = generic_kv_ro "htdocs"' in ml
    assert "main $ stack $ kv_ro_dev" in ml
    assert 'stack = generic_stackv4v6(netif("tap1"))' in b.config_py()
    assert b.step().complete and "kv_ro=" in b.describe()


def test_mistakes_raise_builder_errors_naming_what_was_expected():
    b = Builder("x")
    with pytest.raises(BuilderError, match="unknown module type 'stack'"):
        b.add_device("stack")
    p = b.add_device("stackv4v6")
    with pytest.raises(BuilderError, match="default_network provides network, but this slot needs a stackv4v6"):
        b.choose(p, "default_network")
    with pytest.raises(BuilderError, match="no device named 'nope'"):
        b.choose(p, "nope")
    with pytest.raises(BuilderError, match="no device slot at \\[3\\]"):
        b.choose((3,), "generic_stackv4v6")
    with pytest.raises(BuilderError, match="graph is incomplete"):
        b.application()
    with pytest.raises(BuilderError, match="unknown target 'windows'"):
        b.set_target("windows")
    with pytest.raises(BuilderError, match="string argument 'dev'"):
        b2 = Builder("y")
        b2.add_device("network")
        b2.choose((0,), "netif")
    with pytest.raises(BuilderError):
        Builder("bad name!")


def test_partial_graph_while_incomplete():
    b = Builder("p")
    b.add_device("stackv4v6")
    b.choose((0,), "generic_stackv4v6")
    b.choose((0, 0), "default_network")
    b.add_device("kv_ro")
    s = b.step()
    assert not s.complete and s.describe is None
    assert s.dot is not None and "Tcpip_stack_socket.V4V6" in s.dot


def test_a_job_without_devices_is_a_complete_build():
    b = Builder("hello", module="Unikernel")
    s = b.step()
    assert s.complete and s.describe.startswith("Name       hello")
    assert 'let main = main "Unikernel" (job)' in s.config_ml


def test_export_writes_both_configs(tmp_path):
    b = build_network()
    files = b.export(tmp_path / "out")
    assert files == {"config.ml": NETWORK_ML, "config.py": NETWORK_PY}
    assert (tmp_path / "out" / "config.ml").read_text() == NETWORK_ML
    from mirage_nb.loader import load_config

    assert load_config(str(tmp_path / "out" / "config.py")).describe() == b.describe()


def test_widget_only_presents_the_builder():
    pytest.importorskip("ipywidgets")
    from mirage_nb.notebook.widgets import BuilderWidget

    w = BuilderWidget(Builder("network"))
    assert "choose a module type" in w.hint.value
    w.type_choice.value = "stackv4v6"
    w.add_button.click()
    assert w.slot_choice.value == (0,)
    w.provider_choice.value = "generic_stackv4v6"
    assert "generic_stackv4v6 : network impl -&gt; stackv4v6 impl" in w.provider_info.value
    w.choose_button.click()
    assert w.slot_choice.value == (0, 0)
    w.provider_choice.value = "default_network"
    w.choose_button.click()
    assert w.builder.step().describe == network_app().describe()
    assert "Name       network" in w.describe_out.value
    assert list(w.key_name.options) == ["net", "no-dhcp", "utcp"]
    w.target.value = "hvt"
    assert "target=hvt" in w.describe_out.value and w.builder.state.target == "hvt"
    w.key_name.value, w.key_value.value = "no-dhcp", "true"
    w.key_button.click()
    assert "no-dhcp=true," in w.describe_out.value and "$ mirage describe -t hvt --no-dhcp" in w.describe_out.value
    w.undo_button.click()
    w.undo_button.click()
    assert w.target.value == "(default)"
    w.provider_choice.value = None
    w.slot_choice.options = []
    w.choose_button.click()
    assert "mnb-problem" in w.hint.value
