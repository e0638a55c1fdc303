"""A whole JJG 1148 run in-process: controller → real drivers → twins over real Modbus TCP and a
real WebSocket → record → PDF; and faults injected into the twins mid-run, each pausing the run with
a message naming the device, keeping the readings, and finished by a resume."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bench.cli import demo_entries
from bench.controller import Controller, RunRequest
from bench.display import results_table
from bench.operators import AutoOperator
from bench.station import Station
from bench.store import StandardNotUsable, Store
from procedures.engine import Event, ReadingTaken, RunPaused, RunWarning

pytestmark = pytest.mark.timeout(90)


def _op(ctl: Controller) -> AutoOperator:
    return AutoOperator(demo_entries(ctl))


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout


async def test_passing_post_gets_certificate(store: Store, station: Station, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station))
    summary = await ctl.execute(run_id, _op(ctl))
    assert summary.status == "finished", summary.message
    rec = summary.record
    assert rec is not None and rec.passed and rec.certificate_no.startswith("JD")
    we = next(i for i in rec.items if i.key == "working_error")
    assert len(we.results) == 3
    for r in we.results:  # the twin's post has +0.35 % true error; class 2 rounds to 0.2
        assert r.rounded in ("+0.2", "+0.4") and abs(r.mean - 0.35) < 0.1
    clock = next(i for i in rec.items if i.key == "clock").results[0]
    assert abs(clock.mean - 1.2) < 0.5
    assert rec.valid_until is not None and rec.standards[0].serial == "JDSIM-REF-0001"
    text = _pdf_text(summary.document)  # type: ignore[arg-type]
    assert "检定证书" in text and rec.certificate_no in text and "SIM0001" in text
    run = store.get_run(run_id)
    assert run.status == "finished" and json.loads(run.record_json)["certificate_no"] == rec.certificate_no
    assert len(store.readings(run_id)) == rec.reading_count > 6


async def test_failing_post_gets_notice_naming_items(store: Store, station: Station, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, sim_overrides={"ac_post": {"error_pct": 2.6, "clock_offset_s": 7.5}}))
    summary = await ctl.execute(run_id, _op(ctl))
    rec = summary.record
    assert rec is not None and not rec.passed and rec.valid_until is None
    assert [i.name for i in rec.failing_items] == ["工作误差", "时钟时刻误差"]
    text = _pdf_text(summary.document)  # type: ignore[arg-type]
    assert "检定结果通知书" in text and "不合格" in text and "有效期至" not in text


async def test_2018_edition_items_share_one_session_read_off_the_display(store: Store, station: Station,
                                                                        tmp_path: Path) -> None:
    """JJG 1148-2018: 绝缘电阻, 工作误差, then one charging session gives 示值误差 (the display against
    the standard), 付费金额误差 (the amount displayed against its energy × price + service fee) and
    时钟示值误差 (the displayed duration against the standard's elapsed time)."""
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, edition="2018", sim_overrides={
        "ac_post": {"amount_error_yuan": 0.05, "service_fee_yuan_per_kwh": 0.8}}))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    rec = summary.record
    assert rec is not None and rec.regulation_code == "JJG 1148-2018", summary.message
    items = {i.key: i for i in rec.items}
    assert list(items) == ["appearance", "insulation", "working_error", "indication_error", "payment_error",
                           "clock_indication", "reconciliation"]
    assert items["insulation"].results[0].values == (200.0,) and items["insulation"].verdict.value == "pass"
    ind = items["indication_error"].results[0]
    # the display truncates to 0.001 kWh over ≥ 0.5 kWh (class 2: 0.001 / (0.1 × 2 %)); the post reads +0.35 %
    assert abs(ind.mean - 0.35) < 0.25 and ind.verdict.value == "pass" and "显示" in ind.label
    pay = items["payment_error"].results[0]
    assert pay.rounded == "+0.05" and pay.verdict.value == "fail" and "服务费 0.8" in pay.label
    clock = items["clock_indication"].results[0]
    assert abs(clock.mean) <= 1.5 and clock.verdict.value == "pass"
    assert [i.key for i in rec.failing_items] == ["payment_error"]
    # one session only: one start, its display read once
    readings = store.readings(run_id)
    assert sum(1 for r in readings if r.quantity == "session_start") == 1
    display = next(r for r in readings if r.key == "s1:display")
    assert display.source == "operator" and json.loads(display.extra_json)["protocol_source"].startswith("OCPP")


