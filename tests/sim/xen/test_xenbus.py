"""The xenbus handshake's states and device numbering, and the host's xenstore request facade."""

from __future__ import annotations

import pytest
from xen_helpers import xen_example

from mirage_nb import lab
from mirage_nb.errors import SimulationError
from mirage_nb.sim.xen.xenbus import XenbusState, check_transition, vdev_number


def test_the_handshake_path_is_allowed():
    path = [
        XenbusState.Unknown,
        XenbusState.Initialising,
        XenbusState.InitWait,
        XenbusState.Initialised,
        XenbusState.Connected,
        XenbusState.Closing,
        XenbusState.Closed,
    ]
    for old, new in zip(path, path[1:], strict=False):
        check_transition("front", old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (XenbusState.Initialising, XenbusState.Connected),
        (XenbusState.Connected, XenbusState.Initialised),
        (XenbusState.Closed, XenbusState.Connected),
        (XenbusState.InitWait, XenbusState.Closed),
    ],
)
def test_a_skipped_or_backward_state_is_refused(old, new):
    with pytest.raises(SimulationError, match=f"{old.name} cannot go to {new.name}"):
        check_transition("blkfront", old, new)


def test_vdev_numbers_are_linux_device_numbers():
    assert vdev_number("xvda") == 51712
    assert vdev_number("xvdb") == 51728
    assert vdev_number("768") == 768
    with pytest.raises(SimulationError):
        vdev_number("sda")


def test_xs_facade_after_a_run(tmp_path):
    app, xl, name = xen_example("block", tmp_path)
    host = lab.XenHost(tmp_path / "logs")
    with pytest.raises(SimulationError, match="not run yet"):
        host.xs(0, "read", "/local/domain/0/name")
    host.create(xl, app, filename=name, disks={"disk.img": lab.disk_image(64)})
    host.run_guest()
    assert host.xs(0, "read", "/local/domain/0/name") == "Domain-0"
    assert host.xs(0, "read", "/local/domain/1/name") == "Xenstore"
    assert host.xs(2, "read", "/local/domain/0/name") == "EACCES"  # the consoled may list, not read dom0's keys
    assert host.xs(0, "directory", "/local/domain") == "0 1 2"  # the guest was released and removed
    with pytest.raises(SimulationError, match="no xenstore operation"):
        host.xs(0, "frobnicate")
