"""The driver × fault matrix, from station files alone (issue 17 line 5): for every link a
technician meets — the reference meter on Modbus TCP and on Modbus RTU, the AC post on OCPP 1.6J,
the DC charger's GB/T 27930 CAN link, the fuel dispenser's line, the water bench and its scale, the
energy-meter bench — and every fault its twin can make (no answer, a cut cable, garbage, a wrong
CRC, replies just under and just over the deadline, a stuck value), a demo station file is written
with one ``[[sim.faults]]`` entry starting at a step in the middle of the run, and the run is
executed as an operator would. No Python touches a twin: the station file is the only lever.

Per cell: the run either pauses with a one-line message naming the device and saying what
happened (silent, link lost, garbled, late, stuck) or absorbs the fault and finishes with a sane
record; the readings taken before the pause are all still on disk, unchanged, after ``resume``,
and the resumed run (the fault belongs to the first session) finishes. Kept lean: short deadlines,
fast twins, small benches, one run and one resume per cell.
"""

from __future__ import annotations

import re
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from bench.cli import DEMO_STANDARDS, demo_entries
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from bench.station import example_station_path, load_station
from bench.store import Store
from procedures.engine import RunWarning

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(sys.platform == "win32", reason="serial twins run on pseudo-terminals"),
]


def _set(text: str, section: str, key: str, value: str) -> str:
    """The station text with ``key = value`` in ``[section]`` (replaced, or added under its header)."""
    found = re.search(rf"^\[{re.escape(section)}\][ \t]*(#.*)?\n", text, re.M)
    assert found, section
    start = found.end()
    end = text.find("\n[", start)
    end = len(text) if end < 0 else end
    body = text[start:end]
    line = re.compile(rf"^{re.escape(key)}\s*=.*$", re.M)
    body = line.sub(f"{key} = {value}", body, count=1) if line.search(body) else f"{key} = {value}\n{body}"
    return text[:start] + body + text[end:]


LINKS = {
    # link: (demo station, regulation, device, the step the fault starts at, station edits, the names a message may use)
    "modbus_tcp": ("ac", "jjg1148", "reference", "working_error_2",
                   [("sim", "speed", "3000"), ("devices.reference", "timeout_s", "0.4"),
                    ("devices.reference", "retries", "1")], ("reference",)),
    "modbus_rtu": ("ac", "jjg1148", "reference", "working_error_2",
                   [("sim", "speed", "3000"), ("devices.reference", "transport", '"rtu"'),
                    ("devices.reference", "port", '"/dev/ttyUSB0"'), ("devices.reference", "baudrate", "115200"),
                    ("devices.reference", "timeout_s", "0.4"), ("devices.reference", "retries", "1")], ("reference",)),
    "ocpp": ("ac", "jjg1148", "charger", "working_error_2",
             [("sim", "speed", "3000"), ("devices.charger", "call_timeout_s", "1.5")], ("charger", "SIM0001")),
    "can": ("dc", "jjg1149", "bms", "working_error_1",
            [("sim", "speed", "300"), ("procedure.session", "min_energy_kwh", "3.0")], ("bms", "BMS", "CAN")),
    "dispenser": ("fuel", "jjg443", "dispenser", "flow_point_2",
                  [("sim", "speed", "600"), ("devices.dispenser", "timeout_s", "0.3"),
                   ("devices.dispenser", "retries", "1")], ("dispenser", "加油机")),
    "flow_bench": ("water", "jjg162", "bench", "q2",
                   [("sim", "speed", "4000"), ("bench", "positions", "4"), ("devices.bench", "timeout_s", "0.4"),
                    ("devices.bench", "retries", "1")], ("bench",)),
    "scale": ("water", "jjg162", "scale", "q2",
              [("sim", "speed", "4000"), ("bench", "positions", "4"), ("devices.scale", "timeout_s", "0.4")], ("scale", "秤")),
    "meter_bench": ("meter", "jjg596", "bench", "basic_error_2",
                    [("sim", "speed", "1000"), ("bench", "positions", "4"), ("devices.bench", "positions", "4"),
                     ("devices.meters", "positions", "4"), ("devices.bench", "timeout_s", "0.4"),
                     ("devices.bench", "retries", "1"), ("devices.meters", "timeout_s", "0.3")], ("bench",)),
}

