"""Signed meter values: the S.A.F.E. sample files give their published verdicts, and records signed
by the twins' :class:`OcmfSigner` verify through every OCPP envelope, while tampering, a wrong key,
no key and broken transactions are caught with a reason."""

from __future__ import annotations

import base64
import json
import re
import warnings
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyocmf import OCMF

from drivers.ocpp.signed import (
    OcmfVerdict,
    SignedValueError,
    normalise_public_key,
    parse_signed_value,
    verify_ocmf,
    verify_transaction,
    verify_xml,
    verify_xml_report,
)
from hardware_sim.ocmf_signer import OcmfSigner, ocmf_time

DATA = Path(__file__).resolve().parents[1] / "data" / "ocmf"
T0 = datetime(2026, 3, 2, 9, 30, 0, tzinfo=timezone(timedelta(hours=8)))


def _expected_verdicts() -> dict[str, str]:
    """The ``| file | expected | … |`` table of SOURCES.md."""
    rows = re.findall(r"^\|\s*([\w.]+\.xml)\s*\|\s*(valid|invalid)\s*\|", (DATA / "SOURCES.md").read_text("utf-8"), re.M)
    return dict(rows)


EXPECTED = _expected_verdicts()


@pytest.fixture
def signer() -> OcmfSigner:
    return OcmfSigner("JD-METER-0001")


def _reading(wh: float, tx: str, minutes: int = 0, context: str = "Sample.Periodic") -> dict[str, object]:
    return {"wh": wh, "tx": tx, "time": T0 + timedelta(minutes=minutes), "context": context}


def _session(s: OcmfSigner, values: list[tuple[float, str]]) -> list[str]:
    return [s.sign_reading(wh, tx, T0 + timedelta(minutes=i)) for i, (wh, tx) in enumerate(values)]


# --------------------------------------------------------------------------------------------
# S.A.F.E. sample files
# --------------------------------------------------------------------------------------------


def test_sources_table_covers_every_sample_file() -> None:
    assert set(EXPECTED) == {p.name for p in DATA.glob("*.xml")}
    assert len(EXPECTED) == 8


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_file_gives_its_published_verdict(name: str) -> None:
    report = verify_xml_report(DATA / name)
    assert report.values, "every sample holds at least one value"
    statuses = {v.status for _, v in report.values}
    assert "absent" not in statuses  # every sample carries its key
    if EXPECTED[name] == "valid":
        assert report.all_valid, [(label, v.reason) for label, v in (*report.values, *report.transactions)]
    else:
        assert "invalid" in statuses
        assert not report.all_valid
    assert verify_xml(DATA / name) == list(report.values)


def test_keba_record_with_begin_and_end_in_kwh() -> None:
    [(label, v)] = verify_xml(DATA / "test_ocmf_keba_kcp30.xml")
    assert v.valid and "签名与数据相符" in v.reason
    assert "Transaction.Begin" in label and "T32" in label
    assert v.meter_serial == "17619300"  # no MS in this record: the gateway serial stands in
    assert v.signature_algorithm == "ECDSA-secp256r1-SHA256"
    assert (v.start_wh, v.stop_wh, v.energy_wh) == (Decimal("259.6"), Decimal("259.7"), Decimal("0.1"))
    assert [(r.tx, r.value, r.unit, r.obis) for r in v.readings] == [
        ("B", Decimal("0.2596"), "kWh", "1-b:1.8.0"), ("E", Decimal("0.2597"), "kWh", "1-b:1.8.0")]
    assert v.readings[0].time == datetime(2019, 8, 13, 10, 3, 15, tzinfo=UTC)


def test_keba_with_altered_date_fails_on_the_signature() -> None:
    [(_, v)] = verify_xml(DATA / "test_ocmf_keba_kcp30_fail.xml")
    assert v.status == "invalid"
    assert v.reason == "signature does not match payload (签名与数据不符)"
    assert v.status_zh == "无效"
    assert v.start_wh == Decimal("259.6")  # what the record claims is still shown


