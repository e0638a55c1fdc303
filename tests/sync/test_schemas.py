"""sync.schemas: the API v1 models both the workstation and the reference server use."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from procedures.records import VerificationRecord
from reports.samples import sample_inspection, sample_record, sample_water_record
from sync.schemas import (
    MODELS,
    SCHEMA_VERSION,
    Ack,
    BookingDecision,
    RecordPayload,
    ResultBatch,
    ResultUpload,
    dump_json,
    error_items,
    key_id_of,
    main,
    qr_token,
    result_uid,
)

PUBLIC_HEX = bytes(range(32)).hex()  # 000102…1f, a made-up public key
CST = timezone(timedelta(hours=8))


def build(**over: object) -> ResultUpload:
    args: dict = dict(certificate_no="JD2026-00001", version=1, record=sample_record().to_dict(),
                      pdf=b"%PDF-1.7 sample", qr_text="JDC1|JD2026-00001|1|630dcd2966c43366|aGFzaA|c2ln",
                      public_key_hex=PUBLIC_HEX, issued_at=datetime(2026, 2, 1, 10, 0, tzinfo=CST))
    args.update(over)
    return ResultUpload.build(**args)  # type: ignore[arg-type]


def test_qr_token_hand_values() -> None:
    # openssl: printf '%s' 'JDC1|JD2026-00001|1|abcdef0123456789|aGFzaA|c2ln' | openssl dgst -sha256 -binary
    #          | head -c 16 | base64 | tr '+/' '-_' | tr -d '='  →  VXtwR8NByz5qnaXdXp-kwQ
    assert qr_token("JDC1|JD2026-00001|1|abcdef0123456789|aGFzaA|c2ln") == "VXtwR8NByz5qnaXdXp-kwQ"
    # SHA-256 of the empty string starts e3b0c442 98fc1c14 9afbf4c8 996fb924 → 47DEQpj8HBSa-_TImW-5JA
    assert qr_token("") == "47DEQpj8HBSa-_TImW-5JA"
    assert len(qr_token("x" * 500)) == 22  # 16 bytes → 22 base64url characters, no padding


def test_uid_and_key_id_rules() -> None:
    assert result_uid("JD2026-00001", 3) == "JD2026-00001/v3"
    # SHA-256(00 01 … 1f) = 630dcd2966c43366…; the key id is its first 16 hex digits
    assert key_id_of(PUBLIC_HEX) == "630dcd2966c43366"


def test_build_round_trips_the_record_whole() -> None:
    rec = sample_record()
    up = build()
    assert (up.uid, up.key_id, up.schema_version) == ("JD2026-00001/v1", "630dcd2966c43366", SCHEMA_VERSION)
    assert up.pdf_bytes == b"%PDF-1.7 sample"
    again = ResultUpload.model_validate_json(dump_json(up))
    assert again == up
    # every field of the frozen record survives the trip, typed or not
    assert VerificationRecord.from_dict(again.record.model_dump(mode="json")) == rec
    assert again.record.conclusion == "合格" and build(record=sample_record(passing=False).to_dict()).record.conclusion == "不合格"
    assert up.idempotency_key() == "result:JD2026-00001/v1:issued"


def test_validation_names_dotted_fields_chinese_first() -> None:
    body = json.loads(dump_json(build()))
    del body["record"]["instrument"]["serial"]
    body["record"]["items"][0]["verdict"] = "maybe"
    body["uid"] = "JD2026-00001/v9"
    body["pdf_sha256"] = "f" * 64
    body["key_id"] = "0" * 16
    body["issued_at"] = "2026-02-01T10:00:00"
    with pytest.raises(ValidationError) as exc:
        ResultUpload.model_validate(body)
    items = {e.field: e.message for e in error_items(exc.value)}
    assert set(items) == {"record.instrument.serial", "record.items.0.verdict", "uid", "pdf_sha256", "key_id",
                          "issued_at"}
    assert items["record.instrument.serial"].startswith("必填字段缺失 (")
    assert items["uid"] == "uid 应为 JD2026-00001/v1 (uid must be certificate_no/v<version>)"
    assert items["issued_at"].startswith("时间须带时区偏移")
    assert next(e.field for e in error_items(exc.value, prefix="items.4")).startswith("items.4.")


def test_pdf_must_be_base64_and_version_positive() -> None:
    body = json.loads(dump_json(build()))
    body["pdf_base64"] = "not base64!"
    body["version"] = 0
    with pytest.raises(ValidationError) as exc:
        ResultUpload.model_validate(body)
    assert {e.field for e in error_items(exc.value)} >= {"pdf_base64", "version"}


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    body = json.loads(dump_json(build()))
    body["future_field"] = 1
    assert not hasattr(ResultUpload.model_validate(body), "future_field")


def test_decision_reason_required_for_refuse_and_reassign() -> None:
    at = datetime(2026, 2, 1, 9, tzinfo=CST)
    assert BookingDecision(decision="accept", decided_by="王", decided_at=at).reason is None
    for kind in ("refuse", "reassign"):
        for reason in (None, "", "   "):
            with pytest.raises(ValidationError) as exc:
                BookingDecision(decision=kind, reason=reason, decided_by="王", decided_at=at)  # type: ignore[arg-type]
            assert [e.field for e in error_items(exc.value)] == ["reason"]
    d = BookingDecision(decision="refuse", reason="超出授权范围", decided_by="王", decided_at=at,
                        planned_date=date(2026, 3, 1))
    assert d.idempotency_key("BK00000001") == "decision:BK00000001:refuse"


def test_batch_key_is_stable_under_item_order() -> None:
    a, b = build(), build(certificate_no="JD2026-00002")
    assert ResultBatch(items=[a, b]).idempotency_key() == ResultBatch(items=[b, a]).idempotency_key()
    assert ResultBatch(items=[a]).idempotency_key() != ResultBatch(items=[b]).idempotency_key()


def test_ack_needs_an_aware_time() -> None:
    with pytest.raises(ValidationError):
        Ack(uid="x/v1", platform_id="PF1", received_at=datetime(2026, 1, 1))  # naive
    assert Ack(uid="x/v1", platform_id="PF1", received_at="2026-01-01T00:00:00Z").duplicate is False  # type: ignore[arg-type]


def test_json_schema_export(tmp_path: Path) -> None:
    assert main(["--json-schema", str(tmp_path)]) == 0
    written = sorted(p.stem for p in tmp_path.glob("*.json"))
    assert written == sorted(MODELS)
    schema = json.loads((tmp_path / "ResultUpload.json").read_text(encoding="utf-8"))
    assert {"uid", "record", "pdf_sha256", "issued_at"} <= set(schema["required"])
    committed = Path(__file__).resolve().parents[2] / "sync" / "schemas" / "v1"
    for name in written:  # the committed copies are up to date
        assert (committed / f"{name}.json").read_text(encoding="utf-8") == \
            (tmp_path / f"{name}.json").read_text(encoding="utf-8"), f"regenerate: python -m sync.schemas --json-schema {committed}"


def test_only_a_certificate_states_a_validity() -> None:
    """A record naming its document: an inspection result or a notice carrying a validity is refused
    (an in-service inspection never renews one), and so is a kind that contradicts the verdict."""
    check = sample_inspection()
    payload = RecordPayload.model_validate(check.to_dict())
    assert payload.kind == "inspection" and payload.as_found is not None
    assert payload.as_found.valid_until == date(2029, 11, 22) and payload.valid_until is None
    claim = check.to_dict() | {"valid_until": "2030-05-17"}
    with pytest.raises(ValidationError, match="不得给出有效期"):
        RecordPayload.model_validate(claim)
    with pytest.raises(ValidationError, match="不得给出有效期"):
        RecordPayload.model_validate(check.to_dict() | {"service_life_until": "2033-05-17"})
    water = RecordPayload.model_validate(sample_water_record().to_dict())
    assert (water.kind, water.service_life_until, water.valid_until) == ("certificate", date(2032, 11, 22), None)
    failed = sample_record(passing=False).to_dict() | {"document": {"kind": "certificate", "title": "检定证书"},
                                                       "valid_until": None}
    with pytest.raises(ValidationError, match="does not match the verdict"):
        RecordPayload.model_validate(failed)
    # a record made before documents were named keeps its old meaning (its kind by verdict)
    assert RecordPayload.model_validate(sample_record(passing=False).to_dict()).kind == "notice"
