"""Test conditions in the engine: a measurement taken under a condition not met is taken again (a
new attempt, the old readings kept apart on disk) or the run ends void; a result in the JJF 1094
undetermined zone is measured again, never judged; resume keeps the attempt count."""

from __future__ import annotations

from typing import Any

from procedures.engine import (
    ConditionNotMet,
    Event,
    EventBus,
    Executor,
    MeasureStep,
    OperatorPrompt,
    PersistedState,
    ReadingTaken,
    RunFinished,
    StepContext,
    StepOutcome,
)
from procedures.engine.context import REPEAT, VOID, StoredReading
from procedures.records import MeasurementResult, Verdict


class Chooser:
    """Answers choices from a list (REPEAT / VOID) and records the prompts."""

    def __init__(self, choices: list[str]) -> None:
        self.choices = list(choices)
        self.prompts: list[OperatorPrompt] = []

    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        return dict.fromkeys(prompt.items, True)

    async def entry(self, prompt: OperatorPrompt) -> str:
        raise AssertionError("no entry expected")

    async def choice(self, prompt: OperatorPrompt) -> str:
        self.prompts.append(prompt)
        return self.choices.pop(0)


class Thermo:
    """A 'delivery' whose temperature difference is given by a list, one per attempt."""

    name = "thermo"

    def __init__(self, deltas: list[float]) -> None:
        self.deltas = list(deltas)
        self.calls = 0

    async def read(self) -> float:
        self.calls += 1
        return self.deltas.pop(0)


async def _delivery(ctx: StepContext, step: MeasureStep) -> StepOutcome:
    """One sub-measurement whose condition (|Δt| ≤ 4 °C) is checked after it is taken."""
    dev = ctx.device("thermo")
    while True:
        key = ctx.attempt_key("run1")

        async def take(key: str = key) -> StoredReading:
            return StoredReading(ctx.step_key, key, "delta_t", await dev.read(), "degC", dev.name)

        r = await ctx.reading_once(key, take)
        if abs(r.value) <= 4.0:
            return StepOutcome(Verdict.PASS, data={"delta": r.value, "key": key})
        await ctx.condition_not_met("run1", f"|t_J − t_B| = {abs(r.value):g} °C > 4 °C")


class Proc:
    code = "TEST-C"

    def __init__(self, body: Any) -> None:
        self.steps = [MeasureStep("s1", "一", "item", [], body)]

    def resources(self) -> dict[str, Any]:
        return {}


def _run(devices: dict[str, Any], op: Chooser, persisted: PersistedState | None = None,
         params: dict[str, Any] | None = None) -> tuple[StepContext, list[Event]]:
    bus = EventBus()
    log: list[Event] = []
    bus.add_sink(log.append)
    return StepContext("run1", bus, devices, op, params or {}, persisted), log


def _readings(log: list[Event]) -> list[ReadingTaken]:
    return [e for e in log if isinstance(e, ReadingTaken)]


async def test_sub_measurement_under_a_condition_not_met_is_taken_again_under_a_new_key() -> None:
    dev = Thermo([5.5, 1.0])
    op = Chooser([REPEAT])
    ctx, log = _run({"thermo": dev}, op)
    out = await Executor(Proc(_delivery), ctx).run()
    assert out.status == "finished"
    assert out.outcomes["s1"].data == {"delta": 1.0, "key": "run1@2"}
    keys = [r.key for r in _readings(log)]
    assert keys == ["run1", "condition:run1@1", "run1@2"]  # the invalid reading stays on disk
    mark = _readings(log)[1]
    assert mark.extra["reason"] == "|t_J − t_B| = 5.5 °C > 4 °C"
    assert op.prompts[0].kind == "choice" and "5.5 °C > 4 °C" in op.prompts[0].text
    assert op.prompts[0].items == (REPEAT, VOID)


async def test_operator_voids_the_run_with_the_reason_and_no_result() -> None:
    dev = Thermo([6.0])
    ctx, log = _run({"thermo": dev}, Chooser([VOID]))
    out = await Executor(Proc(_delivery), ctx).run()
    assert out.status == "void"
    assert "6 °C > 4 °C" in out.message and "无效" in out.message
    assert "s1" not in out.outcomes
    finished = [e for e in log if isinstance(e, RunFinished)]
    assert finished[-1].status == "void" and finished[-1].message == out.message


