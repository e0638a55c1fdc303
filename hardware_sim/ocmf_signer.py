"""A signing meter for the charger twins: OCMF records signed with ECDSA, as an Eichrecht post does.

A post with a signing meter (Speicher- und Anzeigemodul, or a meter that signs itself) sends, with
each begin, intermediate and end reading, an OCMF record ``OCMF|<payload JSON>|<signature JSON>``
(protocols.md §E) signed with the meter's private key; the public key is printed on the post so a
customer can check the bill. The twins use :class:`OcmfSigner` as their ``meter_value_signer`` so that
the workstation's verification side (``drivers.ocpp.signed``) meets the same bytes a real post sends,
in all three OCPP envelopes (1.6 hex, 1.6 OCA application-note JSON, 2.0.1 ``signedMeterValue``).

The payload is written here byte by byte (compact JSON, the register as a fixed-point literal) and
signed as written; it is an independent implementation from pyocmf's reader, which makes the
round-trip tests a real cross-check. Faults for tests: ``tamper_next`` alters the next record's value
after signing; ``wrong_key`` signs with a key other than the published one. A habit of real meters:
``page_per="transaction"`` gives begin and end records the same page number (PG).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["CURVES", "PAGE_PER", "TX_CODES", "OcmfSigner", "ocmf_time"]

CURVES: dict[str, tuple[type[ec.EllipticCurve], str]] = {
    "secp256r1": (ec.SECP256R1, "ECDSA-secp256r1-SHA256"),
    "secp384r1": (ec.SECP384R1, "ECDSA-secp384r1-SHA256"),
    "brainpoolP256r1": (ec.BrainpoolP256R1, "ECDSA-brainpoolP256r1-SHA256"),
}
"""Curves the signer offers, with the OCMF signature algorithm (SA) each is used with."""

TX_CODES = frozenset("BCXELRAPST")
"""OCMF TX letters: B begin, C charging, X exception, E end, L/R/A/P terminations (local, remote,
abort, power failure), S suspended, T tariff change (OCMF Table 7)."""

_CONTEXT_TX = {"Transaction.Begin": "B", "Transaction.End": "E"}
_END_TX = frozenset("ELRAP")
PAGE_PER = ("record", "transaction")
"""How the signer counts pages (PG): ``record`` — one page per record, as OCMF requires;
``transaction`` — one page per transaction, every record from begin to end carrying the begin's."""
_FORMS_16 = ("oca-json", "hex")
_RV_PLACEHOLDER = "\x00RV\x00"


def ocmf_time(time: datetime, status: str = "S") -> str:
    """A time in OCMF's format, ``2018-07-24T13:22:04,000+0200 S``: milliseconds after a comma, the
    UTC offset without a colon, then the time status (S synchronised, I informative, R relative,
    U unknown). A naive ``datetime`` is taken as UTC."""
    t = time if time.tzinfo is not None else time.replace(tzinfo=UTC)
    return f"{t:%Y-%m-%dT%H:%M:%S},{t.microsecond // 1000:03d}{t:%z} {status}"


