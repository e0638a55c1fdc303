"""Steps of a charger verification that drive its output (JJG 1148 AC posts, JJG 1149 DC chargers):
the session resources (the charger online, a transaction or GB/T 27930 session, the load), the link
check, the power the standard must see once a load is set, the pulse gate and 工作误差, and the
2018 editions' insulation resistance.

No power, no endless wait: once a load is set the standard must see at least
``min_power_fraction`` of U·I·cosφ within ``no_power_s`` (data ``[session]``), and again while a
gate or the session's energy runs; otherwise :class:`~drivers.errors.NoOutput` names the charger
("the standard sees no power") and the run pauses. A gate's deadline is computed from the power
the standard measured, never from a floor value.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drivers.errors import DeviceTimeout, NoPower
from drivers.roles import Instantaneous
from procedures.engine import MeasureStep, StepOutcome
from procedures.engine.context import StepContext, StoredReading
from procedures.engine.text import Text, pick
from procedures.metrology import pulse_comparison_error
from procedures.records import MeasurementResult, Verdict
from procedures.regulations.common import judge

GATE_POLL_S = 0.05
POWER_CHECK_S = 1.0  # while a gate runs, the standard's power is looked at this often


@dataclass(frozen=True)
class PowerRule:
    """What the standard must see once a load is set (data ``[session]``): ``fraction`` of the
    nominal U·I·cosφ within ``within_s`` seconds."""

    voltage_v: float
    fraction: float = 0.2
    within_s: float = 5.0

    @classmethod
    def from_table(cls, session: Mapping[str, Any], voltage_v: float) -> PowerRule:
        """From the table's ``[session]`` and the charger's test voltage."""
        return cls(voltage_v, float(session.get("min_power_fraction", 0.2)), float(session.get("no_power_s", 5.0)))

    def floor_w(self, current_a: float, pf: float) -> float:
        """The least power (W) that counts as the charger delivering ``current_a`` at ``pf``."""
        return self.fraction * self.voltage_v * current_a * pf

    def as_dict(self) -> dict[str, float]:
        """JSON form for step params."""
        return {"voltage_v": self.voltage_v, "fraction": self.fraction, "within_s": self.within_s}


def charger_name(ctx: StepContext) -> str:
    """The name of the charger under test as the station calls it (its OCPP link, else its CAN link)."""
    for role in ("charger", "bms", "load"):
        if role in ctx.devices:
            return str(ctx.device(role).name)
    return "charger"


def _rule(data: Mapping[str, Any]) -> PowerRule:
    return PowerRule(float(data["voltage_v"]), float(data["fraction"]), float(data["within_s"]))


async def wait_for_power(ctx: StepContext, rule: Mapping[str, Any], current_a: float, pf: float,
                         what: str) -> Instantaneous:
    """The standard's instantaneous values once it sees the charger deliver (≥ the rule's floor);
    :class:`NoOutput` naming the charger when it does not within the rule's seconds."""
    r = _rule(rule)
    std = ctx.device("energy_standard")
    floor = r.floor_w(current_a, pf)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + r.within_s
    while True:
        inst: Instantaneous = await ctx.io(std.read_instantaneous(), 5.0, std.name, "读取功率 (read power)")
        if inst.active_power_w >= floor:
            return inst
        if loop.time() >= deadline:
            raise no_power(ctx, inst, floor, r.within_s, what)
        await ctx.health()
        await ctx.sleep(0.2)


def no_power(ctx: StepContext, inst: Instantaneous, floor_w: float, within_s: float, what: str) -> NoPower:
    """The fault of a charger that delivers no (or too little) power."""
    return NoPower(charger_name(ctx),
                    f"{what}: 标准表 {within_s:g} s 内未测到功率（{inst.active_power_w:.1f} W，{inst.current_a:.2f} A，"
                    f"应不低于 {floor_w:.0f} W）— 充电桩未输出电流 (the standard sees no power: the charger delivers "
                    "no current; check its output, contactor and the load)")


# -- session resources ----------------------------------------------------------------------------
async def noop(ctx: StepContext) -> None:
    """A resource step with nothing to do."""
    return None


async def charger_online(ctx: StepContext) -> None:
    """The charger has connected over OCPP and identified itself (the CSMS answers it from now on:
    its clock has been read as found before, :mod:`charger_clock`)."""
    charger = ctx.device("charger")
    info = await ctx.io(charger.wait_connected(60.0), 65.0, charger.name, "等待充电桩连接 (waiting for the post)")
    ctx.state["charger_info"] = info


async def ocpp_start(ctx: StepContext) -> None:
    """AC: a transaction started over OCPP (the post closes its contactor); its start instant on
    the time standard is kept for the session."""
    await ctx.ensure("charger_online")
    charger = ctx.device("charger")
    tx = await ctx.io(charger.start_charging(), 30.0, charger.name, "启动充电 (start transaction)")
    ctx.state["transaction_id"] = tx
    ctx.state["charging_since"] = ctx.clock()


