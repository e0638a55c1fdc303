"""JJG 162-2019 饮用冷水水表 — cold water meters on a multi-position bench (meters in series), by
the gravimetric (称重法) or the master-meter (标准表法) start-stop method. Every number lives in
data/jjg162.toml with its clause and confidence (regulations.md §4).

Items:

- 检定条件: the laboratory's air and the water before the tests; outside the table's limits the
  condition is not met (:class:`~procedures.engine.context.ConditionNotMet`): the operator repeats
  the reading (after fixing the room or the water) or the run is void (无效) — never judged.
- 外观检查, 功能检查 (display complete; 回零 where the register can be reset: an electronic or a
  resettable display, ``[instrument] display`` / ``resettable``) and 密封性检查: the operator
  confirms the table's points for every position (功能检查 one point at a time); a refused position
  fails that item alone, the note names it.
- 示值误差 at Q1, Q2, Q3 (each at its nominal set flow inside its window, from the meter's Q3 and
  R: Q1 = Q3/R, Q2 = 1.6·Q1): per test, ``standard.begin()`` (tare / zero) → ``bench.run_test``
  → ``standard.measured()``. Each position's volume is its pulse count × L/pulse (reading mode
  "pulse") or its dial reading end − start entered by the operator ("entry"). The reference volume
  V_a: gravimetric — the balance indication corrected for air buoyancy, divided by the water's
  density at the meters' temperature (:mod:`procedures.metrology.water`); master meter — its volume,
  carried to the meters' temperature when the table says so. ``E = (V_i − V_a)/V_a`` for all
  positions at once, rounded and judged against the zone's MPE (lower zone at Q1, upper at Q2 and
  Q3; the upper zone's > 30 °C limit when the water is warmer). A position out of tolerance after
  the table's runs gets ``repeat_runs`` more tests and is judged on the mean of all its runs.

The test volume is chosen from the table so it is never below the minimum (200 × / 400 × the
verification scale interval of the meters and of the standard); a fixed volume below the meters'
minimum is refused when the run is prepared, below the standard's side of it (its resolution,
known once connected) the run is void (a condition the same station cannot repeat away).

Conditions of a valid test (they concern every position: a test that misses one is measured again
as a whole, never judged): its mean flow inside the point's window, the water temperature inside
the temperature class's range, the inlet pressure ≥ atmospheric + ``min_gauge_pressure_kpa``, the
standard agreeing with the bench's target volume and not moving when read again with the valves
closed (a drifting scale). A test that misses one is kept on disk with the reason (its ``ref``
reading's ``condition``) and the operator chooses (``ctx.condition_not_met``): measure it again —
under the next attempt key (``q2``, ``q2@2``, …) — or end the run as 无效 (no certificate, no
notice). A test interrupted after the operator's start readings (entry mode) is measured again the
same way (the registers have moved on).

Faults: a position without pulses, with a stuck counter, or an error beyond ``gross_error_pct``
(pulse dropout, misread dial) is that position's fault (``data["position_faults"]``), the others
complete. A device that fails (no answer, no flow) pauses the run naming it. Raw readings per
position (``q3:p07:pulses``, ``q3:p07:start``/``end``) and the reference (``q3:ref``) are persisted
and reused on resume.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import numpy as np

from drivers.errors import DeviceError
from procedures.engine import Measurement, MeasureStep, Step, StepOutcome
from procedures.engine.context import ConditionNotMet, RunVoided, StepContext
from procedures.engine.text import Text, bilingual
from procedures.metrology import bench as bench_math
from procedures.metrology import water
from procedures.records import Verdict
from procedures.regulations import bench_steps
from procedures.regulations.base import (
    PlannedStep,
    RegulationProcedure,
    Resource,
    RunParams,
    checklist_plan,
    equipment_times,
    pulse_value_l,
    technical_params,
)
from procedures.regulations.bench_steps import (
    BENCH_ROLE,
    STANDARD_ROLE,
    confirm_positions,
    errors_by_position,
    flow_condition,
    flow_resource,
    line_of,
    points_text,
    position_error_results,
    position_line,
    repeat_until_valid,
)
from procedures.regulations.common import worst
from procedures.regulations.tables import load_table, merged

__all__ = ["Jjg162", "WaterParams", "point_volume"]

IO_DEADLINE_S = 10.0  # backstop around a short device call


@dataclass(frozen=True)
class WaterParams(RunParams):
    """A JJG 162 run's choices: the batch's meter model (class, Q3, R, DN, verification scale
    interval, pulse value, display kind and whether it can be reset), the positions in use with
    their serials, how the meters are read, the flow standard (name, serial, U95) and the station's
    overrides."""

    accuracy_class: str
    q3_m3_h: float
    ratio_r: float
    dn_mm: float
    scale_interval_l: float
    positions: tuple[int, ...]
    serials: dict[int, str]
    l_per_pulse: float | None = None
    reading_mode: str = "pulse"
    temperature_class: str = "T30"
    method: str = "auto"
    standard_name: str = ""
    standard_serial: str = ""
    standard_u95_pct: float | None = None
    edition: str = "2019"
    verification_type: str = "first"
    overrides: dict[str, Any] = field(default_factory=dict)
    display: str = "mechanical"
    resettable: bool = False

    @classmethod
    def from_instrument(cls, instrument: Any, station: Any, *, edition: str,
                        verification_type: str = "first") -> WaterParams:
        """Build from the ledger row (``accuracy_class``; technical parameters ``q3_m3_h``,
        ``ratio_r``, ``dn_mm``, ``scale_interval_l``, ``pulses_per_l`` or ``l_per_pulse``,
        ``temperature_class``, ``display`` ("mechanical" | "electronic"), ``resettable``) and the
        station: the positions from ``[bench]``
        (``station.bench_serials()``), the flow standard from the device playing ``flow_standard``,
        the reading mode and method from ``[procedure]`` (defaults in the table)."""
        tech = technical_params(instrument)
        serials = station.bench_serials()
        if not serials:
            raise ValueError("JJG 162 需要多表位台架 [bench] (needs a bench station with [bench] positions)")
        overrides = station.section("procedure")
        table = merged(load_table(Jjg162.TABLE), overrides)
        l_per_pulse = pulse_value_l(tech)
        std = station.device_for(STANDARD_ROLE)
        station.device_for(BENCH_ROLE)
        for key in ("q3_m3_h", "ratio_r", "scale_interval_l"):
            if key not in tech:
                raise ValueError(f"[instrument] 缺少 {key} (JJG 162 needs {key} of the meter model)")
        return cls(accuracy_class=str(getattr(instrument, "accuracy_class", "") or tech.get("accuracy_class", "2")),
                   q3_m3_h=float(tech["q3_m3_h"]), ratio_r=float(tech["ratio_r"]),
                   dn_mm=float(tech.get("dn_mm", 15)), scale_interval_l=float(tech["scale_interval_l"]),
                   positions=tuple(sorted(serials)), serials=dict(serials), l_per_pulse=l_per_pulse,
                   reading_mode=str(table.get("reading_mode", "pulse")),
                   temperature_class=str(tech.get("temperature_class", "T30")), method=str(table.get("method", "auto")),
                   standard_name=std.name, standard_serial=str(std.standard or ""), standard_u95_pct=std.u95_pct,
                   edition=edition, verification_type=verification_type, overrides=overrides,
                   display=str(tech.get("display", "mechanical")), resettable=bool(tech.get("resettable", False)))

    def context(self) -> dict[str, Any]:
        """What the step context carries besides the devices."""
        return {"positions": list(self.positions)}


class Jjg162(RegulationProcedure):
    """JJG 162-2019 for a batch of water meters of one model on a multi-position bench."""

    TABLE = "jjg162"
    CONDITIONS = ((("water_temperature_c",), "水温", "Water temperature", "°C"),
                  (("water_pressure_kpa",), "水压（绝对）", "Water pressure (abs.)", "kPa"))
    RULE_MODULES = (water, bench_math, bench_steps)

    def __init__(self, params: WaterParams) -> None:
        super().__init__(params)
        self.params: WaterParams = params
        t, p = self.table, params
        if p.accuracy_class not in t["mpe"]["classes"]:
            raise ValueError(f"准确度等级 {p.accuracy_class!r} 不适用 (accuracy class unknown; JJG 162: "
                             f"{', '.join(t['mpe']['classes'])})")
        if p.reading_mode not in ("pulse", "entry"):
            raise ValueError(f"reading_mode must be \"pulse\" or \"entry\", got {p.reading_mode!r}")
        if p.reading_mode == "pulse" and not p.l_per_pulse:
            raise ValueError("reading_mode \"pulse\" needs the meter's pulse value (pulses_per_l or l_per_pulse)")
        if p.method not in ("auto", "gravimetric", "master_meter"):
            raise ValueError(f"method must be auto, gravimetric or master_meter, got {p.method!r}")
        if p.display not in ("mechanical", "electronic"):
            raise ValueError(f"display must be \"mechanical\" or \"electronic\", got {p.display!r}")
        fr = t["flow_rates"]
        self.rates = water.flow_rates(p.q3_m3_h, p.ratio_r, float(fr["q2_over_q1"]), float(fr["q4_over_q3"]))
        self.mpe_row = dict(t["mpe"][p.verification_type][p.accuracy_class])
        self.steps: Sequence[Step] = self._build_steps()

    # -- identity -------------------------------------------------------------------------------
    @property
    def positions(self) -> tuple[int, ...]:
        """Bench positions in use (1-based)."""
        return self.params.positions

    # -- the numbers ----------------------------------------------------------------------------
    def minimum_volume_l(self) -> float:
        """The meters' side of the minimum test volume: the class's multiplier × the verification
        scale interval (and × the pulse value when reading pulses, the coarser of the two)."""
        d = self.item_def("indication_error")
        p = self.params
        intervals = [p.scale_interval_l] + ([p.l_per_pulse] if p.reading_mode == "pulse" and p.l_per_pulse else [])
        return water.minimum_test_volume(float(d["volume_multiplier"][p.accuracy_class]), *intervals)

    def point_mpe(self, rate: str, water_c: float) -> float:
        """MPE (±%) of a test point from its rate's zone (Q1 lower; Q2, Q3 upper) and the water
        temperature (> hot_above_c switches the upper zone's limit)."""
        q = self.rates[rate]
        row = self.mpe_row
        value = water.zone_mpe(q, self.rates["Q1"], self.rates["Q2"], self.rates["Q4"], lower_pct=float(row["lower"]),
                               upper_pct=float(row["upper"]), upper_hot_pct=float(row["upper_hot"]),
                               water_temperature_c=water_c, hot_above_c=float(self.table["mpe"]["hot_above_c"]))
        return float(value)  # type: ignore[arg-type]

    def function_points(self) -> list[dict[str, Any]]:
        """The 功能检查 points that apply to this batch: every ``applies = "all"`` point, and the
        ``"resettable"`` ones (回零) when the display is electronic or resettable."""
        p = self.params
        resettable = p.display == "electronic" or p.resettable
        return [dict(pt) for pt in self.item_def("function")["points"]
                if pt.get("applies", "all") == "all" or (pt["applies"] == "resettable" and resettable)]

    # -- steps ----------------------------------------------------------------------------------
    def _build_steps(self) -> list[Step]:
        t, p = self.table, self.params
        items = self.edition["items"]
        labels = {pos: position_line(pos, p.serials[pos]) for pos in p.positions}
        steps: list[Step] = [MeasureStep("conditions", "检定条件", "conditions", [], _conditions_step,
                                         title_en="Test conditions",
                                         params={"conditions": t["conditions"], "temperature_class": p.temperature_class})]
        for key in ("appearance", "function", "tightness"):
            if key not in items:
                continue
            d = self.item_def(key)
            if key == "function":
                steps.append(MeasureStep(key, d["name"], key, [], _function_step, title_en=d["name_en"],
                                         params={"points": self.function_points(),
                                                 "labels": {str(k): v for k, v in labels.items()}}))
            else:
                steps.append(MeasureStep(key, d["name"], key, [], _position_checklist_step, title_en=d["name_en"],
                                         params={"points": list(d["points"]), "labels": {str(k): v for k, v in labels.items()}}))
        if "indication_error" in items:
            d = self.item_def("indication_error")
            v_min = self.minimum_volume_l()
            fixed = dict(d.get("volume_l", {}))
            ref = t["reference"]
            for pt in d["points"]:
                key = str(pt["key"])
                rate = self.rates[str(pt["rate"])]
                if key in fixed and float(fixed[key]) < v_min:
                    raise ValueError(f"{pt['label']}: 试验体积 {float(fixed[key]):g} L 小于最小试验体积 {v_min:g} L "
                                     f"(test volume below the minimum {d['volume_multiplier'][p.accuracy_class]} × "
                                     f"scale interval; point refused)")
                m = Measurement("示值误差", "%", mpe=self.point_mpe(str(pt["rate"]), 20.0),
                                rounding_interval=str(d["rounding"]), clause=d["clause"])
                steps.append(MeasureStep(
                    key, f"示值误差 {pt['label']}", "indication_error", [m], _flow_point_step,
                    title_en=f"Error of indication at {pt['label']}",
                    params={"point": key, "label": str(pt["label"]), "rate": str(pt["rate"]),
                            "flow_set": round(rate * float(pt["target"]), 6),
                            "flow_window": [round(rate * float(pt["min"]), 6), round(rate * float(pt["max"]), 6)],
                            "mpe_cold": self.point_mpe(str(pt["rate"]), 20.0),
                            "mpe_hot": self.point_mpe(str(pt["rate"]), float(t["mpe"]["hot_above_c"]) + 1.0),
                            "hot_above_c": float(t["mpe"]["hot_above_c"]),
                            "runs": int(d["runs"]), "repeat": bool(d["repeat_if_out_of_tolerance"]),
                            "repeat_runs": int(d["repeat_runs"]), "rounding": str(d["rounding"]),
                            "v_min_meter_l": v_min, "multiplier": float(d["volume_multiplier"][p.accuracy_class]),
                            "volume_fixed_l": float(fixed[key]) if key in fixed else None,
                            "volume_preferred_l": float(d["preferred_volume_l"].get(key, 0.0)),
                            "volume_step_l": float(d["volume_step_l"]), "gross_error_pct": float(d["gross_error_pct"]),
                            "entry_max_of_volume": float(d["entry_max_of_volume"]),
                            "positions": list(p.positions), "labels": {str(k): v for k, v in labels.items()},
                            "reading_mode": p.reading_mode, "l_per_pulse": p.l_per_pulse, "method": p.method,
                            "reference": dict(ref), "u95": p.standard_u95_pct,
                            "water_window": list(t["conditions"]["water_c"].get(p.temperature_class,
                                                                                t["conditions"]["water_c"]["T30"])),
                            "min_gauge_pressure_kpa": float(t["conditions"]["min_gauge_pressure_kpa"])}))
        return steps

    # -- the real-time plan ---------------------------------------------------------------------
    def plan_step(self, step: Step, ops: Mapping[str, float], hints: Mapping[str, Any]) -> PlannedStep:
        """The minimum real duration of a JJG 162 step and why: the conditions read from the bench;
        each checklist's points × the positions at the nominal time of a point (data/plan.toml), the
        tightness test's pressure held once for the bench (``hold_s``); the flow points' start-stop
        tests (:meth:`_plan_point`). ``hints["standards"]["flow_standard"]`` (kind, resolution: what
        the station file says of the standard) refine the test volume and the scale's settle time."""
        if not isinstance(step, MeasureStep):
            return super().plan_step(step, ops, hints)
        n = len(self.positions)
        if step.body is _conditions_step:
            return PlannedStep(step.key, step.title, 0.0, "由台架读取环境温湿度、水温与压力 (read from the bench; the "
                                                          "operator enters only what a bench does not measure)")
        if step.body is _function_step:
            return checklist_plan(step, len(step.params["points"]), ops, n)
        if step.body is _position_checklist_step:
            plan = checklist_plan(step, len(step.params["points"]), ops, n)
            hold = float(self.item_def(step.item).get("hold_s", 0.0))
            if hold:
                plan = replace(plan, seconds=plan.seconds + hold, why=f"{plan.why}；试验压力保持 {hold:g} s，全部表位串联同时 "
                                                                     f"(the test pressure held once for the bench)")
            return plan
        if step.body is _flow_point_step:
            return self._plan_point(step, ops, hints)
        return super().plan_step(step, ops, hints)

    def _plan_point(self, step: MeasureStep, ops: Mapping[str, float], hints: Mapping[str, Any]) -> PlannedStep:
        """A flow point: its runs of the test volume the step would use (:func:`point_volume`, with
        the standard's resolution when the station says it) at the point's set flow, each with the
        bench's start-stop and, for a scale, its settle time (data/plan.toml ``[equipment]``), and
        with dial readings the operator's start and end reading of every position. The why states
        the minimum volume (the class's multiple of the verification scale interval: the
        regulation's resolution requirement) and the reading's quantisation in that volume against
        ``resolution_fraction_of_mpe`` × the point's MPE. Repeats of a position out of tolerance
        are not planned (they happen only then)."""
        p, pr = step.params, self.params
        eq = equipment_times(pr.overrides)
        std = dict(hints.get("standards", {}).get(STANDARD_ROLE, {}))
        kind = str(std.get("kind") or {"gravimetric": "scale"}.get(pr.method, ""))
        std_l = _standard_resolution_l(SimpleNamespace(kind=kind, resolution=std.get("resolution", 0.0)))
        volume, v_min = point_volume(p, std_l)
        flow_l_h = float(p["flow_set"]) * 1000.0
        runs, fill = int(p["runs"]), volume / flow_l_h * 3600.0
        settle = eq["scale_settle_s"] if kind == "scale" else 0.0
        entry = p["reading_mode"] == "entry"
        readings = 2 * len(self.positions) * ops["display_reading_s"] if entry else 0.0
        seconds = runs * (eq["start_stop_s"] + fill + settle + readings)
        d = self.item_def("indication_error")
        mpe, fraction = float(p["mpe_cold"]), float(d["resolution_fraction_of_mpe"])
        limit = fraction * mpe
        interval = pr.scale_interval_l
        pulse = float(pr.l_per_pulse) if not entry and pr.l_per_pulse and pr.l_per_pulse != interval else None
        terms = ([f"检定分度值 {interval:g} L"] + ([f"脉冲 {pulse:g} L"] if pulse else [])
                 + ([f"标准器 {std_l:.4g} L"] if std_l else []))
        coarsest = f"max({', '.join(terms)})" if len(terms) > 1 else terms[0]

        def share(q: float) -> str:
            pct = q / volume * 100.0
            return f"{q:g} L = {pct:.2f} % {'≤' if pct <= limit + 1e-12 else '>'} MPE/{1 / fraction:g} = {limit:.2f} %"

        why = (f"{runs} 次 × {volume:g} L 于 {flow_l_h:g} L/h，每次 {fill:.1f} s，启停 {eq['start_stop_s']:g} s"
               + (f"，天平稳定 {settle:g} s" if settle else "")
               + (f"，{len(self.positions)} 表位起止读数 × {ops['display_reading_s']:g} s" if entry else "")
               + f"；最小试验体积 {p['multiplier']:g} × {coarsest} = {v_min:g} L（规程的分辨力要求）：分度值 {share(interval)}")
        if pulse:
            why += f"，脉冲 {share(pulse)}"
        void = p["volume_fixed_l"] is not None and volume < v_min
        if void:
            why += "；固定试验体积小于最小试验体积，检定将无效"
        if p["repeat"] and int(p["repeat_runs"]):
            why += f"；超差表位另测 {p['repeat_runs']} 次 (不计入)"
        why += (f" ({runs} start-stop test(s) of {volume:g} L at the set flow; the volume ≥ the class's multiple of "
                f"the verification scale interval is the regulation's resolution rule; the quantisation against "
                f"MPE/{1 / fraction:g}" + ("; the fixed volume is below the minimum: the run would be void)" if void else ")"))
        return PlannedStep(step.key, step.title, seconds, why)

    # -- resources (always torn down) -----------------------------------------------------------
    def resources(self) -> dict[str, Resource]:
        """``flow``: water running on the bench; always closed (``stop_flow``) at the end."""
        return flow_resource()

    # -- the record (items as RegulationProcedure; water meters sign nothing) -----------------------
    def environment(self, outcomes: Mapping[str, StepOutcome]) -> dict[str, float | None]:
        """Ambient temperature and humidity as the bench measured them (or the operator entered)."""
        c = outcomes.get("conditions")
        return {"temperature_c": c.data.get("temperature_c") if c else None,
                "humidity_pct": c.data.get("humidity_pct") if c else None}


# -- step bodies ------------------------------------------------------------------------------------
async def _conditions_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """The laboratory's and the water's conditions from the bench (the operator enters the ambient
    values the bench does not measure). Any outside the table's limits is a condition not met
    (:class:`ConditionNotMet` naming each value and its window): the operator reads them again after
    fixing the room or the water, or voids the run."""
    c = step.params["conditions"]
    bench = ctx.device(BENCH_ROLE)
    now = await ctx.io(bench.conditions(), IO_DEADLINE_S, bench.name, "读取检定条件 (conditions)")
    t_amb = now.ambient_temperature_c
    if t_amb is None:
        t_amb = (await ctx.ask_entry("temperature_c", "环境温度 (ambient temperature)", "degC", -10.0, 50.0)).value
    rh = now.ambient_humidity_pct
    if rh is None:
        rh = (await ctx.ask_entry("humidity_pct", "相对湿度 (relative humidity)", "percent", 0.0, 100.0)).value
    for key, value in (("ambient_temperature_c", t_amb), ("ambient_humidity_pct", rh), ("water_temperature_c",
                       now.temperature_c), ("water_pressure_kpa", now.pressure_kpa)):
        ctx.reading(key, key, value, "degC" if "temperature" in key else ("kPa" if "pressure" in key else "%"), bench.name)
    water = c["water_c"].get(step.params["temperature_class"], c["water_c"]["T30"])
    bad = [text for text in (
        _outside("环境温度 (ambient temperature)", t_amb, c["ambient_c"], "°C", ".1f"),
        _outside("相对湿度 (humidity)", rh, c["humidity_pct"], "%", ".0f"),
        _outside("水温 (water temperature)", now.temperature_c, water, "°C", ".1f")) if text]
    if bad:
        raise ConditionNotMet("检定条件 (test conditions): " + "；".join(bad))
    return StepOutcome(verdict=Verdict.NOT_APPLICABLE, data={
        "temperature_c": t_amb, "humidity_pct": rh, "water_temperature_c": now.temperature_c,
        "water_pressure_kpa": now.pressure_kpa, "ambient_pressure_kpa": now.ambient_pressure_kpa})


def _outside(what: str, value: float, window: Sequence[float], unit: str, fmt: str) -> str:
    """"what value unit 超出 lo~hi unit (outside)" when ``value`` is outside ``window`` (inclusive),
    else ""."""
    lo, hi = float(window[0]), float(window[1])
    if lo <= value <= hi:
        return ""
    return f"{what} {value:{fmt}} {unit} 超出 {lo:g}~{hi:g} {unit} (outside the limits)"


async def _position_checklist_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """The table's points, confirmed per position: one checklist line per meter; a refused line
    fails that position's item (its note names the points checked)."""
    points = step.params["points"]
    labels = {int(pos): label for pos, label in step.params["labels"].items()}
    checks = await confirm_positions(
        ctx, step, points_text(step.title_text, points, console=f"{step.title}: {'；'.join(points)}"),
        {pos: line_of(label, Text(f"{step.title}合格", "conforms"), console=f"{label}: {step.title}合格 / conforms")
         for pos, label in labels.items()},
        label=lambda pos: labels[pos], scored=False,
        note=lambda pos: f"表位 {pos}: {step.title}不合格 (does not conform: {'；'.join(points)})")
    return StepOutcome(verdict=checks.verdict, results=checks.results, data={"position_notes": checks.notes_by_key()})


async def _function_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """功能检查: each applicable point confirmed per position, one checklist per point (display
    complete; 回零 where the register can be reset); a position that fails any point fails the item
    for its meter only, its note names the points it failed. One result per point and position."""
    labels = {int(pos): label for pos, label in step.params["labels"].items()}
    results: list[Any] = []
    failed: dict[int, list[str]] = {}
    for pt in step.params["points"]:
        name = f"{pt['name']} ({pt['name_en']})"
        point = bilingual(pt["text"])
        title = Text(f"{step.title} — {point.zh}", f"{step.title_text.en or step.title} — {point.en or point.zh}",
                     console=f"{step.title} — {pt['text']}")
        checks = await confirm_positions(
            ctx, step, title, {pos: line_of(label, Text(pt["name"], pt["name_en"]), console=f"{label}: {name}")
                               for pos, label in labels.items()},
            label=lambda pos, n=name: f"{labels[pos]} {n}", scored=False, note=lambda pos: "")
        results.extend(checks.results)
        for pos in checks.notes:
            failed.setdefault(pos, []).append(name)
    notes = {str(pos): f"表位 {pos}: {step.title}不合格 (fails: {'；'.join(names)})" for pos, names in failed.items()}
    return StepOutcome(verdict=worst(r.verdict for r in results), results=tuple(results),
                       data={"position_notes": notes})


def _air_density(ref: Mapping[str, Any], conditions: Any) -> float:
    if ref.get("air_density", "cipm") == "cipm" and None not in (
            conditions.ambient_pressure_kpa, conditions.ambient_temperature_c, conditions.ambient_humidity_pct):
        return float(water.air_density(conditions.ambient_pressure_kpa * 10.0, conditions.ambient_temperature_c,
                                       conditions.ambient_humidity_pct))  # type: ignore[arg-type]
    return float(ref["air_density_kg_m3"])


def _reference_volume(ref: Mapping[str, Any], method: str, sv: Any, conditions: Any, device: str) -> dict[str, Any]:
    """V_a (L) at the meters from what the standard measured, with the intermediate values."""
    t_meter, p_meter = conditions.temperature_c, conditions.pressure_kpa
    rho_meter = float(water.water_density(t_meter, p_meter if ref.get("pressure_correction") else None))  # type: ignore[arg-type]
    kind = "gravimetric" if sv.mass_kg is not None else "master_meter"
    if method != "auto" and method != kind:
        raise DeviceError(device, f"标准器给出 {sv.kind}, 而检定方法为 {method} (the standard gives {sv.kind} but "
                                  f"[procedure] method = {method!r}: check the station's flow_standard role)")
    out: dict[str, Any] = {"method": kind, "t_meter_c": t_meter, "p_meter_kpa": p_meter, "rho_meter": rho_meter,
                           "t_std_c": sv.temperature_c}
    if kind == "gravimetric":
        rho_a = _air_density(ref, conditions)
        rho_std = float(water.water_density(sv.temperature_c))  # type: ignore[arg-type]
        m = float(water.buoyancy_corrected_mass(sv.mass_kg, rho_a, rho_std,  # type: ignore[arg-type]
                                                float(ref["reference_weight_density_kg_m3"])))
        out.update(indication_kg=sv.mass_kg, rho_air=rho_a, rho_std=rho_std, mass_kg=m,
                   v_a_l=float(water.volume_from_mass(m, rho_meter)))  # type: ignore[arg-type]
    else:
        if sv.volume_l is None:
            raise DeviceError(device, "标准器未给出体积或质量 (the standard reported neither volume nor mass)")
        v = float(sv.volume_l)
        if ref.get("master_meter_temperature_correction", True):
            v = float(water.master_meter_volume_at_meter(v, sv.temperature_c, t_meter))  # type: ignore[arg-type]
        out.update(master_l=float(sv.volume_l), v_a_l=v)
    return out


def point_volume(p: Mapping[str, Any], standard_resolution_l: float) -> tuple[float, float]:
    """The test volume of a point and its minimum (L), from the point's params: the minimum is the
    class's multiplier × the coarsest of the meters' intervals and the standard's resolution as a
    volume (0: not known, the meters' side alone); the volume is the point's fixed volume, else the
    preferred one raised to the minimum and rounded up to the table's step. A fixed volume may lie
    below the minimum: the step voids the run, the plan says so."""
    multiplier = float(p["multiplier"])
    v_min = water.minimum_test_volume(multiplier, float(p["v_min_meter_l"]) / multiplier,
                                      *([standard_resolution_l] if standard_resolution_l > 0 else []))
    if p["volume_fixed_l"] is not None:
        return float(p["volume_fixed_l"]), v_min
    return water.choose_test_volume(v_min, float(p["volume_preferred_l"]), float(p["volume_step_l"])), v_min


def _standard_resolution_l(standard: Any) -> float:
    """The flow standard's resolution as a volume (L): a scale's interval (kg) as the volume of
    water at 20 °C, a master meter's as it is; 0 when not known."""
    res = float(getattr(standard, "resolution", 0.0) or 0.0)
    if getattr(standard, "kind", "") == "scale":
        return res / 998.2067 * 1000.0  # kg → L at 20 °C (the volume of one scale step)
    return res


async def _one_test(ctx: StepContext, step: MeasureStep, run: int, volume_l: float) -> dict[str, Any]:
    """One valid start-stop test of every position (run ``run`` of the point), or the one an
    earlier attempt left on disk. A test whose conditions were not met (:func:`_test_conditions`)
    is kept on disk with its reason and the operator chooses (``ctx.condition_not_met``): it is
    measured again under the next attempt key (``q2`` → ``q2@2``), or the run is void. Returns the
    meters' volumes (NaN: fault), the faults, V_a and the conditions."""
    p = step.params

    async def take(key: str) -> dict[str, Any] | None:
        return await _take_test(ctx, step, key, run, volume_l)

    def reason(test: dict[str, Any] | None) -> str:
        if test is None:
            return (f"{p['label']} 第{run}次: 试验在起始读数后中断, 各表位读数已变, 重新读取 "
                    f"(the test was interrupted after the start readings: measured again)")
        return str(test["condition"])

    test = await repeat_until_valid(ctx, p["point"] + (f":r{run}" if run > 1 else ""), take, reason)
    assert test is not None
    return test


async def _take_test(ctx: StepContext, step: MeasureStep, key: str, run: int, volume_l: float) -> dict[str, Any] | None:
    """The test of attempt ``key``: taken back from disk when its ``ref`` reading is there, else run
    now and persisted (positions first, then ``ref`` with the test's conditions and ``condition``,
    the reason it is not valid or ""). None: an entry-mode test interrupted after the start
    readings (it cannot be completed)."""
    p = step.params
    positions = [int(x) for x in p["positions"]]
    entry = p["reading_mode"] == "entry"
    ref_prior = ctx.prior(f"{key}:ref")
    if ref_prior is not None:
        return _recover_test(ctx, p, key, positions, ref_prior)
    if entry and any(ctx.prior(f"{key}:p{pos:02d}:start") for pos in positions):
        return None
    bench, standard = ctx.device(BENCH_ROLE), ctx.device(STANDARD_ROLE)
    starts: dict[int, float] = {}
    if entry:
        for pos in positions:
            starts[pos] = (await ctx.ask_entry(
                f"{key}:p{pos:02d}:start", f"{p['labels'][str(pos)]} 试验前读数 (start reading, {p['label']} "
                f"第{run}次)", "L", 0.0, 1e9)).value
    await ctx.io(standard.begin(), IO_DEADLINE_S + standard.settle_timeout_s, standard.name,
                 "标准器置零/去皮 (zero/tare)")
    await ctx.ensure("flow")
    test = await bench.run_test(float(p["flow_set"]), volume_l)
    sv = await standard.measured()
    ref = _reference_volume(p["reference"], p["method"], sv, test.conditions, standard.name)
    again = await standard.measured()
    condition = "；".join(_test_conditions(p, run, ref, test, sv, again, standard))
    volumes: dict[int, float] = {}
    faults: dict[int, str] = {}
    by_pos = {r.position: r for r in test.positions}
    for pos in positions:
        r = by_pos.get(pos)
        if entry:
            if condition:  # an invalid test: the operator need not read every register
                volumes[pos] = float("nan")
                continue
            end = (await ctx.ask_entry(
                f"{key}:p{pos:02d}:end", f"{p['labels'][str(pos)]} 试验后读数 (end reading, {p['label']} 第{run}次)",
                "L", starts[pos], starts[pos] + float(p["entry_max_of_volume"]) * volume_l)).value
            volumes[pos] = end - starts[pos]
        elif r is None or r.fault or r.dut_pulses is None:
            why = (r.fault if r is not None and r.fault else "无脉冲计数 (no count)")
            faults[pos] = why
            ctx.reading(f"{key}:p{pos:02d}:pulses", "pulses", float(r.dut_pulses or 0) if r else 0.0, "",
                        bench.name, fault=why)
            volumes[pos] = float("nan")
        else:
            ctx.reading(f"{key}:p{pos:02d}:pulses", "pulses", float(r.dut_pulses), "", bench.name)
            volumes[pos] = float(r.dut_pulses) * float(p["l_per_pulse"])
    c = test.conditions
    ctx.reading(f"{key}:ref", "reference_volume", ref["v_a_l"], "L", standard.name,
                **ref, flow_m3_h=c.flow_m3_h, duration_s=test.duration_s, target_volume_l=test.target_volume_l,
                nominal_duration_s=volume_l / 1000.0 / float(p["flow_set"]) * 3600.0,
                ambient_pressure_kpa=c.ambient_pressure_kpa, condition=condition)
    return {"volumes": volumes, "faults": faults, "v_a_l": ref["v_a_l"], "ref": ref, "flow_m3_h": c.flow_m3_h,
            "water_c": c.temperature_c, "condition": condition}


def _recover_test(ctx: StepContext, p: Mapping[str, Any], key: str, positions: Sequence[int],
                  ref_prior: Any) -> dict[str, Any]:
    """A test of attempt ``key`` as an earlier (interrupted) session left it on disk."""
    ref = dict(ref_prior.extra)
    volumes: dict[int, float] = {}
    faults: dict[int, str] = {}
    for pos in positions:
        if p["reading_mode"] == "entry":
            s, e = ctx.prior(f"{key}:p{pos:02d}:start"), ctx.prior(f"{key}:p{pos:02d}:end")
            volumes[pos] = (e.value - s.value) if s is not None and e is not None else float("nan")
            if s is None or e is None:
                faults[pos] = "读数缺失 (reading missing)"
        else:
            r = ctx.prior(f"{key}:p{pos:02d}:pulses")
            if r is None or r.extra.get("fault"):
                faults[pos] = str(r.extra.get("fault")) if r is not None else "读数缺失 (reading missing)"
                volumes[pos] = float("nan")
            else:
                volumes[pos] = r.value * float(p["l_per_pulse"])
    return {"volumes": volumes, "faults": faults, "v_a_l": ref_prior.value, "ref": ref,
            "flow_m3_h": float(ref["flow_m3_h"]), "water_c": float(ref["t_meter_c"]),
            "condition": str(ref.get("condition", ""))}


def _test_conditions(p: Mapping[str, Any], run: int, ref: Mapping[str, Any], test: Any, first: Any, again: Any,
                     standard: Any) -> list[str]:
    """Why a test is not valid (empty: it is), each reason naming the value and its limit: the mean
    flow outside the point's window, the water temperature outside the temperature class's range,
    the inlet gauge pressure below the minimum, the standard's volume away from the bench's target
    by more than ``target_tolerance_pct`` (scale drift or tare? water bypassing the tank?), the
    standard moving by more than ``reread_tolerance_steps`` resolution steps when read again with
    the valves closed (a drifting scale). They concern every position: the whole test is repeated."""
    what = f"{p['label']} 第{run}次"
    c = test.conditions
    out: list[str] = []
    flow = flow_condition(what, c.flow_m3_h, *p["flow_window"])
    if flow:
        out.append(flow)
    water = _outside("水温 (water temperature)", c.temperature_c, p["water_window"], "°C", ".1f")
    if water:
        out.append(f"{what}: {water}")
    atmosphere = c.ambient_pressure_kpa if c.ambient_pressure_kpa is not None else 101.325
    gauge, need = c.pressure_kpa - atmosphere, float(p["min_gauge_pressure_kpa"])
    if gauge < need:
        out.append(f"{what}: 进口压力 {gauge:.1f} kPa (表压) 低于 {need:g} kPa (inlet gauge pressure below the minimum)")
    tol = float(p["reference"]["target_tolerance_pct"])
    target = float(test.target_volume_l)
    if target > 0:
        diff = (ref["v_a_l"] - target) / target * 100.0
        if abs(diff) > tol:
            out.append(f"{what}: 标准器 {standard.name} 体积 {ref['v_a_l']:.3f} L 与台架目标 {target:g} L 相差 "
                       f"{diff:+.2f} % (> {tol:g} %) — 标准器漂移或未去皮? (the standard disagrees with the bench's "
                       f"target volume: scale drift or tare?)")
    steps = float(p["reference"]["reread_tolerance_steps"])
    res = float(getattr(standard, "resolution", 0.0) or 0.0)
    a = first.mass_kg if first.mass_kg is not None else first.volume_l
    b = again.mass_kg if again.mass_kg is not None else again.volume_l
    if a is not None and b is not None and res > 0 and abs(b - a) > steps * res:
        unit = "kg" if first.mass_kg is not None else "L"
        out.append(f"{what}: 标准器 {standard.name} 示值漂移 {b - a:+.4f} {unit} (> {steps:g} × {res:g} {unit}, "
                   f"阀门关闭时复读) (the standard's reading drifts with the valves closed)")
    return out


async def _flow_point_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """示值误差 at one flow point for every position (see the module docstring)."""
    p = step.params
    positions = [int(x) for x in p["positions"]]
    standard = ctx.device(STANDARD_ROLE)
    volume, v_min = point_volume(p, _standard_resolution_l(standard))
    if p["volume_fixed_l"] is not None and volume < v_min:  # the standard's resolution raised it: no repeat helps
        raise RunVoided(f"{p['label']}: 试验体积 {volume:g} L 小于最小试验体积 {v_min:g} L (含标准器 {standard.name} "
                        f"分辨力), 本次检定无效 (test volume below the minimum with the standard's resolution; "
                        f"set [procedure] volume_l ≥ {v_min:g} L)")
    interval = p["rounding"]
    if p["reading_mode"] == "pulse":  # V_i = N·τ: the pulse value is an input of E (regulations.md §4)
        ctx.constant("l_per_pulse", "l_per_pulse", float(p["l_per_pulse"]), "L", "instrument")
    runs: list[dict[str, Any]] = []
    for r in range(1, int(p["runs"]) + 1):
        runs.append(await _one_test(ctx, step, r, volume))
        ctx.progress(r / int(p["runs"]), Text(f"{p['label']} 第{r}次: V_a = {runs[-1]['v_a_l']:.3f} L",
                                              f"{p['label']} run {r}: V_a = {runs[-1]['v_a_l']:.3f} L"))

    def judge(tests: list[dict[str, Any]], repeat_from: int | None, repeated: np.ndarray | None
              ) -> tuple[Any, np.ndarray, dict[int, str], float, float]:
        vi = np.array([[t["volumes"][pos] for t in tests] for pos in positions], dtype=float)
        va = np.array([t["v_a_l"] for t in tests], dtype=float)
        err = np.asarray(water.indication_errors(vi, va[None, :]), dtype=float)
        faults: dict[int, str] = {}
        for t in tests:
            for pos, why in t["faults"].items():
                faults.setdefault(pos, why)
        gross = np.abs(err) > float(p["gross_error_pct"])
        for i, pos in enumerate(positions):
            if gross[i].any() and pos not in faults:
                worst_e = float(err[i][np.nanargmax(np.abs(err[i]))])
                faults[pos] = (f"示值异常 {worst_e:+.1f} % (> {p['gross_error_pct']:g} %: 丢脉冲、计数器卡滞或读错? "
                               f"gross error: pulse dropout, stuck counter or misread dial?)")
        for i, pos in enumerate(positions):
            if pos in faults:
                err[i, :] = np.nan
        if repeat_from is not None and repeated is not None:
            err[~repeated, repeat_from:] = np.nan  # positions within tolerance keep their first result
        water_c = float(np.mean([t["water_c"] for t in tests]))
        mpe = float(p["mpe_hot"] if water_c > float(p["hot_above_c"]) else p["mpe_cold"])
        res = bench_math.judge_positions(err, interval, mpe, p.get("u95"))
        return res, err, faults, mpe, water_c

    res, err, faults, mpe, water_c = judge(runs, None, None)
    first_runs = len(runs)
    failing = res.verdict == Verdict.FAIL.value
    repeated: np.ndarray | None = None
    if p["repeat"] and failing.any() and int(p["repeat_runs"]) > 0:
        repeated = failing.copy()
        for r in range(first_runs + 1, first_runs + int(p["repeat_runs"]) + 1):
            runs.append(await _one_test(ctx, step, r, volume))
        res, err, faults, mpe, water_c = judge(runs, first_runs, repeated)

    flow_mean = float(np.mean([t["flow_m3_h"] for t in runs]))
    u95 = p.get("u95")
    results = position_error_results(ctx, step, positions, err, res, label=f"{p['label']} {flow_mean:.4g} m³/h",
                                     mpe=mpe, u95=u95)
    position_faults = {str(pos): f"表位 {pos}: {p['label']} {why}" for pos, why in faults.items()}
    repeated_positions = [positions[i] for i in np.nonzero(repeated)[0]] if repeated is not None else []
    notes = {str(pos): f"{p['label']} 超差复测 {len(runs) - first_runs} 次, 取 {len(runs)} 次平均 "
                       f"(out of tolerance: repeated, mean of all runs)" for pos in repeated_positions}
    return StepOutcome(
        verdict=worst(r.verdict for r in results), results=tuple(results),
        data={"point": p["point"], "label": p["label"], "flow_set_m3_h": p["flow_set"], "flow_mean_m3_h": flow_mean,
              "volume_l": volume, "v_min_l": v_min, "mpe_pct": mpe, "water_temperature_c": water_c,
              "v_a_l": [t["v_a_l"] for t in runs], "method": runs[0]["ref"].get("method"),
              "errors_pct": errors_by_position(err, positions),
              "position_faults": position_faults, "position_notes": notes})
