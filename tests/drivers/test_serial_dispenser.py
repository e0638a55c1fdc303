"""The serial dispenser driver against the dispenser twin, over a virtual null-modem cable
(``PtyLink``: two pseudo-terminals bridged in-process), so every byte crosses a real tty in JD-DSP/1
frames with checksums; plus the codec on its own and the can twin's physics."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator

import pytest

from drivers.dispensers.protocol import (
    Frame,
    FrameError,
    FrameReader,
    crc16_ccitt,
    decode,
    encode,
    field_text,
    text_field,
)
from drivers.dispensers.serial_dispenser import SerialDispenser
from drivers.errors import DeviceError, DeviceRefused, DeviceTimeout, Disconnected, ProtocolError
from drivers.roles import DispenserLink
from hardware_sim.fuel_dispenser import FuelDispenserTwin, StandardCanTwin
from hardware_sim.ref_meter import PtyLink

pytestmark = [
    pytest.mark.timeout(30),
    pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only"),
]

TIMEOUT_S = 0.2
RETRIES = 2


# -- codec --------------------------------------------------------------------------------------------
def test_crc_reference_vector() -> None:
    assert crc16_ccitt(b"123456789") == 0x29B1  # CRC-16/CCITT-FALSE check value


def test_frame_round_trip_and_checksum_error() -> None:
    f = Frame(0x01, 0xA, "AU", ("1", "20.00", "57.0"))
    raw = encode(f)
    assert raw.startswith(b"\x0201 A AU 1 20.00 57.0\x03") and raw.endswith(b"\r") and raw == b"\x0201 A AU 1 20.00 57.0\x03651F\r"
    assert decode(raw) == f
    bad = raw[:5] + b"B" + raw[6:]
    with pytest.raises(FrameError) as info:
        decode(bad)
    assert info.value.kind == "checksum"
    with pytest.raises(FrameError, match="frame"):
        decode(b"hello\r")


def test_reader_splits_stream_and_skips_garbage() -> None:
    r = FrameReader()
    a, b = encode(Frame(1, 1, "ST")), encode(Frame(1, 2, "TX", ("OK",)))
    out = r.feed(b"noise" + a + b[:5])
    assert out == [Frame(1, 1, "ST")] and r.garbage_bytes == 5
    assert r.feed(b[5:]) == [Frame(1, 2, "TX", ("OK",))]


def test_text_fields() -> None:
    assert field_text(text_field("JD 加油机 2")) == "JD 加油机 2"
    assert text_field("") == "-" and field_text("-") == ""
    with pytest.raises(ValueError):
        encode(Frame(1, 1, "ID", ("two words",)))


# -- driver vs twin over the pty ----------------------------------------------------------------------
@pytest.fixture
async def link() -> AsyncIterator[PtyLink]:
    cable = await PtyLink().open()
    yield cable
    cable.close()


@pytest.fixture
def can() -> StandardCanTwin:
    return StandardCanTwin(nominal_l=20.0, h0_mm=66.0, d_l_per_mm=0.002, beta_b=50e-6, resolution_mm=0.5,
                           temperature_offset_c=-1.0)


@pytest.fixture
async def twin(link: PtyLink, can: StandardCanTwin) -> AsyncIterator[FuelDispenserTwin]:
    t = FuelDispenserTwin(can=can, error_pct=0.25, noise_pct=0.0, price_yuan_per_l=7.89, speed=400.0,
                          fuel_temperature_c=24.0, flow_jitter_pct=0.0, serial="FD-PTY")
    await t.serve(link.path_a)
    yield t
    await t.stop()


@pytest.fixture
async def disp(twin: FuelDispenserTwin, link: PtyLink) -> AsyncIterator[SerialDispenser]:
    d = SerialDispenser.from_config("dispenser", {"port": link.path_b, "baudrate": 9600, "address": 1,
                                                  "timeout_s": TIMEOUT_S, "retries": RETRIES})
    await d.connect()
    yield d
    await d.close()


async def _deliver(disp: SerialDispenser, preset: float = 20.0, flow: float = 57.0) -> None:
    await disp.authorize(1, preset, flow)
    deadline = time.monotonic() + 5
    while not (await disp.status()).done:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)


async def test_identity_delivery_transaction_pulser_totalizer(disp: SerialDispenser, can: StandardCanTwin) -> None:
    assert isinstance(disp, DispenserLink)
    info = await disp.identify()
    assert (info.vendor, info.model, info.serial, info.protocol, info.nozzles) == ("JD-SIM", "JDF-SIM-2", "FD-PTY",
                                                                                  "JD-DSP/1", 1)
    assert await disp.read_price(1) == 7.89
    p0, t0 = await disp.read_pulser(), await disp.read_totalizer(1)
    st = await disp.status()
    assert st.state == "idle"
    await _deliver(disp)
    tx = await disp.read_last_transaction()
    assert (tx.number, tx.volume_l, tx.amount_yuan, tx.price_yuan_per_l) == (1, 20.0, 157.8, 7.89)
    assert tx.flow_l_min == pytest.approx(57.0, rel=0.01)
    p1, t1 = await disp.read_pulser(), await disp.read_totalizer(1)
    assert (p1.pulses - p0.pulses) / p1.pulses_per_l == 20.0 and t1.volume_l - t0.volume_l == pytest.approx(20.0)
    # the can shows the volume really delivered: 20 L / 1.0025 at t_J = 24 °C, in the can at 23 °C
    r = can.reading()
    assert r is not None and r.t_b_c == pytest.approx(23.0)
    v_bt = (20.0 + (r.h_mm - 66.0) * 0.002) * (1 + 12e-4 * 1.0 + 50e-6 * 3.0)  # the procedure's formula
    assert (20.0 - v_bt) / v_bt * 100 == pytest.approx(0.25, abs=0.006)  # within half a scale division
    await disp.stop()
    assert (await disp.status()).state == "idle"


async def test_busy_dispenser_refuses_authorisation(disp: SerialDispenser) -> None:
    await disp.authorize(1, 20.0, 6.0)
    with pytest.raises(DeviceRefused, match="BUSY"):
        await disp.authorize(1, 20.0, 6.0)
    with pytest.raises(DeviceRefused, match="NOZZLE"):
        await disp.read_totalizer(3)
    await disp.stop()


async def test_checksum_error_is_retried(disp: SerialDispenser, twin: FuelDispenserTwin) -> None:
    twin.faults.garbage_replies = 1
    assert (await disp.identify()).serial == "FD-PTY"
    assert twin.stats.garbled == 1 and disp.stats.garbled == 1 and disp.stats.attempts == 2


async def test_retried_authorisation_is_not_executed_twice(disp: SerialDispenser, twin: FuelDispenserTwin) -> None:
    twin.faults.garbage_replies = 1  # the AU reply is lost; the retry must get the stored reply, not BUSY
    await disp.authorize(1, 20.0, 57.0)
    assert twin.stats.duplicates == 1
    await disp.stop()


async def test_checksum_errors_beyond_retries_are_reported(disp: SerialDispenser, twin: FuelDispenserTwin,
                                                           link: PtyLink) -> None:
    twin.faults.garbage_replies = RETRIES + 1
    with pytest.raises(ProtocolError) as info:
        await disp.read_pulser()
    assert info.value.device == "dispenser" and link.path_b in str(info.value)
    assert "3 of 3 attempts garbled — checksum error" in str(info.value)
    assert (await disp.read_pulser()).pulses_per_l == 1000.0  # the line is clean again


async def test_dropped_line_times_out_naming_the_device_then_resumes(disp: SerialDispenser, link: PtyLink) -> None:
    await disp.identify()
    link.paused = True  # the cable is cut: nothing crosses in either direction
    t0 = time.monotonic()
    with pytest.raises(DeviceTimeout) as info:
        await disp.status()
    assert time.monotonic() - t0 <= disp.config.call_deadline_s + 0.5
    msg = str(info.value)
    assert msg.startswith("dispenser: ") and link.path_b in msg and "no reply to ST" in msg and "3 attempts" in msg
    link.paused = False
    await asyncio.sleep(0.02)
    await _deliver(disp, 5.0, 30.0)  # the same driver goes on once the line is back
    assert (await disp.read_last_transaction()).volume_l == 5.0


async def test_silent_dispenser_times_out(disp: SerialDispenser, twin: FuelDispenserTwin) -> None:
    twin.faults.silent = True
    with pytest.raises(DeviceTimeout, match="no reply to TX"):
        await disp.read_last_transaction()
    twin.faults.silent = False
    with pytest.raises(DeviceRefused, match="NO_TRANSACTION"):
        await disp.read_last_transaction()


async def test_other_address_stays_silent(twin: FuelDispenserTwin, link: PtyLink) -> None:
    d = SerialDispenser.from_config("dispenser-2", {"port": link.path_b, "address": 2, "timeout_s": 0.1, "retries": 0})
    with pytest.raises(DeviceTimeout, match="address 02"):
        await d.identify()
    assert twin.stats.ignored == 1
    await d.close()


async def test_stuck_display_freezes_volume_while_pulser_counts(disp: SerialDispenser, twin: FuelDispenserTwin) -> None:
    twin.speed = 40.0  # slow enough to catch the display mid-delivery
    p0 = await disp.read_pulser()
    await disp.authorize(1, 20.0, 57.0)
    deadline = time.monotonic() + 5
    while (st := await disp.status()).volume_l < 1.0:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.005)
    twin.faults.stuck_display = True
    frozen = (await disp.status()).volume_l
    while not (await disp.status()).done:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    tx = await disp.read_last_transaction()
    p1 = await disp.read_pulser()
    assert tx.volume_l == frozen < 20.0 and st.state == "fuelling"
    assert (p1.pulses - p0.pulses) / 1000.0 == 20.0


async def test_unplugged_adapter_is_disconnected(disp: SerialDispenser, link: PtyLink) -> None:
    await disp.identify()
    link.close()
    await asyncio.sleep(0.05)
    with pytest.raises((Disconnected, DeviceTimeout)) as info:
        await disp.identify()
    assert isinstance(info.value, DeviceError) and info.value.device == "dispenser"


async def test_missing_port_is_disconnected() -> None:
    d = SerialDispenser.from_config("dispenser", {"port": "/dev/does-not-exist-jianding"})
    with pytest.raises(Disconnected, match="cannot open serial port"):
        await d.connect()


def test_config_needs_a_port() -> None:
    with pytest.raises(ValueError, match="port"):
        SerialDispenser.from_config("d", {})


async def test_no_flow_fault_delivers_nothing_until_power_returns(disp: SerialDispenser, twin: FuelDispenserTwin) -> None:
    # the pump has no power: after authorisation neither the display nor the pulser advances, the
    # state stays "authorized" however long one polls; power back, the delivery runs to its preset
    twin.faults.no_flow = True
    p0 = await disp.read_pulser()
    await disp.authorize(1, 20.0, 57.0)
    polls = []
    for _ in range(5):
        polls.append((await disp.status(), (await disp.read_pulser()).pulses))
        await asyncio.sleep(0.02)
    assert {(st.state, st.volume_l, pulses) for st, pulses in polls} == {("authorized", 0.0, p0.pulses)}
    assert twin.display() == (0.0, 0.0)  # the display shows what the driver reads: nothing
    twin.faults.no_flow = False
    deadline = time.monotonic() + 5
    while not (await disp.status()).done:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    assert (await disp.read_last_transaction()).volume_l == 20.0
    assert twin.display() == (20.0, 157.8)


async def test_weak_pump_reaches_a_fraction_of_the_flow(disp: SerialDispenser, twin: FuelDispenserTwin) -> None:
    twin.flow_factor, twin.flow_jitter_pct = 0.8, 0.0  # a clogged filter: 57 L/min asked, 45.6 L/min reached
    await disp.authorize(1, 20.0, 57.0)
    deadline = time.monotonic() + 5
    while not (await disp.status()).done:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    assert (await disp.read_last_transaction()).flow_l_min == pytest.approx(45.6, abs=0.2)  # 20 L / 26.3 s


def test_twin_command_line_faults() -> None:
    from hardware_sim.fuel_dispenser import _parse_args

    args = _parse_args(["--no-flow", "--flow-factor", "0.8", "--stuck-display"])
    assert (args.no_flow, args.flow_factor, args.stuck_display) == (True, 0.8, True)
    assert _parse_args([]).no_flow is False