async def ocpp_stop(ctx: StepContext) -> None:
    """AC: the transaction stopped (idempotent); its end instant kept for the session."""
    charger = ctx.device("charger")
    await charger.stop_charging()
    ctx.state["charging_until"] = ctx.clock()


async def bms_start(ctx: StepContext) -> None:
    """DC: the workstation as BMS runs handshake, recognition and parameter configuration until the
    charger delivers (GB/T 27930-2015); requests start at 0 A until a load point sets them."""
    bms = ctx.device("bms")
    info = await ctx.io(bms.start_session(30.0), 35.0, bms.name, "GB/T 27930 充电握手 (charging handshake)")
    ctx.state["bms_info"] = info
    ctx.state["charging_since"] = ctx.clock()
    ctx.state.pop("session_summary", None)
    # While charging, the charger's CCS must keep arriving (1 s, GB/T 27930-2015): checked in every wait.
    ctx.watch("ccs", lambda: ctx.io(bms.charger_status(), 2.0, bms.name, "读取充电机输出 (CCS)"))


async def bms_stop(ctx: StepContext) -> None:
    """DC: end of charging (BST → CST → BSD/CSD); the CSD summary is kept for reconciliation."""
    bms = ctx.device("bms")
    ctx.watch("ccs", None)
    ctx.state["session_summary"] = await bms.stop_session(10.0)
    ctx.state["charging_until"] = ctx.clock()


async def load_off(ctx: StepContext) -> None:
    """The load drawn off and any running gate stopped."""
    load = ctx.device("load")
    await load.load_off()
    counter = ctx.device("pulse_counter")
    await counter.stop_gate()


async def set_load(ctx: StepContext, current_a: float, pf: float) -> None:
    """Charging running, the load drawing ``current_a`` at ``pf``."""
    await ctx.ensure("charging")
    await ctx.ensure("load")
    load = ctx.device("load")
    await ctx.io(load.set_load(current_a, pf), 5.0, load.name, f"设置负载 {current_a:g} A")


# -- link -----------------------------------------------------------------------------------------
async def link_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
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
            notes.append(f"上报出厂编号 {info.serial} 与台账 {expected} 不符 (reported serial differs from ledger)")
    bms_info = ctx.state.get("bms_info")
    if bms_info is not None:
        data["can"] = {"charger_number": bms_info.serial, "vendor": bms_info.vendor, "model": bms_info.model,
                       "protocol": bms_info.protocol}
    return StepOutcome(verdict=Verdict.PASS, data=data, note="；".join(notes))


# -- 工作误差 ---------------------------------------------------------------------------------------
def _live_power(ctx: StepContext, point: str, inst: Instantaneous, dut_pulses: int | None = None) -> None:
    """The standard's U, I, P (and the DUT pulses counted so far) for the live display."""
    values = {"voltage_v": (inst.voltage_v, "V"), "current_a": (inst.current_a, "A"),
              "power_w": (inst.active_power_w, "W")}
    if dut_pulses is not None:
        values["dut_pulses"] = (float(dut_pulses), "imp")
    ctx.live(point, values)


async def gate(ctx: StepContext, key: str, pulses: int, label: str, rule: Mapping[str, Any], current_a: float,
               pf: float, done: float = 0.0, share: float = 1.0, point: str = "") -> StoredReading:
    """One pulse-comparison gate: the standard must see the charger deliver, then arm for N DUT
    pulses and wait with a deadline from the *measured* power, the power looked at again every
    second (a charger whose output stops mid-gate is named within seconds), and read N and m.
    Each look at the power goes to the live display (``point``: the test point's label)."""
    std = ctx.device("energy_standard")
    counter = ctx.device("pulse_counter")
    inst = await wait_for_power(ctx, rule, current_a, pf, label)
    _live_power(ctx, point or label, inst, 0)
    dut_constant = float(ctx.params.get("dut_constant", 1000.0))
    expected_s = pulses / dut_constant / (inst.active_power_w / 1000.0) * 3600.0
    deadline = expected_s * 3.0 + 10.0
    floor = _rule(rule).floor_w(current_a, pf)
    await ctx.io(counter.start_gate(pulses), 5.0, counter.name, "启动脉冲门 (start gate)")
    loop = asyncio.get_running_loop()
    t0 = last_check = loop.time()
    low_since: float | None = None
    while True:
        await ctx.health()
        status = await ctx.io(counter.gate_status(), 5.0, counter.name, "读取脉冲门状态 (gate status)")
        if status.done:
            break
        now = loop.time()
        if now - t0 > deadline:
            raise DeviceTimeout(counter.name, f"{label}: {deadline:.0f} s 内未收到 {pulses} 个被检脉冲 "
                                              f"(no DUT pulses within {deadline:.0f} s — check the PF cable)")
        if now - last_check >= POWER_CHECK_S:
            last_check = now
            power = await ctx.io(std.read_instantaneous(), 5.0, std.name, "读取功率 (read power)")
            _live_power(ctx, point or label, power, status.dut_pulses)
            if power.active_power_w >= floor:
                low_since = None
            elif low_since is None:
                low_since = now
            elif now - low_since >= _rule(rule).within_s:
                raise no_power(ctx, power, floor, _rule(rule).within_s, label)
        ctx.progress(done + share * min(status.dut_pulses / max(pulses, 1), 0.99),
                     Text(f"{label}: {status.dut_pulses}/{pulses} 脉冲",
                          f"{pick(label, 'en')}: {status.dut_pulses}/{pulses} pulses", console=f"{label}: {status.dut_pulses}/{pulses} 脉冲"))
        await ctx.sleep(GATE_POLL_S)
    g = await ctx.io(counter.read_gate(), 5.0, counter.name, "读取脉冲门结果 (read gate)")
    return StoredReading(ctx.step_key, key, "std_pulses", float(g.std_pulses), "imp", counter.name,
                         {"dut_pulses": g.dut_pulses, "std_constant": g.std_constant,
                          "ref_energy_wh": g.ref_energy_wh, "duration_s": g.duration_s,
                          "power_w": inst.active_power_w, "current_a": inst.current_a,
                          "voltage_v": inst.voltage_v})


