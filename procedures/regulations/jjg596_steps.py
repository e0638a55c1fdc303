"""JJG 596-2012 on a multi-position bench — the step bodies (the procedure that builds the steps
from the data table is :mod:`procedures.regulations.jjg596`; the constant test is
:mod:`procedures.regulations.jjg596_constant`), and what they share: the bench's roles, applying
the source, the bench's time base, reading keys per position, results and outcomes.

**No power, no endless wait.** Wherever a step applies current and then waits for the meters'
pulses (starting, basic error, single-element error, constant test), the bench's standard must
measure at least ``min_power_share`` of the power the point applies (m·U·I·cos φ, or U·I·cos φ for
one element) — right after the source settles and at every poll while waiting. A source that
delivers no current (an open current circuit) ends the step with
:class:`~drivers.errors.NoPower` naming the bench: the run pauses (readings kept) instead of
waiting out a deadline, and a deadline is only ever computed from the point's nominal power.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from drivers.errors import NoPower
from procedures.engine import MeasureStep, StepOutcome
from procedures.engine.context import StepContext
from procedures.engine.text import Text, pick
from procedures.metrology import daily_clock_error_s_per_day
from procedures.metrology.bench import (
    decide_steps,
    judge_positions,
    needs_more_readings,
    pulse_errors,
    round_steps,
)
from procedures.records import MeasurementResult, Verdict
from procedures.regulations.bench_steps import confirm_positions, position_line
from procedures.regulations.common import worst

IO_DEADLINE_S = 10.0  # backstop around one bench request (the driver has its own, shorter deadline)
APPLY_DEADLINE_S = 90.0  # the source settles within its own settle_timeout_s (30 s by default)
PULSE_WRAP = 2**32  # the calculators' free-running totals wrap here (jianding_sim_bench map)


# -- devices, source, time base ---------------------------------------------------------------------
def power_factor_cos(label: str) -> float:
    """cos φ of a power-factor label: "1" → 1.0, "0.5L" → 0.5, "0.8C" → 0.8."""
    return float(str(label).strip().upper().rstrip("LC"))


def devices(ctx: StepContext) -> tuple[Any, Any, Any]:
    """The bench's power source, error calculators and time base (often one device)."""
    return ctx.device("power_source"), ctx.device("multi_counter"), ctx.device("clock_tester")


async def bench_setup(ctx: StepContext) -> None:
    """Clear gates an interrupted attempt may have left running."""
    _, counter, _ = devices(ctx)
    await ctx.io(counter.stop_gates(), IO_DEADLINE_S, counter.name, "停止误差计算器 (stop gates)")


async def bench_teardown(ctx: StepContext) -> None:
    """Stop gates and the clock test, switch the source off: each is tried; the first error is
    raised after all were tried (the executor reports it)."""
    source, counter, clock = devices(ctx)
    first: BaseException | None = None
    for call in (counter.stop_gates, clock.stop_clock_test, source.off):
        try:
            await call()
        except Exception as e:  # teardown goes on
            first = first or e
    if first is not None:
        raise first


async def apply_source(ctx: StepContext, voltage_v: float, current_a: float, pf: str, phase: str | None = None) -> None:
    """Apply a point on the bench (the ``bench`` resource set up first); ``phase`` loads that
    element alone (single-element test of a polyphase meter)."""
    source, _, _ = devices(ctx)
    await ctx.ensure("bench")
    alone = f" {phase} 相 (phase {phase} alone)" if phase else ""
    what = f"功率源输出 {voltage_v:g} V {current_a:g} A{alone} cosφ {pf} (apply)"
    call = source.apply(voltage_v, current_a, pf, phase=phase) if phase else source.apply(voltage_v, current_a, pf)
    await ctx.io(call, APPLY_DEADLINE_S, source.name, what)


async def bench_time(ctx: StepContext) -> float:
    """Seconds of the bench's time base."""
    _, _, clock = devices(ctx)
    return float(await ctx.io(clock.read_time_s(), IO_DEADLINE_S, clock.name, "读取装置时基 (bench time)"))


