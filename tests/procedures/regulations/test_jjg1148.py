"""JJG 1148: steps per edition and type, load points from the data table, and hand-worked
operating-error and clock results through the engine (role implementations written for the test)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from drivers.roles import ChargerInfo, ClockReading, GateResult, GateStatus, Instantaneous
from procedures.engine import EventBus, Executor, LiveValues, OperatorPrompt, StepContext
from procedures.engine.context import VOID
from procedures.records import Verdict
from procedures.regulations.common import valid_until, worst
from procedures.regulations.jjg1148 import Jjg1148, Jjg1148Params, PostSpec

NO_RECON = {"reconciliation": {"enabled": False}}


def _proc(**kw: Any) -> Jjg1148:
    post = PostSpec(**{"accuracy_class": "2", "imax_a": 32.0, **kw.pop("post", {})})
    return Jjg1148(Jjg1148Params(post=post, **kw))


def test_2022_first_verification_steps_and_load_points() -> None:
    p = _proc()
    keys = [s.key for s in p.steps]
    # the clock first, before the post ever talks to us; one session carries the energy items
    assert keys == ["env_temperature", "env_humidity", "clock", "appearance", "link", "working_error_1",
                    "working_error_2", "working_error_3", "session_end"]
    currents = [s.params["current_a"] for s in p.steps if s.item == "working_error"]
    assert currents == [32.0, 16.0, 6.0]  # Imin = max(Imax/10, 6 A)
    assert p.code == "JJG 1148-2022"


def test_2018_edition_items_are_its_own() -> None:
    p = _proc(edition="2018")
    keys = [s.key for s in p.steps]
    assert keys == ["env_temperature", "env_humidity", "appearance", "link", "insulation", "working_error_1",
                    "working_error_2", "working_error_3", "session_end", "indication_error", "payment_error",
                    "clock_indication"]
    assert p.item_keys == ["appearance", "insulation", "working_error", "indication_error", "payment_error",
                           "clock_indication"]
    # 时钟示值误差 is the 2018 item (elapsed time), not the 2022 时刻误差 reused
    assert "clock" not in keys and next(s for s in p.steps if s.key == "clock_indication").params["limit_s"] == 5.0


def test_session_energy_keeps_the_display_resolution_a_tenth_of_the_mpe() -> None:
    # 0.001 kWh / (0.1 × 2 %) = 0.5 kWh for class 2; / (0.1 × 1 %) = 1 kWh for class 1
    assert _proc().session_energy_kwh == pytest.approx(0.5)
    assert _proc(post={"accuracy_class": "1"}).session_energy_kwh == pytest.approx(1.0)
    assert _proc(overrides={"session": {"min_energy_kwh": 2.0}}).session_energy_kwh == 2.0


def test_imin_above_floor_for_large_posts() -> None:
    p = _proc(post={"imax_a": 80.0})
    assert [s.params["current_a"] for s in p.steps if s.item == "working_error"][-1] == 8.0


def test_clock_limit_by_verification_type() -> None:
    assert next(s for s in _proc().steps if s.key == "clock").params["limit_s"] == 5.0
    assert next(s for s in _proc(verification_type="subsequent").steps if s.key == "clock").params["limit_s"] == 180.0


def test_unknown_choices_refused() -> None:
    with pytest.raises(ValueError, match="edition"):
        _proc(edition="1999")
    with pytest.raises(ValueError, match="accuracy class"):
        _proc(post={"accuracy_class": "0.5"})


def test_overrides_change_points_and_hash() -> None:
    base = _proc()
    p = _proc(overrides={"items": {"working_error": {"repetitions": 3, "load_points": [
        {"label": "Imax", "of": "imax", "factor": 1.0, "pf": 1.0}]}}})
    assert [s.params["repetitions"] for s in p.steps if s.item == "working_error"] == [3]
    assert p.procedure_hash != base.procedure_hash


def test_validity_three_years_inclusive() -> None:
    assert valid_until(date(2026, 11, 23), 3) == date(2029, 11, 22)
    assert valid_until(date(2028, 2, 29), 3) == date(2031, 2, 27)


def test_worst_verdict() -> None:
    assert worst([Verdict.PASS, Verdict.UNDETERMINED]) is Verdict.UNDETERMINED
    assert worst([Verdict.PASS, Verdict.FAIL, Verdict.UNDETERMINED]) is Verdict.FAIL
    assert worst([Verdict.NOT_APPLICABLE]) is Verdict.NOT_APPLICABLE


# -- through the engine, with role implementations that return fixed counts -------------------------
class Bench:
    """Plays energy_standard + pulse_counter + load: every gate returns the next m from a list."""

    name = "ref-test"

    def __init__(self, ms: list[int]) -> None:
        self.ms = list(ms)
        self.n = 0
        self.load: tuple[float, float] | None = None
        self.off = 0

    async def read_instantaneous(self) -> Instantaneous:
        return Instantaneous(220.0, 32.0, 7040.0, 1.0, 50.0)

    async def set_load(self, current_a: float, power_factor: float = 1.0) -> None:
        self.load = (current_a, power_factor)

    async def load_off(self) -> None:
        self.off += 1

    async def start_gate(self, dut_pulses: int) -> None:
        self.n = dut_pulses

    async def gate_status(self) -> GateStatus:
        return GateStatus(False, True, self.n, self.n)

    async def read_gate(self) -> GateResult:
        return GateResult(self.n, self.ms.pop(0), 1_000_000.0, 0.0, 1.0)

    async def stop_gate(self) -> None:
        return None


class Post:
    """The post: its clock runs ``offset_s`` ahead of the time standard; it has sent no timestamp
    before our time unless ``early`` is given."""

    name = "post-test"

    def __init__(self, offset_s: float, early: ClockReading | None = None) -> None:
        self.offset = offset_s
        self.early = early
        self.charging = False
        self.connected = False

    async def wait_connected(self, timeout_s: float) -> ChargerInfo:
        self.connected = True
        return ChargerInfo("CP1", "V", "M", serial="S1")

    async def start_charging(self, connector_id: int = 1, id_tag: str = "X") -> str:
        self.charging = True
        return "1"

    async def stop_charging(self) -> None:
        self.charging = False

    async def clock_as_found(self) -> ClockReading | None:
        return self.early


class FakeClock:
    """The time standard, moved on by the test's verifier when it reads a display."""

    def __init__(self) -> None:
        self.t = datetime(2026, 11, 23, 10, 0, 0, 300000, tzinfo=UTC)

    def now(self) -> datetime:
        return self.t


