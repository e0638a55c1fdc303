"""JJG 577-2012 膜式燃气表 — diaphragm gas meters, a batch of one model on a multi-position gas
bench (bell prover or standard gas meter). Every number lives in data/jjg577.toml with its source
and confidence (regulations.md §5; the official text was not available, so most values are
secondary or OPEN and can be overridden from the station's ``[procedure]`` section).

Roles: ``flow_bench`` (:class:`~drivers.roles.FlowBench`, medium gas: sets the flow, runs each
start-stop test, counts every position's pulses, reports the gas and laboratory conditions) and
``flow_standard`` (:class:`~drivers.roles.FlowStandard`: the bell prover or standard gas meter,
``volume_l`` at its own temperature and absolute pressure).

Steps (items in the table's order):

- 检定条件 (test conditions): the laboratory's temperature (18–22 °C for qmax ≤ 10 m³/h, else
  15–25 °C), pressure (85–105 kPa) and relative humidity (45–75 %) read from the bench
  (``FlowBench.conditions()`` ``ambient_*``), each one the bench does not measure entered by the
  operator. **A laboratory out of conditions is a condition not met**: the step raises
  :class:`~procedures.engine.context.ConditionNotMet` naming every condition out of range with its
  value and window (``"实验室条件不符合 JJG 577-2012 (laboratory conditions out of range) — 环境温度
  (temperature) 23.5 °C 超出 18~22 °C (高 +1.5 °C) …"``); the operator chooses to read the
  conditions again (once the room is back in range: the step runs again under a fresh attempt, the
  readings of the first stay on disk) or to end the run as 无效 (void: no certificate, no notice).
  When in range the three values are result rows of the item (the pressure has no other place on
  the certificate) and :meth:`Jjg577.environment` returns them.
- 恒温 (soak ≥ 4 h): the operator confirms it (the workstation cannot measure it); not confirmed →
  a condition not met the same way (asked again, or the run void).
- 外观检查 and 密封性检查: a checklist with one point per bench position; a position not confirmed
  fails that item for that meter only (``data["position_notes"]``).
- 压力损失 (pressure loss) at qmax: one test of ``volume_cycles`` cyclic volumes at qmax; each
  position's differential pressure from the bench (``PositionReading.pressure_loss_pa``) or entered
  by the operator where the bench gives none (or ``source = "entry"``), judged per position against
  the table's limit for the meter size (≤ 200 Pa for qmax ≤ 10 m³/h, OPEN).
- 示值误差 at qmax, 0.2·qmax and qmin: per run ``standard.begin()`` → ``bench.run_test(flow,
  volume)`` → ``standard.measured()``; each meter's volume ``V_m`` is its pulse count × the pulse
  constant (``reading_mode = "pulse"``) or the dial reading the operator enters per position
  (``"entry"``); ``V_ref = V_s·(p_s/p_m)·(T_m/T_s)`` (omitted where the table's rule allows and it
  says ``"when_needed"``), ``E = (V_m − V_ref)/V_ref`` for all positions at once
  (:mod:`procedures.metrology.gas`), mean over runs, rounded and judged against the zone's MPE
  (:func:`~procedures.metrology.bench.judge_positions`). A position without a usable reading (no
  pulses, a dial entry the operator could not give) is reported in ``data["position_faults"]`` and
  is n/a "—" at that point; the others go on.
- 同号误差规则 (MID same-sign rule, OPEN): only when the table enables it.

Conditions of a valid test (they concern every position, so the whole test is measured again):
its mean flow within ``flow_tolerance_pct`` of the set flow and the gas temperatures at the
standard and at the meters no further apart than ``max_temperature_difference_c`` (1 °C [R sec.];
the 0.5 °C / ±0.2 % rule for omitting the p/T correction is a separate choice of the table). A test
that misses one stays on disk with its reason (``std:…`` reading's ``condition``); the operator
measures it again (attempt keys ``qmax:r1`` → ``qmax:r1@2``) or voids the run — it never reaches a
result.

Raw readings are keyed ``p07:qmax:r1`` (a meter's volume, L), ``std:qmax:r1`` (the standard's
volume with its and the meters' p, T), ``dp:p07`` (a pressure loss, Pa) and ``lab:temperature_c``
…; a resumed run re-uses them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from procedures.engine import Measurement, MeasureStep, Step, StepOutcome
from procedures.engine.context import ConditionNotMet, RunAborted, StepContext
from procedures.engine.text import Text
from procedures.metrology import bench as bench_math
from procedures.metrology import format_rounded, gas
from procedures.metrology.bench import judge_positions
from procedures.metrology.gas import (
    CORRECTION_MODES,
    check_conditions,
    corrected_reference,
    flow_rates,
    gas_errors,
    lab_temperature_limits,
    minimum_test_volume,
    out_of_range,
    same_sign_verdicts,
    zone_mpe,
)
from procedures.records import MeasurementResult, Verdict
from procedures.regulations import bench_steps
from procedures.regulations.base import (
    BenchParams,
    PlannedStep,
    RegulationProcedure,
    Resource,
    equipment_times,
    pulse_value_l,
    standard_u95,
    technical_params,
)
from procedures.regulations.bench_steps import (
    BENCH_ROLE,
    STANDARD_ROLE,
    confirm_positions,
    errors_by_position,
    flow_condition,
    flow_resource,
    points_text,
    position_checklist_plan,
    position_error_results,
    position_line,
    repeat_until_valid,
)
from procedures.regulations.common import worst

__all__ = ["GasMeterSpec", "GasParams", "Jjg577"]

IO_DEADLINE_S = 10.0  # backstop around a quick bench call (the driver has its own, shorter deadline)
READING_MODES = ("pulse", "entry")


@dataclass(frozen=True)
class GasMeterSpec:
    """The meters of the batch, from the ledger: accuracy class ("1.5" | "1.0"), flow range (m³/h),
    cyclic volume (回转体积, L), the pulse constant of the test element (L/pulse; None in entry
    mode), how readings reach the procedure, the gas the meters are for (``natural_gas`` | ``lpg``
    | ``manufactured_gas``: picks the service life) and pmax (kPa, for the tightness prompt)."""

    accuracy_class: str = "1.5"
    qmax_m3_h: float = 4.0
    qmin_m3_h: float = 0.025
    cyclic_volume_l: float = 1.2
    l_per_pulse: float | None = 0.1
    reading_mode: str = "pulse"
    gas_kind: str = "natural_gas"
    pmax_kpa: float | None = None


@dataclass(frozen=True)
class GasParams(BenchParams):
    """A JJG 577 run's choices: the meters (one model), the positions in use with their serials,
    the standard's U95 (%), edition, verification type and station overrides."""

    meter: GasMeterSpec
    serials: dict[int, str]
    standard_u95_pct: float | None = None
    edition: str = "2012"
    verification_type: str = "first"
    overrides: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_instrument(cls, instrument: Any, station: Any, *, edition: str,
                        verification_type: str = "first") -> GasParams:
        """Build from the ledger row (accuracy class; technical parameters ``qmax_m3_h``,
        ``qmin_m3_h``, ``cyclic_volume_l``, the pulse constant as ``l_per_pulse`` or
        ``pulses_per_l``, ``reading_mode``, ``gas_kind``, ``pmax_kpa``) and the station: the
        positions in use from ``station.bench_serials()``, the standard's ``u95_pct`` from the device
        playing ``flow_standard`` (the station must have devices for ``flow_bench`` and
        ``flow_standard``); ``[procedure] reading_mode`` overrides the ledger's."""
        tech = technical_params(instrument)
        overrides = station.section("procedure")
        mode = str(overrides.get("reading_mode", tech.get("reading_mode", "pulse")))
        l_per_pulse = pulse_value_l(tech)
        pmax = tech.get("pmax_kpa")
        meter = GasMeterSpec(accuracy_class=str(instrument.accuracy_class or "1.5"),
                             qmax_m3_h=float(tech.get("qmax_m3_h", 4.0)), qmin_m3_h=float(tech.get("qmin_m3_h", 0.025)),
                             cyclic_volume_l=float(tech.get("cyclic_volume_l", 1.2)), l_per_pulse=l_per_pulse,
                             reading_mode=mode, gas_kind=str(tech.get("gas_kind", "natural_gas")),
                             pmax_kpa=None if pmax is None else float(pmax))
        serials = station.bench_serials()
        if not serials:
            raise ValueError("JJG 577 需要多表位装置 [bench] 段 (the station needs a [bench] section naming the meters)")
        station.device_for(BENCH_ROLE)
        return cls(meter=meter, serials=dict(serials), standard_u95_pct=standard_u95(station, STANDARD_ROLE),
                   edition=edition, verification_type=verification_type, overrides=overrides)