async def require_power(ctx: StepContext, p: Mapping[str, Any], what: str) -> None:
    """Pause the run (:class:`~drivers.errors.NoPower`) when the standard measures less than
    ``min_power_share`` of the power ``expected_w`` the point applies; nothing to check without
    current (``expected_w`` 0)."""
    expected = float(p.get("expected_w", 0.0))
    if expected <= 0:
        return
    std = ctx.device("energy_standard")
    inst = await ctx.io(std.read_instantaneous(), IO_DEADLINE_S, std.name, "读取标准表功率 (standard's power)")
    if abs(inst.active_power_w) < float(p["min_power_share"]) * expected:
        raise NoPower(std.name, f"标准表未测到功率: {what} 应约 {expected:.4g} W, 测得 {inst.active_power_w:.4g} W、"
                                f"{inst.current_a:.4g} A (the standard sees no power: check the source/current circuit)")


# -- readings, results ------------------------------------------------------------------------------
def reading_key(position: int, what: str) -> str:
    """The key of a position's raw reading (``p07:r1``)."""
    return f"p{position:02d}:{what}"


def priors(ctx: StepContext, positions: Sequence[int], what: str) -> dict[int, Any]:
    """Readings of this step an earlier attempt persisted, by position (those present)."""
    out = {}
    for pos in positions:
        r = ctx.prior(reading_key(pos, what))
        if r is not None:
            out[pos] = r
    return out


def position_result(name: str, label: str, unit: str, position: int, values: Sequence[float], mean: float,
                    rounded: str, mpe: float | None, verdict: Verdict) -> MeasurementResult:
    """One position's result; a NaN mean (the position faulted) is stored as no value (None)."""
    return MeasurementResult(name=name, label=label, unit=unit, values=tuple(float(v) for v in values),
                             mean=float(mean) if math.isfinite(mean) else None, rounded=rounded, mpe=mpe,
                             verdict=verdict, position=position)


def step_outcome(results: Sequence[MeasurementResult], data: dict[str, Any], faults: Mapping[int, str],
                 notes: Mapping[int, str] | None = None) -> StepOutcome:
    """The step's outcome: worst verdict, the results, and the position faults and notes in ``data``."""
    data = {**data, "position_faults": {str(p): m for p, m in sorted(faults.items())}}
    if notes:
        data["position_notes"] = {str(p): m for p, m in sorted(notes.items())}
    return StepOutcome(verdict=worst(r.verdict for r in results), results=tuple(results), data=data)


# -- step bodies ------------------------------------------------------------------------------------
async def checklist_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """外观检查 / 交流电压试验: one point per position, confirmed by the technician; a point not
    confirmed fails that position only. n/a when the table excludes this verification type."""
    p = step.params
    if not p["applies"]:
        return StepOutcome(verdict=Verdict.NOT_APPLICABLE, note="本检定类别不做此项 (not required for this "
                                                                 "verification type)")
    points = {pos: position_line(pos, p["serials"][str(pos)], p["point"]) for pos in p["positions"]}
    checks = await confirm_positions(ctx, step, step.title_text, points, label=lambda pos: "逐表检查 (per meter)",
                                     scored=True, note=lambda pos: f"{step.title}不符合: {p['point']}", record=False)
    return step_outcome(checks.results, {"checklist": {str(k): ok for k, ok in checks.answers.items()}}, {},
                        checks.notes)


