"""The frozen verification record: what a finished run *is*, independent of how it was measured.

A run freezes into a :class:`VerificationRecord` holding results, a summary of the raw readings and
a station snapshot (standards with certificate numbers and due dates, environment, software version,
procedure hash), in the QCoDeS habit of snapshotting the station into every dataset. Reports and sync
read only this type. It round-trips through plain JSON (``to_dict``/``from_dict``) so the store can
keep it as written.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    """Outcome of one measurement or item (JJF 1094: pass, fail, or undetermined in the guard band)."""

    PASS = "pass"
    FAIL = "fail"
    UNDETERMINED = "undetermined"
    NOT_APPLICABLE = "n/a"

    @property
    def zh(self) -> str:
        """Chinese wording used in documents."""
        return {"pass": "合格", "fail": "不合格", "undetermined": "待定", "n/a": "不适用"}[self.value]


@dataclass(frozen=True)
class SpecLine:
    """One entry of a document's 技术参数 row or conditions line, as printed: Chinese name, English
    name, value with its unit (参比电压 / Un / 220 V)."""

    zh: str
    en: str
    text: str


@dataclass(frozen=True)
class InstrumentInfo:
    """The instrument under verification, as on the ledger (台账), with its specification frozen at
    the end of the run (procedures/regulations/specs.py): ``parameters`` the ledger's technical
    parameters as stored (numbers in the regulation's keys: ``un_v``, ``ib_a``, ``imax_a``,
    ``constant_imp_per_kwh``, ``q3_m3_h``, ``ratio_r``, ``dn_mm``, ``qmax_l_min``, ``fuel`` …, the keys
    of data/specs.toml and whatever else the ledger holds, e.g. ``pulses_per_l``), ``specification``
    the text after the model on the cover's 型号/规格 line, ``specs`` the 技术参数 row's entries."""

    name: str
    model: str
    serial: str
    manufacturer: str
    accuracy_class: str
    client: str = ""
    client_address: str = ""
    category: str = ""
    measuring_range: str = ""
    location: str = ""
    specification: str = ""
    specs: tuple[SpecLine, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InstrumentInfo:
        """Inverse of the record's JSON form (records made before specs had none)."""
        d = dict(data)
        d["specs"] = tuple(SpecLine(**x) for x in d.get("specs", ()))
        d["parameters"] = dict(d.get("parameters", {}))
        return cls(**d)


@dataclass(frozen=True)
class StandardSetup:
    """A 计量标准装置 as the institution holds it: its name, the certificate that authorises it — a
    计量标准考核证书 or a 社会公用计量标准证书 (``certificate_kind``) — with number and validity. Its
    main instruments are the :class:`StandardUsed` whose ``setup`` is this ``certificate_no``."""

    name: str
    certificate_no: str
    valid_until: date
    certificate_kind: str = "计量标准考核证书"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StandardSetup:
        """Inverse of the record's JSON form."""
        return cls(**{**data, "valid_until": date.fromisoformat(data["valid_until"])})


@dataclass(frozen=True)
class StandardUsed:
    """A reference standard used in the run, with its calibration certificate and validity, and the
    计量标准装置 it belongs to (``setup``: that 装置's certificate number; "" for none)."""

    name: str
    model: str
    serial: str
    certificate_no: str
    valid_until: date
    accuracy: str = ""
    measuring_range: str = ""
    setup: str = ""


@dataclass(frozen=True)
class Condition:
    """A test condition the regulation sets besides the room's (JJG 162 water temperature, JJG 443
    fuel temperature, JJG 577 atmospheric pressure): its key, names, unit and the values measured
    during the run (printed as one value, or lowest~highest)."""

    key: str
    zh: str
    en: str
    unit: str
    values: tuple[float, ...]

    @property
    def text(self) -> str:
        """The value as printed: "20.5 °C", or "23.8~24.3 °C" over several readings."""
        lo, hi = min(self.values), max(self.values)
        value = f"{lo:.1f}" if abs(hi - lo) < 0.05 else f"{lo:.1f}~{hi:.1f}"
        return f"{value} {self.unit}".strip()


