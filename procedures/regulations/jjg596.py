"""JJG 596-2012 电子式交流电能表 — electronic AC energy meters, a batch on a multi-position bench.

Every number lives in data/jjg596.toml with its source and confidence (regulations.md §6, §0.2,
§0.4); this module holds the procedure. One run verifies the batch of one model on the positions
named by the station (``[bench]``); every per-position result carries ``position=p`` and a fault at
one position (no pulses, calculator not answering, no clock pulses) is reported in
``data["position_faults"]`` for that position only while the others go on.

Items, in the table's order (``editions.<ed>.items``):

- 外观检查 / 交流电压试验: the technician confirms one checklist point per position; a point not
  confirmed fails that position only (``position_notes``). The AC voltage test is n/a for the
  verification types the table excludes.
- 潜动: 115 % Un, no current, for ``T = k/(C·m·Un·Imax)`` min; at most ``max_pulses`` pulses.
- 起动: Un, ``I_Q = fraction × Ib``, cos φ = 1, for ``t_Q = 1.2 × 60×1000/(C·m·Un·I_Q)`` min; at
  least one pulse. Both are timed on the bench's time base and counted from the pulse totals
  (:meth:`~drivers.roles.MultiPositionCounter.read_totals`) before and after.
- 基本误差: at each load point of the table, gates of N meter pulses against the bench's standard
  (γ = (m0 − m)/m, m0 = C0·N/C_L), 2 readings per point and 2 more for the positions whose mean
  lies within 80–120 % of the MPE; the mean is rounded to one tenth of the class and judged (JJF 1094).
- 电能表常数试验: the source runs ``energy_kwh`` through every meter; each position's pulse advance
  ΔN/C_L against the standard's energy (``register_error_pct``).
- 日计时误差: with Un applied, the bench measures each meter's clock-pulse frequency over gates of
  its time base: ``e = (f − f0)/f0 × 86400`` s/d per reading; every reading and the mean (rounded
  to 0.01 s/d) within ±0.5 s/d.

Roles: ``power_source`` (PowerSource), ``multi_counter`` (MultiPositionCounter),
``energy_standard`` (EnergyStandard), ``clock_tester`` (ClockTester) — one bench plays them all.
Teardown (always): gates stopped, clock test stopped, source off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drivers.errors import DeviceTimeout
from procedures.engine import Measurement, MeasureStep, Step, StepOutcome
from procedures.engine.context import StepContext
from procedures.metrology import MpeTable, daily_clock_error_s_per_day, energy_meter
from procedures.metrology import bench as bench_math
from procedures.metrology.bench import (
    decide_steps,
    judge_positions,
    needs_more_readings,
    pulse_errors,
    round_steps,
)
from procedures.metrology.energy_meter import (
    creep_test_minutes,
    register_error_pct,
    starting_current_a,
    starting_test_minutes,
)
from procedures.records import MeasurementResult, Verdict
from procedures.regulations import bench_steps
from procedures.regulations.base import (
    BenchParams,
    RegulationProcedure,
    Resource,
    environment_steps,
    technical_params,
)
from procedures.regulations.bench_steps import confirm_positions
from procedures.regulations.common import worst

__all__ = ["Jjg596", "LoadPoint", "MeterParams", "basic_error_mpe", "expand_load_points", "gate_pulses",
           "power_factor_cos"]

IO_DEADLINE_S = 10.0  # backstop around one bench request (the driver has its own, shorter deadline)
APPLY_DEADLINE_S = 90.0  # the source settles within its own settle_timeout_s (30 s by default)
ITEM_KEYS = ("appearance", "ac_voltage", "creep", "starting", "basic_error", "constant", "daily_clock")
ROLES = ("power_source", "multi_counter", "energy_standard", "clock_tester")
PULSE_WRAP = 2**32  # the calculators' free-running totals wrap here (jianding_sim_bench map)


# -- parameters -------------------------------------------------------------------------------------
def _class(text: str) -> str:
    """Accuracy class as the table keys it ("1级" → "1", "Class 2" → "2")."""
    return str(text).replace("级", "").replace("Class", "").replace("class", "").strip()


@dataclass(frozen=True)
class MeterParams(BenchParams):
    """A JJG 596 bench run: the batch's ratings (Ib, Imax, Un in A/V, constant C_L in imp/kWh,
    class, connection, clock output frequency), the instruments per position, edition, type and
    the station's overrides of the table."""

    serials: dict[int, str]
    ib_a: float
    imax_a: float
    un_v: float
    constant_imp_per_kwh: float
    accuracy_class: str
    connection: str = "single_phase"
    clock_hz: float | None = None
    edition: str = "2012"
    verification_type: str = "first"
    overrides: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_instrument(cls, instrument: Any, station: Any, *, edition: str,
                        verification_type: str = "first") -> MeterParams:
        """Build from the batch's ledger row (technical parameters ``ib_a``, ``imax_a``, ``un_v``,
        ``constant_imp_per_kwh``, optional ``connection`` and ``clock_hz``; its accuracy class) and
        the station: the positions and serials of ``[bench]``, the devices playing the four bench
        roles (:data:`ROLES`), and the ``[procedure]`` overrides."""
        tech = technical_params(instrument)
        missing = [k for k in ("ib_a", "imax_a", "un_v", "constant_imp_per_kwh") if k not in tech]
        if missing:
            raise ValueError(f"电能表参数缺少 {', '.join(missing)} (the [instrument] section needs "
                             f"{', '.join(missing)}: Ib, Imax in A, Un in V, constant in imp/kWh)")
        serials = station.bench_serials()
        if not serials:
            raise ValueError("JJG 596 在多表位装置上检定: 工作站文件需要 [bench] (a bench station needs [bench] "
                             "positions/serials)")
        for role in ROLES:
            station.device_for(role)
        clock = tech.get("clock_hz")
        return cls(serials=dict(serials), ib_a=float(tech["ib_a"]), imax_a=float(tech["imax_a"]),
                   un_v=float(tech["un_v"]), constant_imp_per_kwh=float(tech["constant_imp_per_kwh"]),
                   accuracy_class=_class(getattr(instrument, "accuracy_class", "") or tech.get("accuracy_class", "")),
                   connection=str(tech.get("connection", "single_phase")),
                   clock_hz=None if clock is None else float(clock), edition=edition,
                   verification_type=verification_type, overrides=station.section("procedure"))


