"""What AC charging posts (JJG 1148) and DC off-board chargers (JJG 1149) have in common: the same
items, measured the same way, from a data table per regulation; only the session differs (an OCPP
transaction for an AC post, a GB/T 27930 charging session with the workstation as BMS for a DC
charger), so each regulation module is a thin subclass naming its table and its session resources.

Items (each regulation's data table holds every number with its clause):

- 外观及功能检查: operator checklist, plus the charger answering on its link(s).
- 工作误差: pulse method, ``γ = (m0 − m)/m`` with ``m0 = C0·N/C_L`` at each load point, repeated;
  the mean is rounded to one tenth of the class and judged against ±class % (JJF 1094 decision).
- 时钟时刻误差: the charger's clock against the workstation's time standard.
- 2018 editions only: 示值误差 (display register vs standard energy, read with the load off) and
  付费金额误差 (displayed amount vs unit price × displayed energy, within the minimum payment step).
- Reading reconciliation (not a legal item): over one charging session the charger's energy from
  its pulse output, its OCPP register, its CAN CSD (0.1 kWh) and the display the operator reads are
  each compared with the standard; a disagreement beyond the source's resolution plus the MPE is
  flagged on the record and in the output.

Roles: ``energy_standard``, ``pulse_counter``, ``load`` always; ``charger`` (ChargerLink, OCPP) for
AC and, when present, for DC; ``bms`` (BmsLink) for DC.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from drivers.errors import DeviceTimeout
from procedures.engine import ChecklistStep, Measurement, MeasureStep, Step, StepOutcome
from procedures.engine.context import StepContext, StoredReading
from procedures.metrology import format_rounded, pulse_comparison_error, relative_error
from procedures.records import ItemResult, MeasurementResult, Verdict
from procedures.regulations.base import (
    RegulationProcedure,
    Resource,
    RunParams,
    environment_steps,
    standard_u95,
    technical_params,
)
from procedures.regulations.billing import billing_check
from procedures.regulations.common import judge

GATE_POLL_S = 0.05


@dataclass(frozen=True)
class PostSpec:
    """What the procedure needs to know about the charger (from its nameplate / the ledger):
    class, maximum current, test voltage (AC nominal, or the DC voltage the BMS requests), pulse
    constant C_L and serial number."""

    accuracy_class: str = "2"
    imax_a: float = 32.0
    voltage_v: float = 220.0
    constant_imp_per_kwh: float = 1000.0
    serial: str = ""


@dataclass(frozen=True)
class ChargerParams(RunParams):
    """A run's choices: edition, verification type, the charger, the standard's U95, overrides."""

    post: PostSpec
    edition: str = "2022"
    verification_type: str = "first"
    u95_pct: float | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_instrument(cls, instrument: Any, station: Any, *, edition: str,
                        verification_type: str = "first") -> ChargerParams:
        """Build from the ledger row (class, and its technical parameters ``imax_a``, ``voltage_v``,
        ``constant_imp_per_kwh``) and the station (the energy standard's U95, ``[procedure]``
        overrides). A station without an energy standard leaves U95 unknown (simple JJF 1094 rule)."""
        tech = technical_params(instrument)
        post = PostSpec(accuracy_class=str(instrument.accuracy_class), imax_a=float(tech.get("imax_a", 32.0)),
                        voltage_v=float(tech.get("voltage_v", 220.0)),
                        constant_imp_per_kwh=float(tech.get("constant_imp_per_kwh", 1000.0)), serial=instrument.serial)
        return cls(post=post, edition=edition, verification_type=verification_type,
                   u95_pct=standard_u95(station, "energy_standard", required=False),
                   overrides=station.section("procedure"))

    def context(self) -> dict[str, Any]:
        """What the step context carries besides the devices: the post's pulse constant C_L and its
        ledger serial (for the link check)."""
        return {"dut_constant": self.post.constant_imp_per_kwh, "post_serial": self.post.serial}


class ChargerProcedure(RegulationProcedure):
    """The procedure for one run; subclasses name ``TABLE`` and implement :meth:`resources`."""

    LINKS: tuple[str, ...] = ("charger_online",)  # resources the link check brings up

    def __init__(self, params: ChargerParams) -> None:
        super().__init__(params)
        self.params: ChargerParams = params
        if params.post.accuracy_class not in self.table["items"]["working_error"]["mpe_pct"]:
            raise ValueError(f"accuracy class {params.post.accuracy_class!r} has no MPE in the {self.TABLE} table")
        self.steps: Sequence[Step] = self._build_steps()

    @property
    def dc(self) -> bool:
        """Whether the charger under test delivers DC (the table's ``[regulation] current_kind``)."""
        return self.table["regulation"].get("current_kind", "AC") == "DC"

    # -- steps ----------------------------------------------------------------------------------
    def _build_steps(self) -> list[Step]:
        env = self.table["environment"]
        steps: list[Step] = environment_steps(env["temperature_c"], env["humidity_pct"])
        items = self.edition["items"]
        cls = self.params.post.accuracy_class
        if "appearance" in items:
            d = self.item_def("appearance")
            steps.append(ChecklistStep("appearance", d["name"], "appearance", d["points"], title_en=d["name_en"]))
            steps.append(MeasureStep("link", "通信连接", "appearance", [], _link_step, title_en="Link check",
                                     params={"links": list(self.LINKS)}))
        if "working_error" in items:
            d = self.item_def("working_error")
            for i, lp in enumerate(d["load_points"]):
                current = self._current(lp)
                m = Measurement("工作误差", "%", mpe=d["mpe_pct"][cls], rounding_interval=d["rounding"][cls],
                                clause=d["clause"])
                steps.append(MeasureStep(
                    f"working_error_{i + 1}", f"工作误差 {lp['label']}", "working_error", [m], _working_error_step,
                    title_en=f"Operating error at {lp['label']}",
                    params={"label": lp["label"], "current_a": current, "pf": lp["pf"],
                            "condition": (f"{self.params.post.voltage_v:g} V" if self.dc else f"cosφ={lp['pf']:g}"),
                            "repetitions": d["repetitions"], "pulses": d["pulses_per_gate"],
                            "settle_s": d["settle_s"], "u95": self.params.u95_pct,
                            "dut_constant": self.params.post.constant_imp_per_kwh}))
        if "indication_error" in items:
            d = self.item_def("indication_error")
            steps.append(MeasureStep(
                "indication_error", d["name"], "indication_error",
                [Measurement("示值误差", "%", mpe=d["mpe_pct"][cls], rounding_interval=d["rounding"][cls],
                             clause=d["clause"])],
                _indication_error_step, title_en=d["name_en"],
                params={"energy_kwh": d["energy_kwh"], "current_a": self._current(d["load"]),
                        "pf": d["load"]["pf"], "u95": self.params.u95_pct, "still_s": d["still_s"]}))
        if "payment_error" in items:
            d = self.item_def("payment_error")
            steps.append(MeasureStep("payment_error", d["name"], "payment_error",
                                     [Measurement("付费金额误差", "元", mpe=d["min_payment_step_yuan"])],
                                     _payment_error_step, title_en=d["name_en"],
                                     params={"step": d["min_payment_step_yuan"]}))
        rec = self.table.get("reconciliation", {})
        if rec.get("enabled", False):
            d = self.item_def("working_error")
            steps.append(MeasureStep(
                "reconciliation", rec["name"], "reconciliation", [], _reconcile_step, title_en=rec["name_en"],
                params={"energy_kwh": rec["energy_kwh"], "current_a": self._current(rec["load"]),
                        "pf": rec["load"]["pf"], "still_s": rec["still_s"], "resolution_kwh": rec["resolution_kwh"],
                        "mpe_pct": d["mpe_pct"][cls], "sources": rec["sources"],
                        "dut_constant": self.params.post.constant_imp_per_kwh}))
        if "clock" in items:
            d = self.item_def("clock")
            limit = d["limit_s"][self.params.verification_type]
            steps.append(MeasureStep("clock", d["name"], "clock",
                                     [Measurement("时钟时刻误差", "s", mpe=limit, rounding_interval=d["rounding"],
                                                  clause=d["clause"])],
                                     _clock_step, title_en=d["name_en"],
                                     params={"limit_s": limit, "rounding": d["rounding"]}))
        return steps

    def _current(self, lp: dict[str, Any]) -> float:
        d = self.item_def("working_error")
        imax = self.params.post.imax_a
        if lp["of"] == "imax":
            return round(imax * lp["factor"], 3)
        if lp["of"] == "imin":
            return round(max(imax * d["imin_fraction_of_imax"], d["imin_floor_a"]) * lp["factor"], 3)
        raise ValueError(f"load point 'of' must be imax or imin, got {lp['of']!r}")

    # -- resources (always torn down) -----------------------------------------------------------
    def resources(self) -> dict[str, Resource]:
        """Named session resources (set-up, teardown): ``charging`` at least, and ``load``."""
        raise NotImplementedError

    # -- the record (environment as entered and the flags of the reconciliation — a charger's
    # energy off from the standard by more than resolution + MPE — as RegulationProcedure) -------
    def items(self, outcomes: Mapping[str, StepOutcome], position: int | None = None) -> tuple[ItemResult, ...]:
        """The regulation's items, in its order, with clause and verdict; then the reading
        reconciliation when it ran (informational, n/a)."""
        out = list(super().items(outcomes, position))
        rec = outcomes.get("reconciliation")
        if rec is not None:
            d = self.table["reconciliation"]
            # Informational: never changes the conclusion; disagreements become flags.
            out.append(ItemResult(key="reconciliation", name=d["name"], name_en=d["name_en"], clause="",
                                  verdict=Verdict.NOT_APPLICABLE, results=rec.results, note=rec.note))
        return tuple(out)

    def signed_meter_values(self, outcomes: Mapping[str, StepOutcome]) -> dict[str, Any] | None:
        """The OCMF verdict and signed start/stop readings of the reconciliation session."""
        rec = outcomes.get("reconciliation")
        return rec.data.get("signed") if rec else None


# -- step bodies ----------------------------------------------------------------------------------
async def noop(ctx: StepContext) -> None:
    """A resource step with nothing to do."""
    return None


async def charger_online(ctx: StepContext) -> None:
    """The charger has connected over OCPP and identified itself."""
    charger = ctx.device("charger")
    info = await ctx.io(charger.wait_connected(60.0), 65.0, charger.name, "等待充电桩连接 (waiting for the post)")
    ctx.state["charger_info"] = info


async def ocpp_start(ctx: StepContext) -> None:
    """AC: a transaction started over OCPP (the post closes its contactor)."""
    await ctx.ensure("charger_online")
    charger = ctx.device("charger")
    tx = await ctx.io(charger.start_charging(), 30.0, charger.name, "启动充电 (start transaction)")
    ctx.state["transaction_id"] = tx


async def ocpp_stop(ctx: StepContext) -> None:
    """AC: the transaction stopped (idempotent)."""
    charger = ctx.device("charger")
    await charger.stop_charging()


async def bms_start(ctx: StepContext) -> None:
    """DC: the workstation as BMS runs handshake, recognition and parameter configuration until the
    charger delivers (GB/T 27930-2015); requests start at 0 A until a load point sets them."""
    bms = ctx.device("bms")
    info = await ctx.io(bms.start_session(30.0), 35.0, bms.name, "GB/T 27930 充电握手 (charging handshake)")
    ctx.state["bms_info"] = info
    ctx.state.pop("session_summary", None)
    # While charging, the charger's CCS must keep arriving (1 s, GB/T 27930-2015): checked in every wait.
    ctx.watch("ccs", lambda: ctx.io(bms.charger_status(), 2.0, bms.name, "读取充电机输出 (CCS)"))


async def bms_stop(ctx: StepContext) -> None:
    """DC: end of charging (BST → CST → BSD/CSD); the CSD summary is kept for reconciliation."""
    bms = ctx.device("bms")
    ctx.watch("ccs", None)
    ctx.state["session_summary"] = await bms.stop_session(10.0)


async def load_off(ctx: StepContext) -> None:
    """The load drawn off and any running gate stopped."""
    load = ctx.device("load")
    await load.load_off()
    counter = ctx.device("pulse_counter")
    await counter.stop_gate()


async def _link_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """The charger answers on each of its links (OCPP, CAN) and identifies itself; a serial that
    differs from the ledger is noted (the technician checks the nameplate) but is not a
    metrological failure."""
    data: dict[str, Any] = {}
    notes: list[str] = []
    for link in step.params.get("links", ["charger_online"]):
        await ctx.ensure(link)
    info = ctx.state.get("charger_info")
    if info is not None:
        data.update({"vendor": info.vendor, "model": info.model, "serial": info.serial,
                     "firmware": info.firmware, "meter_serial": info.meter_serial, "protocol": info.protocol})
        expected = str(ctx.params.get("post_serial", "") or "")
        if expected and info.serial and info.serial != expected:
            notes.append(f"充电桩上报出厂编号 {info.serial} 与台账 {expected} 不符 (reported serial differs from ledger)")
    bms_info = ctx.state.get("bms_info")
    if bms_info is not None:
        data["can"] = {"charger_number": bms_info.serial, "vendor": bms_info.vendor, "model": bms_info.model,
                       "protocol": bms_info.protocol}
    return StepOutcome(verdict=Verdict.PASS, data=data, note="；".join(notes))


async def _set_load(ctx: StepContext, current_a: float, pf: float) -> None:
    await ctx.ensure("charging")
    await ctx.ensure("load")
    load = ctx.device("load")
    await ctx.io(load.set_load(current_a, pf), 5.0, load.name, f"设置负载 {current_a:g} A")


async def _gate(ctx: StepContext, key: str, pulses: int, label: str, done: float = 0.0,
                share: float = 1.0) -> StoredReading:
    """One pulse-comparison gate: arm for N DUT pulses, wait (with a deadline from the measured
    power), read N and m."""
    std = ctx.device("energy_standard")
    counter = ctx.device("pulse_counter")
    inst = await ctx.io(std.read_instantaneous(), 5.0, std.name, "读取功率 (read power)")
    dut_constant = float(ctx.params.get("dut_constant", 1000.0))
    power_kw = max(inst.active_power_w / 1000.0, 1e-3)
    expected_s = pulses / dut_constant / power_kw * 3600.0
    deadline = expected_s * 3.0 + 10.0
    await ctx.io(counter.start_gate(pulses), 5.0, counter.name, "启动脉冲门 (start gate)")
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    while True:
        await ctx.health()
        status = await ctx.io(counter.gate_status(), 5.0, counter.name, "读取脉冲门状态 (gate status)")
        if status.done:
            break
        elapsed = loop.time() - t0
        if elapsed > deadline:
            raise DeviceTimeout(counter.name, f"{label}: {deadline:.0f} s 内未收到 {pulses} 个被检脉冲 "
                                              f"(no DUT pulses within {deadline:.0f} s — check the PF cable)")
        ctx.progress(done + share * min(status.dut_pulses / max(pulses, 1), 0.99),
                     f"{label}: {status.dut_pulses}/{pulses} 脉冲")
        await ctx.sleep(GATE_POLL_S)
    g = await ctx.io(counter.read_gate(), 5.0, counter.name, "读取脉冲门结果 (read gate)")
    return StoredReading(ctx.step_key, key, "std_pulses", float(g.std_pulses), "imp", counter.name,
                         {"dut_pulses": g.dut_pulses, "std_constant": g.std_constant,
                          "ref_energy_wh": g.ref_energy_wh, "duration_s": g.duration_s,
                          "power_w": inst.active_power_w, "current_a": inst.current_a,
                          "voltage_v": inst.voltage_v})


async def _working_error_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """工作误差 at one load point (JJG 1148-2022 §5.1), pulse method."""
    p = step.params
    m = step.measurements[0]
    label = f"{p['label']} ({p['current_a']:g} A, {p['condition']})"
    reps = int(p["repetitions"])
    if not all(ctx.prior(f"gate_{k + 1}") for k in range(reps)):
        await _set_load(ctx, p["current_a"], p["pf"])
        await ctx.sleep(float(p["settle_s"]))
    errors: list[float] = []
    for k in range(reps):
        async def take(k: int = k) -> StoredReading:
            return await _gate(ctx, f"gate_{k + 1}", int(p["pulses"]), f"{label} 第{k + 1}次", k / reps, 1 / reps)

        r = await ctx.reading_once(f"gate_{k + 1}", take)
        errors.append(float(pulse_comparison_error(r.value, r.extra["dut_pulses"], r.extra["std_constant"],
                                                   p["dut_constant"])))
        ctx.progress((k + 1) / reps, f"{label}: γ{k + 1} = {errors[-1]:+.4f} %")
    assert m.mpe is not None and m.rounding_interval is not None
    result = judge(m.name, label, "%", errors, m.mpe, m.rounding_interval, p.get("u95"))
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,), data={"errors_pct": errors})