async def test_attempts_run_out_and_void_the_run_without_asking_again() -> None:
    dev = Thermo([5.0, 5.0, 5.0, 0.0])
    op = Chooser([REPEAT, REPEAT])
    ctx, _ = _run({"thermo": dev}, op, params={"max_condition_attempts": 3})
    out = await Executor(Proc(_delivery), ctx).run()
    assert out.status == "void" and "3 次" in out.message
    assert dev.calls == 3 and len(op.prompts) == 2


async def test_resume_after_a_crash_keeps_the_attempt_count_and_the_valid_reading() -> None:
    # what a run killed after its second attempt left on disk
    persisted = PersistedState(readings=[
        StoredReading("s1", "run1", "delta_t", 7.0, "degC", "thermo"),
        StoredReading("s1", "condition:run1@1", "condition_not_met", 1.0, "", "engine", {"reason": "x"}),
        StoredReading("s1", "run1@2", "delta_t", 0.5, "degC", "thermo"),
    ])
    dev = Thermo([])
    ctx, log = _run({"thermo": dev}, Chooser([]), persisted)
    out = await Executor(Proc(_delivery), ctx).run()
    assert out.status == "finished" and out.outcomes["s1"].data["delta"] == 0.5
    assert dev.calls == 0 and not _readings(log)


def _undetermined_body(values: list[float]) -> Any:
    """A step judging one reading against ±1 % with U95 0.5 % (guard band 0.5…1.5 %)."""

    async def body(ctx: StepContext, step: MeasureStep) -> StepOutcome:
        async def take() -> StoredReading:
            return StoredReading(ctx.step_key, "e", "error", values.pop(0), "%", "dut")

        r = await ctx.reading_once("e", take)
        from procedures.regulations.common import judge

        res = judge("示值误差", "Q3", "%", [r.value], 1.0, "0.1", 0.5)
        return StepOutcome(res.verdict, results=(res,))

    return body


async def test_undetermined_result_is_measured_again_never_judged_fail() -> None:
    op = Chooser([REPEAT])
    ctx, log = _run({}, op)
    out = await Executor(Proc(_undetermined_body([1.2, 0.3])), ctx).run()
    assert out.status == "finished"
    result = out.outcomes["s1"].results[0]
    assert result.verdict is Verdict.PASS and result.rounded == "+0.3"
    assert "待定区" in op.prompts[0].text and "+1.2" in op.prompts[0].text
    # the second attempt's reading is kept apart from the first
    assert [r.key for r in _readings(log)] == ["e", "condition:@1", "@2:e"]


async def test_undetermined_result_voided_gives_no_outcome() -> None:
    ctx, _ = _run({}, Chooser([VOID]))
    out = await Executor(Proc(_undetermined_body([1.2])), ctx).run()
    assert out.status == "void" and "待定区" in out.message and "s1" not in out.outcomes


async def test_step_raising_condition_not_met_is_run_again_as_a_whole() -> None:
    calls: list[int] = []

    async def body(ctx: StepContext, step: MeasureStep) -> StepOutcome:
        calls.append(ctx.attempt(""))
        ctx.reading("flow", "flow", 10.0 if len(calls) == 1 else 3.0, "m3/h", "bench")
        if len(calls) == 1:
            raise ConditionNotMet("流量 10 m³/h 超出 2.5~3.3 m³/h (flow outside its window)")
        return StepOutcome(Verdict.PASS)

    ctx, log = _run({}, Chooser([REPEAT]))
    out = await Executor(Proc(body), ctx).run()
    assert out.status == "finished" and calls == [1, 2]
    assert [r.key for r in _readings(log)] == ["flow", "condition:@1", "@2:flow"]


def test_a_bench_position_undetermined_is_left_to_the_controller() -> None:
    from procedures.engine.executor import undetermined_reason

    r = MeasurementResult(name="e", label="q", unit="%", values=(1.2,), mean=1.2, rounded="+1.2", mpe=1.0,
                          verdict=Verdict.UNDETERMINED, uncertainty=0.5, position=3)
    assert undetermined_reason(StepOutcome(Verdict.UNDETERMINED, results=(r,))) == ""
