"""The orchestrator's scaling decisions: thresholds, hysteresis, bounds, cooldown; a pure function of numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mirage_nb.errors import MirageNbError
from mirage_nb.lab import Autoscaler


def scaler(**kw: float) -> Autoscaler:
    return Autoscaler(
        **{"up_at": 10.0, "down_at": 4.0, "min_instances": 1, "max_instances": 4, "cooldown_s": 0.0, **kw}
    )  # type: ignore[arg-type]


def test_scales_up_above_the_threshold_and_down_below() -> None:
    s = scaler()
    up = s.decide(0, 1, 15)  # 15 per instance > 10
    assert (up.target, up.change, up.reason) == (2, 1, "load above up_at")
    down = s.decide(5, 2, 4)  # 2 per instance < 4, and one instance would carry 4 <= 10
    assert (down.target, down.change, down.reason) == (1, -1, "load below down_at")
    assert s.decisions == [up, down]


def test_scale_down_by_one_when_the_load_falls() -> None:
    s = scaler()
    d = s.decide(0, 3, 6)  # 2 per instance
    assert (d.target, d.reason) == (2, "load below down_at")


def test_the_band_between_the_thresholds_keeps_the_count() -> None:
    s = scaler()
    for load in (4.0, 7.0, 10.0):  # the edges are in the band: up is strictly above, down strictly below
        d = s.decide(0, 2, 2 * load)
        assert (d.target, d.reason) == (2, "within the band")


def test_up_asks_for_as_many_as_the_load_needs_capped_at_the_maximum() -> None:
    assert scaler().decide(0, 1, 35).target == 4  # ceil(35 / 10)
    assert scaler().decide(0, 1, 1000).target == 4
    assert scaler(max_instances=8).decide(0, 2, 21).target == 3


def test_never_below_the_minimum_nor_above_the_maximum() -> None:
    assert scaler(min_instances=2).decide(0, 2, 0).target == 2
    assert scaler(min_instances=2).decide(0, 2, 0).reason == "at the minimum"
    assert scaler().decide(0, 4, 100).reason == "at the maximum"
    assert scaler(min_instances=2).decide(0, 1, 0).target == 2
    assert scaler().decide(0, 6, 0).target == 4
    assert scaler().decide(0, 0, 0).target == 1


def test_does_not_scale_down_into_a_count_it_would_scale_up_from() -> None:
    s = scaler(up_at=10.0, down_at=6.0)
    d = s.decide(0, 2, 11)  # 5.5 per instance is below down_at, but one instance would carry 11 > 10
    assert (d.target, d.reason) == (2, "one fewer would be above up_at")


def test_cooldown_holds_a_change_after_a_change() -> None:
    s = scaler(cooldown_s=10.0)
    assert s.decide(0, 1, 15).target == 2
    assert s.decide(5, 2, 40).reason == "cooling down"
    assert s.decide(10, 2, 40).target == 4
    assert s.decide(12, 4, 0).reason == "cooling down"
    assert s.decide(20, 4, 0).target == 3


def test_bad_settings_are_refused() -> None:
    with pytest.raises(MirageNbError, match="down_at < up_at"):
        Autoscaler(up_at=5, down_at=5)
    with pytest.raises(MirageNbError, match="min_instances <= max_instances"):
        Autoscaler(up_at=5, down_at=1, min_instances=3, max_instances=2)
    with pytest.raises(MirageNbError, match=">= 0"):
        scaler().decide(0, 1, -1)


@given(
    st.lists(st.floats(min_value=0, max_value=200, allow_nan=False), min_size=1, max_size=40),
    st.integers(1, 3),
    st.integers(3, 8),
)
def test_following_its_own_advice_stays_in_bounds_and_never_flaps(loads: list[float], lo: int, hi: int) -> None:
    s = Autoscaler(up_at=10.0, down_at=4.0, min_instances=lo, max_instances=hi, cooldown_s=0.0)
    n = lo
    for t, total in enumerate(loads):
        d = s.decide(t, n, total)
        assert lo <= d.target <= hi
        assert abs(d.change) <= max(1, hi)  # one step down at most
        assert d.change >= -1
        if d.change < 0:  # after a step down, the same load does not ask to go back up
            assert s.decide(t, d.target, total).change <= 0
            s.decisions.pop()
        n = d.target