async def _indication_error_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """示值误差 (JJG 1148-2018): the post's register increase against the standard's energy over a
    delivered energy of ``energy_kwh``. Both are read with the load off, so that the register
    (read over OCPP) and the standard (over Modbus) see the same, static energy."""
    p = step.params
    m = step.measurements[0]
    charger = ctx.device("charger")
    std = ctx.device("energy_standard")
    load = ctx.device("load")
    await ctx.ensure("charging")
    await ctx.ensure("load")

    async def static_pair(tag: str) -> tuple[float, float]:
        if ctx.prior(f"register_{tag}") is None or ctx.prior(f"standard_{tag}") is None:
            await ctx.io(load.load_off(), 5.0, load.name, "断开负载 (load off)")
            await ctx.sleep(float(p["still_s"]))

        async def take_reg() -> StoredReading:
            v = await ctx.io(charger.read_energy_register_wh(), 20.0, charger.name, "读取充电桩电能示值")
            return StoredReading(ctx.step_key, f"register_{tag}", "energy_register", v, "Wh", charger.name)

        async def take_std() -> StoredReading:
            v = await ctx.io(std.read_energy_wh(), 5.0, std.name, "读取标准电能")
            return StoredReading(ctx.step_key, f"standard_{tag}", "energy_standard", v, "Wh", std.name)

        reg = await ctx.reading_once(f"register_{tag}", take_reg)
        ref = await ctx.reading_once(f"standard_{tag}", take_std)
        return reg.value, ref.value

    reg0, ref0 = await static_pair("start")
    target_wh = float(p["energy_kwh"]) * 1000.0
    if ctx.prior("register_end") is None:
        await _set_load(ctx, p["current_a"], p["pf"])
        while True:
            await ctx.health()
            now = await ctx.io(std.read_energy_wh(), 5.0, std.name, "读取标准电能")
            done = now - ref0
            ctx.progress(min(done / target_wh, 0.99), f"示值误差: {done / 1000:.3f}/{target_wh / 1000:.3f} kWh")
            if done >= target_wh:
                break
            await ctx.sleep(0.05)
    reg1, ref1 = await static_pair("end")
    error = float(relative_error(reg1 - reg0, ref1 - ref0))
    assert m.mpe is not None and m.rounding_interval is not None
    label = f"ΔE = {(ref1 - ref0) / 1000:.3f} kWh"
    result = judge(m.name, label, "%", [error], m.mpe, m.rounding_interval, p.get("u95"))
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,),
                       data={"display_delta_kwh": (reg1 - reg0) / 1000.0, "standard_delta_kwh": (ref1 - ref0) / 1000.0})