def test_ebee_02_begin_invalid_end_valid_and_value_goes_backwards() -> None:
    report = verify_xml_report(DATA / "test_ocmf_ebee_02.xml")
    (_, begin), (_, end) = report.values
    assert begin.status == "invalid" and "签名与数据不符" in begin.reason
    assert end.valid
    [(label, tx)] = report.transactions
    assert label == "transaction 15060"
    assert tx.status == "invalid"
    assert "value 1: signature does not match payload" in tx.reason
    assert "meter value decreases (电能示值倒退)" in tx.reason
    assert (tx.start_wh, tx.stop_wh) == (Decimal(7763), Decimal(7753))


def test_ebee_01_spaced_key_and_unsynchronised_clock_is_only_a_note() -> None:
    report = verify_xml_report(DATA / "test_ocmf_ebee_01.xml")
    [(_, tx)] = report.transactions
    assert tx.valid and tx.pagination == ("T28", "T29")
    assert (tx.start_wh, tx.stop_wh, tx.energy_wh) == (Decimal(7753), Decimal(7753), Decimal(0))
    assert any("时间未同步" in n for n in tx.notes)


def test_dc_meter_uses_the_import_register_not_the_export_one() -> None:
    [(_, v)] = verify_xml(DATA / "VW_OCMF_load.xml")
    assert v.valid
    assert len(v.readings) == 4  # 1.8.0 and 2.8.0 at begin and end
    assert (v.start_wh, v.stop_wh) == (Decimal(57584), Decimal(58685))


@pytest.mark.parametrize(("name", "algorithm"), [("brainpoolP256r1.xml", "ECDSA-brainpoolP256r1-SHA256"),
                                                 ("nistP384_0Wh.xml", "ECDSA-secp384r1-SHA256")])
def test_other_curves(name: str, algorithm: str) -> None:
    report = verify_xml_report(DATA / name)
    [(_, tx)] = report.transactions
    assert tx.valid and tx.signature_algorithm == algorithm and tx.meter_serial == "12345678"


def test_reference_sample_with_begin_and_end_on_one_page_is_valid_with_a_note() -> None:
    # the Transparenzsoftware's own test accepts this transaction (OCMFVerifierTest
    # .test_ocmf_transaction_test_file): begin and end both carry PG T12345
    report = verify_xml_report(DATA / "test_ocmf_transaction_two_values.xml")
    assert all(v.valid for _, v in report.values)
    [(label, tx)] = report.transactions
    assert label == "transaction 1" and tx.valid, tx.reason
    assert tx.pagination == ("T12345", "T12345")
    assert "页码重复" in tx.reason and "pagination without gaps" in tx.reason
    assert "页码重复 T12345 (repeated page number: same PG on begin and end records)" in tx.notes
    assert [r.tx for r in tx.readings] == ["B", "X", "X", "E"]  # the reference counts 4 meters too
    assert tx.signature_algorithm == "ECDSA-secp192k1-SHA256"
    assert (tx.start_wh, tx.stop_wh) == (Decimal("3518.24"), Decimal("12641.34"))


def test_xml_transaction_is_ordered_begin_to_end_so_a_page_going_back_shows(signer: OcmfSigner,
                                                                             tmp_path: Path) -> None:
    signer.next_page = 5
    begin = signer.sign_reading(1000, "B", T0)
    signer.next_page = 4
    end = signer.sign_reading(2000, "E", T0 + timedelta(minutes=1))
    key = signer.public_key_hex()
    xml = tmp_path / "backwards.xml"
    xml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><values>'
        f'<value transactionId="7" context="Transaction.End"><signedData format="OCMF" encoding="plain">{end}'
        f'</signedData><publicKey encoding="hex">{key}</publicKey></value>'
        f'<value transactionId="7" context="Transaction.Begin"><signedData format="OCMF" encoding="plain">{begin}'
        f'</signedData><publicKey encoding="hex">{key}</publicKey></value></values>', "utf-8")
    report = verify_xml_report(xml)
    assert all(v.valid for _, v in report.values)
    [(_, tx)] = report.transactions
    # the Begin value first, the End value last — not sorted by page number, which would hide it
    assert tx.status == "invalid" and tx.reason == "页码倒退: T5 之后为 T4 (page number goes backwards)"
    assert tx.pagination == ("T5", "T4")


