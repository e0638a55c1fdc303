"""The meter bench's physics without a wire: a polyphase circuit with one element loaded alone,
meters whose elements have errors of their own, and a meter's register (计度器) running with the
energy it measures — on a clock the test moves by hand.

Hand-worked: 220 V × 5 A × cos φ 1 = 1100 W per loaded phase; one hour → 1.1 kWh per phase.
Element errors +2.8, −1.2, −1.0 %: balanced the meter registers 1.1 × (1.028 + 0.988 + 0.990) =
3.3066 kWh for 3.3 kWh (+0.2 %); B alone 1.1 × 0.988 = 1.0868 kWh (−1.2 %).
"""

from __future__ import annotations

import pytest

from hardware_sim.energy_register import EnergyRegister
from hardware_sim.physics import Circuit, MeterElement


class HandClock:
    """Simulation time moved by the test."""

    def __init__(self) -> None:
        self.now = 0.0

    def t(self) -> float:
        return self.now


def _circuit(phases: int = 3) -> tuple[HandClock, Circuit]:
    clock = HandClock()
    c = Circuit(clock, voltage_v=220.0, phases=phases)  # type: ignore[arg-type]
    c.set_load(5.0, 1.0)
    c.set_contactor(True)
    return clock, c


def test_polyphase_energy_balanced_and_one_element_alone() -> None:
    clock, c = _circuit()
    meter = MeterElement(c, 0.0, 1600.0, element_errors_pct=(2.8, -1.2, -1.0))
    assert c.power_w == pytest.approx(3300.0) and meter.effective_error_pct() == pytest.approx(0.2)
    clock.now = 3600.0
    assert c.phase_energy_wh() == pytest.approx((1100.0, 1100.0, 1100.0))
    assert meter.energy_wh() == pytest.approx(3306.6)
    c.set_load(5.0, 1.0, loaded=(False, True, False))
    assert c.power_w == pytest.approx(1100.0) and meter.effective_error_pct() == pytest.approx(-1.2)
    clock.now = 7200.0
    assert c.phase_energy_wh() == pytest.approx((1100.0, 2200.0, 1100.0))
    assert meter.energy_wh() - 3306.6 == pytest.approx(1086.8)
    with pytest.raises(ValueError, match="one error per phase"):
        MeterElement(c, element_errors_pct=(1.0, 2.0))
    with pytest.raises(ValueError, match="at least one"):
        c.set_load(5.0, 1.0, loaded=(False, False, False))


def test_single_phase_circuit_is_unchanged() -> None:
    clock, c = _circuit(phases=1)
    meter = MeterElement(c, 0.5, 1000.0)
    clock.now = 3600.0
    assert c.true_energy_wh() == pytest.approx(1100.0) and meter.energy_wh() == pytest.approx(1105.5)
    assert meter.pulses() == 1105  # 1.1055 kWh × 1000 imp/kWh


def test_register_runs_ahead_of_its_pulses_and_wraps() -> None:
    clock, c = _circuit(phases=1)
    meter = MeterElement(c, 0.0, 1000.0)
    reg = EnergyRegister(meter, 1234.56)
    clock.now = 3600.0  # 1.1 kWh measured
    reg.advance(1.0)  # 1 % more than the pulses
    assert reg.exact_kwh == pytest.approx(1234.56 + 1.111)
    assert str(reg.shown_kwh()) == "1235.67"  # 1235.671 shown to its last digit
    top = EnergyRegister(meter, 999999.99)
    clock.now = 7200.0
    top.advance()
    assert str(top.shown_kwh()) == "1.09"  # 999999.99 + 1.1 wraps at 1 000 000
    with pytest.raises(ValueError):
        EnergyRegister(meter, -1.0)