class Yes:
    """The verifier: confirms checklists, enters the environment and reads the post's display
    clock at the announced instant (the display truncates to whole seconds)."""

    def __init__(self) -> None:
        self.clock: FakeClock | None = None
        self.post: Post | None = None
        self.prompts: list[OperatorPrompt] = []

    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        return dict.fromkeys(prompt.items, True)

    async def entry(self, prompt: OperatorPrompt) -> str:
        self.prompts.append(prompt)
        if prompt.mark_time is not None:
            assert self.clock is not None and self.post is not None
            self.clock.t = prompt.mark_time  # the verifier waits for the instant, then reads
            shown = prompt.mark_time + timedelta(seconds=self.post.offset)
            return f"{shown:%H:%M:%S}"
        return "22 °C" if "温度" in prompt.text else "50 %"


class SealBroken(Yes):
    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        return {p: "封印" not in p for p in prompt.items}


async def _run(proc: Jjg1148, ms: list[int], offset: float, operator: Any = None,
               post: Post | None = None) -> tuple[Any, Bench, Post]:
    bench, post = Bench(ms), post or Post(offset)
    op = operator or Yes()
    clock = FakeClock()
    op.clock, op.post = clock, post
    devices = {"energy_standard": bench, "pulse_counter": bench, "load": bench, "charger": post}
    ctx = StepContext("r", EventBus(), devices, op, {"dut_constant": 1000.0})
    ctx.clock = clock.now
    return await Executor(proc, ctx).run(), bench, post


async def test_hand_worked_operating_error_class_2() -> None:
    # N = 10, C0 = 1e6, C_L = 1000 → m0 = 10000.
    # m = 9965 → γ = 35/9965 = +0.35123 %; m = 9970 → γ = 30/9970 = +0.30090 %; mean +0.32607 %
    # class 2: interval 0.2 → 0.32607/0.2 = 1.63 → 2 → "+0.4"; |0.4| ≤ 2.0 → pass.
    # Clock: the display shows the instant + 4 s → +4.0 s ≤ 5 s (first verification) → pass.
    proc = _proc(overrides={**NO_RECON, "items": {"working_error": {"settle_s": 0}}})
    out, bench, post = await _run(proc, [9965, 9970] * 3, offset=4.0)
    r = out.outcomes["working_error_1"].results[0]
    assert r.values == pytest.approx((0.3512, 0.3009), abs=1e-4)
    assert r.mean == pytest.approx(0.326066, abs=1e-6)
    assert r.rounded == "+0.4" and r.verdict is Verdict.PASS and r.mpe == 2.0
    clock = out.outcomes["clock"]
    assert clock.results[0].rounded == "+4.0" and clock.results[0].verdict is Verdict.PASS
    assert clock.data["method"] == "display" and "显示器读数" in clock.data["source"]
    assert bench.off == 1 and post.charging is False  # torn down
    items = {i.key: i.verdict for i in proc.items(out.outcomes)}
    assert items == {"appearance": Verdict.PASS, "working_error": Verdict.PASS, "clock": Verdict.PASS}