def test_expired_standard_refuses_run(tmp_path: Path, station: Station) -> None:
    from datetime import date, timedelta

    from bench.cli import DEMO_STANDARDS

    s = Store(tmp_path / "x.db")
    s.add_standard(**DEMO_STANDARDS["JDSIM-REF-0001"], calibrated_on=date.today() - timedelta(days=400),
                   valid_until=date.today() - timedelta(days=1))
    with pytest.raises(StandardNotUsable, match=str(date.today() - timedelta(days=1))):
        Controller(s, tmp_path).prepare(RunRequest(station=station))


def _inject_after(ctl: Controller, step_key: str, reading_key: str, action: str) -> None:
    """When ``reading_key`` of ``step_key`` is on disk, inject a fault into the twins."""
    def sink(ev: Event) -> None:
        if isinstance(ev, ReadingTaken) and ev.step_key == step_key and ev.key == reading_key and ctl.sim:
            sim = ctl.sim
            if action == "meter-silent":
                sim.ref_twin.faults.silent = True
            elif action == "post-drop":
                sim.post_twin.faults.reconnect = False
                sim.call_soon(sim.post_twin.drop_connection)

    ctl.bus.add_sink(sink)


async def _fault_then_resume(store: Store, station: Station, tmp_path: Path, action: str, device: str) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station))
    _inject_after(ctl, "working_error_2", "gate_1", action)
    first = await ctl.execute(run_id, _op(ctl))
    assert first.status == "paused", first
    assert device in first.message
    run = store.get_run(run_id)
    assert run.status == "paused" and device in run.message
    before = [(r.id, r.step_key, r.key, r.value) for r in store.readings(run_id)]
    assert ("working_error_2", "gate_1") in {(s, k) for _, s, k, _ in before}

    ctl2 = Controller(store, tmp_path / "out")  # as after a restart
    second = await ctl2.execute(run_id, _op(ctl2))
    assert second.status == "finished", second.message
    after = [(r.id, r.step_key, r.key, r.value) for r in store.readings(run_id)]
    assert after[: len(before)] == before  # nothing lost or changed
    keys = [(s, k) for _, s, k, _ in after]
    assert len(keys) == len(set(keys))  # nothing measured twice
    assert second.record is not None and second.record.passed
    actions = [a.action for a in store.audit_log(run_id)]
    assert "run.paused" in actions and "run.resume" in actions


async def test_reference_meter_silent_mid_point_pauses_and_resumes(store: Store, station: Station, tmp_path: Path) -> None:
    await _fault_then_resume(store, station, tmp_path, "meter-silent", "reference")


async def test_charger_drops_websocket_pauses_and_resumes(store: Store, station: Station, tmp_path: Path) -> None:
    await _fault_then_resume(store, station, tmp_path, "post-drop", "充电桩 SIM0001")


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_signed_meter_values_on_record_and_certificate(store: Store, station: Station, tmp_path: Path,
                                                             version: str) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, sim_overrides={"ac_post": {"ocpp_version": version}}))
    summary = await ctl.execute(run_id, _op(ctl))
    rec = summary.record
    assert rec is not None and rec.passed and rec.flags == ()
    sv = rec.signed_meter_values
    assert sv is not None and sv["status"] == "valid" and sv["records"] >= 2
    assert sv["stop_wh"] > sv["start_wh"]
    signed = next(r for r in next(i for i in rec.items if i.key == "reconciliation").results
                  if r.label == "签名电能 (OCMF)")
    assert signed.verdict.value == "pass"
    assert rec.station["charger"]["protocol"] == f"ocpp{version}"
    text = _pdf_text(summary.document)  # type: ignore[arg-type]
    assert "签名电能数据" in text and "有效" in text


