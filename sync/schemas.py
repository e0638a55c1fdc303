"""Platform API v1 as pydantic v2 models — the one definition both sides code against.

The workstation (``sync.client``, ``sync.outbox``) builds and reads these models; the reference
platform server (``hardware_sim.platform``) validates requests and shapes responses with the same
models, so the documented contract (``sync/API.md``) and the code cannot drift apart. Everything here
is plain pydantic and the standard library: no store, no HTTP.

Conventions (see ``sync/API.md`` for the full text):

* JSON over HTTPS under ``/api/v1``; every body carries ``schema_version`` where the contract says so.
* Times are ISO 8601 with an offset (``AwareDatetime``); dates are ``YYYY-MM-DD``.
* Unknown fields in a request are ignored (forward compatibility: a newer workstation may send more).
* A validation failure is reported as :class:`ErrorBody` with one :class:`ErrorItem` per problem,
  its ``field`` a dotted path (``record.instrument.serial``, ``items.3.uid``) and its message Chinese
  first with the English beside it — :func:`error_items` turns a pydantic ``ValidationError`` into them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sync.seal import SigningError, is_lookup_url, key_id, parse_qr

SCHEMA_VERSION = "1"
API_PREFIX = "/api/v1"
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotency-Replayed"  # "true" on a stored response returned for a replayed key

ResultStatus = Literal["issued", "revoked"]
BookingStatus = Literal["booked", "accepted", "refused", "reassign_requested", "completed"]
DecisionKind = Literal["accept", "refuse", "reassign"]
CertificateState = Literal["valid", "superseded", "revoked"]
DeliveryMode = Literal["送检", "现场检", ""]
FilingStatus = Literal["已备案", "未备案", ""]

#: decision → the booking status it leads to
DECISION_STATUS: dict[str, str] = {"accept": "accepted", "refuse": "refused", "reassign": "reassign_requested"}


class _Model(BaseModel):
    """Base of every API model: unknown request fields are ignored, names are used as given."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


# --------------------------------------------------------------------------------------------- helpers

def qr_token(qr_text: str) -> str:
    """The public lookup token of a certificate: for the URL-form QR the token in its path (derived
    from its signature, sync.seal.lookup_token; checked by :func:`sync.seal.parse_qr`); for the
    old ``JDC1|…`` text base64url (no padding) of the first 16 bytes of SHA-256 over the UTF-8 QR
    text. Short enough for a URL, unguessable without the QR."""
    if is_lookup_url(qr_text):
        return parse_qr(qr_text).token
    digest = hashlib.sha256(qr_text.encode("utf-8")).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def result_uid(certificate_no: str, version: int) -> str:
    """The stable identity of one certificate version on the platform: ``<certificate_no>/v<version>``."""
    return f"{certificate_no}/v{version}"


def body_sha256(body: bytes) -> str:
    """Hex SHA-256 of a request body as sent — what the server compares on an idempotent replay."""
    return hashlib.sha256(body).hexdigest()


def key_id_of(public_key_hex: str) -> str:
    """Key id of an Ed25519 public key given in hex (:func:`sync.seal.key_id`)."""
    return key_id(bytes.fromhex(public_key_hex))


def dump_json(model: BaseModel) -> bytes:
    """The exact bytes to POST for a model: compact JSON, UTF-8, keys in field order.

    The outbox stores these bytes and resends them unchanged, so a replay carries the same body
    hash under the same Idempotency-Key."""
    return model.model_dump_json(exclude_none=False).encode("utf-8")


_MESSAGES_ZH: dict[str, str] = {
    "missing": "必填字段缺失",
    "string_type": "应为字符串",
    "string_too_short": "不能为空或过短",
    "string_too_long": "过长",
    "string_pattern_mismatch": "格式不符",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_type": "应为数值",
    "float_parsing": "应为数值",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "date_type": "应为日期",
    "date_parsing": "日期格式不符 (YYYY-MM-DD)",
    "date_from_datetime_parsing": "日期格式不符 (YYYY-MM-DD)",
    "datetime_type": "应为日期时间",
    "datetime_parsing": "日期时间格式不符 (ISO 8601)",
    "datetime_from_date_parsing": "日期时间格式不符 (ISO 8601)",
    "timezone_aware": "时间须带时区偏移 (ISO 8601 with offset)",
    "literal_error": "取值不在允许范围内",
    "list_type": "应为数组",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "greater_than_equal": "数值过小",
    "greater_than": "数值过小",
    "less_than_equal": "数值过大",
    "too_long": "条目过多",
    "too_short": "条目过少",
    "json_invalid": "不是有效的 JSON",
    "value_error": "取值无效",
}


