"""JJG 443 燃油加油机 — fuel dispensers, by the standard metal can method (2023 trial edition;
2015 and 2006 selectable). Every number lives in data/jjg443.toml with its clause and confidence.

Items (regulations.md §3):

- 外观及功能检查: a checklist with one result row per point (符合/不符合; a failing point is named
  on the notice): the appearance points, then the edition's function checks (``function_points``:
  回零, 自锁, 掉电保护, 复显, and in 2023 the encoder/main board's consistency with the type approval
  and the software identification). With an interface the dispenser also identifies itself (serial
  compared with the ledger), and every delivery's display is reconciled with the pulser and with
  what the interface reported: a display that disagrees (stuck) fails the function check.
- 示值误差 (JJG 443-2006 §7.6, §7.7): at each flow point, 3 deliveries of the can's nominal volume.
  Per run, ``V_J`` from the dispenser's display, ``h`` from the can's neck scale, ``t_J`` at the
  nozzle and ``t_B`` in the can; ``V_B = V_n + (h − h0)·d``, ``V_Bt = V_B[1 + β_Y(t_J − t_B) +
  β_B(t_B − 20)]``, ``E = (V_J − V_Bt)/V_Bt``. The point's error is the mean of its runs, rounded to
  0.01 % and judged against ±MPE (JJF 1094, U95 from the can-method budget of regulations.md §8; a
  point in the undetermined zone is measured again or the run is void — the engine's rule); the
  dispenser's error is the largest point error.
- 重复性: ``E_n = (E_max − E_min)/d_n`` per flow point (d_n = 1.69 for 3 runs), ≤ the edition's limit.
- 最小被测量示值误差 (optional item ``mmq``; in the 2006 edition's items, off by default for 2015/2023
  whose figures are OPEN): n deliveries of the edition's MMQ volume (``mmq.volume_l``) into a small
  standard can (the station's ``mmq_standard`` device), at the flow window ``items.mmq.flow``; the
  same can-method step as a flow point (one function serves both), judged against ``mmq.mpe_pct``,
  and its repeatability by the repeatability step against ``mmq.repeatability_pct``.
- 付费金额误差: on every delivery (MMQ ones included), ``|amount − V_J × unit price|`` ≤ the minimum
  payment step (:func:`~procedures.regulations.billing.billing_check`), with the displayed amount
  and unit price.

**The indication is the display.** The error of a dispenser is the error of what the customer sees:
``V_J`` and the amount are what the verifier reads on the display, in both input paths
(``[procedure] input``). ``"interface"`` — the workstation authorises each delivery with a preset
over the dispenser's serial link (role ``dispenser``, :class:`~drivers.roles.DispenserLink`), follows
it, reads the transaction, the pulser and the totalizer; the prompt then shows the volume (and
amount) the interface reported, and the verifier types what the display shows — the interface's
values stay raw readings (``r1:interface``) and are reconciled with the display in the function
check, never the indication. ``"manual"`` — a dispenser without an interface: the verifier enters
the display volume (L), the amount (元), the flow (L/min) and the unit price (元/L). Either way the
operator reads the can's neck scale (mm) and both thermometers (°C), every entry validated with pint
for its unit and range. Each point's data names the source of each indication (``v_j_source``).

**Test conditions void the measurement, never the verdict** (data ``[conditions]``): a delivery with
fuel above 30 °C (or below the minimum), |t_J − t_B| > 4 °C or a flow outside its point's window, a
can not confirmed wetted/emptied, is measured again (``ctx.attempt_key`` /
``ctx.condition_not_met``: the operator repeats it or voids the run, the reason naming the value
and the limit); an ambient temperature out of range or changed by more than 3 °C over a point, or
a thermometer division coarser than 0.2 °C, repeats that entry or point likewise. A run ends with a
verdict only from measurements whose conditions were met; nothing of the kind is flagged on a
certificate. The can's U95 against the MPE is checked before the run starts (data
``[standard_uncertainty]``, :meth:`~procedures.regulations.base.RegulationProcedure.uncertainty_checks`).

Before every delivery the can is prepared as the method requires: wetted and emptied before the
first delivery of a point, emptied before each, then left to drain ``drain_s`` seconds (a countdown
the engine times, with progress). With an interface a delivery that does not start or stalls
(neither the display nor the pulser advancing for ``no_flow_s``) ends the step with
:class:`~drivers.errors.NoFlow` (the run pauses, readings kept, resumable) — no deadline computed
from a flow.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from drivers.errors import NoFlow
from procedures.engine import Measurement, MeasureStep, Step, StepOutcome
from procedures.engine.context import ConditionNotMet, StepContext, StoredReading
from procedures.engine.text import Text, pick
from procedures.metrology import (
    can_method_budget,
    can_volume_at_fuel_temperature,
    can_volume_from_neck,
    corrections,
    decide,
    format_rounded,
    relative_error,
    repeatability_range,
)
from procedures.records import MeasurementResult, Verdict
from procedures.regulations.base import (
    PlannedStep,
    RegulationProcedure,
    Resource,
    RunParams,
    checklist_plan,
    entry_plan,
    environment_steps,
    technical_params,
)
from procedures.regulations.billing import billing_check
from procedures.regulations.common import judge, worst
from procedures.regulations.tables import load_table

__all__ = ["CanSpec", "DispenserSpec", "FuelParams", "Jjg443"]

IO_DEADLINE_S = 10.0  # backstop around a dispenser call (the driver has its own, shorter deadline)


@dataclass(frozen=True)
class DispenserSpec:
    """The dispenser under test, from the ledger: serial, flow range (L/min), the fuel it delivers
    (``gasoline`` | ``kerosene`` | ``light_diesel``: picks β_Y) and the nozzle under test."""

    serial: str = ""
    qmax_l_min: float = 60.0
    qmin_l_min: float = 6.0
    fuel: str = "gasoline"
    nozzle: int = 1


@dataclass(frozen=True)
class CanSpec:
    """The standard metal can, from its calibration certificate (the station's ``volume_standard``
    device): nominal volume at the scale mark ``h0_mm``, ``d_l_per_mm`` of neck per millimetre, its
    material (picks β_B), the neck scale's range and reading resolution, and its U95 (%)."""

    name: str = "can"
    serial: str = ""
    nominal_l: float = 20.0
    h0_mm: float = 66.0
    d_l_per_mm: float = 0.002
    material: str = "stainless"
    scale_mm: tuple[float, float] = (0.0, 130.0)
    resolution_mm: float = 0.5
    u95_pct: float | None = None


