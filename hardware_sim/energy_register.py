"""A simulated meter's energy register (计度器): what its display shows and what it reports on its
communication port (DL/T 645 DI 00 01 00 00, ``XXXXXX.XX`` kWh).

A sound meter's register advances with the energy it measures — the same energy its pulse output
counts (:meth:`~hardware_sim.physics.MeterElement.energy_wh`). A faulty one (a wrong register
constant, a bad gear in a stepper register) advances ``error_pct`` more (or less) than its pulses,
which only the JJG 596 constant test (电能表常数试验) can find. The register counts whole digits of
its last place: it shows the energy truncated to ``resolution_kwh`` and wraps at ``wrap_kwh``.
"""

from __future__ import annotations

import math
from decimal import Decimal

from hardware_sim.physics import MeterElement


class EnergyRegister:
    """The register of the meter ``element``, starting at ``initial_kwh``."""

    def __init__(self, element: MeterElement, initial_kwh: float, *, resolution_kwh: float = 0.01,
                 wrap_kwh: float = 1_000_000.0) -> None:
        if not 0 <= initial_kwh < wrap_kwh or not resolution_kwh > 0:
            raise ValueError("a register starts within [0, wrap) and has a positive resolution")
        self.element = element
        self.resolution_kwh = resolution_kwh
        self.wrap_kwh = wrap_kwh
        self._kwh = float(initial_kwh)
        self._seen_wh = element.energy_wh()

    def advance(self, error_pct: float = 0.0) -> None:
        """Count the energy the meter measured since the last call, ``error_pct`` more than its pulses."""
        now = self.element.energy_wh()
        self._kwh = (self._kwh + (now - self._seen_wh) / 1000.0 * (1.0 + error_pct / 100.0)) % self.wrap_kwh
        self._seen_wh = now

    @property
    def exact_kwh(self) -> float:
        """The register's internal count, kWh (more digits than it shows)."""
        return self._kwh

    def shown_kwh(self) -> Decimal:
        """What the display shows and the port reports: the count truncated to the last digit."""
        res = Decimal(str(self.resolution_kwh))
        # a millionth of a digit absorbs the float count's rounding (1e-10 kWh at 10^6 kWh)
        return Decimal(math.floor(self._kwh / self.resolution_kwh + 1e-6)) * res


__all__ = ["EnergyRegister"]
