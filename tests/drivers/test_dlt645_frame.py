"""DL/T 645-2007 frame codec, table of bytes: the published example frames (mbb.eet-china.com/forum/
topic/114707, their checksums recomputed by hand below), the wake-up preamble, +33H, checksum,
error replies and malformed frames.

Hand-worked checksum of the example read request ``68 03 20 12 22 20 65 68 11 04 33 33 33 33``:
68+03+20+12+22+20+65+68+11+04 = 0x1C1 (hex sums: 0x68+0x03=0x6B, +0x20=0x8B, +0x12=0x9D, +0x22=0xBF,
+0x20=0xDF, +0x65=0x144, +0x68=0x1AC, +0x11=0x1BD, +0x04=0x1C1), + 4 × 0x33 = 0xCC → 0x28D →
modulo 256 = 0x8D, the published CS.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from drivers.meters.dlt645_frame import (
    ErrorReply,
    Frame,
    FrameError,
    address_reply,
    bcd_decode,
    bcd_encode,
    data_format,
    decode,
    decode_address,
    decode_value,
    encode,
    encode_address,
    error_reply,
    error_text,
    frame_length,
    read_address_request,
    read_reply,
    read_request,
    read_value,
)

H = bytes.fromhex
ENERGY = 0x00010000

# (what, bytes on the wire, address, control, data after −33H) — published examples and our own
TABLE = [
    ("read 00000000 (eet-china)", "68 03 20 12 22 20 65 68 11 04 33 33 33 33 8D 16", "652022122003", 0x11,
     "00 00 00 00"),
    ("reply 0.00 kWh (eet-china)", "68 03 20 12 22 20 65 68 91 08 33 33 33 33 33 33 33 33 DD 16", "652022122003",
     0x91, "00 00 00 00 00 00 00 00"),
    ("read voltage block with preamble (eet-china)", "FE FE FE FE 68 18 20 12 22 20 65 68 11 04 33 32 34 35 A4 16",
     "652022122018", 0x11, "00 FF 01 02"),
    ("voltage reply 0, 0, 239.4 V (eet-china)",
     "FE FE FE FE 68 18 20 12 22 20 65 68 91 0A 33 32 34 35 33 33 33 33 C7 56 13 16", "652022122018", 0x91,
     "00 FF 01 02 00 00 00 00 94 23"),
]


@pytest.mark.parametrize(("what", "wire", "address", "control", "data"), TABLE, ids=[t[0] for t in TABLE])
def test_published_frames_decode(what: str, wire: str, address: str, control: int, data: str) -> None:
    raw = H(wire)
    assert frame_length(raw) == len(raw)
    f = decode(raw)
    assert (f.address, f.control, f.data) == (address, control, H(data))
    wakeup = raw.count(0xFE, 0, 4)
    assert encode(f, wakeup) == raw  # and back, byte for byte


def test_read_request_for_the_energy_register() -> None:
    # DI 00 01 00 00 goes DI0 first: 00 00 01 00, +33H: 33 33 34 33
    raw = read_request("000000000001", ENERGY)
    body = H("68 01 00 00 00 00 00 68 11 04 33 33 34 33")
    assert raw == H("FE FE FE FE") + body + bytes([sum(body) % 256, 0x16])
    # 0x68·2 = 0xD0, + 0x01 + 0x11 + 0x04 = 0xE6, + 0x33·3 = 0x17F, + 0x34 = 0x1B3 → CS = 0xB3
    assert read_request("000000000001", ENERGY, wakeup=0) == body + H("B3 16")


def test_energy_reply_bcd_plus_33() -> None:
    # 1234.56 kWh → BCD 00 12 34 56 → low byte first 56 34 12 00 → +33H 89 67 45 33
    value = bcd_encode(Decimal("1234.56"), 4, 2)
    assert value == H("56 34 12 00")
    raw = read_reply("000000000007", ENERGY, value)
    assert raw[10:18] == H("33 33 34 33 89 67 45 33")
    f = decode(raw)
    assert f.is_reply and not f.is_error and f.function == 0x11
    assert decode_value(read_value(f, "000000000007", ENERGY), data_format("energy_import_total")) == Decimal("1234.56")
    assert bcd_encode(999999.999, 4, 2) == H("99 99 99 99")  # a register shows the digits it counted
    with pytest.raises(ValueError, match="does not fit"):
        bcd_encode(1_000_000, 4, 2)
    with pytest.raises(ValueError, match="not BCD"):
        bcd_decode(H("5A 00 00 00"), 2)


def test_addresses_low_byte_first() -> None:
    assert encode_address("652022122003") == H("03 20 12 22 20 65")
    assert decode_address(H("03 20 12 22 20 65")) == "652022122003"
    assert encode_address("AAAAAAAAAAAA") == H("AA AA AA AA AA AA")
    for bad in ("12345", "12345678901Z", "1234567890123"):
        with pytest.raises(ValueError, match="12 digits"):
            encode_address(bad)


def test_error_reply_d1_with_its_error_byte() -> None:
    raw = error_reply("000000000003", 0x11, 0x02)
    assert raw == H("68 03 00 00 00 00 00 68 D1 01 35") + bytes([sum(H("68 03 00 00 00 00 00 68 D1 01 35")) % 256, 0x16])
    f = decode(raw)
    assert f.is_reply and f.is_error and f.control == 0xD1 and f.data == H("02")
    with pytest.raises(ErrorReply) as e:
        read_value(f, "000000000003", ENERGY)
    assert e.value.code == 2 and "无请求数据" in e.value.text and "000000000003" in str(e.value)
    assert error_text(0x05) == "其他错误 (other error)、密码错/未授权 (wrong password / not authorised)"
    assert "未知错误" in error_text(0x80)


def test_follow_up_bit_and_read_address() -> None:
    f = decode(encode(Frame("000000000001", 0xB1, H("00 00 01 00 00 00 00 00"))))
    assert f.has_follow_up and f.is_reply and f.function == 0x11
    req = read_address_request(wakeup=0)
    assert req == H("68 AA AA AA AA AA AA 68 13 00") + bytes([sum(H("68 AA AA AA AA AA AA 68 13 00")) % 256, 0x16])
    rep = decode(address_reply("000000000042"))
    assert rep.control == 0x93 and rep.address == "000000000042" and rep.data == H("42 00 00 00 00 00")


@pytest.mark.parametrize(("wire", "kind", "match"), [
    ("68 03 20 12 22 20 65 68 11 04 33 33 33 33 8E 16", "checksum", "校验和错误: 收到 8EH, 应为 8DH"),  # CS off by one
    ("68 03 20 12 22 20 65 68 11 04 33 33 33 34 8D 16", "checksum", "checksum error"),  # a data byte flipped
    ("68 03 20 12 22 20 65 68 11 04 33 33 33 33 8D 17", "format", "16H"),  # wrong end byte
    ("68 03 20 12 22 20 65 69 11 04 33 33 33 33 8D 16", "format", "second 68H"),  # second start wrong
    ("FE FE 10 68 03 20 12 22 20 65 68 11 04 33 33 33 33 8D 16", "format", "68H"),  # junk after the preamble
    ("68 03 20 12 22 20 65 68 11 04 33 33 33", "format", "incomplete"),  # cut short
    ("68 03 20 12 22 20 65 68 11 04 33 33 33 33 8D 16 00", "format", "after the frame"),
])
def test_malformed_and_checksum_errors(wire: str, kind: str, match: str) -> None:
    with pytest.raises(FrameError, match=match) as e:
        decode(H(wire))
    assert e.value.kind == kind


def test_frame_length_waits_for_the_whole_frame() -> None:
    raw = H("FE FE FE FE 68 03 20 12 22 20 65 68 91 08 33 33 33 33 33 33 33 33 DD 16")
    assert [frame_length(raw[:n]) for n in (0, 3, 4, 8, 13)] == [None] * 5
    assert frame_length(raw[:14]) == len(raw) == frame_length(raw + H("68"))
    with pytest.raises(FrameError):
        frame_length(H("FE 00"))


def test_reply_must_answer_the_question() -> None:
    f = decode(read_reply("000000000001", 0x00000000, bcd_encode(1, 4, 2)))
    with pytest.raises(FrameError, match="identifier"):
        read_value(f, "000000000001", ENERGY)
    with pytest.raises(FrameError, match="does not answer"):
        read_value(f, "000000000002", 0x00000000)
    with pytest.raises(FrameError, match="bytes"):
        decode_value(H("00 00 00"), data_format("00010000"))
    assert data_format("00010000").name == "energy_import_total" and data_format("0001FF00").length == 4
