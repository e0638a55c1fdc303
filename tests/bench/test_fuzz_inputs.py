"""Property-based fuzzing of every input a technician or a device hands the workstation (issue 13
line 5): station files, ledger workbooks, CAN logs (log, asc, blf), GB/T 27930 charger messages, OCPP
meter values and registers (meterStart / meterStop). The property
is the same everywhere: a clear refusal (the module's own error) or a result — never a traceback,
never a hang. Bounded examples and deadlines keep the suite short; CI runs it derandomized
(``HYPOTHESIS_PROFILE=ci``)."""

from __future__ import annotations

import copy
import math
import os
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import can
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocpp.exceptions import OCPPError

from bench.can_decode import main as can_decode
from bench.ledger_excel import COLUMNS, import_ledger, write_template
from bench.station import StationError, example_station_path, parse_station
from bench.store import Store
from drivers.gbt27930 import can_id
from drivers.gbt27930.trace import TraceDecoder
from drivers.ocpp.csms16 import parse_sampled_value, register_wh
from drivers.ocpp.csms201 import parse_sampled_value_201

settings.register_profile("ci", derandomize=True, deadline=2000, max_examples=40,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("dev", deadline=2000, max_examples=40,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=30), st.lists(st.text(max_size=5), max_size=3))
AC = tomllib.loads(example_station_path("ac").read_text("utf-8"))


# -- station files ------------------------------------------------------------------------------------
@settings(max_examples=200, deadline=500)
@given(section=st.sampled_from(["station", "sim", "instrument", "people", "devices.reference", "devices.charger",
                                "bench", "time_standard", "nonsense"]),
       key=st.sampled_from(["name", "enabled", "port", "host", "imax_a", "roles", "driver", "u95_pct", "serials",
                            "accept_unsecured", "security_profile", "timeout_s", "seed", "speed", "x"]),
       value=SCALARS)
def test_fuzzed_station_files_are_parsed_or_refused_by_name(section: str, key: str, value: Any) -> None:
    """Any one key of any section set to any TOML-like value: a Station, or a StationError naming
    the file — nothing else."""
    raw = copy.deepcopy(AC)
    table = raw
    for part in section.split("."):
        table = table.setdefault(part, {})
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value
    try:
        parse_station(raw, "fuzz.toml")
    except StationError as e:
        assert all(line.startswith("fuzz.toml: ") for line in str(e).splitlines())


# -- ledger workbooks ---------------------------------------------------------------------------------
CELL = st.one_of(st.none(), st.booleans(), st.integers(-10**16, 10**16), st.floats(allow_nan=False, allow_infinity=False),
                 st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40))