class Jjg577(RegulationProcedure):
    """JJG 577-2012 for a batch of diaphragm gas meters on a multi-position bench."""

    TABLE = "jjg577"
    CONDITIONS = ((("pressure_kpa",), "大气压力", "Atmospheric pressure", "kPa"),)
    RULE_MODULES = (gas, bench_math, bench_steps)

    def __init__(self, params: GasParams) -> None:
        super().__init__(params)
        self.params: GasParams = params
        t, m = self.table, params.meter
        if m.accuracy_class not in t["classes"]:
            raise ValueError(f"accuracy class {m.accuracy_class!r} unknown; known: {sorted(t['classes'])}")
        if m.reading_mode not in READING_MODES:
            raise ValueError(f"reading_mode must be one of {READING_MODES}, got {m.reading_mode!r}")
        if m.reading_mode == "pulse" and not (m.l_per_pulse and m.l_per_pulse > 0):
            raise ValueError("reading_mode \"pulse\" needs the pulse constant (l_per_pulse or pulses_per_l)")
        if not 0 < m.qmin_m3_h < m.qmax_m3_h:
            raise ValueError(f"need 0 < qmin < qmax, got qmin={m.qmin_m3_h}, qmax={m.qmax_m3_h} m³/h")
        if m.qmax_m3_h > float(t["regulation"]["qmax_limit_m3_h"]):
            raise ValueError(f"qmax {m.qmax_m3_h:g} m³/h beyond the scope of {t['regulation']['code']} "
                             f"(≤ {t['regulation']['qmax_limit_m3_h']:g} m³/h)")
        if m.cyclic_volume_l <= 0:
            raise ValueError(f"cyclic volume must be > 0, got {m.cyclic_volume_l}")
        if str(t["items"]["indication_error"]["correction"]) not in CORRECTION_MODES:
            raise ValueError(f"correction must be one of {CORRECTION_MODES}, got "
                             f"{t['items']['indication_error']['correction']!r}")
        if not params.serials:
            raise ValueError("no bench position in use")
        self.positions: tuple[int, ...] = params.positions
        cls_row = t["classes"][m.accuracy_class]
        factor = float(t["in_use"]["mpe_factor"]) if params.verification_type == "in_use" else 1.0
        self.mpe_lower = float(cls_row["mpe_lower_pct"]) * factor
        self.mpe_upper = float(cls_row["mpe_upper_pct"]) * factor
        self.steps: Sequence[Step] = self._build_steps()

    @property
    def item_keys(self) -> Sequence[str]:
        """The edition's items without those it skips for this verification type (``skip``)."""
        skip = set(self.edition.get("skip", {}).get(self.params.verification_type, []))
        return [k for k in self.edition["items"] if k not in skip]

    # -- the numbers ----------------------------------------------------------------------------
    def lab_limits(self) -> dict[str, tuple[float, float, str]]:
        """The laboratory windows for this meter size: name → (low, high, unit)."""
        d = self.item_def("test_conditions")
        t_lo, t_hi = lab_temperature_limits(self.params.meter.qmax_m3_h, float(d["small_meter_qmax_m3_h"]),
                                            d["temperature_small_c"], d["temperature_large_c"])
        return {"temperature_c": (t_lo, t_hi, "°C"),
                "pressure_kpa": (float(d["pressure_kpa"][0]), float(d["pressure_kpa"][1]), "kPa"),
                "humidity_pct": (float(d["humidity_pct"][0]), float(d["humidity_pct"][1]), "%")}

    def pressure_loss_limit_pa(self) -> float:
        """The largest pressure loss (Pa) at qmax for this meter size: the first row of the table's
        ``limits`` whose ``qmax_max_m3_h`` holds the meter's qmax (200 Pa up to 10 m³/h, OPEN)."""
        qmax = self.params.meter.qmax_m3_h
        for row in self.item_def("pressure_loss")["limits"]:
            if qmax <= float(row["qmax_max_m3_h"]) + 1e-9:
                return float(row["max_pa"])
        raise ValueError(f"no pressure-loss limit for qmax {qmax:g} m³/h in the table")

    def point_plan(self) -> list[dict[str, Any]]:
        """The flow points with their flow (m³/h), zone MPE (%), test volume (L) and the table's
        floors of that volume (``min_cycles``, ``min_volume_l``)."""
        m = self.params.meter
        d = self.item_def("indication_error")
        points = list(self.edition["flow_points"])
        flows = flow_rates(m.qmax_m3_h, m.qmin_m3_h, points)
        resolution = self.resolution_l()
        out = []
        for fp, q in zip(points, flows, strict=True):
            mpe = float(zone_mpe(q, m.qmin_m3_h, m.qmax_m3_h, float(self.table["zones"]["qt_fraction"]),
                                 self.mpe_lower, self.mpe_upper))
            volume = minimum_test_volume(m.cyclic_volume_l, int(fp.get("min_cycles", 1)), resolution, mpe,
                                         float(d["resolution_share"]), float(fp.get("min_volume_l", 0.0)))
            out.append({"key": str(fp["key"]), "label": str(fp["label"]), "flow_m3_h": q, "mpe": mpe,
                        "volume_l": volume, "upper_zone": q >= float(self.table["zones"]["qt_fraction"]) * m.qmax_m3_h,
                        "min_cycles": int(fp.get("min_cycles", 1)), "min_volume_l": float(fp.get("min_volume_l", 0.0))})
        return out

    def resolution_l(self) -> float:
        """The meter's resolution, L: one pulse of its test element (pulse mode), or one division of
        its dial (entry mode, the table's ``dial_resolution_l``)."""
        m = self.params.meter
        if m.reading_mode == "pulse" and m.l_per_pulse:
            return float(m.l_per_pulse)
        return float(self.item_def("indication_error")["dial_resolution_l"])

    # -- steps ----------------------------------------------------------------------------------
    def _build_steps(self) -> list[Step]:
        t, p, m = self.table, self.params, self.params.meter
        serials = {str(k): v for k, v in p.serials.items()}
        positions = list(self.positions)
        steps: list[Step] = []
        keys = self.item_keys
        if "test_conditions" in keys:
            d = self.item_def("test_conditions")
            steps.append(MeasureStep(
                "lab_conditions", "实验室环境条件", "test_conditions", [], _lab_conditions_step,
                title_en="Laboratory conditions",
                params={"limits": {k: list(v) for k, v in self.lab_limits().items()}, "code": self.code,
                        "entry": {"temperature_c": list(d["entry_temperature_c"]),
                                  "pressure_kpa": list(d["entry_pressure_kpa"]),
                                  "humidity_pct": list(d["entry_humidity_pct"])}}))
            steps.append(MeasureStep("soak", "恒温时间确认", "test_conditions", [], _soak_step, title_en="Soak time",
                                     params={"soak_h": float(d["soak_h"])}))
        for key in ("appearance", "tightness"):
            if key not in keys:
                continue
            d = self.item_def(key)
            points = list(d["points"])
            if key == "tightness":
                pressure = (f"{float(d['test_pressure_factor_of_pmax']) * m.pmax_kpa:g} kPa" if m.pmax_kpa
                            else f"{float(d['test_pressure_factor_of_pmax']):g} × pmax")
                points = [f"试验压力 {pressure}，保持 {float(d['hold_min']):g} min / test pressure {pressure}, "
                          f"held {float(d['hold_min']):g} min", *points]
            steps.append(MeasureStep(key, d["name"], key, [], _position_checklist_step, title_en=d["name_en"],
                                     params={"name": d["name"], "points": points, "positions": positions,
                                             "serials": serials}))
        if "pressure_loss" in keys:
            d = self.item_def("pressure_loss")
            if str(d["source"]) not in ("bench", "entry"):
                raise ValueError(f"pressure_loss source must be \"bench\" or \"entry\", got {d['source']!r}")
            ie = self.item_def("indication_error")
            volume = float(d["volume_cycles"]) * m.cyclic_volume_l
            steps.append(MeasureStep(
                "pressure_loss", d["name"], "pressure_loss", [], _pressure_loss_step, title_en=d["name_en"],
                params={"flow_m3_h": m.qmax_m3_h, "volume_l": volume, "limit_pa": self.pressure_loss_limit_pa(),
                        "source": str(d["source"]), "rounding_pa": float(d["rounding_pa"]),
                        "entry_pa": list(d["entry_pa"]), "positions": positions, "serials": serials,
                        "flow_tolerance_pct": float(ie["flow_tolerance_pct"]),
                        "deadline_s": volume / (m.qmax_m3_h * 1000.0 / 3600.0) * float(ie["test_deadline_factor"])
                        + float(ie["test_deadline_margin_s"])}))
        if "indication_error" in keys:
            d = self.item_def("indication_error")
            u95 = p.standard_u95_pct if t.get("uncertainty", {}).get("enabled", False) else None
            qt = float(t["zones"]["qt_fraction"]) * m.qmax_m3_h
            factor, margin = float(d["test_deadline_factor"]), float(d["test_deadline_margin_s"])
            point_keys: list[str] = []
            upper: list[str] = []
            for i, pt in enumerate(self.point_plan(), start=1):
                key = f"flow_point_{i}"
                point_keys.append(key)
                if pt["upper_zone"]:
                    upper.append(key)
                meas = Measurement("示值误差", "%", mpe=pt["mpe"], rounding_interval=str(d["rounding"]), clause=d["clause"])
                minutes = pt["volume_l"] / (pt["flow_m3_h"] * 1000.0 / 60.0)
                steps.append(MeasureStep(
                    key, f"示值误差 {pt['label']}", "indication_error", [meas], _flow_point_step,
                    title_en=f"Error of indication at {pt['label']}",
                    params={"point": pt["key"], "label": pt["label"], "flow_m3_h": pt["flow_m3_h"],
                            "volume_l": pt["volume_l"], "mpe": pt["mpe"], "zone": "upper" if pt["upper_zone"] else "lower",
                            "qt_m3_h": qt, "runs": int(self.edition["runs"]), "positions": positions,
                            "serials": serials, "reading_mode": m.reading_mode, "l_per_pulse": m.l_per_pulse,
                            "rounding": str(d["rounding"]), "u95": u95, "correction": str(d["correction"]),
                            "max_dt_c": float(d["correction_max_dt_c"]),
                            "max_pressure_pct": float(d["correction_max_pressure_pct"]),
                            "max_temperature_difference_c": float(d["max_temperature_difference_c"]),
                            "entry_range": [pt["volume_l"] * float(d["entry_volume_range"][0]),
                                            pt["volume_l"] * float(d["entry_volume_range"][1])],
                            "flow_tolerance_pct": float(d["flow_tolerance_pct"]),
                            "deadline_s": minutes * 60.0 * factor + margin}))
            ss = t.get("same_sign", {})
            limit = ss.get("limit_pct", {}).get(m.accuracy_class)
            if ss.get("enabled", False) and limit is not None and upper:
                steps.append(MeasureStep(
                    "same_sign", "同号误差规则", "indication_error", [], _same_sign_step,
                    title_en="Same-sign rule (qt…qmax)",
                    params={"points": upper, "limit": float(limit), "positions": positions,
                            "rounding": str(d["rounding"])}))
        return steps

    # -- the real-time plan ---------------------------------------------------------------------
    def plan_step(self, step: Step, ops: Mapping[str, float], hints: Mapping[str, Any]) -> PlannedStep:
        """The minimum real duration of a JJG 577 step on the bench and why: the laboratory
        conditions as the bench reads them; the soak (≥ 4 h before the run, not counted) confirmed;
        the checklists per position (nominal times, data/plan.toml) and the tightness test's hold;
        each test's volume at its flow (pressure loss: its cyclic volumes at qmax; each flow point:
        its runs of the volume the resolution rule needs, ``hints["standards"]["flow_standard"]`` the
        standard's resolution when the station gives it), each test with the bench's start-stop
        (nominal, data/plan.toml ``[equipment]``)."""
        p: Mapping[str, Any] = getattr(step, "params", {})
        n_pos = len(self.positions)
        if step.key == "lab_conditions":
            return PlannedStep(step.key, step.title, 0.0,
                               f"由装置读取温度、气压、湿度 (read from the bench)；装置未测的一项录入约 {ops['entry_s']:g} s "
                               "(one it does not measure is entered)")
        if step.key == "soak":
            hours = float(p["soak_h"])
            return PlannedStep(step.key, step.title, ops["checklist_point_s"],
                               f"恒温 ≥ {hours:g} h 在检定开始前完成，不计入 (the {hours:g} h soak happens before the run, "
                               f"not counted)；确认 1 项约 {ops['checklist_point_s']:g} s (confirmed, nominal)")
        if step.key in ("appearance", "tightness"):
            hold = float(self.item_def("tightness")["hold_min"]) if step.key == "tightness" else 0.0
            return position_checklist_plan(step, n_pos, len(p["points"]), ops, hold_s=hold * 60.0,
                                           hold_why=f"试验压力保持 {hold:g} min，串联各表一次 (the test pressure held once "
                                                    "for the meters in series)")
        if step.key == "pressure_loss":
            return self._plan_pressure_loss(step, p, ops)
        if step.key.startswith("flow_point_"):
            return self._plan_flow_point(step, p, ops, hints)
        if step.key == "same_sign":
            return PlannedStep(step.key, step.title, 0.0, "由各流量点的误差判定 (decided from the flow points' errors)")
        return super().plan_step(step, ops, hints)

    @staticmethod
    def _test_s(volume_l: float, flow_m3_h: float) -> float:
        """Seconds a test of ``volume_l`` takes at ``flow_m3_h`` (1 m³/h = 1000/3600 L/s)."""
        return volume_l / (flow_m3_h * 1000.0 / 3600.0)

    def _plan_pressure_loss(self, step: Step, p: Mapping[str, Any], ops: Mapping[str, float]) -> PlannedStep:
        """One test of the item's cyclic volumes at qmax; with ``source = "entry"`` every position's
        manometer reading entered."""
        m, d = self.params.meter, self.item_def("pressure_loss")
        volume, flow = float(p["volume_l"]), float(p["flow_m3_h"])
        test_s = self._test_s(volume, flow)
        parts = [f"{float(d['volume_cycles']):g} 个回转体积 × {m.cyclic_volume_l:g} L = {volume:g} L 于 qmax {flow:g} m³/h："
                 f"{test_s:.1f} s (its cyclic volumes at qmax)"]
        entry_s = 0.0
        if p["source"] == "entry":
            entry_s = len(self.positions) * float(ops["entry_s"])
            parts.append(f"{len(self.positions)} 表位压差录入 {entry_s:g} s (each position's manometer reading entered)")
        else:
            parts.append("各表位压差由装置读取 (the bench reads each position's differential pressure)")
        return PlannedStep(step.key, step.title, test_s + entry_s, "；".join(parts))

    def _plan_flow_point(self, step: Step, p: Mapping[str, Any], ops: Mapping[str, float],
                         hints: Mapping[str, Any]) -> PlannedStep:
        """``runs`` tests of the point's volume at its flow; the volume is the resolution rule's
        (:func:`~procedures.metrology.gas.minimum_test_volume`): whole cyclic volumes, at least
        ``min_cycles``, and the meter's resolution ≤ ``resolution_share`` × the point's MPE."""
        m, d = self.params.meter, self.item_def("indication_error")
        pt = next(x for x in self.point_plan() if x["key"] == p["point"])
        volume, flow, mpe, runs = float(p["volume_l"]), float(p["flow_m3_h"]), float(p["mpe"]), int(p["runs"])
        share, resolution = float(d["resolution_share"]), self.resolution_l()
        test_s = self._test_s(volume, flow)
        by_resolution = resolution / (share * mpe / 100.0)
        floor = f"、{pt['min_volume_l']:g} L" if pt["min_volume_l"] else ""
        pulse = (f"1 个脉冲 {resolution:g} L（{volume / resolution:.0f} 个脉冲）" if m.reading_mode == "pulse"
                 else f"字轮 1 个分度 {resolution:g} L")
        parts = [f"{runs} 次 × {volume:g} L 于 {flow:g} m³/h，每次 {test_s:.0f} s (runs of the volume at the flow)",
                 f"V = max({pt['min_cycles']} × 回转体积 {m.cyclic_volume_l:g} L{floor}, {resolution:g} L ÷ ({share:g} × "
                 f"MPE {mpe:g} %) = {by_resolution:.4g} L)，取整个回转体积 = {volume:g} L (the volume the table's rules need)",
                 f"{pulse} = V 的 {resolution / volume * 100:.3f} % ≤ {share:g} × MPE = {share * mpe:.3g} % (the meter's "
                 "resolution)"]
        std = dict(hints.get("standards", {}).get(STANDARD_ROLE, {})).get("resolution")
        if std:
            ok = "≤" if float(std) / volume * 100 <= share * mpe + 1e-12 else ">"
            parts.append(f"标准器分辨力 {float(std):g} L = V 的 {float(std) / volume * 100:.3f} % {ok} {share * mpe:.3g} % "
                         "(the standard's resolution)")
        read_s = 0.0
        if m.reading_mode == "entry":
            read_s = runs * len(self.positions) * float(ops["display_reading_s"])
            parts.append(f"每次读 {len(self.positions)} 表字轮 {read_s / runs:g} s (the dials read and entered)")
        start_stop = float(equipment_times(self.params.overrides)["start_stop_s"])
        parts.append(f"每次装置启停 {start_stop:g} s (the bench's start-stop, nominal)")
        return PlannedStep(step.key, step.title, runs * (test_s + start_stop) + read_s, "；".join(parts))

    # -- resources (always torn down) -----------------------------------------------------------
    def resources(self) -> dict[str, Resource]:
        """``flow``: gas flowing through the bench; the valves are always closed at the end."""
        return flow_resource()

    # -- the record (items and flags as RegulationProcedure: the flags are those of the flow points,
    # a test's mean flow away from the set flow; gas meters sign nothing) -------------------------
    def environment(self, outcomes: Mapping[str, StepOutcome]) -> dict[str, float | None]:
        """Laboratory temperature, humidity and pressure as measured (or entered)."""
        o = outcomes.get("lab_conditions")
        d = o.data if o else {}
        return {"temperature_c": d.get("temperature_c"), "humidity_pct": d.get("humidity_pct"),
                "pressure_kpa": d.get("pressure_kpa")}


