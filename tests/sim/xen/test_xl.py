"""Reading the .xl files the engine writes for -t xen, and refusing malformed ones with a location."""

from __future__ import annotations

import pytest
from xen_helpers import xen_example

from mirage_nb.errors import ConfigError
from mirage_nb.sim.xen.xl import parse_xl


def test_block_example_xl(tmp_path):
    _app, text, name = xen_example("block", tmp_path)
    cfg = parse_xl(text, name)
    assert (cfg.name, cfg.kernel, cfg.type, cfg.memory) == ("block_test", "block_test.xen", "pvh", 256)
    assert [(d.target, d.vdev, d.format, d.read_write) for d in cfg.disks] == [("disk.img", "xvdb", "raw", True)]
    assert cfg.vifs == ()
    assert cfg.values["on_crash"] == "preserve"


def test_network_example_xl(tmp_path):
    _app, text, name = xen_example("network", tmp_path)
    cfg = parse_xl(text, name)
    assert cfg.name == "network"
    assert cfg.disks == ()
    assert [v.bridge for v in cfg.vifs] == ["br0"]


def test_several_entries_and_comments():
    cfg = parse_xl(
        "name = \"two\" # the name\nkernel='k'\nmemory = 64\n"
        "disk = [ 'format=raw, vdev=xvdb, access=ro, target=a.img', 'target=b.img, vdev=xvdc' ]\n"
        "vif = [ 'bridge=br0,mac=00:16:3e:00:00:01', 'bridge=br1' ]\n"
    )
    assert [(d.target, d.vdev, d.read_write) for d in cfg.disks] == [("a.img", "xvdb", False), ("b.img", "xvdc", True)]
    assert [(v.bridge, v.mac) for v in cfg.vifs] == [("br0", "00:16:3e:00:00:01"), ("br1", None)]


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("name = 'a'\nkernel = 'k'\nmemory 256\n", "x.xl:3:1", "expected key = value"),
        ("name = 'a'\nkernel = 'k'\ndisk = [ 'vdev=xvdb' ]\n", "x.xl:3:8", "target"),
        ("name = 'a'\nkernel = 'k'\nvif = [ 'a' 'b' ]\n", "x.xl:3:13", "a , is missing"),
        ("name = 'a'\nkernel = 'k'\nmemory = 'lots'\n", "x.xl:3:10", "positive number"),
    ],
)
def test_errors_name_file_line_column(text, where, what):
    with pytest.raises(ConfigError, match=what) as e:
        parse_xl(text, "x.xl")
    assert str(e.value).startswith(where)


def test_missing_name():
    with pytest.raises(ConfigError, match="no name"):
        parse_xl("kernel = 'k'\n", "x.xl")
