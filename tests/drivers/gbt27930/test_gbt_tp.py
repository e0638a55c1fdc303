"""J1939-21 RTS/CTS transport (sans-IO): the observed session's bytes, round trips of every
multi-packet message, and the unhappy paths (reordering, duplicates, loss, timeouts, aborts)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from drivers.gbt27930 import BMS_SA, CHARGER_SA, SPECS, decode, encode
from drivers.gbt27930.tp import (
    Complete,
    Failed,
    Send,
    TpAction,
    TpObserver,
    TpReceiver,
    TpTransmitter,
    abort_frame,
)

BMS_CM, BMS_DT, CHG_CM = 0x1CEC56F4, 0x1CEB56F4, 0x1CECF456

# protocols.md B4 and the candump log: BRM, BCP and one BCS transfer, byte for byte
OBSERVED_BRM = [
    (BMS_CM, "10310007FF000200"),
    (CHG_CM, "110701FFFF000200"),
    (BMS_DT, "0101010003F00540"),
    (BMS_DT, "020E010000000100"),
    (BMS_DT, "030000630B089500"),
    (BMS_DT, "040001FF4C314E53"),
    (BMS_DT, "0550474839384E41"),
    (BMS_DT, "0631393632303200"),
    (BMS_DT, "070104E707FFFF00"),
    (CHG_CM, "13310007FF000200"),
]
OBSERVED_BCP = [
    (BMS_CM, "100D0002FF000600"),
    (CHG_CM, "110201FFFF000600"),
    (BMS_DT, "017201DA052A02A5"),
    (BMS_DT, "0210730803C60EFF"),
    (CHG_CM, "130D0002FF000600"),
]
OBSERVED_BCS = [
    (BMS_CM, "10090002FF001100"),
    (CHG_CM, "110201FFFF001100"),
    (BMS_DT, "01C50EA00F4C614D"),
    (BMS_DT, "020000FFFFFFFFFF"),
    (CHG_CM, "13090002FF001100"),
]


def _payload(transcript: list[tuple[int, str]], size: int) -> bytes:
    return b"".join(bytes.fromhex(h)[1:] for ident, h in transcript if ident == BMS_DT)[:size]


def _frames(actions: list[TpAction]) -> list[tuple[int, str]]:
    return [(a.arbitration_id, a.data.hex().upper()) for a in actions if isinstance(a, Send)]


@pytest.mark.parametrize(
    ("transcript", "pgn", "size"),
    [(OBSERVED_BRM, 0x0200, 49), (OBSERVED_BCP, 0x0600, 13), (OBSERVED_BCS, 0x1100, 9)],
    ids=["BRM", "BCP", "BCS"],
)
def test_observed_transfers_reproduced_exactly(transcript: list[tuple[int, str]], pgn: int, size: int) -> None:
    payload = _payload(transcript, size)
    tx = TpTransmitter(BMS_SA, CHARGER_SA)
    rx = TpReceiver(CHARGER_SA, BMS_SA)
    produced = _frames(tx.start(pgn, payload, 0.0))
    assert tx.busy
    ident, data = produced[0]
    rx_actions = rx.on_frame(ident, bytes.fromhex(data), 0.01)
    produced += _frames(rx_actions)
    cts = next(a for a in rx_actions if isinstance(a, Send))
    dts = tx.on_frame(cts.arbitration_id, cts.data, 0.02)
    produced += _frames(dts)
    done: list[TpAction] = []
    for dt in dts:
        assert isinstance(dt, Send)
        done += rx.on_frame(dt.arbitration_id, dt.data, 0.03)
    produced += _frames(done)
    assert produced == transcript
    assert Complete(pgn, BMS_SA, payload) in done
    ack = next(a for a in done if isinstance(a, Send))
    assert tx.on_frame(ack.arbitration_id, ack.data, 0.04) == [Complete(pgn, BMS_SA, payload)]
    assert not tx.busy and not rx.busy


def test_observed_brm_payload_decodes() -> None:
    brm = decode("BRM", _payload(OBSERVED_BRM, 49))
    assert brm["vin"] == "L1NSPGH98NA196202"


# --- a loop connecting a transmitter and a receiver through a lossy, reordering "bus" -------------

Mangle = Callable[[list[Send], int], list[Send]]


def _run(payload: bytes, pgn: int, *, mangle: Mangle | None = None, packets_per_cts: int = 255,
         max_time: float = 10.0) -> tuple[list[TpAction], list[TpAction], list[Send], list[Send]]:
    """Run one transfer with a fake clock; returns (tx outcomes, rx outcomes, tx frames, rx frames)."""
    tx = TpTransmitter(BMS_SA, CHARGER_SA)
    rx = TpReceiver(CHARGER_SA, BMS_SA, packets_per_cts=packets_per_cts)
    now = 0.0
    tx_out: list[TpAction] = []
    rx_out: list[TpAction] = []
    tx_frames: list[Send] = []
    rx_frames: list[Send] = []
    to_rx: list[Send] = []
    to_tx: list[Send] = []
    burst = 0

    def take(actions: list[TpAction], frames: list[Send], out: list[TpAction], queue: list[Send]) -> None:
        for a in actions:
            if isinstance(a, Send):
                frames.append(a)
                queue.append(a)
            else:
                out.append(a)

    take(tx.start(pgn, payload, now), tx_frames, tx_out, to_rx)
    while now < max_time and (tx.busy or rx.busy or to_rx or to_tx):
        if to_rx:
            batch, to_rx = to_rx, []
            if mangle is not None:
                batch = mangle(batch, burst)
                burst += 1
            for f in batch:
                take(rx.on_frame(f.arbitration_id, f.data, now), rx_frames, rx_out, to_tx)
        if to_tx:
            batch, to_tx = to_tx, []
            for f in batch:
                take(tx.on_frame(f.arbitration_id, f.data, now), tx_frames, tx_out, to_rx)
        if not to_rx and not to_tx:
            now += 0.05
            take(rx.poll(now), rx_frames, rx_out, to_tx)
            take(tx.poll(now), tx_frames, tx_out, to_rx)
    return tx_out, rx_out, tx_frames, rx_frames


SAMPLE_PAYLOADS = {
    "BRM": encode("BRM", battery_type=3, capacity_ah=152.0, rated_voltage_v=364.8, vin="L1NSPGH98NA196202"),
    "BCP": encode("BCP", max_cell_voltage_v=3.7, max_current_a=-250.2, nominal_energy_kwh=55.4,
                  max_total_voltage_v=426.1, max_temperature_c=65.0, soc_pct=77.6, pack_voltage_v=378.2),
    "BCS": encode("BCS", measured_voltage_v=378.1, measured_current_a=-20.0, highest_cell_voltage_v=3.32,
                  highest_cell_group=6, soc_pct=77.0, remaining_time_min=30.0),
    "BMV": encode("BMV", cell_voltages_v=[3.3 + (n % 5) / 100 for n in range(256)]),
    "BMT": encode("BMT", temperatures_c=[float(n % 60) for n in range(128)]),
    "BSP": encode("BSP", reserved=list(range(16))),
}


@pytest.mark.parametrize("packets_per_cts", [255, 3, 1])
@pytest.mark.parametrize("name", [n for n, s in SPECS.items() if s.multipacket])
def test_round_trip_every_multipacket_message(name: str, packets_per_cts: int) -> None:
    payload = SAMPLE_PAYLOADS[name]
    pgn = SPECS[name].pgn
    tx_out, rx_out, tx_frames, rx_frames = _run(payload, pgn, packets_per_cts=packets_per_cts)
    assert rx_out == [Complete(pgn, BMS_SA, payload)]
    assert tx_out == [Complete(pgn, BMS_SA, payload)]
    assert decode(name, payload) == decode(name, rx_out[0].payload)  # type: ignore[union-attr]
    packets = -(-len(payload) // 7)
    assert sum(1 for f in tx_frames if f.arbitration_id == BMS_DT) == packets  # no retransmission
    assert sum(1 for f in rx_frames if f.data[0] == 0x11) == -(-packets // packets_per_cts)
    assert all(len(f.data) == 8 for f in tx_frames + rx_frames)


def test_out_of_order_within_window_is_buffered() -> None:
    payload = SAMPLE_PAYLOADS["BRM"]

    def swap(batch: list[Send], burst: int) -> list[Send]:
        if burst == 1:  # the DT burst: 1 3 2 5 4 6 7
            order = [0, 2, 1, 4, 3, 5, 6]
            return [batch[i] for i in order]
        return batch

    tx_out, rx_out, _tx, rx_frames = _run(payload, 0x0200, mangle=swap)
    assert rx_out == [Complete(0x0200, BMS_SA, payload)] and tx_out == [Complete(0x0200, BMS_SA, payload)]
    assert [f.data[0] for f in rx_frames] == [0x11, 0x13]  # one CTS, no re-request


def test_duplicates_are_ignored() -> None:
    payload = SAMPLE_PAYLOADS["BRM"]

    def dup(batch: list[Send], burst: int) -> list[Send]:
        return [f for f in batch for _ in (0, 1)] if burst == 1 else batch

    _tx_out, rx_out, _tx, rx_frames = _run(payload, 0x0200, mangle=dup)
    assert rx_out == [Complete(0x0200, BMS_SA, payload)]
    assert [f.data[0] for f in rx_frames] == [0x11, 0x13]


def test_missing_packet_is_re_requested_with_a_cts_for_it() -> None:
    payload = SAMPLE_PAYLOADS["BRM"]

    def drop3_once(batch: list[Send], burst: int) -> list[Send]:
        return [f for f in batch if f.data[0] != 3] if burst == 1 else batch

    tx_out, rx_out, tx_frames, rx_frames = _run(payload, 0x0200, mangle=drop3_once)
    assert rx_out == [Complete(0x0200, BMS_SA, payload)]
    assert tx_out == [Complete(0x0200, BMS_SA, payload)]
    assert [f.data.hex().upper() for f in rx_frames] == ["110701FFFF000200", "110103FFFF000200", "13310007FF000200"]
    assert [f.data[0] for f in tx_frames if f.arbitration_id == BMS_DT] == [1, 2, 3, 4, 5, 6, 7, 3]


def test_missing_run_is_re_requested_in_one_cts() -> None:
    payload = SAMPLE_PAYLOADS["BRM"]

    def drop34_once(batch: list[Send], burst: int) -> list[Send]:
        return [f for f in batch if f.data[0] not in (3, 4)] if burst == 1 else batch

    _tx_out, rx_out, _tx, rx_frames = _run(payload, 0x0200, mangle=drop34_once)
    assert rx_out == [Complete(0x0200, BMS_SA, payload)]
    assert rx_frames[1].data.hex().upper() == "110203FFFF000200"


def test_packet_missing_forever_times_out_and_aborts() -> None:
    payload = SAMPLE_PAYLOADS["BRM"]

    def drop3(batch: list[Send], burst: int) -> list[Send]:
        return [f for f in batch if not (f.arbitration_id == BMS_DT and f.data[0] == 3)]

    tx_out, rx_out, _tx, rx_frames = _run(payload, 0x0200, mangle=drop3)
    # 1..7 with 3 lost -> CTS for 3 -> lost again -> T2 expires -> Abort(timeout)
    assert [f.data.hex().upper() for f in rx_frames] == ["110701FFFF000200", "110103FFFF000200", "FF03FFFFFF000200"]
    assert len(rx_out) == 1 and isinstance(rx_out[0], Failed)
    assert "timeout" in rx_out[0].reason and "packets [3] of 7 missing" in rx_out[0].reason
    # the sender's own T3 expires at the same moment, or it reads the receiver's Abort
    assert len(tx_out) == 1 and isinstance(tx_out[0], Failed)


def test_several_gaps_are_re_requested_one_run_at_a_time() -> None:
    payload = SAMPLE_PAYLOADS["BRM"]

    def drop_2_and_5_once(batch: list[Send], burst: int) -> list[Send]:
        return [f for f in batch if f.data[0] not in (2, 5)] if burst == 1 else batch

    tx_out, rx_out, _tx, rx_frames = _run(payload, 0x0200, mangle=drop_2_and_5_once)
    assert rx_out == [Complete(0x0200, BMS_SA, payload)] and tx_out == [Complete(0x0200, BMS_SA, payload)]
    assert [f.data.hex().upper() for f in rx_frames] == [
        "110701FFFF000200", "110102FFFF000200", "110105FFFF000200", "13310007FF000200"]


def test_window_end_before_its_gap_keeps_the_window_shrinking() -> None:
    rx = TpReceiver(CHARGER_SA, BMS_SA)
    rx.on_frame(BMS_CM, bytes.fromhex("10230005FF000200"), 0.0)  # 35 bytes, 5 packets
    for seq in (1, 5):
        out = rx.on_frame(BMS_DT, bytes([seq]) + b"\x00" * 7, 0.1)
    assert _frames(out) == [(CHG_CM, "110302FFFF000200")]  # 2..4 missing: one CTS for the run
    assert rx.on_frame(BMS_DT, bytes([5]) + b"\x00" * 7, 0.2) == []  # outside the new window
    out = rx.on_frame(BMS_DT, bytes([4]) + b"\x00" * 7, 0.2)  # window end again, 2 and 3 missing
    assert _frames(out) == [(CHG_CM, "110202FFFF000200")]
    out = rx.on_frame(BMS_DT, bytes([3]) + b"\x00" * 7, 0.3)
    assert _frames(out) == [(CHG_CM, "110102FFFF000200")]
    out = rx.on_frame(BMS_DT, bytes([2]) + b"\x00" * 7, 0.4)
    assert _frames(out) == [(CHG_CM, "13230005FF000200")]
    assert out[1] == Complete(0x0200, BMS_SA, b"\x00" * 35)


def test_receiver_timeout_names_missing_packets() -> None:
    rx = TpReceiver(CHARGER_SA, BMS_SA)
    cts = rx.on_frame(BMS_CM, bytes.fromhex("10310007FF000200"), 0.0)
    assert _frames(cts) == [(CHG_CM, "110701FFFF000200")]
    assert rx.poll(1.25) == []  # T2 not yet expired
    rx.on_frame(BMS_DT, bytes.fromhex("0101010003F00540"), 1.0)
    assert rx.poll(1.75) == []  # T1 = 0.75 s after the last DT
    out = rx.poll(1.76)
    assert _frames(out) == [(CHG_CM, "FF03FFFFFF000200")]
    assert isinstance(out[1], Failed) and out[1].pgn == 0x0200
    assert "[2, 3, 4, 5, 6, 7] of 7 missing" in out[1].reason
    assert not rx.busy and rx.poll(5.0) == []


def test_receiver_timeout_after_cts_without_any_dt() -> None:
    rx = TpReceiver(CHARGER_SA, BMS_SA, t_response_s=1.0)
    rx.on_frame(BMS_CM, bytes.fromhex("10090002FF001100"), 0.0)
    out = rx.poll(1.01)
    assert isinstance(out[1], Failed) and "after CTS" in out[1].reason


def test_transmitter_timeout_without_cts() -> None:
    tx = TpTransmitter(BMS_SA, CHARGER_SA)
    tx.start(0x1100, SAMPLE_PAYLOADS["BCS"], 0.0)
    assert tx.poll(1.25) == []
    out = tx.poll(1.26)
    assert _frames(out) == [(BMS_CM, "FF03FFFFFF001100")]
    assert isinstance(out[1], Failed) and "no CTS from 0x56 within 1.25 s" in out[1].reason
    assert not tx.busy


def test_transmitter_timeout_without_ack() -> None:
    tx = TpTransmitter(BMS_SA, CHARGER_SA)
    tx.start(0x1100, SAMPLE_PAYLOADS["BCS"], 0.0)
    dts = tx.on_frame(CHG_CM, bytes.fromhex("110201FFFF001100"), 0.5)
    assert len(dts) == 2
    assert tx.poll(1.75) == []
    out = tx.poll(1.76)
    assert isinstance(out[1], Failed) and "EndOfMsgAck" in out[1].reason


def test_transmitter_repeated_cts_resends_and_hold_extends() -> None:
    payload = SAMPLE_PAYLOADS["BRM"]
    tx = TpTransmitter(BMS_SA, CHARGER_SA)
    tx.start(0x0200, payload, 0.0)
    assert tx.on_frame(CHG_CM, bytes.fromhex("110001FFFF000200"), 1.0) == []  # hold
    assert tx.poll(2.0) == []  # deadline moved to 2.25
    first = tx.on_frame(CHG_CM, bytes.fromhex("110301FFFF000200"), 2.0)
    assert [a.data[0] for a in first] == [1, 2, 3]  # type: ignore[union-attr]
    again = tx.on_frame(CHG_CM, bytes.fromhex("110202FFFF000200"), 2.1)
    assert [a.data[0] for a in again] == [2, 3]  # type: ignore[union-attr]
    tail = tx.on_frame(CHG_CM, bytes.fromhex("11FF05FFFF000200"), 2.2)  # count beyond the end is clamped
    assert [a.data[0] for a in tail] == [5, 6, 7]  # type: ignore[union-attr]
    assert tail[-1].data == bytes([7]) + payload[42:49]  # type: ignore[union-attr]


def test_last_dt_is_padded_with_ff() -> None:
    tx = TpTransmitter(BMS_SA, CHARGER_SA)
    tx.start(0x1100, bytes(range(9)), 0.0)
    dts = tx.on_frame(CHG_CM, bytes.fromhex("110201FFFF001100"), 0.0)
    assert dts[1] == Send(BMS_DT, bytes.fromhex("020708FFFFFFFFFF"))


def test_transmitter_ignores_unrelated_frames_and_rejects_bad_cts() -> None:
    tx = TpTransmitter(BMS_SA, CHARGER_SA)
    assert tx.on_frame(CHG_CM, bytes.fromhex("110701FFFF000200"), 0.0) == []  # idle
    tx.start(0x0200, SAMPLE_PAYLOADS["BRM"], 0.0)
    assert tx.on_frame(CHG_CM, bytes.fromhex("110701FFFF000600"), 0.0) == []  # other PGN
    assert tx.on_frame(0x1CECF457, bytes.fromhex("110701FFFF000200"), 0.0) == []  # other node
    assert tx.on_frame(0x1826F456, bytes.fromhex("010100"), 0.0) == []  # not TP
    assert tx.on_frame(CHG_CM, bytes.fromhex("1107"), 0.0) == []  # too short
    assert tx.on_frame(1 << 30, b"", 0.0) == []
    out = tx.on_frame(CHG_CM, bytes.fromhex("110108FFFF000200"), 0.0)  # packet 8 of 7
    assert _frames(out) == [(BMS_CM, "FF07FFFFFF000200")]
    assert isinstance(out[1], Failed) and "packet 8" in out[1].reason


def test_abort_from_either_peer() -> None:
    tx = TpTransmitter(BMS_SA, CHARGER_SA)
    tx.start(0x0200, SAMPLE_PAYLOADS["BRM"], 0.0)
    out = tx.on_frame(CHG_CM, bytes.fromhex("FF02FFFFFF000200"), 0.1)
    assert out == [Failed(0x0200, "aborted by the receiver 0x56 (reason 2: system resources needed for another task)")]
    assert not tx.busy

    rx = TpReceiver(CHARGER_SA, BMS_SA)
    rx.on_frame(BMS_CM, bytes.fromhex("10310007FF000200"), 0.0)
    assert rx.on_frame(BMS_CM, bytes.fromhex("FF03FFFFFF000600"), 0.1) == []  # another PGN
    out = rx.on_frame(BMS_CM, bytes.fromhex("FF03FFFFFF000200"), 0.1)
    assert out == [Failed(0x0200, "aborted by the sender 0xF4 (reason 3: timeout)")]
    assert not rx.busy


def test_start_validation() -> None:
    tx = TpTransmitter(BMS_SA, CHARGER_SA)
    with pytest.raises(ValueError, match="fits one frame"):
        tx.start(0x1500, b"\x00" * 8, 0.0)
    with pytest.raises(ValueError, match="1785"):
        tx.start(0x1500, b"\x00" * 1786, 0.0)
    tx.start(0x1500, b"\x00" * 1785, 0.0)
    with pytest.raises(RuntimeError, match="in progress"):
        tx.start(0x1500, b"\x00" * 9, 0.0)
    with pytest.raises(ValueError):
        TpReceiver(CHARGER_SA, BMS_SA, packets_per_cts=0)


def test_receiver_rts_handling() -> None:
    rx = TpReceiver(CHARGER_SA, BMS_SA, packets_per_cts=4)
    assert rx.on_frame(BMS_DT, bytes.fromhex("0101010003F00540"), 0.0) == []  # DT without a session
    assert rx.on_frame(0x1CEC56F5, bytes.fromhex("10310007FF000200"), 0.0) == []  # other sender
    assert rx.on_frame(0x1CEC57F4, bytes.fromhex("10310007FF000200"), 0.0) == []  # not to us
    assert rx.on_frame(BMS_CM, bytes.fromhex("103100"), 0.0) == []  # short
    # the RTS limit (byte 5) and our own limit both bound the CTS count
    assert _frames(rx.on_frame(BMS_CM, bytes.fromhex("1031000702000200"), 0.0)) == [(CHG_CM, "110201FFFF000200")]
    # a new RTS replaces the unfinished transfer
    out = rx.on_frame(BMS_CM, bytes.fromhex("10090002FF001100"), 0.1)
    assert isinstance(out[0], Failed) and out[0].pgn == 0x0200 and "superseded" in out[0].reason
    assert _frames(out) == [(CHG_CM, "110201FFFF001100")]
    # DT outside the window is ignored
    assert rx.on_frame(BMS_DT, bytes.fromhex("0300000000000000"), 0.1) == []


@pytest.mark.parametrize(
    ("rts", "code", "match"),
    [("10310006FF000200", 250, "6 packets for 49 bytes"), ("10080002FF000200", 250, "8 bytes"),
     ("10FA0700FF000200", 9, "2042 bytes")],
)
def test_receiver_rejects_invalid_rts(rts: str, code: int, match: str) -> None:
    rx = TpReceiver(CHARGER_SA, BMS_SA)
    out = rx.on_frame(BMS_CM, bytes.fromhex(rts), 0.0)
    assert out[0] == abort_frame(CHARGER_SA, BMS_SA, 0x0200, code)
    assert isinstance(out[1], Failed) and match in out[1].reason
    assert not rx.busy


def test_charger_to_bms_direction_ids() -> None:
    tx = TpTransmitter(CHARGER_SA, BMS_SA)
    (rts,) = tx.start(0x0200, b"\x00" * 9, 0.0)
    assert isinstance(rts, Send) and rts.arbitration_id == 0x1CECF456
    rx = TpReceiver(BMS_SA, CHARGER_SA)
    (cts,) = rx.on_frame(rts.arbitration_id, rts.data, 0.0)
    assert isinstance(cts, Send) and cts.arbitration_id == 0x1CEC56F4
    dts = tx.on_frame(cts.arbitration_id, cts.data, 0.0)
    assert {d.arbitration_id for d in dts if isinstance(d, Send)} == {0x1CEBF456}


# --- passive observer ---------------------------------------------------------------------------


def test_observer_follows_the_observed_transfers() -> None:
    obs = TpObserver()
    out: list[object] = []
    t = 0.0
    for transcript in (OBSERVED_BRM, OBSERVED_BCP, OBSERVED_BCS):
        for ident, h in transcript:
            t += 0.01
            out += obs.on_frame(ident, bytes.fromhex(h), t)
    assert out == [
        Complete(0x0200, BMS_SA, _payload(OBSERVED_BRM, 49)),
        Complete(0x0600, BMS_SA, _payload(OBSERVED_BCP, 13)),
        Complete(0x1100, BMS_SA, _payload(OBSERVED_BCS, 9)),
    ]
    assert obs.flush() == []


def test_observer_failures() -> None:
    obs = TpObserver()
    obs.on_frame(BMS_CM, bytes.fromhex("10310007FF000200"), 0.0)
    obs.on_frame(BMS_DT, bytes.fromhex("0101010003F00540"), 0.1)
    out = obs.on_frame(BMS_CM, bytes.fromhex("10090002FF001100"), 0.2)  # new RTS
    assert isinstance(out[0], Failed) and out[0].pgn == 0x0200 and "superseded" in out[0].reason
    out = obs.on_frame(CHG_CM, bytes.fromhex("FF01FFFFFF001100"), 0.3)  # receiver aborts
    assert isinstance(out[0], Failed) and "aborted by 0x56" in out[0].reason
    obs.on_frame(BMS_CM, bytes.fromhex("10090002FF001100"), 0.4)
    out = obs.on_frame(0x1826F456, bytes.fromhex("010100"), 2.0)  # silence > 1.25 s
    assert isinstance(out[0], Failed) and "timeout" in out[0].reason
    obs.on_frame(BMS_CM, bytes.fromhex("10090002FF001100"), 3.0)
    (failed,) = obs.flush()
    assert "trace ended" in failed.reason
    assert obs.on_frame(BMS_CM, bytes.fromhex("10080002FF001100"), 3.1)[0].reason.startswith("invalid RTS")  # type: ignore[union-attr]


def test_observer_bam() -> None:
    obs = TpObserver()
    obs.on_frame(0x1CECFFF4, bytes.fromhex("20090002FF001100"), 0.0)
    obs.on_frame(0x1CEBFFF4, bytes.fromhex("0101020304050607"), 0.05)
    assert obs.on_frame(0x1CEBFFF4, bytes.fromhex("020809FFFFFFFFFF"), 0.1) == [
        Complete(0x1100, BMS_SA, bytes(range(1, 10)))
    ]
