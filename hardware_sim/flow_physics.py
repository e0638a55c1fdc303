"""One simulated water/gas physics shared by a flow bench's twins: the clock, the medium's density,
and the collecting tank on the weighing scale.

The flow-bench twin (:mod:`hardware_sim.flow_bench`) pours every test's water into the tank of a
:class:`FlowRig`; the scale twin (:mod:`hardware_sim.scale`) weighs that tank. A weighing scale
adjusted with steel weights (conventional density 8000 kg/m³) *indicates* less than the water's
true mass, because the water displaces more air than the weights did:

    I = m · (1 − ρ_a/ρ_w) / (1 − ρ_a/ρ_c)        (OIML R 111-1:2004 annex B / conventional mass)

so a gravimetric procedure must apply the buoyancy correction m = I · (1 − ρ_a/ρ_c)/(1 − ρ_a/ρ_w)
and divide by ρ_w(t) to get the reference volume. The twin implements the forward direction with
its own formulas (never the procedure's code), so a procedure that forgets or inverts a correction
fails its tests.

Formulas:
* water density: Tanaka et al., Metrologia 38 (2001) 301 (the CIPM formula for SMOW, air-free,
  101.325 kPa), 0–40 °C, ρ = a5·[1 − (t + a1)²(t + a2) / (a3·(t + a4))];
* air density: the CIPM-81/91 approximation of OIML R 111-1:2004 (E.3-1),
  ρ_a = (0.34848·p − 0.009·h·exp(0.061·t)) / (273.15 + t), p in hPa, h in %RH, ρ_a in kg/m³.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from hardware_sim.physics import SimClock

#: Conventional density of the scale's adjustment weights, kg/m³ (OIML R 111).
CONVENTIONAL_DENSITY_KG_M3 = 8000.0

_TANAKA = (-3.983035, 301.797, 522528.9, 69.34881, 999.974950)


def water_density(temperature_c: float) -> float:
    """Density of pure air-free water at 101.325 kPa, kg/m³ (Tanaka 2001; 20 °C → 998.2067)."""
    a1, a2, a3, a4, a5 = _TANAKA
    t = temperature_c
    return a5 * (1.0 - (t + a1) ** 2 * (t + a2) / (a3 * (t + a4)))


def air_density(temperature_c: float, pressure_kpa: float, humidity_pct: float) -> float:
    """Density of moist air, kg/m³ (OIML R 111-1 E.3-1; 20 °C, 101.325 kPa, 50 % → about 1.199)."""
    p_hpa = pressure_kpa * 10.0
    return (0.34848 * p_hpa - 0.009 * humidity_pct * math.exp(0.061 * temperature_c)) / (273.15 + temperature_c)


def scale_indication(mass_kg: float, water_temperature_c: float, air_kg_m3: float) -> float:
    """What a scale adjusted with 8000 kg/m³ weights shows for ``mass_kg`` of water, kg."""
    rho_w = water_density(water_temperature_c)
    return mass_kg * (1.0 - air_kg_m3 / rho_w) / (1.0 - air_kg_m3 / CONVENTIONAL_DENSITY_KG_M3)


@dataclass
class Tank:
    """The collecting tank on the scale: the water's true mass in it, the temperature of the last
    water poured in, and when water last arrived (wall clock: the indication settles after it)."""

    mass_kg: float = 0.0
    temperature_c: float = 20.0
    last_pour_wall: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def pour(self, volume_l: float, temperature_c: float) -> None:
        """``volume_l`` litres of water at ``temperature_c`` run into the tank."""
        if volume_l <= 0:
            return
        with self._lock:
            self.mass_kg += volume_l / 1000.0 * water_density(temperature_c)
            self.temperature_c = temperature_c
            self.last_pour_wall = time.monotonic()

    def drain(self) -> None:
        """Open the drain valve: the tank is empty again."""
        with self._lock:
            self.mass_kg = 0.0
            self.last_pour_wall = time.monotonic()


@dataclass
class LabAir:
    """The laboratory's air around the scale and the bench (settable for refusal tests)."""

    temperature_c: float = 20.0
    pressure_kpa: float = 101.325
    humidity_pct: float = 50.0

    @property
    def density_kg_m3(self) -> float:
        """Air density now (OIML R 111 E.3-1)."""
        return air_density(self.temperature_c, self.pressure_kpa, self.humidity_pct)


@dataclass
class FlowRig:
    """What the twins of one flow bench share: the accelerated clock (``speed`` simulated seconds
    per wall second), the laboratory air and the tank on the scale."""

    speed: float = 100.0
    air: LabAir = field(default_factory=LabAir)
    tank: Tank = field(default_factory=Tank)
    clock: SimClock = field(init=False)

    def __post_init__(self) -> None:
        self.clock = SimClock(self.speed)