async def test_clock_is_read_before_the_post_is_ever_answered() -> None:
    proc = _proc(overrides={**NO_RECON, "items": {"working_error": {"settle_s": 0}}})
    op = Yes()
    seen: list[bool] = []

    class Watching(Post):
        async def wait_connected(self, timeout_s: float) -> ChargerInfo:
            seen.append(any(p.mark_time is not None for p in op.prompts))
            return await super().wait_connected(timeout_s)

    await _run(proc, [10000] * 6, 0.0, operator=op, post=Watching(0.0))
    assert seen and seen[0] is True  # the display had been read when the post was first waited for


async def test_announced_instant_and_answers_before_it_refused() -> None:
    proc = _proc(overrides={**NO_RECON, "items": {"working_error": {"settle_s": 0}}})

    class Early(Yes):
        """Answers the clock prompt once before the instant (refused with the reason), then at it."""

        tries = 0

        async def entry(self, prompt: OperatorPrompt) -> str:
            if prompt.mark_time is not None and self.tries == 0:
                self.tries += 1
                self.prompts.append(prompt)
                return "10:00:20"
            return await super().entry(prompt)

    op = Early()
    out, _, _ = await _run(proc, [10000] * 6, offset=-2.0, operator=op)
    clock_prompts = [p for p in op.prompts if p.mark_time is not None]
    # 10:00:00.3 + 10 s lead → 10:00:10.3 → next whole second on a multiple of 5 → 10:00:15 (UTC 18:00:15 local)
    assert clock_prompts[0].mark_time == datetime(2026, 11, 23, 10, 0, 15, tzinfo=UTC)
    assert "未到" in clock_prompts[1].error and "18:00:15" in clock_prompts[1].text
    assert out.outcomes["clock"].results[0].rounded == "-2.0"


async def test_clock_not_applicable_without_time_of_use_billing() -> None:
    proc = _proc(post={"time_of_use": False}, overrides={**NO_RECON, "items": {"working_error": {"settle_s": 0}}})
    op = Yes()
    out, _, _ = await _run(proc, [10000] * 6, offset=300.0, operator=op)
    item = next(i for i in proc.items(out.outcomes) if i.key == "clock")
    assert item.verdict is Verdict.NOT_APPLICABLE and "不适用" in item.note and not item.results
    assert not [p for p in op.prompts if p.mark_time is not None]  # nothing asked


async def test_clock_from_a_timestamp_sent_before_our_time() -> None:
    ref = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
    early = ClockReading(ref + timedelta(seconds=40.0), ref, source="OCPP StatusNotification 时间戳")
    proc = _proc(overrides={**NO_RECON, "items": {"working_error": {"settle_s": 0}, "clock": {"method": "protocol"}}})
    out, _, _ = await _run(proc, [10000] * 6, 0.0, post=Post(0.0, early=early))
    clock = out.outcomes["clock"]
    assert clock.results[0].rounded == "+40.0" and clock.results[0].verdict is Verdict.FAIL
    assert clock.data["method"] == "protocol" and clock.data["source"].startswith("OCPP StatusNotification")


async def test_clock_by_protocol_without_an_early_timestamp_voids_the_run() -> None:
    proc = _proc(overrides={**NO_RECON, "items": {"working_error": {"settle_s": 0}, "clock": {"method": "protocol"}}})
    out, _, _ = await _run(proc, [10000] * 6, 0.0)
    assert out.status == "void" and "display" in out.message


async def test_hand_worked_class_1_fail_and_clock_fail() -> None:
    # m = 9890 → γ = 110/9890 = +1.1122 %; m = 9895 → γ = 105/9895 = +1.0611 %; mean +1.0867 %
    # class 1: interval 0.1 → 10.867 → 11 → "+1.1" > 1.0 → fail. Clock +6 s > 5 s (first) → fail.
    proc = _proc(post={"accuracy_class": "1"}, overrides={**NO_RECON, "items": {"working_error": {"settle_s": 0}}})
    out, _, _ = await _run(proc, [9890, 9895] * 3, offset=6.0)
    r = out.outcomes["working_error_1"].results[0]
    assert r.rounded == "+1.1" and r.verdict is Verdict.FAIL
    assert out.outcomes["clock"].results[0].verdict is Verdict.FAIL
    failing = [i.name for i in proc.items(out.outcomes) if i.verdict is Verdict.FAIL]
    assert failing == ["工作误差", "时钟时刻误差"]  # the regulation's item order, not the order measured