def test_xml_with_an_independent_key_overrides_the_files_key(signer: OcmfSigner) -> None:
    [(_, v)] = verify_xml(DATA / "test_ocmf_keba_kcp30.xml", public_key=signer.public_key_der())
    assert v.status == "invalid" and "签名与数据不符" in v.reason


def test_xml_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        verify_xml(tmp_path / "missing.xml")
    empty = tmp_path / "empty.xml"
    empty.write_text("<values><value><signedData>not ocmf</signedData></value></values>", "utf-8")
    with pytest.raises(SignedValueError):
        verify_xml(empty)


# --------------------------------------------------------------------------------------------
# Round trips through the OCPP envelopes
# --------------------------------------------------------------------------------------------


def test_signer_output_is_strict_ocmf(signer: OcmfSigner) -> None:
    record = signer.sign_reading(1234.5, "B", T0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parsed = OCMF.from_string(record, strict=True)
    assert parsed.payload.PG == "T1" and parsed.payload.MS == "JD-METER-0001"
    assert '"RV":1.234,' in record  # 1234.5 Wh → 1.2345 kWh → half-even to 1 Wh: 1.234
    assert '"TM":"2026-03-02T09:30:00,000+0800 S"' in record
    assert signer.sign_reading(1300, "E", T0).count('"PG":"T2"') == 1


def test_ocmf_time_format() -> None:
    t = datetime(2018, 7, 24, 13, 22, 4, tzinfo=timezone(timedelta(hours=2)))
    assert ocmf_time(t) == "2018-07-24T13:22:04,000+0200 S"
    assert ocmf_time(datetime(2024, 1, 2, 3, 4, 5, 678900), "I") == "2024-01-02T03:04:05,678+0000 I"


def test_round_trip_16_hex_form(signer: OcmfSigner) -> None:
    value = signer.signed_value_16_hex(_reading(5000, "B", context="Transaction.Begin"))
    assert re.fullmatch(r"[0-9A-F]+", value)
    sr = parse_signed_value(value, ocpp_version="1.6")
    assert sr.form == "hex" and sr.public_key is None and sr.ocmf.startswith("OCMF|{")
    assert sr.ocmf.encode().hex().upper() == value  # exact bytes
    assert sr.verify().status == "absent"  # the hex form carries no key
    v = sr.verify(signer.public_key_hex())
    assert v.valid and v.start_wh == Decimal(5000) and v.readings[0].tx == "B"


def test_round_trip_16_application_note_json(signer: OcmfSigner) -> None:
    value = signer.signed_value_16(_reading(7321, "E", context="Transaction.End"))
    envelope = json.loads(value)
    assert envelope["encodingMethod"] == "OCMF" and envelope["signingMethod"] == ""
    assert base64.b64decode(envelope["publicKey"]).decode().startswith("oca:base16:asn1:3059301306072A8648CE3D0201")
    sr = parse_signed_value(value, ocpp_version="1.6")
    assert sr.form == "oca-json" and sr.encoding_method == "OCMF"
    assert sr.public_key == signer.public_key_der()
    assert base64.b64decode(envelope["signedMeterData"]).decode() == sr.ocmf
    v = sr.verify()
    assert v.valid and v.stop_wh == Decimal(7321)
    assert any("公钥取自记录本身" in n for n in v.notes)  # the key came with the data
    assert sr.verify(signer.public_key_der()).notes == ()


@pytest.mark.parametrize("snake", [False, True])
def test_round_trip_201_signed_meter_value(signer: OcmfSigner, snake: bool) -> None:
    smv = signer.signed_value_201(_reading(10_000.4, "T", minutes=5))
    assert set(smv) == {"signedMeterData", "signingMethod", "encodingMethod", "publicKey"}
    assert smv["signingMethod"] == "ECDSA-secp256r1-SHA256"
    if snake:  # how the ocpp library hands it to a handler
        smv = {"signed_meter_data": smv["signedMeterData"], "signing_method": smv["signingMethod"],
               "encoding_method": smv["encodingMethod"], "public_key": smv["publicKey"]}
    sr = parse_signed_value(smv, ocpp_version="2.0.1")
    assert sr.form == "signedMeterValue" and sr.ocpp_version == "2.0.1"
    assert sr.signing_method == "ECDSA-secp256r1-SHA256"
    v = sr.verify(signer.public_key_der())
    assert v.valid and v.readings[0].value == Decimal("10.000") and v.readings[0].tx == "T"


def test_201_whole_sampled_value_and_json_string(signer: OcmfSigner) -> None:
    smv = signer.signed_value_201(_reading(1, "B"))
    sampled = {"value": 1.0, "context": "Transaction.Begin", "signedMeterValue": smv}
    assert parse_signed_value(sampled, ocpp_version="ocpp2.0.1").verify().valid
    assert parse_signed_value(json.dumps(smv), ocpp_version="2.0.1").verify().valid


def _twin_reading(wh: int, context: str, version: str, minutes: int = 0) -> dict[str, object]:
    """The dict hardware_sim.ac_post passes its ``meter_value_signer`` (no ``tx``: the context says it)."""
    return {"wh": wh, "time": T0 + timedelta(minutes=minutes), "context": context, "id_tag": "TAG1",
            "transaction_id": "7", "connector_id": 1, "measurand": "Energy.Active.Import.Register",
            "unit": "Wh", "value": wh, "charge_point_id": "CP1", "meter_serial": "JD-METER-0001",
            "ocpp_version": version}


@pytest.mark.parametrize(("version", "form_16"), [("1.6", "oca-json"), ("1.6", "hex"), ("2.0.1", "oca-json")])
def test_signer_as_the_twins_meter_value_signer(version: str, form_16: str) -> None:
    s = OcmfSigner("JD-METER-0001", form_16=form_16)
    contexts = ["Transaction.Begin", "Trigger", "Transaction.End"]
    signed = [s(_twin_reading(1000 + 250 * i, c, version, i)) for i, c in enumerate(contexts)]
    assert all(isinstance(x, dict if version == "2.0.1" else str) for x in signed)
    readings = [parse_signed_value(x, ocpp_version=version) for x in signed]  # type: ignore[arg-type]
    assert {r.form for r in readings} == {"signedMeterValue" if version == "2.0.1" else form_16}
    v = verify_transaction([r.ocmf for r in readings], s.public_key_der())
    assert v.valid, v.reason
    assert [r.tx for r in v.readings] == ["B", "C", "E"]
    assert (v.start_wh, v.stop_wh) == (Decimal(1000), Decimal(1500))


def test_twin_adapter_uses_an_explicit_tx(signer: OcmfSigner) -> None:
    value = signer.signed_value_16({"wh": 10.0, "tx": "T", "time": T0, "context": "Sample.Periodic"})
    assert parse_signed_value(value, ocpp_version="1.6").verify().readings[0].tx == "T"


def test_has_to_be_variant_and_plain_ocmf(signer: OcmfSigner) -> None:
    record = signer.sign_reading(42, "B", T0)
    variant = json.dumps({"signedMeterValue": base64.b64encode(record.encode()).decode(),
                          "encodingMethod": "OCMF", "publicKey": ""})
    sr = parse_signed_value(variant, ocpp_version="1.6")
    assert sr.ocmf == record and sr.public_key is None
    plain = parse_signed_value(record, ocpp_version="1.6")
    assert plain.form == "plain" and plain.ocmf == record


def test_real_record_through_the_application_note_envelope() -> None:
    """The KEBA sample wrapped as a 1.6 post would send it, key base64 over plain hex (as in the
    note's own example, without the oca: prefix)."""
    text = (DATA / "test_ocmf_keba_kcp30.xml").read_text("utf-8")
    record = re.search(r"(OCMF\|.*?)</signedData>", text, re.S).group(1)  # type: ignore[union-attr]
    key_hex = re.search(r"<publicKey[^>]*>([0-9A-F]+)</publicKey>", text).group(1)  # type: ignore[union-attr]
    value = json.dumps({"signedMeterData": base64.b64encode(record.encode()).decode(), "signingMethod": "",
                        "encodingMethod": "OCMF", "publicKey": base64.b64encode(key_hex.encode()).decode()})
    sr = parse_signed_value(value, ocpp_version="1.6")
    assert sr.public_key == bytes.fromhex(key_hex)
    assert sr.verify().valid


@pytest.mark.parametrize(("raw", "version"), [
    ("not signed at all", "1.6"),
    ("4142434445", "1.6"),  # hex, but not of an OCMF record
    ('{"signedMeterData": "bm90IG9jbWY=", "encodingMethod": "OCMF"}', "1.6"),
    ({"signedMeterData": "AAAA", "encodingMethod": "EDL", "publicKey": ""}, "2.0.1"),
    ({"encodingMethod": "OCMF"}, "2.0.1"),
    ("[1, 2]", "2.0.1"),
])
def test_unwrappable_values_raise(raw: object, version: str) -> None:
    with pytest.raises(SignedValueError):
        parse_signed_value(raw, ocpp_version=version)  # type: ignore[arg-type]


def test_unknown_ocpp_version() -> None:
    with pytest.raises(ValueError, match="OCPP version"):
        parse_signed_value("OCMF|{}|{}", ocpp_version="1.5")


def test_unreadable_key_in_envelope_is_reported_not_fatal(signer: OcmfSigner) -> None:
    smv = signer.signed_value_201(_reading(1, "B"))
    smv["publicKey"] = base64.b64encode(b"oca:base16:asn1:1234").decode()
    sr = parse_signed_value(smv, ocpp_version="2.0.1")
    assert sr.public_key is None and sr.public_key_error
    v = sr.verify()
    assert v.status == "absent" and any("unreadable" in n for n in v.notes)
    assert sr.verify(signer.public_key_hex()).valid


# --------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------


def test_tampered_value_is_invalid_with_reason(signer: OcmfSigner) -> None:
    signer.tamper_next = True
    value = signer.signed_value_16(_reading(2000, "E"))
    assert signer.tamper_next is False  # one record only
    v = parse_signed_value(value, ocpp_version="1.6").verify(signer.public_key_der())
    assert v.status == "invalid"
    assert v.reason == "signature does not match payload (签名与数据不符)"
    assert v.readings[0].value == Decimal("2.001")  # the altered value is what the record claims
    assert verify_ocmf(signer.sign_reading(2000, "E", T0), signer.public_key_der()).valid


def test_wrong_key_is_invalid(signer: OcmfSigner) -> None:
    signer.wrong_key = True
    smv = signer.signed_value_201(_reading(2000, "E"))
    v = parse_signed_value(smv, ocpp_version="2.0.1").verify()  # with the published key
    assert v.status == "invalid" and "签名与数据不符" in v.reason


def test_no_key_is_absent(signer: OcmfSigner) -> None:
    v = verify_ocmf(signer.sign_reading(2000, "B", T0), None)
    assert v.status == "absent" and v.reason == "no public key (无公钥)" and v.status_zh == "无公钥"
    assert v.start_wh == Decimal(2000) and v.meter_serial == "JD-METER-0001"
    signer.publish_key = False
    smv = signer.signed_value_201(_reading(1, "B"))
    assert smv["publicKey"] == ""
    assert parse_signed_value(smv, ocpp_version="2.0.1").verify().status == "absent"


def test_key_on_another_curve_is_invalid(signer: OcmfSigner) -> None:
    other = OcmfSigner("X", curve="secp384r1")
    v = verify_ocmf(signer.sign_reading(1, "B", T0), other.public_key_der())
    assert v.status == "invalid" and "公钥与签名算法不符" in v.reason


def test_garbage_key_is_invalid(signer: OcmfSigner) -> None:
    v = verify_ocmf(signer.sign_reading(1, "B", T0), "not a key!")
    assert v.status == "invalid" and "公钥无法解析" in v.reason


def test_not_ocmf_is_invalid() -> None:
    v = verify_ocmf("OCMF|{not json|{}", "00")
    assert v.status == "invalid" and "不是有效的OCMF记录" in v.reason
    assert not v.readings


def test_meter_status_not_ok_is_invalid_even_when_signed(signer: OcmfSigner) -> None:
    record = signer.sign_reading(100, "B", T0)
    payload = record.split("|")[1].replace('"ST":"G"', '"ST":"M"')  # meter reports manipulation
    v = verify_ocmf(signer.sign_payload(payload), signer.public_key_der())
    assert v.status == "invalid" and "电能表状态异常" in v.reason


def test_embedded_fourth_section_key_is_used_and_noted(signer: OcmfSigner) -> None:
    record = signer.sign_reading(100, "B", T0) + "|" + signer.public_key_hex()
    v = verify_ocmf(record, None)
    assert v.valid and any("公钥取自记录本身" in n for n in v.notes)


def test_payload_is_not_reserialised(signer: OcmfSigner) -> None:
    payload = ('{ "FV" : "1.0",  "GI": "JD-SIM", "PG":"T7", "MS" : "JD-METER-0001", "IS": false,\n'
               '  "RD": [ { "TM": "2026-03-02T09:30:00,000+0800 S", "TX": "B", "RV": 12.340, '
               '"RI": "1-b:1.8.0", "RU": "kWh", "RT": "AC", "ST": "G" } ] }')
    record = signer.sign_payload(payload)
    v = verify_ocmf(record, signer.public_key_der())
    assert v.valid, v.reason
    assert v.readings[0].value == Decimal("12.340") and str(v.readings[0].value) == "12.340"
    assert v.start_wh == Decimal(12340)
    # a re-serialised payload is different bytes, so its signature would not match
    assert OCMF.from_string(record).to_string().split("|")[1] != payload


# --------------------------------------------------------------------------------------------
# Transactions
# --------------------------------------------------------------------------------------------


def test_transaction_valid(signer: OcmfSigner) -> None:
    records = _session(signer, [(1000, "B"), (1500, "T"), (2000.4, "E")])
    v = verify_transaction(records, signer.public_key_hex())
    assert v.valid, v.reason
    assert v.pagination == ("T1", "T2", "T3")
    assert (v.start_wh, v.stop_wh, v.energy_wh) == (Decimal(1000), Decimal(2000), Decimal(1000))
    assert [r.tx for r in v.readings] == ["B", "T", "E"]


def test_transaction_pagination_gap(signer: OcmfSigner) -> None:
    b, _, e = _session(signer, [(1000, "B"), (1500, "T"), (2000, "E")])  # the middle record is lost
    v = verify_transaction([b, e], signer.public_key_der())
    assert v.status == "invalid" and v.reason == "页码不连续: T1 之后为 T3 (pagination gap)"


def _paged(signer: OcmfSigner, pages: list[int], tx: list[str] | None = None) -> list[str]:
    """Records of one session (values and times rising) on the page numbers given."""
    codes = tx or ["B", *["T"] * (len(pages) - 2), "E"]
    records = []
    for i, (page, code) in enumerate(zip(pages, codes, strict=True)):
        signer.next_page = page
        records.append(signer.sign_reading(1000 + 250 * i, code, T0 + timedelta(minutes=i)))
    return records


def _on_page(signer: OcmfSigner, record: str, page: str) -> str:
    """The record's payload with another PG, signed again (a device writing that page)."""
    payload = record.split("|")[1]
    return signer.sign_payload(re.sub(r'"PG":"[^"]*"', f'"PG":"{page}"', payload))


def test_transaction_begin_and_end_on_one_page_is_valid_with_a_note() -> None:
    s = OcmfSigner("JD-METER-0001", page_per="transaction", paginate_from=12)
    records = [s.sign_reading(1000, "B", T0), s.sign_reading(2000, "E", T0 + timedelta(minutes=1))]
    assert all('"PG":"T12"' in r for r in records)
    v = verify_transaction(records, s.public_key_der())
    assert v.valid, v.reason
    assert v.notes == ("页码重复 T12 (repeated page number: same PG on begin and end records)",)
    assert v.reason == ("all 2 signatures match, pagination without gaps, a page number repeated (see notes), "
                        "one meter serial (签名全部相符，分页无缺页，页码重复（见备注），表号一致)")
    assert (v.start_wh, v.stop_wh, v.energy_wh) == (Decimal(1000), Decimal(2000), Decimal(1000))


def test_transaction_one_page_for_every_record_and_a_repeat_in_the_middle(signer: OcmfSigner) -> None:
    s = OcmfSigner("JD-METER-0001", page_per="transaction")
    records = [s.sign_reading(wh, tx, T0 + timedelta(minutes=i))
               for i, (wh, tx) in enumerate([(1000, "B"), (1500, "C"), (2000, "E")])]
    v = verify_transaction(records, s.public_key_der())
    assert v.valid and v.pagination == ("T1", "T1", "T1")
    assert v.notes == ("页码重复 T1 (repeated page number: same PG on record 1 to record 3, begin to end)",)
    v = verify_transaction(_paged(signer, [1, 2, 2, 3]), signer.public_key_der())
    assert v.valid and v.notes == ("页码重复 T2 (repeated page number: same PG on record 2 and record 3)",)


def test_transaction_page_going_backwards(signer: OcmfSigner) -> None:
    v = verify_transaction(_paged(signer, [5, 4]), signer.public_key_der())
    assert v.status == "invalid" and v.reason == "页码倒退: T5 之后为 T4 (page number goes backwards)"
    v = verify_transaction(_paged(signer, [3, 4, 3]), signer.public_key_der())  # back to an earlier page
    assert v.status == "invalid" and v.reason == "页码倒退: T4 之后为 T3 (page number goes backwards)"


def test_transaction_gap_and_repeat_are_each_named(signer: OcmfSigner) -> None:
    v = verify_transaction(_paged(signer, [3, 3, 5]), signer.public_key_der())
    assert v.status == "invalid" and v.reason == "页码不连续: T3 之后为 T5 (pagination gap)"
    assert v.notes == ("页码重复 T3 (repeated page number: same PG on record 1 and record 2)",)


def test_transaction_pagination_context_change_and_fiscal_context(signer: OcmfSigner) -> None:
    b, e = _paged(signer, [3, 4])
    v = verify_transaction([b, _on_page(signer, e, "F4")], signer.public_key_der())
    assert v.status == "invalid"
    assert v.reason == ("分页上下文不一致: T3 之后为 F4 (pagination context changes: T and F count separately, "
                        "so continuity cannot be shown)")
    v = verify_transaction([_on_page(signer, b, "F3"), _on_page(signer, e, "F4")], signer.public_key_der())
    assert v.valid and any(n.startswith("页码属于计费上下文 F") for n in v.notes)


def test_transaction_unreadable_page_number(signer: OcmfSigner) -> None:
    b, e = _paged(signer, [3, 4])
    v = verify_transaction([b, _on_page(signer, e, "T04")], signer.public_key_der())
    assert v.status == "invalid" and "页码无法识别: record 2 'T04' (pagination unreadable" in v.reason


def test_transaction_b_not_first(signer: OcmfSigner) -> None:
    v = verify_transaction(_session(signer, [(1000, "T"), (1500, "B"), (2000, "E")]), signer.public_key_der())
    assert v.status == "invalid" and "does not begin with a TX=B reading" in v.reason


def test_transaction_e_not_last(signer: OcmfSigner) -> None:
    v = verify_transaction(_session(signer, [(1000, "B"), (1500, "E"), (2000, "T")]), signer.public_key_der())
    assert v.status == "invalid" and "does not end with a TX=E reading" in v.reason


def test_transaction_meter_serial_changes(signer: OcmfSigner) -> None:
    pem = signer._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    swapped = OcmfSigner("JD-METER-9999", private_key=pem, paginate_from=2)  # same key, other meter
    records = [signer.sign_reading(1000, "B", T0), swapped.sign_reading(2000, "E", T0 + timedelta(minutes=1))]
    v = verify_transaction(records, signer.public_key_der())
    assert v.status == "invalid"
    assert "meter serial changes (表号改变): JD-METER-0001 → JD-METER-9999" in v.reason


def test_transaction_value_and_time_going_backwards(signer: OcmfSigner) -> None:
    records = [signer.sign_reading(2000, "B", T0), signer.sign_reading(1000, "E", T0 - timedelta(minutes=1))]
    v = verify_transaction(records, signer.public_key_der())
    assert "电能示值倒退" in v.reason and "时间倒退" in v.reason


def test_transaction_with_a_tampered_record(signer: OcmfSigner) -> None:
    b = signer.sign_reading(1000, "B", T0)
    signer.tamper_next = True
    e = signer.sign_reading(2000, "E", T0 + timedelta(minutes=1))
    v = verify_transaction([b, e], signer.public_key_der())
    assert v.status == "invalid" and v.reason.startswith("record 2: signature does not match payload")


def test_transaction_without_key_is_absent_but_structure_still_judged(signer: OcmfSigner) -> None:
    assert verify_transaction(_session(signer, [(1, "B"), (2, "E")]), None).status == "absent"
    gap = _session(signer, [(1, "B"), (2, "T"), (3, "E")])
    assert verify_transaction([gap[0], gap[2]], None).status == "invalid"


def test_transaction_edge_cases(signer: OcmfSigner) -> None:
    assert verify_transaction([], signer.public_key_der()).status == "invalid"
    v = verify_transaction([signer.sign_reading(1, "B", T0), "garbage"], signer.public_key_der())
    assert v.status == "invalid" and v.reason.startswith("record 2: not a valid OCMF record")


# --------------------------------------------------------------------------------------------
# Public keys and signer options
# --------------------------------------------------------------------------------------------


def test_public_key_shapes_normalise_to_the_same_der(signer: OcmfSigner) -> None:
    der = signer.public_key_der()
    hexkey = der.hex().upper()
    pem = signer._key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    point = signer._key.public_key().public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.UncompressedPoint)
    shapes: list[bytes | str] = [
        der, hexkey, hexkey.lower(), " ".join(hexkey[i:i + 4] for i in range(0, len(hexkey), 4)),
        base64.b64encode(der).decode(), pem, pem.decode(), f"oca:base16:asn1:{hexkey}",
        f"oca:base16:asn1:{hexkey[:20]} {hexkey[20:]}", hexkey.encode(),
    ]
    for shape in shapes:
        assert normalise_public_key(shape) == der, shape
    assert normalise_public_key(point, curve="secp256r1") == der
    with pytest.raises(SignedValueError, match="curve is unknown"):
        normalise_public_key(point)
    with pytest.raises(SignedValueError):
        normalise_public_key("")
    with pytest.raises(SignedValueError):
        normalise_public_key("oca:base32:asn1:AAAA")


