"""JJG 443 fuel dispensers: steps per edition and input path, flow points from the table, and
hand-worked runs through the engine with role implementations written for the test (a dispenser
that hands back scripted transactions, an operator that reads scripted can readings).

Hand-worked numbers (can: 20 L at h0 = 69 mm, d = 2 mL/mm, stainless; gasoline):
- worked example B on every Q1 run: h = 38 mm, t_J = 24 °C, t_B = 23 °C, V_J = 20.00 L →
  E = +0.17573 % each → mean → '+0.18' → pass (regulations.md §3).
- Q2 at t_J = t_B = 20 °C (no correction): h = 59, 69, 79 mm → V_B = 19.98, 20.00, 20.02 L →
  E = +0.10010, 0, −0.09990 % → mean +0.00007 → '0.00'; E_n = 0.20000/1.69 = 0.11834 → '0.12' > 0.10 → fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from drivers.errors import DeviceTimeout
from drivers.roles import (
    DispenserInfo,
    DispenserLink,
    DispenserStatus,
    DispenserTransaction,
    PulserCount,
    Totalizer,
)
from procedures.engine import (
    Event,
    EventBus,
    Executor,
    OperatorPrompt,
    Progress,
    ReadingTaken,
    RunStarted,
    StepContext,
    StepFinished,
)
from procedures.engine.context import PersistedState, StoredReading
from procedures.records import Verdict
from procedures.regulations import REGISTRY
from procedures.regulations.common import valid_until
from procedures.regulations.jjg443 import CanSpec, DispenserSpec, FuelParams, Jjg443

CAN_B = CanSpec(name="can", serial="CAN-1", nominal_l=20.0, h0_mm=69.0, d_l_per_mm=0.002, material="stainless",
                scale_mm=(0.0, 130.0), resolution_mm=0.5, u95_pct=None)
CAN_A = replace(CAN_B, h0_mm=66.0)
# the small can of the MMQ item: 5 L at h0 = 50 mm, d = 0.5 mL/mm, stainless
CAN_5 = CanSpec(name="can5", serial="CAN-5", nominal_l=5.0, h0_mm=50.0, d_l_per_mm=0.0005, material="stainless",
                scale_mm=(0.0, 100.0), resolution_mm=0.5, u95_pct=None)


def _proc(*, edition: str = "2023", vtype: str = "first", can: CanSpec = CAN_B, mmq_can: CanSpec | None = CAN_5,
          drain_s: float = 0.0, **overrides: Any) -> Jjg443:
    """The procedure with station ``overrides``; the can's drain time (30 s in the table) is
    ``drain_s`` so that engine runs take no wall time unless a test times the drain."""
    items = overrides.setdefault("items", {})
    if isinstance(items, dict):
        items.setdefault("indication_error", {}).setdefault("drain_s", drain_s)
    return Jjg443(FuelParams(dispenser=DispenserSpec(serial="FD1", qmax_l_min=60.0, fuel="gasoline"), can=can,
                             edition=edition, verification_type=vtype, overrides=overrides, mmq_can=mmq_can))


# -- structure -------------------------------------------------------------------------------------
def test_2023_interface_steps_and_flow_points() -> None:
    p = _proc()
    assert [s.key for s in p.steps] == ["env_temperature", "env_humidity", "thermometers", "appearance", "link",
                                        "flow_point_1", "flow_point_2", "indication_summary", "display_check",
                                        "repeatability", "payment_error"]
    fp = [s.params for s in p.steps if s.key.startswith("flow_point")]
    assert [(f["point"], f["flow_target"], f["flow_window"]) for f in fp] == [("Q1", 57.0, [54.0, 60.0]),
                                                                           ("Q2", 24.0, [21.6, 26.4])]
    assert all(f["runs"] == 3 and f["preset_l"] == 20.0 for f in fp)
    assert p.code == "JJG 443-2023" and p.verification_type_zh() == "首次检定"
    points = [pt["text"] for pt in p.steps[3].params["points"]]  # type: ignore[attr-defined]
    assert any("软件标识" in pt for pt in points)
    assert REGISTRY["jjg443"] == (FuelParams, Jjg443)


def test_manual_input_has_no_link_steps() -> None:
    p = _proc(input="manual")
    keys = [s.key for s in p.steps]
    assert "link" not in keys and "display_check" not in keys and "flow_point_1" in keys


def test_2006_edition_limits() -> None:
    p = _proc(edition="2006", vtype="subsequent")
    rep = next(s for s in p.steps if s.key == "repeatability")
    assert rep.params["limit"] == 0.15 and p.code == "JJG 443-2006"
    assert p.edition["mmq"]["mpe_pct"] == 0.50
    points = [pt["text"] for pt in p.steps[3].params["points"]]  # type: ignore[attr-defined]
    assert not any("软件标识" in pt for pt in points) and not any("型式批准" in pt for pt in points)


def test_unknown_choices_refused() -> None:
    with pytest.raises(ValueError, match="edition"):
        _proc(edition="1998")
    with pytest.raises(ValueError, match="verification type"):
        _proc(vtype="annual")
    with pytest.raises(ValueError, match="input"):
        _proc(input="telepathy")
    with pytest.raises(ValueError, match="can material"):
        _proc(can=replace(CAN_B, material="brass"))
    with pytest.raises(ValueError, match="fuel"):
        Jjg443(FuelParams(dispenser=DispenserSpec(fuel="hydrogen"), can=CAN_B))


def test_overrides_change_runs_and_hash() -> None:
    base = _proc()
    p = _proc(editions={"2023": {"runs": 2}})
    assert [s.params["runs"] for s in p.steps if s.key.startswith("flow_point")] == [2, 2]
    assert p.procedure_hash != base.procedure_hash


def test_u95_from_can_budget_only_when_can_u95_given() -> None:
    assert _proc().u95_pct is None
    assert _proc(can=replace(CAN_B, u95_pct=0.025)).u95_pct == pytest.approx(0.0545, abs=1e-4)


def test_u95_of_a_can_at_the_ratio_limit_brings_the_guard_band() -> None:
    # a can of U95 0.09 % passes the 1/3 × 0.30 % = 0.1 % check before the run, but one run's budget
    # (can 0.045, neck 0.5·0.002/20·100/√3 = 0.0028868, display 0.005/20·100/√3 = 0.0144338, t_J
    # 0.2/√3·0.12 = 0.0138564, t_B 0.2/√3·0.115 = 0.0132791 %) gives u_c = √0.0026100 = 0.0510883,
    # U95 = 0.1022 % > MPE/3: a point is judged with the guard band (pass ≤ 0.19, undetermined
    # 0.20 … 0.40 rounded), and an undetermined one is measured again by the engine
    p = _proc(can=replace(CAN_B, u95_pct=0.09))
    assert p.u95_pct == pytest.approx(0.1022, abs=1e-4)
    checks = {c.role: c for c in p.uncertainty_checks()}
    assert checks["volume_standard"].limit_pct == pytest.approx(0.1) and not checks["volume_standard"].refusal("can", 0.09)
    assert "0.2 %" in checks["volume_standard"].refusal("can", 0.2)
    assert "mmq_standard" not in checks  # no MMQ item in 2023: the small can is not used


def test_period_six_months() -> None:
    period = _proc().table["period"]
    assert period["months"] == 6
    assert valid_until(date(2026, 11, 23), int(period.get("years", 0)), months=period["months"]) == date(2027, 5, 22)


def test_params_from_instrument_and_station_round_trip() -> None:
    inst = SimpleNamespace(serial="FD9", accuracy_class="0.3",
                           params_json=json.dumps({"qmax_l_min": 50.0, "fuel": "light_diesel", "nozzle": 2}))
    can_dev = SimpleNamespace(name="can", standard="CAN-7", u95_pct=0.03,
                              config={"nominal_l": 20.0, "h0_mm": 66.0, "d_l_per_mm": 0.002, "material": "carbon_steel",
                                      "scale_mm": [0, 120]})
    disp_dev = SimpleNamespace(name="dispenser")

    class Station:
        def __init__(self, devices: dict[str, Any], procedure: dict[str, Any]) -> None:
            self.devices, self.procedure = devices, procedure

        def device_for(self, role: str) -> Any:
            if role not in self.devices:
                raise ValueError(f"no device plays role {role!r}")
            return self.devices[role]

        def section(self, name: str) -> dict[str, Any]:
            return dict(self.procedure) if name == "procedure" else {}

    st = Station({"volume_standard": can_dev, "dispenser": disp_dev}, {})
    params = FuelParams.from_instrument(inst, st, edition="2015", verification_type="in_use")
    assert params.dispenser == DispenserSpec(serial="FD9", qmax_l_min=50.0, qmin_l_min=6.0, fuel="light_diesel", nozzle=2)
    assert params.can.serial == "CAN-7" and params.can.scale_mm == (0.0, 120.0) and params.can.u95_pct == 0.03
    assert FuelParams.from_dict(json.loads(json.dumps(params.to_dict()))) == params
    assert params.context() == {"dispenser_serial": "FD9"}
    assert Jjg443(params).beta_y == 9e-4 and Jjg443(params).beta_b == 33e-6
    with pytest.raises(ValueError, match="dispenser"):  # the interface path needs a dispenser on the station
        FuelParams.from_instrument(inst, Station({"volume_standard": can_dev}, {}), edition="2023")
    manual = FuelParams.from_instrument(inst, Station({"volume_standard": can_dev}, {"input": "manual"}), edition="2023")
    assert Jjg443(manual).input == "manual"


# -- through the engine ----------------------------------------------------------------------------
@dataclass
class FakeDispenser:
    """Plays ``dispenser``: every authorised delivery ends at once with the next scripted V_J and
    amount; the pulser counts ``pulser_l`` (default: the preset) per delivery."""

    volumes: list[float]
    amounts: list[float]
    pulser_l: list[float] | None = None
    fail_on_delivery: int | None = None  # the n-th authorise raises DeviceTimeout (a dropped line)
    stall_on_delivery: int | None = None  # the n-th delivery never starts (no power to the pump)
    name: str = "dispenser-test"
    price: float = 7.89
    serial: str = "FD1"
    log: list[str] = field(default_factory=list)
    pulses: int = 0
    deliveries: int = 0
    authorised: bool = False
    stalled_polls: int = 0

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def identify(self) -> DispenserInfo:
        return DispenserInfo("V", "M", self.serial, "1.0", "SW-1", 1, "test")

    async def read_price(self, nozzle: int = 1) -> float:
        return self.price

    async def authorize(self, nozzle: int, preset_l: float, flow_l_min: float) -> None:
        if self.fail_on_delivery is not None and self.deliveries + 1 == self.fail_on_delivery:
            self.fail_on_delivery = None
            raise DeviceTimeout(self.name, "no reply to AU")
        self.log.append(f"AU {preset_l:g} {flow_l_min:g}")
        self.authorised = True
        self.deliveries += 1
        counted = self.pulser_l[self.deliveries - 1] if self.pulser_l else preset_l
        if self.stall_on_delivery != self.deliveries:
            self.pulses += round(counted * 1000)
        self.flow, self.preset = flow_l_min, preset_l

    async def status(self) -> DispenserStatus:
        if self.stall_on_delivery == self.deliveries:
            self.stalled_polls += 1
            return DispenserStatus("authorized", 1, 0.0, 0.0, 0.0)
        return DispenserStatus("done", 1, self.volumes[self.deliveries - 1], 0.0, 0.0)

    async def read_last_transaction(self) -> DispenserTransaction:
        i = self.deliveries - 1
        return DispenserTransaction(i + 1, 1, self.volumes[i], self.amounts[i], self.price,
                                    self.volumes[i] / self.flow * 60)

    async def read_totalizer(self, nozzle: int = 1) -> Totalizer:
        return Totalizer(1000.0 + self.pulses / 1000, 0.0)

    async def read_pulser(self) -> PulserCount:
        return PulserCount(self.pulses, 1000.0)

    async def stop(self) -> None:
        self.authorised = False
        self.log.append("SP")


class Technician:
    """Answers entries from scripted can readings per flow point and run (a tuple, or a list of
    tuples by attempt ``@n`` of the delivery); reads the display as the interface reported it unless
    ``display`` scripts what the display shows; records refusals and the prompts asked. ``ambient``
    and ``division`` are answered in order (the last one repeats); ``choices`` answers the choice
    prompts whose text contains a key, in order (else the first option: ready / measure again)."""

    def __init__(self, can: dict[str, list[Any]], manual: dict[str, list[str]] | None = None,
                 price: str = "7.89 元/L", display: dict[str, list[str]] | None = None,
                 ambient: list[str] | None = None, division: list[str] | None = None,
                 choices: dict[str, list[str]] | None = None) -> None:
        self.can = can
        self.manual = {k: list(v) for k, v in (manual or {}).items()}  # answers in the order asked
        self.display = {k: list(v) for k, v in (display or {}).items()}
        self.ambient = list(ambient or ["21.0 °C"])
        self.division = list(division or ["0.1 °C"])
        self.choices = {k: list(v) for k, v in (choices or {}).items()}
        self.price = price
        self.errors: list[str] = []
        self.asked: list[str] = []
        self.prompts: list[OperatorPrompt] = []
        self.chosen: list[str] = []
        self.refuse: tuple[str, ...] = ()

    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        return {p: not any(r in p for r in self.refuse) for p in prompt.items}

    async def choice(self, prompt: OperatorPrompt) -> str:
        self.chosen.append(prompt.text)
        for key, answers in self.choices.items():
            if key in prompt.text and answers:
                want = answers.pop(0)
                return next(o for o in prompt.items if o.startswith(want))
        return prompt.items[0]

    @staticmethod
    def _next(answers: list[str]) -> str:
        return answers.pop(0) if len(answers) > 1 else answers[0]

    async def entry(self, prompt: OperatorPrompt) -> str:
        self.asked.append(prompt.text)
        self.prompts.append(prompt)
        if prompt.error:
            self.errors.append(prompt.error)
        text = prompt.text
        if text.startswith("环境温度"):
            return self._next(self.ambient)
        if text.startswith("温度计分度值"):
            return self._next(self.division)
        if text.startswith("相对湿度"):
            return "60 %"
        if text.startswith("加油机单价"):
            return self.price
        point = "Q1" if "(Q1" in text else "MMQ" if "(最小被测量" in text else "Q2"
        run = int(text.split("第")[1][0]) - 1
        attempt = int(text.split(" @")[1][0]) if " @" in text else 1
        for key, answers in self.manual.items():
            if text.startswith(key):
                return answers.pop(0)
        for key, answers in self.display.items():
            if text.startswith(key) and answers:
                return answers.pop(0)
        if prompt.suggested:  # an honest display shows what the interface reported: confirmed as it is
            return ""
        readings = self.can[point][run]
        h, tj, tb = readings[attempt - 1] if isinstance(readings, list) else readings
        if text.startswith("标准金属量器颈部读数"):
            return f"{h} mm"
        if text.startswith("油枪出口油温"):
            return f"{tj} °C"
        if text.startswith("量器内油温"):
            return f"{tb} °C"
        raise KeyError(text)


READINGS_B = {"Q1": [(38, 24.0, 23.0)] * 3, "Q2": [(59, 20.0, 20.0), (69, 20.0, 20.0), (79, 20.0, 20.0)]}


def _recorder(events: list[Event]) -> EventBus:
    bus = EventBus()
    bus.add_sink(events.append)
    return bus


async def _run(proc: Jjg443, dispenser: Any, operator: Any, persisted: PersistedState | None = None,
               events: list[Event] | None = None) -> Any:
    devices = {"dispenser": dispenser} if dispenser is not None else {}
    ctx = StepContext("r", _recorder(events if events is not None else []), devices, operator,
                      {"dispenser_serial": "FD1"}, persisted)
    return await Executor(proc, ctx).run()


async def test_interface_run_hand_worked_errors_repeatability_and_payment() -> None:
    amounts = [157.80] * 5 + [157.82]  # the last delivery is charged 0.02 元 too much
    disp = FakeDispenser(volumes=[20.00] * 6, amounts=amounts)
    proc = _proc()
    out = await _run(proc, disp, Technician(READINGS_B))
    assert out.status == "finished", out.message
    q1 = out.outcomes["flow_point_1"]
    assert q1.data["errors_pct"] == pytest.approx([0.1757268] * 3, abs=1e-6)
    assert q1.data["v_bt_l"] == pytest.approx([19.9649163] * 3, abs=1e-7)
    assert q1.results[0].rounded == "+0.18" and q1.results[0].verdict is Verdict.PASS
    q2 = out.outcomes["flow_point_2"]
    assert q2.data["errors_pct"] == pytest.approx([0.1001001, 0.0, -0.0999001], abs=1e-6)
    assert q2.results[0].rounded == "0.00"
    summary = out.outcomes["indication_summary"].results[0]
    assert summary.rounded == "+0.18" and "Q1" in summary.label and summary.verdict is Verdict.PASS
    rep = {r.label.split(" ")[0]: r for r in out.outcomes["repeatability"].results}
    assert rep["Q1"].rounded == "0.00" and rep["Q1"].verdict is Verdict.PASS
    assert rep["Q2"].mean == pytest.approx(0.2000002 / 1.69, abs=1e-6)
    assert rep["Q2"].rounded == "0.12" and rep["Q2"].verdict is Verdict.FAIL
    pay = out.outcomes["payment_error"].results[0]
    assert pay.rounded == "+0.02" and pay.verdict is Verdict.FAIL and "157.82" in out.outcomes["payment_error"].note
    assert [s.split(" ")[0] for s in disp.log].count("AU") == 6 and disp.log[-1] == "SP" and not disp.authorised
    assert disp.log[:2] == ["SP", "AU 20 57"] and "AU 20 24" in disp.log  # cleared, then preset at the flow target
    items = {i.key: i for i in proc.items(out.outcomes)}
    assert [i.name for i in items.values() if i.verdict is Verdict.FAIL] == ["重复性", "付费金额误差"]
    assert items["appearance"].verdict is Verdict.PASS and "SW-1" in items["appearance"].note
    assert proc.flags(out.outcomes) == ()
    env = proc.environment(out.outcomes)
    assert env == {"temperature_c": 21.0, "humidity_pct": 60.0}


async def test_stuck_display_fails_the_function_check_and_is_flagged() -> None:
    # the third Q1 delivery shows 12.34 L while the pulser counted the full 20 L
    disp = FakeDispenser(volumes=[20.00, 20.00, 12.34, 20.00, 20.00, 20.00], amounts=[157.80] * 6)
    proc = _proc()
    readings = {"Q1": [(38, 24.0, 23.0)] * 3, "Q2": [(69, 20.0, 20.0)] * 3}
    out = await _run(proc, disp, Technician(readings))
    items = {i.key: i for i in proc.items(out.outcomes)}
    assert items["appearance"].verdict is Verdict.FAIL and "stuck display" in items["appearance"].note
    assert items["indication_error"].verdict is Verdict.FAIL  # −38 % at that run drags the mean
    assert any("12.34 L" in f for f in proc.flags(out.outcomes))


async def test_display_is_the_indication_and_a_different_interface_value_fails_the_function_check() -> None:
    # Q1 run 1: the interface reports 20.00 L / 157.80 元, the display shows 20.02 L / 157.96 元
    # (20.02 × 7.89 = 157.9578 → 157.96). The display is the indication: E = (20.02 − 19.9649163)/19.9649163
    # = +0.2759025 %; runs 2, 3 as example B +0.1757268 % → mean +0.2091187 → '+0.21' (pass). The
    # reconciliation fails the function check on volume (+0.02 L) and amount (+0.16 元); payment passes.
    disp = FakeDispenser(volumes=[20.00] * 6, amounts=[157.80] * 6)
    op = Technician(READINGS_B, display={"加油机显示体积": ["20.02 L"], "加油机显示金额": ["157.96 元"]})
    proc = _proc()
    out = await _run(proc, disp, op)
    assert out.status == "finished", out.message
    q1 = out.outcomes["flow_point_1"]
    assert q1.data["v_j_l"] == [20.02, 20.0, 20.0] and q1.data["v_j_interface_l"] == [20.0, 20.0, 20.0]
    assert q1.data["errors_pct"] == pytest.approx([0.2759025, 0.1757268, 0.1757268], abs=1e-6)
    assert q1.results[0].mean == pytest.approx(0.2091187, abs=1e-6) and q1.results[0].rounded == "+0.21"
    assert all("interface" in src for src in q1.data["v_j_source"])
    offered = [(p.suggested, p.unit) for p in op.prompts if p.suggested]
    assert ("20", "L") in offered and ("157.8", "yuan") in offered  # the interface's values offered to confirm
    check = {r.name: r for r in out.outcomes["display_check"].results}
    # the pulser counted 20.00 L: +0.02 L is within its 0.02 L tolerance — the interface row catches it
    assert check["显示与脉冲一致性"].rounded == "+0.02" and check["显示与脉冲一致性"].verdict is Verdict.PASS
    assert check["显示与接口读数一致性 体积"].rounded == "+0.02" and check["显示与接口读数一致性 体积"].verdict is Verdict.FAIL
    assert check["显示与接口读数一致性 金额"].rounded == "+0.16" and check["显示与接口读数一致性 金额"].verdict is Verdict.FAIL
    assert out.outcomes["payment_error"].verdict is Verdict.PASS  # billed on what the display shows
    items = {i.key: i for i in proc.items(out.outcomes)}
    assert items["appearance"].verdict is Verdict.FAIL and "接口读数 20.00 L 不符" in items["appearance"].note
    assert "取自加油机显示器" in items["indication_error"].note


def _marks(events: list[Event]) -> list[ReadingTaken]:
    return [e for e in events if isinstance(e, ReadingTaken) and e.quantity == "condition_not_met"]


async def test_temperature_difference_repeats_the_delivery_then_passes() -> None:
    # Q1 run 2, first attempt: t_J = 24.0, t_B = 19.4 → |t_J − t_B| = 4.6 °C > 4 °C: not counted; the
    # operator repeats it (r2@2: 38 mm, 24.0/23.0 °C) and the point is example B's +0.18 on 3 runs
    disp = FakeDispenser(volumes=[20.00] * 7, amounts=[157.80] * 7)
    readings: dict[str, list[Any]] = {"Q1": [(38, 24.0, 23.0), [(38, 24.0, 19.4), (38, 24.0, 23.0)], (38, 24.0, 23.0)],
                                      "Q2": READINGS_B["Q2"]}
    events: list[Event] = []
    proc = _proc()
    op = Technician(readings)
    out = await _run(proc, disp, op, events=events)
    assert out.status == "finished", out.message
    marks = _marks(events)
    assert len(marks) == 1 and marks[0].key == "condition:r2@1"
    assert "Q1 (Qmax) 第2次: |t_J − t_B| = 4.6 °C > 4 °C" in marks[0].extra["reason"]
    assert any(t.startswith("检定条件不满足") and "4.6 °C > 4 °C" in t for t in op.chosen)
    q1 = out.outcomes["flow_point_1"]
    assert q1.data["runs"] == ["r1", "r2@2", "r3"] and q1.data["t_b_c"] == [23.0, 23.0, 23.0]
    assert q1.data["errors_pct"] == pytest.approx([0.1757268] * 3, abs=1e-6) and q1.results[0].rounded == "+0.18"
    assert disp.deliveries == 7  # the invalid delivery was really delivered again
    keys = {e.key for e in events if isinstance(e, ReadingTaken) and e.step_key == "flow_point_1"}
    assert {"r2:t_b", "r2@2:t_b", "r2@2:v_j"} <= keys  # the invalid one stays on disk, apart
    assert proc.flags(out.outcomes) == ()  # never a flag: the record rests on valid deliveries only
    assert out.outcomes["payment_error"].results[0].label.startswith("6 次加油")


async def test_temperature_difference_voided_by_the_operator_ends_the_run_void() -> None:
    disp = FakeDispenser(volumes=[20.00] * 6, amounts=[157.80] * 6)
    readings: dict[str, list[Any]] = {"Q1": [(38, 24.0, 19.4)] * 3, "Q2": READINGS_B["Q2"]}
    out = await _run(_proc(), disp, Technician(readings, choices={"检定条件不满足": ["本次检定无效"]}))
    assert out.status == "void" and "|t_J − t_B| = 4.6 °C > 4 °C" in out.message and "voided by the operator" in out.message
    assert "flow_point_1" not in out.outcomes and disp.log[-1] == "SP"


async def test_flow_outside_the_window_voids_the_run_after_the_attempts() -> None:
    # Q1 aimed at 0.8 × 60 = 48 L/min, outside its window 54~60: every attempt of run 1 is invalid;
    # after 3 attempts (the engine's default) the run is void without asking again
    proc = _proc(editions={"2023": {"flow_points": [
        {"key": "Q1", "label": "Q1", "min_frac": 0.9, "max_frac": 1.0, "target_frac": 0.8},
        {"key": "Q2", "label": "Q2", "min_frac": 0.36, "max_frac": 0.44, "target_frac": 0.4}]}})
    events: list[Event] = []
    op = Technician({"Q1": [[(38, 24.0, 23.0)] * 3] * 3, "Q2": READINGS_B["Q2"]})
    out = await _run(proc, FakeDispenser(volumes=[20.00] * 3, amounts=[157.80] * 3), op, events=events)
    assert out.status == "void"
    assert "流量 48.0 L/min 超出 Q1 窗口 54~60 L/min" in out.message and "3" in out.message
    assert [m.key for m in _marks(events)] == ["condition:r1@1", "condition:r1@2", "condition:r1@3"]
    assert sum(t.startswith("检定条件不满足") for t in op.chosen) == 2  # the third is void without asking


async def test_warm_fuel_repeats_the_delivery() -> None:
    # t_J = 31.0 °C > 30 °C: accepted as an entry (the thermometer shows it), not counted as a delivery
    readings: dict[str, list[Any]] = {"Q1": [[(38, 31.0, 30.0), (38, 24.0, 23.0)], (38, 24.0, 23.0), (38, 24.0, 23.0)],
                                      "Q2": READINGS_B["Q2"]}
    events: list[Event] = []
    out = await _run(_proc(), FakeDispenser(volumes=[20.00] * 7, amounts=[157.80] * 7), Technician(readings),
                     events=events)
    assert out.status == "finished", out.message
    assert "油温 t_J = 31 °C > 30 °C" in _marks(events)[0].extra["reason"]
    assert out.outcomes["flow_point_1"].results[0].rounded == "+0.18"


async def test_ambient_change_over_a_point_measures_the_point_again() -> None:
    # ambient 21.0 at the run's start and at Q1's start, 24.5 at its end: |24.5 − 21| = 3.5 °C > 3 °C →
    # Q1 is measured again as a whole (readings under "@2:"), then 21.0/21.0
    events: list[Event] = []
    op = Technician(READINGS_B, ambient=["21.0 °C", "21.0 °C", "24.5 °C", "21.0 °C"])
    disp = FakeDispenser(volumes=[20.00] * 9, amounts=[157.80] * 9)
    out = await _run(_proc(), disp, op, events=events)
    assert out.status == "finished", out.message
    marks = _marks(events)
    assert len(marks) == 1 and marks[0].step_key == "flow_point_1"
    assert "环境温度变化 |24.5 − 21| = 3.5 °C > 3 °C" in marks[0].extra["reason"]
    keys = [e.key for e in events if isinstance(e, ReadingTaken) and e.step_key == "flow_point_1"]
    assert "r3:v_j" in keys and "@2:r3:v_j" in keys and "@2:ambient_end_c" in keys
    assert disp.deliveries == 9 and out.outcomes["flow_point_1"].data["ambient_c"] == [21.0, 21.0]


async def test_ambient_out_of_range_and_coarse_thermometer_are_conditions_not_entries() -> None:
    # 45 °C is accepted as an entry (plausible) but outside −20~40 °C: entered again; a 0.5 °C
    # thermometer division is coarser than 0.2 °C: another thermometer, entered again
    events: list[Event] = []
    op = Technician(READINGS_B, ambient=["45 °C", "21.0 °C"], division=["0.5 °C", "0.1 °C"])
    out = await _run(_proc(), FakeDispenser(volumes=[20.00] * 6, amounts=[157.80] * 6), op, events=events)
    assert out.status == "finished", out.message
    reasons = [m.extra["reason"] for m in _marks(events)]
    assert reasons == ["环境温度 45 °C 超出 -20~40 °C (ambient temperature outside the conditions)",
                       "温度计分度值 0.5 °C > 0.2 °C (thermometer division too coarse)"]
    assert op.errors == []  # neither was refused as a typing error
    assert out.outcomes["env_temperature"].data["temperature_c"] == 21.0
    assert out.outcomes["thermometers"].data["thermometer_division_c"] == 0.1


async def test_can_not_wetted_repeats_then_is_timed_before_every_delivery() -> None:
    # the first confirmation of Q1 is "not ready": a condition not met; then every delivery is
    # preceded by the can's confirmation (wetting before the first of each point) and the drain wait
    events: list[Event] = []
    op = Technician(READINGS_B, choices={"润湿": ["未就绪"]})
    disp = FakeDispenser(volumes=[20.00] * 6, amounts=[157.80] * 6)
    out = await _run(_proc(drain_s=0.3), disp, op, events=events)
    assert out.status == "finished", out.message
    assert "标准金属量器未润湿并倒空" in _marks(events)[0].extra["reason"]
    cans = [c for c in op.chosen if ": 标准金属量器已" in c]
    assert len(cans) == 7 and sum("润湿" in c for c in cans) == 3  # Q1 twice (refused, then ready), Q2 once
    assert all("滴流 0.3 s" in c for c in cans)
    ready = [e for e in events if isinstance(e, ReadingTaken) and e.quantity == "can_prepared"]
    assert [e.value for e in ready] == [0.0] + [1.0] * 6 and ready[1].key == "r1@2:can_ready"
    drains = [e for e in events if isinstance(e, Progress) and "排空滴流" in e.message]
    assert sum("完成" in e.message for e in drains) == 6 and any("剩余" in e.message for e in drains)
    assert disp.deliveries == 6  # nothing was delivered into the can that was not ready


async def test_function_checks_per_point_with_outcomes() -> None:
    op = Technician(READINGS_B)
    op.refuse = ("自锁",)
    proc = _proc()
    out = await _run(proc, FakeDispenser(volumes=[20.00] * 6, amounts=[157.80] * 6), op)
    items = {i.key: i for i in proc.items(out.outcomes)}
    rows = {r.label.split("：")[0]: r for r in items["appearance"].results if r.name == "功能检查"}
    assert list(rows) == ["回零", "自锁", "掉电保护", "复显", "编码器、计控主板与型式批准一致 / encoder and main board consistent with "
                          "the type approval"]
    assert rows["自锁"].rounded == "不符合" and rows["自锁"].verdict is Verdict.FAIL
    assert all(r.rounded == "符合" for k, r in rows.items() if k != "自锁")
    assert items["appearance"].verdict is Verdict.FAIL and "不符合: 自锁" in items["appearance"].note
    assert [r.name for r in items["appearance"].results[:4]] == ["外观检查"] * 4  # 3 appearance points + software id
    old = _proc(edition="2006")
    texts = [pt["text"] for pt in old.steps[3].params["points"]]  # type: ignore[attr-defined]
    assert sum(t.startswith(("回零", "自锁", "掉电保护", "复显")) for t in texts) == 4
    assert not any("型式批准" in t for t in texts)
    fp = old.table["editions"]["2023"]["function_points"]
    assert all(p["clause"] == "OPEN" and p["tag"] for p in fp)


async def test_no_flow_after_authorisation_pauses_then_resume_keeps_deliveries() -> None:
    # the 4th delivery (Q2 run 1) never starts: neither the display nor the pulser advances for
    # no_flow_s → NoFlow (a DeviceError): the run pauses, the three Q1 deliveries kept
    disp = FakeDispenser(volumes=[20.00] * 7, amounts=[157.80] * 7, stall_on_delivery=4)
    events: list[Event] = []
    proc = _proc(items={"indication_error": {"no_flow_s": 0.2, "poll_s": 0.01}})
    first = await _run(proc, disp, Technician(READINGS_B), events=events)
    assert first.status == "paused" and first.device == "dispenser-test"
    assert "Q2 第1次: 授权后 0.2 s 内显示体积与脉冲均无增加" in first.message and "no volume advancing" in first.message
    assert disp.stalled_polls >= 2 and disp.log[-1] == "SP" and not disp.authorised
    persisted = PersistedState(
        completed={e.step_key: e.outcome for e in events if isinstance(e, StepFinished)},
        readings=[StoredReading(e.step_key, e.key, e.quantity, e.value, e.unit, e.source, e.extra)
                  for e in events if isinstance(e, ReadingTaken)])
    assert "flow_point_1" in persisted.completed and "r1:interface" not in persisted.readings_for("flow_point_2")
    disp.stall_on_delivery = None  # power back
    second = await _run(proc, disp, Technician(READINGS_B), persisted)
    assert second.status == "finished", second.message
    assert disp.deliveries == 7  # the stalled one delivered nothing and was authorised again
    assert second.outcomes["flow_point_2"].data["errors_pct"] == pytest.approx([0.1001001, 0.0, -0.0999001], abs=1e-6)


async def test_manual_path_example_a_fails_and_wrong_units_are_refused() -> None:
    # worked example A at Q1 (can h0 = 66 mm, reading 31 mm, 24 °C both) → +0.33 % → fails ±0.30 %
    manual = {"加油机显示体积": ["20.00 kg", "20.00 L", "20.00", "20000 mL", "20.00", "20.00", "20.00"],
              "加油机显示金额": ["157.80 元"] * 6, "加油流量": ["57 L/min"] * 3 + ["24"] * 3}
    readings = {"Q1": [(31, 24.0, 24.0)] * 3, "Q2": [(66, 20.0, 20.0)] * 3}

    class Clumsy(Technician):
        first_neck = True

        async def entry(self, prompt: OperatorPrompt) -> str:
            if prompt.text.startswith("标准金属量器颈部读数") and self.first_neck:
                self.first_neck = False
                return "31 L"  # a volume where the scale is read in mm
            return await super().entry(prompt)

    op = Clumsy(readings, manual)
    proc = _proc(input="manual", can=CAN_A)
    out = await _run(proc, None, op)
    assert out.status == "finished", out.message
    # "20.00 kg" for the display volume, then "31 L" for the neck reading: both refused with the reason
    assert len(op.errors) == 2 and all("单位错误" in e for e in op.errors)
    assert "L" in op.errors[0] and "mm" in op.errors[1]
    q1 = out.outcomes["flow_point_1"].results[0]
    assert q1.values == pytest.approx((0.3311631,) * 3, abs=1e-6)
    assert q1.rounded == "+0.33" and q1.verdict is Verdict.FAIL
    assert out.outcomes["payment_error"].results[0].verdict is Verdict.PASS
    assert any(t.startswith("加油机单价") for t in op.asked)
    failing = [i.name for i in proc.items(out.outcomes) if i.verdict is Verdict.FAIL]
    assert failing == ["示值误差"]


async def test_manual_entries_out_of_range_refused() -> None:
    manual = {"加油机显示体积": ["25 L", "20.00", "20.00", "20.00", "20.00", "20.00", "20.00"],
              "加油机显示金额": ["157.80"] * 6, "加油流量": ["57"] * 3 + ["24"] * 3}
    op = Technician({"Q1": [(69, 20.0, 20.0)] * 3, "Q2": [(69, 20.0, 20.0)] * 3}, manual)
    out = await _run(_proc(input="manual"), None, op)
    assert out.status == "finished"
    assert len(op.errors) == 1 and "超出允许范围 [19, 21]" in op.errors[0]


async def test_dropped_line_pauses_and_resume_keeps_deliveries() -> None:
    disp = FakeDispenser(volumes=[20.00] * 6, amounts=[157.80] * 6, fail_on_delivery=5)
    proc = _proc()
    events: list[Event] = []
    first = await _run(proc, disp, Technician(READINGS_B), events=events)
    assert first.status == "paused" and first.device == "dispenser-test" and "AU" in first.message
    assert disp.log[-1] == "SP"  # torn down
    persisted = PersistedState(
        completed={e.step_key: e.outcome for e in events if isinstance(e, StepFinished)},
        readings=[StoredReading(e.step_key, e.key, e.quantity, e.value, e.unit, e.source, e.extra)
                  for e in events if isinstance(e, ReadingTaken)])
    assert "flow_point_1" in persisted.completed
    assert set(persisted.readings_for("flow_point_2")) >= {"r1:v_j", "r1:h_mm", "r1:t_b"}
    second = await _run(_proc(), disp, Technician(READINGS_B), persisted)
    assert second.status == "finished", second.message
    assert disp.deliveries == 6  # 4 before the fault, 2 after: nothing delivered twice
    assert second.outcomes["flow_point_2"].data["errors_pct"] == pytest.approx([0.1001001, 0.0, -0.0999001], abs=1e-6)


def test_dispenser_role_protocol() -> None:
    assert isinstance(FakeDispenser([], []), DispenserLink)


# -- minimum measured quantity (最小被测量, item "mmq") ---------------------------------------------
# MMQ can CAN_5: V_B = 5 + (h − 50)·0.0005 L; gasoline β_Y = 12e-4, stainless β_B = 50e-6; d_n = 1.69.
# Q1/Q2 as in READINGS_B (pass). Hand-worked MMQ runs:
# - pass (interface): t_J = 24 °C, t_B = 23 °C → factor 1 + 12e-4·1 + 50e-6·3 = 1.00135;
#   h = 30, 34, 40 mm → V_B = 4.990, 4.992, 4.995 L → V_Bt = 4.9967365, 4.9987392, 5.0017433 L;
#   V_J = 5.00, 5.00, 5.01 L → E = 0.0032635/4.9967365 = +0.0653126 %, 0.0012608/4.9987392 = +0.0252224 %,
#   0.0082568/5.0017433 = +0.1650774 % → mean 0.2556124/3 = +0.0852041 → '+0.09' ≤ 0.50 pass;
#   E_n = (0.1650774 − 0.0252224)/1.69 = 0.1398550/1.69 = 0.0827544 → '0.08' ≤ 0.25 pass.
# - error fails (manual): 20 °C both (factor 1); h = 10, 14, 18 → V_B = 4.980, 4.982, 4.984 L; V_J = 5.01 L
#   → E = 0.030/4.980 = +0.6024096, 0.028/4.982 = +0.5620233, 0.026/4.984 = +0.5216693 % → mean
#   1.6861022/3 = +0.5620341 → '+0.56' > 0.50 fail; E_n = 0.0807403/1.69 = 0.0477753 → '0.05' pass.
# - repeatability fails (interface): 20 °C; h = 28, 50, 72 → V_B = 4.989, 5.000, 5.011 L; V_J = 5.00 L →
#   E = 0.011/4.989 = +0.2204851, 0, −0.011/5.011 = −0.2195171 % → mean 0.000968/3 = +0.0003227 → '0.00'
#   pass; E_n = 0.4400022/1.69 = 0.2603563 → '0.26' > 0.25 fail.
# - U95 of an MMQ run (5 L can, U = 0.025 %, k = 2): u = 0.0125 (can), 0.5·0.0005/5·100/√3 = 0.0028868
#   (neck), 0.005/5·100/√3 = 0.0577350 (display), 0.2/√3·0.12 = 0.0138564 (t_J), 0.2/√3·0.115 = 0.0132791
#   (t_B) → u_c = √0.0038662 = 0.0621792 → U95 = 0.1243583 → 0.1244 % (< 0.50/3: the simple rule).
MMQ_PASS = [(30, 24.0, 23.0), (34, 24.0, 23.0), (40, 24.0, 23.0)]
MMQ_ON_2023 = {"editions": {"2023": {"items": ["appearance", "indication_error", "repeatability", "mmq",
                                                "payment_error"]}}}


def test_mmq_in_2006_items_off_for_2023_and_2015() -> None:
    assert "mmq" not in [s.item for s in _proc(mmq_can=None).steps]  # 2023 runs without a small can
    assert "mmq" not in [s.item for s in _proc(edition="2015", mmq_can=None).steps]
    p = _proc(edition="2006")
    keys = [s.key for s in p.steps]
    assert keys[keys.index("indication_summary") + 1:] == ["mmq", "mmq_repeatability", "display_check", "repeatability",
                                                            "payment_error"]
    mmq = next(s for s in p.steps if s.key == "mmq")
    assert mmq.params["preset_l"] == 5.0 and mmq.params["volume_range"] == [4.75, 5.25]
    assert (mmq.params["flow_target"], mmq.params["flow_window"]) == (24.0, [21.6, 26.4])  # the Q2 window [OPEN]
    assert mmq.params["can"] == {"nominal_l": 5.0, "h0_mm": 50.0, "d_l_per_mm": 0.0005, "scale_mm": [0.0, 100.0]}
    assert mmq.measurements[0].mpe == 0.50 and mmq.measurements[0].rounding_interval == "0.01"
    rep = next(s for s in p.steps if s.key == "mmq_repeatability")
    assert rep.params["limit"] == 0.25 and rep.params["points"] == ["mmq"] and rep.params["d_n"]["3"] == 1.69
    assert next(s for s in p.steps if s.key == "payment_error").params["points"][-1] == "mmq"
    assert next(s for s in p.steps if s.key == "display_check").params["points"][-1] == "mmq"
    assert p.item_keys == ["appearance", "indication_error", "repeatability", "mmq", "payment_error"]
    assert p.edition["mmq"]["tag"] == "R sec." and _proc().edition["mmq"]["tag"] == "OPEN"


def test_mmq_switched_on_per_edition_by_the_station() -> None:
    p = _proc(**MMQ_ON_2023)
    assert "mmq" in [s.key for s in p.steps] and p.procedure_hash != _proc().procedure_hash
    q = _proc(items={"mmq": {"flow": {"label": "Qmin", "min_frac": 0.10, "max_frac": 0.12, "target_frac": 0.11}}},
              **MMQ_ON_2023)
    assert next(s for s in q.steps if s.key == "mmq").params["flow_window"] == [6.0, 7.2]
    with pytest.raises(ValueError, match=r"editions\.\"2023\"\] items"):  # a top-level list would replace [items]
        _proc(items=["appearance", "mmq"])
    with pytest.raises(ValueError, match="unknown items"):
        _proc(editions={"2023": {"items": ["appearance", "mmq_typo"]}})


def test_mmq_needs_a_can_of_the_mmq_volume() -> None:
    with pytest.raises(ValueError, match="mmq_standard"):
        _proc(edition="2006", mmq_can=None)
    with pytest.raises(ValueError, match="标称容量 10 L"):
        _proc(edition="2006", mmq_can=replace(CAN_5, nominal_l=10.0))
    with pytest.raises(ValueError, match="can material"):
        _proc(edition="2006", mmq_can=replace(CAN_5, material="brass"))
    assert _proc(edition="2006", editions={"2006": {"mmq": {"volume_l": 10.0}}},
                 mmq_can=replace(CAN_5, nominal_l=10.0)).edition["mmq"]["volume_l"] == 10.0


def test_mmq_u95_from_the_small_cans_budget() -> None:
    p = _proc(edition="2006", can=replace(CAN_B, u95_pct=0.025), mmq_can=replace(CAN_5, u95_pct=0.025))
    assert p.mmq_u95_pct == pytest.approx(0.1244, abs=1e-4) and p.u95_pct == pytest.approx(0.0545, abs=1e-4)
    assert next(s for s in p.steps if s.key == "mmq").params["u95"] == p.mmq_u95_pct
    assert _proc(edition="2006").mmq_u95_pct is None


async def test_mmq_interface_run_hand_worked_pass() -> None:
    volumes = [20.00] * 6 + [5.00, 5.00, 5.01]
    amounts = [157.80] * 6 + [39.45, 39.45, 39.53]  # 5.01 × 7.89 = 39.5289 → 39.53
    disp = FakeDispenser(volumes=volumes, amounts=amounts)
    proc = _proc(edition="2006")
    out = await _run(proc, disp, Technician({**READINGS_B, "MMQ": MMQ_PASS}))
    assert out.status == "finished", out.message
    mmq = out.outcomes["mmq"]
    assert mmq.data["v_b_l"] == pytest.approx([4.990, 4.992, 4.995], abs=1e-9)
    assert mmq.data["v_bt_l"] == pytest.approx([4.9967365, 4.9987392, 5.0017433], abs=1e-7)
    assert mmq.data["errors_pct"] == pytest.approx([0.0653126, 0.0252224, 0.1650774], abs=1e-6)
    r = mmq.results[0]
    assert r.name == "示值误差" and r.mean == pytest.approx(0.0852041, abs=1e-6)
    assert r.rounded == "+0.09" and r.mpe == 0.50 and r.verdict is Verdict.PASS and r.label.startswith("最小被测量 5 L")
    rep = out.outcomes["mmq_repeatability"].results[0]
    assert rep.mean == pytest.approx(0.0827544, abs=1e-6) and rep.rounded == "0.08" and rep.verdict is Verdict.PASS
    assert "AU 5 24" in disp.log and disp.deliveries == 9  # preset the MMQ volume at the Q2 flow target
    items = {i.key: i for i in proc.items(out.outcomes)}
    assert items["mmq"].name == "最小被测量示值误差" and items["mmq"].verdict is Verdict.PASS
    assert [x.name for x in items["mmq"].results] == ["示值误差", "重复性"]
    assert items["mmq"].clause == ""  # OPEN in every edition (clauses_open): printed as "—"
    assert items["mmq"].layout == "error_of_mean" and items["mmq"].results[1].layout == "limit"  # row_layouts
    assert items["payment_error"].results[0].label.startswith("9 次加油")  # the MMQ deliveries are billed too
    assert out.outcomes["display_check"].results[0].label.startswith("9 次加油")
    assert all(i.verdict is Verdict.PASS for i in items.values() if i.key != "repeatability")


async def test_mmq_repeatability_fails_alone() -> None:
    disp = FakeDispenser(volumes=[20.00] * 6 + [5.00] * 3, amounts=[157.80] * 6 + [39.45] * 3)
    proc = _proc(**MMQ_ON_2023)
    out = await _run(proc, disp, Technician({**READINGS_B, "MMQ": [(28, 20.0, 20.0), (50, 20.0, 20.0),
                                                                   (72, 20.0, 20.0)]}))
    assert out.status == "finished", out.message
    assert out.outcomes["mmq"].data["errors_pct"] == pytest.approx([0.2204851, 0.0, -0.2195171], abs=1e-6)
    assert out.outcomes["mmq"].results[0].rounded == "0.00" and out.outcomes["mmq"].verdict is Verdict.PASS
    rep = out.outcomes["mmq_repeatability"].results[0]
    assert rep.mean == pytest.approx(0.2603563, abs=1e-6) and rep.rounded == "0.26" and rep.verdict is Verdict.FAIL
    assert rep.mpe == 0.25 and rep.label.startswith("MMQ (n = 3")
    items = {i.key: i for i in proc.items(out.outcomes)}
    assert items["mmq"].verdict is Verdict.FAIL and list(items)[3] == "mmq"


async def test_mmq_manual_path_error_fails() -> None:
    manual = {"加油机显示体积": ["20.00"] * 6 + ["5.01"] * 3, "加油机显示金额": ["157.80"] * 6 + ["39.53"] * 3,
              "加油流量": ["57"] * 3 + ["24"] * 3 + ["23.5"] * 3}
    op = Technician({**READINGS_B, "MMQ": [(10, 20.0, 20.0), (14, 20.0, 20.0), (18, 20.0, 20.0)]}, manual)
    proc = _proc(edition="2006", input="manual")
    out = await _run(proc, None, op)
    assert out.status == "finished", out.message
    assert any(t.startswith("加油机显示体积 V_J (最小被测量 5 L 第1次; 以约 24 L/min 加油 5 L") for t in op.asked)
    r = out.outcomes["mmq"].results[0]
    assert r.values == pytest.approx((0.6024096, 0.5620233, 0.5216693), abs=1e-6)
    assert r.mean == pytest.approx(0.5620341, abs=1e-6) and r.rounded == "+0.56" and r.verdict is Verdict.FAIL
    rep = out.outcomes["mmq_repeatability"].results[0]
    assert rep.rounded == "0.05" and rep.verdict is Verdict.PASS
    failing = [i.name for i in proc.items(out.outcomes) if i.verdict is Verdict.FAIL]
    assert failing == ["最小被测量示值误差"]  # Q2's E_n '0.12' passes the 2006 limit 0.15 (fails 2023's 0.10)
    assert proc.flags(out.outcomes) == ()  # 23.5 L/min is inside the Q2 window 21.6~26.4


def test_params_with_mmq_can_from_station_round_trip() -> None:
    inst = SimpleNamespace(serial="FD9", params_json="{}")
    can = SimpleNamespace(name="can", standard="CAN-7", u95_pct=0.025, config={"h0_mm": 66.0, "d_l_per_mm": 0.002})
    can5 = SimpleNamespace(name="can5", standard="CAN-5", u95_pct=0.03,
                           config={"nominal_l": 5.0, "h0_mm": 50.0, "d_l_per_mm": 0.0005, "scale_mm": [0, 100]})

    class Station:
        def __init__(self, devices: dict[str, Any]) -> None:
            self.devices = devices

        def device_for(self, role: str) -> Any:
            if role not in self.devices:
                raise ValueError(f"no device plays role {role!r}")
            return self.devices[role]

        def section(self, name: str) -> dict[str, Any]:
            return {"input": "manual"} if name == "procedure" else {}

    params = FuelParams.from_instrument(inst, Station({"volume_standard": can, "mmq_standard": can5}), edition="2006")
    assert params.mmq_can == CanSpec(name="can5", serial="CAN-5", nominal_l=5.0, h0_mm=50.0, d_l_per_mm=0.0005,
                                     scale_mm=(0.0, 100.0), u95_pct=0.03)
    assert FuelParams.from_dict(json.loads(json.dumps(params.to_dict()))) == params
    assert Jjg443(params).mmq_u95_pct is not None
    without = FuelParams.from_instrument(inst, Station({"volume_standard": can}), edition="2023")
    assert without.mmq_can is None and "mmq_can" not in without.to_dict()  # the form stored before the item
    assert FuelParams.from_dict(without.to_dict()) == without
    with pytest.raises(ValueError, match="mmq_standard"):
        Jjg443(replace(without, edition="2006"))


# -- the real-time plan ------------------------------------------------------------------------------
# Nominal times (data/plan.toml): entry 15 s, checklist point 10 s, display reading 20 s, connect 10 s.
# Can 20 L, drain 30 s (the table's), Qmax 60 L/min: Q1 at 57 L/min fills the can in 20/57 × 60 =
# 21.0526 s, Q2 at 24 L/min in 50 s. A delivery (interface path) = fill + 30 s drain + 10 s confirming
# the can + 2 display readings × 20 s + 3 can/thermometer readings × 15 s; a point = 2 ambient entries
# × 15 s + the wetting fill + 3 deliveries:
#   Q1: 30 + 21.0526 + 3 × (21.0526 + 30 + 10 + 40 + 45) = 489.2105 s
#   Q2: 30 + 50 + 3 × (50 + 30 + 10 + 40 + 45) = 605 s
# Display resolution 0.01 L in 20 L = 0.05 % > MPE/10 = 0.03 %: not met (33.3 L would be needed).

def _plan(proc: Jjg443, **ops: float) -> dict[str, Any]:
    """The procedure's plan by step key (station operator times ``ops`` overriding)."""
    if ops:
        proc.params.overrides["plan"] = {"operator": ops}
    return {s.key: s for s in proc.plan()}


