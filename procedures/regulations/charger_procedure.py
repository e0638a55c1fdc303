"""What AC charging posts (JJG 1148) and DC off-board chargers (JJG 1149) have in common: the same
items, measured the same way, from a data table per regulation; only the session differs (an OCPP
transaction for an AC post, a GB/T 27930 charging session with the workstation as BMS for a DC
charger), so each regulation module is a thin subclass naming its table and its session resources.

Steps, in the order that keeps every value as found:

1. 环境温度 / 相对湿度 (operator entries within the table's limits).
2. 时钟时刻误差 (2022) **first**, before anything from the workstation can have set the charger's
   clock (:mod:`charger_clock`); 不适用 for a post without time-of-use billing.
3. 外观及功能检查 (checklist) and the link check (the CSMS answers the post from here on).
4. 绝缘电阻 (2018): the verifier's megohmmeter reading at the table's test voltage.
5. 工作误差 at each load point: pulse method ``γ = (m0 − m)/m``, repeated, mean rounded to one tenth
   of the class and judged (JJF 1094) (:mod:`charger_steps`).
6. The shared charging session's end (:mod:`charger_session`): the load draws until the session
   holds enough energy for the display's resolution, the transaction stops, the verifier reads the
   display — then, from that one session, 示值误差, 付费金额误差 and 时钟示值误差 (2018) and the
   reading reconciliation (pulses, OCPP register, CSD, display and OCMF signed values against the
   standard; not a legal item, disagreements flagged on the record).

Roles: ``energy_standard``, ``pulse_counter``, ``load`` always; ``charger`` (ChargerLink, OCPP) for
AC and, when present, for DC; ``bms`` (BmsLink) for DC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from procedures.engine import ChecklistStep, Measurement, MeasureStep, Step, StepOutcome
from procedures.records import ItemResult, Verdict
from procedures.regulations.base import (
    PlannedStep,
    RegulationProcedure,
    Resource,
    RunParams,
    environment_steps,
    pulse_quantisation_why,
    standard_u95,
    technical_params,
)
from procedures.regulations.charger_clock import clock_indication_step, clock_step
from procedures.regulations.charger_session import (
    indication_error_step,
    payment_error_step,
    session_end_step,
    session_energy_kwh,
    with_session,
)
from procedures.regulations.charger_steps import (
    PowerRule,
    bms_start,
    bms_stop,
    charger_online,
    insulation_step,
    link_step,
    load_off,
    noop,
    ocpp_start,
    ocpp_stop,
    working_error_step,
)
from procedures.regulations.common import item_layout

__all__ = ["ChargerParams", "ChargerProcedure", "PostSpec", "bms_start", "bms_stop", "charger_online", "load_off",
           "noop", "ocpp_start", "ocpp_stop"]


def ledger_flag(value: Any, default: bool) -> bool:
    """A yes/no technical parameter as the ledger holds it (true/false, 是/否, yes/no, 1/0)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "是", "有"):
        return True
    if text in ("0", "false", "no", "n", "否", "无"):
        return False
    raise ValueError(f"是/否 expected, got {value!r}")


@dataclass(frozen=True)
class PostSpec:
    """What the procedure needs to know about the charger (from its nameplate / the ledger):
    class, maximum current, test voltage (AC nominal, or the DC voltage the BMS requests), pulse
    constant C_L, serial number, and whether it bills by time of use (分时计费: the clock items
    apply)."""

    accuracy_class: str = "2"
    imax_a: float = 32.0
    voltage_v: float = 220.0
    constant_imp_per_kwh: float = 1000.0
    serial: str = ""
    time_of_use: bool = True


@dataclass(frozen=True)
class ChargerParams(RunParams):
    """A run's choices: edition, verification type, the charger, the standard's U95, the time
    standard the clock is read against, overrides."""

    post: PostSpec
    edition: str = "2022"
    verification_type: str = "first"
    u95_pct: float | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    time_standard: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_instrument(cls, instrument: Any, station: Any, *, edition: str,
                        verification_type: str = "first") -> ChargerParams:
        """Build from the ledger row (class, and its technical parameters ``imax_a``, ``voltage_v``,
        ``constant_imp_per_kwh``, ``time_of_use``) and the station (the energy standard's U95, the
        time standard, ``[procedure]`` overrides). A station without an energy standard leaves U95
        unknown (simple JJF 1094 rule)."""
        tech = technical_params(instrument)
        post = PostSpec(accuracy_class=str(instrument.accuracy_class), imax_a=float(tech.get("imax_a", 32.0)),
                        voltage_v=float(tech.get("voltage_v", 220.0)),
                        constant_imp_per_kwh=float(tech.get("constant_imp_per_kwh", 1000.0)), serial=instrument.serial,
                        time_of_use=ledger_flag(tech.get("time_of_use"), True))
        return cls(post=post, edition=edition, verification_type=verification_type,
                   u95_pct=standard_u95(station, "energy_standard", required=False),
                   overrides=station.section("procedure"), time_standard=dict(station.time_standard))

    def context(self) -> dict[str, Any]:
        """What the step context carries besides the devices: the post's pulse constant C_L, its
        ledger serial (for the link check) and the time standard (for the clock items)."""
        return {"dut_constant": self.post.constant_imp_per_kwh, "post_serial": self.post.serial,
                "time_standard": self.time_standard}


