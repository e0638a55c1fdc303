"""JJG 443 燃油加油机 — fuel dispensers, by the standard metal can method (2023 trial edition;
2015 and 2006 selectable). Every number lives in data/jjg443.toml with its clause and confidence.

Items (regulations.md §3):

- 外观及功能检查: operator checklist (2023 adds the software identification); with an interface,
  the dispenser identifies itself (serial compared with the ledger) and on every delivery its
  display is compared with its pulser — a display that disagrees (stuck) fails the function check.
- 示值误差 (JJG 443-2006 §7.6, §7.7): at each flow point, 3 deliveries of the can's nominal volume.
  Per run, ``V_J`` from the dispenser, ``h`` from the can's neck scale, ``t_J`` at the nozzle and
  ``t_B`` in the can; ``V_B = V_n + (h − h0)·d``, ``V_Bt = V_B[1 + β_Y(t_J − t_B) + β_B(t_B − 20)]``,
  ``E = (V_J − V_Bt)/V_Bt``. The point's error is the mean of its runs, rounded to 0.01 % and judged
  against ±MPE (JJF 1094, U95 from the can-method budget of regulations.md §8); the dispenser's
  error is the largest point error.
- 重复性: ``E_n = (E_max − E_min)/d_n`` per flow point (d_n = 1.69 for 3 runs), ≤ the edition's limit.
- 最小被测量示值误差 (optional item ``mmq``; in the 2006 edition's items, off by default for 2015/2023
  whose figures are OPEN): n deliveries of the edition's MMQ volume (``mmq.volume_l``) into a small
  standard can (the station's ``mmq_standard`` device), at the flow window ``items.mmq.flow``; the
  same can-method step as a flow point (one function serves both), judged against ``mmq.mpe_pct``,
  and its repeatability by the repeatability step against ``mmq.repeatability_pct``.
- 付费金额误差: on every delivery (MMQ ones included), ``|amount − V_J × unit price|`` ≤ the minimum
  payment step (:func:`~procedures.regulations.billing.billing_check`); the display/pulser check of
  the interface path also covers every delivery.

Two input paths, a station option (``[procedure] input``): ``"interface"`` — the workstation
authorises each delivery with a preset over the dispenser's serial link (role ``dispenser``,
:class:`~drivers.roles.DispenserLink`) and reads ``V_J``, the amount, the price, the pulser and the
totalizer; ``"manual"`` — a dispenser without an interface: the operator enters the display volume
(L), the amount (元), the flow (L/min) and the unit price (元/L). Either way the operator reads the
can's neck scale (mm) and both thermometers (°C), every entry validated with pint for its unit and
range. Conditions that do not invalidate a reading but make it doubtful (|t_J − t_B| > 4 °C, a flow
outside the point's window) are flagged on the record.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from drivers.errors import DeviceTimeout
from procedures.engine import ChecklistStep, Measurement, MeasureStep, Step, StepOutcome
from procedures.engine.context import StepContext, StoredReading
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
    RegulationProcedure,
    Resource,
    RunParams,
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
        steps: list[Step] = environment_steps(cond["ambient_c"], cond["humidity_pct"])
        items = ed["items"]
        interface = self.input == "interface"
        if "appearance" in items:
            d = self.item_def("appearance")
            steps.append(ChecklistStep("appearance", d["name"], "appearance",
                                       [*d["points"], *ed.get("extra_points", [])], title_en=d["name_en"]))
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
                                     params={"points": point_keys, "u95": self.u95_pct}))
        mmq_keys: list[str] = []
        if "mmq" in items:
            steps.extend(self._mmq_steps())
            mmq_keys.append("mmq")
        deliveries = point_keys + mmq_keys  # every delivery: the display and the amount are checked on each
        if interface and "appearance" in items and deliveries:
            d = self.item_def("appearance")
            steps.append(MeasureStep("display_check", "显示与脉冲一致性", "appearance", [], _display_check_step,
                                     title_en="Display against pulser",
                                     params={"points": deliveries, "tolerance_l": d["display_pulser_tolerance_l"]}))
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

    def _delivery_params(self, point: str, label: str, window: dict[str, Any], can: CanSpec, beta_b: float,
                         u95: float | None) -> dict[str, Any]:
        """Params of one can-method step (:func:`_flow_point_step`) — a flow point or the MMQ: n
        deliveries of ``can``'s nominal volume at the flow ``window`` (fractions of Qmax: ``min_frac``,
        ``max_frac``, ``target_frac``), the can's constants and β_B, the conditions, the run's U95."""
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
                "fuel_c": [cond["fuel_min_c"], cond["fuel_max_c"]],
                "max_dt_c": cond["max_dispenser_can_dt_c"],
                "deadline": [d["delivery_deadline_factor"], d["delivery_deadline_margin_s"]],
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
                        params=self._delivery_params("MMQ", label, d["flow"], can, beta_b, self.mmq_u95_pct)),
            MeasureStep("mmq_repeatability", f"重复性 {label}", "mmq",
                        [Measurement("重复性", "%", high=float(mq["repeatability_pct"]), rounding_interval=str(d["rounding"]),
                                     clause=d["clause"])],
                        _repeatability_step, title_en="Repeatability at the minimum measured quantity",
                        params={"points": ["mmq"], "limit": float(mq["repeatability_pct"]), "d_n": dict(rep["d_n"]),
                                "rounding": str(d["rounding"])}),
        ]

    # -- resources (always torn down) -----------------------------------------------------------
    def resources(self) -> dict[str, Resource]:
        """``delivery``: a delivery authorised on the dispenser (interface path), always stopped."""
        return {"delivery": (_authorize, _stop_delivery)}

    # The record (RegulationProcedure): items in the edition's order; environment as entered;
    # flags — doubtful conditions of the flow points (temperature difference, flow outside the
    # point's window), then the display/pulser disagreements; dispensers sign nothing.


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


# -- step bodies ------------------------------------------------------------------------------------
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


async def _deliver(ctx: StepContext, step: MeasureStep, key: str, run_label: str) -> StoredReading:
    """One delivery over the interface: pulser before, authorise the preset, follow the status to
    the end (with a deadline from the flow), then the transaction (V_J, amount, price), the pulser
    and the totalizer; the authorisation is released. Returns V_J with the rest as extras."""
    p = step.params
    disp = ctx.device("dispenser")
    nozzle, preset, flow = int(p["nozzle"]), float(p["preset_l"]), float(p["flow_target"])
    p0 = await ctx.io(disp.read_pulser(), IO_DEADLINE_S, disp.name, "读取脉冲计数 (pulser)")
    ctx.state["authorize"] = (nozzle, preset, flow)
    await ctx.ensure("delivery")
    factor, margin = p["deadline"]
    deadline = preset / max(flow, 1e-3) * 60.0 * float(factor) + float(margin)
    loop_t0 = _now()
    while True:
        await ctx.health()
        st = await ctx.io(disp.status(), IO_DEADLINE_S, disp.name, "读取加油机状态 (status)")
        if st.done:
            break
        if _now() - loop_t0 > deadline:
            raise DeviceTimeout(disp.name, f"{run_label}: {deadline:.0f} s 内加油未结束 (delivery not finished "
                                           f"within {deadline:.0f} s — nozzle, valve, preset?)")
        ctx.progress(min(st.volume_l / preset, 0.99), f"{run_label}: {st.volume_l:.2f}/{preset:g} L "
                                                     f"{st.flow_l_min:.1f} L/min")
        await ctx.sleep(float(p["poll_s"]))
    tx = await ctx.io(disp.read_last_transaction(), IO_DEADLINE_S, disp.name, "读取加油记录 (transaction)")
    p1 = await ctx.io(disp.read_pulser(), IO_DEADLINE_S, disp.name, "读取脉冲计数 (pulser)")
    tot = await ctx.io(disp.read_totalizer(nozzle), IO_DEADLINE_S, disp.name, "读取累计数 (totalizer)")
    await ctx.release("delivery")
    return StoredReading(ctx.step_key, key, "dispenser_volume", tx.volume_l, "L", disp.name,
                         {"amount_yuan": tx.amount_yuan, "price_yuan_per_l": tx.price_yuan_per_l,
                          "flow_l_min": round(tx.flow_l_min, 2), "duration_s": tx.duration_s,
                          "transaction": tx.number, "pulser_l": (p1.pulses - p0.pulses) / p1.pulses_per_l,
                          "totalizer_l": tot.volume_l})


def _now() -> float:
    return time.monotonic()


async def _flow_point_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """示值误差 at one flow point (JJG 443-2006 §7.6, §7.7): n deliveries into the standard metal
    can; per run E = (V_J − V_Bt)/V_Bt; the point's error is their mean, rounded and judged. The
    MMQ item runs the same step with its own can, volume, flow window and MPE (all in the params)."""
    p = step.params
    m = step.measurements[0]
    runs = int(p["runs"])
    can = p["can"]
    fuel_lo, fuel_hi = p["fuel_c"]
    flow_lo, flow_hi = p["flow_window"]
    rows: list[dict[str, Any]] = []
    for k in range(1, runs + 1):
        tag = f"r{k}"
        run_label = f"{p['label']} 第{k}次"
        row: dict[str, Any] = {"run": k}
        if p["input"] == "interface":
            async def take(tag: str = tag, run_label: str = run_label) -> StoredReading:
                return await _deliver(ctx, step, f"{tag}:v_j", run_label)

            r = await ctx.reading_once(f"{tag}:v_j", take)
            row.update(v_j=r.value, amount=r.extra["amount_yuan"], price=r.extra["price_yuan_per_l"],
                       flow=r.extra["flow_l_min"], pulser_l=r.extra["pulser_l"])
        else:
            how = f"以约 {p['flow_target']:g} L/min 加油 {p['preset_l']:g} L 至标准金属量器后读取"
            v = await ctx.ask_entry(f"{tag}:v_j", f"加油机显示体积 V_J ({run_label}; {how})", "L", *p["volume_range"])
            a = await ctx.ask_entry(f"{tag}:amount", f"加油机显示金额 ({run_label})", "yuan", 0.0, 100000.0)
            f = await ctx.ask_entry(f"{tag}:flow", f"加油流量 ({run_label})", "L/min", 0.0, float(p["flow_entry_max"]))
            row.update(v_j=v.value, amount=a.value, price=None, flow=f.value, pulser_l=None)
        h = await ctx.ask_entry(f"{tag}:h_mm", f"标准金属量器颈部读数 h ({run_label})", "mm", *can["scale_mm"])
        tj = await ctx.ask_entry(f"{tag}:t_j", f"油枪出口油温 t_J ({run_label})", "degC", fuel_lo, fuel_hi)
        tb = await ctx.ask_entry(f"{tag}:t_b", f"量器内油温 t_B ({run_label})", "degC", fuel_lo, fuel_hi)
        row.update(h_mm=h.value, t_j=tj.value, t_b=tb.value)
        rows.append(row)
        ctx.progress(k / runs, f"{run_label}: V_J = {row['v_j']:.2f} L, h = {h.value:g} mm")

    v_j = [r["v_j"] for r in rows]
    v_b = can_volume_from_neck(can["nominal_l"], [r["h_mm"] for r in rows], can["h0_mm"], can["d_l_per_mm"])
    v_bt = can_volume_at_fuel_temperature(v_b, p["beta_y"], p["beta_b"], [r["t_j"] for r in rows],
                                          [r["t_b"] for r in rows])
    errors = [float(e) for e in relative_error(v_j, v_bt)]  # type: ignore[union-attr]
    flows = [float(r["flow"]) for r in rows]
    mean_flow = sum(flows) / len(flows)
    flags: list[str] = []
    for r in rows:
        dt = abs(r["t_j"] - r["t_b"])
        if dt > float(p["max_dt_c"]):
            flags.append(f"{p['label']} 第{r['run']}次: 油枪与量器油温差 {dt:.1f} °C > {p['max_dt_c']:g} °C，"
                         f"条件不符，应重新测量 (fuel temperature difference beyond the limit)")
        if not flow_lo <= r["flow"] <= flow_hi:
            flags.append(f"{p['label']} 第{r['run']}次: 流量 {r['flow']:.1f} L/min 不在 {flow_lo:g}~{flow_hi:g} L/min "
                         f"内 (flow outside the point's window)")
    assert m.mpe is not None and m.rounding_interval is not None
    label = f"{p['label']} {mean_flow:.1f} L/min"
    result = judge(m.name, label, "%", errors, m.mpe, m.rounding_interval, p.get("u95"))
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,), data={
        "point": p["point"], "label": p["label"], "errors_pct": errors, "v_j_l": v_j,
        "v_b_l": [float(x) for x in v_b], "v_bt_l": [float(x) for x in v_bt],  # type: ignore[union-attr]
        "h_mm": [r["h_mm"] for r in rows], "t_j_c": [r["t_j"] for r in rows], "t_b_c": [r["t_b"] for r in rows],
        "flow_l_min": flows, "amount_yuan": [r["amount"] for r in rows], "price_yuan_per_l": [r["price"] for r in rows],
        "pulser_l": [r["pulser_l"] for r in rows], "flags": flags})


def _point_outcomes(ctx: StepContext, keys: Sequence[str]) -> list[StepOutcome]:
    missing = [k for k in keys if k not in ctx.outcomes]
    if missing:
        raise LookupError(f"flow points not measured: {missing}")
    return [ctx.outcomes[k] for k in keys]


async def _summary_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """The dispenser's error is its largest point error (JJG 443-2006 §7.7): the rounded point
    error of largest magnitude, judged again against ±MPE."""
    m = step.measurements[0]
    assert m.mpe is not None
    points = [(o.data["point"], o.results[0]) for o in _point_outcomes(ctx, step.params["points"])]
    label, largest = max(points, key=lambda pr: abs(Decimal(pr[1].rounded)))
    decision = decide(largest.rounded, m.mpe, step.params.get("u95"))
    result = MeasurementResult(name="加油机示值误差", label=f"最大点误差 (largest: {label})", unit="%",
                               values=tuple(r.mean for _, r in points), mean=largest.mean, rounded=largest.rounded,
                               mpe=m.mpe, verdict=decision.verdict, uncertainty=step.params.get("u95"))
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,), data={"largest_point": label})


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


async def _display_check_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """Function check (interface path): on every delivery the volume the display showed must agree
    with the pulser's count within the tolerance; a stuck or miscounting display fails 外观及功能检查."""
    tol = float(step.params["tolerance_l"])
    diffs: list[float] = []
    flags: list[str] = []
    for o in _point_outcomes(ctx, step.params["points"]):
        for k, (shown, counted) in enumerate(zip(o.data["v_j_l"], o.data["pulser_l"], strict=True), start=1):
            if counted is None:
                continue
            diff = float(shown) - float(counted)
            diffs.append(diff)
            if abs(diff) > tol:
                flags.append(f"{o.data['label']} 第{k}次: 显示 {shown:.2f} L 与脉冲计量 {counted:.2f} L 不符 "
                             f"(display disagrees with the pulser — stuck display?)")
    if not diffs:
        return StepOutcome(verdict=Verdict.NOT_APPLICABLE)
    largest = max(diffs, key=abs)
    verdict = Verdict.FAIL if flags else Verdict.PASS
    result = MeasurementResult(name="显示与脉冲一致性", label=f"{len(diffs)} 次加油 (deliveries)", unit="L",
                               values=tuple(diffs), mean=largest, rounded=f"{largest:+.2f}", mpe=tol, verdict=verdict)
    ctx.record(step.item, result)
    return StepOutcome(verdict=verdict, results=(result,), data={"flags": flags}, note="；".join(flags))


