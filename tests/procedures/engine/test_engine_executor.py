"""The executor with a small procedure and in-test devices: persistence order, pause on a device
fault naming the device, deadlines, guaranteed teardown, abort within a second, resume."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from drivers.errors import DeviceTimeout
from procedures.engine import (
    EntryStep,
    Event,
    EventBus,
    Executor,
    MeasureStep,
    OperatorPrompt,
    PersistedState,
    ReadingTaken,
    StepContext,
    StepFinished,
    StepOutcome,
)
from procedures.engine.context import StoredReading
from procedures.records import Verdict


class Counter:
    """A device that returns 1, 2, 3 … and can hang or be counted."""

    name = "counter-1"

    def __init__(self, hang_at: int | None = None) -> None:
        self.n = 0
        self.hang_at = hang_at
        self.torn_down = 0

    async def read(self) -> float:
        self.n += 1
        if self.hang_at is not None and self.n >= self.hang_at:
            await asyncio.sleep(3600)
        return float(self.n)


class Answers:
    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)
        self.prompts: list[OperatorPrompt] = []

    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        return dict.fromkeys(prompt.items, True)

    async def entry(self, prompt: OperatorPrompt) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0)


async def _measure(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    await ctx.ensure("session")
    dev = ctx.device("counter")
    values = []
    for k in range(3):
        async def take(k: int = k) -> StoredReading:
            v = await ctx.io(dev.read(), 0.3, dev.name, "read")
            return StoredReading(ctx.step_key, f"r{k}", "count", v, "1", dev.name)

        values.append((await ctx.reading_once(f"r{k}", take)).value)
    return StepOutcome(Verdict.PASS, data={"values": values})


class Proc:
    code = "TEST-1"

    def __init__(self, dev: Counter, gate: threading.Event | None = None) -> None:
        self.dev = dev
        self.steps = [
            EntryStep("temp", "温度", "env", prompt="温度", unit="degC", low=-10, high=50, data_key="t"),
            MeasureStep("m1", "测量一", "meas", [], _measure),
            MeasureStep("m2", "测量二", "meas", [], _measure),
        ]

    def resources(self) -> dict[str, Any]:
        async def up(ctx: StepContext) -> None:
            return None

        async def down(ctx: StepContext) -> None:
            self.dev.torn_down += 1

        return {"session": (up, down)}


def _ctx(dev: Counter, op: Answers, persisted: PersistedState | None = None,
         abort: threading.Event | None = None) -> tuple[StepContext, list[Event]]:
    bus = EventBus()
    log: list[Event] = []
    bus.add_sink(log.append)
    return StepContext("run1", bus, {"counter": dev}, op, {}, persisted, abort), log


async def test_runs_all_steps_and_refuses_bad_entry_with_reason() -> None:
    dev = Counter()
    op = Answers(["23 V", "99", "23.5 °C"])
    ctx, log = _ctx(dev, op)
    out = await Executor(Proc(dev), ctx).run()
    assert out.status == "finished"
    assert out.outcomes["temp"].data["t"] == 23.5
    assert [p.error for p in op.prompts] == ["", op.prompts[1].error, op.prompts[2].error]
    assert "单位错误" in op.prompts[1].error and "超出允许范围" in op.prompts[2].error
    assert out.outcomes["m2"].data["values"] == [4.0, 5.0, 6.0]
    assert dev.torn_down == 1
    # every reading is published before its step finishes
    kinds = [type(e).__name__ for e in log if isinstance(e, ReadingTaken | StepFinished)]
    assert kinds.index("StepFinished") > kinds.index("ReadingTaken")


async def test_device_hang_pauses_run_naming_device_and_tears_down() -> None:
    dev = Counter(hang_at=5)
    ctx, log = _ctx(dev, Answers(["20"]))
    out = await Executor(Proc(dev), ctx).run()
    assert out.status == "paused"
    assert out.device == "counter-1" and "0.3 s" in out.message
    assert dev.torn_down == 1
    readings = [e for e in log if isinstance(e, ReadingTaken)]
    assert [r.key for r in readings if r.step_key == "m2"] == ["r0"]  # kept: taken before the hang


async def test_resume_skips_finished_steps_and_keeps_readings() -> None:
    dev = Counter(hang_at=5)
    ctx, log = _ctx(dev, Answers(["20"]))
    first = await Executor(Proc(dev), ctx).run()
    assert first.status == "paused"
    persisted = PersistedState(
        completed={e.step_key: e.outcome for e in log if isinstance(e, StepFinished)},
        readings=[StoredReading(e.step_key, e.key, e.quantity, e.value, e.unit, e.source, e.extra)
                  for e in log if isinstance(e, ReadingTaken)],
    )
    dev2 = Counter()
    op = Answers([])  # no prompt may be asked again: the temperature is on disk
    ctx2, log2 = _ctx(dev2, op, persisted)
    out = await Executor(Proc(dev2), ctx2).run()
    assert out.status == "finished"
    assert out.outcomes["m1"].data["values"] == [1.0, 2.0, 3.0]  # from the first attempt
    assert out.outcomes["m2"].data["values"] == [4.0, 1.0, 2.0]  # r0 kept, r1 r2 measured now
    assert op.prompts == []
    assert not any(isinstance(e, ReadingTaken) and e.key == "r0" and e.step_key == "m2" for e in log2)


async def test_abort_from_another_thread_within_a_second() -> None:
    dev = Counter(hang_at=10_000)
    abort = threading.Event()

    async def slow(ctx: StepContext, step: MeasureStep) -> StepOutcome:
        await ctx.ensure("session")
        await ctx.sleep(30)
        return StepOutcome(Verdict.PASS)

    proc = Proc(dev)
    proc.steps = [MeasureStep("slow", "慢", "x", [], slow)]
    ctx, _ = _ctx(dev, Answers([]), abort=abort)
    threading.Timer(0.2, abort.set).start()
    t0 = time.monotonic()
    out = await Executor(proc, ctx).run()
    assert out.status == "aborted"
    assert time.monotonic() - t0 < 1.2
    assert dev.torn_down == 1


async def test_deadline_raises_device_timeout() -> None:
    ctx, _ = _ctx(Counter(), Answers([]))
    with pytest.raises(DeviceTimeout, match="counter-1"):
        await ctx.io(asyncio.sleep(5), 0.05, "counter-1", "read")


def test_constant_is_recorded_once_and_kept_on_resume() -> None:
    """``ctx.constant``: a value a formula uses but nobody measures (here a DUT constant) is a raw
    reading of the step; on resume the one on disk is returned and nothing is published again,
    even when the station file now says something else."""
    ctx, log = _ctx(Counter(), Answers([]))
    ctx.step_key = "working_error_1"
    assert ctx.constant("dut_constant", "dut_constant", 1000.0, "imp/kWh", "instrument") == 1000.0
    taken = [e for e in log if isinstance(e, ReadingTaken)]
    assert [(e.step_key, e.key, e.value, e.unit, e.source) for e in taken] == [
        ("working_error_1", "dut_constant", 1000.0, "imp/kWh", "instrument")]
    persisted = PersistedState(readings=[StoredReading(e.step_key, e.key, e.quantity, e.value, e.unit, e.source,
                                                       e.extra) for e in taken])
    ctx2, log2 = _ctx(Counter(), Answers([]), persisted)
    ctx2.step_key = "working_error_1"
    assert ctx2.constant("dut_constant", "dut_constant", 800.0, "imp/kWh", "instrument") == 1000.0
    assert not [e for e in log2 if isinstance(e, ReadingTaken)]
    ctx2.step_key = "working_error_2"  # another step records its own
    assert ctx2.constant("dut_constant", "dut_constant", 800.0, "imp/kWh", "instrument") == 800.0
    assert [e.step_key for e in log2 if isinstance(e, ReadingTaken)] == ["working_error_2"]