@settings(max_examples=15, deadline=5000)
@given(cells=st.lists(st.tuples(st.integers(1, 6), st.integers(1, len(COLUMNS) + 3), CELL), max_size=12))
def test_fuzzed_ledger_workbooks_import_or_are_refused_with_cells_named(tmp_path_factory: pytest.TempPathFactory,
                                                                        cells: list[tuple[int, int, Any]]) -> None:
    """A template with arbitrary values in arbitrary cells: an import report (errors naming row and
    column), never an exception."""
    d = tmp_path_factory.mktemp("ledger")
    path = write_template(d / "fuzz.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["台账"]
    for r, c, v in cells:
        ws.cell(row=r + 2, column=c, value=v)
    wb.save(path)
    report = import_ledger(Store(d / "ledger.db"), path)
    assert report.ok or all(str(e) for e in report.errors)


# -- CAN logs -----------------------------------------------------------------------------------------
def _trace(path: Path, n: int = 40) -> bytes:
    """A recording of ``n`` CHM frames (GB/T 27930) in the format of ``path``'s suffix."""
    writer = {".log": can.CanutilsLogWriter, ".asc": can.ASCWriter, ".blf": can.BLFWriter}[path.suffix](str(path))
    for i in range(n):
        writer.on_message_received(can.Message(timestamp=1_700_000_000 + i * 0.25, arbitration_id=0x1826F456,
                                               data=bytes([1, 1, 0]), is_extended_id=True, channel="vcan0"))
    writer.stop()
    return path.read_bytes()


@settings(max_examples=60, deadline=5000)
@given(suffix=st.sampled_from([".log", ".asc", ".blf"]), cut=st.floats(0, 1), flips=st.lists(
    st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=4))
def test_fuzzed_can_logs_decode_or_are_refused(tmp_path_factory: pytest.TempPathFactory, suffix: str, cut: float,
                                               flips: list[tuple[float, int]], capsys: pytest.CaptureFixture[str]) -> None:
    """A recording cut anywhere and with bytes changed anywhere: rc 0 (decoded whole) or rc 2 with a
    one-line error naming the file; a cut inside the recording is never decoded silently."""
    d = tmp_path_factory.mktemp("can")
    whole = _trace(d / f"whole{suffix}")
    data = bytearray(whole[:int(len(whole) * cut)])
    for where, byte in flips:
        if data:
            data[min(int(where * len(data)), len(data) - 1)] = byte
    path = d / f"fuzz{suffix}"
    path.write_bytes(bytes(data))
    rc = can_decode(str(path))
    err = capsys.readouterr().err
    assert rc in (0, 2)
    if rc == 2:
        [line] = err.splitlines()
        assert str(path) in line
    elif not flips and len(data) < len(whole) and data.strip() and not (suffix == ".log" and data.endswith(b"\n")):
        # (a candump .log cut exactly after a line is a shorter recording: it has no trailer to miss)
        pytest.fail(f"a cut {suffix} recording ({len(data)} of {len(whole)} bytes) decoded with rc 0")


@pytest.mark.parametrize("suffix", [".log", ".asc"])
def test_a_text_log_cut_mid_line_names_the_frame(tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Half a .log/.asc file: the frames before the cut are printed, then an error naming the file."""
    whole = _trace(tmp_path / f"whole{suffix}")
    half = tmp_path / f"half{suffix}"
    half.write_bytes(whole[:len(whole) // 2 + 3])
    assert can_decode(str(half)) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert str(half) in line and "truncated" in line


# -- OCPP meter values --------------------------------------------------------------------------------
SAMPLED = st.fixed_dictionaries({}, optional={
    "value": st.one_of(st.text(max_size=12), st.floats(), st.integers(), st.booleans(), st.none()),
    "measurand": st.sampled_from(["Energy.Active.Import.Register", "Power.Active.Import", "Voltage", ""]),
    "unit": st.sampled_from(["Wh", "kWh", "W", "kW", "V"]),
    "format": st.sampled_from(["Raw", "SignedData"]),
    "unit_of_measure": st.fixed_dictionaries({}, optional={"unit": st.sampled_from(["Wh", "kWh"]),
                                                           "multiplier": st.one_of(st.integers(), st.text(max_size=3))}),
})


@settings(max_examples=200, deadline=500)
@given(sampled=SAMPLED, version=st.sampled_from(["1.6", "2.0.1"]))
def test_fuzzed_meter_values_are_readings_or_callerrors(sampled: dict[str, Any], version: str) -> None:
    """Any sampledValue: a reading whose energy is finite and not negative, or an OCPP CALLERROR."""
    ts = datetime(2025, 1, 1, tzinfo=UTC)
    try:
        if version == "1.6":
            r = parse_sampled_value("CP", sampled, timestamp=ts, connector_id=1, transaction_id=1)
        else:
            r = parse_sampled_value_201("CP", sampled, timestamp=ts, connector_id=1, transaction_id="T")
    except OCPPError:
        return
    if r.value_kwh is not None:
        assert math.isfinite(r.value_kwh)
        assert r.value_kwh >= 0 or not r.measurand.endswith("Register")


@settings(max_examples=200, deadline=500)
@given(raw=st.one_of(st.integers(-10**30, 10**30), st.floats()),
       field=st.sampled_from(["StartTransaction meterStart", "StopTransaction meterStop"]))
def test_fuzzed_meter_start_and_stop_are_registers_or_callerrors(raw: float, field: str) -> None:
    """Any meterStart / meterStop a 1.6 charger sends (the handlers' own path, csms16.register_wh): a
    finite register that is not negative, or an OCPP CALLERROR naming the field."""
    try:
        wh = register_wh("CP", field, raw)
    except OCPPError as e:
        assert field in str(e)
        return
    assert math.isfinite(wh) and wh >= 0


# -- GB/T 27930 charger messages ----------------------------------------------------------------------
CHARGER_MESSAGES = {"CCS": 7, "CML": 8, "CSD": 8}


@settings(max_examples=200, deadline=500)
@given(frames=st.lists(st.tuples(st.sampled_from(sorted(CHARGER_MESSAGES)), st.binary(min_size=8, max_size=8)),
                       min_size=1, max_size=6))
def test_fuzzed_charger_messages_are_possible_or_refused(frames: list[tuple[str, bytes]]) -> None:
    """Any payload of a charger's CCS, CML or CSD: decoded to a value a charger can mean (no output
    current out of the battery, no 'not available' voltage, no CSD energy beyond 1000 kWh), or
    refused in one line naming the frame number — never a traceback."""
    msgs = [can.Message(timestamp=float(i), arbitration_id=can_id(name), is_extended_id=True,
                        data=payload[:CHARGER_MESSAGES[name]]) for i, (name, payload) in enumerate(frames)]
    decoder = TraceDecoder(msgs)
    out = list(decoder)
    assert len(out) + len(decoder.stats.refused) + len(decoder.stats.decode_errors) == len(frames)
    for m in out:
        f = m.fields
        if m.name == "CCS":
            assert -400 <= f["output_current_a"] <= 0 and 0 <= f["output_voltage_v"] < 6553.5
        elif m.name == "CML":
            assert f["max_output_current_a"] <= 0 and f["min_output_current_a"] <= 0
        else:
            assert 0 <= f["energy_kwh"] <= 1000
    for line in decoder.stats.refused:
        assert "\n" not in line and line.startswith("第 ") and "已拒绝 (refused)" in line


# -- Modbus replies -----------------------------------------------------------------------------------
MAPS = ["jianding_sim_ref", "eastron_sdm630", "jianding_sim_dc_ref", "jianding_sim_bench", "jianding_sim_flow_bench"]


@settings(max_examples=150, deadline=500)
@given(name=st.sampled_from(MAPS), data=st.data())
def test_fuzzed_modbus_replies_decode_to_finite_values_or_are_refused(name: str, data: st.DataObject) -> None:
    """Any registers a device returns for any read span of any shipped map: finite values, or a
    RegisterMapError (the driver's ProtocolError, 无效应答) — a NaN float never becomes a reading."""
    from drivers.meters.register_map import RegisterMapError, load_map
    rmap = load_map(name)
    spans = rmap.plan_reads(tuple(rmap.registers)) if rmap.registers else []
    if not spans:
        return
    span = data.draw(st.sampled_from(spans))
    count = data.draw(st.sampled_from([span.count, span.count, 0, span.count - 1, span.count + 1]))
    regs = data.draw(st.lists(st.integers(0, 0xFFFF), min_size=max(count, 0), max_size=max(count, 0)))
    try:
        values = rmap.decode_span(span, regs)
    except RegisterMapError:
        return
    assert all(math.isfinite(v) for v in values.values())
