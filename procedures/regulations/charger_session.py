"""One charging session carries every charger item that needs delivered energy (data ``[session]``):
instead of each item drawing its own kilowatt-hours, the 工作误差 gates, the 2018 editions'
示值误差, 付费金额误差 and 时钟示值误差, and the reading reconciliation all read the same
transaction.

- It opens when charging starts (the ``charging`` resource: an OCPP transaction, or a GB/T 27930
  session with the workstation as BMS): with the load off, the standard's energy, the pulse
  output's total and the OCPP register are read (``s<n>:…_start``).
- :func:`session_end_step` then lets the load draw until the session holds ``energy_kwh`` by the
  standard (enough that the display's resolution stays ≤ a tenth of the MPE), reads the same with
  the load off (``…_end``), stops the transaction (the post's signed values and, DC, the CSD come
  with it) and asks the verifier for what the display shows: the session's energy — the
  indication, what the customer reads; the OCPP register's difference is offered for confirmation,
  never taken for it — and, in the 2018 editions, the amount, the tariff periods and service fee,
  and the charging duration.
- :func:`indication_error_step`, :func:`payment_error_step` and (in :mod:`charger_clock`)
  ``clock_indication_step`` compute their items from that; the reconciliation compares every energy
  the charger states with the standard and flags a disagreement beyond resolution + MPE.

A session broken by a fault (the run pauses, teardown stops the transaction) is not continued: the
next ``charging`` opens session n+1, which must hold the energy by itself; readings of the broken one
stay on disk under their own prefix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from procedures.engine import MeasureStep, StepOutcome
from procedures.engine.context import StepContext
from procedures.metrology import format_rounded, relative_error
from procedures.records import MeasurementResult, Verdict
from procedures.regulations.billing import tou_billing_check
from procedures.regulations.charger_steps import no_power, set_load, wait_for_power
from procedures.regulations.common import judge

SOURCE_NAMES = {"pulses": "电能脉冲 (pulse output)", "register": "OCPP 电能示值 (register)",
                "csd": "CAN 统计 CSD (0.1 kWh)", "display": "显示电量 (display)", "signed": "签名电能 (OCMF)"}


def session_energy_kwh(mpe_pct: float, resolution_kwh: float, fraction: float, minimum_kwh: float) -> float:
    """The energy a session must hold so that a reading of ``resolution_kwh`` stays within
    ``fraction`` of the MPE: ``resolution / (fraction × MPE)``, at least ``minimum_kwh`` (0.001 kWh
    against class 2 → 0.5 kWh; class 1 → 1 kWh)."""
    return max(resolution_kwh / (fraction * mpe_pct / 100.0), minimum_kwh)


async def snapshot(ctx: StepContext, prefix: str, tag: str, still_s: float, sources: list[str]) -> dict[str, float]:
    """Load off, a pause, then the standard's energy and the charger's pulse total and register,
    each kept as a raw reading ``<prefix><source>_<tag>``."""
    std = ctx.device("energy_standard")
    counter = ctx.device("pulse_counter")
    load = ctx.device("load")
    await ctx.io(load.load_off(), 5.0, load.name, "断开负载 (load off)")
    await ctx.sleep(still_s)
    vals = {"standard": await ctx.io(std.read_energy_wh(), 5.0, std.name, "读取标准电能")}
    if "pulses" in sources and getattr(counter, "has_pulse_total", False):
        vals["pulses"] = float(await ctx.io(counter.read_dut_pulses(), 5.0, counter.name, "读取被检脉冲总数"))
    if "register" in sources and "charger" in ctx.devices:
        charger = ctx.device("charger")
        await ctx.ensure("charger_online")
        vals["register"] = await ctx.io(charger.read_energy_register_wh(), 20.0, charger.name, "读取电能示值")
    for name, v in vals.items():
        ctx.reading(f"{prefix}{name}_{tag}", f"energy_{name}", v, "imp" if name == "pulses" else "Wh", name)
    return vals


def _next_session_id(ctx: StepContext) -> int:
    """1 + the sessions opened before (on disk and in this process)."""
    on_disk = sum(1 for r in ctx.persisted.readings if r.quantity == "session_start")
    return on_disk + int(ctx.state.get("sessions_opened", 0)) + 1


async def open_session(ctx: StepContext, cfg: Mapping[str, Any]) -> None:
    """The start of a session, right after charging started (module docstring)."""
    sid = _next_session_id(ctx)
    ctx.state["sessions_opened"] = int(ctx.state.get("sessions_opened", 0)) + 1
    prefix = f"s{sid}:"
    start = await snapshot(ctx, prefix, "start", float(cfg["still_s"]), list(cfg["sources"]))
    since = ctx.state.get("charging_since")
    ctx.reading(f"{prefix}start", "session_start", sid, "", "engine",
                charging_since=since.isoformat() if since else None)
    ctx.state["session"] = {"id": sid, "prefix": prefix, "start": start, "since": since}


def with_session(setup: Any, cfg: Mapping[str, Any]) -> Any:
    """A ``charging`` resource set-up that opens a session once charging has started (when the
    procedure has one: ``cfg["open"]``)."""
    async def start(ctx: StepContext) -> None:
        await setup(ctx)
        if cfg.get("open", True):
            await open_session(ctx, cfg)

    return start


async def _deliver(ctx: StepContext, p: Mapping[str, Any], start_wh: float, target_wh: float) -> None:
    """Let the load draw until the standard has counted ``target_wh`` since ``start_wh``; the
    standard must keep seeing power (a charger that stops is named within seconds)."""
    std = ctx.device("energy_standard")
    now = await ctx.io(std.read_energy_wh(), 5.0, std.name, "读取标准电能")
    if now - start_wh >= target_wh:
        return
    await set_load(ctx, p["current_a"], p["pf"])
    await wait_for_power(ctx, p["power"], p["current_a"], p["pf"], "共用充电过程 (charging session)")
    loop = asyncio.get_running_loop()
    last, last_t = now, loop.time()
    within = float(p["power"]["within_s"])
    while now - start_wh < target_wh:
        await ctx.health()
        await ctx.sleep(0.05)
        now = await ctx.io(std.read_energy_wh(), 5.0, std.name, "读取标准电能")
        if now > last:
            last, last_t = now, loop.time()
        elif loop.time() - last_t > within:
            inst = await ctx.io(std.read_instantaneous(), 5.0, std.name, "读取功率 (read power)")
            raise no_power(ctx, inst, 0.0, within, "共用充电过程 (charging session)")
        ctx.progress(min((now - start_wh) / target_wh, 0.99),
                     f"共用充电过程: {(now - start_wh) / 1000:.3f}/{target_wh / 1000:.3f} kWh")


async def session_end_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """The end of the session and what is read then (module docstring); the reconciliation's rows."""
    p = step.params
    sources: list[str] = list(p["sources"])
    await ctx.ensure("charging")
    await ctx.ensure("load")
    s = ctx.state["session"]
    a = str(s["prefix"])
    start: dict[str, float] = s["start"]
    target_wh = float(p["energy_kwh"]) * 1000.0
    await _deliver(ctx, p, start["standard"], target_wh)
    end = await snapshot(ctx, a, "end", float(p["still_s"]), sources)
    await ctx.release("charging")  # the transaction ends: signed values, CSD; the display shows the total
    since, until = s["since"], ctx.state.get("charging_until")
    elapsed = (until - since).total_seconds() if since and until else None
    if elapsed is not None:
        ctx.reading(f"{a}elapsed", "elapsed_standard", elapsed, "s", "engine", since=since.isoformat(),
                    until=until.isoformat())
    e_std_kwh = (end["standard"] - start["standard"]) / 1000.0
    stated: dict[str, float] = {}
    if "pulses" in start and "pulses" in end:
        stated["pulses"] = (end["pulses"] - start["pulses"]) / float(ctx.params.get("dut_constant", 1000.0))
    if "register" in start and "register" in end:
        stated["register"] = (end["register"] - start["register"]) / 1000.0
    flags: list[str] = []
    signed = await _signed(ctx, a, stated, flags)
    summary = ctx.state.get("session_summary")
    if "csd" in sources and summary is not None:
        stated["csd"] = ctx.reading(f"{a}csd", "energy_csd", summary.energy_kwh, "kWh", "bms")
    display = await _read_display(ctx, a, p, stated.get("register"))
    stated["display"] = display["energy_kwh"]
    results = _reconcile(p, stated, e_std_kwh, flags) if p["reconcile"] else []
    return StepOutcome(verdict=Verdict.NOT_APPLICABLE, results=tuple(results),
                       data={"session": s["id"], "standard_kwh": e_std_kwh, "stated_kwh": stated, "flags": flags,
                             "signed": signed, "display": display, "display_kwh": display["energy_kwh"],
                             "display_duration_s": display.get("duration_s"), "elapsed_standard_s": elapsed},
                       note="；".join(flags))


