"""Diaphragm gas meters (膜式燃气表, JJG 577-2012): reference volume at the meters' conditions,
errors for all bench positions, the flow zones and their MPEs, laboratory conditions, test volumes.

regulations.md §5. The standard (bell prover 钟罩 or standard gas meter) measures ``V_s`` at its own
absolute pressure ``p_s`` and temperature ``T_s``; the meters under test see the gas at ``p_m``,
``T_m``. By the ideal-gas law the same amount of gas occupies at the meters [M, regulations.md §5]::

    V_ref = V_s · (p_s / p_m) · (T_m / T_s)        (absolute pressures; T in kelvin = t + 273.15)
    E     = (V_m − V_ref) / V_ref × 100 %

The correction may be omitted when the standard's and the meters' temperatures differ by at most
0.5 °C *and* the pressure correction ``p_s/p_m − 1`` lies within ±0.2 % [R sec. oknoswiat.com, §5];
whether a laboratory omits it then (``"when_needed"``) or always applies it (``"always"``) is a data
switch of the regulation table, as are both thresholds.

Flow zones [R sec. renrendoc slides; MID/OIML R137 cross-check, §5, §7]: ``qmin ≤ q < qt`` and
``qt ≤ q ≤ qmax`` with ``qt = 0.1·qmax`` (the fraction is data); each zone has its MPE (class 1.5:
±3 % / ±1.5 %; class 1.0: ±2 % / ±1 %) — the numbers come from the table, never from here.

Everything is vectorised over bench positions (and runs): a NaN at one position (no pulses, a dial
entry that could not be read) stays NaN at that position only. Intermediate volumes are not rounded;
only the error is, to the regulation's interval (``procedures.metrology.bench.judge_positions``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ._arrays import as_float_array, require_positive, scalar_or_array

ZERO_CELSIUS_K = 273.15
"""0 °C in kelvin (thermodynamic temperature for the T_m/T_s ratio)."""

CORRECTION_MODES = ("always", "when_needed")


def reference_volume(v_s: npt.ArrayLike, p_s_kpa: npt.ArrayLike, t_s_c: npt.ArrayLike, p_m_kpa: npt.ArrayLike,
                     t_m_c: npt.ArrayLike) -> np.ndarray | float:
    """The standard's volume carried to the meters' conditions, ``V_s·(p_s/p_m)·(T_m/T_s)``.

    JJG 577-2012 (correction formula [M], regulations.md §5). Pressures are *absolute* (kPa),
    temperatures in °C (converted to kelvin here). Broadcasts, e.g. one standard volume against
    the conditions at every position. Raises ``ValueError`` for a non-positive pressure, a
    temperature at or below absolute zero or a non-positive standard volume.
    """
    v = as_float_array(v_s, "v_s")
    ps = as_float_array(p_s_kpa, "p_s_kpa")
    pm = as_float_array(p_m_kpa, "p_m_kpa")
    ts = as_float_array(t_s_c, "t_s_c") + ZERO_CELSIUS_K
    tm = as_float_array(t_m_c, "t_m_c") + ZERO_CELSIUS_K
    require_positive(v, "v_s")
    require_positive(ps, "p_s_kpa (absolute)")
    require_positive(pm, "p_m_kpa (absolute)")
    require_positive(ts, "t_s (K)")
    require_positive(tm, "t_m (K)")
    return scalar_or_array(v * (ps / pm) * (tm / ts))


def correction_needed(p_s_kpa: npt.ArrayLike, t_s_c: npt.ArrayLike, p_m_kpa: npt.ArrayLike, t_m_c: npt.ArrayLike,
                      max_dt_c: float, max_pressure_pct: float) -> np.ndarray | bool:
    """Whether the p/T correction may *not* be omitted: ``|t_s − t_m| > max_dt_c`` or
    ``|p_s/p_m − 1| × 100 > max_pressure_pct`` (JJG 577-2012, regulations.md §5: 0.5 °C and ±0.2 %
    in the table). Both limits are inclusive: a difference exactly at a threshold may be omitted.
    A tiny tolerance (1e-9) keeps 0.5 °C computed as 20.5 − 20.0 on the omitted side."""
    ps = as_float_array(p_s_kpa, "p_s_kpa")
    pm = as_float_array(p_m_kpa, "p_m_kpa")
    require_positive(pm, "p_m_kpa (absolute)")
    dt = np.abs(as_float_array(t_s_c, "t_s_c") - as_float_array(t_m_c, "t_m_c"))
    dp_pct = np.abs(ps / pm - 1.0) * 100.0
    needed = (dt > max_dt_c + 1e-9) | (dp_pct > max_pressure_pct + 1e-9)
    return bool(needed) if needed.ndim == 0 else needed


@dataclass(frozen=True)
class CorrectedReference:
    """Reference volumes at the meters (``volume_l``) and where the p/T correction was applied
    (``applied``: False where the rule allowed omitting it and the table chose to)."""

    volume_l: np.ndarray
    applied: np.ndarray


def corrected_reference(v_s: npt.ArrayLike, p_s_kpa: npt.ArrayLike, t_s_c: npt.ArrayLike, p_m_kpa: npt.ArrayLike,
                        t_m_c: npt.ArrayLike, *, mode: str, max_dt_c: float,
                        max_pressure_pct: float) -> CorrectedReference:
    """``V_ref`` by the table's rule: ``"always"`` corrects every position; ``"when_needed"`` takes
    ``V_s`` unchanged where :func:`correction_needed` is False (regulations.md §5). Arrays out
    (broadcast shape of the inputs)."""
    if mode not in CORRECTION_MODES:
        raise ValueError(f"correction mode must be one of {CORRECTION_MODES}, got {mode!r}")
    corrected = np.asarray(reference_volume(v_s, p_s_kpa, t_s_c, p_m_kpa, t_m_c), dtype=float)
    if mode == "always":
        applied = np.ones(corrected.shape, dtype=bool)
    else:
        applied = np.broadcast_to(np.asarray(correction_needed(p_s_kpa, t_s_c, p_m_kpa, t_m_c, max_dt_c,
                                                               max_pressure_pct)), corrected.shape)
    plain = np.broadcast_to(as_float_array(v_s, "v_s"), corrected.shape)
    return CorrectedReference(np.where(applied, corrected, plain), np.array(applied, dtype=bool))


def gas_errors(v_m: npt.ArrayLike, v_ref: npt.ArrayLike) -> np.ndarray:
    """``E = (V_m − V_ref)/V_ref × 100 %`` for every position (regulations.md §0.1, §5); a NaN
    indication (faulty position) gives NaN. Raises ``ValueError`` for a non-positive reference."""
    vm = as_float_array(v_m, "v_m")
    vr = as_float_array(v_ref, "v_ref")
    require_positive(vr, "v_ref")
    return np.asarray((vm - vr) / vr * 100.0, dtype=float)


def flow_rates(qmax: float, qmin: float, points: Sequence[Mapping[str, object]]) -> list[float]:
    """The test flows (m³/h) of the table's flow points, each ``{"of": "qmax" | "qmin",
    "factor": f}`` — JJG 577-2012 qmax, 0.2·qmax, qmin (regulations.md §5, [R sec.; M])."""
    if not 0 < qmin < qmax:
        raise ValueError(f"need 0 < qmin < qmax, got qmin={qmin}, qmax={qmax}")
    base = {"qmax": qmax, "qmin": qmin}
    out: list[float] = []
    for p in points:
        of = str(p.get("of", "qmax"))
        if of not in base:
            raise ValueError(f"flow point base must be 'qmax' or 'qmin', got {of!r}")
        out.append(base[of] * float(p.get("factor", 1.0)))  # type: ignore[arg-type]
    return out


def zone_mpe(flow: npt.ArrayLike, qmin: float, qmax: float, qt_fraction: float, mpe_lower_pct: float,
             mpe_upper_pct: float) -> np.ndarray | float:
    """MPE (%) by flow zone: ``mpe_lower_pct`` for ``qmin ≤ q < qt``, ``mpe_upper_pct`` for
    ``qt ≤ q ≤ qmax`` with ``qt = qt_fraction·qmax`` (JJG 577-2012, regulations.md §5; the values
    are table data). A flow outside [qmin, qmax] (beyond a relative 1e-9) raises ``ValueError``."""
    q = as_float_array(flow, "flow")
    qt = qt_fraction * qmax
    tol = 1e-9
    if np.any(q < qmin * (1 - tol)) or np.any(q > qmax * (1 + tol)):
        raise ValueError(f"flow {q.tolist()} m³/h outside the measuring range {qmin:g}…{qmax:g} m³/h")
    return scalar_or_array(np.where(q < qt * (1 - tol), mpe_lower_pct, mpe_upper_pct).astype(float))


def lab_temperature_limits(qmax: float, small_meter_qmax: float, small_range: Sequence[float],
                           large_range: Sequence[float]) -> tuple[float, float]:
    """The laboratory temperature window for a meter size: ``small_range`` (18–22 °C) when
    ``qmax ≤ small_meter_qmax`` (10 m³/h), else ``large_range`` (15–25 °C) — JJG 577-2012
    conditions [R sec. oknoswiat.com, regulations.md §5]; all numbers from the table."""
    lo, hi = small_range if qmax <= small_meter_qmax else large_range
    return float(lo), float(hi)


@dataclass(frozen=True)
class ConditionCheck:
    """One laboratory condition against its window: ``value`` (None if neither measured nor
    entered), limits, unit; :attr:`excess` says by how much it is out (0 inside, positive above the
    upper limit, negative below the lower)."""

    name: str
    value: float | None
    low: float
    high: float
    unit: str

    @property
    def ok(self) -> bool:
        """Inside the window (limits inclusive); an unknown value is not ok."""
        return self.value is not None and self.low <= self.value <= self.high

    @property
    def excess(self) -> float:
        """Signed distance outside the window (0 inside, NaN when unknown)."""
        if self.value is None:
            return math.nan
        if self.value > self.high:
            return self.value - self.high
        if self.value < self.low:
            return self.value - self.low
        return 0.0


def check_conditions(values: Mapping[str, float | None],
                     limits: Mapping[str, tuple[float, float, str]]) -> tuple[ConditionCheck, ...]:
    """Every named condition (``values[name]``) against ``limits[name] = (low, high, unit)``, in
    the order of ``limits`` (JJG 577-2012 laboratory conditions: temperature, pressure 85–105 kPa,
    RH 45–75 %, regulations.md §5). Use :func:`out_of_range` for the failures."""
    out: list[ConditionCheck] = []
    for name, (low, high, unit) in limits.items():
        v = values.get(name)
        out.append(ConditionCheck(name, None if v is None else float(v), float(low), float(high), unit))
    return tuple(out)


def out_of_range(checks: Sequence[ConditionCheck]) -> tuple[ConditionCheck, ...]:
    """The conditions outside their window (or unknown)."""
    return tuple(c for c in checks if not c.ok)


def minimum_test_volume(cyclic_volume_l: float, min_cycles: int, resolution_l: float, mpe_pct: float,
                        resolution_share: float, floor_l: float = 0.0) -> float:
    """The smallest test volume for one flow point, as a whole number of cyclic volumes (回转体积):
    at least ``min_cycles`` cycles, at least ``floor_l``, and large enough that the meter's
    resolution (one pulse or one dial division, ``resolution_l``) is at most ``resolution_share``
    of the point's MPE: ``V ≥ resolution / (share · MPE/100)``. The rule and its numbers are OPEN
    (regulations.md §11.4, "test volumes"): they come from the table."""
    if cyclic_volume_l <= 0 or resolution_l <= 0 or mpe_pct <= 0 or resolution_share <= 0:
        raise ValueError("cyclic volume, resolution, MPE and resolution share must be > 0")
    need = max(min_cycles * cyclic_volume_l, resolution_l / (resolution_share * mpe_pct / 100.0), floor_l)
    cycles = math.ceil(need / cyclic_volume_l - 1e-9)
    return round(cycles * cyclic_volume_l, 9)


def same_sign_verdicts(errors_pct: npt.ArrayLike, limit_pct: float) -> np.ndarray:
    """MID MI-002 / OIML R137 rule (regulations.md §5, §7; OPEN for JJG 577): when all of a meter's
    errors between qt and qmax have the same sign, none may exceed ``limit_pct`` (0.5 % for class
    1.0). ``errors_pct`` is positions × points (the rounded point errors); returns per position
    ``"pass"``, ``"fail"`` or ``"n/a"`` (a position with a missing point error)."""
    e = np.atleast_2d(as_float_array(errors_pct, "errors_pct"))
    valid = np.all(np.isfinite(e), axis=-1)
    with np.errstate(invalid="ignore"):
        same = np.all(e > 0, axis=-1) | np.all(e < 0, axis=-1)
        too_big = np.any(np.abs(e) > limit_pct + 1e-9, axis=-1)
    out = np.where(same & too_big, "fail", "pass").astype("<U4")
    out[~valid] = "n/a"
    return out


__all__ = [
    "CORRECTION_MODES",
    "ZERO_CELSIUS_K",
    "ConditionCheck",
    "CorrectedReference",
    "check_conditions",
    "corrected_reference",
    "correction_needed",
    "flow_rates",
    "gas_errors",
    "lab_temperature_limits",
    "minimum_test_volume",
    "out_of_range",
    "reference_volume",
    "same_sign_verdicts",
    "zone_mpe",
]
