"""JJG 1148: steps per edition and type, load points from the data table, and hand-worked
operating-error and clock results through the engine (role implementations written for the test)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from drivers.roles import ChargerInfo, ClockReading, GateResult, GateStatus, Instantaneous
from procedures.engine import EventBus, Executor, OperatorPrompt, StepContext
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
    assert keys == ["env_temperature", "env_humidity", "appearance", "link", "working_error_1",
                    "working_error_2", "working_error_3", "reconciliation", "clock"]
    currents = [s.params["current_a"] for s in p.steps if s.item == "working_error"]
    assert currents == [32.0, 16.0, 6.0]  # Imin = max(Imax/10, 6 A)
    assert p.code == "JJG 1148-2022"


def test_imin_above_floor_for_large_posts() -> None:
    p = _proc(post={"imax_a": 80.0})
    assert [s.params["current_a"] for s in p.steps if s.item == "working_error"][-1] == 8.0


def test_2018_edition_adds_indication_and_payment_items() -> None:
    p = _proc(edition="2018")
    assert p.code == "JJG 1148-2018"
    assert {"indication_error", "payment_error"} <= {s.item for s in p.steps}


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
    name = "post-test"

    def __init__(self, offset_s: float) -> None:
        self.offset = offset_s
        self.charging = False

    async def wait_connected(self, timeout_s: float) -> ChargerInfo:
        return ChargerInfo("CP1", "V", "M", serial="S1")

    async def start_charging(self, connector_id: int = 1, id_tag: str = "X") -> str:
        self.charging = True
        return "1"

    async def stop_charging(self) -> None:
        self.charging = False

    async def read_clock(self) -> ClockReading:
        ref = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
        return ClockReading(ref + timedelta(seconds=self.offset), ref)


class Yes:
    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        return dict.fromkeys(prompt.items, True)

    async def entry(self, prompt: OperatorPrompt) -> str:
        return "22 °C" if "温度" in prompt.text else "50 %"


class SealBroken(Yes):
    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        return {p: "封印" not in p for p in prompt.items}


async def _run(proc: Jjg1148, ms: list[int], offset: float, operator: Any = None) -> tuple[Any, Bench, Post]:
    bench, post = Bench(ms), Post(offset)
    devices = {"energy_standard": bench, "pulse_counter": bench, "load": bench, "charger": post}
    ctx = StepContext("r", EventBus(), devices, operator or Yes(), {"dut_constant": 1000.0})
    return await Executor(proc, ctx).run(), bench, post


async def test_hand_worked_operating_error_class_2() -> None:
    # N = 10, C0 = 1e6, C_L = 1000 → m0 = 10000.
    # m = 9965 → γ = 35/9965 = +0.35123 %; m = 9970 → γ = 30/9970 = +0.30090 %; mean +0.32607 %
    # class 2: interval 0.2 → 0.32607/0.2 = 1.63 → 2 → "+0.4"; |0.4| ≤ 2.0 → pass.
    proc = _proc(overrides={**NO_RECON, "items": {"working_error": {"settle_s": 0}}})
    out, bench, post = await _run(proc, [9965, 9970] * 3, offset=4.9)
    r = out.outcomes["working_error_1"].results[0]
    assert r.values == pytest.approx((0.3512, 0.3009), abs=1e-4)
    assert r.mean == pytest.approx(0.326066, abs=1e-6)
    assert r.rounded == "+0.4" and r.verdict is Verdict.PASS and r.mpe == 2.0
    clock = out.outcomes["clock"].results[0]
    assert clock.rounded == "+4.9" and clock.verdict is Verdict.PASS
    assert bench.off == 1 and post.charging is False  # torn down
    items = {i.key: i.verdict for i in proc.items(out.outcomes)}
    assert items == {"appearance": Verdict.PASS, "working_error": Verdict.PASS, "clock": Verdict.PASS}


async def test_hand_worked_class_1_fail_and_clock_fail() -> None:
    # m = 9890 → γ = 110/9890 = +1.1122 %; m = 9895 → γ = 105/9895 = +1.0611 %; mean +1.0867 %
    # class 1: interval 0.1 → 10.867 → 11 → "+1.1" > 1.0 → fail. Clock +5.1 s > 5 s (first) → fail.
    proc = _proc(post={"accuracy_class": "1"}, overrides={**NO_RECON, "items": {"working_error": {"settle_s": 0}}})
    out, _, _ = await _run(proc, [9890, 9895] * 3, offset=5.1)
    r = out.outcomes["working_error_1"].results[0]
    assert r.rounded == "+1.1" and r.verdict is Verdict.FAIL
    assert out.outcomes["clock"].results[0].verdict is Verdict.FAIL
    failing = [i.name for i in proc.items(out.outcomes) if i.verdict is Verdict.FAIL]
    assert failing == ["工作误差", "时钟时刻误差"]


class Voids(Yes):
    """Ends the run as 无效 when a test condition is not met, keeping the prompt."""

    def __init__(self) -> None:
        self.prompts: list[OperatorPrompt] = []

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
    assert "待定区" in op.prompts[0].text and "+1.0 %" in op.prompts[0].text and "MPE ±1" in op.prompts[0].text


async def test_unconfirmed_checklist_point_fails_appearance_and_is_named() -> None:
    proc = _proc(overrides={**NO_RECON, "items": {"working_error": {"settle_s": 0}}})
    out, _, _ = await _run(proc, [10000] * 6, offset=0.0, operator=SealBroken())
    appearance = next(i for i in proc.items(out.outcomes) if i.key == "appearance")
    assert appearance.verdict is Verdict.FAIL and "封印" in appearance.note


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
    def __init__(self, bench: EnergyBench) -> None:
        super().__init__(0.0)
        self.bench = bench

    async def read_energy_register_wh(self) -> float:
        return round(self.bench.wh * self.bench.register_scale)


class Display(Yes):
    def __init__(self, kwh: float) -> None:
        self.kwh = kwh

    async def entry(self, prompt: OperatorPrompt) -> str:
        return f"{self.kwh} kWh" if "显示本次" in prompt.text else await super().entry(prompt)


async def test_reconciliation_flags_source_beyond_resolution_plus_mpe() -> None:
    # Standard: 100 Wh. Class 2 → tolerance = resolution + 2 % × 0.100 kWh.
    #   pulses ×1.000 → 0.100 kWh, diff 0          ≤ 0.001 + 0.002 → agrees
    #   register ×1.05 → 0.105 kWh, diff +0.005    > 0.001 + 0.002 → flagged
    #   display 0.102 kWh, diff +0.002             ≤ 0.001 + 0.002 → agrees
    proc = _proc(overrides={"items": {"working_error": {"load_points": []}},
                            "reconciliation": {"energy_kwh": 0.1, "still_s": 0}})
    bench = EnergyBench(pulse_scale=1.0, register_scale=1.05)
    post = RegisterPost(bench)
    devices = {"energy_standard": bench, "pulse_counter": bench, "load": bench, "charger": post}
    ctx = StepContext("r", EventBus(), devices, Display(0.102), {"dut_constant": 1000.0})
    out = await Executor(proc, ctx).run()
    assert out.status == "finished", out.message
    rec = out.outcomes["reconciliation"]
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
    assert post.charging is False  # the reconciliation session was ended