async def working_error_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """工作误差 at one load point (JJG 1148-2022 §5.1), pulse method ``γ = (m0 − m)/m``."""
    p = step.params
    m = step.measurements[0]
    label = f"{p['label']} ({p['current_a']:g} A, {p['condition']})"
    reps = int(p["repetitions"])
    if not all(ctx.prior(f"gate_{k + 1}") for k in range(reps)):
        await set_load(ctx, p["current_a"], p["pf"])
        await ctx.sleep(float(p["settle_s"]))
    # the DUT constant C_L is an input of γ: on the record beside the pulses (JJG 1148-2022 §5.1),
    # after the session's start readings (the order the procedure takes them)
    ctx.constant("dut_constant", "dut_constant", float(p["dut_constant"]), "imp/kWh", "instrument")
    errors: list[float] = []
    for k in range(reps):
        async def take(k: int = k) -> StoredReading:
            return await gate(ctx, f"gate_{k + 1}", int(p["pulses"]),
                              Text(f"{label} 第{k + 1}次", f"{label} #{k + 1}", console=f"{label} 第{k + 1}次"), p["power"],
                              p["current_a"], p["pf"], k / reps, 1 / reps, point=label)

        r = await ctx.reading_once(f"gate_{k + 1}", take)
        errors.append(float(pulse_comparison_error(r.value, r.extra["dut_pulses"], r.extra["std_constant"],
                                                   p["dut_constant"])))
        ctx.progress((k + 1) / reps, f"{label}: γ{k + 1} = {errors[-1]:+.4f} %")
        ctx.live(label, {"voltage_v": (r.extra["voltage_v"], "V"), "current_a": (r.extra["current_a"], "A"),
                         "power_w": (r.extra["power_w"], "W"), "ref_energy_wh": (r.extra["ref_energy_wh"], "Wh"),
                         "dut_pulses": (float(r.extra["dut_pulses"]), "imp")}, error=errors[-1], mpe=m.mpe)
    assert m.mpe is not None and m.rounding_interval is not None
    result = judge(m.name, label, "%", errors, m.mpe, m.rounding_interval, p.get("u95"))
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,), data={"errors_pct": errors})


# -- 绝缘电阻 (2018) --------------------------------------------------------------------------------
async def insulation_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """绝缘电阻 (JJG 1148/1149-2018): the verifier's megohmmeter reading and its test voltage. A test
    voltage below the table's is a test condition not met: the measurement is taken again (or the run
    voided); the reading is judged against the table's minimum (≥, MΩ)."""
    p = step.params
    need_v, min_mohm = float(p["test_voltage_v"]), float(p["min_mohm"])
    while True:
        key = ctx.attempt_key("insulation")
        volts = await ctx.ask_entry(f"{key}:voltage", "兆欧表试验电压 (megohmmeter test voltage)", "V", 0.0, 10000.0)
        if volts.value >= need_v:
            break
        await ctx.condition_not_met("insulation", f"试验电压 {volts.value:g} V 低于规定 {need_v:g} V "
                                                  f"(test voltage below the required {need_v:g} V)")
    reading = await ctx.ask_entry(f"{key}:resistance", "绝缘电阻示值 (insulation resistance reading)", "megaohm",
                                  0.0, 1.0e6)
    ok = reading.value >= min_mohm
    # the limit rides in mpe, one-sided (layout at_least): printed "≥ 20 MΩ"
    result = MeasurementResult(name="绝缘电阻", label=f"试验电压 {volts.value:g} V",
                               unit="MΩ", values=(reading.value,), mean=reading.value, rounded=f"{reading.value:g}",
                               mpe=min_mohm, verdict=Verdict.PASS if ok else Verdict.FAIL)
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,),
                       data={"test_voltage_v": volts.value, "resistance_mohm": reading.value})