async def timed_count_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """潜动 (115 % Un, no current, ≤ max pulses) or 起动 (Un, I_Q, ≥ min pulses): the pulse totals
    before and after a duration timed on the bench's time base. An interrupted test starts again
    (the duration must be continuous): its readings are published only at the end. With current
    (starting) the standard must see power throughout (:func:`require_power`)."""
    p = step.params
    positions: list[int] = p["positions"]
    creep = p["kind"] == "creep"
    old = priors(ctx, positions, "pulses")
    faults: dict[int, str] = {}
    counts: dict[int, int] = {}
    duration_s = float(p["minutes"]) * 60.0
    if len(old) == len(positions):
        for pos, r in old.items():
            if r.extra.get("fault"):
                faults[pos] = str(r.extra["fault"])
            else:
                counts[pos] = int(r.value)
    else:
        _, counter, _ = devices(ctx)
        await apply_source(ctx, float(p["voltage_v"]), float(p["current_a"]), str(p["pf"]))
        what = Text("潜动", "no-load test") if creep else Text("起动", "starting test")
        await require_power(ctx, p, f"{what} I_Q = {float(p['current_a']):.4g} A")
        before = {r.position: r for r in await ctx.io(counter.read_totals(), IO_DEADLINE_S, counter.name,
                                                      "读取脉冲累计 (pulse totals)")}
        t0 = await bench_time(ctx)
        while True:
            elapsed = await bench_time(ctx) - t0
            if elapsed >= duration_s:
                break
            ctx.progress(elapsed / duration_s, Text(f"{what}: {elapsed / 60:.1f}/{duration_s / 60:.1f} min",
                                                    f"{pick(what, 'en')}: {elapsed / 60:.1f}/{duration_s / 60:.1f} min"))
            await ctx.sleep(float(p["poll_s"]))
            await require_power(ctx, p, what)
        after = {r.position: r for r in await ctx.io(counter.read_totals(), IO_DEADLINE_S, counter.name,
                                                     "读取脉冲累计 (pulse totals)")}
        for pos in positions:
            b, a = before.get(pos), after.get(pos)
            fault = next((r.fault for r in (b, a) if r is not None and r.fault), "")
            if b is None or a is None or b.dut_pulses is None or a.dut_pulses is None or fault:
                faults[pos] = f"{fault or f'表位 {pos}: 无读数 (no reading)'} — {step.title}"
                ctx.reading(reading_key(pos, "pulses"), "pulses", 0.0, "imp", counter.name, fault=faults[pos])
            else:
                counts[pos] = (a.dut_pulses - b.dut_pulses) % PULSE_WRAP
                ctx.reading(reading_key(pos, "pulses"), "pulses", counts[pos], "imp", counter.name,
                            before=b.dut_pulses, after=a.dut_pulses, duration_s=round(duration_s, 1))
    results: list[MeasurementResult] = []
    limit = float(p["max_pulses"] if creep else p["min_pulses"])
    label = (f"{p['voltage_v']:g} V, I = 0, {p['minutes']:.1f} min" if creep
             else f"{p['voltage_v']:g} V, I_Q = {p['current_a']:.4g} A, {p['minutes']:.1f} min")
    for pos in positions:
        if pos in faults:
            results.append(position_result(step.title, label, "imp", pos, (), math.nan, "—", limit,
                                           Verdict.NOT_APPLICABLE))
            continue
        n = counts[pos]
        ok = n <= limit if creep else n >= limit
        # the limit rides in mpe, one-sided: printed "≤ 1 imp" (creep, layout limit) or "≥ 1 imp" (at_least)
        results.append(position_result(step.title, label, "imp", pos, (n,), n, str(n), limit,
                                       Verdict.PASS if ok else Verdict.FAIL))
    return step_outcome(results, {"kind": p["kind"], "minutes": p["minutes"],
                                  "pulses": {str(k): v for k, v in counts.items()}}, faults)


async def _gate(ctx: StepContext, p: Mapping[str, Any], label: str) -> dict[int, Any]:
    """One gate of N meter pulses on every position; waits on the bench's time base until every
    position in use finished (or gave up), at most ``deadline_s``, the standard seeing power all the
    while; returns the readings by position."""
    _, counter, _ = devices(ctx)
    positions: list[int] = p["positions"]
    await ctx.io(counter.start_gates(int(p["pulses"])), IO_DEADLINE_S, counter.name, f"启动检定 N = {p['pulses']} (gates)")
    t0 = await bench_time(ctx)
    while True:
        done = await ctx.io(counter.gates_done(), IO_DEADLINE_S, counter.name, "读取检定状态 (gate status)")
        finished = sum(1 for pos in positions if pos - 1 < len(done) and done[pos - 1])
        if finished == len(positions) or await bench_time(ctx) - t0 > float(p["deadline_s"]):
            break
        await require_power(ctx, p, label)
        ctx.progress(finished / len(positions), Text(f"{pick(label, 'zh')}: {finished}/{len(positions)} 表位完成",
                                                     f"{pick(label, 'en')}: {finished}/{len(positions)} positions done"))
        await ctx.sleep(float(p["poll_s"]))
    readings = await ctx.io(counter.read_gates(), IO_DEADLINE_S, counter.name, "读取检定结果 (gate results)")
    await ctx.io(counter.stop_gates(), IO_DEADLINE_S, counter.name, "停止检定 (stop gates)")
    return {r.position: r for r in readings}