class OcmfSigner:
    """The signing meter of one simulated post.

    Each :meth:`sign_reading` call makes one OCMF record with the next pagination number
    (``PG`` = ``T<n>``, one counter for every record, as OCMF requires) and signs it with
    ECDSA-<curve>-SHA256, DER signature in hex in ``SD``. ``unit`` is ``"kWh"`` (register written with
    ``decimals`` places, default 3 = 1 Wh) or ``"Wh"`` (default 0 places). ``private_key`` may be an
    ``EllipticCurvePrivateKey`` or PEM bytes; a fresh key is made otherwise.

    Fault switches (attributes, settable at any time): ``tamper_next`` — the next record's value is
    raised by one digit of its last place *after* signing, so its signature no longer matches (the
    switch then resets); ``wrong_key`` — records are signed with another key than the one
    :meth:`public_key_der` publishes. ``publish_key`` — put the public key into the OCPP envelopes
    (OCPP 2.0.1 ``PublicKeyWithSignedMeterValue``); off, the CSMS has to know it otherwise.

    ``page_per = "transaction"`` numbers pages as some real meters do instead: the begin record
    (TX=B) takes the next page number and every record after it up to and including the end
    (E/L/R/A/P) carries the same one, so begin and end share their PG (the S.A.F.E.
    Transparenzsoftware's test file ``test_ocmf_transaction_two_values.xml`` has begin and end both
    on ``T12345``); records outside a transaction still take a page each.

    As the twin's ``meter_value_signer`` pass the signer itself (it is callable, choosing the form by
    the reading's ``ocpp_version``: 1.6 → ``form_16``, ``"oca-json"`` or ``"hex"``; 2.0.1 → the
    ``signedMeterValue`` dict), or one of :meth:`signed_value_16`, :meth:`signed_value_16_hex`,
    :meth:`signed_value_201`.
    """

    def __init__(
        self,
        meter_serial: str,
        *,
        curve: str = "secp256r1",
        private_key: ec.EllipticCurvePrivateKey | bytes | None = None,
        gateway_id: str = "JD-SIM",
        paginate_from: int = 1,
        gateway_serial: str | None = None,
        gateway_version: str = "1.0",
        meter_vendor: str = "Jianding",
        meter_model: str = "JD-SIM-METER",
        unit: str = "kWh",
        decimals: int | None = None,
        current_type: str = "AC",
        obis: str = "1-b:1.8.0",
        time_status: str = "S",
        tamper_next: bool = False,
        wrong_key: bool = False,
        publish_key: bool = True,
        form_16: str = "oca-json",
        page_per: str = "record",
    ) -> None:
        if curve not in CURVES:
            raise ValueError(f"curve {curve!r} not offered; choose one of {sorted(CURVES)}")
        if unit not in ("kWh", "Wh"):
            raise ValueError(f"unit must be 'kWh' or 'Wh', not {unit!r}")
        if form_16 not in _FORMS_16:
            raise ValueError(f"form_16 must be one of {_FORMS_16}, not {form_16!r}")
        if paginate_from < 0:
            raise ValueError("pagination starts at 0 or above")
        if page_per not in PAGE_PER:
            raise ValueError(f"page_per must be one of {PAGE_PER}, not {page_per!r}")
        curve_cls, self.signature_algorithm = CURVES[curve]
        self.curve = curve
        key = private_key
        if isinstance(key, bytes):
            key = serialization.load_pem_private_key(key, password=None)  # type: ignore[assignment]
        if key is None:
            key = ec.generate_private_key(curve_cls())
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != curve_cls.name:
            raise ValueError(f"private key must be an EC key on {curve}")
        self._key: ec.EllipticCurvePrivateKey = key
        self._rogue_key: ec.EllipticCurvePrivateKey | None = None
        self.meter_serial = meter_serial
        self.gateway_id = gateway_id
        self.gateway_serial = gateway_serial if gateway_serial is not None else meter_serial
        self.gateway_version = gateway_version
        self.meter_vendor = meter_vendor
        self.meter_model = meter_model
        self.unit = unit
        self.decimals = decimals if decimals is not None else (3 if unit == "kWh" else 0)
        self.current_type = current_type
        self.obis = obis
        self.time_status = time_status
        self.next_page = paginate_from
        self.page_per = page_per
        self._transaction_page: int | None = None  # page_per "transaction": the open transaction's PG
        self.tamper_next = tamper_next
        self.wrong_key = wrong_key
        self.publish_key = publish_key
        self.form_16 = form_16

    # --- keys --------------------------------------------------------------------------------

    def public_key_der(self) -> bytes:
        """The published public key, DER SubjectPublicKeyInfo (what the post's label shows)."""
        return self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def public_key_hex(self) -> str:
        """The published key as upper-case hex DER, the usual way a post prints it (``3059301306…``)."""
        return self.public_key_der().hex().upper()

    def public_key_oca(self) -> str:
        """The key as the OCA application note sends it: base64 over ``oca:base16:asn1:<hex>``."""
        return base64.b64encode(f"oca:base16:asn1:{self.public_key_hex()}".encode("ascii")).decode("ascii")

    def _signing_key(self) -> ec.EllipticCurvePrivateKey:
        if not self.wrong_key:
            return self._key
        if self._rogue_key is None:
            self._rogue_key = ec.generate_private_key(CURVES[self.curve][0]())
        return self._rogue_key

    # --- records -----------------------------------------------------------------------------

    def sign_payload(self, payload_json: str) -> str:
        """Sign ``payload_json`` exactly as given and return ``OCMF|<payload>|<signature>``.

        For tests that need an unusual payload (spacing, extra fields): the bytes are not touched.
        Honours ``wrong_key``, not ``tamper_next``.
        """
        signature = self._signing_key().sign(payload_json.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
        sig_json = json.dumps({"SA": self.signature_algorithm, "SD": signature.hex().upper()}, separators=(",", ":"))
        return f"OCMF|{payload_json}|{sig_json}"

    def _rv_literal(self, wh: float | Decimal, bump: bool = False) -> str:
        value = Decimal(repr(wh)) if isinstance(wh, float) else Decimal(wh)
        if self.unit == "kWh":
            value = value / 1000
        step = Decimal(1).scaleb(-self.decimals)
        value = value.quantize(step, rounding=ROUND_HALF_EVEN)
        if bump:
            value += step
        return format(value, "f")

    def _payload_json(self, page: int, tx: str, time: datetime, id_tag: str | None) -> str:
        ident: dict[str, Any] = (
            {"IS": True, "IL": "VERIFIED", "IF": ["OCPP_AUTH"], "IT": "CENTRAL", "ID": id_tag}
            if id_tag else {"IS": False, "IL": "NONE", "IF": [], "IT": "NONE", "ID": ""}
        )
        payload = {
            "FV": "1.0", "GI": self.gateway_id, "GS": self.gateway_serial, "GV": self.gateway_version,
            "PG": f"T{page}", "MV": self.meter_vendor, "MM": self.meter_model, "MS": self.meter_serial,
            **ident,
            "RD": [{"TM": ocmf_time(time, self.time_status), "TX": tx, "RV": _RV_PLACEHOLDER, "RI": self.obis,
                    "RU": self.unit, "RT": self.current_type, "EF": "", "ST": "G"}],
        }
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)

    def sign_reading(self, wh: float | Decimal, tx: str, time: datetime, *, id_tag: str | None = None) -> str:
        """One signed OCMF record for the register reading ``wh`` (Wh) at ``time``.

        ``tx`` is the OCMF TX letter: ``"B"`` at the start of a transaction, ``"E"`` at its end, and
        for readings in between ``"T"`` (what the twins pass) or ``"C"``; any OCMF TX letter is
        accepted. ``id_tag`` fills the identification fields (IS/IL/IF/IT/ID). The pagination
        counter advances by one per record (with ``page_per = "transaction"``: once per transaction,
        at its begin).
        """
        if tx not in TX_CODES:
            raise ValueError(f"TX {tx!r} is not an OCMF transaction code ({''.join(sorted(TX_CODES))})")
        page = self._page(tx)
        template = self._payload_json(page, tx, time, id_tag)
        placeholder = json.dumps(_RV_PLACEHOLDER)
        signed_payload = template.replace(placeholder, self._rv_literal(wh))
        record = self.sign_payload(signed_payload)
        if self.tamper_next:
            self.tamper_next = False
            tampered = template.replace(placeholder, self._rv_literal(wh, bump=True))
            record = record.replace(signed_payload, tampered, 1)
        return record

    def _page(self, tx: str) -> int:
        """The page number (PG) of the next record with TX letter ``tx``, advancing the counter."""
        if self.page_per == "transaction" and tx != "B" and self._transaction_page is not None:
            page = self._transaction_page
        else:
            page = self.next_page
            self.next_page += 1
            if self.page_per == "transaction" and tx == "B":
                self._transaction_page = page
        if tx in _END_TX:
            self._transaction_page = None
        return page

    # --- the twin's meter_value_signer adapters ------------------------------------------------

    def _sign_dict(self, reading: Mapping[str, Any]) -> str:
        # the twin passes the OCPP context, not a TX letter: Begin → B, End → E, anything else is a
        # reading during charging, OCMF's C
        tx = reading.get("tx") or _CONTEXT_TX.get(str(reading.get("context", "")), "C")
        time = reading.get("time") or datetime.now(UTC)
        return self.sign_reading(reading["wh"], str(tx), time, id_tag=reading.get("id_tag"))

    def signed_value_16(self, reading: Mapping[str, Any]) -> str:
        """OCPP 1.6 SignedData ``value`` in the OCA application-note form: the JSON string
        ``{"signedMeterData": base64(OCMF), "signingMethod": "", "encodingMethod": "OCMF",
        "publicKey": base64("oca:base16:asn1:<hex>")}``. ``reading`` holds ``wh``, ``tx``, ``time``,
        ``context`` (and optionally ``id_tag``); without ``tx``, ``context`` decides: Transaction.Begin →
        B, Transaction.End → E, any other → C (a reading during charging)."""
        ocmf = self._sign_dict(reading)
        return json.dumps({
            "signedMeterData": base64.b64encode(ocmf.encode("utf-8")).decode("ascii"),
            "signingMethod": "",
            "encodingMethod": "OCMF",
            "publicKey": self.public_key_oca() if self.publish_key else "",
        })

    def signed_value_16_hex(self, reading: Mapping[str, Any]) -> str:
        """OCPP 1.6 SignedData ``value`` in the specification's experimental form: the OCMF string
        hex-encoded (no key travels with it)."""
        return self._sign_dict(reading).encode("utf-8").hex().upper()

    def signed_value_201(self, reading: Mapping[str, Any]) -> dict[str, str]:
        """OCPP 2.0.1 ``signedMeterValue``: ``signedMeterData`` base64(OCMF), ``signingMethod`` (the
        record's SA), ``encodingMethod`` ``"OCMF"``, ``publicKey`` base64 over
        ``oca:base16:asn1:<hex>`` as in the OCA note (``""`` when ``publish_key`` is off)."""
        ocmf = self._sign_dict(reading)
        return {
            "signedMeterData": base64.b64encode(ocmf.encode("utf-8")).decode("ascii"),
            "signingMethod": self.signature_algorithm,
            "encodingMethod": "OCMF",
            "publicKey": self.public_key_oca() if self.publish_key else "",
        }

    def signed_value(self, reading: Mapping[str, Any]) -> str | dict[str, str]:
        """The signed form for the reading's ``ocpp_version`` (default ``"1.6"``): the 1.6 SignedData
        ``value`` string in ``form_16``, or the 2.0.1 ``signedMeterValue`` dict."""
        version = str(reading.get("ocpp_version") or "1.6")
        if version.startswith("2"):
            return self.signed_value_201(reading)
        return self.signed_value_16_hex(reading) if self.form_16 == "hex" else self.signed_value_16(reading)

    __call__ = signed_value