async def _signed(ctx: StepContext, a: str, stated: dict[str, float], flags: list[str]) -> dict[str, Any] | None:
    """The OCMF signed values of the transaction just ended: checked and kept; ``valid`` gives the
    signed energy (end − begin) as one more source, ``invalid`` a flag naming why; their notes (a
    page number repeated on begin and end, a key the post sent itself …) stay notes on the record's
    signed meter values, never among the flags."""
    if "charger" not in ctx.devices or not hasattr(ctx.device("charger"), "signed_meter_values"):
        return None
    charger = ctx.device("charger")
    sv = await ctx.io(charger.signed_meter_values(), 10.0, charger.name, "校验签名电能数据 (check OCMF)")
    signed = {"status": sv.status, "reason": sv.reason, "start_wh": sv.start_wh, "stop_wh": sv.stop_wh,
              "meter_serial": sv.meter_serial, "records": sv.records, "notes": list(sv.notes)}
    ctx.reading(f"{a}ocmf", "ocmf_status", {"valid": 1, "invalid": 0}.get(sv.status, -1), "", charger.name, **signed)
    if sv.status == "valid" and sv.start_wh is not None and sv.stop_wh is not None:
        stated["signed"] = (sv.stop_wh - sv.start_wh) / 1000.0
    elif sv.status == "invalid":
        flags.append(f"签名电能数据无效 (signed meter values invalid): {sv.reason}")
    return signed