class Voids(Yes):
    """Ends the run as 无效 when a test condition is not met, keeping the prompt."""

    async def choice(self, prompt: OperatorPrompt) -> str:
        self.prompts.append(prompt)
        return VOID


async def test_guard_band_boundary_is_undetermined_and_never_judged() -> None:
    # class 1, U95 = 0.5 % > MPE/3: rounded +1.0 lies between MPE − U95 = 0.5 and MPE + U95 = 1.5 → 待定.
    # m = 9901 → γ = 99/9901 = +0.99990 % → "+1.0". The engine does not let it stand as a verdict:
    # the operator is asked to measure again or void the run; voided, the run has no outcome for it.
    proc = _proc(post={"accuracy_class": "1"}, u95_pct=0.5, overrides={**NO_RECON, "items": {"working_error": {"settle_s": 0}}})
    op = Voids()
    out, _, _ = await _run(proc, [9901] * 6, offset=0.0, operator=op)
    assert out.status == "void" and "working_error_1" not in out.outcomes
    choice = next(p for p in op.prompts if p.kind == "choice")
    assert "待定区" in choice.text and "+1.0 %" in choice.text and "MPE ±1" in choice.text


async def test_unconfirmed_checklist_point_fails_appearance_and_is_named() -> None:
    proc = _proc(overrides={**NO_RECON, "items": {"working_error": {"settle_s": 0}}})
    out, _, _ = await _run(proc, [10000] * 6, offset=0.0, operator=SealBroken())
    appearance = next(i for i in proc.items(out.outcomes) if i.key == "appearance")
    assert appearance.verdict is Verdict.FAIL and "封印" in appearance.note


async def test_no_power_ends_the_gate_within_seconds_naming_the_post() -> None:
    class Dead(Bench):
        async def read_instantaneous(self) -> Instantaneous:
            return Instantaneous(220.0, 0.0, 0.0, 1.0, 50.0)

    proc = _proc(overrides={**NO_RECON, "items": {"working_error": {"settle_s": 0}},
                            "session": {"no_power_s": 0.3}})
    bench, post, op, clock = Dead([10000] * 6), Post(0.0), Yes(), FakeClock()
    op.clock, op.post = clock, post
    ctx = StepContext("r", EventBus(), {"energy_standard": bench, "pulse_counter": bench, "load": bench,
                                         "charger": post}, op, {"dut_constant": 1000.0})
    ctx.clock = clock.now
    out = await Executor(proc, ctx).run()
    assert out.status == "paused" and out.device == "post-test"
    assert "未测到功率" in out.message and "0.0 W" in out.message and "no power" in out.message
    assert "working_error_1" not in out.outcomes and bench.n == 0  # no gate was armed


# -- reconciliation: every stated energy against the standard ----------------------------------------
class EnergyBench(Bench):
    """A standard whose energy advances 10 Wh per read while loaded; the DUT's pulses, its register
    and its display state the same energy scaled by their own factors."""

    def __init__(self, pulse_scale: float, register_scale: float) -> None:
        super().__init__([])
        self.wh = 0.0
        self.pulse_scale = pulse_scale
        self.register_scale = register_scale
        self.has_pulse_total = True

    async def read_energy_wh(self) -> float:
        if self.load and self.load[0] > 0:
            self.wh += 10.0
        return self.wh

    async def set_load(self, current_a: float, power_factor: float = 1.0) -> None:
        self.load = (current_a, power_factor)

    async def load_off(self) -> None:
        self.load = (0.0, 1.0)

    async def read_dut_pulses(self) -> int:
        return int(self.wh * self.pulse_scale)  # C_L = 1000 imp/kWh → 1 pulse per Wh


class RegisterPost(Post):
    def __init__(self, bench: EnergyBench, early: ClockReading | None = None) -> None:
        super().__init__(0.0, early)
        self.bench = bench

    async def read_energy_register_wh(self) -> float:
        return round(self.bench.wh * self.bench.register_scale)