async def test_begin_and_end_signed_on_one_page_are_valid_with_a_note(store: Store, station: Station,
                                                                     tmp_path: Path) -> None:
    # the post's meter numbers OCMF pages per transaction (as devices the S.A.F.E.
    # Transparenzsoftware accepts do): over the WebSocket its begin and end records share their PG
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, sim_overrides={"ac_post": {"ocmf_page_per": "transaction"}}))
    summary = await ctl.execute(run_id, _op(ctl))
    rec = summary.record
    assert rec is not None and rec.passed and rec.flags == ()  # a note, not a flag
    sv = rec.signed_meter_values
    assert sv is not None and sv["status"] == "valid", sv
    assert sv["records"] >= 2 and sv["stop_wh"] > sv["start_wh"]
    assert "页码重复" in sv["reason"]
    # every record of the session (begin, triggered readings, end) is on the one page
    [repeated] = [n for n in sv["notes"] if n.startswith("页码重复 T")]
    where = ("begin and end records" if sv["records"] == 2
             else f"record 1 to record {sv['records']}, begin to end")
    assert repeated.endswith(f"(repeated page number: same PG on {where})"), repeated
    assert any("公钥取自记录本身" in n for n in sv["notes"])  # no key in the station file: the post's own
    signed = next(r for r in next(i for i in rec.items if i.key == "reconciliation").results
                  if r.label == "签名电能 (OCMF)")
    assert signed.verdict.value == "pass"  # the signed energy was compared with the standard
    ocmf = [r for r in store.readings(run_id) if r.quantity == "ocmf_status"]
    assert [r.value for r in ocmf] == [1.0] and json.loads(ocmf[0].extra_json)["notes"] == sv["notes"]
    assert f"签名电能数据备注 (Note)：{repeated}" in results_table(rec)
    text = _pdf_text(summary.document)  # type: ignore[arg-type]
    assert "签名电能数据备注" in text and "页码重复" in text


async def test_post_dropping_mid_session_resumes_to_a_valid_signed_session_with_its_note(
        store: Store, station: Station, tmp_path: Path) -> None:
    """The post drops in the middle of the shared session (during 工作误差): the transaction is lost,
    so the resumed run opens a session of its own, which alone carries the signed values checked."""
    over = {"ac_post": {"ocmf_page_per": "transaction"}}
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, sim_overrides=over))
    _inject_after(ctl, "working_error_2", "gate_1", "post-drop")
    first = await ctl.execute(run_id, _op(ctl))
    assert first.status == "paused" and "充电桩 SIM0001" in first.message, first
    before = [(r.id, r.step_key, r.key) for r in store.readings(run_id)]

    ctl2 = Controller(store, tmp_path / "out")  # as after a restart; a new post session, a new page
    second = await ctl2.execute(run_id, _op(ctl2))
    assert second.status == "finished", second.message
    assert [(r.id, r.step_key, r.key) for r in store.readings(run_id)][: len(before)] == before
    rec = second.record
    assert rec is not None and rec.flags == ()
    sv = rec.signed_meter_values
    assert sv is not None and sv["status"] == "valid" and any(n.startswith("页码重复 T") for n in sv["notes"])
    ocmf = [r for r in store.readings(run_id) if r.quantity == "ocmf_status"]
    assert [r.key for r in ocmf] == ["s2:ocmf"]  # only the resumed run's session was checked
    assert [r.key for r in store.readings(run_id) if r.quantity == "session_start"] == ["s1:start", "s2:start"]


async def test_tampered_signed_values_are_invalid_and_flagged(store: Store, station: Station, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, sim_overrides={"ac_post": {"tamper_signed": True}}))
    summary = await ctl.execute(run_id, _op(ctl))
    rec = summary.record
    assert rec is not None and rec.passed  # the metrological items still pass
    assert rec.signed_meter_values is not None and rec.signed_meter_values["status"] == "invalid"
    assert "签名与数据不符" in rec.signed_meter_values["reason"]
    assert any("签名电能数据无效" in f for f in rec.flags)
    assert "无效" in _pdf_text(summary.document)  # type: ignore[arg-type]


def _rtu(station: Station) -> Station:
    """The demo station with its reference meter on an RS-485 line (Modbus RTU at 115200 8N1)."""
    for cfg in (station.raw["devices"]["reference"], next(d for d in station.devices if d.name == "reference").config):
        cfg.update({"transport": "rtu", "port": "/dev/ttyUSB0", "baudrate": 115200})
        cfg.pop("host", None)
    return station