def test_plan_interface_2023_hand_worked() -> None:
    plan = _plan(_proc(drain_s=30.0))
    assert plan["flow_point_1"].seconds == pytest.approx(489.2105, abs=1e-3)
    assert plan["flow_point_2"].seconds == pytest.approx(605.0, abs=1e-9)
    why = plan["flow_point_1"].why
    assert "3 次 × 20 L 于 57 L/min，每次 21.1 s" in why and "首次前润湿注满 1 次 21.1 s" in why
    assert "滴流 30 s" in why and "读数 5 项" in why
    assert "0.01 L / 20 L = 0.050 % > MPE/10 = 0.030 %（不满足，需 ≥ 33.3 L）" in why
    assert (plan["env_temperature"].seconds, plan["env_humidity"].seconds, plan["thermometers"].seconds) == (15, 15, 15)
    assert plan["appearance"].seconds == 10 * 10  # 4 appearance + 1 software id (2023) + 5 function points
    assert plan["link"].seconds == 10
    assert plan["payment_error"].seconds == 20  # the displayed unit price, read once
    for key in ("indication_summary", "display_check", "repeatability"):
        assert plan[key].seconds == 0 and "计算" in plan[key].why
    total = sum(s.seconds for s in plan.values())
    assert total == pytest.approx(45 + 100 + 10 + 489.2105 + 605 + 20, abs=1e-3)