async def _payment_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """付费金额误差 on every delivery: |amount − V_J × unit price| ≤ the minimum payment step
    (:func:`billing_check`). With an interface the price is the one of each transaction; without,
    the operator enters the unit price shown on the dispenser once."""
    p = step.params
    outcomes = _point_outcomes(ctx, p["points"])
    manual_price: float | None = None
    if p["input"] != "interface":
        lo, hi = p["price_range"]
        manual_price = (await ctx.ask_entry("unit_price", "加油机单价 (unit price, 元/L)", "yuan / L", lo, hi)).value
    checks = []
    notes: list[str] = []
    for o in outcomes:
        for k, (v_j, amount, price) in enumerate(zip(o.data["v_j_l"], o.data["amount_yuan"], o.data["price_yuan_per_l"],
                                                     strict=True), start=1):
            unit_price = manual_price if manual_price is not None else price
            bill = billing_check(unit_price, v_j, amount, p["step"], rounding=p["rounding"])
            checks.append(bill)
            if not bill.passed:
                sign = "+" if bill.difference_yuan > 0 else ""
                notes.append(f"{o.data['label']} 第{k}次: {v_j:.2f} L × {unit_price:g} 元/L = {bill.expected_yuan} 元, "
                             f"显示 {bill.amount_yuan} 元 ({sign}{bill.difference_yuan} 元)")
    largest = max(checks, key=lambda c: abs(c.difference_yuan))
    prices = sorted({float(c.unit_price_yuan_per_kwh) for c in checks})
    verdict = Verdict.FAIL if any(not c.passed for c in checks) else Verdict.PASS
    result = MeasurementResult(
        name="付费金额误差", label=f"{len(checks)} 次加油 × {'/'.join(f'{x:g}' for x in prices)} 元/L", unit="元",
        values=tuple(float(c.difference_yuan) for c in checks), mean=float(largest.difference_yuan),
        rounded=format_rounded(largest.difference_yuan, p["step"]), mpe=float(largest.limit_yuan), verdict=verdict)
    ctx.record(step.item, result)
    return StepOutcome(verdict=verdict, results=(result,),
                       data={"expected_yuan": [float(c.expected_yuan) for c in checks]}, note="；".join(notes))