# -- the numbers of one run, from the table ---------------------------------------------------------
@dataclass(frozen=True)
class LoadPoint:
    """One load point of the basic-error test: its label, current (A), power-factor label and the
    current as a fraction of Ib (what the MPE rows are keyed by), and an explicit gate size if the
    table gives one."""

    label: str
    current_a: float
    pf: str
    fraction_of_ib: float
    pulses: int | None = None


def power_factor_cos(label: str) -> float:
    """cos φ of a power-factor label: "1" → 1.0, "0.5L" → 0.5, "0.8C" → 0.8."""
    return float(str(label).strip().upper().rstrip("LC"))


def expand_load_points(points: Sequence[Mapping[str, Any]], ib_a: float, imax_a: float) -> list[LoadPoint]:
    """The table's load points for a meter of ``ib_a``/``imax_a``: ``current`` is "imax" or a
    fraction of Ib (regulations.md §6, State Grid first-verification points [R data])."""
    out: list[LoadPoint] = []
    for p in points:
        cur = p["current"]
        if isinstance(cur, str):
            if cur.strip().lower() != "imax":
                raise ValueError(f"load point {p.get('label')!r}: current must be \"imax\" or a fraction of Ib, not {cur!r}")
            current, frac = imax_a, imax_a / ib_a
        else:
            current, frac = float(cur) * ib_a, float(cur)
        out.append(LoadPoint(str(p["label"]), current, str(p["pf"]), frac,
                             int(p["pulses"]) if "pulses" in p else None))
    return out


def basic_error_mpe(rows: Sequence[Mapping[str, Any]], accuracy_class: str, pf: str, fraction_of_ib: float) -> float:
    """MPE (±%) of the basic error for a class at a power factor and current (fraction of Ib), from
    the table's rows (``pf`` "1" or "0.5L|0.8C"; ``current_min`` inclusive, ``current_max``
    exclusive; ``class_<c>`` the value) — regulations.md §6 [R sec.]."""
    key = f"class_{accuracy_class}"
    matches = [{"pf": pf, "current_min": r["current_min"], "current_max": r["current_max"], "mpe": r[key]}
               for r in rows if pf.upper() in [x.upper() for x in str(r["pf"]).split("|")] and key in r]
    return float(MpeTable(matches).lookup(pf=pf, current=fraction_of_ib))


def gate_pulses(constant_imp_per_kwh: float, elements: int, voltage_v: float, current_a: float, pf: str,
                target_s: float, min_pulses: int, max_pulses: int) -> int:
    """Gate size N: the meter pulses in about ``target_s`` at the point's power P = m·U·I·cos φ
    (C_L·P/3.6×10⁶ pulses per second), within [min_pulses, max_pulses]."""
    rate = constant_imp_per_kwh * elements * voltage_v * current_a * power_factor_cos(pf) / 3.6e6
    return int(min(max_pulses, max(min_pulses, round(target_s * rate))))


def _pulse_rate(c: float, m: int, u: float, i: float, pf: str) -> float:
    """Meter pulses per second at the point's power."""
    return c * m * u * i * power_factor_cos(pf) / 3.6e6