async def _measure_point(ctx: StepContext, step: MeasureStep) -> tuple[np.ndarray, dict[int, str], list[int]]:
    """The error readings of one load point on every position: gates of N pulses, ``readings``
    per point, then ``more_readings`` for the positions whose mean lies in the band of the MPE
    (80–120 %). Readings are persisted per position (``p07:r1``) and re-used on resume. Returns the
    errors (position × reading, NaN where none), the position faults and the positions that took
    the extra readings."""
    p = step.params
    positions: list[int] = p["positions"]
    index = {pos: i for i, pos in enumerate(positions)}
    total = int(p["readings"]) + int(p["more_readings"])
    errors = np.full((len(positions), total), np.nan)
    faults: dict[int, str] = {}
    applied = False
    _, counter, _ = devices(ctx)
    phase = p.get("phase")
    # the meters' constant C_L is an input of γ = (m0 − m)/m, m0 = C0·N/C_L: on the record (regulations.md §0.1)
    ctx.constant("dut_constant", "dut_constant", float(p["constant"]), "imp/kWh", "instrument")
    ctx.constant("un_v", "un_v", float(p["un_v"]), "V", "station")  # the load point the source applies
    ctx.constant("current_a", "current_a", float(p["current_a"]), "A", "station")
    ctx.live(str(p["label"]), {"un_v": (float(p["un_v"]), "V"), "current_a": (float(p["current_a"]), "A")},
             mpe=float(p["mpe"]))

    async def take(r: int, wanted: list[int]) -> None:
        nonlocal applied
        what = f"r{r}"
        old = priors(ctx, wanted, what)
        missing = [pos for pos in wanted if pos not in old]
        fresh: dict[int, Any] = {}
        if missing:
            if not applied:
                await apply_source(ctx, float(p["un_v"]), float(p["current_a"]), str(p["pf"]), phase)
                await require_power(ctx, p, str(p["label"]))
                applied = True
            fresh = await _gate(ctx, p, Text(f"{p['label']} 第{r}次", f"{p['label']} run {r}"))
        for pos in wanted:
            if pos in old:
                prior = old[pos]
                if prior.extra.get("fault"):
                    faults.setdefault(pos, str(prior.extra["fault"]))
                else:
                    errors[index[pos], r - 1] = prior.value
                continue
            g = fresh.get(pos)
            if g is None or not g.ok:
                fault = f"{g.fault if g is not None else f'表位 {pos}: 无读数 (no reading)'} — {step.title} 第{r}次"
                faults.setdefault(pos, fault)
                ctx.reading(reading_key(pos, what), "error", 0.0, "%", counter.name, fault=fault)
                continue
            e = float(pulse_errors(g.std_pulses, g.dut_pulses, g.std_constant, p["constant"])[()])
            errors[index[pos], r - 1] = e
            ctx.reading(reading_key(pos, what), "error", e, "%", counter.name, dut_pulses=g.dut_pulses,
                        std_pulses=g.std_pulses, std_constant=g.std_constant)

    for r in range(1, int(p["readings"]) + 1):
        await take(r, positions)
    first = judge_positions(errors[:, : int(p["readings"])], p["rounding"], p["mpe"], printed=False)
    band = needs_more_readings(first.mean, p["mpe"], *p["band"])
    extra = [pos for pos in positions if band[index[pos]] and pos not in faults]
    if extra:
        for r in range(int(p["readings"]) + 1, total + 1):
            await take(r, extra)
    for pos in faults:
        errors[index[pos], :] = np.nan
    return errors, faults, extra


