"""The standard-can twins: a can's neck reading from the volume it received (hand-worked), and the
rack that sends each delivery to the can it fits (the MMQ's 5 L can beside the 20 L can)."""

from __future__ import annotations

import pytest

from hardware_sim.fuel_dispenser import CanRack, StandardCanTwin


def _can(nominal: float, h0: float, d: float) -> StandardCanTwin:
    # no temperature difference and β = 0: the level shows the delivered volume alone
    return StandardCanTwin(nominal_l=nominal, h0_mm=h0, d_l_per_mm=d, beta_b=0.0, temperature_offset_c=0.0,
                           scale_mm=(0.0, 100.0), resolution_mm=0.5)


def test_neck_reading_by_hand() -> None:
    # 5.012 L into a 5 L can marked at h0 = 50 mm with 0.5 mL/mm: h = 50 + 0.012/0.0005 = 74.0 mm
    r = _can(5.0, 50.0, 0.0005).receive(5.012, 20.0, 0.0)
    assert (r.h_mm, r.off_scale) == (74.0, False)
    # 5.06 L: h = 50 + 120 = 170 mm, beyond the 100 mm scale: shown at its end and flagged
    r = _can(5.0, 50.0, 0.0005).receive(5.06, 20.0, 0.0)
    assert (r.h_mm, r.off_scale) == (100.0, True)


def test_rack_fills_the_can_the_delivery_fits_and_drains_all() -> None:
    big, small = _can(20.0, 66.0, 0.002), _can(5.0, 50.0, 0.0005)
    rack = CanRack([big, small])
    assert rack.reading() is None
    r = rack.receive(4.99, 20.0, 0.0)  # 5 L preset → the 5 L can: 50 − 0.01/0.0005 = 30.0 mm
    assert (small.fills, big.fills, r.h_mm) == (1, 0, 30.0) and rack.reading() == r
    r = rack.receive(20.01, 20.0, 0.0)  # 20 L → the 20 L can: 66 + 0.01/0.002 = 71.0 mm
    assert (small.fills, big.fills, r.h_mm) == (1, 1, 71.0) and rack.reading() == r
    rack.drain()
    assert rack.reading() is None and big.reading() is None and small.reading() is None
    with pytest.raises(ValueError, match="at least one can"):
        CanRack([])