def error_items(exc: ValidationError, prefix: str = "") -> list[ErrorItem]:
    """One :class:`ErrorItem` per pydantic error, the location as a dotted path (``prefix`` put in
    front, e.g. ``items.2``) and the message Chinese first with pydantic's English beside it."""
    out: list[ErrorItem] = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        path = ".".join([p for p in (prefix, *loc) if p]) or "(body)"
        english = str(err.get("msg", ""))
        if err.get("type") == "value_error":
            # our own validators already write "中文 (English)"; pydantic prefixes "Value error, "
            text = english.removeprefix("Value error, ")
        else:
            zh = _MESSAGES_ZH.get(str(err.get("type")), "取值无效")
            text = f"{zh} ({english})"
        out.append(ErrorItem(field=path, message=text))
    return out


# ---------------------------------------------------------------------------------------- error shape

class ErrorItem(_Model):
    """One problem with a request: ``field`` is a dotted path into the body (``record.instrument.serial``)
    or the name of a header / path parameter (``Authorization``, ``Idempotency-Key``, ``booking_id``)."""

    field: str
    message: str


class ErrorBody(_Model):
    """The body of every 4xx response (401, 403, 404, 409, 422): a list of problems."""

    errors: list[ErrorItem]


# ------------------------------------------------------------------------------------------- ledger

class LedgerInstrument(_Model):
    """An instrument as on the ledger (台账) in the platform's batch-import habit; upserted by
    (institution, serial)."""

    serial: str = Field(min_length=1, max_length=128)
    category: str = ""  # 项别/种别
    name: str = Field(min_length=1, max_length=200)
    model: str = ""
    manufacturer: str = ""
    accuracy_class: str = ""
    measuring_range: str = ""
    user_unit: str = ""  # 使用单位
    location: str = ""
    division_code: str = ""  # administrative division (行政区划代码)
    use: str = ""  # 贸易结算 / 安全防护 / 医疗卫生 / 环境监测
    delivery_mode: DeliveryMode = ""
    household: bool | None = None  # 民用 (a meter in a home; the 民用“三表” tables count these); None: not said
    filing_status: FilingStatus = ""  # 备案: 已备案 | 未备案 ("" not said)
    commissioned_on: date | None = None  # 投用日期: put into service (首检率, 在用 counts)


class LedgerUpload(_Model):
    """``POST /api/v1/ledger``: instruments to add or update."""

    schema_version: Literal["1"] = SCHEMA_VERSION
    instruments: list[LedgerInstrument] = Field(max_length=10_000)


class LedgerAck(_Model):
    """Reply to a ledger upload: how many instruments were inserted or updated."""

    accepted: int
    duplicate: bool = False


# ------------------------------------------------------------------------------------------ results