class ChargerProcedure(RegulationProcedure):
    """The procedure for one run; subclasses name ``TABLE`` and ``SESSION`` (the charging resource's
    set-up and teardown) and the links the link check brings up."""

    LINKS: tuple[str, ...] = ("charger_online",)  # resources the link check brings up
    SESSION: tuple[Any, Any] = (ocpp_start, ocpp_stop)

    def __init__(self, params: ChargerParams) -> None:
        super().__init__(params)
        self.params: ChargerParams = params
        if params.post.accuracy_class not in self.table["items"]["working_error"]["mpe_pct"]:
            raise ValueError(f"accuracy class {params.post.accuracy_class!r} has no MPE in the {self.TABLE} table")
        self.power = PowerRule.from_table(self.table["session"], params.post.voltage_v)
        self.steps: Sequence[Step] = self._build_steps()

    @property
    def dc(self) -> bool:
        """Whether the charger under test delivers DC (the table's ``[regulation] current_kind``)."""
        return self.table["regulation"].get("current_kind", "AC") == "DC"

    @property
    def mpe_pct(self) -> float:
        """The class MPE of 工作误差 (%)."""
        return float(self.item_def("working_error")["mpe_pct"][self.params.post.accuracy_class])

    @property
    def session_energy_kwh(self) -> float:
        """The energy the shared session holds (:func:`charger_session.session_energy_kwh`): the
        coarsest indicating source's resolution ≤ the table's fraction of the MPE."""
        s, rec = self.table["session"], self.table["reconciliation"]
        resolution = max(float(rec["resolution_kwh"][src]) for src in rec.get("indicating", ["display"]))
        return session_energy_kwh(self.mpe_pct, resolution, float(s["resolution_fraction_of_mpe"]),
                                  float(s.get("min_energy_kwh", 0.0)))

    # -- steps ----------------------------------------------------------------------------------
    def _build_steps(self) -> list[Step]:
        env = self.table["environment"]
        steps: list[Step] = environment_steps(env["temperature_c"], env["humidity_pct"])
        items = self.edition["items"]
        if "clock" in items:
            steps.append(self._clock_step())
        if "appearance" in items:
            d = self.item_def("appearance")
            steps.append(ChecklistStep("appearance", d["name"], "appearance", d["points"], title_en=d["name_en"]))
            steps.append(MeasureStep("link", "通信连接", "appearance", [], link_step, title_en="Link check",
                                     params={"links": list(self.LINKS)}))
        if "insulation" in items:
            d = self.item_def("insulation")
            steps.append(MeasureStep("insulation", d["name"], "insulation", [], insulation_step, title_en=d["name_en"],
                                     params={"test_voltage_v": d["test_voltage_v"], "min_mohm": d["min_mohm"]}))
        if "working_error" in items:
            steps.extend(self._working_error_steps())
        session_items = [k for k in ("indication_error", "payment_error", "clock_indication") if k in items]
        if session_items or self.table["reconciliation"].get("enabled", False):
            steps.append(self._session_end_step(session_items))
        if "indication_error" in items:
            d = self.item_def("indication_error")
            cls = self.params.post.accuracy_class
            steps.append(MeasureStep(
                "indication_error", d["name"], "indication_error",
                [Measurement("示值误差", "%", mpe=d["mpe_pct"][cls], rounding_interval=d["rounding"][cls],
                             clause=d["clause"])],
                indication_error_step, title_en=d["name_en"], params={"u95": self.params.u95_pct}))
        if "payment_error" in items:
            d = self.item_def("payment_error")
            steps.append(MeasureStep("payment_error", d["name"], "payment_error",
                                     [Measurement("付费金额误差", "元", mpe=d["min_payment_step_yuan"])],
                                     payment_error_step, title_en=d["name_en"],
                                     params={"step": d["min_payment_step_yuan"], "rounding": d.get("rounding", "half_even")}))
        if "clock_indication" in items:
            d = self.item_def("clock_indication")
            steps.append(MeasureStep("clock_indication", d["name"], "clock_indication",
                                     [Measurement("时钟示值误差", "s", mpe=d["limit_s"], rounding_interval=str(d["rounding"]),
                                                  clause=d["clause"])],
                                     clock_indication_step, title_en=d["name_en"],
                                     params={"limit_s": d["limit_s"], "rounding": str(d["rounding"]),
                                             "applies": self._clock_applies(d)}))
        return steps

    def _clock_applies(self, d: Mapping[str, Any]) -> bool:
        """A clock item applies unless it is for time-of-use posts only and this one is not."""
        return self.params.post.time_of_use or not d.get("time_of_use_only", False)

    def _clock_step(self) -> Step:
        d = self.item_def("clock")
        limit = d["limit_s"][self.params.verification_type]
        method = str(d.get("method", "display"))
        if method not in ("display", "protocol"):
            raise ValueError(f"{self.TABLE} items.clock.method must be display or protocol, not {method!r}")
        return MeasureStep("clock", d["name"], "clock",
                           [Measurement("时钟时刻误差", "s", mpe=limit, rounding_interval=d["rounding"], clause=d["clause"])],
                           clock_step, title_en=d["name_en"],
                           params={"limit_s": limit, "rounding": d["rounding"], "method": method,
                                   "applies": self._clock_applies(d), "mark_lead_s": d.get("mark_lead_s", 10),
                                   "mark_step_s": d.get("mark_step_s", 5)})

    def _working_error_steps(self) -> list[Step]:
        d = self.item_def("working_error")
        cls = self.params.post.accuracy_class
        out: list[Step] = []
        for i, lp in enumerate(d["load_points"]):
            current = self._current(lp)
            m = Measurement("工作误差", "%", mpe=d["mpe_pct"][cls], rounding_interval=d["rounding"][cls],
                            clause=d["clause"])
            out.append(MeasureStep(
                f"working_error_{i + 1}", f"工作误差 {lp['label']}", "working_error", [m], working_error_step,
                title_en=f"Operating error at {lp['label']}",
                params={"label": lp["label"], "current_a": current, "pf": lp["pf"],
                        "condition": (f"{self.params.post.voltage_v:g} V" if self.dc else f"cosφ={lp['pf']:g}"),
                        "repetitions": d["repetitions"], "pulses": d["pulses_per_gate"],
                        "settle_s": d["settle_s"], "u95": self.params.u95_pct,
                        "dut_constant": self.params.post.constant_imp_per_kwh, "power": self.power.as_dict()}))
        return out

    def _session_end_step(self, session_items: list[str]) -> Step:
        s, rec = self.table["session"], self.table["reconciliation"]
        pay = self.item_def("payment_error") if "payment_error" in session_items else None
        return MeasureStep(
            "session_end", "共用充电过程结束与读数", "reconciliation", [], session_end_step,
            title_en="End of the shared charging session",
            params={"energy_kwh": self.session_energy_kwh, "current_a": self._current(s["load"]),
                    "pf": s["load"]["pf"], "still_s": s["still_s"], "power": self.power.as_dict(),
                    "sources": rec["sources"], "resolution_kwh": rec["resolution_kwh"], "mpe_pct": self.mpe_pct,
                    "dut_constant": self.params.post.constant_imp_per_kwh,
                    "reconcile": bool(rec.get("enabled", False)),
                    "payment": {"max_periods": pay.get("max_periods", 4)} if pay else None,
                    "duration": "clock_indication" in session_items})

    def _current(self, lp: dict[str, Any]) -> float:
        d = self.item_def("working_error")
        imax = self.params.post.imax_a
        if lp["of"] == "imax":
            return round(imax * lp["factor"], 3)
        if lp["of"] == "imin":
            return round(max(imax * d["imin_fraction_of_imax"], d["imin_floor_a"]) * lp["factor"], 3)
        raise ValueError(f"load point 'of' must be imax or imin, got {lp['of']!r}")

    # -- the real-time plan ---------------------------------------------------------------------
    def _power_w(self, current_a: float, pf: float) -> float:
        return self.params.post.voltage_v * current_a * pf

    def plan_step(self, step: Step, ops: Mapping[str, float], hints: Mapping[str, Any]) -> PlannedStep:
        """The minimum real duration of a charger step and why: energy at the test power for the
        gates and the shared session, the announced instant for the clock, nominal times for what
        the verifier reads (data/plan.toml)."""
        p = getattr(step, "params", {})
        c_l = self.params.post.constant_imp_per_kwh
        if step.key == "clock":
            if not p.get("applies", True):
                return PlannedStep(step.key, step.title, 0.0, "非分时计费，不适用 (not applicable)")
            if p["method"] == "protocol":
                return PlannedStep(step.key, step.title, ops["connect_s"], "充电桩连接并发送时间戳 (connects, sends a timestamp)")
            t = float(p["mark_lead_s"]) + float(p["mark_step_s"]) / 2 + ops["display_reading_s"] / 2
            return PlannedStep(step.key, step.title, t, f"读数时刻提前 {p['mark_lead_s']:g} s、取整到 {p['mark_step_s']:g} s，"
                                                        "再录入显示时间 (the announced instant, then typing the time)")
        if step.key == "link":
            return PlannedStep(step.key, step.title, ops["connect_s"], "充电桩连接、标识 (the charger connects, identifies)")
        if step.key == "insulation":
            return PlannedStep(step.key, step.title, ops["instrument_s"] + 2 * ops["entry_s"],
                               "兆欧表测量并录入读数与试验电压 (megohmmeter reading and test voltage, nominal)")
        if step.item == "working_error":
            power = self._power_w(p["current_a"], p["pf"])
            gate_kwh = int(p["pulses"]) / c_l
            gate_s = gate_kwh / (power / 1000.0) * 3600.0
            reps = int(p["repetitions"])
            why = (f"{reps} × {p['pulses']} 个被检脉冲 ({reps * gate_kwh:.3f} kWh) 于 {power / 1000:.2f} kW，每次 {gate_s:.1f} s，"
                   f"稳定 {float(p['settle_s']):g} s")
            c0 = hints.get("std_constant_imp_per_kwh")
            if c0:
                why += "；" + pulse_quantisation_why(float(c0), int(p["pulses"]), c_l, self.mpe_pct / 10, "MPE/10",
                                                    "MPE/10")
            return PlannedStep(step.key, step.title, float(p["settle_s"]) + reps * gate_s, why)
        if step.key == "session_end":
            shared = sum(int(s.params["repetitions"]) * int(s.params["pulses"]) / c_l
                         for s in self.steps if s.item == "working_error")
            need = float(p["energy_kwh"])
            rest = max(need - shared, 0.0)
            power = self._power_w(p["current_a"], p["pf"])
            readings = 1 + (3 + 2 if p.get("payment") else 0) + (1 if p.get("duration") else 0)
            t = rest / (power / 1000.0) * 3600.0 + 2 * float(p["still_s"]) + readings * ops["display_reading_s"]
            why = (f"共用充电过程 {need:g} kWh（显示分辨力 0.001 kWh ≤ MPE/10），工作误差已输送 {shared:.3f} kWh，"
                   f"余 {rest:.3f} kWh 于 {power / 1000:.2f} kW；再读显示 {readings} 项 (one session shared by the items)")
            return PlannedStep(step.key, step.title, t, why)
        if step.key in ("indication_error", "payment_error", "clock_indication"):
            return PlannedStep(step.key, step.title, 0.0, "由共用充电过程计算 (computed from the shared session)")
        return super().plan_step(step, ops, hints)

    # -- resources (always torn down) -----------------------------------------------------------
    def resources(self) -> dict[str, Resource]:
        """charger_online (OCPP) → charging (the transaction or GB/T 27930 session, opening the
        shared session) → load, each undone at the end of the run."""
        setup, teardown = type(self).SESSION
        cfg = {"still_s": self.table["session"]["still_s"], "sources": self.table["reconciliation"]["sources"],
               "open": any(step.key == "session_end" for step in self.steps)}
        return {
            "charger_online": (charger_online, noop),
            "charging": (with_session(setup, cfg), teardown),
            "load": (noop, load_off),
        }

    # -- the record -----------------------------------------------------------------------------
    def items(self, outcomes: Mapping[str, StepOutcome], position: int | None = None) -> tuple[ItemResult, ...]:
        """The regulation's items, in its order, with clause and verdict; then the reading
        reconciliation when it ran: not an item of JJG 1148/1149-2022 (whose metrological
        requirements are 工作误差 and 时钟时刻误差 alone, regulations.md §1), so it is frozen with the
        ``annex`` layout and no verdict — printed once on the 附页, never deciding the conclusion;
        its disagreements are the record's flags."""
        out = list(super().items(outcomes, position))
        rec = outcomes.get("session_end")
        if rec is not None and rec.results:
            d = self.table["reconciliation"]
            out.append(ItemResult(key="reconciliation", name=d["name"], name_en=d["name_en"], clause="",
                                  verdict=Verdict.NOT_APPLICABLE, results=rec.results, note=rec.note,
                                  layout=item_layout(d) or "annex"))
        return tuple(out)

    def signed_meter_values(self, outcomes: Mapping[str, StepOutcome]) -> dict[str, Any] | None:
        """The OCMF verdict and signed start/stop readings of the shared session."""
        rec = outcomes.get("session_end")
        return rec.data.get("signed") if rec else None