# -- step bodies ------------------------------------------------------------------------------------
_CONDITION_ZH = {"temperature_c": ("环境温度", "temperature", "degC"), "pressure_kpa": ("大气压力", "pressure", "kPa"),
                 "humidity_pct": ("相对湿度", "humidity", "percent")}
_AMBIENT = {"temperature_c": "ambient_temperature_c", "pressure_kpa": "ambient_pressure_kpa",
            "humidity_pct": "ambient_humidity_pct"}


async def _lab_conditions_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """The laboratory's temperature, pressure and humidity (JJG 577-2012 conditions, regulations.md
    §5): from the bench where it measures them, else entered; any out of its window is a condition
    not met (``ConditionNotMet`` naming each condition, its value and its window; the readings stay
    stored): read again after the operator repeats, or the run is void."""
    p = step.params
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    missing = [k for k in _CONDITION_ZH if ctx.prior(f"lab:{k}") is None]
    bench_values: dict[str, float | None] = {}
    bench_name = ""
    if missing:
        bench = ctx.device(BENCH_ROLE)
        bench_name = bench.name
        cond = await ctx.io(bench.conditions(), IO_DEADLINE_S, bench.name, "读取实验室条件 (conditions)")
        bench_values = {k: getattr(cond, _AMBIENT[k]) for k in _CONDITION_ZH}
    for key, (zh, en, unit) in _CONDITION_ZH.items():
        old = ctx.prior(f"lab:{key}")
        if old is not None:
            values[key], sources[key] = old.value, old.source
        elif bench_values.get(key) is not None:
            values[key] = ctx.reading(f"lab:{key}", key, float(bench_values[key]), unit, bench_name)  # type: ignore[arg-type]
            sources[key] = bench_name
        else:
            lo, hi = p["entry"][key]
            entry = await ctx.ask_entry(f"lab:{key}", f"{zh} ({en}, 装置未测量 / not measured by the bench)", unit, lo, hi)
            values[key], sources[key] = entry.value, "operator"
    limits = {k: (float(v[0]), float(v[1]), str(v[2])) for k, v in p["limits"].items()}
    checks = check_conditions(values, limits)
    bad = out_of_range(checks)
    if bad:
        parts = []
        for c in bad:
            zh, en, _ = _CONDITION_ZH[c.name]
            side = "高" if c.excess > 0 else "低"
            parts.append(f"{zh} ({en}) {c.value:g} {c.unit} 超出 {c.low:g}~{c.high:g} {c.unit} "
                         f"({side} {c.excess:+.1f} {c.unit})")
        raise ConditionNotMet(f"实验室条件不符合 {p['code']} (laboratory conditions out of range) — " + "；".join(parts))
    results = []
    for c in checks:
        zh, en, _ = _CONDITION_ZH[c.name]
        assert c.value is not None
        r = MeasurementResult(name=zh, label=f"{en} ({c.low:g}~{c.high:g} {c.unit})", unit=c.unit, values=(c.value,),
                              mean=c.value, rounded=f"{c.value:.1f}", mpe=None, verdict=Verdict.PASS)
        ctx.record(step.item, r)
        results.append(r)
    return StepOutcome(verdict=Verdict.PASS, results=tuple(results), data={**values, "sources": sources})