# -- the procedure ----------------------------------------------------------------------------------
class Jjg596(RegulationProcedure):
    """JJG 596-2012 for a batch of meters on a multi-position bench."""

    TABLE = "jjg596"
    RULE_MODULES = (energy_meter, bench_math, bench_steps)

    def __init__(self, params: MeterParams) -> None:
        super().__init__(params)
        self.params: MeterParams = params
        t = self.table
        cls = params.accuracy_class
        supported = [c for c in t["basic_error"]["rounding"]
                     if all(f"class_{c}" in r for r in t["basic_error"]["mpe"])
                     and c in t["starting"]["current_fraction_of_ib"] and c in t["creep"]["constant"]]
        if cls not in supported:
            raise ValueError(f"准确度等级 {cls!r} 不在规程数据表中 (accuracy class {cls!r} not in the table; "
                             f"supported: {', '.join(supported)})")
        if params.connection not in t["elements"]:
            raise ValueError(f"connection {params.connection!r} unknown; choose one of {sorted(t['elements'])}")
        if not params.serials:
            raise ValueError("no bench position in use")
        self.elements = int(t["elements"][params.connection])
        t["items"] = {k: {"name": t[k]["name"], "name_en": t[k]["name_en"], "clause": t[k].get("clause", "")}
                      for k in ITEM_KEYS}
        self.positions: tuple[int, ...] = params.positions
        self.load_points = expand_load_points(t["basic_error"]["load_points"], params.ib_a, params.imax_a)
        self.steps: Sequence[Step] = self._build_steps()

    # -- the numbers ----------------------------------------------------------------------------
    @property
    def rounding(self) -> str:
        """Rounding interval of errors: one tenth of the class (regulations.md §0.2)."""
        return str(self.table["basic_error"]["rounding"][self.params.accuracy_class])

    def creep_minutes(self) -> float:
        """Creep-test duration T = k/(C·m·Un·Imax) min (regulations.md §6)."""
        p, c = self.params, self.table["creep"]
        return float(creep_test_minutes(p.constant_imp_per_kwh, self.elements, p.un_v, p.imax_a,
                                        float(c["constant"][p.accuracy_class])))

    def starting_current(self) -> float:
        """Starting current I_Q = fraction × Ib (regulations.md §6)."""
        p = self.params
        return float(starting_current_a(p.ib_a, float(self.table["starting"]["current_fraction_of_ib"][p.accuracy_class])))

    def starting_minutes(self) -> float:
        """Starting-test duration t_Q = 1.2 × 60×1000/(C·m·Un·I_Q) min (regulations.md §6)."""
        p, s = self.params, self.table["starting"]
        return float(starting_test_minutes(p.constant_imp_per_kwh, self.elements, p.un_v, self.starting_current(),
                                           float(s["time_factor"])))

    def _common(self) -> dict[str, Any]:
        p = self.params
        return {"positions": list(self.positions), "constant": p.constant_imp_per_kwh, "elements": self.elements,
                "un_v": p.un_v, "poll_s": float(self.table.get("timing", {}).get("poll_s", 0.05)),
                "rounding": self.rounding}

    # -- steps ----------------------------------------------------------------------------------
    def _build_steps(self) -> list[Step]:
        t, p = self.table, self.params
        env = t["environment"]
        steps: list[Step] = environment_steps(env["temperature_c"], env["humidity_pct"])
        common = self._common()
        for item in self.edition["items"]:
            d = t[item]
            if item in ("appearance", "ac_voltage"):
                applies = p.verification_type in d.get("verification_types", list(t["verification_types"]))
                steps.append(MeasureStep(item, d["name"], item, [], _checklist_step, title_en=d["name_en"],
                                         params={**common, "point": d["point"], "applies": applies,
                                                 "serials": {str(k): v for k, v in p.serials.items()}}))
            elif item == "creep":
                u = p.un_v * float(d["voltage_factor"])
                steps.append(MeasureStep(
                    "creep", d["name"], "creep", [Measurement("潜动脉冲数", "imp", high=float(d["max_pulses"]),
                                                              clause=d["clause"])], _timed_count_step,
                    title_en=d["name_en"],
                    params={**common, "kind": "creep", "voltage_v": u, "current_a": 0.0, "pf": "1",
                            "minutes": self.creep_minutes(), "max_pulses": int(d["max_pulses"])}))
            elif item == "starting":
                steps.append(MeasureStep(
                    "starting", d["name"], "starting", [Measurement("起动脉冲数", "imp", low=float(d["min_pulses"]),
                                                                    clause=d["clause"])], _timed_count_step,
                    title_en=d["name_en"],
                    params={**common, "kind": "starting", "voltage_v": p.un_v, "current_a": self.starting_current(),
                            "pf": "1", "minutes": self.starting_minutes(), "min_pulses": int(d["min_pulses"])}))
            elif item == "basic_error":
                steps.extend(self._basic_error_steps(common))
            elif item == "constant":
                cur = d.get("current", "imax")
                current = p.imax_a if str(cur).lower() == "imax" else float(cur) * p.ib_a
                mpe = float(d["mpe"][p.accuracy_class])
                steps.append(MeasureStep(
                    "constant", d["name"], "constant",
                    [Measurement("走字误差", "%", mpe=mpe, rounding_interval=self.rounding, clause=d["clause"])],
                    _constant_step, title_en=d["name_en"],
                    params={**common, "current_a": current, "pf": str(d.get("pf", "1")),
                            "energy_kwh": float(d["energy_kwh"]), "mpe": mpe,
                            "deadline": [float(t["basic_error"]["gate"]["deadline_factor"]),
                                         float(t["basic_error"]["gate"]["deadline_margin_s"])]}))
            elif item == "daily_clock":
                limit = float(d["limit_s_per_day"])
                steps.append(MeasureStep(
                    "daily_clock", d["name"], "daily_clock",
                    [Measurement("日计时误差", "s/d", mpe=limit, rounding_interval=str(d["rounding"]), clause=d["clause"])],
                    _clock_step, title_en=d["name_en"],
                    params={**common, "limit": limit, "clock_rounding": str(d["rounding"]), "readings": int(d["readings"]),
                            "gate_s": float(d["gate_s"]), "nominal_hz": float(p.clock_hz or d["nominal_hz"]),
                            "margin_s": float(d.get("margin_s", 30.0))}))
            else:
                raise ValueError(f"{self.code}: item {item!r} has no procedure (known: {', '.join(ITEM_KEYS)})")
        return steps

    def _basic_error_steps(self, common: dict[str, Any]) -> list[Step]:
        t, p = self.table, self.params
        d = t["basic_error"]
        gate = d["gate"]
        lo, hi = (float(x) for x in d["more_readings_band"])
        out: list[Step] = []
        for k, lp in enumerate(self.load_points, start=1):
            mpe = basic_error_mpe(d["mpe"], p.accuracy_class, lp.pf, lp.fraction_of_ib)
            n = lp.pulses or gate_pulses(p.constant_imp_per_kwh, self.elements, p.un_v, lp.current_a, lp.pf,
                                         float(gate["target_s"]), int(gate["min_pulses"]), int(gate["max_pulses"]))
            rate = _pulse_rate(p.constant_imp_per_kwh, self.elements, p.un_v, lp.current_a, lp.pf)
            deadline = float(gate["deadline_factor"]) * (n + 1) / rate + float(gate["deadline_margin_s"])
            label = lp.label if lp.pf in lp.label.split() else f"{lp.label} cosφ={lp.pf}"
            out.append(MeasureStep(
                f"basic_error_{k}", f"基本误差 {label}", "basic_error",
                [Measurement("基本误差", "%", mpe=mpe, rounding_interval=self.rounding, clause=d["clause"])],
                _basic_error_step, title_en=f"Basic error at {label}",
                params={**common, "label": label, "current_a": lp.current_a, "pf": lp.pf, "mpe": mpe, "pulses": n,
                        "deadline_s": deadline, "readings": int(d["readings"]), "more_readings": int(d["more_readings"]),
                        "band": [lo, hi]}))
        return out

    # -- resources (always torn down) -----------------------------------------------------------
    def resources(self) -> dict[str, Resource]:
        """``bench``: the bench in use — on teardown its gates and clock test stop and the source
        switches off."""
        return {"bench": (_bench_setup, _bench_teardown)}

    # -- the record (items and environment as RegulationProcedure; meters on a bench sign nothing) --
    def flags(self, outcomes: Mapping[str, StepOutcome]) -> tuple[str, ...]:
        """Points where some positions took the extra readings (mean within 80–120 % of the MPE)."""
        out: list[str] = []
        for s in self.steps:
            o = outcomes.get(s.key)
            if o is not None and o.data.get("extra_readings"):
                positions = ", ".join(str(x) for x in o.data["extra_readings"])
                out.append(f"{o.data['label']}: 表位 {positions} 误差接近限值，增测 2 次 (mean within 80–120 % of "
                           "the MPE: two more readings)")
        return tuple(out)


