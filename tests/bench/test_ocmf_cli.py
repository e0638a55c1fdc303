"""``jianding ocmf verify``: S.A.F.E. XML files and OCMF strings, printed verdicts and exit codes
(0 all valid, 1 any invalid, 2 usage/file errors or nothing checkable for want of a key)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from bench.ocmf_cli import main
from hardware_sim.ocmf_signer import OcmfSigner

DATA = Path(__file__).resolve().parents[1] / "data" / "ocmf"
T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture
def signer() -> OcmfSigner:
    return OcmfSigner("JD-METER-0042")


def test_valid_xml_file() -> None:
    code, text = run("verify", str(DATA / "test_ocmf_keba_kcp30.xml"))
    assert code == 0
    assert "有效 valid: signature matches payload (签名与数据相符)" in text
    assert "表号 meter serial: 17619300" in text
    assert "起始 start: 259.6 Wh   结束 stop: 259.7 Wh   电量 energy: 0.1 Wh" in text
    assert "0.2596 kWh" in text and "1-b:1.8.0" in text
    assert "结论 result: 1 有效 valid" in text


def test_invalid_xml_file_says_why() -> None:
    code, text = run("verify", str(DATA / "test_ocmf_ebee_02.xml"))
    assert code == 1
    assert "无效 invalid: signature does not match payload (签名与数据不符)" in text
    assert "transaction 15060" in text and "电能示值倒退" in text
    assert "1 有效 valid, 2 无效 invalid" in text


@pytest.mark.parametrize(("name", "code"), [("brainpoolP256r1.xml", 0), ("nistP384_0Wh.xml", 0),
                                            ("test_ocmf_ebee_01.xml", 0), ("VW_OCMF_load.xml", 0),
                                            ("test_ocmf_keba_kcp30_fail.xml", 1)])
def test_every_sample_exit_code(name: str, code: int) -> None:
    assert run("verify", str(DATA / name))[0] == code


def test_string_with_key(signer: OcmfSigner) -> None:
    record = signer.sign_reading(4321, "B", T0)
    code, text = run("verify", record, "--public-key", signer.public_key_hex())
    assert code == 0
    assert "OCMF record" in text and "有效 valid" in text and "表号 meter serial: JD-METER-0042" in text
    assert "起始 start: 4321 Wh" in text


def test_hex_encoded_string(signer: OcmfSigner) -> None:
    record = signer.sign_reading(1, "B", T0).encode().hex()
    assert run("verify", record, "-k", signer.public_key_hex())[0] == 0


def test_string_with_wrong_key(signer: OcmfSigner) -> None:
    other = OcmfSigner("X")
    code, text = run("verify", signer.sign_reading(1, "B", T0), "--public-key", other.public_key_hex())
    assert code == 1 and "无效 invalid" in text and "签名与数据不符" in text


def test_tampered_string(signer: OcmfSigner) -> None:
    signer.tamper_next = True
    code, text = run("verify", signer.sign_reading(1, "E", T0), "--public-key", signer.public_key_hex())
    assert code == 1 and "签名与数据不符" in text


def test_string_without_key_is_a_usage_error(signer: OcmfSigner) -> None:
    code, text = run("verify", signer.sign_reading(1, "B", T0))
    assert code == 2 and "未验证 not verified: no public key (无公钥)" in text and "--public-key" in text


def test_key_from_pem_file(signer: OcmfSigner, tmp_path: Path) -> None:
    pem = tmp_path / "meter.pem"
    pem.write_bytes(signer._key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    assert run("verify", signer.sign_reading(1, "B", T0), "--public-key", str(pem))[0] == 0
    der = tmp_path / "meter.der"
    der.write_bytes(signer.public_key_der())
    assert run("verify", signer.sign_reading(1, "B", T0), "--public-key", str(der))[0] == 0


def test_several_strings_are_a_transaction(signer: OcmfSigner) -> None:
    records = [signer.sign_reading(wh, tx, T0 + timedelta(minutes=i))
               for i, (wh, tx) in enumerate([(1000, "B"), (1500, "T"), (2000, "E")])]
    code, text = run("verify", *records, "-k", signer.public_key_hex())
    assert code == 0 and "transaction (交易)" in text and "电量 energy: 1000 Wh" in text
    code, text = run("verify", records[0], records[2], "-k", signer.public_key_hex())
    assert code == 1 and "无效 invalid: 页码不连续: T1 之后为 T3 (pagination gap)" in text
    code, text = run("verify", records[2], records[1], "-k", signer.public_key_hex())
    assert code == 1 and "页码倒退: T3 之后为 T2 (page number goes backwards)" in text


def test_begin_and_end_on_one_page_are_valid_with_a_note() -> None:
    s = OcmfSigner("JD-METER-0042", page_per="transaction", paginate_from=12)
    records = [s.sign_reading(1000, "B", T0), s.sign_reading(2000, "E", T0 + timedelta(minutes=1))]
    code, text = run("verify", *records, "-k", s.public_key_hex())
    assert code == 0 and "分页 pagination: T12, T12" in text
    assert "注 note: 页码重复 T12 (repeated page number: same PG on begin and end records)" in text
    assert "结论 result: 3 有效 valid" in text


def test_reference_sample_with_a_repeated_page_number() -> None:
    code, text = run("verify", str(DATA / "test_ocmf_transaction_two_values.xml"))
    assert code == 0 and "transaction 1" in text and "注 note: 页码重复 T12345" in text


def test_text_file_of_records(signer: OcmfSigner, tmp_path: Path) -> None:
    f = tmp_path / "session.txt"
    f.write_text("\n".join([signer.sign_reading(10, "B", T0), "", signer.sign_reading(20, "E", T0)]) + "\n", "utf-8")
    code, text = run("verify", str(f), "-k", signer.public_key_hex())
    assert code == 0 and "record 2" in text


@pytest.mark.parametrize("argv", [
    [], ["verify"], ["frobnicate"], ["verify", "no-such-file.xml"], ["verify", "just words"],
    ["verify", "OCMF|{}|{}", "--public-key", "zz-not-a-key"],
])
def test_usage_and_file_errors(argv: list[str]) -> None:
    assert run(*argv)[0] == 2


def test_broken_xml_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<values><value>", "utf-8")
    assert run("verify", str(bad))[0] == 2


def test_wired_into_jianding(capsys: pytest.CaptureFixture[str]) -> None:
    from bench.cli import main as jianding

    assert jianding(["ocmf", "verify", str(DATA / "test_ocmf_keba_kcp30_fail.xml")]) == 1
    assert "签名与数据不符" in capsys.readouterr().out