async def _payment_error_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """付费金额误差 (JJG 1148-2018): the amount the post displays for the session against its
    displayed energy × unit price; |M − E·P| must not exceed the minimum payment step. The three
    values are read off the post's display by the operator (vendor practice, regulations.md §2)."""
    p = step.params
    price = await ctx.ask_entry("unit_price", "电价 (unit price, 元/kWh)", "yuan / kWh", 0.0, 20.0)
    energy = await ctx.ask_entry("display_energy", "充电桩显示电量 (displayed session energy)", "kWh", 0.0, 1000.0)
    amount = await ctx.ask_entry("display_amount", "充电桩显示金额 (displayed amount, 元)", "yuan", 0.0, 100000.0)
    bill = billing_check(price.text_value, energy.text_value, amount.text_value, p["step"])
    diff = float(bill.difference_yuan)
    expected = float(bill.expected_yuan)
    result = MeasurementResult(
        name="付费金额误差", label=f"{energy.value:.3f} kWh × {price.value:g} 元/kWh", unit="元",
        values=(float(bill.amount_yuan),), mean=diff, rounded=format_rounded(bill.difference_yuan, "0.01"),
        mpe=float(bill.limit_yuan), verdict=bill.verdict)
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,), data={"expected_yuan": expected})


async def _reconcile_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """Over one charging session of ``energy_kwh``, every energy the charger states is compared with
    the standard: its pulse output (N/C_L), its OCPP register, its CSD (DC, 0.1 kWh) and its display
    as the operator reads it. Each is kept as a raw reading; a difference larger than the source's
    resolution plus the class MPE of the standard's energy is flagged, never dropped.

    The charger's signed meter values (OCMF) of that session are checked too: ``valid`` gives the
    signed energy (end − begin) as one more source, ``invalid`` a flag naming why; their notes (a
    page number repeated on begin and end, a key the post sent itself …) stay notes — they go onto
    the record's signed meter values, never among the flags.

    The window is a session of its own (the running one is ended first), so that session totals
    such as CSD and the display cover exactly the compared energy. A resumed attempt starts a new
    window: readings of an interrupted attempt stay on disk under their attempt number.
    """
    p = step.params
    std = ctx.device("energy_standard")
    counter = ctx.device("pulse_counter")
    load = ctx.device("load")
    sources: list[str] = list(p["sources"])
    attempt = 1 + sum(1 for k in ctx.persisted.readings_for(ctx.step_key) if k.startswith("attempt"))
    ctx.reading(f"attempt{attempt}", "attempt", attempt, "", "engine")
    a = f"a{attempt}:"

    await ctx.release("charging")  # close the session of the earlier steps
    await ctx.ensure("charging")
    await ctx.ensure("load")

    async def snapshot(tag: str) -> dict[str, float]:
        await ctx.io(load.load_off(), 5.0, load.name, "断开负载 (load off)")
        await ctx.sleep(float(p["still_s"]))
        vals = {"standard": await ctx.io(std.read_energy_wh(), 5.0, std.name, "读取标准电能")}
        if "pulses" in sources and getattr(counter, "has_pulse_total", False):
            vals["pulses"] = float(await ctx.io(counter.read_dut_pulses(), 5.0, counter.name, "读取被检脉冲总数"))
        if "register" in sources and "charger" in ctx.devices:
            charger = ctx.device("charger")
            await ctx.ensure("charger_online")
            vals["register"] = await ctx.io(charger.read_energy_register_wh(), 20.0, charger.name, "读取电能示值")
        for name, v in vals.items():
            ctx.reading(f"{a}{name}_{tag}", f"energy_{name}", v, "imp" if name == "pulses" else "Wh", name)
        return vals

    start = await snapshot("start")
    target_wh = float(p["energy_kwh"]) * 1000.0
    await ctx.io(load.set_load(p["current_a"], p["pf"]), 5.0, load.name, f"设置负载 {p['current_a']:g} A")
    while True:
        await ctx.health()
        now = await ctx.io(std.read_energy_wh(), 5.0, std.name, "读取标准电能")
        ctx.progress(min((now - start["standard"]) / target_wh, 0.99),
                     f"读数核对: {(now - start['standard']) / 1000:.3f}/{target_wh / 1000:.3f} kWh")
        if now - start["standard"] >= target_wh:
            break
        await ctx.sleep(0.05)
    end = await snapshot("end")
    await ctx.release("charging")  # ends the session: CSD arrives (DC), the display shows the total
    e_std_kwh = (end["standard"] - start["standard"]) / 1000.0
    stated: dict[str, float] = {}
    if "pulses" in start:
        stated["pulses"] = (end["pulses"] - start["pulses"]) / float(p["dut_constant"])
    if "register" in start:
        stated["register"] = (end["register"] - start["register"]) / 1000.0
    flags: list[str] = []
    signed: dict[str, Any] | None = None
    if "charger" in ctx.devices and hasattr(ctx.device("charger"), "signed_meter_values"):
        charger = ctx.device("charger")
        sv = await ctx.io(charger.signed_meter_values(), 10.0, charger.name, "校验签名电能数据 (check OCMF)")
        signed = {"status": sv.status, "reason": sv.reason, "start_wh": sv.start_wh, "stop_wh": sv.stop_wh,
                  "meter_serial": sv.meter_serial, "records": sv.records, "notes": list(sv.notes)}
        ctx.reading(f"{a}ocmf", "ocmf_status", {"valid": 1, "invalid": 0}.get(sv.status, -1), "", charger.name,
                    **signed)
        if sv.status == "valid" and sv.start_wh is not None and sv.stop_wh is not None:
            stated["signed"] = (sv.stop_wh - sv.start_wh) / 1000.0
        elif sv.status == "invalid":
            flags.append(f"签名电能数据无效 (signed meter values invalid): {sv.reason}")
    summary = ctx.state.get("session_summary")
    if "csd" in sources and summary is not None:
        stated["csd"] = ctx.reading(f"{a}csd", "energy_csd", summary.energy_kwh, "kWh", "bms")
    if "display" in sources:
        e = await ctx.ask_entry(f"{a}display", "充电桩显示本次充电电量 (displayed session energy)", "kWh", 0.0, 10000.0)
        stated["display"] = e.value
    names = {"pulses": "电能脉冲 (pulse output)", "register": "OCPP 电能示值 (register)",
             "csd": "CAN 统计 CSD (0.1 kWh)", "display": "显示电量 (display)", "signed": "签名电能 (OCMF)"}
    results: list[MeasurementResult] = []
    for src, kwh in stated.items():
        # resolution of the source: one pulse (1/C_L) for the pulse output, else the table's value
        res = 1.0 / float(p["dut_constant"]) if src == "pulses" else float(p["resolution_kwh"][src])
        tol = res + float(p["mpe_pct"]) / 100.0 * e_std_kwh
        diff = kwh - e_std_kwh
        ok = abs(diff) <= tol
        results.append(MeasurementResult(
            name="读数核对", label=names[src], unit="kWh", values=(kwh, e_std_kwh),
            mean=diff, rounded=f"{diff:+.4f}", mpe=round(tol, 4), verdict=Verdict.PASS if ok else Verdict.FAIL))
        if not ok:
            flags.append(f"{names[src]} {kwh:.4f} kWh 与标准 {e_std_kwh:.4f} kWh 相差 {diff:+.4f} kWh，超出分辨力+MPE "
                         f"{tol:.4f} kWh (disagrees with the standard beyond resolution + MPE)")
    return StepOutcome(verdict=Verdict.NOT_APPLICABLE, results=tuple(results),
                       data={"standard_kwh": e_std_kwh, "stated_kwh": stated, "flags": flags, "signed": signed},
                       note="；".join(flags))


async def _clock_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """时钟时刻误差 (JJG 1148-2022 §5.2): charger time minus standard time."""
    p = step.params
    await ctx.ensure("charger_online")
    charger = ctx.device("charger")

    async def take() -> StoredReading:
        c = await ctx.io(charger.read_clock(), 20.0, charger.name, "读取充电桩时钟 (read clock)")
        return StoredReading(ctx.step_key, "clock_offset", "clock_offset", c.offset_s, "s", charger.name,
                             {"charger_time": c.charger_time.isoformat(), "reference_time": c.reference_time.isoformat()})

    r = await ctx.reading_once("clock_offset", take)
    result = judge("时钟时刻误差", "充电桩时钟 − 标准时间", "s", [round(r.value, 3)], float(p["limit_s"]), p["rounding"])
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,), data={"offset_s": r.value})