def _errors_data(p: Mapping[str, Any], errors: np.ndarray, extra: list[int]) -> dict[str, Any]:
    positions: list[int] = p["positions"]
    return {"label": p["label"], "current_a": p["current_a"], "pf": p["pf"], "pulses_n": p["pulses"], "mpe": p["mpe"],
            "extra_readings": extra,
            "errors_pct": {str(pos): [float(v) for v in errors[i] if np.isfinite(v)] for i, pos in enumerate(positions)}}


async def basic_error_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """基本误差 at one load point (balanced load): :func:`_measure_point`, each position's mean
    rounded to the class's interval and judged (JJF 1094)."""
    p = step.params
    errors, faults, extra = await _measure_point(ctx, step)
    judged = judge_positions(errors, p["rounding"], p["mpe"])
    results = []
    for i, pos in enumerate(p["positions"]):
        values = [float(v) for v in errors[i] if np.isfinite(v)]
        results.append(position_result("基本误差", p["label"], "%", pos, values, float(judged.mean[i]), judged.printed[i],
                                       float(p["mpe"]), Verdict(str(judged.verdict[i]))))
        ctx.record(step.item, results[-1])
    return step_outcome(results, _errors_data(p, errors, extra), faults)


async def element_error_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """分元件误差 of a polyphase meter at one load point, one element (``phase``) loaded alone:
    :func:`_measure_point` gives each position's element error γ_k (mean, rounded, judged against
    the single-element MPE), and its difference from the balanced-load error γ at the same point
    (the mean of step ``balanced_step``): Δ = γ_k − γ, rounded to the same interval and judged
    against ``difference_mpe``. A position without a balanced-load error has no difference (n/a)."""
    p = step.params
    positions: list[int] = p["positions"]
    errors, faults, extra = await _measure_point(ctx, step)
    balanced_outcome = ctx.outcomes.get(str(p["balanced_step"]))
    balanced = {r.position: r.mean for r in balanced_outcome.results} if balanced_outcome is not None else {}
    judged = judge_positions(errors, p["rounding"], p["mpe"])
    diffs = np.array([judged.mean[i] - balanced[pos] if balanced.get(pos) is not None else np.nan
                      for i, pos in enumerate(positions)])
    diff_judged = judge_positions(diffs, p["rounding"], p["difference_mpe"])
    label = f"{p['phase']} 相 {p['label']}"
    results = []
    for i, pos in enumerate(positions):
        values = [float(v) for v in errors[i] if np.isfinite(v)]
        element = position_result("分元件误差", label, "%", pos, values, float(judged.mean[i]), judged.printed[i],
                                  float(p["mpe"]), Verdict(str(judged.verdict[i])))
        difference = position_result("元件误差之差", label, "%", pos, [float(diffs[i])] if np.isfinite(diffs[i]) else [],
                                     float(diff_judged.mean[i]), diff_judged.printed[i], float(p["difference_mpe"]),
                                     Verdict(str(diff_judged.verdict[i])))
        results += [element, difference]
        ctx.record(step.item, element)
        ctx.record(step.item, difference)
    data = {**_errors_data(p, errors, extra), "phase": p["phase"], "balanced_step": p["balanced_step"],
            "differences_pct": {str(pos): float(diffs[i]) for i, pos in enumerate(positions) if np.isfinite(diffs[i])}}
    return step_outcome(results, data, faults)


