"""JJG 596-2012 电能表常数试验 (走字, the register / constant test) on a multi-position bench.

The test compares what the customer reads — each meter's energy register (计度器) — with the
energy the bench's standard measured over the same run, by the standard-meter method
[R code vendor: YuChaoYuan1/LYTEST.WPF ``ConstantVerify2.cs``, 标准表法: (止码 − 起码 − E_std)/E_std
× 100 %, limit ± the class; JJG 596-2012's clause OPEN]::

    γ = (ΔR − E_std) / E_std × 100 %,   ΔR = R_after − R_before (the register's advance, kWh)

so a register that runs ahead of (or behind) the meter's pulse output fails here even when every
pulse-based error passes. Sequence (every raw reading persisted as it is taken):

1. Un on, no current: the meters are powered (their displays lit, their ports answering) and
   their registers stand still; the standard's energy E0 (``std:before``) and each register R0
   (``p07:register:before``) — **as found**, before any energy of ours ran through the meter;
2. the source runs ``energy_kwh`` through every meter (Un, I, cos φ), the standard seeing power
   throughout (:func:`~procedures.regulations.jjg596_steps.require_power`);
3. current off, voltage on: E1 (``std:after``) and each register R1 (``p07:register:after``);
4. γ per position (``p07:register``, with ΔR, E_std and the meter's pulse advance ΔN/C_L beside it
   for the record), its mean rounded at one tenth of the class and judged (JJF 1094).

Registers are read from each meter's own port (a ``register_reader`` device: DL/T 645) when the
station has one; otherwise the technician reads each display and enters it (kWh, with unit), an
after-reading below the before-reading refused. A meter that cannot be read is a position fault.

The run must be one continuous energy run between two sets of readings: an interruption (a dropped
line, a pause) before all the after-readings are in leaves that attempt's readings on disk and the
resumed step runs the test again as attempt 2 (keys ``…@2``), as the engine's repeat does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from drivers.errors import DeviceTimeout
from procedures.engine import MeasureStep, StepOutcome
from procedures.engine.context import StepContext, StoredReading, attempt_key
from procedures.engine.text import Text
from procedures.metrology.bench import judge_positions
from procedures.metrology.energy_meter import register_error_pct
from procedures.records import Verdict
from procedures.regulations.jjg596_steps import (
    IO_DEADLINE_S,
    PULSE_WRAP,
    apply_source,
    bench_time,
    devices,
    position_result,
    reading_key,
    require_power,
    step_outcome,
)

REGISTER_WRAP_KWH = 1_000_000.0  # a XXXXXX.XX register wraps here
READER_ROLE = "register_reader"
READ_BACKSTOP_PER_METER_S = 10.0  # backstop per meter read (the driver's own: its retries × its reply deadline)


class _Readings:
    """The step's raw readings: those an earlier run persisted and those taken now (each
    published, and so persisted, as it is taken)."""

    def __init__(self, ctx: StepContext) -> None:
        self.ctx = ctx
        self.fresh: dict[str, StoredReading] = {}

    def get(self, key: str) -> StoredReading | None:
        """The reading ``key``, taken now or before (None: not taken)."""
        return self.fresh.get(key) or self.ctx.prior(key)

    def put(self, key: str, quantity: str, value: float, unit: str, source: str, **extra: Any) -> None:
        """Publish a reading taken now."""
        self.ctx.reading(key, quantity, value, unit, source, **extra)
        self.fresh[key] = StoredReading(self.ctx.step_key, key, quantity, float(value), unit, source, extra)

    async def entry(self, key: str, text: str, low: float) -> None:
        """A register the technician enters from the display (kWh; not below ``low``)."""
        got = await self.ctx.ask_entry(key, text, "kWh", low, REGISTER_WRAP_KWH)
        self.fresh[key] = StoredReading(self.ctx.step_key, key, key, float(got.value), "kWh", "operator",
                                        {"text": got.text})


def _attempt(r: _Readings, positions: Sequence[int]) -> tuple[int, bool, list[int]]:
    """The attempt to use — the last one begun — whether it is complete (the standard's after
    reading and every position's after reading, or its fault before, are on disk), and the attempts
    abandoned before it; ``(1, False, [])`` when none began."""
    k = 0
    while r.get(attempt_key("std:before", k + 1)) is not None:
        k += 1
    if k == 0:
        return 1, False, []
    complete = r.get(attempt_key("std:after", k)) is not None and all(
        r.get(attempt_key(reading_key(pos, "register:after"), k)) is not None
        or _fault(r.get(attempt_key(reading_key(pos, "register:before"), k)))
        for pos in positions)
    if complete:
        return k, True, list(range(1, k))
    return k + 1, False, list(range(1, k + 1))


def _fault(reading: Any) -> str:
    """The fault a persisted reading carries ("" for a good one or none)."""
    return "" if reading is None else str(reading.extra.get("fault", ""))


async def _read_registers(ctx: StepContext, r: _Readings, p: Mapping[str, Any], positions: Sequence[int], when: str,
                          attempt: int, low: Mapping[int, float]) -> None:
    """Every position's register ``when`` ("before"/"after"), persisted: from the meters' port,
    or entered by the technician from each display (an after-reading must not be below ``low``)."""
    keys = {pos: attempt_key(reading_key(pos, f"register:{when}"), attempt) for pos in positions}
    if p["register_source"] == "port":
        reader = ctx.device(READER_ROLE)
        got = await ctx.io(reader.read_registers(list(positions)), IO_DEADLINE_S + READ_BACKSTOP_PER_METER_S * len(positions), reader.name,
                           f"读取电能表示值 (read registers, {when})")
        for g in got:
            if g.ok:
                r.put(keys[g.position], "register", float(g.energy_kwh), "kWh", reader.name, address=g.address)
            else:
                r.put(keys[g.position], "register", 0.0, "kWh", reader.name, address=g.address, fault=g.fault)
        return
    serials: Mapping[str, str] = p["serials"]
    zh, en = ("走字前", "before the run") if when == "before" else ("走字后", "after the run")
    for pos in positions:
        await r.entry(keys[pos], f"电能表示值 表位 {pos} ({serials[str(pos)]}) {zh} (register reading {en}, as the "
                                 f"display shows it)", low.get(pos, 0.0))


async def _run_energy(ctx: StepContext, p: Mapping[str, Any]) -> None:
    """Run ``energy_kwh`` through the meters, measured by the standard from the moment the current
    is on; the deadline follows from the point's nominal power, never from a measured one."""
    std = ctx.device("energy_standard")
    target_wh = float(p["energy_kwh"]) * 1000.0
    await apply_source(ctx, float(p["un_v"]), float(p["current_a"]), str(p["pf"]))
    await require_power(ctx, p, "走字 (register test)")
    start_wh = await ctx.io(std.read_energy_wh(), IO_DEADLINE_S, std.name, "读取标准电能 (standard energy)")
    factor, margin = p["deadline"]
    deadline_s = target_wh / float(p["expected_w"]) * 3600.0 * float(factor) + float(margin)
    t0 = await bench_time(ctx)
    while True:
        done_wh = await ctx.io(std.read_energy_wh(), IO_DEADLINE_S, std.name, "读取标准电能 (standard energy)") - start_wh
        if done_wh >= target_wh:
            return
        if await bench_time(ctx) - t0 > deadline_s:
            raise DeviceTimeout(std.name, f"走字: {deadline_s:.0f} s 内标准表电能未达 {p['energy_kwh']:g} kWh "
                                          f"(standard energy not reached)")
        await require_power(ctx, p, "走字 (register test)")
        ctx.progress(done_wh / target_wh, Text(f"走字: {done_wh / 1000:.3f}/{p['energy_kwh']:g} kWh",
                                               f"register test: {done_wh / 1000:.3f}/{p['energy_kwh']:g} kWh"))
        await ctx.sleep(float(p["poll_s"]))


async def _measure(ctx: StepContext, r: _Readings, p: Mapping[str, Any], attempt: int) -> None:
    """One attempt of the test, every reading persisted under the attempt's keys."""
    positions: list[int] = p["positions"]
    _, counter, _ = devices(ctx)
    std = ctx.device("energy_standard")
    await apply_source(ctx, float(p["un_v"]), 0.0, "1")  # meters powered, registers still
    e0 = await ctx.io(std.read_energy_wh(), IO_DEADLINE_S, std.name, "读取标准电能 (standard energy)")
    r.put(attempt_key("std:before", attempt), "energy", e0, "Wh", std.name)
    await _read_registers(ctx, r, p, positions, "before", attempt, {})
    pulses0 = {t.position: t.dut_pulses for t in await ctx.io(counter.read_totals(), IO_DEADLINE_S, counter.name,
                                                               "读取脉冲累计 (pulse totals)")}
    await _run_energy(ctx, p)
    await apply_source(ctx, float(p["un_v"]), 0.0, "1")  # current off, meters still powered
    e1 = await ctx.io(std.read_energy_wh(), IO_DEADLINE_S, std.name, "读取标准电能 (standard energy)")
    pulses1 = {t.position: t.dut_pulses for t in await ctx.io(counter.read_totals(), IO_DEADLINE_S, counter.name,
                                                               "读取脉冲累计 (pulse totals)")}
    pulses = {pos: (pulses1[pos] - pulses0[pos]) % PULSE_WRAP for pos in positions
              if pulses0.get(pos) is not None and pulses1.get(pos) is not None}
    r.put(attempt_key("std:after", attempt), "energy", e1, "Wh", std.name, pulses={str(k): v for k, v in pulses.items()})
    before = {pos: r.get(attempt_key(reading_key(pos, "register:before"), attempt)) for pos in positions}
    good = {pos: float(b.value) for pos, b in before.items() if b is not None and not _fault(b)}
    await _read_registers(ctx, r, p, list(good), "after", attempt, good)


def _evaluate(r: _Readings, p: Mapping[str, Any], attempt: int) -> tuple[dict[int, float], dict[int, str], float]:
    """γ per position from the attempt's raw readings (the results re-derived on resume), the
    position faults and the standard's energy E_std (kWh)."""
    positions: list[int] = p["positions"]
    e0, e1 = (r.get(attempt_key(f"std:{w}", attempt)) for w in ("before", "after"))
    assert e0 is not None and e1 is not None
    std_kwh = (float(e1.value) - float(e0.value)) / 1000.0
    pulses: dict[str, int] = dict(e1.extra.get("pulses", {}))
    errors: dict[int, float] = {}
    faults: dict[int, str] = {}
    for pos in positions:
        b = r.get(attempt_key(reading_key(pos, "register:before"), attempt))
        a = r.get(attempt_key(reading_key(pos, "register:after"), attempt))
        fault = _fault(b) or _fault(a)
        if fault or b is None or a is None:
            faults[pos] = f"{fault or f'表位 {pos}: 无读数 (no reading)'} — 电能表常数试验"
            continue
        advance = (float(a.value) - float(b.value)) % REGISTER_WRAP_KWH  # a register that stood still: −100 %
        errors[pos] = float(register_error_pct(advance, std_kwh))
        n = pulses.get(str(pos))
        key = attempt_key(reading_key(pos, "register"), attempt)
        if r.get(key) is None:
            r.put(key, "register_error", errors[pos], "%", str(a.source), register_before_kwh=float(b.value),
                  register_after_kwh=float(a.value), register_advance_kwh=round(advance, 6),
                  standard_kwh=round(std_kwh, 6), pulses=n,
                  pulse_kwh=None if n is None else round(n / float(p["constant"]), 6))
    return errors, faults, std_kwh


async def constant_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """电能表常数试验: the test (or its completed readings, on resume), each position's register
    error judged against the item's MPE; faults per position."""
    p = step.params
    positions: list[int] = p["positions"]
    r = _Readings(ctx)
    attempt, complete, abandoned = _attempt(r, positions)
    if not complete:
        await ctx.ensure("bench")
        await _measure(ctx, r, p, attempt)
    errors, faults, std_kwh = _evaluate(r, p, attempt)
    values = np.array([errors.get(pos, np.nan) for pos in positions])
    judged = judge_positions(values, p["rounding"], p["mpe"])
    label = f"走字 {std_kwh:.3f} kWh ({p['current_a']:g} A cosφ={p['pf']})"
    results = []
    for i, pos in enumerate(positions):
        results.append(position_result("走字误差", label, "%", pos, [errors[pos]] if pos in errors else [],
                                       float(judged.mean[i]), judged.printed[i], float(p["mpe"]),
                                       Verdict(str(judged.verdict[i]))))
        ctx.record(step.item, results[-1])
    data: dict[str, Any] = {"standard_kwh": std_kwh, "attempt": attempt, "register_source": p["register_source"]}
    if abandoned:
        data["interrupted_attempts"] = abandoned
    return step_outcome(results, data, faults)


__all__ = ["READER_ROLE", "attempt_key", "constant_step"]
