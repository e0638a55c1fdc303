"""Faults on demand (hardware_sim/faults.py, bench/sim_faults.py): the option grammar, what each
garbage kind does to a frame, the catalogue per twin, and strict checking of [[sim.faults]]."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bench.station import StationError, example_station_path, load_station
from hardware_sim import ref_meter
from hardware_sim.faults import FaultPlan, apply_fault, check_fault, fault_names, parse_fault_option
from hardware_sim.physics import Rig
from hardware_sim.ref_meter import RefMeterTwin
from hardware_sim.wire import broken_frame


def test_fault_option_grammar() -> None:
    plan = parse_fault_option("latency=0.9,after_requests=20,duration_s=5")
    assert plan == FaultPlan("latency", 0.9, after_requests=20, duration_s=5.0, label="latency")
    assert parse_fault_option("stuck=3+5").value == [3, 5]
    assert parse_fault_option("garbage=truncated,count=2").count == 2
    with pytest.raises(ValueError, match="not one of"):
        parse_fault_option("silent,when=later")


def test_garbage_kinds_break_a_frame_each_their_own_way() -> None:
    raw = bytes(range(1, 11))
    assert broken_frame(raw, "truncated") == raw[:5]
    assert len(broken_frame(raw, "length")) == 9 and broken_frame(raw, "length") != raw[:9]
    noise = broken_frame(raw, "noise")
    assert len(noise) == len(raw) and noise != raw


def test_each_twin_offers_the_uniform_faults_its_link_has() -> None:
    assert {"silent", "disconnect", "garbage", "crc", "latency", "stuck"} <= set(fault_names("ref_meter"))
    assert "crc" not in fault_names("ac_post") and "crc" not in fault_names("dc_charger")
    assert {"stuck_meter_wh", "garbled_replies"} <= set(fault_names("ac_post"))
    assert {"frame_delay_s", "stuck_ccs"} <= set(fault_names("dc_charger"))
    with pytest.raises(ValueError, match="latency: value must be"):
        check_fault("scale", "latency")
    with pytest.raises(ValueError, match="unknown"):
        check_fault("dispenser", "melted")


def test_stuck_reference_freezes_energy_and_power_then_frees_them() -> None:
    rig = Rig(speed=1000.0)
    rig.circuit.set_contactor(True)
    twin = RefMeterTwin(rig)
    twin.set_load(10.0)
    clear = apply_fault(twin, "stuck")
    frozen = twin.value("energy_import")
    time.sleep(0.02)  # 20 simulated seconds at 10 A: the live register moves on
    assert rig.std.energy_wh() > frozen
    assert twin.value("energy_import") == frozen and twin.value("active_power") == twin.frozen["active_power"]  # type: ignore[index]
    clear()
    assert twin.frozen is None


def test_ref_meter_command_line_refuses_an_unknown_fault(capsys: pytest.CaptureFixture[str]) -> None:
    assert ref_meter.main(["--tcp", "127.0.0.1:0", "--fault", "melted"]) == 1
    assert "melted" in capsys.readouterr().err


def _with_fault(tmp_path: Path, entry: str) -> Path:
    text = example_station_path("ac").read_text("utf-8") + "\n[[sim.faults]]\n" + entry + "\n"
    path = tmp_path / "station.toml"
    path.write_text(text, "utf-8")
    return path


def test_station_file_faults_are_checked_naming_file_entry_and_key(tmp_path: Path) -> None:
    assert load_station(_with_fault(tmp_path, 'device = "reference"\nfault = "latency"\nvalue = 0.9\n'
                                               'start = { after_requests = 20 }\nduration_s = 3'))
    for entry, says in (('device = "nobody"\nfault = "silent"', "#1 device: 'nobody'"),
                        ('device = "charger"\nfault = "crc"', "#1 fault: fault 'crc' unknown"),
                        ('device = "reference"\nfault = "latency"', "#1 value: latency"),
                        ('device = "reference"\nfault = "silent"\nwhen = 3', "unknown key"),
                        ('device = "reference"\nfault = "silent"\nstart = { step = "a", after_s = 1 }',
                         "exactly one")):
        with pytest.raises(StationError) as e:
            load_station(_with_fault(tmp_path, entry))
        assert str(tmp_path / "station.toml") in str(e.value) and says in str(e.value), str(e.value)


def test_scheduler_starts_after_n_requests_and_lasts_from_one_step_to_another() -> None:
    from hardware_sim.faults import FaultScheduler
    from hardware_sim.scale import ScaleTwin

    twin = ScaleTwin()  # not served: replies are counted, not written
    silent = FaultScheduler()
    silent.add(twin, FaultPlan("silent", after_requests=2))
    twin._on_bytes(b"S\r\nS\r\n")
    assert twin.stats.replies == 2 and not twin.faults.silent
    silent.poll()
    twin._on_bytes(b"S\r\n")
    assert twin.faults.silent and twin.stats.replies == 2  # the third request goes unanswered

    twin = ScaleTwin()
    garbage = FaultScheduler()
    garbage.add(twin, FaultPlan("garbage", "truncated", at_step="q2", until_step="q3"))
    garbage.step_started("q1")
    twin._on_bytes(b"S\r\n")
    assert twin.stats.garbled == 0
    garbage.step_started("q2")
    twin._on_bytes(b"S\r\n")
    assert twin.stats.garbled == 1 and twin.faults.garbage_kind == "truncated"
    garbage.step_started("q3")
    twin._on_bytes(b"S\r\n")
    assert twin.stats.garbled == 1 and twin.faults.garbage_replies == 0 and twin.faults.garbage_kind == "crc"


def test_post_and_charger_faults_stick_their_values() -> None:
    from hardware_sim.ac_post import AcPostTwin
    from hardware_sim.dc_charger import DcChargerTwin

    rig = Rig(speed=1000.0)
    rig.circuit.set_contactor(True)
    rig.circuit.set_load(16.0)
    post = AcPostTwin(rig, "ws://127.0.0.1:1")
    clear = apply_fault(post, "stuck")
    stuck = post.meter_register_wh()
    time.sleep(0.02)
    assert post.register_wh() > stuck == post.meter_register_wh()  # the meter counts, MeterValues do not
    clear()
    assert post.meter_register_wh() == post.register_wh()
    charger = DcChargerTwin(rig, {"interface": "virtual", "channel": "jd-test-faults"}, ccs_noise_pct=0.0)
    apply_fault(charger, "stuck")
    rig.circuit.set_load(30.0)
    assert charger.ccs_fields() == charger.faults.stuck_ccs != charger._ccs_fields()
    apply_fault(charger, "latency", 1.5)
    assert charger.faults.frame_delay_s == 1.5