class Display(Yes):
    def __init__(self, kwh: float) -> None:
        super().__init__()
        self.kwh = kwh

    async def entry(self, prompt: OperatorPrompt) -> str:
        return f"{self.kwh} kWh" if "显示本次" in prompt.text else await super().entry(prompt)


async def test_reconciliation_flags_source_beyond_resolution_plus_mpe() -> None:
    # Standard: 100 Wh. Class 2 → tolerance = resolution + 2 % × 0.100 kWh.
    #   pulses ×1.000 → 0.100 kWh, diff 0          ≤ 0.001 + 0.002 → agrees
    #   register ×1.05 → 0.105 kWh, diff +0.005    > 0.001 + 0.002 → flagged
    #   display 0.102 kWh, diff +0.002             ≤ 0.001 + 0.002 → agrees
    # (a display of 0.0002 kWh resolution makes the session 0.0002 / (0.1 × 2 %) = 0.1 kWh)
    proc = _proc(overrides={"items": {"working_error": {"load_points": []}, "clock": {"method": "protocol"}},
                            "session": {"still_s": 0}, "reconciliation": {"resolution_kwh": {"display": 0.0002}}})
    bench = EnergyBench(pulse_scale=1.0, register_scale=1.05)
    ref = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
    post = RegisterPost(bench, ClockReading(ref, ref))
    devices = {"energy_standard": bench, "pulse_counter": bench, "load": bench, "charger": post}
    ctx = StepContext("r", EventBus(), devices, Display(0.102), {"dut_constant": 1000.0})
    out = await Executor(proc, ctx).run()
    assert out.status == "finished", out.message
    rec = out.outcomes["session_end"]
    by = {r.label: r for r in rec.results}
    assert rec.data["standard_kwh"] == pytest.approx(0.100)
    assert by["电能脉冲 (pulse output)"].verdict is Verdict.PASS
    assert by["OCPP 电能示值 (register)"].verdict is Verdict.FAIL
    assert by["OCPP 电能示值 (register)"].mpe == pytest.approx(0.003)
    assert by["显示电量 (display)"].verdict is Verdict.PASS
    flags = proc.flags(out.outcomes)
    assert len(flags) == 1 and "OCPP" in flags[0]
    items = {i.key: i for i in proc.items(out.outcomes)}
    assert items["reconciliation"].verdict is Verdict.NOT_APPLICABLE  # informational, not a legal item
    assert post.charging is False  # the session was ended
    display = rec.data["display"]
    assert display == {"energy_kwh": 0.102}


def test_announced_instant_is_ahead_on_the_step() -> None:
    from procedures.regulations.charger_clock import mark_instant

    t = datetime(2026, 12, 7, 10, 31, 17, 400000, tzinfo=UTC)
    assert mark_instant(t, 10, 5) == datetime(2026, 12, 7, 10, 31, 30, tzinfo=UTC)  # 10:31:27.4 → :30
    assert mark_instant(t, 2, 1) == datetime(2026, 12, 7, 10, 31, 20, tzinfo=UTC)  # 10:31:19.4 → :20
    assert mark_instant(t.replace(microsecond=0), 3, 10) == datetime(2026, 12, 7, 10, 31, 20, tzinfo=UTC)


async def test_live_values_show_u_i_p_and_each_repetitions_error_against_the_mpe() -> None:
    # the display's LiveValues (never persisted): the standard's U, I, P while a gate counts, then each
    # repetition's γ (m = 9965 → +0.35123 %) against the point's MPE (class 2: ±2.0 %)
    proc = _proc(overrides={**NO_RECON, "items": {"working_error": {"settle_s": 0}}})
    bench, post, op, clock = Bench([9965, 9970] * 3), Post(4.0), Yes(), FakeClock()
    op.clock, op.post = clock, post
    bus = EventBus()
    sub = bus.subscribe()
    ctx = StepContext("r", bus, {"energy_standard": bench, "pulse_counter": bench, "load": bench, "charger": post},
                      op, {"dut_constant": 1000.0})
    ctx.clock = clock.now
    await Executor(proc, ctx).run()
    live = [e for e in sub.drain() if isinstance(e, LiveValues) and e.step_key == "working_error_1"]
    first = live[0]
    assert first.values["voltage_v"] == (220.0, "V") and first.values["current_a"] == (32.0, "A")
    assert first.values["power_w"] == (7040.0, "W") and first.point.startswith("Imax")
    errors = [(e.error, e.mpe) for e in live if e.error is not None]
    assert errors[0][0] == pytest.approx(0.35123, abs=1e-5) and errors[0][1] == 2.0 and len(errors) == 2