async def _soak_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """The meters and the test gas have stayed in the laboratory ≥ 4 h (regulations.md §5): the
    operator confirms it; not confirmed → a condition not met (asked again, or the run void)."""
    hours = float(step.params["soak_h"])
    point = f"被检燃气表已在实验室内放置不少于 {hours:g} h / meters kept in the laboratory ≥ {hours:g} h"
    answers = await ctx.ask_checklist("恒温时间确认 (soak time)", [point])
    if not answers.get(point, False):
        raise ConditionNotMet(f"未确认恒温时间不少于 {hours:g} h (soak time ≥ {hours:g} h not confirmed)")
    r = MeasurementResult(name="恒温时间", label=f"≥ {hours:g} h", unit="h", values=(hours,), mean=hours,
                          rounded="已确认 (confirmed)", mpe=None, verdict=Verdict.PASS)
    ctx.record(step.item, r)
    return StepOutcome(verdict=Verdict.PASS, results=(r,), data={"soak_h": hours, "confirmed": True})


async def _position_checklist_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """A checklist confirmed per bench position (外观 / 密封性): the points are shown once, the
    operator ticks each position that conforms; a position not ticked fails the item for that meter
    only (its note names the item)."""
    p = step.params
    positions = [int(x) for x in p["positions"]]
    title = points_text(Text(p["name"], step.title_en), p["points"], then=Text("逐表位确认", "confirm each position"),
                        console=f"{p['name']}: " + "；".join(p["points"]) + " — 逐表位确认 (confirm each position)")
    lines = {pos: position_line(pos, p["serials"][str(pos)]) for pos in positions}
    checks = await confirm_positions(
        ctx, step, title, lines,
        label=lambda pos: f"表位 {pos}", scored=True, note=lambda pos: f"表位 {pos}: {p['name']}不符合 (does not conform)")
    return StepOutcome(verdict=checks.verdict, results=checks.results,
                       data={"checklist": {str(pos): ok for pos, ok in checks.answers.items()},
                             "position_notes": checks.notes_by_key()})


