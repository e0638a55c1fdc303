"""Signed meter values: unwrap them from OCPP and check them with pyocmf.

A post that signs its meter readings sends an OCMF record (``OCMF|<payload JSON>|<signature JSON>``,
protocols.md §E) inside OCPP. The workstation, being the post's CSMS during a verification, must
show whether those records are authentic and what they say, because the amount billed rests on
them. Three envelopes are read (protocols.md §A2, §A3):

* OCPP 1.6 ``SampledValue.format = SignedData``, the specification's experimental form: ``value`` is
  the OCMF string hex-encoded ("opaque signed data, hex");
* OCPP 1.6 as the OCA application note does it: ``value`` is a JSON string
  ``{"signedMeterData": base64(OCMF), "signingMethod": "", "encodingMethod": "OCMF",
  "publicKey": base64("oca:base16:asn1:<hex>")}`` (a has·to·be variant names the data field
  ``signedMeterValue``; both are read, and so is a plain ``OCMF|…`` value);
* OCPP 2.0.1 ``SampledValue.signedMeterValue`` ``{signedMeterData, signingMethod, encodingMethod,
  publicKey}``, camelCase as on the wire or snake_case as the ``ocpp`` library hands it to a handler.

Parsing, signature checking, the Eichrecht rules and the S.A.F.E. XML reader are pyocmf's
(``OCMF.from_string(...).verify_signature(key)``, ``check_eichrecht``, ``OcmfContainer.from_xml``);
this module adds the OCPP envelopes, public-key normalisation (``oca:base16:asn1:``, spaced hex,
base64, PEM, bare SEC1 points), readings converted to Wh, bilingual reasons, and the checks across
the records of one transaction that pyocmf leaves out or only warns about (pagination as the
S.A.F.E. Transparenzsoftware reads it — a page number repeated on begin and end is a note, a gap or
a page going back is invalid —, begin first and end last, one meter serial, registers never going
backwards).

The payload is never re-serialised: pyocmf verifies over the original payload bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, NamedTuple

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyocmf import (
    OCMF,
    IssueCode,
    IssueSeverity,
    OcmfContainer,
    PyOCMFError,
    SignatureMethod,
    SignatureVerificationError,
    SpecWarning,
    check_eichrecht_transaction,
)
from pyocmf.enums.reading import is_end_reason

__all__ = [
    "OcmfReading",
    "OcmfStatus",
    "OcmfVerdict",
    "SignedReading",
    "SignedValueError",
    "XmlVerification",
    "normalise_public_key",
    "parse_signed_value",
    "verify_ocmf",
    "verify_transaction",
    "verify_xml",
    "verify_xml_report",
]

OcmfStatus = Literal["valid", "invalid", "absent"]
"""``valid``: signature checked and matching, readings usable; ``invalid``: checked and wrong (or
unreadable); ``absent``: nothing to check against (no public key)."""

OCMF_PREFIX = "OCMF|"
OCA_KEY_PREFIX = "oca:"

REASON_VALID = "signature matches payload (签名与数据相符)"
REASON_MISMATCH = "signature does not match payload (签名与数据不符)"
REASON_NO_KEY = "no public key (无公钥)"
NOTE_EMBEDDED_KEY = ("public key taken from the record itself, not known independently "
                     "(公钥取自记录本身，未经独立核实)")
NOTE_REPEATED_PAGE = "页码重复"
"""How the note on consecutive records sharing one page number (PG) begins (valid, see
:func:`_pagination_findings`)."""

_STATUS_ZH = {"valid": "有效", "invalid": "无效", "absent": "无公钥"}
_PAGINATION = re.compile(r"^([TF])(0|[1-9][0-9]*)$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
# cryptography classes for the curves a bare SEC1 point may be on (the curve comes from SA)
_EC_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "secp192r1": ec.SECP192R1, "secp256k1": ec.SECP256K1, "secp256r1": ec.SECP256R1,
    "secp384r1": ec.SECP384R1, "secp521r1": ec.SECP521R1, "brainpoolP256r1": ec.BrainpoolP256R1,
    "brainpool256r1": ec.BrainpoolP256R1, "brainpool384r1": ec.BrainpoolP384R1,
}
# pyocmf Eichrecht issues that the transaction checks below report themselves, stricter and in
# both languages; the remaining ones (OBIS/unit mismatch, meter status, ...) are taken from pyocmf
_OWN_TRANSACTION_CODES = {
    IssueCode.SERIAL_MISMATCH, IssueCode.PAGINATION_INCONSISTENT, IssueCode.BEGIN_TX, IssueCode.END_TX,
    IssueCode.MULTIPLE_BEGIN, IssueCode.MULTIPLE_END, IssueCode.VALUE_REGRESSION, IssueCode.TIME_REGRESSION,
}
_ISSUE_ZH = {
    IssueCode.METER_STATUS: "电能表状态异常", IssueCode.ERROR_FLAGS: "错误标志", IssueCode.TIME_SYNC: "时间未同步",
    IssueCode.NO_READINGS: "无读数", IssueCode.BEGIN_TX: "缺少开始读数", IssueCode.END_TX: "缺少结束读数",
    IssueCode.MULTIPLE_BEGIN: "开始读数不唯一", IssueCode.MULTIPLE_END: "结束读数不唯一",
    IssueCode.SERIAL_MISMATCH: "表号不一致", IssueCode.OBIS_MISMATCH: "OBIS码不一致",
    IssueCode.UNIT_MISMATCH: "单位不一致", IssueCode.VALUE_REGRESSION: "电能示值倒退",
    IssueCode.TIME_REGRESSION: "时间倒退", IssueCode.ID_MISMATCH: "身份标识不一致",
    IssueCode.ID_LEVEL_INVALID: "身份认证无效", IssueCode.PAGINATION_INCONSISTENT: "分页不一致",
    IssueCode.EVENT_COUNTER_MISMATCH: "事件计数不一致",
}


class SignedValueError(ValueError):
    """A signed meter value that cannot be unwrapped: not OCMF, bad hex/base64/JSON, or a
    non-OCMF ``encodingMethod``. The CSMS reports it; nothing can be verified from it."""


class OcmfReading(NamedTuple):
    """One OCMF reading (``RD`` entry): time, transaction code, exact value, unit and OBIS code.

    ``tx`` is OCMF's TX letter: ``B`` begin, ``C`` charging, ``T`` tariff change, ``E``/``L``/``R``/
    ``A``/``P`` ends, ``S`` suspended, ``X`` exception. ``value`` is the register as written in
    the record (a ``Decimal``, never re-formatted); ``None`` for an error-event reading.
    """

    time: datetime
    tx: str
    value: Decimal | None
    unit: str
    obis: str


@dataclass(frozen=True)
class OcmfVerdict:
    """The outcome of checking one OCMF record or one transaction.

    ``reason`` says why, in English with the Chinese wording in brackets, several reasons joined by
    ``"; "``. ``start_wh``/``stop_wh`` come from the law-relevant begin (TX=B) and end (TX=E/L/R/A/P)
    readings converted to Wh (exact ``Decimal``); they are filled even when the signature fails, so
    the operator can see what the record claims. ``notes`` are informative findings that do not
    change the status (spec deviations pyocmf tolerates, Eichrecht warnings such as an
    unsynchronised clock).
    """

    status: OcmfStatus
    reason: str
    readings: tuple[OcmfReading, ...] = ()
    meter_serial: str | None = None
    signature_algorithm: str | None = None
    start_wh: Decimal | None = None
    stop_wh: Decimal | None = None
    pagination: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """True only for a checked, matching signature with no blocking finding."""
        return self.status == "valid"

    @property
    def status_zh(self) -> str:
        """The status in Chinese: 有效 / 无效 / 无公钥."""
        return _STATUS_ZH[self.status]

    @property
    def energy_wh(self) -> Decimal | None:
        """Energy of the session (stop − start) in Wh, when both ends are present."""
        if self.start_wh is None or self.stop_wh is None:
            return None
        return self.stop_wh - self.start_wh


@dataclass(frozen=True)
class SignedReading:
    """A signed meter value taken out of its OCPP envelope.

    ``ocmf`` is the OCMF string exactly as the post sent it (after hex or base64 decoding only; only
    surrounding whitespace is dropped). ``public_key`` is the key sent with it, as DER
    SubjectPublicKeyInfo bytes, or ``None``; ``public_key_error`` says why a key that was sent could
    not be read. ``form`` records the envelope: ``"hex"`` (1.6 experimental), ``"oca-json"`` (1.6
    application note), ``"plain"`` (1.6, bare OCMF), ``"signedMeterValue"`` (2.0.1).
    """

    ocmf: str
    public_key: bytes | None
    encoding_method: str
    signing_method: str
    ocpp_version: str
    form: str
    public_key_error: str = ""

    def verify(self, public_key: bytes | str | None = None) -> OcmfVerdict:
        """Check the record with ``public_key`` if given (a key known independently, e.g. from the
        post's nameplate), else with the key sent alongside it."""
        key = public_key if public_key is not None else self.public_key
        verdict = verify_ocmf(self.ocmf, key)
        if public_key is None and self.public_key is not None and verdict.status != "absent":
            verdict = _with_notes(verdict, (NOTE_EMBEDDED_KEY,))
        elif key is None and self.public_key_error:
            verdict = _with_notes(verdict, (f"publicKey sent but unreadable: {self.public_key_error}",))
        return verdict


@dataclass(frozen=True)
class XmlVerification:
    """A S.A.F.E. XML exchange file checked: one verdict per value, one per transaction (values
    sharing a ``transactionId``, at least two of them)."""

    values: tuple[tuple[str, OcmfVerdict], ...]
    transactions: tuple[tuple[str, OcmfVerdict], ...]

    @property
    def all_valid(self) -> bool:
        """Every value and every transaction valid."""
        return all(v.valid for _, v in (*self.values, *self.transactions))


# --------------------------------------------------------------------------------------------
# Public keys
# --------------------------------------------------------------------------------------------


def normalise_public_key(key: bytes | str, *, curve: str | None = None) -> bytes:
    """Return a public key as DER SubjectPublicKeyInfo bytes.

    Accepts DER bytes, PEM (text or bytes), hex (spaces and line breaks ignored, as in S.A.F.E.
    files: ``3059 3013 …``), base64 DER, and the OCA application note's ``oca:base16:asn1:<hex>``
    (non-hex characters in the hex ignored, as the note says). A bare SEC1 point (``04‖X‖Y`` or
    compressed) is wrapped into SubjectPublicKeyInfo when ``curve`` (OCMF curve name, e.g.
    ``secp256r1``, from the record's SA) is known. Raises :class:`SignedValueError` otherwise.
    Why: posts publish their key in all of these shapes, and the verdict must not depend on which.
    """
    if isinstance(key, bytes | bytearray):
        raw = bytes(key)
        if raw.lstrip().startswith(b"-----BEGIN"):
            return _der_from_pem(raw)
        if _looks_like_der(raw) or _is_sec1_point(raw):
            return _der_checked(raw, curve)
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            return _der_checked(raw, curve)
        return normalise_public_key(text, curve=curve)

    text = key.strip()
    if not text:
        raise SignedValueError("empty public key")
    if text.startswith("-----BEGIN"):
        return _der_from_pem(text.encode("ascii"))
    if text.lower().startswith(OCA_KEY_PREFIX):
        return _der_from_oca(text, curve)
    compact = "".join(text.split())
    if _HEX.match(compact) and len(compact) % 2 == 0:
        return _der_checked(bytes.fromhex(compact), curve)
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise SignedValueError(f"public key is neither hex, base64, PEM nor oca:base16:asn1: {text[:40]!r}…") from None
    return _der_checked(raw, curve)


def _der_from_oca(text: str, curve: str | None) -> bytes:
    parts = text.split(":", 3)
    if len(parts) != 4:
        raise SignedValueError(f"malformed OCA public key (expected oca:<encoding>:<format>:<data>): {text[:40]!r}")
    _, encoding, fmt, data = (p.strip() for p in parts)
    if fmt.lower() != "asn1":
        raise SignedValueError(f"OCA public key format {fmt!r} not supported (only asn1)")
    if encoding.lower() == "base16":
        digits = re.sub(r"[^0-9a-fA-F]", "", data)
        if len(digits) % 2:
            raise SignedValueError("OCA public key has an odd number of hex digits")
        return _der_checked(bytes.fromhex(digits), curve)
    if encoding.lower() == "base64":
        try:
            return _der_checked(base64.b64decode("".join(data.split()), validate=True), curve)
        except (binascii.Error, ValueError):
            raise SignedValueError("OCA public key is not valid base64") from None
    raise SignedValueError(f"OCA public key encoding {encoding!r} not supported (base16, base64)")


def _der_from_pem(pem: bytes) -> bytes:
    try:
        loaded = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SignedValueError(f"PEM public key unreadable: {exc}") from None
    return loaded.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _looks_like_der(raw: bytes) -> bool:
    return len(raw) > 2 and raw[0] == 0x30


def _is_sec1_point(raw: bytes) -> bool:
    return len(raw) > 1 and raw[0] in (2, 3, 4)


def _der_checked(raw: bytes, curve: str | None) -> bytes:
    """DER SPKI as given if it loads (or names a curve cryptography lacks: pyocmf has a fallback);
    a bare SEC1 point wrapped for ``curve``."""
    if _looks_like_der(raw):
        try:
            serialization.load_der_public_key(raw)
            return raw
        except UnsupportedAlgorithm:
            return raw
        except ValueError:
            pass
    if _is_sec1_point(raw) and curve in _EC_CURVES:
        try:
            point = ec.EllipticCurvePublicKey.from_encoded_point(_EC_CURVES[curve](), raw)
        except ValueError as exc:
            raise SignedValueError(f"public key is not a point on {curve}: {exc}") from None
        return point.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if _is_sec1_point(raw):
        raise SignedValueError("public key is a bare EC point and its curve is unknown")
    raise SignedValueError("public key is not a DER SubjectPublicKeyInfo")


# --------------------------------------------------------------------------------------------
# OCPP envelopes
# --------------------------------------------------------------------------------------------


def parse_signed_value(raw: str | Mapping[str, Any], *, ocpp_version: str) -> SignedReading:
    """Take the OCMF record (and the key sent with it) out of an OCPP signed meter value.

    ``ocpp_version`` is ``"1.6"`` or ``"2.0.1"`` (``"ocpp1.6"``, ``"2.1"`` … are accepted). For 1.6
    ``raw`` is the SignedData sampled value's ``value`` string: hex-encoded OCMF, the application
    note's JSON string, or plain ``OCMF|…``. For 2.0.1 it is the ``signedMeterValue`` dict
    (camelCase or snake_case keys; a JSON string of it, or the whole sampledValue, also work).
    Raises :class:`SignedValueError` if no OCMF record can be taken out.
    """
    version = _normalise_version(ocpp_version)
    if version == "1.6" and isinstance(raw, str):
        text = raw.strip()
        if text.startswith("{"):
            return _from_envelope(_json_object(text), version, "oca-json")
        if text.startswith(OCMF_PREFIX):
            return SignedReading(ocmf=text, public_key=None, encoding_method="OCMF", signing_method="",
                                 ocpp_version=version, form="plain")
        ocmf = _decode_hex_ocmf(text)
        if ocmf is None:
            raise SignedValueError("SignedData value is neither hex-encoded OCMF, plain OCMF nor a JSON object")
        return SignedReading(ocmf=ocmf, public_key=None, encoding_method="OCMF", signing_method="",
                             ocpp_version=version, form="hex")
    obj = _json_object(raw.strip()) if isinstance(raw, str) else raw
    if not isinstance(obj, Mapping):
        raise SignedValueError(f"signed meter value must be a JSON object, got {type(obj).__name__}")
    return _from_envelope(obj, version, "oca-json" if version == "1.6" else "signedMeterValue")


def _normalise_version(version: str) -> str:
    v = version.strip().lower().removeprefix("ocpp").strip()
    if v in ("1.6", "16", "1.6j"):
        return "1.6"
    if v in ("2.0.1", "201", "2.0", "2.1", "21"):
        return "2.0.1"
    raise ValueError(f"OCPP version {version!r} unknown; use '1.6' or '2.0.1'")


def _json_object(text: str) -> Mapping[str, Any]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SignedValueError(f"signed meter value is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise SignedValueError("signed meter value JSON is not an object")
    return obj


def _field(obj: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in obj:
            return obj[name]
    return None


def _from_envelope(obj: Mapping[str, Any], version: str, form: str) -> SignedReading:
    nested = _field(obj, "signedMeterValue", "signed_meter_value")
    if isinstance(nested, Mapping):  # a whole 2.0.1 sampledValue was passed
        return _from_envelope(nested, version, form)
    data = _field(obj, "signedMeterData", "signed_meter_data", "signedMeterValue", "signed_meter_value")
    if not isinstance(data, str) or not data.strip():
        raise SignedValueError("signed meter value has no signedMeterData")
    encoding = str(_field(obj, "encodingMethod", "encoding_method") or "")
    signing = str(_field(obj, "signingMethod", "signing_method") or "")
    ocmf = _decode_ocmf_data(data.strip())
    if ocmf is None:
        if encoding and encoding.upper() != "OCMF":
            raise SignedValueError(f"encodingMethod {encoding!r} is not supported; only OCMF is verified")
        raise SignedValueError("signedMeterData is not base64-, hex- or plain OCMF")
    if encoding and encoding.upper() != "OCMF":
        raise SignedValueError(f"encodingMethod {encoding!r} is not supported; only OCMF is verified")
    key_field = _field(obj, "publicKey", "public_key")
    public_key: bytes | None = None
    key_error = ""
    if isinstance(key_field, str) and key_field.strip():
        try:
            public_key = _decode_envelope_key(key_field.strip(), _curve_of(ocmf))
        except SignedValueError as exc:
            key_error = str(exc)
    return SignedReading(ocmf=ocmf, public_key=public_key, encoding_method=encoding or "OCMF",
                         signing_method=signing, ocpp_version=version, form=form, public_key_error=key_error)


def _decode_ocmf_data(data: str) -> str | None:
    if data.startswith(OCMF_PREFIX):
        return data
    try:
        decoded = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if decoded.startswith(OCMF_PREFIX.encode()):
        try:
            return decoded.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return _decode_hex_ocmf(data)


def _decode_hex_ocmf(text: str) -> str | None:
    compact = "".join(text.split())
    if not compact or not _HEX.match(compact) or len(compact) % 2:
        return None
    try:
        decoded = bytes.fromhex(compact).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return decoded if decoded.startswith(OCMF_PREFIX) else None


def _decode_envelope_key(field: str, curve: str | None) -> bytes:
    """``publicKey`` of the OCA envelope: base64 over ``oca:base16:asn1:<hex>`` per the note, base64
    over plain hex as in the note's own example, base64 DER, or an unwrapped key."""
    try:
        decoded = base64.b64decode("".join(field.split()), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if decoded:
        try:
            text = decoded.decode("ascii")
        except UnicodeDecodeError:
            text = ""
        if text.lower().startswith(OCA_KEY_PREFIX):
            return normalise_public_key(text, curve=curve)
        compact = "".join(text.split())
        if compact and _HEX.match(compact) and len(compact) % 2 == 0 and len(compact) >= 64:
            return normalise_public_key(compact, curve=curve)
        try:
            return normalise_public_key(decoded, curve=curve)
        except SignedValueError:
            pass
    return normalise_public_key(field, curve=curve)


def _curve_of(ocmf: str) -> str | None:
    """The curve named by the record's SA (default secp256r1), to wrap a bare EC point."""
    parsed, _, _ = _parse(ocmf)
    if parsed is None:
        return None
    sa = parsed.signature.SA
    return sa.curve.value if isinstance(sa, SignatureMethod) else None


# --------------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------------


def _parse(ocmf: str) -> tuple[OCMF | None, str, tuple[str, ...]]:
    """pyocmf's parse with its spec warnings collected instead of printed: (model, error, warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SpecWarning)
        try:
            parsed = OCMF.from_string(ocmf)
        except (PyOCMFError, ValueError, TypeError) as exc:
            return None, str(exc), ()
    notes = tuple(dict.fromkeys(f"spec: {w.message}" for w in caught if issubclass(w.category, SpecWarning)))
    return parsed, "", notes


def _issue_text(issue: Any) -> str:
    zh = _ISSUE_ZH.get(issue.code)
    return f"{issue.message} ({zh})" if zh else str(issue.message)


def _meter_serial(parsed: OCMF) -> str | None:
    p = parsed.payload
    return p.MS or p.GS or None


def _readings(parsed: OCMF) -> tuple[OcmfReading, ...]:
    return tuple(
        OcmfReading(time=r.timestamp, tx=str(r.TX) if r.TX is not None else "", value=r.RV,
                    unit=str(r.RU) if r.RU is not None else "", obis=str(r.RI) if r.RI is not None else "")
        for r in parsed.payload.RD
    )


def _billing_readings(parsed: Iterable[OCMF]) -> list[Any]:
    """The readings a session is billed on: loss-compensated registers if any, else law-relevant
    import registers (pyocmf's OBIS classification), else every energy reading."""
    rds = [r for p in parsed for r in p.payload.RD]
    compensated = [r for r in rds if r.RI is not None and r.RI.is_loss_compensated]
    if compensated:
        return compensated
    relevant = [r for r in rds if r.RI is not None and r.RI.is_law_relevant]
    if relevant:
        return relevant
    return [r for r in rds if str(r.RU) in ("Wh", "kWh")]


def _to_wh(value: Decimal | None, unit: Any) -> Decimal | None:
    if value is None:
        return None
    if str(unit) == "kWh":
        wh = value * 1000
    elif str(unit) == "Wh":
        wh = value
    else:
        return None
    # 0.2596 kWh → 259.6 Wh, 57.584 kWh → 57584 Wh: exact, without the scaling's trailing zeros
    return wh.quantize(Decimal(1)) if wh == wh.to_integral_value() else wh.normalize()


def _start_stop(parsed: Sequence[OCMF]) -> tuple[Decimal | None, Decimal | None]:
    rds = _billing_readings(parsed)
    begins = [r for r in rds if str(r.TX) == "B"]
    ends = [r for r in rds if is_end_reason(r.TX)]
    start = _to_wh(begins[0].RV, begins[0].RU) if begins else None
    stop = _to_wh(ends[-1].RV, ends[-1].RU) if ends else None
    return start, stop


def _signature_check(parsed: OCMF, key: bytes | str | None) -> tuple[OcmfStatus, str, tuple[str, ...]]:
    """Signature status of one parsed record: pyocmf checks over the original payload bytes."""
    notes: tuple[str, ...] = ()
    if key is None:
        if parsed.embedded_public_key is None:
            return "absent", REASON_NO_KEY, ()
        key_text = parsed.embedded_public_key
        notes = (NOTE_EMBEDDED_KEY,)
    else:
        sa = parsed.signature.SA
        curve = sa.curve.value if isinstance(sa, SignatureMethod) else None
        try:
            key_text = normalise_public_key(key, curve=curve).hex()
        except SignedValueError as exc:
            return "invalid", f"public key unreadable (公钥无法解析): {exc}", ()
    try:
        ok = parsed.verify_signature(key_text)
    except SignatureVerificationError as exc:
        text = str(exc)
        if "curve mismatch" in text:
            return "invalid", f"public key does not fit the signature algorithm (公钥与签名算法不符): {text}", notes
        return "invalid", f"signature cannot be checked (无法验证签名): {text}", notes
    except (PyOCMFError, ValueError, ImportError) as exc:
        return "invalid", f"signature cannot be checked (无法验证签名): {exc}", notes
    return ("valid", REASON_VALID, notes) if ok else ("invalid", REASON_MISMATCH, notes)


def _record_verdict(parsed: OCMF, key: bytes | str | None, parse_notes: tuple[str, ...]) -> OcmfVerdict:
    status, reason, key_notes = _signature_check(parsed, key)
    reasons = [reason]
    notes = [*parse_notes, *key_notes]
    for issue in parsed.check_eichrecht():
        if issue.severity == IssueSeverity.ERROR:
            reasons.append(f"reading not usable for billing: {_issue_text(issue)}")
        else:
            notes.append(f"eichrecht: {_issue_text(issue)}")
    if len(reasons) > 1:
        if status == "valid":
            reasons = reasons[1:]
        status = "invalid"
    start, stop = _start_stop([parsed])
    sa = parsed.signature.SA
    return OcmfVerdict(
        status=status, reason="; ".join(reasons), readings=_readings(parsed), meter_serial=_meter_serial(parsed),
        signature_algorithm=str(sa) if sa is not None else None, start_wh=start, stop_wh=stop,
        pagination=(parsed.payload.PG or "",), notes=tuple(dict.fromkeys(notes)),
    )


def _unparsable(error: str) -> OcmfVerdict:
    return OcmfVerdict(status="invalid", reason=f"not a valid OCMF record (不是有效的OCMF记录): {error}")


def _with_notes(verdict: OcmfVerdict, notes: Iterable[str]) -> OcmfVerdict:
    return OcmfVerdict(**{**verdict.__dict__, "notes": tuple(dict.fromkeys((*verdict.notes, *notes)))})


def verify_ocmf(ocmf: str, public_key: bytes | str | None) -> OcmfVerdict:
    """Check one OCMF record (plain or hex-encoded) against ``public_key``.

    ``valid``: the signature matches the original payload bytes and pyocmf's Eichrecht checks find
    no error (meter status G, no energy error flag; for a record holding both begin and end, the
    pair rules). ``invalid``: unreadable record or key, key on another curve, signature mismatch,
    or such an error. ``absent``: no key given and none appended to the record. With no key given,
    a key appended as a fourth section is used and a note says so.
    """
    parsed, error, parse_notes = _parse(ocmf)
    if parsed is None:
        return _unparsable(error)
    return _record_verdict(parsed, public_key, parse_notes)


def _has_tx(parsed: OCMF, *, begin: bool) -> bool:
    """Whether the record holds a begin (TX=B) or, with ``begin=False``, an end reading."""
    return any((str(r.TX) == "B") if begin else is_end_reason(r.TX) for r in parsed.payload.RD if r.TX is not None)


def _same_page_where(labels: Sequence[str], parsed: Sequence[OCMF], first: int, last: int) -> str:
    """Which records share one page number, for the note: "begin and end records" when they are a
    transaction's begin and end, else their labels ("record 2 and record 3", "record 1 to record 4")."""
    from_begin = _has_tx(parsed[first], begin=True) and _has_tx(parsed[last], begin=False)
    if last == first + 1:
        return "begin and end records" if from_begin else f"{labels[first]} and {labels[last]}"
    span = f"{labels[first]} to {labels[last]}"
    return f"{span}, begin to end" if from_begin else span


def _pagination_findings(parsed: Sequence[OCMF], labels: Sequence[str]) -> tuple[list[str], list[str]]:
    """Pagination (PG) across the records of one transaction, in the order given: (errors, notes).

    OCMF (``SAFE-eV/OCMF-Open-Charge-Metering-Format:OCMF-en.md``, "Pagination", Table 2) gives each
    context (T transaction, F fiscal) its own counter, "incremented after each use for a record",
    and asks a check component to verify the cohesion of a transaction's records by continuous
    pagination: "no data records may have been removed or added". Read that way:

    * the same PG on consecutive records (e.g. begin and end both ``T12``) is **valid, with a note**.
      The reference implementation, the S.A.F.E. Transparenzsoftware (``SAFE-eV/transparenzsoftware``
      commit d556f1a, release 1.4.1, ``src/main/java/de/safe_ev/transparenzsoftware/verification/format/ocmf/
      OCMFVerifiedData.java`` ``lawConform`` / ``checkLawIntegrityForReadings`` and
      ``verification/Verifier.java`` ``verifyTransaction``), never compares the PG of a
      transaction's begin and end values, and its own test
      ``OCMFVerifierTest.test_ocmf_transaction_test_file`` accepts
      ``test_ocmf_transaction_two_values.xml``, whose begin and end carry ``T12345`` both: devices
      count pages per transaction. No number is skipped, so nothing can be missing;
    * a number skipped (``T3`` then ``T5``) is **invalid**: a record of the transaction is missing,
      which the spec's cohesion rule forbids (the Transparenzsoftware does not look; this check is
      stricter than it on purpose, as an inspector must be);
    * a number going back (``T5`` then ``T4``) is **invalid**: the counter only rises;
    * a change of context (``T3`` then ``F4``) is **invalid**: the two counters are independent, so
      continuity cannot be shown (pyocmf's ``check_eichrecht_transaction`` rates it an error too);
    * a PG other than ``T`` or ``F`` followed by a number without leading zeros is **invalid**
      (unreadable);
    * every record in the fiscal context F is only a note (the spec wants T for transactions).
    """
    pages = [p.payload.PG or "" for p in parsed]
    matches = [_PAGINATION.match(pg) for pg in pages]
    bad = [f"{label} {pg!r}" for label, pg, m in zip(labels, pages, matches, strict=True) if m is None]
    if bad:
        return [f"页码无法识别: {', '.join(bad)} (pagination unreadable: T or F and a number expected)"], []
    keys = [(m.group(1), int(m.group(2))) for m in matches if m is not None]
    errors: list[str] = []
    notes: list[str] = []
    first = 0
    for i in range(1, len(keys) + 1):
        if i < len(keys) and keys[i] == keys[first]:
            continue  # still the same page
        if i - 1 > first:
            notes.append(f"{NOTE_REPEATED_PAGE} {pages[first]} (repeated page number: same PG on "
                         f"{_same_page_where(labels, parsed, first, i - 1)})")
        if i < len(keys):
            (ctx_a, num_a), (ctx_b, num_b) = keys[i - 1], keys[i]
            a, b = pages[i - 1], pages[i]
            if ctx_a != ctx_b:
                errors.append(f"分页上下文不一致: {a} 之后为 {b} (pagination context changes: T and F count "
                              f"separately, so continuity cannot be shown)")
            elif num_b < num_a:
                errors.append(f"页码倒退: {a} 之后为 {b} (page number goes backwards)")
            elif num_b > num_a + 1:
                errors.append(f"页码不连续: {a} 之后为 {b} (pagination gap)")
        first = i
    if {ctx for ctx, _ in keys} == {"F"}:
        notes.append("页码属于计费上下文 F 而非交易上下文 T (pagination in the fiscal context F, "
                     "not the transaction context T)")
    return errors, notes


def _transaction_findings(parsed: Sequence[OCMF], labels: Sequence[str]) -> tuple[list[str], list[str]]:
    """Rules across the records of one transaction: (errors, notes)."""
    errors, notes = _pagination_findings(parsed, labels)

    serials = [_meter_serial(p) for p in parsed]
    distinct = list(dict.fromkeys(serials))
    if len(distinct) > 1:
        errors.append(f"meter serial changes (表号改变): {' → '.join(str(s) for s in distinct)}")

    rds = _billing_readings(parsed)
    tx = [str(r.TX) if r.TX is not None else "" for r in rds]
    if not rds:
        errors.append("no energy readings (无电能读数)")
    else:
        first_not_b = next((i for i, t in enumerate(tx) if t != "B"), len(tx))
        if tx[0] != "B":
            errors.append(f"transaction does not begin with a TX=B reading (交易未以开始读数B开头): first is {tx[0] or '-'}")
        elif "B" in tx[first_not_b:]:
            errors.append("TX=B reading after the transaction began (交易中途出现开始读数B)")
        ends = [is_end_reason(r.TX) for r in rds]
        last_not_end = max((i for i, e in enumerate(ends) if not e), default=-1)
        if not ends[-1]:
            errors.append(f"transaction does not end with a TX=E reading (交易未以结束读数E结尾): last is {tx[-1] or '-'}")
        elif any(ends[: last_not_end + 1]):
            errors.append("end reading before the transaction ended (交易中途出现结束读数)")
        by_register: dict[str, list[Any]] = {}
        for r in rds:
            by_register.setdefault(str(r.RI), []).append(r)
        for regs in by_register.values():
            for a, b in pairwise(regs):
                wa, wb = _to_wh(a.RV, a.RU), _to_wh(b.RV, b.RU)
                if wa is not None and wb is not None and wb < wa:
                    errors.append(f"meter value decreases (电能示值倒退): {a.RV} {a.RU} → {b.RV} {b.RU} ({a.RI})")
        for a, b in pairwise(rds):
            try:
                backwards = b.timestamp < a.timestamp
            except TypeError:
                backwards = False
            if backwards:
                errors.append(f"time goes backwards (时间倒退): {a.TM} → {b.TM}")

    if len(parsed) > 1:
        for issue in check_eichrecht_transaction(parsed[0].payload, parsed[-1].payload):
            if issue.code in _OWN_TRANSACTION_CODES:
                continue
            if issue.severity == IssueSeverity.ERROR:
                errors.append(_issue_text(issue))
            else:
                notes.append(f"eichrecht: {_issue_text(issue)}")
    return list(dict.fromkeys(errors)), notes


def _combine(labels: Sequence[str], verdicts: Sequence[OcmfVerdict], parsed: Sequence[OCMF]) -> OcmfVerdict:
    """One transaction verdict from its records' verdicts and the cross-record rules."""
    errors: list[str] = []
    notes: list[str] = []
    for label, v in zip(labels, verdicts, strict=True):
        if v.status == "invalid":
            errors.append(f"{label}: {v.reason}")
        notes.extend(f"{label}: {n}" for n in v.notes)
    t_errors, t_notes = _transaction_findings(parsed, labels)
    errors.extend(t_errors)
    seen = {n for v in verdicts for n in v.notes}
    notes.extend(n for n in t_notes if n not in seen)
    start, stop = _start_stop(parsed)
    serials = [v.meter_serial for v in verdicts if v.meter_serial]
    algorithms = list(dict.fromkeys(v.signature_algorithm for v in verdicts if v.signature_algorithm))
    if errors:
        status: OcmfStatus = "invalid"
        reason = "; ".join(errors)
    elif any(v.status == "absent" for v in verdicts):
        status, reason = "absent", REASON_NO_KEY
    else:
        status = "valid"
        if any(n.startswith(NOTE_REPEATED_PAGE) for n in t_notes):
            pg_en, pg_zh = "pagination without gaps, a page number repeated (see notes)", "分页无缺页，页码重复（见备注）"
        else:
            pg_en, pg_zh = "pagination continuous", "分页连续"
        reason = f"all {len(verdicts)} signatures match, {pg_en}, one meter serial (签名全部相符，{pg_zh}，表号一致)"
    return OcmfVerdict(
        status=status, reason=reason, readings=tuple(r for v in verdicts for r in v.readings),
        meter_serial=serials[0] if serials else None,
        signature_algorithm=", ".join(a for a in algorithms if a) or None,
        start_wh=start, stop_wh=stop, pagination=tuple(pg for v in verdicts for pg in v.pagination),
        notes=tuple(dict.fromkeys(notes)),
    )


def verify_transaction(records: Sequence[str], public_key: bytes | str | None) -> OcmfVerdict:
    """Check the OCMF records of one charging session, in the order they were received.

    Each record is checked as by :func:`verify_ocmf`; then across the records: pagination as the
    OCMF spec and the S.A.F.E. Transparenzsoftware read it (:func:`_pagination_findings`: ``T<n>``
    then ``T<n+1>``; the same page on consecutive records is valid with a note; a gap, a page going
    back or a change of context is invalid), the first billing reading is TX=B and the last an end
    (E/L/R/A/P) with no begin or end in between, one meter serial throughout, registers and times
    never going backwards, plus pyocmf's begin/end pair rules (same OBIS code and unit). Any
    failure makes the transaction ``invalid``; otherwise a missing key makes it ``absent``.
    """
    if not records:
        return OcmfVerdict(status="invalid", reason="no records (无记录)")
    labels = [f"record {i}" for i in range(1, len(records) + 1)]
    verdicts: list[OcmfVerdict] = []
    parsed: list[OCMF] = []
    for label, text in zip(labels, records, strict=True):
        model, error, parse_notes = _parse(text)
        if model is None:
            return OcmfVerdict(status="invalid", reason=f"{label}: {_unparsable(error).reason}")
        parsed.append(model)
        verdicts.append(_record_verdict(model, public_key, parse_notes))
    return _combine(labels, verdicts, parsed)


# --------------------------------------------------------------------------------------------
# S.A.F.E. transparency software XML
# --------------------------------------------------------------------------------------------


_CONTEXT_ORDER = {"Transaction.Begin": 0, "Transaction.End": 2}


def _transaction_order(context: str | None, parsed: OCMF) -> tuple[int, int]:
    """Where a value goes in its transaction: the ``Transaction.Begin`` value first and the
    ``Transaction.End`` value last, as the Transparenzsoftware pairs them
    (``verification/Verifier.java`` ``verifyTransaction``), any others between by page number. Not
    by page number alone: a page going backwards must show as such, not be sorted away."""
    m = _PAGINATION.match(parsed.payload.PG or "")
    return _CONTEXT_ORDER.get((context or "").strip(), 1), int(m.group(2)) if m else -1


def verify_xml_report(path: str | Path, public_key: bytes | str | None = None) -> XmlVerification:
    """Read a S.A.F.E. transparency-software XML exchange file and check every value in it.

    The file is read by pyocmf's ``OcmfContainer.from_xml`` (defusedxml underneath). Each value is
    checked with the public key stored beside it in the file, unless ``public_key`` is given (a key
    known independently is the stronger check; it is then used for every value). Values sharing a
    ``transactionId`` (two or more) are also checked as a transaction (:func:`verify_transaction`
    rules), the begin value first and the end value last (:func:`_transaction_order`). Raises
    ``OSError`` / :class:`SignedValueError` if the file cannot be read or holds no OCMF data.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {p}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecWarning)
        try:
            container = OcmfContainer.from_xml(p)
        except PyOCMFError as exc:
            raise SignedValueError(f"{p.name}: {exc}") from None
    values: list[tuple[str, OcmfVerdict]] = []
    labelled: dict[int, str] = {}
    verdict_of: dict[int, OcmfVerdict] = {}
    for i, record in enumerate(container, start=1):
        # spec warnings per record: pyocmf re-parses its own output (field values are unchanged by it)
        try:
            _, _, spec_notes = _parse(record.ocmf.to_string())
        except (PyOCMFError, ValueError, TypeError):
            spec_notes = ()
        key: bytes | str | None = public_key
        if key is None and record.public_key is not None:
            key = record.public_key.key
        verdict = _record_verdict(record.ocmf, key, spec_notes)
        bits = [b for b in (record.context, f"transactionId {record.transaction_id}"
                            if record.transaction_id is not None else None, record.ocmf.payload.PG) if b]
        label = f"value {i}" + (f" ({', '.join(bits)})" if bits else "")
        values.append((label, verdict))
        labelled[id(record)] = f"value {i}"
        verdict_of[id(record)] = verdict
    transactions: list[tuple[str, OcmfVerdict]] = []
    for tid, group in container.transactions().items():
        if len(group) < 2:
            continue
        ordered = sorted(group, key=lambda r: _transaction_order(r.context, r.ocmf))
        combined = _combine([labelled[id(r)] for r in ordered], [verdict_of[id(r)] for r in ordered],
                            [r.ocmf for r in ordered])
        transactions.append((f"transaction {tid}", combined))
    return XmlVerification(values=tuple(values), transactions=tuple(transactions))


def verify_xml(path: str | Path, public_key: bytes | str | None = None) -> list[tuple[str, OcmfVerdict]]:
    """Per value of a S.A.F.E. XML file: a label (``value 1 (Transaction.Begin, transactionId 15060,
    T28)``) and its verdict; see :func:`verify_xml_report`, which also gives transaction verdicts."""
    return list(verify_xml_report(path, public_key).values)