DEADLINE = {"modbus_tcp": 0.4, "modbus_rtu": 0.4, "ocpp": 1.5, "can": 1.0, "dispenser": 0.3, "flow_bench": 0.4,
            "scale": 0.4, "meter_bench": 0.4}
"""Each link's deadline in the station above (CAN: the BMS's CCS timeout, GB/T 27930 — 1 s)."""

FAULTS = {  # matrix fault: the [[sim.faults]] keys
    "silent": 'fault = "silent"',
    "disconnect": 'fault = "disconnect"',
    "garbage": 'fault = "garbage"\nvalue = "truncated"',
    "crc": 'fault = "crc"',
    "slow_under": 'fault = "latency"\nvalue = {under}\nduration_s = 3',  # a stretch of slow replies
    "slow_over": 'fault = "latency"\nvalue = {over}',
    "stuck": 'fault = "stuck"',
}

STUCK_POSITIONS = {"flow_bench": "[2]", "meter_bench": "[2]"}
"""A bench's stuck value is per position: these stick."""

NOT_ON_THIS_LINK = {("ocpp", "crc"), ("can", "crc"), ("scale", "crc")}
"""Cells the link has no such thing for: OCPP rides on TCP and CAN checks its own frames in
hardware (a CRC error never reaches the application), a scale's reply line carries no checksum."""

SAYS = {  # what a pause message must say (any of), per matrix fault
    "silent": ("无应答", "no answer", "silent", "not connected", "未连接", "未收到", "timeout", "超时"),
    "disconnect": ("连接断开", "连接已断开", "link lost", "connection lost", "no answer", "无应答", "未收到",
                   "not connected", "未连接", "timeout", "超时"),
    "garbage": ("garbled", "malformed"),
    "crc": ("garbled", "校验", "checksum", "CRC"),
    "slow_over": ("late", "迟", "no answer", "无应答", "未收到", "timeout", "超时"),
    "stuck": ("stuck", "停滞", "no pulses", "不变", "unstable", "稳定"),
}

ABSORBED = {*((link, "slow_under") for link in LINKS), ("dispenser", "slow_over"),
            ("scale", "slow_over"), ("modbus_tcp", "stuck"), ("modbus_rtu", "stuck"), ("ocpp", "stuck"),
            ("can", "stuck"), ("meter_bench", "stuck"), ("flow_bench", "stuck"), ("can", "garbage")}
"""Cells where the run finishes despite the fault, with a record: replies late but within the
deadline; dispenser and scale replies past the deadline that their retry takes in (the operator is
told by the link watch: :data:`TOLD`); CAN frames for nobody (unknown and 11-bit IDs, short frames,
frames for another node), which the BMS ignores; a stuck energy/power display of the reference (the gate counts on) or of the
post's MeterValues (the verdicts come from the display and the gate); a stuck CCS (the energy comes
from the charger's meter and display); a stuck bench position (that position alone is judged as
a fault, the others complete)."""

TOLD = {("dispenser", "slow_over"), ("scale", "slow_over")}
"""Absorbed cells the operator must hear of while the run goes on (a RunWarning naming the device)."""

VOIDED = {("dispenser", "stuck"), ("scale", "stuck")}
"""Cells where the fault is a test condition not met, repeated and finally voided (无效) with its
reason: a frozen dispenser display shows no flow; a jammed scale disagrees with the bench's volume."""

CELLS = [pytest.param(link, fault, id=f"{link}-{fault}") for link in LINKS for fault in FAULTS
         if (link, fault) not in NOT_ON_THIS_LINK]