async def clock_step(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """日计时误差: Un applied, every position's clock-pulse frequency over ``readings`` gates of
    ``gate_s`` of the bench's time base; e = (f − f0)/f0 × 86400 s/d per reading; the mean rounded
    to 0.01 s/d; pass only when every reading and the mean are within ±limit."""
    p = step.params
    positions: list[int] = p["positions"]
    index = {pos: i for i, pos in enumerate(positions)}
    n = int(p["readings"])
    freqs = np.full((len(positions), n), np.nan)
    faults: dict[int, str] = {}
    _, _, clock = devices(ctx)
    missing: list[int] = []
    for k in range(1, n + 1):
        old = priors(ctx, positions, f"clock:r{k}")
        for pos, r in old.items():
            if r.extra.get("fault"):
                faults.setdefault(pos, str(r.extra["fault"]))
            else:
                freqs[index[pos], k - 1] = r.value
        if len(old) < len(positions):
            missing.append(k)
    if missing:
        await apply_source(ctx, float(p["un_v"]), 0.0, "1")
        gate = float(p["gate_s"])
        await ctx.io(clock.start_clock_test(gate), IO_DEADLINE_S, clock.name, "启动日计时测量 (start clock test)")
        t0 = await bench_time(ctx)
        for seq, k in enumerate(missing, start=1):
            wanted = [pos for pos in positions if ctx.prior(reading_key(pos, f"clock:r{k}")) is None]
            while True:
                got = {c.position: c for c in await ctx.io(clock.read_clock_frequencies(), IO_DEADLINE_S, clock.name,
                                                           "读取时钟频率 (clock frequencies)")}
                waiting = [pos for pos in wanted if pos not in faults and not (pos in got and got[pos].fault)
                           and (pos not in got or got[pos].measurements < seq)]
                if not waiting or await bench_time(ctx) - t0 > (seq + 1) * gate + float(p["margin_s"]):
                    break
                ctx.progress((seq - 1) / len(missing), Text(f"日计时 第{k}次: {len(wanted) - len(waiting)}/{len(wanted)}",
                                                            f"daily clock, run {k}: {len(wanted) - len(waiting)}/{len(wanted)}"))
                await ctx.sleep(float(p["poll_s"]))
            for pos in wanted:
                c = got.get(pos)
                if pos in faults:
                    continue
                if c is None or not c.ok or c.measurements < seq:
                    fault = c.fault if c is not None and c.fault else f"表位 {pos}: 无时钟脉冲 (no clock pulses measured)"
                    faults[pos] = f"{fault} — {step.title}"
                    ctx.reading(reading_key(pos, f"clock:r{k}"), "clock_frequency", 0.0, "Hz", clock.name,
                                fault=faults[pos])
                    continue
                freqs[index[pos], k - 1] = float(c.frequency_hz)
                e = float(daily_clock_error_s_per_day(c.frequency_hz, p["nominal_hz"]))
                ctx.reading(reading_key(pos, f"clock:r{k}"), "clock_frequency", float(c.frequency_hz), "Hz", clock.name,
                            error_s_per_day=e, gate_s=gate)
        await ctx.io(clock.stop_clock_test(), IO_DEADLINE_S, clock.name, "停止日计时测量 (stop clock test)")
    for pos in faults:
        freqs[index[pos], :] = np.nan
    errors = np.asarray(daily_clock_error_s_per_day(np.where(np.isfinite(freqs), freqs, p["nominal_hz"]), p["nominal_hz"]))
    errors = np.where(np.isfinite(freqs), errors, np.nan)
    limit, q = float(p["limit"]), str(p["clock_rounding"])
    judged = judge_positions(errors, q, limit)
    each = decide_steps(round_steps(errors, q), q, limit)  # every reading within ±limit (regulations.md §6)
    results = []
    for pos in positions:
        i = index[pos]
        verdict = Verdict(str(judged.verdict[i]))
        if verdict is not Verdict.NOT_APPLICABLE and (each[i] == Verdict.FAIL.value).any():
            verdict = Verdict.FAIL
        values = [float(v) for v in errors[i] if np.isfinite(v)]
        results.append(position_result("日计时误差", f"日计时 {n} × {p['gate_s']:g} s (f0 = {p['nominal_hz']:g} Hz)", "s/d",
                                       pos, values, float(judged.mean[i]), judged.printed[i], limit, verdict))
        ctx.record(step.item, results[-1])
    return step_outcome(results, {"nominal_hz": p["nominal_hz"]}, faults)


__all__ = ["APPLY_DEADLINE_S", "IO_DEADLINE_S", "PULSE_WRAP", "apply_source", "basic_error_step", "bench_setup",
           "bench_teardown", "bench_time", "checklist_step", "clock_step", "devices", "element_error_step",
           "position_result", "power_factor_cos", "priors", "reading_key", "require_power", "step_outcome",
           "timed_count_step"]