@dataclass(frozen=True)
class Environment:
    """Where and under which conditions the verification took place: the room's temperature and
    humidity, and the regulation's other conditions (``conditions``)."""

    place: str
    temperature_c: float | None = None
    humidity_pct: float | None = None
    conditions: tuple[Condition, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Environment:
        """Inverse of the record's JSON form (records made before conditions had none)."""
        d = dict(data)
        d["conditions"] = tuple(Condition(**{**c, "values": tuple(c["values"])}) for c in d.get("conditions", ()))
        return cls(**d)


@dataclass(frozen=True)
class MeasurementResult:
    """One measured quantity at one test point: the raw values, their mean, the rounded value
    (as printed, a string so that '0.0' and '+0.2' survive) and its verdict against the MPE.

    ``mean`` is None when there is no value to give — a bench position that faulted at this point
    (no pulses, a stuck counter, a dial it was impossible to read): its ``rounded`` is "—" and its
    verdict n/a. A record never shows a number that was not measured."""

    name: str
    label: str
    unit: str
    values: tuple[float, ...]
    mean: float | None
    rounded: str
    mpe: float | None
    verdict: Verdict
    uncertainty: float | None = None
    position: int | None = None  # bench position (表位) the result belongs to; None: the whole run
    layout: str = ""  # how this row prints when it differs from its item's (LAYOUTS; "" = the item's)

    def __post_init__(self) -> None:
        numbers = [*self.values, *(x for x in (self.mean, self.mpe, self.uncertainty) if x is not None)]
        if not all(math.isfinite(x) for x in numbers):
            raise ValueError(f"{self.name} {self.label}: 结果含非有限数值 (a result holds NaN or infinity; "
                             f"a missing value is None, not NaN)")


LAYOUTS = ("check", "conditions", "error", "error_of_mean", "limit", "at_least", "annex")
"""How an item's results are printed (its regulation table's ``layout``, frozen into the record):

* ``check`` — a checklist (外观, 密封性, 功能 …): each point with 符合/不符合, nothing else;
* ``conditions`` — test conditions: each condition with the value found and 符合;
* ``error`` — an error at each test point: the reading(s), the rounded error, MPE, verdict;
* ``error_of_mean`` — the same where the regulation averages the readings: with their mean;
* ``limit`` — a quantity against a one-sided upper limit (重复性, 压力损失, 潜动 …): "≤ limit";
* ``at_least`` — a quantity against a lower limit (起动: at least one pulse): "≥ limit";
* ``annex`` — not a legal item (e.g. 电能读数核对): printed on the 附页 without a verdict, never in
  the results and never deciding the conclusion.

"" (records made before the field): worked out from the results as before."""


@dataclass(frozen=True)
class ItemResult:
    """One verification item (检定项目), e.g. 工作误差, with the clause it follows.

    ``clause`` is printable: the clause number in the edition the run used, "" where it is not known
    (OPEN in the regulation table); ``layout`` is one of :data:`LAYOUTS`."""

    key: str
    name: str
    name_en: str
    clause: str
    verdict: Verdict
    results: tuple[MeasurementResult, ...] = ()
    note: str = ""
    layout: str = ""

    @property
    def legal(self) -> bool:
        """False for content that is not a verification item (``annex``): it never decides the
        conclusion and is printed on the 附页."""
        return self.layout != "annex"


@dataclass(frozen=True)
class People:
    """Who performed, checked and approved (检定员, 核验员, 批准人)."""

    verifier: str = ""
    checker: str = ""
    approver: str = ""
    # authorised electronic signatures (JJF 1069-2012 allows them): PNG paths, printed in place of
    # the names on the cover when set; a relative path is tried against the working directory, then
    # the installation root (see reports.certificate.resolve_asset)
    verifier_signature: str = ""
    checker_signature: str = ""
    approver_signature: str = ""


@dataclass(frozen=True)
class Contact:
    """One contact of the institution printed on its documents (业务咨询, 投诉 …): a role, and a
    person's name and/or a phone number or e-mail."""

    role: str
    role_en: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Institution:
    """The issuing body, from its institution profile (bench/institutions, docs/station-file.md)."""

    name: str = "某市计量检定测试所"
    authorisation_no: str = ""
    address: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""
    fax: str = ""
    logo_path: str = ""  # PNG printed top-left of the cover when set (same path rule as signatures)
    contacts: tuple[Contact, ...] = ()
    lookup_url: str = ""  # the platform's public lookup base: the QR code is {lookup_url}/c/{token}#…
    seal_label: str = ""  # the marked seal area on the cover (检定专用章); "" = none (records made before)
    seal_diameter_mm: float = 36.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Institution:
        """Inverse of ``dataclasses.asdict`` (contacts back to :class:`Contact`)."""
        d = dict(data)
        d["contacts"] = tuple(Contact(**c) for c in d.get("contacts", ()))
        return cls(**d)


@dataclass(frozen=True)
class DocumentInfo:
    """Which document a record makes — 检定证书, 检定结果通知书 or 使用中检查结果通知书 — with its wording
    as issued (``kind``: certificate | notice | inspection). Frozen into the record when it is made
    (from procedures/regulations/data/documents.toml), so a later change of the wording never alters
    a document already issued or its signature check."""

    kind: str
    title: str
    title_en: str
    noun: str  # 证书 | 通知书: 证书编号, 本证书 …
    number_en: str  # Certificate No. | Notice No. | Inspection No.


@dataclass(frozen=True)
class AsFound:
    """What an in-service inspection (使用中检查) found of the instrument's verification: the
    certificate it holds (number, issuer, date), the validity or service life that certificate gives,
    and its status on the day of the inspection (有效, 已过有效期, 已过使用期限, 检定不合格, 未查到),
    with where that was found. The inspection itself gives no new validity (JJF 1001-2011)."""

    certificate_no: str = ""
    issuer: str = ""
    verified_on: date | None = None
    valid_until: date | None = None
    service_life_until: date | None = None
    status: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (dates as ISO strings)."""
        return _encode(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AsFound:
        """Inverse of :meth:`to_dict`."""
        d = dict(data)
        for key in ("verified_on", "valid_until", "service_life_until"):
            d[key] = date.fromisoformat(d[key]) if d.get(key) else None
        return cls(**d)


@dataclass(frozen=True)
class VerificationRecord:
    """A finished, frozen verification run."""

    run_id: str
    record_no: str
    certificate_no: str
    regulation_code: str
    regulation_title: str
    edition: str
    verification_type: str
    instrument: InstrumentInfo
    standards: tuple[StandardUsed, ...]
    environment: Environment
    items: tuple[ItemResult, ...]
    verified_on: date
    valid_until: date | None
    institution: Institution = field(default_factory=Institution)
    people: People = field(default_factory=People)
    software_version: str = ""
    procedure_hash: str = ""
    reading_count: int = 0
    finished_at: datetime | None = None
    station: dict[str, Any] = field(default_factory=dict)
    flags: tuple[str, ...] = ()  # disagreements found while measuring, carried on the record
    signed_meter_values: dict[str, Any] | None = None  # OCMF verdict, signed start/stop readings
    adjustment_note: str = ""  # 调整/修理情况 (JJF 1069 inner page): what was adjusted or repaired; "" = none
    # What the document says about how long the instrument may be used, by the regulation table's
    # [period] rule (procedures/regulations/validity.py): "period" → 有效期至 ``valid_until``;
    # "service_life" (首次检定、限期使用、到期更换) → 使用期限至 ``service_life_until`` and no 有效期至;
    # "" → neither (a notice, an in-service inspection). ``validity_rule``: the rule with its clause.
    service_life_until: date | None = None
    validity_kind: str = ""
    validity_rule: str = ""
    document: DocumentInfo | None = None  # None (records made before): certificate or notice by the verdict
    as_found: AsFound | None = None  # an in-service inspection: the validity found, unchanged
    setups: tuple[StandardSetup, ...] = ()  # the 计量标准装置 the standards belong to (StandardUsed.setup)

    @property
    def kind(self) -> str:
        """certificate, notice or inspection: the document this record makes."""
        if self.document is not None:
            return self.document.kind
        return "certificate" if self.passed else "notice"

    @property
    def is_inspection(self) -> bool:
        """True for the result of an in-service inspection (使用中检查): no validity of its own."""
        return self.kind == "inspection"

    @property
    def passed(self) -> bool:
        """True when every applicable item passed (an annex item never decides)."""
        return all(i.verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE) for i in self.items if i.legal)

    @property
    def conclusion(self) -> str:
        """合格 or 不合格, as printed on the document."""
        return "合格" if self.passed else "不合格"

    @property
    def failing_items(self) -> tuple[ItemResult, ...]:
        """Items that did not pass (failed or undetermined): the notice names them."""
        return tuple(i for i in self.items if i.legal and i.verdict in (Verdict.FAIL, Verdict.UNDETERMINED))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (dates as ISO strings)."""
        return _encode(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VerificationRecord:
        """Inverse of :meth:`to_dict`."""
        d = dict(data)
        d["instrument"] = InstrumentInfo.from_dict(d["instrument"])
        d["standards"] = tuple(
            StandardUsed(**{**s, "valid_until": date.fromisoformat(s["valid_until"])}) for s in d["standards"]
        )
        d["environment"] = Environment.from_dict(d["environment"])
        d["setups"] = tuple(StandardSetup.from_dict(x) for x in d.get("setups", ()))
        d["institution"] = Institution.from_dict(d.get("institution", {}))
        d["people"] = People(**d.get("people", {}))
        d["items"] = tuple(
            ItemResult(
                **{
                    **i,
                    "verdict": Verdict(i["verdict"]),
                    "results": tuple(
                        MeasurementResult(**{**r, "verdict": Verdict(r["verdict"]), "values": tuple(r["values"])})
                        for r in i["results"]
                    ),
                }
            )
            for i in d["items"]
        )
        d["verified_on"] = date.fromisoformat(d["verified_on"])
        d["valid_until"] = date.fromisoformat(d["valid_until"]) if d.get("valid_until") else None
        d["finished_at"] = datetime.fromisoformat(d["finished_at"]) if d.get("finished_at") else None
        d["flags"] = tuple(d.get("flags", ()))
        d["service_life_until"] = date.fromisoformat(d["service_life_until"]) if d.get("service_life_until") else None
        d["document"] = DocumentInfo(**d["document"]) if d.get("document") else None
        d["as_found"] = AsFound.from_dict(d["as_found"]) if d.get("as_found") else None
        return cls(**d)


def _encode(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value