async def _read_display(ctx: StepContext, a: str, p: Mapping[str, Any], register_kwh: float | None) -> dict[str, Any]:
    """What the verifier reads off the charger's display at the end of the session: its energy
    (the OCPP register's difference offered for confirmation), and for the 2018 items the amount,
    the tariff periods with the service fee, and the charging duration."""
    energy = await ctx.ask_entry(f"{a}display", "充电桩显示本次充电电量 (displayed session energy)", "kWh", 0.0, 10000.0,
                                 suggested=None if register_kwh is None else round(register_kwh, 3),
                                 suggested_from="OCPP 电能示值之差 (register difference)")
    out: dict[str, Any] = {"energy_kwh": energy.value}
    if p.get("payment"):
        pay = p["payment"]
        n = await ctx.ask_entry(f"{a}periods", "本次充电跨越的电价时段数 (tariff periods in this session)", "", 1.0,
                                float(pay["max_periods"]))
        periods: list[dict[str, float]] = []
        for i in range(1, round(n.value) + 1):
            e = await ctx.ask_entry(f"{a}period{i}_kwh", f"时段 {i} 显示电量 (energy of tariff period {i})", "kWh",
                                    0.0, 10000.0)
            price = await ctx.ask_entry(f"{a}period{i}_price", f"时段 {i} 电价 (price of tariff period {i}, 元/kWh)",
                                        "yuan / kWh", 0.0, 20.0)
            periods.append({"kwh": e.value, "price": price.value, "kwh_text": e.text_value, "price_text": price.text_value})
        fee = await ctx.ask_entry(f"{a}service_fee", "服务费单价 (service fee, 元/kWh; 无则 0)", "yuan / kWh", 0.0, 20.0)
        amount = await ctx.ask_entry(f"{a}amount", "充电桩显示金额 (displayed amount, 元)", "yuan", 0.0, 100000.0)
        out.update(periods=periods, service_fee=fee.value, service_fee_text=fee.text_value, amount=amount.value,
                   amount_text=amount.text_value)
    if p.get("duration"):
        d = await ctx.ask_entry(f"{a}duration", "充电桩显示充电时长 (displayed charging duration, 时:分:秒)", "s",
                                0.0, 360000.0)
        out["duration_s"] = d.value
    return out