def test_signer_options() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    s = OcmfSigner("M1", private_key=key, unit="Wh", paginate_from=40, gateway_id="GW")
    record = s.sign_reading(1234.5, "B", T0, id_tag="CARD01")
    assert '"RV":1234,' in record and '"RU":"Wh"' in record and '"PG":"T40"' in record
    assert '"IS":true' in record and '"ID":"CARD01"' in record and '"GI":"GW"' in record
    assert verify_ocmf(record, key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).valid
    for bad in ({"curve": "secp999"}, {"unit": "MWh"}, {"paginate_from": -1}, {"form_16": "xml"}, {"page_per": "day"},
                {"private_key": ec.generate_private_key(ec.SECP384R1())}):
        with pytest.raises(ValueError):
            OcmfSigner("M", **bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="TX"):
        s.sign_reading(1, "Q", T0)


def test_signer_pages_per_transaction() -> None:
    s = OcmfSigner("M", page_per="transaction", paginate_from=7)
    pages = [re.search(r'"PG":"(T\d+)"', s.sign_reading(1, tx, T0)).group(1)  # type: ignore[union-attr]
             for tx in ["C", "B", "C", "C", "E", "B", "R", "C"]]
    # outside a transaction a page each; from begin to end (E, or any end reason such as R) one page
    assert pages == ["T7", "T8", "T8", "T8", "T8", "T9", "T9", "T10"]


@pytest.mark.parametrize("curve", ["secp384r1", "brainpoolP256r1"])
def test_signer_other_curves(curve: str) -> None:
    s = OcmfSigner("M", curve=curve)
    v: OcmfVerdict = verify_ocmf(s.sign_reading(1, "B", T0), s.public_key_hex())
    assert v.valid and curve in (v.signature_algorithm or "")