def test_plan_manual_path_reads_the_flow_too_and_no_wetting_when_the_table_says() -> None:
    plan = _plan(_proc(input="manual", drain_s=30.0, items={"indication_error": {"wetting": False}}))
    assert "link" not in plan and "display_check" not in plan
    # 3 × (50 + 30 + 10 + 3 display readings × 20 + 3 × 15) + 2 × 15, no wetting fill
    assert plan["flow_point_2"].seconds == pytest.approx(30 + 3 * 195, abs=1e-9)
    assert "读数 6 项" in plan["flow_point_2"].why and "润湿" not in plan["flow_point_2"].why


def test_plan_follows_the_stations_operator_times() -> None:
    plan = _plan(_proc(drain_s=30.0), display_reading_s=10.0, entry_s=5.0, checklist_point_s=2.0)
    # Q2: 2 × 5 + 50 + 3 × (50 + 30 + 2 + 2 × 10 + 3 × 5)
    assert plan["flow_point_2"].seconds == pytest.approx(10 + 50 + 3 * 117, abs=1e-9)


def test_plan_mmq_2006_hand_worked_and_resolution_stated() -> None:
    plan = _plan(_proc(edition="2006", drain_s=30.0))
    # 5 L at 24 L/min: 12.5 s; 2 × 15 + 12.5 + 3 × (12.5 + 30 + 10 + 40 + 45)
    assert plan["mmq"].seconds == pytest.approx(30 + 12.5 + 3 * 137.5, abs=1e-9)
    assert "0.01 L / 5 L = 0.200 % > MPE/10 = 0.050 %（不满足，需 ≥ 20.0 L）" in plan["mmq"].why
    assert plan["mmq_repeatability"].seconds == 0