@dataclass(frozen=True)
class _Test:
    """One start-stop test as persisted: the standard's volume and conditions, the meters' conditions,
    per position its volume (None: fault) and fault text, and why the test is not valid ("" when
    it is: :func:`_test_conditions`)."""

    v_s: float
    t_s: float
    p_s: float
    t_m: float
    p_m: float
    flow: float
    duration_s: float
    volumes: dict[int, float | None]
    faults: dict[int, str]
    condition: str = ""


def _test_conditions(p: Mapping[str, Any], what: str, flow: float, t_s: float, t_m: float) -> str:
    """Why a test is not valid ("": it is): its mean flow more than ``flow_tolerance_pct`` away
    from the set flow, or the gas at the standard and at the meters more than
    ``max_temperature_difference_c`` apart (1 °C [R sec. oknoswiat.com]). Both concern every
    position on the bench; each reason names the value and the limit."""
    set_flow, tol = float(p["flow_m3_h"]), float(p["flow_tolerance_pct"])
    out = [flow_condition(what, flow, set_flow * (1 - tol / 100.0), set_flow * (1 + tol / 100.0))]
    limit = float(p["max_temperature_difference_c"])
    if abs(t_s - t_m) > limit + 1e-9:
        out.append(f"{what}: 标准器与被检表气体温度差 {t_s - t_m:+.2f} °C (标准器 {t_s:.2f} °C, 被检表 {t_m:.2f} °C) "
                   f"超过 ±{limit:g} °C (gas temperature difference between the standard and the meters too large)")
    return "；".join(x for x in out if x)