def station_file(tmp_path: Path, link: str, fault: str) -> Path:
    """The demo station of ``link``, made quick, with the one ``[[sim.faults]]`` entry of the cell."""
    kind, _, device, step, edits, _ = LINKS[link]
    text = example_station_path(kind).read_text("utf-8")
    for section, key, value in edits:
        text = _set(text, section, key, value)
    text = re.sub(r"^port = (\d+)$", "port = 0", text, flags=re.M)  # free ports for concurrent runs
    deadline = DEADLINE[link]
    entry = FAULTS[fault].format(under=round(deadline * 0.5, 3), over=round(deadline * 1.6, 3))
    if fault == "stuck" and link in STUCK_POSITIONS:
        entry += f"\nvalue = {STUCK_POSITIONS[link]}"
    text += f'\n[[sim.faults]]\ndevice = "{device}"\n{entry}\nstart = {{ step = "{step}" }}\n'
    path = tmp_path / f"{link}-{fault}.toml"
    path.write_text(text, "utf-8")
    return path


def store_for(tmp_path: Path, station: object) -> Store:
    """A store with the station's standards on the ledger, in calibration."""
    s = Store(tmp_path / "matrix.db")
    for serial in station.standards():  # type: ignore[attr-defined]
        kw = DEMO_STANDARDS.get(serial) or {
            "name": f"标准器 {serial}", "model": "JD-SIM", "serial": serial, "certificate_no": f"CAL-{serial}",
            "accuracy": "U = 0.05 % (k=2)", "measuring_range": "(0.01~10) m³/h"}
        s.add_standard(**kw, calibrated_on=date.today() - timedelta(days=10),
                       valid_until=date.today() + timedelta(days=100))
    return s


@pytest.mark.parametrize(("link", "fault"), CELLS)
async def test_fault_cell(tmp_path: Path, link: str, fault: str) -> None:
    _, regulation, _, _, _, names = LINKS[link]
    station = load_station(station_file(tmp_path, link, fault))
    store = store_for(tmp_path, station)
    ctl = Controller(store, tmp_path / "out")
    warned: list[str] = []
    ctl.bus.add_sink(lambda ev: warned.append(str(ev.source)) if isinstance(ev, RunWarning) else None)
    run_id = ctl.prepare(RunRequest(station=station, regulation=regulation))
    first = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    before = [(r.id, r.step_key, r.key, r.value) for r in store.readings(run_id)]
    assert before  # the steps before the fault's were measured: readings on disk
    if (link, fault) in ABSORBED:
        assert first.status == "finished", first.message
        assert store.get_run(run_id).conclusion, "a finished run carries its conclusion"
        if fault == "stuck" and link in STUCK_POSITIONS:  # the stuck position alone is retested
            assert "需复检 1" in first.message, first.message
        if (link, fault) in TOLD:
            assert LINKS[link][2] in warned, warned
        return
    if (link, fault) in VOIDED:
        assert first.status == "void", first
        assert "无效" in first.message and store.get_run(run_id).conclusion == "无效", first.message
        return
    assert first.status == "paused", first
    message = first.message
    assert "\n" not in message.strip(), message  # one line
    assert any(n in message for n in names), message  # names the device
    assert any(w in message for w in SAYS[fault]), message  # says what happened
    assert store.get_run(run_id).status == "paused"
    ctl2 = Controller(store, tmp_path / "out")  # as after a restart: new twins, the fault mended
    second = await ctl2.execute(run_id, AutoOperator(demo_entries(ctl2)))
    assert second.status == "finished", second.message
    after = [(r.id, r.step_key, r.key, r.value) for r in store.readings(run_id)]
    assert after[: len(before)] == before  # nothing lost or changed
    actions = [a.action for a in store.audit_log(run_id)]
    assert "run.paused" in actions and "run.resume" in actions