@dataclass(frozen=True)
class FuelParams(RunParams):
    """A JJG 443 run's choices: the dispenser, the can, edition, verification type, station overrides
    (which also choose the input path and the items), and the small can of the MMQ item when the
    station has one (``mmq_can``)."""

    dispenser: DispenserSpec
    can: CanSpec
    edition: str = "2023"
    verification_type: str = "first"
    overrides: dict[str, Any] = field(default_factory=dict)
    mmq_can: CanSpec | None = None

    @classmethod
    def from_instrument(cls, instrument: Any, station: Any, *, edition: str,
                        verification_type: str = "first") -> FuelParams:
        """Build from the ledger row (its technical parameters: ``qmax_l_min``, ``qmin_l_min``,
        ``fuel``, ``nozzle``) and the station: the can from the device playing ``volume_standard``
        (its certificate constants, serial and ``u95_pct``), the MMQ can likewise from the device
        playing ``mmq_standard`` when there is one, the input path from ``[procedure]``; with
        ``input = "interface"`` the station must have a device playing ``dispenser``."""
        tech = technical_params(instrument)
        dispenser = DispenserSpec(serial=str(instrument.serial), qmax_l_min=float(tech.get("qmax_l_min", 60.0)),
                                  qmin_l_min=float(tech.get("qmin_l_min", 6.0)), fuel=str(tech.get("fuel", "gasoline")),
                                  nozzle=int(tech.get("nozzle", 1)))
        can = _can_spec(station.device_for("volume_standard"))
        try:
            mmq_can: CanSpec | None = _can_spec(station.device_for("mmq_standard"))
        except ValueError:  # the station's "no device plays this role": the MMQ item then refuses to run
            mmq_can = None
        overrides = station.section("procedure")
        mode = overrides.get("input", load_table(Jjg443.TABLE).get("input", "interface"))
        if mode == "interface":
            station.device_for("dispenser")
        return cls(dispenser=dispenser, can=can, edition=edition, verification_type=verification_type,
                   overrides=overrides, mmq_can=mmq_can)

    def to_dict(self) -> dict[str, Any]:
        """JSON form stored with the run; without an MMQ can the form is the one stored before the
        MMQ item existed (``mmq_can`` left out, and absent it reads back as None)."""
        out = super().to_dict()
        if out.get("mmq_can") is None:
            out.pop("mmq_can", None)
        return out

    def context(self) -> dict[str, Any]:
        """What the step context carries besides the devices (the ledger serial for the link check)."""
        return {"dispenser_serial": self.dispenser.serial}


def _can_spec(spec: Any) -> CanSpec:
    """A standard metal can from its station device section: the certificate constants in its
    config, its ledger serial (``standard``) and ``u95_pct``."""
    c = spec.config
    scale = c.get("scale_mm", (0.0, 130.0))
    return CanSpec(name=spec.name, serial=str(spec.standard or ""), nominal_l=float(c.get("nominal_l", 20.0)),
                   h0_mm=float(c["h0_mm"]), d_l_per_mm=float(c["d_l_per_mm"]),
                   material=str(c.get("material", "stainless")), scale_mm=(float(scale[0]), float(scale[1])),
                   resolution_mm=float(c.get("resolution_mm", 0.5)), u95_pct=spec.u95_pct)


