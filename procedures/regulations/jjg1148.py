"""JJG 1148 电动汽车交流充电桩 — AC charging posts (2022 trial edition; 2018 items selectable).

Items (data/jjg1148.toml holds every number with its clause):

- 外观及功能检查: operator checklist, plus the charger answering on its link.
- 工作误差 (§5.1): pulse method, ``γ = (m0 − m)/m`` with ``m0 = C0·N/C_L`` at each load point,
  repeated; the mean is rounded to one tenth of the class and judged against ±class %.
- 时钟时刻误差 (§5.2): the post's clock against the workstation's time standard; ≤ 5 s at first
  verification, ≤ 3 min subsequently.
- 2018 edition only: 示值误差 (display register vs standard energy) and 付费金额误差 (displayed
  amount vs unit price × displayed energy, within the minimum payment step).

Roles asked for: ``charger`` (ChargerLink), ``energy_standard`` (EnergyStandard), ``pulse_counter``
(PulseCounter), ``load`` (LoadController).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from drivers.errors import DeviceTimeout
from procedures.engine import ChecklistStep, EntryStep, Measurement, MeasureStep, Step, StepOutcome
from procedures.engine.context import StepContext, StoredReading
from procedures.metrology import pulse_comparison_error, relative_error, round_to_interval
from procedures.records import ItemResult, MeasurementResult, Verdict
from procedures.regulations.common import judge, worst
from procedures.regulations.tables import load_table, merged, table_hash

TABLE = "jjg1148"
GATE_POLL_S = 0.05


@dataclass(frozen=True)
class PostSpec:
    """What the procedure needs to know about the post (from its nameplate / the ledger)."""

    accuracy_class: str = "2"
    imax_a: float = 32.0
    voltage_v: float = 220.0
    constant_imp_per_kwh: float = 1000.0
    serial: str = ""


@dataclass(frozen=True)
class Jjg1148Params:
    """A run's choices: edition, verification type, the post, the standard's U95, overrides."""

    post: PostSpec
    edition: str = "2022"
    verification_type: str = "first"
    u95_pct: float | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form stored with the run (enough to rebuild the procedure on resume)."""
        return {"post": self.post.__dict__, "edition": self.edition, "verification_type": self.verification_type,
                "u95_pct": self.u95_pct, "overrides": self.overrides}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Jjg1148Params:
        """Inverse of :meth:`to_dict`."""
        return cls(post=PostSpec(**d["post"]), edition=d["edition"], verification_type=d["verification_type"],
                   u95_pct=d.get("u95_pct"), overrides=d.get("overrides", {}))