async def test_simulated_rtu_reference_meter_runs_over_a_serial_line(store: Store, station: Station,
                                                                      tmp_path: Path) -> None:
    """[sim] with ``transport = "rtu"``: the twin answers Modbus RTU on a pseudo-terminal whose far
    end becomes the reference meter's serial port (issue 17) — never its number opened as a device."""
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=_rtu(station)))
    seen: list[tuple[str | None, int | None]] = []

    def sink(ev: Event) -> None:  # where the twin answers, while it runs
        if isinstance(ev, ReadingTaken) and ctl.sim is not None and not seen:
            twin = ctl.sim.ref_twin
            seen.append((getattr(twin, "rtu_path", None), getattr(twin, "port", None)))

    ctl.bus.add_sink(sink)
    summary = await ctl.execute(run_id, _op(ctl))
    assert summary.status == "finished", summary.message
    assert summary.record is not None and summary.record.passed
    [(rtu_path, tcp_port)] = seen
    assert rtu_path is not None and rtu_path.startswith("/dev/pts/") and tcp_port is None


async def test_simulated_rtu_reference_meter_silent_pauses_and_resumes(store: Store, station: Station,
                                                                        tmp_path: Path) -> None:
    await _fault_then_resume(store, _rtu(station), tmp_path, "meter-silent", "reference")


async def test_a_slow_reference_meter_is_told_while_the_run_goes_on_and_noted_on_the_record(
        store: Store, station: Station, tmp_path: Path) -> None:
    """Replies at 60 % of the deadline (1 s): every reading is good, the run finishes — and the
    operator is told once, naming the device with its median and worst reply time and the delay
    expected; the warning is in the audit trail and on the original record (issue 17 line 3)."""
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station))
    warnings: list[RunWarning] = []
    ctl.bus.add_sink(lambda ev: warnings.append(ev) if isinstance(ev, RunWarning) else None)

    def slow_after_the_first_readings(ev: Event) -> None:
        if isinstance(ev, ReadingTaken) and ev.step_key.startswith("working_error") and ctl.sim:
            ctl.sim.ref_twin.faults.latency_s = 0.6

    ctl.bus.add_sink(slow_after_the_first_readings)
    summary = await ctl.execute(run_id, _op(ctl))
    assert summary.status == "finished", summary.message
    slow = [w for w in warnings if "slow replies" in w.message]
    assert slow and all(w.source == "reference" for w in slow) and len(slow) <= 3  # told, not on every reading
    assert "deadline 1 s" in slow[0].message and "expected to take about" in slow[0].message
    notes = summary.record.station["notes"]  # type: ignore[union-attr]
    assert any("slow replies" in n and n.startswith("reference: ") for n in notes)
    assert any(a.action == "run.warning" and "slow replies" in a.detail for a in store.audit_log(run_id))
    from reports.original_record import render_original_record

    readings = [{"step": r.step_key, "key": r.key, "quantity": r.quantity, "value": r.value, "unit": r.unit,
                 "source": r.source, "taken_at": r.taken_at} for r in store.readings(run_id)]
    record_pdf = tmp_path / "original.pdf"
    record_pdf.write_bytes(render_original_record(summary.record, readings))  # type: ignore[arg-type]
    text = _pdf_text(record_pdf)
    assert "运行备注" in text and "slow replies" in text


async def test_a_dead_reference_meter_is_not_retried_in_teardown(store: Store, station: Station,
                                                                 tmp_path: Path) -> None:
    """The reference stops answering mid-point: one read goes unanswered through its retries, the
    run pauses naming it, and the teardown that follows sends it nothing more (issue 17 line 3)."""
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station))
    seen: dict[str, int] = {}

    def sink(ev: Event) -> None:
        if isinstance(ev, ReadingTaken) and ev.step_key == "working_error_2" and ev.key == "gate_1" and ctl.sim:
            ctl.sim.ref_twin.faults.silent = True
            seen["at_fault"] = ctl.sim.ref_twin.stats.requests
        elif isinstance(ev, RunPaused) and ctl.sim:
            seen["at_pause"] = ctl.sim.ref_twin.stats.requests

    ctl.bus.add_sink(sink)
    first = await ctl.execute(run_id, _op(ctl))
    assert first.status == "paused" and "reference" in first.message
    retries = next(d for d in station.devices if d.name == "reference").config["retries"]
    assert seen["at_pause"] - seen["at_fault"] == retries + 1  # the one failing read, nothing after it