class Jjg443(RegulationProcedure):
    """JJG 443 for one dispenser nozzle."""

    TABLE = "jjg443"
    CONDITIONS = ((("t_j_c",), "油温（油枪出口）", "Fuel temperature at the nozzle", "°C"),
                  (("t_b_c",), "油温（量器内）", "Fuel temperature in the can", "°C"))
    RULE_MODULES = (corrections,)

    def __init__(self, params: FuelParams) -> None:
        super().__init__(params)
        self.params: FuelParams = params
        t = self.table
        if not isinstance(t["items"], dict):  # [procedure] items = [...] replaced the item definitions
            raise ValueError("[procedure] items = [...] 会覆盖项目定义 (would replace the item definitions); "
                             "choose the items per edition: [procedure.editions.\"2023\"] items = [...]")
        unknown = [k for k in self.edition["items"] if k not in t["items"]]
        if unknown:
            raise ValueError(f"unknown items {unknown}; known: {sorted(t['items'])}")
        self.input = str(t.get("input", "interface"))
        if self.input not in ("interface", "manual"):
            raise ValueError(f"input must be \"interface\" or \"manual\", got {self.input!r}")
        fuels, materials = t["expansion"]["fuel"], t["expansion"]["can_material"]
        if params.dispenser.fuel not in fuels:
            raise ValueError(f"fuel {params.dispenser.fuel!r} has no expansion coefficient; known: {sorted(fuels)}")
        cans = [params.can] + ([params.mmq_can] if params.mmq_can is not None else [])
        for can in cans:
            if can.material not in materials:
                raise ValueError(f"can material {can.material!r} unknown; known: {sorted(materials)}")
        self.beta_y = float(fuels[params.dispenser.fuel])
        self.beta_b = float(materials[params.can.material])
        self.u95_pct = self._u95(params.can)
        self.mmq_u95_pct: float | None = None
        if "mmq" in self.edition["items"]:
            self._check_mmq_can()
            assert params.mmq_can is not None
            self.mmq_u95_pct = self._u95(params.mmq_can)
        self.steps: Sequence[Step] = self._build_steps()

    def unused_roles(self) -> frozenset[str]:
        """The MMQ can (``mmq_standard``) when the item is not run."""
        return frozenset() if "mmq" in self.edition["items"] else frozenset({"mmq_standard"})

    def _check_mmq_can(self) -> None:
        """The MMQ item needs the station's small can (role ``mmq_standard``) whose nominal volume is
        the edition's MMQ volume: the test volume is the can's nominal, as at the flow points."""
        can, volume = self.params.mmq_can, float(self.edition["mmq"]["volume_l"])
        if can is None:
            raise ValueError(f"最小被测量 (MMQ) 需要 {volume:g} L 标准金属量器 (the MMQ item needs a {volume:g} L can: "
                             f"add a [devices.*] section with roles = [\"mmq_standard\"])")
        if abs(can.nominal_l - volume) > 1e-9:
            raise ValueError(f"最小被测量 {volume:g} L 与量器 {can.name} 的标称容量 {can.nominal_l:g} L 不符 "
                             f"(the MMQ can's nominal volume must be the MMQ volume)")

    # -- uncertainty ----------------------------------------------------------------------------
    def _u95(self, can: CanSpec) -> float | None:
        """U95 (%) of one run's error into ``can`` from the can-method budget (regulations.md §8), or
        None when the budget is disabled or the can's U95 is not given (then the simple JJF 1094 rule)."""
        u = self.table.get("uncertainty", {})
        if not u.get("enabled", False) or can.u95_pct is None:
            return None
        budget = can_method_budget(v_nominal_l=can.nominal_l, can_u95_pct=float(can.u95_pct),
                                   neck_resolution_mm=can.resolution_mm, d_l_per_mm=can.d_l_per_mm,
                                   display_resolution_l=float(u["display_resolution_l"]),
                                   thermometer_mpe_c=float(u["thermometer_mpe_c"]), beta_y=self.beta_y,
                                   beta_b=float(self.table["expansion"]["can_material"][can.material]))
        return round(budget.expanded(), 4)

    # -- steps ----------------------------------------------------------------------------------
    def _build_steps(self) -> list[Step]:
        t, ed, p = self.table, self.edition, self.params
        cond = t["conditions"]
        steps: list[Step] = [
            MeasureStep("env_temperature", "环境温度", "environment", [], _ambient_step, title_en="Ambient temperature",
                        params={"ambient_c": list(cond["ambient_c"]), "entry": list(cond["ambient_entry_c"])}),
            environment_steps(cond["ambient_c"], cond["humidity_pct"])[1],
            MeasureStep("thermometers", "温度计", "environment", [], _thermometer_step, title_en="Thermometers",
                        params={"limit_c": float(cond["thermometer_division_c"]),
                                "entry": list(cond["thermometer_division_entry_c"])}),
        ]
        items = ed["items"]
        interface = self.input == "interface"
        if "appearance" in items:
            d = self.item_def("appearance")
            points = [{"kind": "外观检查", "text": str(x), "clause": str(d["clause"])}
                      for x in [*d["points"], *ed.get("extra_points", [])]]
            points += [{"kind": "功能检查", "text": str(x["text"]), "clause": str(x.get("clause", "")),
                        "tag": str(x.get("tag", ""))} for x in ed.get("function_points", [])]
            steps.append(MeasureStep("appearance", d["name"], "appearance", [], _function_check_step,
                                     title_en=d["name_en"], params={"points": points}))
            if interface:
                steps.append(MeasureStep("link", "加油机通信与标识", "appearance", [], _link_step,
                                         title_en="Dispenser link and identification",
                                         params={"nozzle": p.dispenser.nozzle}))
        point_keys: list[str] = []
        if "indication_error" in items:
            d = self.item_def("indication_error")
            mpe = float(ed["mpe_pct"])
            m = Measurement("示值误差", "%", mpe=mpe, rounding_interval=str(d["rounding"]), clause=d["clause"])
            for i, fp in enumerate(ed["flow_points"]):
                key = f"flow_point_{i + 1}"
                point_keys.append(key)
                steps.append(MeasureStep(
                    key, f"示值误差 {fp['label']}", "indication_error", [m], _flow_point_step,
                    title_en=f"Error of indication at {fp['label']}",
                    params=self._delivery_params(fp["key"], fp["label"], fp, p.can, self.beta_b, self.u95_pct)))
            steps.append(MeasureStep("indication_summary", "加油机示值误差", "indication_error", [m], _summary_step,
                                     title_en="Error of the dispenser (largest point error)",
                                     params={"points": point_keys, "u95": self.u95_pct,
                                             "source_note": self._source_note()}))
        mmq_keys: list[str] = []
        if "mmq" in items:
            steps.extend(self._mmq_steps())
            mmq_keys.append("mmq")
        deliveries = point_keys + mmq_keys  # every delivery: the display and the amount are checked on each
        if interface and "appearance" in items and deliveries:
            d = self.item_def("appearance")
            steps.append(MeasureStep("display_check", "显示与脉冲、接口一致性", "appearance", [], _display_check_step,
                                     title_en="Display against pulser and interface",
                                     params={"points": deliveries, "tolerance_l": d["display_pulser_tolerance_l"],
                                             "interface_l": d["display_interface_tolerance_l"],
                                             "interface_yuan": d["display_interface_tolerance_yuan"]}))
        if "repeatability" in items and point_keys:
            d = self.item_def("repeatability")
            steps.append(MeasureStep(
                "repeatability", d["name"], "repeatability",
                [Measurement("重复性", "%", high=float(ed["repeatability_pct"]), rounding_interval=str(d["rounding"]),
                             clause=d["clause"])],
                _repeatability_step, title_en=d["name_en"],
                params={"points": point_keys, "limit": float(ed["repeatability_pct"]), "d_n": dict(d["d_n"]),
                        "rounding": str(d["rounding"])}))
        if "payment_error" in items and deliveries:
            d = self.item_def("payment_error")
            steps.append(MeasureStep(
                "payment_error", d["name"], "payment_error",
                [Measurement("付费金额误差", "元", mpe=float(d["min_payment_step_yuan"]))], _payment_step,
                title_en=d["name_en"],
                params={"points": deliveries, "step": d["min_payment_step_yuan"], "rounding": d["rounding"],
                        "input": self.input, "price_range": list(d["price_range_yuan_per_l"])}))
        return steps

    def _source_note(self) -> str:
        """Where the indications come from, for the record (the item's note)."""
        if self.input == "interface":
            return ("示值 V_J 与金额取自加油机显示器，由检定员读取并与接口 (JD-DSP/1) 读数核对；接口与脉冲计数仅作核对 "
                    "(indications: the display as read by the verifier; the interface and the pulser are "
                    "reconciled with it)")
        return "示值 V_J 与金额取自加油机显示器，由检定员读取录入 (indications: the display, entered by the verifier)"

    def _delivery_params(self, point: str, label: str, window: dict[str, Any], can: CanSpec, beta_b: float,
                         u95: float | None) -> dict[str, Any]:
        """Params of one can-method step (:func:`_flow_point_step`) — a flow point or the MMQ: n
        deliveries of ``can``'s nominal volume at the flow ``window`` (fractions of Qmax: ``min_frac``,
        ``max_frac``, ``target_frac``), the can's constants and β_B, the conditions, the can's
        preparation (wetting, drain time), the no-flow time and the run's U95."""
        t, ed, p = self.table, self.edition, self.params
        cond, d = t["conditions"], self.item_def("indication_error")
        qmax = p.dispenser.qmax_l_min
        lo, hi = d["display_volume_range_of_nominal"]
        return {"point": point, "label": label, "runs": int(ed["runs"]), "input": self.input,
                "flow_target": round(qmax * float(window["target_frac"]), 1),
                "flow_window": [round(qmax * float(window["min_frac"]), 2), round(qmax * float(window["max_frac"]), 2)],
                "flow_entry_max": round(qmax * float(d["flow_entry_max_of_qmax"]), 1),
                "nozzle": p.dispenser.nozzle, "preset_l": can.nominal_l,
                "volume_range": [round(can.nominal_l * lo, 2), round(can.nominal_l * hi, 2)],
                "can": {"nominal_l": can.nominal_l, "h0_mm": can.h0_mm, "d_l_per_mm": can.d_l_per_mm,
                        "scale_mm": list(can.scale_mm)},
                "beta_y": self.beta_y, "beta_b": beta_b,
                "fuel_c": [cond["fuel_min_c"], cond["fuel_max_c"]], "fuel_entry_c": list(cond["fuel_entry_c"]),
                "fuel_zh": str(t["expansion"].get("fuel_zh", {}).get(p.dispenser.fuel, p.dispenser.fuel)),
                "max_dt_c": cond["max_dispenser_can_dt_c"],
                "ambient_c": list(cond["ambient_c"]), "ambient_entry_c": list(cond["ambient_entry_c"]),
                "ambient_change_c": float(cond["ambient_change_c"]),
                "wetting": bool(d["wetting"]), "drain_s": float(d["drain_s"]), "no_flow_s": float(d["no_flow_s"]),
                "poll_s": d["poll_s"], "u95": u95}

    def _mmq_steps(self) -> list[Step]:
        """最小被测量示值误差 (item ``mmq``): the edition's runs of the MMQ volume into the MMQ can at
        the item's flow window — the flow points' step, judged against ``mmq.mpe_pct`` — then their
        repeatability by the repeatability step against ``mmq.repeatability_pct`` (figures: the
        edition's ``mmq`` row, with its tag)."""
        d, mq, can = self.item_def("mmq"), self.edition["mmq"], self.params.mmq_can
        assert can is not None  # checked in __init__
        label = f"最小被测量 {float(mq['volume_l']):g} L"
        error = Measurement("示值误差", "%", mpe=float(mq["mpe_pct"]), rounding_interval=str(d["rounding"]),
                            clause=d["clause"])
        beta_b = float(self.table["expansion"]["can_material"][can.material])
        rep = self.item_def("repeatability")
        return [
            MeasureStep("mmq", f"示值误差 {label}", "mmq", [error], _flow_point_step,
                        title_en=f"Error at the minimum measured quantity ({float(mq['volume_l']):g} L)",
                        params={**self._delivery_params("MMQ", label, d["flow"], can, beta_b, self.mmq_u95_pct),
                                "source_note": self._source_note()}),
            MeasureStep("mmq_repeatability", f"重复性 {label}", "mmq",
                        [Measurement("重复性", "%", high=float(mq["repeatability_pct"]), rounding_interval=str(d["rounding"]),
                                     clause=d["clause"])],
                        _repeatability_step, title_en="Repeatability at the minimum measured quantity",
                        params={"points": ["mmq"], "limit": float(mq["repeatability_pct"]), "d_n": dict(rep["d_n"]),
                                "rounding": str(d["rounding"])}),
        ]

    # -- the real-time plan ---------------------------------------------------------------------
    def plan_step(self, step: Step, ops: Mapping[str, float], hints: Mapping[str, Any]) -> PlannedStep:
        """The minimum real duration of a JJG 443 step and why: the entries and checks at their
        nominal times (data/plan.toml), the deliveries of the can's volume at the point's flow with
        the can's preparation and the verifier's readings (:meth:`_plan_deliveries`); the steps
        computed from the deliveries take no time of their own, the payment step asks the displayed
        unit price once."""
        if not isinstance(step, MeasureStep):
            return super().plan_step(step, ops, hints)
        body = step.body
        if body in (_ambient_step, _thermometer_step):
            return entry_plan(step, ops)
        if body is _function_check_step:
            return checklist_plan(step, len(step.params["points"]), ops)
        if body is _link_step:
            return PlannedStep(step.key, step.title, ops["connect_s"],
                               "加油机应答并报告标识与单价 (the dispenser answers, identifies itself, reports its price)")
        if body is _flow_point_step:
            return self._plan_deliveries(step, ops)
        if body is _payment_step:
            return PlannedStep(step.key, step.title, ops["display_reading_s"],
                               "读取加油机显示单价 1 项，金额由各次加油计算 (the displayed unit price read once; "
                               "the amounts are checked from the deliveries)")
        if body in (_summary_step, _repeatability_step, _display_check_step):
            return PlannedStep(step.key, step.title, 0.0, "由各次加油的读数计算 (computed from the deliveries)")
        return super().plan_step(step, ops, hints)

    def _plan_deliveries(self, step: MeasureStep, ops: Mapping[str, float]) -> PlannedStep:
        """A flow point (or the MMQ): the ambient temperature at its start and end; the can wetted
        by one fill before the first delivery (when the table says ``wetting``); per delivery the
        can confirmed emptied, its drain time, the fill of the can's nominal volume at the point's
        target flow, and the verifier's readings (:data:`DISPLAY_READINGS` of the input path at the
        display time, :data:`CAN_READINGS` at the entry time). The why also states whether the
        display's resolution stays ≤ ``resolution_fraction_of_mpe`` × MPE in that volume (the test
        volume stays the can's nominal volume: the regulation's; the plan only reports it)."""
        p = step.params
        runs, volume, flow, drain = int(p["runs"]), float(p["preset_l"]), float(p["flow_target"]), float(p["drain_s"])
        fill = volume / flow * 60.0
        wetting = fill if p["wetting"] else 0.0
        shown, read = len(DISPLAY_READINGS[p["input"]]), len(CAN_READINGS)
        readings = shown * ops["display_reading_s"] + read * ops["entry_s"]
        each = fill + drain + ops["checklist_point_s"] + readings
        seconds = 2 * ops["entry_s"] + wetting + runs * each
        mpe = float(step.measurements[0].mpe or 0.0)
        resolution = float(self.table["uncertainty"]["display_resolution_l"])
        fraction = float(self.item_def("indication_error")["resolution_fraction_of_mpe"])
        share, limit = resolution / volume * 100.0, fraction * mpe
        holds = share <= limit + 1e-12
        verdict = "满足" if holds else f"不满足，需 ≥ {resolution / (limit / 100.0):.1f} L"
        why = (f"{runs} 次 × {volume:g} L 于 {flow:g} L/min，每次 {fill:.1f} s"
               + (f"；首次前润湿注满 1 次 {wetting:.1f} s" if wetting else "")
               + f"；每次确认量器 {ops['checklist_point_s']:g} s、滴流 {drain:g} s、读数 {shown + read} 项 "
               f"(显示 {shown} 项 × {ops['display_reading_s']:g} s，量器与温度计 {read} 项 × {ops['entry_s']:g} s)；"
               f"环境温度 2 次；显示分辨力 {resolution:g} L / {volume:g} L = {share:.3f} % "
               f"{'≤' if holds else '>'} MPE/{1 / fraction:g} = {limit:.3f} %（{verdict}）"
               f" ({runs} deliveries of the can's volume at the point's flow, wetting, can confirmed, drain, "
               f"{shown + read} readings each, ambient at start and end; display resolution {share:.3f} % of the "
               f"volume {'≤' if holds else '>'} {limit:.3f} %: {'met' if holds else 'not met'})")
        return PlannedStep(step.key, step.title, seconds, why)

    # -- resources (always torn down) -----------------------------------------------------------
    def resources(self) -> dict[str, Resource]:
        """``delivery``: a delivery authorised on the dispenser (interface path), always stopped."""
        return {"delivery": (_authorize, _stop_delivery)}

    # The record (RegulationProcedure): items in the edition's order; environment as entered;
    # flags — the display's disagreements with the pulser or the interface (function check); test
    # conditions are never flags (a measurement under a condition not met is taken again or the run
    # is void); dispensers sign nothing.


