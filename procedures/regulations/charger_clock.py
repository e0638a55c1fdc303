"""时钟时刻误差 (JJG 1148-2022 §5.2, JJG 1149-2022 likewise): the charger's clock **as found**.

Why first and how. As local CSMS the workstation answers BootNotification and Heartbeat with its own
``currentTime`` and many posts set their clock from it, so a clock read after the post has talked
to us measures our clock, not the post's. The item therefore runs before anything from the
workstation reaches the charger — its CSMS answers no post until the procedure first waits for it
(``drivers.ocpp.link``) — and reads the clock one of two ways (data ``items.clock.method``):

- ``"display"`` (the regulation's reading: the clock the customer sees): the workstation announces
  an instant of its time standard (at least ``mark_lead_s`` ahead, on a multiple of
  ``mark_step_s``) and the verifier enters the time the post's display shows at that instant;
  the error is displayed − standard. Answers given before the instant are refused.
- ``"protocol"``: a timestamp the charger sent before it received any time from us — an OCPP
  message of a post that reconnects without rebooting (its BootNotification carries no time), or
  the CTS of a DC charger's GB/T 27930 session (the BMS never sends time). When the charger sent
  none, the clock cannot be measured as found this way and the run is void (read the display).

The record keeps which (``data["method"]``, ``data["source"]``), the time standard and its
traceability (``data["time_standard"]``), both instants and the offset. The item applies to posts
with time-of-use billing (分时计费); for the others it is 不适用 (ledger: ``time_of_use``). Limits
(≤ 5 s first verification, ≤ 3 min subsequent) and rounding are data with their source.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from drivers.roles import ClockReading
from procedures.engine import MeasureStep, StepOutcome
from procedures.engine.context import RunVoided, StepContext
from procedures.engine.text import Text, bilingual
from procedures.records import Verdict
from procedures.regulations.common import judge


def time_standard_label(ts: dict[str, Any]) -> str:
    """The time standard as the record names it (name, and its ledger serial when one is named)."""
    name = str(ts.get("name", "工作站系统时钟"))
    return f"{name}（{ts['standard']}）" if ts.get("standard") else name


def mark_instant(now: datetime, lead_s: float, step_s: float) -> datetime:
    """The announced reading instant: at least ``lead_s`` after ``now``, on a whole multiple of
    ``step_s`` seconds of the minute (so a verifier watching the standard sees it coming)."""
    base = now.replace(microsecond=0) + timedelta(seconds=lead_s)
    if base < now + timedelta(seconds=lead_s):
        base += timedelta(seconds=1)
    step = max(int(step_s), 1)
    extra = (step - base.second % step) % step
    return base + timedelta(seconds=extra)


async def _protocol_reading(ctx: StepContext) -> ClockReading | None:
    """The charger's clock from a timestamp sent before any time from us: the CTS of the DC
    session (the BMS starts it), else the OCPP link's earliest early timestamp."""
    if "bms" in ctx.devices:
        await ctx.ensure("charging")
        reading: ClockReading | None = await ctx.device("bms").clock_as_found()
        if reading is not None:
            return reading
    if "charger" in ctx.devices:
        await ctx.ensure("charger_online")
        return await ctx.device("charger").clock_as_found()  # type: ignore[no-any-return]
    return None


async def clock_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """时钟时刻误差, as found (module docstring)."""
    p = step.params
    if not p["applies"]:
        return StepOutcome(verdict=Verdict.NOT_APPLICABLE, data={"applies": False},
                           note="非分时计费，本项不适用 (no time-of-use billing: not applicable)")
    ts = dict(ctx.params.get("time_standard", {}))
    tz = ZoneInfo(str(ts.get("timezone", "Asia/Shanghai")))
    standard = time_standard_label(ts)
    if p["method"] == "protocol":
        old = ctx.prior("clock_offset")
        if old is not None:
            offset, source = old.value, str(old.extra.get("how", ""))
            charger_time, reference_time = str(old.extra["charger_time"]), str(old.extra["reference_time"])
        else:
            reading = await _protocol_reading(ctx)
            if reading is None:
                raise RunVoided("充电桩在收到本机时间前未发送任何时间戳，无法按协议测得其时钟原值；请改用显示器读数 "
                                "(items.clock.method = \"display\") (the charger sent no timestamp before it got our "
                                "time: its clock cannot be measured as found over the protocol)")
            offset, source = reading.offset_s, reading.source
            charger_time, reference_time = reading.charger_time.isoformat(), reading.reference_time.isoformat()
            ctx.reading("clock_offset", "clock_offset", offset, "s", "charger", how=source,
                        charger_time=charger_time, reference_time=reference_time, time_standard=standard)
        label = "协议时间戳 − 标准时间 (protocol timestamp − standard)"
    else:
        mark = mark_instant(ctx.clock().astimezone(tz), float(p["mark_lead_s"]), float(p["mark_step_s"]))
        std = bilingual(standard)
        shown, mark = await ctx.ask_time(
            "clock_display", Text(f"充电桩显示时间：在标准时间 {mark:%H:%M:%S} 时读取充电桩显示的时间（标准：{std.zh}）",
                                  f"the post's displayed time when the standard time shows {mark:%H:%M:%S} "
                                  f"(standard: {std.en or std.zh})",
                                  console=f"充电桩显示时间：在标准时间 {mark:%H:%M:%S} 时读取充电桩显示的时间 (the post's "
                                          f"displayed time when the standard time shows {mark:%H:%M:%S}; standard: "
                                          f"{standard})"), mark)
        offset = (shown - mark).total_seconds()
        source = "显示器读数 (display, read by the verifier at the standard's instant)"
        charger_time, reference_time = shown.isoformat(), mark.isoformat()
        label = "显示时间 − 标准时间 (display − standard)"
    result = judge("时钟时刻误差", label, "s", [round(offset, 3)], float(p["limit_s"]), p["rounding"])
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,),
                       data={"offset_s": offset, "method": p["method"], "source": source, "time_standard": ts,
                             "charger_time": charger_time, "reference_time": reference_time},
                       note=f"时钟读取方式: {source}；标准时间: {standard}")


async def clock_indication_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """时钟示值误差 (JJG 1148/1149-2018), its own item: over the shared charging session, the
    charging duration the charger displays against the time standard's elapsed time between the
    transaction's start and end; error = displayed − standard, |error| ≤ limit (data, vendor
    practice, OPEN)."""
    p = step.params
    if not p["applies"]:
        return StepOutcome(verdict=Verdict.NOT_APPLICABLE, data={"applies": False},
                           note="非分时计费，本项不适用 (no time-of-use billing: not applicable)")
    session = ctx.outcomes["session_end"].data
    shown = float(session["display_duration_s"])
    elapsed = float(session["elapsed_standard_s"])
    error = shown - elapsed
    if not math.isfinite(error):
        raise ValueError("charging duration not measured")
    label = f"显示充电时长 {shown:g} s − 标准时间 {elapsed:.1f} s"
    result = judge("时钟示值误差", label, "s", [error], float(p["limit_s"]), str(p["rounding"]))
    ctx.record(step.item, result)
    return StepOutcome(verdict=result.verdict, results=(result,),
                       data={"display_duration_s": shown, "elapsed_standard_s": elapsed, "error_s": error})