# -- devices and resources --------------------------------------------------------------------------
def _devices(ctx: StepContext) -> tuple[Any, Any, Any]:
    return ctx.device("power_source"), ctx.device("multi_counter"), ctx.device("clock_tester")


async def _bench_setup(ctx: StepContext) -> None:
    """Clear gates an interrupted attempt may have left running."""
    _, counter, _ = _devices(ctx)
    await ctx.io(counter.stop_gates(), IO_DEADLINE_S, counter.name, "停止误差计算器 (stop gates)")


async def _bench_teardown(ctx: StepContext) -> None:
    """Stop gates and the clock test, switch the source off: each is tried; the first error is
    raised after all were tried (the executor reports it)."""
    source, counter, clock = _devices(ctx)
    first: BaseException | None = None
    for call in (counter.stop_gates, clock.stop_clock_test, source.off):
        try:
            await call()
        except Exception as e:  # teardown goes on
            first = first or e
    if first is not None:
        raise first


async def _apply(ctx: StepContext, voltage_v: float, current_a: float, pf: str) -> None:
    source, _, _ = _devices(ctx)
    await ctx.ensure("bench")
    await ctx.io(source.apply(voltage_v, current_a, pf), APPLY_DEADLINE_S, source.name,
                 f"功率源输出 {voltage_v:g} V {current_a:g} A cosφ {pf} (apply)")