# -- resources ------------------------------------------------------------------------------------
async def _authorize(ctx: StepContext) -> None:
    """Clear anything left running (e.g. by an interrupted attempt), then authorise the delivery
    that ``ctx.state['authorize']`` describes: (nozzle, preset L, flow L/min)."""
    disp = ctx.device("dispenser")
    nozzle, preset, flow = ctx.state["authorize"]
    await ctx.io(disp.stop(), IO_DEADLINE_S, disp.name, "清除加油机状态 (stop)")
    await ctx.io(disp.authorize(nozzle, preset, flow), IO_DEADLINE_S, disp.name,
                 f"授权加油 {preset:g} L (authorise)")


async def _stop_delivery(ctx: StepContext) -> None:
    """End the delivery / cancel the authorisation (idempotent)."""
    disp = ctx.device("dispenser")
    await disp.stop()



# -- conditions of the run ---------------------------------------------------------------------------
def _outside(value: float, limits: Sequence[float]) -> bool:
    """Whether ``value`` lies outside the closed interval ``limits`` [low, high]."""
    return not float(limits[0]) - 1e-9 <= value <= float(limits[1]) + 1e-9


async def _ambient(ctx: StepContext, key: str, text: str, p: dict[str, Any]) -> float:
    """The ambient temperature (°C), entered within its plausibility range; outside the conditions
    (``ambient_c``) it is a condition not met of the step: :class:`ConditionNotMet` (the step is
    taken again after the operator's choice, or the run is void)."""
    t = (await ctx.ask_entry(key, text, "degC", *p["entry"])).value
    lo, hi = p["ambient_c"]
    if _outside(t, p["ambient_c"]):
        raise ConditionNotMet(f"环境温度 {t:g} °C 超出 {lo:g}~{hi:g} °C (ambient temperature outside the conditions)")
    return t