def _reconcile(p: Mapping[str, Any], stated: Mapping[str, float], e_std_kwh: float, flags: list[str]) -> list[MeasurementResult]:
    """Every stated energy against the standard: tolerance = the source's resolution + the class MPE."""
    out: list[MeasurementResult] = []
    for src, kwh in stated.items():
        if src not in SOURCE_NAMES or (src not in p["sources"] and src != "signed"):
            continue
        res = 1.0 / float(p["dut_constant"]) if src == "pulses" else float(p["resolution_kwh"][src])
        tol = res + float(p["mpe_pct"]) / 100.0 * e_std_kwh
        diff = kwh - e_std_kwh
        ok = abs(diff) <= tol
        out.append(MeasurementResult(
            name="读数核对", label=SOURCE_NAMES[src], unit="kWh", values=(kwh, e_std_kwh),
            mean=diff, rounded=f"{diff:+.4f}", mpe=round(tol, 4), verdict=Verdict.PASS if ok else Verdict.FAIL))
        if not ok:
            flags.append(f"{SOURCE_NAMES[src]} {kwh:.4f} kWh 与标准 {e_std_kwh:.4f} kWh 相差 {diff:+.4f} kWh，超出分辨力+MPE "
                         f"{tol:.4f} kWh (disagrees with the standard beyond resolution + MPE)")
    return out


# -- items computed from the session (2018 editions) ----------------------------------------------
async def indication_error_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """示值误差 (JJG 1148/1149-2018): the session energy the display shows (read by the verifier)
    against the standard's energy over the same transaction, ``(E_display − E_std)/E_std``."""
    m = step.measurements[0]
    session = ctx.outcomes["session_end"].data
    shown, ref = float(session["display_kwh"]), float(session["standard_kwh"])
    error = float(relative_error(shown, ref))
    assert m.mpe is not None and m.rounding_interval is not None
    result = judge(m.name, f"显示 {shown:.3f} kWh / 标准 {ref:.4f} kWh", "%", [error], m.mpe, m.rounding_interval,
                   step.params.get("u95"))
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,),
                       data={"display_delta_kwh": shown, "standard_delta_kwh": ref})


async def payment_error_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """付费金额误差 (JJG 1148/1149-2018) under time-of-use tariffs and a service fee: the amount the
    display shows against ``Σ Eᵢ·Pᵢ + fee × Σ Eᵢ`` of the periods it shows, within the minimum
    payment step (:func:`~procedures.regulations.billing.tou_billing_check`)."""
    p = step.params
    shown = ctx.outcomes["session_end"].data["display"]
    periods = [(d["kwh_text"], d["price_text"]) for d in shown["periods"]]
    bill = tou_billing_check(periods, shown["amount_text"], p["step"], service_fee_yuan_per_kwh=shown["service_fee_text"],
                             rounding=p["rounding"])
    label = " + ".join(f"{float(e):g} kWh × {float(pr):g} 元/kWh" for e, pr in bill.periods)
    if bill.service_fee_yuan_per_kwh:
        label += f" + 服务费 {float(bill.service_fee_yuan_per_kwh):g} 元/kWh"
    result = MeasurementResult(
        name="付费金额误差", label=label, unit="元", values=(float(bill.amount_yuan),),
        mean=float(bill.difference_yuan), rounded=format_rounded(bill.difference_yuan, "0.01"),
        mpe=float(bill.limit_yuan), verdict=bill.verdict)
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,),
                       data={"expected_yuan": float(bill.expected_yuan), "computation": bill.describe()})