async def _bench_time(ctx: StepContext) -> float:
    _, _, clock = _devices(ctx)
    return float(await ctx.io(clock.read_time_s(), IO_DEADLINE_S, clock.name, "读取装置时基 (bench time)"))


def _key(position: int, what: str) -> str:
    return f"p{position:02d}:{what}"


def _priors(ctx: StepContext, positions: Sequence[int], what: str) -> dict[int, Any]:
    """Readings of this step an earlier attempt persisted, by position (those present)."""
    out = {}
    for pos in positions:
        r = ctx.prior(_key(pos, what))
        if r is not None:
            out[pos] = r
    return out


def _result(name: str, label: str, unit: str, position: int, values: Sequence[float], mean: float, rounded: str,
            mpe: float | None, verdict: Verdict) -> MeasurementResult:
    """One position's result; a NaN mean (the position faulted) is stored as no value (None)."""
    return MeasurementResult(name=name, label=label, unit=unit, values=tuple(float(v) for v in values),
                             mean=float(mean) if math.isfinite(mean) else None, rounded=rounded, mpe=mpe,
                             verdict=verdict, position=position)


def _outcome(results: Sequence[MeasurementResult], data: dict[str, Any], faults: Mapping[int, str],
             notes: Mapping[int, str] | None = None) -> StepOutcome:
    data = {**data, "position_faults": {str(p): m for p, m in sorted(faults.items())}}
    if notes:
        data["position_notes"] = {str(p): m for p, m in sorted(notes.items())}
    return StepOutcome(verdict=worst(r.verdict for r in results), results=tuple(results), data=data)


# -- step bodies ------------------------------------------------------------------------------------
async def _checklist_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """外观检查 / 交流电压试验: one point per position, confirmed by the technician; a point not
    confirmed fails that position only. n/a when the table excludes this verification type."""
    p = step.params
    if not p["applies"]:
        return StepOutcome(verdict=Verdict.NOT_APPLICABLE, note="本检定类别不做此项 (not required for this "
                                                                 "verification type)")
    points = {pos: f"表位 {pos} ({p['serials'][str(pos)]}): {p['point']}" for pos in p["positions"]}
    checks = await confirm_positions(ctx, step, step.title, points, label=lambda pos: "逐表检查 (per meter)",
                                     scored=True, note=lambda pos: f"{step.title}不符合: {p['point']}", record=False)
    return _outcome(checks.results, {"checklist": {str(k): ok for k, ok in checks.answers.items()}}, {}, checks.notes)


async def _timed_count_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """潜动 (115 % Un, no current, ≤ max pulses) or 起动 (Un, I_Q, ≥ min pulses): the pulse totals
    before and after a duration timed on the bench's time base. An interrupted test starts again
    (the duration must be continuous): its readings are published only at the end."""
    p = step.params
    positions: list[int] = p["positions"]
    creep = p["kind"] == "creep"
    priors = _priors(ctx, positions, "pulses")
    faults: dict[int, str] = {}
    counts: dict[int, int] = {}
    duration_s = float(p["minutes"]) * 60.0
    if len(priors) == len(positions):
        for pos, r in priors.items():
            if r.extra.get("fault"):
                faults[pos] = str(r.extra["fault"])
            else:
                counts[pos] = int(r.value)
    else:
        _, counter, _ = _devices(ctx)
        await _apply(ctx, float(p["voltage_v"]), float(p["current_a"]), str(p["pf"]))
        before = {r.position: r for r in await ctx.io(counter.read_totals(), IO_DEADLINE_S, counter.name,
                                                      "读取脉冲累计 (pulse totals)")}
        t0 = await _bench_time(ctx)
        what = "潜动" if creep else "起动"
        while True:
            elapsed = await _bench_time(ctx) - t0
            if elapsed >= duration_s:
                break
            ctx.progress(elapsed / duration_s, f"{what}: {elapsed / 60:.1f}/{duration_s / 60:.1f} min")
            await ctx.sleep(float(p["poll_s"]))
        after = {r.position: r for r in await ctx.io(counter.read_totals(), IO_DEADLINE_S, counter.name,
                                                     "读取脉冲累计 (pulse totals)")}
        for pos in positions:
            b, a = before.get(pos), after.get(pos)
            fault = next((r.fault for r in (b, a) if r is not None and r.fault), "")
            if b is None or a is None or b.dut_pulses is None or a.dut_pulses is None or fault:
                faults[pos] = f"{fault or f'表位 {pos}: 无读数 (no reading)'} — {step.title}"
                ctx.reading(_key(pos, "pulses"), "pulses", 0.0, "imp", counter.name, fault=faults[pos])
            else:
                counts[pos] = (a.dut_pulses - b.dut_pulses) % PULSE_WRAP
                ctx.reading(_key(pos, "pulses"), "pulses", counts[pos], "imp", counter.name,
                            before=b.dut_pulses, after=a.dut_pulses, duration_s=round(duration_s, 1))
    results: list[MeasurementResult] = []
    limit = float(p["max_pulses"] if creep else p["min_pulses"])
    label = (f"{p['voltage_v']:g} V, I = 0, {p['minutes']:.1f} min" if creep
             else f"{p['voltage_v']:g} V, I_Q = {p['current_a']:.4g} A, {p['minutes']:.1f} min")
    for pos in positions:
        if pos in faults:
            results.append(_result(step.title, label, "imp", pos, (), math.nan, "—", None, Verdict.NOT_APPLICABLE))
            continue
        n = counts[pos]
        ok = n <= limit if creep else n >= limit
        results.append(_result(step.title, label, "imp", pos, (n,), n, str(n), None, Verdict.PASS if ok else Verdict.FAIL))
    return _outcome(results, {"kind": p["kind"], "minutes": p["minutes"], "pulses": {str(k): v for k, v in counts.items()}},
                    faults)