class Jjg1148:
    """The procedure for one run."""

    def __init__(self, params: Jjg1148Params) -> None:
        self.params = params
        self.table = merged(load_table(TABLE), params.overrides)
        if params.edition not in self.table["editions"]:
            raise ValueError(f"JJG 1148 edition {params.edition!r} unknown; choose one of {sorted(self.table['editions'])}")
        if params.verification_type not in self.table["verification_types"]:
            raise ValueError(f"verification type {params.verification_type!r} unknown; "
                             f"choose one of {sorted(self.table['verification_types'])}")
        if params.post.accuracy_class not in self.table["items"]["working_error"]["mpe_pct"]:
            raise ValueError(f"accuracy class {params.post.accuracy_class!r} has no MPE in the JJG 1148 table")
        self.edition = self.table["editions"][params.edition]
        self.code = self.edition["code"]
        self.title = self.table["regulation"]["title"]
        self.steps: Sequence[Step] = self._build_steps()

    # -- identity -------------------------------------------------------------------------------
    @property
    def procedure_hash(self) -> str:
        """Hash of the data table, the effective overrides and this module's source: any change to
        the rules changes the hash printed in the record."""
        h = hashlib.sha256()
        h.update(table_hash(TABLE).encode())
        h.update(json.dumps(self.params.overrides, sort_keys=True).encode())
        h.update(open(__file__, "rb").read())
        return h.hexdigest()[:16]

    def item_def(self, key: str) -> dict[str, Any]:
        """The data-table entry of an item."""
        return self.table["items"][key]

    def verification_type_zh(self) -> str:
        """首次检定 / 后续检定 / 使用中检查."""
        return self.table["verification_types"][self.params.verification_type][0]

    # -- steps ----------------------------------------------------------------------------------
    def _build_steps(self) -> list[Step]:
        env = self.table["environment"]
        steps: list[Step] = [
            EntryStep("env_temperature", "环境温度", "environment", prompt="环境温度 (ambient temperature)",
                      unit="degC", low=env["temperature_c"][0], high=env["temperature_c"][1],
                      data_key="temperature_c", title_en="Ambient temperature"),
            EntryStep("env_humidity", "相对湿度", "environment", prompt="相对湿度 (relative humidity)",
                      unit="percent", low=env["humidity_pct"][0], high=env["humidity_pct"][1],
                      data_key="humidity_pct", title_en="Relative humidity"),
        ]
        items = self.edition["items"]
        cls = self.params.post.accuracy_class
        if "appearance" in items:
            d = self.item_def("appearance")
            steps.append(ChecklistStep("appearance", d["name"], "appearance", d["points"], title_en=d["name_en"]))
            steps.append(MeasureStep("link", "通信连接", "appearance", [], _link_step, title_en="Link check"))
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
    def resources(self) -> dict[str, tuple[Callable[[StepContext], Awaitable[None]],
                                            Callable[[StepContext], Awaitable[None]]]]:
        """charger_online → charging (transaction) → load, each undone at the end of the run."""
        return {
            "charger_online": (_charger_online, _noop),
            "charging": (_start_charging, _stop_charging),
            "load": (_noop, _load_off),
        }

    # -- items for the record -------------------------------------------------------------------
    def items(self, outcomes: dict[str, StepOutcome]) -> tuple[ItemResult, ...]:
        """Group step outcomes into the regulation's items, in its order, with clause and verdict."""
        out: list[ItemResult] = []
        for key in self.edition["items"]:
            d = self.item_def(key)
            parts = [(s, outcomes[s.key]) for s in self.steps if s.item == key and s.key in outcomes]
            results: tuple[MeasurementResult, ...] = tuple(r for _, o in parts for r in o.results)
            notes = [o.note for _, o in parts if o.note]
            verdict = worst(o.verdict for _, o in parts) if parts else Verdict.NOT_APPLICABLE
            out.append(ItemResult(key=key, name=d["name"], name_en=d["name_en"], clause=d["clause"],
                                  verdict=verdict, results=results, note="；".join(notes)))
        return tuple(out)

    def environment(self, outcomes: dict[str, StepOutcome]) -> dict[str, float | None]:
        """Temperature and humidity as entered."""
        t = outcomes.get("env_temperature")
        h = outcomes.get("env_humidity")
        return {"temperature_c": t.data.get("temperature_c") if t else None,
                "humidity_pct": h.data.get("humidity_pct") if h else None}


# -- step bodies ----------------------------------------------------------------------------------
async def _noop(ctx: StepContext) -> None:
    return None


async def _charger_online(ctx: StepContext) -> None:
    charger = ctx.device("charger")
    info = await ctx.io(charger.wait_connected(60.0), 65.0, charger.name, "等待充电桩连接 (waiting for the post)")
    ctx.state["charger_info"] = info


async def _start_charging(ctx: StepContext) -> None:
    await ctx.ensure("charger_online")
    charger = ctx.device("charger")
    tx = await ctx.io(charger.start_charging(), 30.0, charger.name, "启动充电 (start transaction)")
    ctx.state["transaction_id"] = tx


async def _stop_charging(ctx: StepContext) -> None:
    charger = ctx.device("charger")
    await charger.stop_charging()


async def _load_off(ctx: StepContext) -> None:
    load = ctx.device("load")
    await load.load_off()
    counter = ctx.device("pulse_counter")
    await counter.stop_gate()


async def _link_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """The post answers on its link and identifies itself; a serial that differs from the ledger is
    noted (the technician checks the nameplate) but is not a metrological failure."""
    await ctx.ensure("charger_online")
    info = ctx.state["charger_info"]
    expected = str(ctx.params.get("post_serial", "") or "")
    note = ""
    if expected and info.serial and info.serial != expected:
        note = f"充电桩上报出厂编号 {info.serial} 与台账 {expected} 不符 (reported serial differs from ledger)"
    return StepOutcome(verdict=Verdict.PASS, data={"vendor": info.vendor, "model": info.model,
                                                   "serial": info.serial, "firmware": info.firmware,
                                                   "meter_serial": info.meter_serial}, note=note)


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
    label = f"{p['label']} ({p['current_a']:g} A, cosφ={p['pf']:g})"
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
    expected = float(round_to_interval(energy.value * price.value, "0.01"))
    diff = amount.value - expected
    result = judge("付费金额误差", f"{energy.value:.3f} kWh × {price.value:g} 元/kWh", "元", [diff],
                   float(p["step"]), "0.01")
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,), data={"expected_yuan": expected})


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