async def _ambient_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """环境温度 at the start of the run, within the conditions (data ``conditions.ambient_c``)."""
    t = await _ambient(ctx, "temperature_c", "环境温度 (ambient temperature)", step.params)
    return StepOutcome(verdict=Verdict.NOT_APPLICABLE, data={"temperature_c": t})


async def _thermometer_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """The division of the thermometers used for t_J and t_B (≤ ``limit_c``, data
    ``conditions.thermometer_division_c``): a coarser one is a condition not met (another
    thermometer, then the entry again, or the run is void)."""
    p = step.params
    d = (await ctx.ask_entry("thermometer_division_c", "温度计分度值 (thermometer division)", "degC",
                             *p["entry"])).value
    if d > float(p["limit_c"]) + 1e-9:
        raise ConditionNotMet(f"温度计分度值 {d:g} °C > {p['limit_c']:g} °C (thermometer division too coarse)")
    return StepOutcome(verdict=Verdict.NOT_APPLICABLE, data={"thermometer_division_c": d})


def _delivery_condition(p: dict[str, Any], row: dict[str, Any], label: str) -> str:
    """Why one delivery does not count (its test condition not met), naming the value and the limit;
    "" when it counts: the fuel temperatures within ``fuel_c``, |t_J − t_B| ≤ ``max_dt_c``, the
    flow within the point's window."""
    lo, hi = p["fuel_c"]
    for name, t in (("t_J", row["t_j"]), ("t_B", row["t_b"])):
        if t > float(hi) + 1e-9:
            return f"{label}: 油温 {name} = {t:g} °C > {hi:g} °C (fuel warmer than the conditions allow)"
        if t < float(lo) - 1e-9:
            return f"{label}: 油温 {name} = {t:g} °C < {lo:g} °C (fuel colder than the conditions allow)"
    dt = abs(row["t_j"] - row["t_b"])
    if dt > float(p["max_dt_c"]) + 1e-9:
        return (f"{label}: |t_J − t_B| = {dt:.1f} °C > {p['max_dt_c']:g} °C "
                f"(nozzle and can temperatures differ beyond the limit)")
    f_lo, f_hi = p["flow_window"]
    if _outside(row["flow"], p["flow_window"]):
        return (f"{label}: 流量 {row['flow']:.1f} L/min 超出 {p['point']} 窗口 {f_lo:g}~{f_hi:g} L/min "
                f"(flow outside the point's window)")
    return ""


# -- the can and the delivery --------------------------------------------------------------------------
CAN_READY = Text("已就绪，开始滴流计时", "ready: start the drain time")
CAN_NOT_READY = Text("未就绪", "not ready")

DISPLAY_READINGS: dict[str, tuple[str, ...]] = {
    "interface": ("显示体积 V_J", "显示金额"),
    "manual": ("显示体积 V_J", "显示金额", "流量"),
}
"""What the verifier reads off the dispenser per delivery, by input path, in the order
:func:`_delivery_readings` asks (the real-time plan counts them)."""

CAN_READINGS: tuple[tuple[str, Text, str], ...] = (
    ("h_mm", Text.keyed("标准金属量器颈部读数 h", "neck scale reading of the can h"), "mm"),
    ("t_j", Text.keyed("油枪出口油温 t_J", "fuel temperature at the nozzle t_J"), "degC"),
    ("t_b", Text.keyed("量器内油温 t_B", "fuel temperature in the can t_B"), "degC"),
)
DISPLAYED_AMOUNT = Text.keyed("加油机显示金额", "displayed amount")


def _about(what: Text, label: str) -> Text:
    """A prompt about one delivery, "加油机显示金额 (Q2 第1次)", in both languages (the console
    form as it always was: a demo's answer table finds the prompt by its opening words)."""
    return Text.keyed(f"{what.zh} ({pick(label, 'zh')})", f"{what.en} ({pick(label, 'en')})")
"""What the verifier reads off the can and the thermometers per delivery, after the display: the
reading key (also the delivery row's key), the prompt and the unit."""


async def _prepare_can(ctx: StepContext, p: dict[str, Any], key: str, label: str, wet: bool) -> str:
    """Before a delivery the operator confirms the can is ready — wetted with the fuel and emptied
    before the first delivery of a point (``wet``), emptied before every one — then the engine times
    the drain (``drain_s``, a countdown with progress). Returns why the can is not ready ("" when it
    is). The confirmation is kept as a raw reading of the delivery's attempt (``<key>:can_ready``)."""
    drain = float(p["drain_s"])
    what = (f"标准金属量器已用{p['fuel_zh']}润湿并倒空 (can wetted with the fuel and emptied)" if wet
            else "标准金属量器已倒空 (can emptied)")
    what_en = "can wetted with the fuel and emptied" if wet else "can emptied"
    choice = await ctx.ask_choice(Text(f"{pick(label, 'zh')}: {what.split(' (')[0]}，倒空后滴流 {drain:g} s",
                                       f"{pick(label, 'en')}: {what_en}, then {drain:g} s drain time",
                                       console=f"{label}: {what}，倒空后滴流 {drain:g} s (then {drain:g} s drain time)"),
                                  (CAN_READY, CAN_NOT_READY))
    ready = choice == CAN_READY
    ctx.reading(f"{key}:can_ready", "can_prepared", 1.0 if ready else 0.0, "", "operator", wetted=wet,
                drain_s=drain)
    if not ready:
        return f"{label}: 标准金属量器未{'润湿并' if wet else ''}倒空 (the can was not {'wetted and ' if wet else ''}emptied)"
    await _countdown(ctx, drain, Text.keyed(f"{pick(label, 'zh')}: 排空滴流", f"{pick(label, 'en')}: drain time"))
    return ""