async def _gate(ctx: StepContext, p: Mapping[str, Any], label: str) -> dict[int, Any]:
    """One gate of N meter pulses on every position; waits on the bench's time base until every
    position in use finished (or gave up), at most ``deadline_s``; returns the readings by position."""
    _, counter, _ = _devices(ctx)
    positions: list[int] = p["positions"]
    await ctx.io(counter.start_gates(int(p["pulses"])), IO_DEADLINE_S, counter.name, f"启动检定 N = {p['pulses']} (gates)")
    t0 = await _bench_time(ctx)
    while True:
        done = await ctx.io(counter.gates_done(), IO_DEADLINE_S, counter.name, "读取检定状态 (gate status)")
        finished = sum(1 for pos in positions if pos - 1 < len(done) and done[pos - 1])
        if finished == len(positions) or await _bench_time(ctx) - t0 > float(p["deadline_s"]):
            break
        ctx.progress(finished / len(positions), f"{label}: {finished}/{len(positions)} 表位完成 (positions done)")
        await ctx.sleep(float(p["poll_s"]))
    readings = await ctx.io(counter.read_gates(), IO_DEADLINE_S, counter.name, "读取检定结果 (gate results)")
    await ctx.io(counter.stop_gates(), IO_DEADLINE_S, counter.name, "停止检定 (stop gates)")
    return {r.position: r for r in readings}


async def _basic_error_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """基本误差 at one load point: gates of N pulses on all positions, ``readings`` per point, then
    ``more_readings`` for the positions whose mean lies in the band of the MPE (80–120 %); each
    position's mean rounded to the class's interval and judged (JJF 1094). Readings are persisted
    per position (``p07:r1``) and re-used on resume."""
    p = step.params
    positions: list[int] = p["positions"]
    index = {pos: i for i, pos in enumerate(positions)}
    total = int(p["readings"]) + int(p["more_readings"])
    errors = np.full((len(positions), total), np.nan)
    faults: dict[int, str] = {}
    applied = False
    _, counter, _ = _devices(ctx)

    async def take(r: int, wanted: list[int]) -> None:
        nonlocal applied
        what = f"r{r}"
        priors = _priors(ctx, wanted, what)
        missing = [pos for pos in wanted if pos not in priors]
        fresh: dict[int, Any] = {}
        if missing:
            if not applied:
                await _apply(ctx, float(p["un_v"]), float(p["current_a"]), str(p["pf"]))
                applied = True
            fresh = await _gate(ctx, p, f"{p['label']} 第{r}次")
        for pos in wanted:
            if pos in priors:
                old = priors[pos]
                if old.extra.get("fault"):
                    faults.setdefault(pos, str(old.extra["fault"]))
                else:
                    errors[index[pos], r - 1] = old.value
                continue
            g = fresh.get(pos)
            if g is None or not g.ok:
                fault = f"{g.fault if g is not None else f'表位 {pos}: 无读数 (no reading)'} — {step.title} 第{r}次"
                faults.setdefault(pos, fault)
                ctx.reading(_key(pos, what), "error", 0.0, "%", counter.name, fault=fault)
                continue
            e = float(pulse_errors(g.std_pulses, g.dut_pulses, g.std_constant, p["constant"])[()])
            errors[index[pos], r - 1] = e
            ctx.reading(_key(pos, what), "error", e, "%", counter.name, dut_pulses=g.dut_pulses,
                        std_pulses=g.std_pulses, std_constant=g.std_constant)

    for r in range(1, int(p["readings"]) + 1):
        await take(r, positions)
    first = judge_positions(errors[:, : int(p["readings"])], p["rounding"], p["mpe"], printed=False)
    band = needs_more_readings(first.mean, p["mpe"], *p["band"])
    extra = [pos for pos in positions if band[index[pos]] and pos not in faults]
    if extra:
        for r in range(int(p["readings"]) + 1, total + 1):
            await take(r, extra)
    for pos in faults:
        errors[index[pos], :] = np.nan
    judged = judge_positions(errors, p["rounding"], p["mpe"])
    results = []
    for pos in positions:
        i = index[pos]
        values = [float(v) for v in errors[i] if np.isfinite(v)]
        results.append(_result("基本误差", p["label"], "%", pos, values, float(judged.mean[i]), judged.printed[i],
                               float(p["mpe"]), Verdict(str(judged.verdict[i]))))
        ctx.record(step.item, results[-1])
    return _outcome(results, {"label": p["label"], "current_a": p["current_a"], "pf": p["pf"], "pulses_n": p["pulses"],
                              "mpe": p["mpe"], "extra_readings": extra,
                              "errors_pct": {str(pos): [float(v) for v in errors[index[pos]] if np.isfinite(v)]
                                             for pos in positions}}, faults)