async def _run_test(ctx: StepContext, step: MeasureStep, k: int) -> _Test:
    """Test ``k`` of this flow point, valid: measured (again, under the next attempt key, after the
    operator's choice) until its conditions are met, or the run is void."""
    p = step.params

    async def take(key: str) -> _Test:
        return await _take_test(ctx, step, k, key)

    return await repeat_until_valid(ctx, f"{p['point']}:r{k}", take, lambda t: t.condition)


async def _take_test(ctx: StepContext, step: MeasureStep, k: int, key: str) -> _Test:
    """Run (or, on resume, recover) test ``k`` of this flow point under attempt ``key``:
    ``standard.begin()`` → ``bench.run_test(flow, volume)`` → ``standard.measured()``. In pulse mode
    each position's volume is its pulse count × the pulse constant; in entry mode the operator
    enters each dial reading (not for a test whose conditions were not met)."""
    p = step.params
    positions = [int(x) for x in p["positions"]]
    std_key = f"std:{key}"
    old = ctx.prior(std_key)
    volumes: dict[int, float | None] = {}
    faults: dict[int, str] = {}
    fresh: dict[int, tuple[float, str]] = {}
    label = f"{p['label']} 第{k}次"
    if old is None:
        bench, std = ctx.device(BENCH_ROLE), ctx.device(STANDARD_ROLE)
        await ctx.ensure("flow")
        await ctx.io(std.begin(), IO_DEADLINE_S, std.name, "标准器准备 (standard begin)")
        ctx.progress((k - 1) / int(p["runs"]), Text(f"{label}: {p['flow_m3_h']:g} m³/h, {p['volume_l']:g} L",
                                                    f"{p['label']} run {k}: {p['flow_m3_h']:g} m³/h, {p['volume_l']:g} L"))
        run = await ctx.io(bench.run_test(float(p["flow_m3_h"]), float(p["volume_l"])), float(p["deadline_s"]),
                           bench.name, f"{label} 检定 (test run)")
        measured = await ctx.io(std.measured(), IO_DEADLINE_S + std.settle_timeout_s, std.name,
                                "读取标准器 (standard volume)")
        await ctx.release("flow")
        if measured.volume_l is None:
            raise ValueError(f"{std.name}: 标准器未给出体积 (the standard gave no volume: kind {measured.kind!r})")
        by_pos = {r.position: r for r in run.positions}
        if p["reading_mode"] == "pulse":  # the meters' readings first: a stored standard reading means a whole test
            for pos in positions:
                r = by_pos.get(pos)
                if r is None:
                    fault = "无读数 (no reading)"
                elif r.fault:
                    fault = r.fault
                elif r.dut_pulses is None or r.dut_pulses <= 0:
                    fault = "无脉冲 (no pulses)"
                else:
                    fault = ""
                pulses = 0 if fault or r is None or r.dut_pulses is None else int(r.dut_pulses)
                v_m = pulses * float(p["l_per_pulse"])
                fresh[pos] = (v_m, fault)
                ctx.reading(f"p{pos:02d}:{key}", "meter_volume", v_m, "L", bench.name, pulses=pulses, fault=fault)
        c = run.conditions
        e: dict[str, Any] = {"kind": measured.kind, "t_s": measured.temperature_c, "p_s": measured.pressure_kpa,
                             "t_m": c.temperature_c, "p_m": c.pressure_kpa, "flow": c.flow_m3_h,
                             "duration_s": run.duration_s,
                             "condition": _test_conditions(p, label, c.flow_m3_h, measured.temperature_c,
                                                           c.temperature_c)}
        v_s = ctx.reading(std_key, "standard_volume", float(measured.volume_l), "L", std.name, **e)
    else:
        e, v_s = old.extra, old.value
    condition = str(e.get("condition", ""))
    for pos in positions:
        reading_key = f"p{pos:02d}:{key}"
        if condition:  # not a valid test: nothing more to read
            volumes[pos] = None
            continue
        if p["reading_mode"] == "entry":
            try:
                entry = await ctx.ask_entry(reading_key, f"表位 {pos} ({p['serials'][str(pos)]}) 示值 V_m ({label}, "
                                                         f"约 {p['volume_l']:g} L)", "L", *p["entry_range"])
                volumes[pos] = entry.value
            except RunAborted as err:
                if ctx.abort_flag.is_set():
                    raise
                volumes[pos] = None
                faults[pos] = f"示值输入无效 (invalid dial entry: {err})"
            continue
        if pos in fresh:
            value, fault = fresh[pos]
        else:
            r = ctx.prior(reading_key)
            value, fault = (r.value, str(r.extra.get("fault", ""))) if r is not None else (0.0, "无读数 (no reading)")
        volumes[pos] = None if fault else value
        if fault:
            faults[pos] = fault
    return _Test(v_s=float(v_s), t_s=float(e["t_s"]), p_s=float(e["p_s"]), t_m=float(e["t_m"]), p_m=float(e["p_m"]),
                 flow=float(e["flow"]), duration_s=float(e["duration_s"]), volumes=volumes, faults=faults,
                 condition=condition)