async def _countdown(ctx: StepContext, seconds: float, what: str) -> None:
    """Wait ``seconds`` (a real wait, abortable), showing the time left as progress."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while (left := end - loop.time()) > 0:
        ctx.progress(1.0 - left / seconds, Text(f"{what}: 剩余 {left:.0f} s", f"{pick(what, 'en')}: {left:.0f} s left"))
        await ctx.sleep(min(1.0, left))
    ctx.progress(1.0, Text(f"{what}: 完成", f"{pick(what, 'en')}: done"))


async def _deliver(ctx: StepContext, step: MeasureStep, key: str, run_label: str) -> StoredReading:
    """One delivery over the interface: pulser before, authorise the preset, follow the status to
    the end, then the transaction (volume, amount, price as the interface reports them), the
    pulser and the totalizer; the authorisation is released. A delivery whose display volume and
    pulser both stand still for ``no_flow_s`` (never started, or stalled) raises :class:`NoFlow`.
    Returns the interface's volume with the rest as extras — a second source, not the indication."""
    p = step.params
    disp = ctx.device("dispenser")
    nozzle, preset, flow = int(p["nozzle"]), float(p["preset_l"]), float(p["flow_target"])
    p0 = await ctx.io(disp.read_pulser(), IO_DEADLINE_S, disp.name, "读取脉冲计数 (pulser)")
    ctx.state["authorize"] = (nozzle, preset, flow)
    await ctx.ensure("delivery")
    no_flow_s = float(p["no_flow_s"])
    seen: tuple[float, int] | None = None
    moved = _now()
    while True:
        await ctx.health()
        st = await ctx.io(disp.status(), IO_DEADLINE_S, disp.name, "读取加油机状态 (status)")
        if st.done:
            break
        pulses = await ctx.io(disp.read_pulser(), IO_DEADLINE_S, disp.name, "读取脉冲计数 (pulser)")
        now = (st.volume_l, pulses.pulses)
        if now != seen:
            seen, moved = now, _now()
        elif _now() - moved > no_flow_s:
            raise NoFlow(disp.name, f"{run_label}: 授权后 {no_flow_s:g} s 内显示体积与脉冲均无增加，停在 "
                                    f"{st.volume_l:.2f} L (状态 {st.state}) — 请检查电源、油泵、电磁阀与油枪 "
                                    f"(no volume advancing within {no_flow_s:g} s: power, pump, valve, nozzle?)")
        ctx.progress(min(st.volume_l / preset, 0.99), Text(f"{run_label}: {st.volume_l:.2f}/{preset:g} L "
                                                          f"{st.flow_l_min:.1f} L/min",
                                                          f"{pick(run_label, 'en')}: {st.volume_l:.2f}/{preset:g} L "
                                                          f"{st.flow_l_min:.1f} L/min"))
        ctx.live(str(p.get("label", run_label)), {"interface": (st.volume_l, "L"), "flow_l_min": (st.flow_l_min, "L/min")})
        await ctx.sleep(float(p["poll_s"]))
    tx = await ctx.io(disp.read_last_transaction(), IO_DEADLINE_S, disp.name, "读取加油记录 (transaction)")
    p1 = await ctx.io(disp.read_pulser(), IO_DEADLINE_S, disp.name, "读取脉冲计数 (pulser)")
    tot = await ctx.io(disp.read_totalizer(nozzle), IO_DEADLINE_S, disp.name, "读取累计数 (totalizer)")
    await ctx.release("delivery")
    return StoredReading(ctx.step_key, key, "dispenser_volume_interface", tx.volume_l, "L", disp.name,
                         {"amount_yuan": tx.amount_yuan, "price_yuan_per_l": tx.price_yuan_per_l,
                          "flow_l_min": round(tx.flow_l_min, 2), "duration_s": tx.duration_s,
                          "transaction": tx.number, "pulser_l": (p1.pulses - p0.pulses) / p1.pulses_per_l,
                          "totalizer_l": tot.volume_l})


def _now() -> float:
    return time.monotonic()


async def _delivery_readings(ctx: StepContext, step: MeasureStep, key: str, label: str) -> dict[str, Any]:
    """The readings of one delivery (attempt ``key``): the indication from the display — with an
    interface, the delivery is run over it and the prompt shows what it reported, the verifier types
    what the display shows — then the can's neck and both thermometers."""
    p = step.params
    can = p["can"]
    if p["input"] == "interface":
        r = await ctx.reading_once(f"{key}:interface", lambda: _deliver(ctx, step, f"{key}:interface", label))
        lo, hi = p["volume_range"]
        amount_if = float(r.extra["amount_yuan"])
        # the interface's values are offered for confirmation against the display; the reading is
        # what the verifier saw (an empty answer confirms, a typed one is the display's value)
        v = await ctx.ask_entry(f"{key}:v_j", Text(f"加油机显示体积 V_J ({pick(label, 'zh')}; 核对显示器)",
                                                   f"displayed volume V_J ({pick(label, 'en')}; check the display)",
                                                   console=f"加油机显示体积 V_J ({label}; 核对显示器 — check the display)"),
                                "L", min(lo, r.value), max(hi, r.value), suggested=round(r.value, 2),
                                suggested_from="JD-DSP/1 接口读数 (interface)")
        a = await ctx.ask_entry(f"{key}:amount", _about(DISPLAYED_AMOUNT, label), "yuan", 0.0, 100000.0,
                                suggested=round(amount_if, 2), suggested_from="JD-DSP/1 接口读数 (interface)")
        row: dict[str, Any] = {
            "v_j": v.value, "amount": a.value, "price": r.extra["price_yuan_per_l"], "flow": r.extra["flow_l_min"],
            "pulser_l": r.extra["pulser_l"], "v_j_interface": r.value, "amount_interface": amount_if,
            "source": "显示器，检定员读取并与接口读数核对 (display, read by the verifier, checked against the interface)"}
    else:
        how = f"以约 {p['flow_target']:g} L/min 加油 {p['preset_l']:g} L 至标准金属量器后读取"
        how_en = f"deliver {p['preset_l']:g} L at about {p['flow_target']:g} L/min into the can, then read"
        v = await ctx.ask_entry(f"{key}:v_j", Text(f"加油机显示体积 V_J ({pick(label, 'zh')}; {how})",
                                                   f"displayed volume V_J ({pick(label, 'en')}; {how_en})",
                                                   console=f"加油机显示体积 V_J ({label}; {how})"),
                                "L", *p["volume_range"])
        a = await ctx.ask_entry(f"{key}:amount", _about(DISPLAYED_AMOUNT, label), "yuan", 0.0, 100000.0)
        f = await ctx.ask_entry(f"{key}:flow", _about(Text.keyed("加油流量", "flow rate"), label), "L/min", 0.0,
                                float(p["flow_entry_max"]))
        row = {"v_j": v.value, "amount": a.value, "price": None, "flow": f.value, "pulser_l": None,
               "v_j_interface": None, "amount_interface": None,
               "source": "显示器，检定员读取录入 (display, entered by the verifier)"}
    ranges = {"mm": can["scale_mm"], "degC": p["fuel_entry_c"]}
    for name, text, unit in CAN_READINGS:
        row[name] = (await ctx.ask_entry(f"{key}:{name}", _about(text, label), unit, *ranges[unit])).value
    return row


async def _valid_delivery(ctx: StepContext, step: MeasureStep, k: int) -> dict[str, Any]:
    """Run ``k`` of a point, taken until its test conditions are met: the can prepared, the
    delivery and its readings, then the conditions (:func:`_delivery_condition`). A condition not
    met keeps the reason on disk and asks the operator to repeat the delivery (under the next
    attempt key ``r<k>@2`` …) or void the run (:meth:`StepContext.condition_not_met`)."""
    p = step.params
    base = f"r{k}"
    interface = p["input"] == "interface"
    while True:
        key = ctx.attempt_key(base)
        n = ctx.attempt(base)
        label = Text.keyed(f"{p['label']} 第{k}次" + (f" @{n}" if n > 1 else ""),
                           f"{p['label']} run {k}" + (f" @{n}" if n > 1 else ""))
        reason = ""
        if ctx.prior(f"{key}:interface" if interface else f"{key}:v_j") is None:  # not delivered yet
            reason = await _prepare_can(ctx, p, key, label, wet=bool(p["wetting"]) and k == 1)
        if not reason:
            row = await _delivery_readings(ctx, step, key, label)
            reason = _delivery_condition(p, row, label)
            if not reason:
                ctx.progress(k / int(p["runs"]), Text(f"{label}: V_J = {row['v_j']:.2f} L, h = {row['h_mm']:g} mm",
                                                      f"{pick(label, 'en')}: V_J = {row['v_j']:.2f} L, h = {row['h_mm']:g} mm"))
                return {**row, "run": k, "key": key}
        await ctx.condition_not_met(base, reason)