async def _constant_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """电能表常数试验 (走字): with the source off, the standard's energy and every position's pulse
    total; the source runs until the standard has registered ``energy_kwh``; off again, read again.
    Register error (ΔN/C_L − E_std)/E_std per position, rounded and judged like the basic error."""
    p = step.params
    positions: list[int] = p["positions"]
    source, counter, _ = _devices(ctx)
    std = ctx.device("energy_standard")
    priors = _priors(ctx, positions, "register")
    faults: dict[int, str] = {}
    errors: dict[int, float] = {}
    if len(priors) == len(positions):
        for pos, r in priors.items():
            if r.extra.get("fault"):
                faults[pos] = str(r.extra["fault"])
            else:
                errors[pos] = float(r.extra["error_pct"])
        std_kwh = float(next(iter(priors.values())).extra.get("standard_kwh", 0.0))
    else:
        await ctx.ensure("bench")
        await ctx.io(source.off(), APPLY_DEADLINE_S, source.name, "功率源关闭 (source off)")
        e0 = await ctx.io(std.read_energy_wh(), IO_DEADLINE_S, std.name, "读取标准电能 (standard energy)")
        before = {r.position: r for r in await ctx.io(counter.read_totals(), IO_DEADLINE_S, counter.name,
                                                      "读取脉冲累计 (pulse totals)")}
        await _apply(ctx, float(p["un_v"]), float(p["current_a"]), str(p["pf"]))
        target_wh = float(p["energy_kwh"]) * 1000.0
        power_w = float(p["un_v"]) * float(p["current_a"]) * power_factor_cos(p["pf"]) * int(p["elements"])
        factor, margin = p["deadline"]
        deadline_s = target_wh / power_w * 3600.0 * float(factor) + float(margin)
        t0 = await _bench_time(ctx)
        while True:
            done_wh = await ctx.io(std.read_energy_wh(), IO_DEADLINE_S, std.name, "读取标准电能 (standard energy)") - e0
            if done_wh >= target_wh:
                break
            if await _bench_time(ctx) - t0 > deadline_s:
                raise DeviceTimeout(std.name, f"走字: {deadline_s:.0f} s 内标准表电能未达 {p['energy_kwh']:g} kWh "
                                              f"(standard energy not reached)")
            ctx.progress(done_wh / target_wh, f"走字 (register test): {done_wh / 1000:.3f}/{p['energy_kwh']:g} kWh")
            await ctx.sleep(float(p["poll_s"]))
        await ctx.io(source.off(), APPLY_DEADLINE_S, source.name, "功率源关闭 (source off)")
        e1 = await ctx.io(std.read_energy_wh(), IO_DEADLINE_S, std.name, "读取标准电能 (standard energy)")
        after = {r.position: r for r in await ctx.io(counter.read_totals(), IO_DEADLINE_S, counter.name,
                                                     "读取脉冲累计 (pulse totals)")}
        std_kwh = (e1 - e0) / 1000.0
        for pos in positions:
            b, a = before.get(pos), after.get(pos)
            fault = next((r.fault for r in (b, a) if r is not None and r.fault), "")
            dn = None if b is None or a is None or b.dut_pulses is None or a.dut_pulses is None else \
                (a.dut_pulses - b.dut_pulses) % PULSE_WRAP
            if fault or not dn:
                faults[pos] = f"{fault or f'表位 {pos}: 无脉冲 (no pulses)'} — {step.title}"
                ctx.reading(_key(pos, "register"), "pulses", 0.0, "imp", counter.name, fault=faults[pos],
                            standard_kwh=std_kwh)
                continue
            errors[pos] = float(register_error_pct(dn / float(p["constant"]), std_kwh))
            ctx.reading(_key(pos, "register"), "pulses", dn, "imp", counter.name, error_pct=errors[pos],
                        standard_kwh=std_kwh)
    values = np.array([errors.get(pos, np.nan) for pos in positions])
    judged = judge_positions(values, p["rounding"], p["mpe"])
    label = f"走字 {std_kwh:.3f} kWh ({p['current_a']:g} A cosφ={p['pf']})"
    results = []
    for i, pos in enumerate(positions):
        results.append(_result("走字误差", label, "%", pos, [errors[pos]] if pos in errors else [], float(judged.mean[i]),
                               judged.printed[i], float(p["mpe"]), Verdict(str(judged.verdict[i]))))
        ctx.record(step.item, results[-1])
    return _outcome(results, {"standard_kwh": std_kwh}, faults)