async def _pressure_loss_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """压力损失 at qmax on every position: one test at qmax (valid: its flow within the tolerance of
    qmax, else measured again or the run void); each position's differential pressure from the
    bench, or entered by the operator where the bench gives none (``source = "entry"``: every
    position). Rounded to ``rounding_pa`` and judged against the limit for the meter size; a
    position whose value cannot be had is that position's fault (re-test)."""
    p = step.params
    positions = [int(x) for x in p["positions"]]

    async def take(key: str) -> dict[str, Any]:
        old = ctx.prior(f"{key}:test")
        if old is not None:
            return {"key": key, "flow": old.value, "condition": str(old.extra.get("condition", "")),
                    "dp": {pos: r.value for pos in positions if (r := ctx.prior(f"{key}:p{pos:02d}")) is not None}}
        bench = ctx.device(BENCH_ROLE)
        await ctx.ensure("flow")
        run = await ctx.io(bench.run_test(float(p["flow_m3_h"]), float(p["volume_l"])), float(p["deadline_s"]),
                           bench.name, "压力损失试验 (pressure-loss test run)")
        await ctx.release("flow")
        dp: dict[int, float] = {}
        for r in run.positions:
            if r.position in positions and r.pressure_loss_pa is not None and p["source"] == "bench":
                dp[r.position] = ctx.reading(f"{key}:p{r.position:02d}", "pressure_loss", float(r.pressure_loss_pa),
                                             "Pa", bench.name)
        tol, q = float(p["flow_tolerance_pct"]), float(p["flow_m3_h"])
        condition = flow_condition("压力损失试验 (pressure-loss test)", run.conditions.flow_m3_h, q * (1 - tol / 100.0),
                                   q * (1 + tol / 100.0))
        ctx.reading(f"{key}:test", "flow", run.conditions.flow_m3_h, "m3/h", bench.name, condition=condition)
        return {"key": key, "flow": run.conditions.flow_m3_h, "condition": condition, "dp": dp}

    test = await repeat_until_valid(ctx, "dp", take, lambda t: str(t["condition"]))
    limit, interval = float(p["limit_pa"]), f"{float(p['rounding_pa']):g}"
    results: list[MeasurementResult] = []
    faults: dict[str, str] = {}
    for pos in positions:
        value = test["dp"].get(pos)
        if value is None:
            try:
                value = (await ctx.ask_entry(f"{test['key']}:p{pos:02d}", f"压力损失 表位 {pos} ({p['serials'][str(pos)]}) "
                                             f"(pressure loss at qmax {p['flow_m3_h']:g} m³/h)", "Pa",
                                             *p["entry_pa"])).value
            except RunAborted as err:
                if ctx.abort_flag.is_set():
                    raise
                faults[str(pos)] = f"表位 {pos}: 压力损失无读数 (no pressure-loss reading: {err})"
        label = f"qmax {test['flow']:.4g} m³/h"  # the limit is the result's one-sided mpe: printed "≤ 200 Pa"
        if value is None:
            r = MeasurementResult(name="压力损失", label=label, unit="Pa", values=(), mean=None, rounded="—", mpe=limit,
                                  verdict=Verdict.NOT_APPLICABLE, position=pos)
        else:
            printed = format_rounded(value, interval, signed=False)
            r = MeasurementResult(name="压力损失", label=label, unit="Pa", values=(value,), mean=value, rounded=printed,
                                  mpe=limit, verdict=Verdict.PASS if float(printed) <= limit else Verdict.FAIL,
                                  position=pos)
        ctx.record(step.item, r)
        results.append(r)
    notes = {str(r.position): f"表位 {r.position}: 压力损失 {r.rounded} Pa > {limit:g} Pa (pressure loss above the limit)"
             for r in results if r.verdict is Verdict.FAIL}
    return StepOutcome(verdict=worst(r.verdict for r in results), results=tuple(results),
                       data={"flow_m3_h": test["flow"], "limit_pa": limit, "position_faults": faults,
                             "position_notes": notes,
                             "pressure_loss_pa": {str(r.position): r.mean for r in results}})


