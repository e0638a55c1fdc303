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
- 分元件误差 (polyphase meters only, ``connection`` three-phase): at the table's points each
  measuring element loaded alone (voltage on every phase), the element's error against the
  single-element MPE and its difference from the balanced-load error at the same point against
  ``difference_mpe``; single-phase batches have no such item.
- 电能表常数试验: the source runs ``energy_kwh`` through every meter; each meter's **register** (计度器,
  what the customer reads — over its own DL/T 645 port, or entered from its display) advance
  against the standard's energy (:mod:`procedures.regulations.jjg596_constant`).
- 日计时误差: with Un applied, the bench measures each meter's clock-pulse frequency over gates of
  its time base: ``e = (f − f0)/f0 × 86400`` s/d per reading; every reading and the mean (rounded
  to 0.01 s/d) within ±0.5 s/d.

Roles: ``power_source`` (PowerSource), ``multi_counter`` (MultiPositionCounter),
``energy_standard`` (EnergyStandard), ``clock_tester`` (ClockTester) — one bench plays them all —
and, when the station has one, ``register_reader`` (RegisterReader: the meters' own port).
Teardown (always): gates stopped, clock test stopped, source off. Wherever current is applied the
standard must see power, or the run pauses (:mod:`procedures.regulations.jjg596_steps`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from procedures.engine import Measurement, MeasureStep, Step, StepOutcome
from procedures.metrology import MpeTable, energy_meter
from procedures.metrology import bench as bench_math
from procedures.metrology.energy_meter import (
    creep_test_minutes,
    starting_current_a,
    starting_test_minutes,
)
from procedures.regulations import bench_steps, jjg596_constant, jjg596_steps
from procedures.regulations.base import (
    BenchParams,
    PlannedStep,
    RegulationProcedure,
    Resource,
    environment_steps,
    pulse_quantisation_why,
    technical_params,
)
from procedures.regulations.bench_steps import position_checklist_plan
from procedures.regulations.jjg596_constant import READER_ROLE, constant_step
from procedures.regulations.jjg596_steps import (
    basic_error_step,
    bench_setup,
    bench_teardown,
    checklist_step,
    clock_step,
    element_error_step,
    power_factor_cos,
    timed_count_step,
)

__all__ = ["Jjg596", "LoadPoint", "MeterParams", "basic_error_mpe", "expand_load_points", "gate_pulses",
           "power_factor_cos"]

ITEM_KEYS = ("appearance", "ac_voltage", "creep", "starting", "basic_error", "element_error", "constant",
             "daily_clock")
ROLES = ("power_source", "multi_counter", "energy_standard", "clock_tester")


# -- parameters -------------------------------------------------------------------------------------
def _class(text: str) -> str:
    """Accuracy class as the table keys it ("1级" → "1", "Class 2" → "2")."""
    return str(text).replace("级", "").replace("Class", "").replace("class", "").strip()


@dataclass(frozen=True)
class MeterParams(BenchParams):
    """A JJG 596 bench run: the batch's ratings (Ib, Imax, Un in A/V, constant C_L in imp/kWh,
    class, connection, clock output frequency, the register's last digit in kWh), the instruments
    per position, edition, type, the station's overrides of the table, and where the constant test
    reads the registers: ``"port"`` (the station has a ``register_reader`` device) or
    ``"operator"`` (the technician enters each display)."""

    serials: dict[int, str]
    ib_a: float
    imax_a: float
    un_v: float
    constant_imp_per_kwh: float
    accuracy_class: str
    connection: str = "single_phase"
    clock_hz: float | None = None
    register_resolution_kwh: float | None = None
    register_source: str = "operator"
    edition: str = "2012"
    verification_type: str = "first"
    overrides: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_instrument(cls, instrument: Any, station: Any, *, edition: str,
                        verification_type: str = "first") -> MeterParams:
        """Build from the batch's ledger row (technical parameters ``ib_a``, ``imax_a``, ``un_v``,
        ``constant_imp_per_kwh``, optional ``connection``, ``clock_hz`` and
        ``register_resolution_kwh``; its accuracy class) and the station: the positions and serials
        of ``[bench]``, the devices playing the four bench roles (:data:`ROLES`) and the
        ``register_reader`` if any, and the ``[procedure]`` overrides."""
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
        clock, resolution = tech.get("clock_hz"), tech.get("register_resolution_kwh")
        reads_port = any(READER_ROLE in d.roles for d in station.devices)
        return cls(serials=dict(serials), ib_a=float(tech["ib_a"]), imax_a=float(tech["imax_a"]),
                   un_v=float(tech["un_v"]), constant_imp_per_kwh=float(tech["constant_imp_per_kwh"]),
                   accuracy_class=_class(getattr(instrument, "accuracy_class", "") or tech.get("accuracy_class", "")),
                   connection=str(tech.get("connection", "single_phase")),
                   clock_hz=None if clock is None else float(clock),
                   register_resolution_kwh=None if resolution is None else float(resolution),
                   register_source="port" if reads_port else "operator", edition=edition,
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


def _point_label(lp: LoadPoint) -> str:
    """A load point as printed: its label, with cos φ unless the label names it."""
    return lp.label if lp.pf in lp.label.split() else f"{lp.label} cosφ={lp.pf}"


# -- the procedure ----------------------------------------------------------------------------------
class Jjg596(RegulationProcedure):
    """JJG 596-2012 for a batch of meters on a multi-position bench."""

    TABLE = "jjg596"
    RULE_MODULES = (energy_meter, bench_math, bench_steps, jjg596_steps, jjg596_constant)

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
        if params.register_source not in ("port", "operator"):
            raise ValueError(f"register_source must be port or operator, not {params.register_source!r}")
        self.elements = int(t["elements"][params.connection])
        t["items"] = {k: {"name": t[k]["name"], "name_en": t[k]["name_en"], "layout": t[k].get("layout", "")}
                      for k in ITEM_KEYS}
        self.positions: tuple[int, ...] = params.positions
        self.load_points = expand_load_points(t["basic_error"]["load_points"], params.ib_a, params.imax_a)
        self.steps: Sequence[Step] = self._build_steps()

    @property
    def polyphase(self) -> bool:
        """Whether the batch's meters have more than one measuring element (three-phase)."""
        return self.elements > 1

    @property
    def item_keys(self) -> Sequence[str]:
        """The edition's items; the single-element error only for polyphase meters."""
        return [k for k in self.edition["items"] if k != "element_error" or self.polyphase]

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

    def expected_power_w(self, current_a: float, pf: str, elements: int | None = None) -> float:
        """The power a point applies, W: m·Un·I·cos φ (``elements`` loaded; default all of them)."""
        m = self.elements if elements is None else elements
        return m * self.params.un_v * current_a * power_factor_cos(pf)

    def _common(self) -> dict[str, Any]:
        p, t = self.params, self.table
        return {"positions": list(self.positions), "constant": p.constant_imp_per_kwh, "elements": self.elements,
                "un_v": p.un_v, "poll_s": float(t.get("timing", {}).get("poll_s", 0.05)),
                "rounding": self.rounding, "min_power_share": float(t["power_check"]["min_share"])}

    def _gate_params(self, lp: LoadPoint, elements: int) -> dict[str, Any]:
        """Gate size N and deadline of a load point with ``elements`` loaded: N pulses in about
        ``target_s``; the deadline from the point's nominal power (factor × (N + 1) pulse periods
        + margin), never from a measured one."""
        p, gate = self.params, self.table["basic_error"]["gate"]
        n = lp.pulses or gate_pulses(p.constant_imp_per_kwh, elements, p.un_v, lp.current_a, lp.pf,
                                     float(gate["target_s"]), int(gate["min_pulses"]), int(gate["max_pulses"]))
        rate = _pulse_rate(p.constant_imp_per_kwh, elements, p.un_v, lp.current_a, lp.pf)
        deadline = float(gate["deadline_factor"]) * (n + 1) / rate + float(gate["deadline_margin_s"])
        return {"pulses": n, "deadline_s": deadline, "expected_w": self.expected_power_w(lp.current_a, lp.pf, elements)}

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
                steps.append(MeasureStep(item, d["name"], item, [], checklist_step, title_en=d["name_en"],
                                         params={**common, "point": d["point"], "applies": applies,
                                                 "serials": {str(k): v for k, v in p.serials.items()}}))
            elif item == "creep":
                u = p.un_v * float(d["voltage_factor"])
                steps.append(MeasureStep(
                    "creep", d["name"], "creep", [Measurement("潜动脉冲数", "imp", high=float(d["max_pulses"]),
                                                              clause=self.clause(item))], timed_count_step,
                    title_en=d["name_en"],
                    params={**common, "kind": "creep", "voltage_v": u, "current_a": 0.0, "pf": "1", "expected_w": 0.0,
                            "minutes": self.creep_minutes(), "max_pulses": int(d["max_pulses"])}))
            elif item == "starting":
                steps.append(MeasureStep(
                    "starting", d["name"], "starting", [Measurement("起动脉冲数", "imp", low=float(d["min_pulses"]),
                                                                    clause=self.clause(item))], timed_count_step,
                    title_en=d["name_en"],
                    params={**common, "kind": "starting", "voltage_v": p.un_v, "current_a": self.starting_current(),
                            "pf": "1", "minutes": self.starting_minutes(), "min_pulses": int(d["min_pulses"]),
                            "expected_w": self.expected_power_w(self.starting_current(), "1")}))
            elif item == "basic_error":
                steps.extend(self._basic_error_steps(common))
            elif item == "element_error":
                if self.polyphase:
                    steps.extend(self._element_error_steps(common, steps))
            elif item == "constant":
                steps.append(self._constant_step(common))
            elif item == "daily_clock":
                limit = float(d["limit_s_per_day"])
                steps.append(MeasureStep(
                    "daily_clock", d["name"], "daily_clock",
                    [Measurement("日计时误差", "s/d", mpe=limit, rounding_interval=str(d["rounding"]), clause=self.clause(item))],
                    clock_step, title_en=d["name_en"],
                    params={**common, "limit": limit, "clock_rounding": str(d["rounding"]), "readings": int(d["readings"]),
                            "gate_s": float(d["gate_s"]), "nominal_hz": float(p.clock_hz or d["nominal_hz"]),
                            "margin_s": float(d.get("margin_s", 30.0))}))
            else:
                raise ValueError(f"{self.code}: item {item!r} has no procedure (known: {', '.join(ITEM_KEYS)})")
        return steps

    def _basic_error_steps(self, common: dict[str, Any]) -> list[Step]:
        t, p = self.table, self.params
        d = t["basic_error"]
        lo, hi = (float(x) for x in d["more_readings_band"])
        out: list[Step] = []
        for k, lp in enumerate(self.load_points, start=1):
            mpe = basic_error_mpe(d["mpe"], p.accuracy_class, lp.pf, lp.fraction_of_ib)
            label = _point_label(lp)
            out.append(MeasureStep(
                f"basic_error_{k}", f"基本误差 {label}", "basic_error",
                [Measurement("基本误差", "%", mpe=mpe, rounding_interval=self.rounding, clause=self.clause("basic_error"))],
                basic_error_step, title_en=f"Basic error at {label}",
                params={**common, **self._gate_params(lp, self.elements), "label": label, "current_a": lp.current_a,
                        "pf": lp.pf, "mpe": mpe, "readings": int(d["readings"]),
                        "more_readings": int(d["more_readings"]), "band": [lo, hi]}))
        return out

    def _element_error_steps(self, common: dict[str, Any], built: Sequence[Step]) -> list[Step]:
        """分元件误差 of a polyphase meter: per load point of the item, one step per element loaded
        alone; each refers to the balanced-load basic-error step at the same current and power
        factor (which the basic-error table must contain, measured before it)."""
        t, p = self.table, self.params
        d, b = t["element_error"], t["basic_error"]
        lo, hi = (float(x) for x in b["more_readings_band"])
        cls = p.accuracy_class
        mpe, diff_mpe = float(d["mpe"][cls]), float(d["difference_mpe"][cls])
        phases = [str(x) for x in d["elements"][p.connection]]
        if len(phases) != self.elements:
            raise ValueError(f"element_error.elements.{p.connection} names {len(phases)} elements, the meter has "
                             f"{self.elements}")
        basic = {(round(s.params["current_a"], 9), s.params["pf"]): s.key for s in built  # type: ignore[attr-defined]
                 if s.key.startswith("basic_error_")}
        out: list[Step] = []
        for j, lp in enumerate(expand_load_points(d["load_points"], p.ib_a, p.imax_a), start=1):
            balanced = basic.get((round(lp.current_a, 9), lp.pf))
            if balanced is None:
                raise ValueError(f"分元件误差 {lp.label}: 基本误差须含同一负载点 (the basic-error load points need "
                                 f"{lp.label} at cosφ {lp.pf}, the balanced load the element errors are compared with)")
            label = _point_label(lp)
            for phase in phases:
                out.append(MeasureStep(
                    f"element_error_{j}{phase}", f"分元件误差 {phase} 相 {label}", "element_error",
                    [Measurement("分元件误差", "%", mpe=mpe, rounding_interval=self.rounding, clause=self.clause("element_error")),
                     Measurement("元件误差之差", "%", mpe=diff_mpe, rounding_interval=self.rounding,
                                 clause=self.clause("element_error"))],
                    element_error_step, title_en=f"Element {phase} alone at {label}",
                    params={**common, **self._gate_params(lp, 1), "label": label, "phase": phase,
                            "current_a": lp.current_a, "pf": lp.pf, "mpe": mpe, "difference_mpe": diff_mpe,
                            "balanced_step": balanced, "readings": int(d["readings"]),
                            "more_readings": int(d["more_readings"]), "band": [lo, hi]}))
        return out

    def constant_energy_kwh(self) -> float:
        """Energy of the constant test, kWh: the table's (one value, or one per class), checked
        against the register's last digit — its resolution must stay within ``max_resolution_share``
        of the limit, or the register's own digits would decide the verdict."""
        p, d = self.params, self.table["constant"]
        energy = d["energy_kwh"]
        kwh = float(energy[p.accuracy_class] if isinstance(energy, Mapping) else energy)
        resolution = self.register_resolution_kwh()
        mpe, share = float(d["mpe"][p.accuracy_class]), float(d["max_resolution_share"])
        if not kwh > 0 or resolution / kwh * 100.0 > share * mpe + 1e-12:
            raise ValueError(f"走字电量 {kwh:g} kWh 不足: 计度器末位 {resolution:g} kWh 超过限值 {mpe:g} % 的 "
                             f"{share:g} 倍 (the register's last digit is {resolution / kwh * 100:.3g} % of "
                             f"{kwh:g} kWh; run at least {resolution * 100 / (share * mpe):g} kWh)")
        return kwh

    def register_resolution_kwh(self) -> float:
        """The register's last digit, kWh: the batch's ``register_resolution_kwh``, else the table's."""
        return float(self.params.register_resolution_kwh or self.table["constant"]["register_resolution_kwh"])

    def _constant_step(self, common: dict[str, Any]) -> Step:
        t, p = self.table, self.params
        d = t["constant"]
        cur = d.get("current", "imax")
        current = p.imax_a if str(cur).lower() == "imax" else float(cur) * p.ib_a
        pf = str(d.get("pf", "1"))
        mpe = float(d["mpe"][p.accuracy_class])
        return MeasureStep(
            "constant", d["name"], "constant",
            [Measurement("走字误差", "%", mpe=mpe, rounding_interval=self.rounding, clause=self.clause("constant"))],
            constant_step, title_en=d["name_en"],
            params={**common, "current_a": current, "pf": pf, "energy_kwh": self.constant_energy_kwh(), "mpe": mpe,
                    "expected_w": self.expected_power_w(current, pf), "register_source": p.register_source,
                    "serials": {str(k): v for k, v in p.serials.items()},
                    "deadline": [float(t["basic_error"]["gate"]["deadline_factor"]),
                                 float(t["basic_error"]["gate"]["deadline_margin_s"])]})

    # -- the real-time plan ---------------------------------------------------------------------
    def plan_step(self, step: Step, ops: Mapping[str, float], hints: Mapping[str, Any]) -> PlannedStep:
        """The minimum real duration of a JJG 596 step on the bench and why: the checklists per
        position (nominal times, data/plan.toml) and the withstand voltage's hold; creep and
        starting by the regulation's formulas; each load point's gates of N meter pulses at its
        power (the standard's pulse quantisation m0 = C0·N/C_L against a tenth of the class when
        the station gives C0, ``hints["std_constant_imp_per_kwh"]``); the constant test's energy at
        its power and the register readings; the daily clock's gates. Every position gates at once;
        the source settles (``[timing] source_settle_s``) after each change of its output."""
        p: Mapping[str, Any] = getattr(step, "params", {})
        settle = float(self.table["timing"]["source_settle_s"])
        if step.item in ("appearance", "ac_voltage"):
            if not p["applies"]:
                return PlannedStep(step.key, step.title, 0.0, "本检定类别不做此项 (not required for this verification type)")
            hold = float(self.table[step.item].get("duration_s", 0.0))
            return position_checklist_plan(step, len(self.positions), 1, ops, hold_s=hold,
                                           hold_why=f"试验电压保持 {hold:g} s，整批一次 (the test voltage held once)")
        if step.key == "creep":
            return self._plan_creep(step, settle)
        if step.key == "starting":
            return self._plan_starting(step, settle)
        if step.item in ("basic_error", "element_error"):
            return self._plan_gates(step, p, settle, hints)
        if step.key == "constant":
            return self._plan_constant(step, p, settle, ops)
        if step.key == "daily_clock":
            n, gate = int(p["readings"]), float(p["gate_s"])
            why = (f"{n} 次 × 闸门 {gate:g} s = {n * gate:g} s，{len(self.positions)} 表位同时 (readings × the gate of "
                   f"the bench's time base, all positions at once)；功率源稳定 {settle:g} s (the source settles)")
            return PlannedStep(step.key, step.title, n * gate + settle, why)
        return super().plan_step(step, ops, hints)

    def _plan_creep(self, step: Step, settle: float) -> PlannedStep:
        p, d = self.params, self.table["creep"]
        k, minutes = float(d["constant"][p.accuracy_class]), self.creep_minutes()
        why = (f"T = k/(C·m·Un·Imax) = {k / 1e6:g}×10⁶/({p.constant_imp_per_kwh:g}×{self.elements}×{p.un_v:g}×"
               f"{p.imax_a:g}) = {minutes:.1f} min，{float(d['voltage_factor']) * 100:g} % Un、无电流、≤ {d['max_pulses']} "
               f"个脉冲 (the regulation's creep time)；功率源稳定 {settle:g} s (the source settles)")
        return PlannedStep(step.key, step.title, minutes * 60.0 + settle, why)

    def _plan_starting(self, step: Step, settle: float) -> PlannedStep:
        p, d = self.params, self.table["starting"]
        i_q, minutes = self.starting_current(), self.starting_minutes()
        why = (f"t_Q = {float(d['time_factor']):g}×60×1000/(C·m·Un·I_Q) = {float(d['time_factor']):g}×60×1000/"
               f"({p.constant_imp_per_kwh:g}×{self.elements}×{p.un_v:g}×{i_q:.4g}) = {minutes:.2f} min，"
               f"I_Q = {float(d['current_fraction_of_ib'][p.accuracy_class]):g} Ib = {i_q:.4g} A、≥ {d['min_pulses']} 个"
               f"脉冲 (the regulation's starting time)；功率源稳定 {settle:g} s (the source settles)")
        return PlannedStep(step.key, step.title, minutes * 60.0 + settle, why)

    def _plan_gates(self, step: Step, p: Mapping[str, Any], settle: float, hints: Mapping[str, Any]) -> PlannedStep:
        """A load point (balanced, or one element alone): ``readings`` gates of N meter pulses at
        the point's power P (N·3.6×10⁶/(C_L·P) s each); the extra readings of positions near the
        limit are said, not counted (the plan is the minimum)."""
        c_l = self.params.constant_imp_per_kwh
        n, power = int(p["pulses"]), float(p["expected_w"])
        gate = n * 3.6e6 / (c_l * power)
        reads, more = int(p["readings"]), int(p["more_readings"])
        lo, hi = (float(x) * 100 for x in p["band"])
        alone = f"{p['phase']} 相单独加载，" if p.get("phase") else ""
        parts = [f"{alone}{reads} 次 × N = {n} 个被检脉冲，于 {power:.5g} W 每次 {gate:.1f} s，{len(self.positions)} 表位同时 "
                 f"(gates of N meter pulses at the point's power, all positions at once)",
                 f"功率源稳定 {settle:g} s (the source settles)",
                 f"平均误差在 MPE 的 {lo:g}–{hi:g} % 内的表位再测 {more} 次，另需 {more * gate:.0f} s (extra readings near "
                 "the limit, not counted)"]
        c0 = hints.get("std_constant_imp_per_kwh")
        if c0:
            parts.append(pulse_quantisation_why(float(c0), n, c_l, float(self.rounding), "等级的 1/10",
                                                "a tenth of the class"))
        return PlannedStep(step.key, step.title, settle + reads * gate, "；".join(parts))

    def _plan_constant(self, step: Step, p: Mapping[str, Any], settle: float, ops: Mapping[str, float]) -> PlannedStep:
        """The register test: its energy at its power, three source changes (Un alone, current on,
        current off) and every register read before and after, over the meters' port
        (``[timing] register_read_s`` each) or by the technician from the displays (nominal)."""
        d = self.table["constant"]
        energy, power = float(p["energy_kwh"]), float(p["expected_w"])
        run_s = energy / power * 3.6e6
        resolution, share, mpe = self.register_resolution_kwh(), float(d["max_resolution_share"]), float(p["mpe"])
        reads = 2 * len(self.positions)
        if p["register_source"] == "port":
            each, how = float(self.table["timing"]["register_read_s"]), "经电能表通信口 (over the meters' port)"
        else:
            each, how = float(ops["display_reading_s"]), "操作员读显示录入 (entered from the displays)"
        parts = [f"走字 {energy:g} kWh 于 {power / 1000:.4g} kW：{run_s:.0f} s (the energy at its power)",
                 f"计度器末位 {resolution:g} kWh = {resolution / energy * 100:.3g} % ≤ {share:g} × 限值 {mpe:g} % = "
                 f"{share * mpe:.3g} % (the register's last digit against {share:g} of the limit)",
                 f"走字前后读计度器 {reads} 次{how}：{reads * each:.0f} s",
                 f"功率源稳定 3 × {settle:g} s (Un alone, current on, current off)"]
        return PlannedStep(step.key, step.title, run_s + reads * each + 3 * settle, "；".join(parts))

    # -- resources (always torn down) -----------------------------------------------------------
    def resources(self) -> dict[str, Resource]:
        """``bench``: the bench in use — on teardown its gates and clock test stop and the source
        switches off."""
        return {"bench": (bench_setup, bench_teardown)}

    def unused_roles(self) -> frozenset[str]:
        """The meters' port is not used when the technician enters the registers."""
        return frozenset() if self.params.register_source == "port" else frozenset({READER_ROLE})

    # -- the record (items and environment as RegulationProcedure; meters on a bench sign nothing) --
    def flags(self, outcomes: Mapping[str, StepOutcome]) -> tuple[str, ...]:
        """Points where some positions took the extra readings (mean within 80–120 % of the MPE)."""
        out: list[str] = []
        for s in self.steps:
            o = outcomes.get(s.key)
            if o is not None and o.data.get("extra_readings"):
                positions = ", ".join(str(x) for x in o.data["extra_readings"])
                where = f"{o.data['phase']} 相 {o.data['label']}" if o.data.get("phase") else o.data["label"]
                out.append(f"{where}: 表位 {positions} 误差接近限值，增测 2 次 (mean within 80–120 % of "
                           "the MPE: two more readings)")
        return tuple(out)