async def _clock_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """日计时误差: Un applied, every position's clock-pulse frequency over ``readings`` gates of
    ``gate_s`` of the bench's time base; e = (f − f0)/f0 × 86400 s/d per reading; the mean rounded
    to 0.01 s/d; pass only when every reading and the mean are within ±limit."""
    p = step.params
    positions: list[int] = p["positions"]
    index = {pos: i for i, pos in enumerate(positions)}
    n = int(p["readings"])
    freqs = np.full((len(positions), n), np.nan)
    faults: dict[int, str] = {}
    _, _, clock = _devices(ctx)
    missing: list[int] = []
    for k in range(1, n + 1):
        priors = _priors(ctx, positions, f"clock:r{k}")
        for pos, r in priors.items():
            if r.extra.get("fault"):
                faults.setdefault(pos, str(r.extra["fault"]))
            else:
                freqs[index[pos], k - 1] = r.value
        if len(priors) < len(positions):
            missing.append(k)
    if missing:
        await _apply(ctx, float(p["un_v"]), 0.0, "1")
        gate = float(p["gate_s"])
        await ctx.io(clock.start_clock_test(gate), IO_DEADLINE_S, clock.name, "启动日计时测量 (start clock test)")
        t0 = await _bench_time(ctx)
        for seq, k in enumerate(missing, start=1):
            wanted = [pos for pos in positions if ctx.prior(_key(pos, f"clock:r{k}")) is None]
            while True:
                got = {c.position: c for c in await ctx.io(clock.read_clock_frequencies(), IO_DEADLINE_S, clock.name,
                                                           "读取时钟频率 (clock frequencies)")}
                waiting = [pos for pos in wanted if pos not in faults and not (pos in got and got[pos].fault)
                           and (pos not in got or got[pos].measurements < seq)]
                if not waiting or await _bench_time(ctx) - t0 > (seq + 1) * gate + float(p["margin_s"]):
                    break
                ctx.progress((seq - 1) / len(missing), f"日计时 第{k}次: {len(wanted) - len(waiting)}/{len(wanted)}")
                await ctx.sleep(float(p["poll_s"]))
            for pos in wanted:
                c = got.get(pos)
                if pos in faults:
                    continue
                if c is None or not c.ok or c.measurements < seq:
                    fault = c.fault if c is not None and c.fault else f"表位 {pos}: 无时钟脉冲 (no clock pulses measured)"
                    faults[pos] = f"{fault} — {step.title}"
                    ctx.reading(_key(pos, f"clock:r{k}"), "clock_frequency", 0.0, "Hz", clock.name, fault=faults[pos])
                    continue
                freqs[index[pos], k - 1] = float(c.frequency_hz)
                e = float(daily_clock_error_s_per_day(c.frequency_hz, p["nominal_hz"]))
                ctx.reading(_key(pos, f"clock:r{k}"), "clock_frequency", float(c.frequency_hz), "Hz", clock.name,
                            error_s_per_day=e, gate_s=gate)
        await ctx.io(clock.stop_clock_test(), IO_DEADLINE_S, clock.name, "停止日计时测量 (stop clock test)")
    for pos in faults:
        freqs[index[pos], :] = np.nan
    errors = np.asarray(daily_clock_error_s_per_day(np.where(np.isfinite(freqs), freqs, p["nominal_hz"]), p["nominal_hz"]))
    errors = np.where(np.isfinite(freqs), errors, np.nan)
    limit, q = float(p["limit"]), str(p["clock_rounding"])
    judged = judge_positions(errors, q, limit)
    each = decide_steps(round_steps(errors, q), q, limit)  # every reading within ±limit (regulations.md §6)
    results = []
    for pos in positions:
        i = index[pos]
        verdict = Verdict(str(judged.verdict[i]))
        if verdict is not Verdict.NOT_APPLICABLE and (each[i] == Verdict.FAIL.value).any():
            verdict = Verdict.FAIL
        values = [float(v) for v in errors[i] if np.isfinite(v)]
        results.append(_result("日计时误差", f"日计时 {n} × {p['gate_s']:g} s (f0 = {p['nominal_hz']:g} Hz)", "s/d", pos, values,
                               float(judged.mean[i]), judged.printed[i], limit, verdict))
        ctx.record(step.item, results[-1])
    return _outcome(results, {"nominal_hz": p["nominal_hz"]}, faults)
