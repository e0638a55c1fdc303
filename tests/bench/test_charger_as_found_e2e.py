"""Charger verifications as found, through the controller on the twins over a real WebSocket (and
CAN for DC): the clock read before the post can set it from our CSMS, by the display or by a
timestamp sent before our time; 不适用 without time-of-use billing; a post that delivers no current
named within seconds, then resumed; time-of-use billing with a service fee; the 2018 insulation test
at too low a voltage taken again."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bench.cli import demo_entries
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from bench.station import Station, example_station_path, load_station
from bench.store import Store
from procedures.engine import Event, ReadingTaken, RunStarted

pytestmark = pytest.mark.timeout(120)


def _op(ctl: Controller, **extra: object) -> AutoOperator:
    return AutoOperator({**demo_entries(ctl), **extra})


async def test_post_40_s_off_that_adopts_our_time_is_measured_40_s_off_and_fails(
        store: Store, station: Station, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, sim_overrides={
        "ac_post": {"clock_offset_s": 40.0, "adopt_csms_time": True}}))
    after: list[float] = []

    def watch(ev: Event) -> None:  # the post's clock once the run has talked to it
        if isinstance(ev, ReadingTaken) and ev.step_key == "working_error_1" and ctl.sim and not after:
            after.append(ctl.sim.post_twin.clock_offset_s)

    ctl.bus.add_sink(watch)
    summary = await ctl.execute(run_id, _op(ctl))
    rec = summary.record
    assert rec is not None, summary.message
    clock = next(i for i in rec.items if i.key == "clock")
    r = clock.results[0]
    assert 39.0 <= r.mean <= 40.0 and r.verdict.value == "fail"  # displayed whole seconds: +39 or +40
    assert [i.key for i in rec.failing_items] == ["clock"] and not rec.passed
    assert "显示器读数" in clock.note and "工作站系统时钟" in clock.note
    # the post did set its clock from our BootNotification answer — read first, it did not matter
    assert after and abs(after[0]) < 1.0
    reading = next(x for x in store.readings(run_id) if x.key == "clock_display")
    extra = json.loads(reading.extra_json)
    assert reading.source == "operator" and extra["mark"] and extra["text"]


async def test_clock_not_applicable_for_a_post_without_time_of_use_billing(
        store: Store, station: Station, tmp_path: Path) -> None:
    station.raw["instrument"]["time_of_use"] = "否"
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, sim_overrides={"ac_post": {"clock_offset_s": 400.0}}))
    summary = await ctl.execute(run_id, _op(ctl))
    rec = summary.record
    assert rec is not None and rec.passed
    clock = next(i for i in rec.items if i.key == "clock")
    assert clock.verdict.value == "n/a" and not clock.results and "不适用" in clock.note


async def test_clock_from_the_status_timestamp_of_a_post_that_reconnects_without_reboot(
        store: Store, station: Station, tmp_path: Path) -> None:
    station.raw["procedure"]["items"]["clock"] = {"method": "protocol"}
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, sim_overrides={
        "ac_post": {"clock_offset_s": -12.0, "adopt_csms_time": True, "boot_on_connect": False}}))
    summary = await ctl.execute(run_id, _op(ctl))
    rec = summary.record
    assert rec is not None, summary.message
    clock = next(i for i in rec.items if i.key == "clock")
    assert abs(clock.results[0].mean + 12.0) < 0.5 and clock.verdict.value == "fail"
    assert "StatusNotification" in clock.note
    assert rec.station["charger"]["serial"] == "SIM0001"  # identified by a triggered BootNotification


async def test_clock_by_protocol_from_a_post_that_boots_voids_the_run(
        store: Store, station: Station, tmp_path: Path) -> None:
    station.raw["procedure"]["items"]["clock"] = {"method": "protocol"}
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, sim_overrides={"ac_post": {"adopt_csms_time": True}}))
    summary = await ctl.execute(run_id, _op(ctl))
    assert summary.status == "void" and summary.record is None and "display" in summary.message
    assert store.get_run(run_id).status == "void"


async def test_post_delivering_no_current_is_named_within_seconds_then_resumed(
        store: Store, station: Station, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, sim_overrides={"ac_post": {"no_current": True}}))
    t0 = time.monotonic()
    first = await ctl.execute(run_id, _op(ctl))
    assert first.status == "paused" and "未测到功率" in first.message and "充电桩" in first.message, first
    assert time.monotonic() - t0 < 60  # no gate deadline from a fictitious floor power
    kept = [(r.step_key, r.key) for r in store.readings(run_id)]
    assert ("clock", "clock_display") in kept
    # the technician resets the post's output; resume keeps everything measured
    ctl2 = Controller(store, tmp_path / "out")

    def repaired(ev: Event) -> None:
        if isinstance(ev, RunStarted) and ctl2.sim is not None:
            ctl2.sim.post_twin.faults.no_current = False

    ctl2.bus.add_sink(repaired)
    second = await ctl2.execute(run_id, _op(ctl2))
    assert second.status == "finished" and second.record is not None and second.record.passed, second.message
    assert [(r.step_key, r.key) for r in store.readings(run_id)][: len(kept)] == kept


async def test_2018_payment_under_two_tariff_periods_and_a_service_fee(
        store: Store, station: Station, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, edition="2018", sim_overrides={"ac_post": {
        "service_fee_yuan_per_kwh": 0.6, "tariff": [{"name": "谷", "start": "00:00", "price": 0.4}]}}))
    switched: list[bool] = []

    def tariff_change(ev: Event) -> None:  # the period changes while the session runs (峰 from now on)
        if isinstance(ev, ReadingTaken) and ev.step_key == "working_error_2" and ctl.sim and not switched:
            switched.append(True)
            post = ctl.sim.post_twin
            post.tariff = [*post.tariff, ("峰", post.display_clock().time(), 1.2)]

    ctl.bus.add_sink(tariff_change)
    summary = await ctl.execute(run_id, _op(ctl))
    rec = summary.record
    assert rec is not None and rec.passed, summary.message
    pay = next(i for i in rec.items if i.key == "payment_error").results[0]
    assert "× 0.4 元/kWh" in pay.label and "× 1.2 元/kWh" in pay.label and "服务费 0.6" in pay.label
    assert pay.verdict.value == "pass" and abs(pay.mean) <= 0.01


async def test_2018_insulation_test_at_too_low_a_voltage_is_taken_again(
        store: Store, station: Station, tmp_path: Path) -> None:
    ctl = Controller(store, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=station, edition="2018"))
    voltages = iter(["250 V", "500 V"])
    summary = await ctl.execute(run_id, _op(ctl, 兆欧表试验电压=lambda: next(voltages)))
    rec = summary.record
    assert rec is not None, summary.message
    ins = next(i for i in rec.items if i.key == "insulation")
    assert ins.verdict.value == "pass" and "500 V" in ins.results[0].label
    keys = [r.key for r in store.readings(run_id) if r.step_key == "insulation"]
    assert keys[:3] == ["insulation:voltage", "condition:insulation@1", "insulation@2:voltage"]


@pytest.fixture
def dc_station() -> Station:
    st = load_station(example_station_path("dc"))
    st.raw["sim"]["speed"] = 2000
    return st


async def test_dc_clock_from_the_cts_the_charger_sends_the_bms(tmp_path: Path, dc_station: Station) -> None:
    from datetime import date, timedelta

    from bench.cli import DEMO_STANDARDS

    s = Store(tmp_path / "dc.db")
    s.add_standard(**DEMO_STANDARDS["JDSIM-DCREF-0001"], calibrated_on=date.today() - timedelta(days=10),
                   valid_until=date.today() + timedelta(days=100))
    dc_station.raw["procedure"]["items"]["clock"] = {"method": "protocol"}
    ctl = Controller(s, tmp_path / "out")
    run_id = ctl.prepare(RunRequest(station=dc_station, regulation="jjg1149",
                                    sim_overrides={"ac_post": {"clock_offset_s": 30.0}}))
    summary = await ctl.execute(run_id, _op(ctl))
    rec = summary.record
    assert rec is not None, summary.message
    clock = next(i for i in rec.items if i.key == "clock")
    # CTS carries whole seconds of the charger's local time: +29 … +30 s
    assert 28.9 <= clock.results[0].mean <= 30.1 and clock.verdict.value == "fail"
    assert "CTS" in clock.note