def test_plan_states_when_the_resolution_rule_is_met() -> None:
    plan = _plan(_proc(drain_s=30.0, editions={"2023": {"mpe_pct": 0.5}}))  # 0.05 % ≤ MPE/10 = 0.05 %
    assert "0.01 L / 20 L = 0.050 % ≤ MPE/10 = 0.050 %（满足）" in plan["flow_point_1"].why


@pytest.mark.parametrize("edition", ["2023", "2015", "2006"])
@pytest.mark.parametrize("mode", ["interface", "manual"])
def test_plan_models_every_step(edition: str, mode: str) -> None:
    proc = _proc(edition=edition, input=mode, **(MMQ_ON_2023 if edition == "2023" else {}))
    steps = proc.plan()
    assert [s.key for s in steps] == [s.key for s in proc.steps]
    assert not [s.key for s in steps if "未建模" in s.why]
    assert all(s.seconds > 0 for s in steps if s.key.startswith(("flow_point", "env_", "appearance")))


async def test_plan_counts_the_readings_a_delivery_asks() -> None:
    """The plan's readings per delivery are the prompts the step asks: counted in real runs of both
    input paths (every entry prompt of a delivery carries its label "<point> 第k次")."""
    for mode in ("interface", "manual"):
        manual = ({"加油机显示体积": ["20.00"] * 6, "加油机显示金额": ["157.80"] * 6, "加油流量": ["57"] * 3 + ["24"] * 3}
                  if mode == "manual" else None)
        op = Technician(READINGS_B, manual)
        proc = _proc(input=mode)
        disp = FakeDispenser(volumes=[20.00] * 6, amounts=[157.80] * 6) if mode == "interface" else None
        events: list[Event] = []
        out = await _run(proc, disp, op, events=events)
        assert out.status == "finished", out.message
        plan = _plan(proc)
        started = next(e for e in events if isinstance(e, RunStarted))  # the run carries its plan
        assert started.planned_s == {k: s.seconds for k, s in plan.items()}
        for point, label in (("flow_point_1", "Q1 (Qmax)"), ("flow_point_2", "Q2")):
            for k in (1, 2, 3):
                asked = [t for t in op.asked if f"({label} 第{k}次" in t]
                assert f"读数 {len(asked)} 项" in plan[point].why, (mode, point, asked)
                assert len([t for t in op.chosen if f"{label} 第{k}次" in t]) == 1  # the can confirmed once