# -- step bodies ------------------------------------------------------------------------------------
async def _function_check_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """外观及功能检查: the operator confirms each point; each point is its own result row (符合 /
    不符合, scored 1/0), so a failing point is named on the record and the notice. The item fails
    when any point is not confirmed."""
    points = step.params["points"]
    answers = await ctx.ask_checklist(step.title_text, [pt["text"] for pt in points])
    results: list[MeasurementResult] = []
    failed: list[str] = []
    for pt in points:
        ok = bool(answers.get(pt["text"], False))
        r = MeasurementResult(name=pt["kind"], label=pt["text"], unit="", values=(1.0 if ok else 0.0,),
                              mean=1.0 if ok else 0.0, rounded="符合" if ok else "不符合", mpe=None,
                              verdict=Verdict.PASS if ok else Verdict.FAIL)
        ctx.record(step.item, r)
        results.append(r)
        if not ok:
            failed.append(pt["text"])
    return StepOutcome(verdict=Verdict.FAIL if failed else Verdict.PASS, results=tuple(results),
                       data={"checklist": answers}, note=("不符合: " + "；".join(failed)) if failed else "")


async def _link_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """The dispenser answers on its interface and identifies itself (model, serial, firmware,
    software identification — JJG 443-2023 asks the latter to be checked); its serial is compared
    with the ledger (a difference is noted for the technician, not a metrological failure)."""
    disp = ctx.device("dispenser")
    info = await ctx.io(disp.identify(), IO_DEADLINE_S, disp.name, "读取加油机标识 (identify)")
    price = await ctx.io(disp.read_price(int(step.params["nozzle"])), IO_DEADLINE_S, disp.name, "读取单价 (price)")
    data = {"vendor": info.vendor, "model": info.model, "serial": info.serial, "firmware": info.firmware,
            "software_id": info.software_id, "nozzles": info.nozzles, "protocol": info.protocol,
            "price_yuan_per_l": price}
    notes: list[str] = []
    expected = str(ctx.params.get("dispenser_serial", "") or "")
    if expected and info.serial and info.serial != expected:
        notes.append(f"加油机上报出厂编号 {info.serial} 与台账 {expected} 不符 (reported serial differs from ledger)")
    if info.software_id:
        notes.append(f"软件标识 (software id): {info.software_id}")
    return StepOutcome(verdict=Verdict.PASS, data=data, note="；".join(notes))


async def _flow_point_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """示值误差 at one flow point (JJG 443-2006 §7.6, §7.7): n valid deliveries into the standard
    metal can (:func:`_valid_delivery`); per run E = (V_J − V_Bt)/V_Bt with V_J the display; the
    point's error is their mean, rounded and judged. The ambient temperature is entered at the
    point's start and end: a change beyond ``ambient_change_c`` is a condition not met of the whole
    point (:class:`ConditionNotMet`: all its deliveries again, or the run is void). The MMQ item
    runs the same step with its own can, volume, flow window and MPE (all in the params)."""
    p = step.params
    m = step.measurements[0]
    runs = int(p["runs"])
    can = p["can"]
    amb = {"ambient_c": p["ambient_c"], "entry": p["ambient_entry_c"]}
    # every input of V_Bt that is not read (JJG 443-2006 §7.6): the can's calibration and the coefficients
    for key, value, unit, source in (("can_nominal_l", can["nominal_l"], "L", "station"),
                                     ("can_h0_mm", can["h0_mm"], "mm", "station"),
                                     ("can_d_l_per_mm", can["d_l_per_mm"], "L/mm", "station"),
                                     ("beta_y", p["beta_y"], "1/degC", "regulation"),
                                     ("beta_b", p["beta_b"], "1/degC", "regulation")):
        ctx.constant(key, key, float(value), unit, source)
    start = await _ambient(ctx, "ambient_start_c", Text(f"环境温度 ({p['label']} 开始)", f"ambient temperature ({p['label']} start)",
                                                        console=f"环境温度 (ambient temperature; {p['label']} 开始 start)"), amb)
    rows = [await _valid_delivery(ctx, step, k) for k in range(1, runs + 1)]
    end = await _ambient(ctx, "ambient_end_c", Text(f"环境温度 ({p['label']} 结束)", f"ambient temperature ({p['label']} end)",
                                                    console=f"环境温度 (ambient temperature; {p['label']} 结束 end)"), amb)
    change = abs(end - start)
    if change > float(p["ambient_change_c"]) + 1e-9:
        raise ConditionNotMet(f"{p['label']}: 环境温度变化 |{end:g} − {start:g}| = {change:.1f} °C > "
                              f"{p['ambient_change_c']:g} °C (ambient temperature changed beyond the limit)")
    v_j = [r["v_j"] for r in rows]
    v_b = can_volume_from_neck(can["nominal_l"], [r["h_mm"] for r in rows], can["h0_mm"], can["d_l_per_mm"])
    v_bt = can_volume_at_fuel_temperature(v_b, p["beta_y"], p["beta_b"], [r["t_j"] for r in rows],
                                          [r["t_b"] for r in rows])
    errors = [float(e) for e in relative_error(v_j, v_bt)]  # type: ignore[union-attr]
    flows = [float(r["flow"]) for r in rows]
    mean_flow = sum(flows) / len(flows)
    assert m.mpe is not None and m.rounding_interval is not None
    label = f"{p['label']} {mean_flow:.1f} L/min"
    result = judge(m.name, label, "%", errors, m.mpe, m.rounding_interval, p.get("u95"))
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,), note=str(p.get("source_note", "")), data={
        "point": p["point"], "label": p["label"], "errors_pct": errors, "v_j_l": v_j,
        "v_j_source": [r["source"] for r in rows], "runs": [r["key"] for r in rows],
        "v_b_l": [float(x) for x in v_b], "v_bt_l": [float(x) for x in v_bt],  # type: ignore[union-attr]
        "h_mm": [r["h_mm"] for r in rows], "t_j_c": [r["t_j"] for r in rows], "t_b_c": [r["t_b"] for r in rows],
        "flow_l_min": flows, "amount_yuan": [r["amount"] for r in rows], "price_yuan_per_l": [r["price"] for r in rows],
        "pulser_l": [r["pulser_l"] for r in rows], "v_j_interface_l": [r["v_j_interface"] for r in rows],
        "amount_interface_yuan": [r["amount_interface"] for r in rows],
        "ambient_c": [start, end]})


def _point_outcomes(ctx: StepContext, keys: Sequence[str]) -> list[StepOutcome]:
    missing = [k for k in keys if k not in ctx.outcomes]
    if missing:
        raise LookupError(f"flow points not measured: {missing}")
    return [ctx.outcomes[k] for k in keys]


async def _summary_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """The dispenser's error is its largest point error (JJG 443-2006 §7.7): the rounded point
    error of largest magnitude, judged again against ±MPE. Its note names where the indications
    came from."""
    m = step.measurements[0]
    assert m.mpe is not None
    points = [(o.data["point"], o.results[0]) for o in _point_outcomes(ctx, step.params["points"])]
    label, largest = max(points, key=lambda pr: abs(Decimal(pr[1].rounded)))
    decision = decide(largest.rounded, m.mpe, step.params.get("u95"))
    result = MeasurementResult(name="加油机示值误差", label=f"最大点误差 (largest: {label})", unit="%",
                               values=tuple(r.mean for _, r in points), mean=largest.mean, rounded=largest.rounded,
                               mpe=m.mpe, verdict=decision.verdict, uncertainty=step.params.get("u95"))
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,), data={"largest_point": label},
                       note=str(step.params.get("source_note", "")))