def _record_constants(ctx: StepContext, p: Mapping[str, Any]) -> None:
    """Every input of E that is not read, on the record (regulations.md §5): the meters' pulse
    value (pulse mode: V_m = N·τ) and the table's p/T correction rule with its limits."""
    if p["reading_mode"] == "pulse":
        ctx.constant("l_per_pulse", "l_per_pulse", float(p["l_per_pulse"]), "L", "instrument")
    ctx.constant("pt_correction", "pt_correction", 1.0 if p["correction"] == "always" else 0.0, "", "regulation")
    if p["correction"] != "always":
        ctx.constant("correction_max_dt_c", "correction_max_dt_c", float(p["max_dt_c"]), "degC", "regulation")
        ctx.constant("correction_max_pressure_pct", "correction_max_pressure_pct", float(p["max_pressure_pct"]), "%",
                     "regulation")


async def _flow_point_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """示值误差 at one flow point for every position (regulations.md §5): per test ``V_ref`` at the
    meters' conditions and ``E = (V_m − V_ref)/V_ref``; the mean over runs is rounded and judged
    against the zone's MPE; a faulted position is n/a ("—") and reported in ``position_faults``."""
    p = step.params
    positions = [int(x) for x in p["positions"]]
    runs = int(p["runs"])
    errors = np.full((len(positions), runs), np.nan)
    faults: dict[int, str] = {}
    tests: list[_Test] = []
    _record_constants(ctx, p)
    for k in range(1, runs + 1):
        test = await _run_test(ctx, step, k)
        tests.append(test)
        for pos, f in test.faults.items():
            faults.setdefault(pos, f)
        v_m = np.array([np.nan if test.volumes.get(pos) is None else test.volumes[pos] for pos in positions])
        ref = corrected_reference(test.v_s, test.p_s, test.t_s, np.full(len(positions), test.p_m),
                                  np.full(len(positions), test.t_m), mode=p["correction"], max_dt_c=p["max_dt_c"],
                                  max_pressure_pct=p["max_pressure_pct"])
        errors[:, k - 1] = gas_errors(v_m, ref.volume_l)
        test_applied = bool(ref.applied.all())
        ctx.progress(k / runs, Text(f"{p['label']} 第{k}次: V_s = {test.v_s:.3f} L, "
                                    f"{'已修正' if test_applied else '未修正'} p/T",
                                    f"{p['label']} run {k}: V_s = {test.v_s:.3f} L, p/T "
                                    f"{'corrected' if test_applied else 'not corrected'}"))
    for i, pos in enumerate(positions):
        if pos in faults:
            errors[i, :] = np.nan
    judged = judge_positions(errors, p["rounding"], p["mpe"], p.get("u95"))
    mean_flow = float(np.mean([t.flow for t in tests]))
    results = position_error_results(ctx, step, positions, errors, judged, label=f"{p['label']} {mean_flow:.4g} m³/h",
                                     mpe=float(p["mpe"]), u95=p.get("u95"))
    position_faults = {str(pos): msg if msg.startswith(f"表位 {pos}") else f"表位 {pos}: {msg}"
                       for pos, msg in sorted(faults.items())}
    ref_all = [corrected_reference(t.v_s, t.p_s, t.t_s, t.p_m, t.t_m, mode=p["correction"], max_dt_c=p["max_dt_c"],
                                   max_pressure_pct=p["max_pressure_pct"]) for t in tests]
    return StepOutcome(
        verdict=worst(r.verdict for r in results), results=tuple(results),
        data={"point": p["point"], "label": p["label"], "flow_set_m3_h": p["flow_m3_h"], "flow_m3_h": [t.flow for t in tests],
              "volume_l": p["volume_l"], "zone": p["zone"], "mpe_pct": p["mpe"],
              "v_s_l": [t.v_s for t in tests], "v_ref_l": [float(r.volume_l) for r in ref_all],
              "correction_applied": [bool(r.applied) for r in ref_all],
              "t_s_c": [t.t_s for t in tests], "p_s_kpa": [t.p_s for t in tests],
              "t_m_c": [t.t_m for t in tests], "p_m_kpa": [t.p_m for t in tests],
              "errors_pct": errors_by_position(errors, positions),
              "rounded": {str(pos): judged.printed[i] for i, pos in enumerate(positions)},
              "position_faults": position_faults},
        note="；".join(position_faults.values()))


async def _same_sign_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """MID same-sign rule (OPEN for JJG 577, regulations.md §5, §7): per position, when all rounded
    point errors between qt and qmax have the same sign, none may exceed the class's limit."""
    p = step.params
    positions = [int(x) for x in p["positions"]]
    missing = [k for k in p["points"] if k not in ctx.outcomes]
    if missing:
        raise LookupError(f"flow points not measured: {missing}")
    table = np.array([[_printed_value(ctx.outcomes[k].data["rounded"].get(str(pos), "—")) for k in p["points"]]
                      for pos in positions])
    verdicts = same_sign_verdicts(table, float(p["limit"]))
    results: list[MeasurementResult] = []
    for i, pos in enumerate(positions):
        row = [float(x) for x in table[i]]
        finite = [abs(x) for x in row if math.isfinite(x)]
        largest = max(finite) if finite else None
        r = MeasurementResult(name="同号误差", label=f"qt~qmax 同号时 ≤ {p['limit']:g} %", unit="%",
                              values=tuple(x for x in row if math.isfinite(x)), mean=largest,
                              rounded="—" if largest is None else format_rounded(largest, p["rounding"], signed=False),
                              mpe=float(p["limit"]), verdict=Verdict(str(verdicts[i])), position=pos)
        ctx.record(step.item, r)
        results.append(r)
    return StepOutcome(verdict=worst(r.verdict for r in results), results=tuple(results))


def _printed_value(text: str) -> float:
    """A printed rounded error back to a number ("—" → NaN)."""
    try:
        return float(text)
    except ValueError:
        return math.nan