class RecordInstrument(_Model):
    """The instrument block of a record (``procedures.records.InstrumentInfo``); other fields kept."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1)
    model: str
    serial: str = Field(min_length=1)
    manufacturer: str
    accuracy_class: str


class RecordItem(_Model):
    """One verification item of a record (``procedures.records.ItemResult``); other fields kept."""

    model_config = ConfigDict(extra="allow")

    key: str
    name: str
    verdict: Literal["pass", "fail", "undetermined", "n/a"]


class RecordInstitution(_Model):
    """The issuing institution block of a record; other fields kept."""

    model_config = ConfigDict(extra="allow")

    name: str = ""


DocumentKind = Literal["certificate", "notice", "inspection"]


class RecordDocument(_Model):
    """Which document a record makes (``procedures.records.DocumentInfo``): 检定证书, 检定结果通知书 or
    使用中检查结果通知书; its wording is kept as sent."""

    model_config = ConfigDict(extra="allow")

    kind: DocumentKind
    title: str = ""


class RecordAsFound(_Model):
    """What an in-service inspection found of the instrument's verification
    (``procedures.records.AsFound``): the certificate held and its validity, unchanged."""

    model_config = ConfigDict(extra="allow")

    certificate_no: str = ""
    valid_until: date | None = None
    service_life_until: date | None = None
    status: str = ""


class RecordPayload(_Model):
    """``VerificationRecord.to_dict()`` as the platform checks it: the fields it shows and judges are
    typed, every other field is kept as sent (``extra="allow"``), so the record round-trips whole.

    Only a certificate states a validity: a record that names its document (``document``) is refused
    when a notice or an in-service inspection result carries ``valid_until`` or ``service_life_until``
    — an inspection never renews an instrument's validity, on the platform either — or when its kind
    does not match its verdict (a certificate that failed, a notice that passed)."""

    model_config = ConfigDict(extra="allow")

    run_id: str
    record_no: str
    certificate_no: str
    regulation_code: str
    instrument: RecordInstrument
    items: list[RecordItem]
    verified_on: date
    valid_until: date | None = None
    service_life_until: date | None = None  # 使用期限至: an instrument verified once and replaced when due
    institution: RecordInstitution = Field(default_factory=RecordInstitution)
    document: RecordDocument | None = None  # None: a record made before documents were named (by verdict)
    as_found: RecordAsFound | None = None

    @property
    def passed(self) -> bool:
        """True when every applicable item passed (the rule of ``VerificationRecord.passed``)."""
        return all(i.verdict in ("pass", "n/a") for i in self.items)

    @property
    def kind(self) -> str:
        """certificate, notice or inspection (the rule of ``VerificationRecord.kind``)."""
        if self.document is not None:
            return self.document.kind
        return "certificate" if self.passed else "notice"

    @model_validator(mode="after")
    def _validity_on_certificates_only(self) -> RecordPayload:
        if self.document is None:
            return self
        if self.kind != "certificate" and (self.valid_until or self.service_life_until):
            raise ValueError(f"{self.kind} 不得给出有效期或使用期限：只有检定证书给出；使用中检查不延长有效期 "
                             "(only a certificate states a validity; a notice or an in-service inspection result "
                             "must not carry valid_until or service_life_until)")
        if (self.kind == "certificate") != self.passed and self.kind != "inspection":
            raise ValueError(f"文书种类 {self.kind} 与检定结论 {self.conclusion} 不符 (the document kind does not match "
                             "the verdict: a certificate for 合格, a notice for 不合格)")
        return self

    @property
    def conclusion(self) -> str:
        """合格 or 不合格, as printed on the document."""
        return "合格" if self.passed else "不合格"


class ResultUpload(_Model):
    """``POST /api/v1/results``: one certificate (or notice) version with its record, PDF and signature.

    ``uid`` must equal ``f"{certificate_no}/v{version}"``; ``pdf_sha256`` must be the SHA-256 of the
    decoded ``pdf_base64``; ``key_id`` must be the key id of ``public_key_hex``. ``status`` "revoked"
    marks that version revoked on the platform (the upload may arrive before or after the issued one).
    ``purpose`` is why the verification was made (the workstation's ``bench/purposes.toml`` keys:
    first, periodic, sampling, complaint, arbitration, commission; "" when not said): the bureaus count
    verifications by it (监督抽查, 投诉举报 …).
    """

    schema_version: Literal["1"] = SCHEMA_VERSION
    certificate_no: str = Field(min_length=1, max_length=64)
    version: int = Field(ge=1)
    uid: str
    supersedes: str | None = None  # uid of the version this one replaces
    booking_id: str | None = None
    purpose: str = Field(default="", max_length=32, pattern=r"^[a-z_]*$")  # why its run was made (periodic, complaint …)
    status: ResultStatus = "issued"
    record: RecordPayload
    pdf_base64: str = Field(min_length=1)
    pdf_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    qr_text: str = Field(min_length=1, max_length=2000)
    public_key_hex: str = Field(pattern=r"^[0-9a-f]{64}$")
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    issued_at: AwareDatetime

    @field_validator("qr_text")
    @classmethod
    def _qr_readable(cls, value: str) -> str:
        if is_lookup_url(value):
            try:
                parse_qr(value)
            except SigningError as e:
                raise ValueError(str(e)) from None
        return value

    @field_validator("uid")
    @classmethod
    def _uid_matches(cls, value: str, info: ValidationInfo) -> str:
        number, version = info.data.get("certificate_no"), info.data.get("version")
        if number is not None and version is not None and value != result_uid(number, version):
            raise ValueError(f"uid 应为 {result_uid(number, version)} (uid must be certificate_no/v<version>)")
        return value

    @field_validator("pdf_base64")
    @classmethod
    def _pdf_decodes(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("PDF 不是有效的 base64 (pdf_base64 is not valid base64)") from None
        return value

    @field_validator("pdf_sha256")
    @classmethod
    def _pdf_hash_matches(cls, value: str, info: ValidationInfo) -> str:
        encoded = info.data.get("pdf_base64")
        if encoded is not None and hashlib.sha256(base64.b64decode(encoded)).hexdigest() != value:
            raise ValueError("PDF 摘要与内容不符 (pdf_sha256 does not match pdf_base64)")
        return value

    @field_validator("key_id")
    @classmethod
    def _key_id_matches(cls, value: str, info: ValidationInfo) -> str:
        public = info.data.get("public_key_hex")
        if public is not None and key_id_of(public) != value:
            raise ValueError(f"密钥标识应为 {key_id_of(public)} (key_id does not match public_key_hex)")
        return value

    @field_validator("supersedes")
    @classmethod
    def _supersedes_lower(cls, value: str | None, info: ValidationInfo) -> str | None:
        number, version = info.data.get("certificate_no"), info.data.get("version")
        if value is not None and number is not None and version is not None and value == result_uid(number, version):
            raise ValueError("不能替代自身 (a version cannot supersede itself)")
        return value

    @property
    def pdf_bytes(self) -> bytes:
        """The decoded PDF."""
        return base64.b64decode(self.pdf_base64)

    @property
    def token(self) -> str:
        """The public lookup token of this version (:func:`qr_token` of ``qr_text``)."""
        return qr_token(self.qr_text)

    @classmethod
    def build(cls, *, certificate_no: str, version: int, record: dict[str, Any], pdf: bytes, qr_text: str,
              public_key_hex: str, issued_at: Any, status: str = "issued", supersedes: str | None = None,
              booking_id: str | None = None, purpose: str = "") -> ResultUpload:
        """Make a valid upload from the issued parts, deriving uid, pdf_base64, pdf_sha256 and key_id."""
        return cls(certificate_no=certificate_no, version=version, uid=result_uid(certificate_no, version),
                   supersedes=supersedes, booking_id=booking_id, purpose=purpose, status=status, record=record,
                   pdf_base64=base64.b64encode(pdf).decode("ascii"), pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                   qr_text=qr_text, public_key_hex=public_key_hex, key_id=key_id_of(public_key_hex),
                   issued_at=issued_at)

    def idempotency_key(self) -> str:
        """A stable Idempotency-Key for this upload: ``result:<uid>:<status>``."""
        return f"result:{self.uid}:{self.status}"


class ResultBatch(_Model):
    """``POST /api/v1/results:batch``: several uploads under one Idempotency-Key; each item is also
    de-duplicated by its uid. The server validates item by item: an invalid item is rejected alone
    (see :class:`BatchAck`) and the others are stored."""

    schema_version: Literal["1"] = SCHEMA_VERSION
    items: list[ResultUpload] = Field(min_length=1, max_length=500)

    def idempotency_key(self) -> str:
        """A stable Idempotency-Key for this batch: ``batch:`` + SHA-256 over the sorted item keys."""
        keys = "\n".join(sorted(i.idempotency_key() for i in self.items))
        return "batch:" + hashlib.sha256(keys.encode("utf-8")).hexdigest()[:32]


class Ack(_Model):
    """The platform's acknowledgement of one result: its own id for it, the time it received it
    (server clock, never the client's) and whether it already held that uid."""

    uid: str
    platform_id: str
    received_at: AwareDatetime
    duplicate: bool = False
    status: ResultStatus = "issued"  # the status the platform now holds for this uid


class BatchRejected(_Model):
    """One batch item the platform did not accept, with its problems (paths relative to the item)."""

    uid: str | None = None
    index: int
    errors: list[ErrorItem]


class BatchAck(_Model):
    """Reply to a batch: an Ack per accepted item (in request order) and the rejected items."""

    acks: list[Ack] = Field(default_factory=list)
    rejected: list[BatchRejected] = Field(default_factory=list)
    duplicate: bool = False


# ----------------------------------------------------------------------------------------- bookings

class Booking(_Model):
    """A user unit's booking (预约) assigned to the caller's institution. ``seq`` is the platform's
    arrival sequence: bookings are served in ascending ``seq`` (先约先检).

    ``GET /api/v1/bookings`` answers a JSON array of these (ascending ``seq``); the next page is
    asked with ``after_seq`` = the last ``seq`` received. ``duplicate`` is true only on a replayed
    decision."""

    booking_id: str
    seq: int
    status: BookingStatus
    submitted_at: AwareDatetime
    requested_date: date | None = None
    user_unit: str
    contact: str = ""
    phone: str = ""
    site_address: str = ""
    division_code: str = ""
    delivery_mode: DeliveryMode = ""
    instruments: list[LedgerInstrument] = Field(default_factory=list)
    reason: str | None = None  # why refused / why reassignment was asked
    planned_date: date | None = None
    decided_by: str | None = None
    decided_at: AwareDatetime | None = None
    duplicate: bool = False


class BookingDecision(_Model):
    """``POST /api/v1/bookings/{booking_id}/decision``: 受理 (accept), 不予受理 (refuse, reason
    required) or 申请重新指派 (reassign, reason required)."""

    decision: DecisionKind
    reason: str | None = Field(default=None, max_length=2000, validate_default=True)
    decided_by: str = Field(min_length=1)
    decided_at: AwareDatetime
    planned_date: date | None = None

    @field_validator("reason")
    @classmethod
    def _reason_required(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("decision") in ("refuse", "reassign") and not (value or "").strip():
            raise ValueError("不予受理或申请重新指派须填写理由 (a reason is required to refuse or reassign)")
        return value

    def idempotency_key(self, booking_id: str) -> str:
        """A stable Idempotency-Key for this decision: ``decision:<booking_id>:<decision>``."""
        return f"decision:{booking_id}:{self.decision}"


# ------------------------------------------------------------------------------------- certificates

class CertificateStatus(_Model):
    """What the public sees for a QR token (``GET /api/v1/certificates/{token}``, ``GET /c/{token}``)."""

    token: str
    certificate_no: str
    version: int
    uid: str
    status: CertificateState
    latest_version: int  # highest version of this number the platform holds
    kind: DocumentKind  # 检定证书 (pass), 检定结果通知书 (fail), 使用中检查结果通知书 (an in-service inspection)
    instrument_name: str
    instrument_model: str
    instrument_serial: str
    conclusion: str  # 合格 / 不合格
    verified_on: date
    valid_until: date | None = None  # a certificate's 有效期至 (none on a notice or an inspection result)
    service_life_until: date | None = None  # a certificate's 使用期限至 (instruments verified once, replaced when due)
    found_certificate_no: str = ""  # an inspection result: the certificate the instrument held …
    found_valid_until: date | None = None  # … and its validity or service life as found (unchanged)
    found_service_life_until: date | None = None
    found_status: str = ""
    issuer: str
    institution_code: str
    pdf_sha256: str
    issued_at: AwareDatetime
    received_at: AwareDatetime
    superseded_by: str | None = None  # uid of the newer version when superseded

    @property
    def status_zh(self) -> str:
        """有效 / 已被替代 / 已撤销."""
        return {"valid": "有效", "superseded": "已被替代", "revoked": "已撤销"}[self.status]


# ------------------------------------------------------------------------------------ rectification

RectificationAction = Literal["opened", "rectified", "rejected", "closed", "withdrawn"]
RectificationStatus = Literal["open", "rectified", "closed", "withdrawn"]

#: a rectification step → the item's status after it (整改: opened → open; the owner's report →
#: rectified; the verifier's refusal → open again; the verifier's acceptance → closed; withdrawn)
RECTIFICATION_STATUS_AFTER: dict[str, str] = {"opened": "open", "rectified": "rectified", "rejected": "open",
                                              "closed": "closed", "withdrawn": "withdrawn"}


def rectification_key(item_no: str, seq: int) -> str:
    """The Idempotency-Key of one step of a rectification item: ``rectification:<item_no>:<seq>``."""
    return f"rectification:{item_no}:{seq}"


class RectificationChange(_Model):
    """One step of a rectification item (整改), numbered from 1 (``opened``) in the order the
    workstation recorded them; ``status`` is the item's status after it."""

    seq: int = Field(ge=1)
    action: RectificationAction
    status: RectificationStatus
    on: date  # the day it happened (the rectification done, the verification made)
    at: AwareDatetime  # when the workstation recorded it
    actor: str = Field(min_length=1, max_length=200)  # the person
    party: str = Field(default="", max_length=200)  # on whose behalf: the owner, or the bureau / institution
    evidence: str = Field(default="", max_length=4000)  # rectified: what was done
    evidence_file: str = Field(default="", max_length=1000)  # rectified: a file or a document reference
    evidence_sha256: str = Field(default="", pattern=r"^([0-9a-f]{64})?$")
    note: str = Field(default="", max_length=4000)

    @model_validator(mode="after")
    def _consistent(self) -> RectificationChange:
        if self.status != RECTIFICATION_STATUS_AFTER[self.action]:
            raise ValueError(f"{self.action} 之后状态应为 {RECTIFICATION_STATUS_AFTER[self.action]} (status after "
                             f"{self.action} must be {RECTIFICATION_STATUS_AFTER[self.action]})")
        if (self.seq == 1) != (self.action == "opened"):
            raise ValueError("第 1 步必须且只能是 opened (step 1 is the opening, and only step 1)")
        if self.action == "rectified" and not self.evidence.strip():
            raise ValueError("整改须附整改情况 (a rectification needs its evidence)")
        if self.action in ("closed", "rejected") and not self.party.strip():
            raise ValueError("核查须写明核查单位 (a verification names the bureau or institution: party)")
        if self.action in ("rejected", "withdrawn") and not self.note.strip():
            raise ValueError("退回或撤销须说明理由 (a rejection or withdrawal needs a note)")
        return self


class RectificationUpload(_Model):
    """``POST /api/v1/rectifications``: one step of a rectification item with the item's facts (so the
    platform can hold the item whichever step reaches it first). The platform keeps every step once
    per (institution, ``item_no``, ``change.seq``) and the item's status from its highest step."""

    schema_version: Literal["1"] = SCHEMA_VERSION
    item_no: str = Field(pattern=r"^ZG-[0-9A-F]{8}$")
    finding_kind: str = Field(min_length=1, max_length=64)  # failed_verification, overdue, violation, …
    finding: str = Field(min_length=1, max_length=4000)  # what was found, in words
    user_unit: str = Field(min_length=1, max_length=200)  # 使用单位: the owner who must rectify
    instrument_serial: str = ""
    category: str = ""
    division_code: str = ""
    location: str = ""
    opened_on: date
    deadline: date  # 整改期限: the last day in time
    change: RectificationChange

    @model_validator(mode="after")
    def _dates(self) -> RectificationUpload:
        if self.deadline < self.opened_on:
            raise ValueError("整改期限早于立项日期 (deadline before the day the item was opened)")
        if self.change.on < self.opened_on:
            raise ValueError("此步日期早于立项日期 (the step is dated before the item was opened)")
        return self

    def idempotency_key(self) -> str:
        """A stable Idempotency-Key for this step (:func:`rectification_key`)."""
        return rectification_key(self.item_no, self.change.seq)


class RectificationAck(_Model):
    """The platform's acknowledgement of one step: the item's status it now holds (from the highest
    step received), its id for the item, when it received the step, and whether it already held it."""

    item_no: str
    seq: int
    status: RectificationStatus
    platform_id: str
    received_at: AwareDatetime
    duplicate: bool = False


class RectificationState(_Model):
    """A rectification item as the platform holds it (``GET /api/v1/rectifications``): the facts, its
    status from the highest step received, ``overdue`` (open after its deadline, by the platform's
    date in China Standard Time) and every step received, in step order."""

    item_no: str
    finding_kind: str
    finding: str
    user_unit: str
    instrument_serial: str = ""
    category: str = ""
    division_code: str = ""
    location: str = ""
    opened_on: date
    deadline: date
    status: RectificationStatus
    overdue: bool
    last_seq: int
    changes: list[RectificationChange]
    received_at: AwareDatetime  # the first step's arrival
    updated_at: AwareDatetime  # the latest step's arrival


#: every model of the contract, by name (what ``--json-schema`` writes)
MODELS: dict[str, type[BaseModel]] = {m.__name__: m for m in (
    ResultUpload, ResultBatch, Ack, BatchAck, BatchRejected, LedgerInstrument, LedgerUpload, LedgerAck,
    Booking, BookingDecision, CertificateStatus, ErrorItem, ErrorBody, RecordPayload, RectificationChange,
    RectificationUpload, RectificationAck, RectificationState)}


def write_json_schemas(directory: Path) -> list[Path]:
    """Write one JSON Schema file per model (``<Model>.json``) into ``directory``; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, model in MODELS.items():
        path = directory / f"{name}.json"
        schema = model.model_json_schema()
        schema["$id"] = f"https://jianding.invalid/schemas/v{SCHEMA_VERSION}/{name}.json"
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m sync.schemas --json-schema DIR``: export the JSON Schemas of API v1."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "--json-schema":
        print("usage: python -m sync.schemas --json-schema DIR", file=sys.stderr)
        return 2
    for path in write_json_schemas(Path(args[1])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