async def _repeatability_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """重复性 at each flow point: E_n = (E_max − E_min)/d_n (regulations.md §0.4, JJG 443-2006 §7.7),
    rounded to 0.01 % and judged against the edition's limit (one-sided: E_n ≥ 0)."""
    p = step.params
    results: list[MeasurementResult] = []
    for o in _point_outcomes(ctx, p["points"]):
        errors = list(o.data["errors_pct"])
        d_n = p["d_n"].get(str(len(errors)))
        if d_n is None:
            raise LookupError(f"no range coefficient d_n for {len(errors)} runs in the table (have {sorted(p['d_n'])})")
        e_n = float(repeatability_range(errors, float(d_n)))
        printed = format_rounded(e_n, p["rounding"], signed=False)
        verdict = decide(printed, p["limit"]).verdict
        results.append(MeasurementResult(name="重复性", label=f"{o.data['point']} (n = {len(errors)}, d_n = {d_n:g})",
                                         unit="%", values=tuple(errors), mean=e_n, rounded=printed, mpe=p["limit"],
                                         verdict=verdict))
        ctx.record(step.item, results[-1])
    return StepOutcome(verdict=worst(r.verdict for r in results), results=tuple(results))


def _reconcile(name: str, unit: str, pairs: Sequence[tuple[str, float, float]], tol: float,
               what: tuple[str, str]) -> tuple[MeasurementResult | None, list[str]]:
    """One reconciliation row of the function check: the display against a second source over every
    delivery (``pairs``: label, display, other), failing when any differs beyond ``tol``; with the
    flags naming each disagreement. None when the second source gave nothing."""
    if not pairs:
        return None, []
    diffs = [shown - other for _, shown, other in pairs]
    zh, en = what
    flags = [f"{label}: 显示 {shown:.2f} {unit} 与{zh} {other:.2f} {unit} 不符 ({en})"
             for label, shown, other in pairs if abs(shown - other) > tol + 1e-9]
    largest = max(diffs, key=abs)
    verdict = Verdict.FAIL if flags else Verdict.PASS
    return MeasurementResult(name=name, label=f"{len(diffs)} 次加油 (deliveries)", unit=unit, values=tuple(diffs),
                             mean=largest, rounded=f"{largest:+.2f}", mpe=tol if tol > 0 else None,
                             verdict=verdict), flags


async def _display_check_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """Function check (interface path): every delivery's display, as the verifier read it, is
    reconciled with the second sources — the pulser's count (a stuck or miscounting display) and
    the volume and amount the interface reported (a dispenser that reports another transaction than
    it shows). A disagreement beyond its tolerance fails 外观及功能检查 and is named; the display
    stays the indication."""
    p = step.params
    pulser: list[tuple[str, float, float]] = []
    volume: list[tuple[str, float, float]] = []
    amount: list[tuple[str, float, float]] = []
    for o in _point_outcomes(ctx, p["points"]):
        d = o.data
        n = len(d["v_j_l"])
        for k, (shown, counted, reported, paid, billed) in enumerate(zip(
                d["v_j_l"], d["pulser_l"], d.get("v_j_interface_l", [None] * n), d["amount_yuan"],
                d.get("amount_interface_yuan", [None] * n), strict=True), start=1):
            label = f"{d['label']} 第{k}次"
            if counted is not None:
                pulser.append((label, float(shown), float(counted)))
            if reported is not None:
                volume.append((label, float(shown), float(reported)))
            if billed is not None:
                amount.append((label, float(paid), float(billed)))
    rows = [_reconcile("显示与脉冲一致性", "L", pulser, float(p["tolerance_l"]),
                       ("脉冲计量", "display disagrees with the pulser — stuck display?")),
            _reconcile("显示与接口读数一致性 体积", "L", volume, float(p.get("interface_l", 0.0)),
                       ("接口读数", "the interface reports another volume than the display")),
            _reconcile("显示与接口读数一致性 金额", "元", amount, float(p.get("interface_yuan", 0.0)),
                       ("接口读数", "the interface reports another amount than the display"))]
    results = [r for r, _ in rows if r is not None]
    if not results:
        return StepOutcome(verdict=Verdict.NOT_APPLICABLE)
    flags = [f for _, fl in rows for f in fl]
    for r in results:
        ctx.record(step.item, r)
    verdict = worst(r.verdict for r in results)
    return StepOutcome(verdict=verdict, results=tuple(results), data={"flags": flags}, note="；".join(flags))


async def _payment_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """付费金额误差 on every delivery: |displayed amount − V_J × displayed unit price| ≤ the minimum
    payment step (:func:`billing_check`). The operator enters the unit price shown on the dispenser
    once; with an interface the prompt shows the price it reported (a difference is noted)."""
    p = step.params
    outcomes = _point_outcomes(ctx, p["points"])
    lo, hi = p["price_range"]
    reported = sorted({float(x) for o in outcomes for x in o.data["price_yuan_per_l"] if x is not None})
    listed = '/'.join(f'{x:g}' for x in reported)
    shown = f"; 接口读数 {listed} 元/L" if reported else ""
    price = (await ctx.ask_entry("unit_price", Text(f"加油机单价 (元/L{shown})",
                                                    f"unit price (yuan/L{f'; interface reports {listed} yuan/L' if reported else ''})",
                                                    console=f"加油机单价 (unit price, 元/L{shown})"),
                                 "yuan / L", lo, hi)).value
    checks = []
    notes: list[str] = []
    if reported and any(abs(x - price) > 1e-9 for x in reported):
        notes.append(f"显示单价 {price:g} 元/L 与接口读数 {'/'.join(f'{x:g}' for x in reported)} 元/L 不符 "
                     f"(the interface reports another unit price)")
    for o in outcomes:
        for k, (v_j, amount) in enumerate(zip(o.data["v_j_l"], o.data["amount_yuan"], strict=True), start=1):
            bill = billing_check(price, v_j, amount, p["step"], rounding=p["rounding"])
            checks.append(bill)
            if not bill.passed:
                sign = "+" if bill.difference_yuan > 0 else ""
                notes.append(f"{o.data['label']} 第{k}次: {v_j:.2f} L × {price:g} 元/L = {bill.expected_yuan} 元, "
                             f"显示 {bill.amount_yuan} 元 ({sign}{bill.difference_yuan} 元)")
    largest = max(checks, key=lambda c: abs(c.difference_yuan))
    verdict = Verdict.FAIL if any(not c.passed for c in checks) else Verdict.PASS
    result = MeasurementResult(
        name="付费金额误差", label=f"{len(checks)} 次加油 × {price:g} 元/L", unit="元",
        values=tuple(float(c.difference_yuan) for c in checks), mean=float(largest.difference_yuan),
        rounded=format_rounded(largest.difference_yuan, p["step"]), mpe=float(largest.limit_yuan), verdict=verdict)
    ctx.record(step.item, result)
    return StepOutcome(verdict=verdict, results=(result,),
                       data={"expected_yuan": [float(c.expected_yuan) for c in checks], "unit_price_yuan_per_l": price},
                       note="；".join(notes))
