"""What each verification type issues, for each kind of regulation, through the whole chain: the
controller runs the demo station against its twins (Modbus, serial, OCPP on loopback), freezes the
record and writes the document; the PDF text (pdftotext) says which document it is and its validity
line; the ledger export and the overdue report say the same.

- 首次检定 / 后续检定 that pass give a 检定证书: 有效期至 for a periodically verified instrument (charger,
  dispenser, a large water meter), 使用期限至 …（到期更换） and never 有效期至 for one verified once and
  replaced when due (a household water meter, a household gas meter, a single-phase electricity meter),
  that life counted from the FIRST verification (a later verification does not extend it).
- 使用中检查 gives a 使用中检查结果通知书 (numbered JC…): the certificate it found and that
  certificate's validity as found, no validity of its own; the overdue report, the ledger and the
  platform upload keep the validity the last verification gave.

The instruments of the 后续检定 and 使用中检查 runs have a first verification on record from 400 days
ago, entered through the store (the store's own methods, as the oversight tests enter history): an
inspection today that renewed the validity would move the dates, and every check below would see it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bench.accounts import demo_account
from bench.cli import DEMO_STANDARDS, demo_entries, main
from bench.controller import INSTRUMENT_FIELDS, Controller, RunRequest, RunSummary, ledger_fields
from bench.ledger_excel import COLUMNS, export_ledger
from bench.operators import AutoOperator
from bench.oversight import OVERDUE, ROTATE, VALID, overdue
from bench.station import Station, example_station_path, load_station
from bench.store import Store
from bench.store.models import OutboxItem, Run
from procedures.records import Environment, InstrumentInfo, ItemResult, Verdict, VerificationRecord
from procedures.regulations.common import valid_until
from procedures.regulations.tables import merged
from sync.schemas import ResultUpload

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(sys.platform == "win32", reason="the dispenser twin's cable is a pair of pseudo-terminals"),
]

AGO = timedelta(days=400)
"""How long before today the instruments verified again were first verified (computed per test, from
the test's own today: a module-level date.today() breaks a run that crosses midnight)."""


@dataclass(frozen=True)
class Kind:
    """A kind of regulation under test: its demo station, the rule its table gives the station's
    instrument (a period, or a service life) and the station changes that make the instrument."""

    station: str
    regulation: str
    service_life: bool
    years: int
    months: int = 0
    instrument: dict[str, Any] = field(default_factory=dict)
    station_changes: dict[str, Any] = field(default_factory=dict)

    def until(self, basis: date) -> date:
        """The end of validity or service life counted from ``basis`` (the day before the anniversary)."""
        return valid_until(basis, self.years, months=self.months)


KINDS = {
    "charger": Kind("ac", "jjg1148", False, 3),
    "dispenser": Kind("fuel", "jjg443", False, 0, 6),
    "water_small": Kind("water", "jjg162", True, 6),  # DN 15, Q3 2.5 m³/h: first verification only, 6 years
    "water_large": Kind("water", "jjg162", False, 2, 0,  # Q3 25 m³/h > 16: periodic, 2 years
                        {"dn_mm": 50, "q3_m3_h": 25.0, "model": "LXS-50E-SIM", "measuring_range": "Q3 = 25 m³/h"},
                        # a DN 50 meter's test at Q3 needs a bigger tank: 200 L on a 600 kg scale
                        {"procedure": {"items": {"indication_error": {"preferred_volume_l": {"q3": 200.0}}}},
                         "sim": {"scale": {"capacity_kg": 600.0}}}),
    "gas": Kind("gas", "jjg577", True, 10),  # qmax 4 m³/h, natural gas, trade: 10 years
    "meter": Kind("meter", "jjg596", True, 8),  # single-phase class 2: rotation after 8 years
}


def station_for(kind: Kind, serials: list[str]) -> Station:
    """The kind's demo station, fast, for the instruments ``serials`` (bench positions 1, 2, … or the
    single instrument of a charger or dispenser station)."""
    st = load_station(example_station_path(kind.station))
    st.raw = merged(st.raw, kind.station_changes)
    st.raw["instrument"].update(kind.instrument)
    st.raw["sim"]["speed"] = {"ac": 3000, "fuel": 600, "water": 4000, "gas": 3000, "meter": 1000}[kind.station]
    if st.is_bench:
        st.raw["bench"] = {"serials": serials}
    else:
        st.raw["instrument"]["serial"] = serials[0]
    for dev in st.devices:
        if kind.station == "ac":
            dev.config["port"] = 0
        if dev.driver == "serial_dispenser":
            dev.config["timeout_s"] = 0.2
        if kind.station == "meter":
            dev.config["positions"] = len(serials)
            dev.config["timeout_s"] = 0.3
    if kind.station == "ac":
        st.raw["devices"]["reference"]["port"] = 0
        st.raw["devices"]["charger"]["port"] = 0
    if kind.station == "meter":
        st.raw["devices"]["bench"]["positions"] = len(serials)
    return st


def _seed_first_verification(store: Store, st: Station, kind: Kind, serial: str, number: str, past: date) -> None:
    """Enter ``serial`` on the ledger as the station's batch would, with a passing first
    verification on ``past`` whose certificate is ``number`` (a finished run with its record)."""
    inst_section = st.section("instrument")
    params = {k: v for k, v in inst_section.items() if k not in INSTRUMENT_FIELDS}
    fields = ledger_fields(inst_section, tuple(k for k in INSTRUMENT_FIELDS if k != "serial"))
    inst = store.add_instrument(params=params, serial=serial, **fields)
    record = VerificationRecord(
        run_id=f"seed-{serial}", record_no=f"YS-{serial}", certificate_no=number, regulation_code=kind.regulation,
        regulation_title="", edition="", verification_type="首次检定",
        instrument=InstrumentInfo(name=inst.name, model=inst.model, serial=serial, manufacturer=inst.manufacturer,
                                  accuracy_class=inst.accuracy_class),
        standards=(), environment=Environment(place="lab"),
        items=(ItemResult(key="x", name="外观", name_en="", clause="", verdict=Verdict.PASS),), verified_on=past,
        valid_until=None)
    store.create_run(Run(id=f"seed-{serial}", regulation=kind.regulation, edition="", verification_type="first",
                         instrument_id=inst.id or 0))
    store.update_run(f"seed-{serial}", status="finished", conclusion="合格", certificate_no=number,
                     finished_at=datetime(past.year, past.month, past.day, 12, tzinfo=UTC),
                     record_json=json.dumps(record.to_dict(), ensure_ascii=False))


def pdf_text(path: Path) -> str:
    """The document's text as pdftotext reads it."""
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout


def zh(d: date) -> str:
    """A date as the documents print it: 2029年11月22日."""
    return f"{d.year}年{d.month}月{d.day}日"


async def _run(ctl: Controller, st: Station, kind: Kind, vtype: str) -> list[tuple[VerificationRecord, Path]]:
    """Run ``vtype`` on the station; every instrument's (record, issued PDF), checked, approved, issued."""
    today = date.today()
    for serial in st.standards():
        if ctl.store.standard(serial) is None and serial in DEMO_STANDARDS:
            ctl.store.add_standard(**DEMO_STANDARDS[serial], calibrated_on=today - timedelta(days=10),
                                   valid_until=today + timedelta(days=100))
    run_id = ctl.prepare(RunRequest(station=st, regulation=kind.regulation, verification_type=vtype))
    summary: RunSummary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    records = [summary.record] if summary.record is not None else [p.record for p in summary.positions]
    assert records and all(r is not None for r in records), [p.message for p in summary.positions]
    out = []
    for rec in records:
        assert rec is not None and rec.passed, [(i.name, i.verdict) for i in rec.items] if rec else None
        out.append((rec, ctl.approve_and_issue(rec.certificate_no, demo_account(ctl.store, "李核验", "checker"), demo_account(ctl.store, "王批准", "approver"))))
    return out


def _ledger_row(store: Store, path: Path, serial: str) -> dict[str, Any]:
    export_ledger(store, path)
    ws = load_workbook(path).worksheets[0]
    col = {c.key: i + 1 for i, c in enumerate(COLUMNS)}
    for r in range(3, ws.max_row + 1):
        if ws.cell(row=r, column=col["serial"]).value == serial:
            return {k: ws.cell(row=r, column=c).value for k, c in col.items()}
    raise AssertionError(f"{serial} not in the exported ledger")


def _day(value: Any) -> date | None:
    return value.date() if isinstance(value, datetime) else value


@pytest.mark.parametrize("name", list(KINDS))
async def test_each_type_issues_its_document(name: str, tmp_path: Path) -> None:
    kind = KINDS[name]
    today = date.today()
    past = today - AGO  # the first verification on record of the instruments verified again
    store = Store(tmp_path / "types.db")
    ctl = Controller(store, tmp_path / "out")
    fresh, again, seen = f"{name.upper()}-NEW-1", f"{name.upper()}-OLD-1", f"{name.upper()}-OLD-2"
    line, other = (("使用期限至", "有效期至") if kind.service_life else ("有效期至", "使用期限至"))

    # 首次检定 of a new instrument: a certificate with its validity line, counted from today.
    (first, path), *_ = await _run(ctl, station_for(kind, [fresh]), kind, "first")
    text = pdf_text(path)
    due = kind.until(first.verified_on)  # the run's own day (robust across midnight)
    assert "检 定 证 书" in text and "使用中检查" not in text and first.certificate_no.startswith("JD")
    assert f"{line}" in text and zh(due) in text and f"{other}" not in text, text[:600]
    if kind.service_life:
        assert f"{zh(due)}（到期更换）" in text and "使用期限依据" in text
        assert (first.service_life_until, first.valid_until, first.validity_kind) == (due, None, "service_life")
    else:
        assert (first.valid_until, first.service_life_until, first.validity_kind) == (due, None, "period")

    # 后续检定 of an instrument first verified 400 days ago: a period runs from today, a service life
    # still from that first verification.
    st = station_for(kind, [again])
    _seed_first_verification(store, st, kind, again, "JD-PAST-0001", past)
    (later, path), *_ = await _run(ctl, st, kind, "subsequent")
    text = pdf_text(path)
    due = kind.until(past if kind.service_life else later.verified_on)
    assert "检 定 证 书" in text and line in text and zh(due) in text and other not in text
    assert (later.service_life_until if kind.service_life else later.valid_until) == due

    # 使用中检查 of an instrument whose last verification was 400 days ago: its own document and
    # numbering, the certificate it found and that certificate's validity as found, none of its own.
    st = station_for(kind, [seen])
    _seed_first_verification(store, st, kind, seen, "JD-PAST-0002", past)
    due = kind.until(past)  # the validity (or service life) the 400-day-old verification gave
    expired = due < today  # the dispenser's 6 months are over: found expired, and it stays so
    before = {r.instrument.serial: r for r in overdue(store, today).rows}[seen]
    assert (before.due, before.status) == (due, OVERDUE if expired else VALID)
    (check, path), *_ = await _run(ctl, st, kind, "in_use")
    text = pdf_text(path)
    assert check.kind == "inspection" and check.certificate_no.startswith("JC")
    assert "使 用 中 检 查 结 果 通 知 书" in text and "Notice of In-service Inspection Result" in text
    assert "检 定 证 书" not in text and "Verification Certificate" not in text
    assert "本通知书为使用中检查的结果，不是检定证书" in text and "检查结论" in text
    assert check.valid_until is None and check.service_life_until is None and check.validity_kind == ""
    assert check.as_found is not None and check.as_found.certificate_no == "JD-PAST-0002"
    assert check.as_found.verified_on == past
    assert (check.as_found.service_life_until if kind.service_life else check.as_found.valid_until) == due
    assert check.as_found.status.startswith("已过有效期" if expired else "有效")
    assert "JD-PAST-0002" in text and zh(due) in text and ("检查时：已过有效期" if expired else "检查时：有效") in text
    renewed = kind.until(check.verified_on)  # what the inspection would give if it renewed the validity
    assert zh(renewed) not in text

    # The validity stays where the verification put it: overdue report, ledger, platform upload.
    after = {r.instrument.serial: r for r in overdue(store, today).rows}[seen]
    assert (after.due, after.basis, after.status, after.last_verified) == (before.due, past, before.status, past)
    assert (after.last_inspected, after.inspection_conclusion) == (check.verified_on, "合格")
    row = _ledger_row(store, tmp_path / "ledger.xlsx", seen)
    assert _day(row["service_life_until" if kind.service_life else "valid_until"]) == due
    assert row["valid_until" if kind.service_life else "service_life_until"] is None
    assert _day(row["last_verified"]) == past and row["certificate_no"] == "JD-PAST-0002"
    assert row["last_inspected"] == f"{check.verified_on.isoformat()} 合格"
    with store.session() as s:
        uploads = [json.loads(o.payload_json) for o in s.exec(select(OutboxItem))]
    upload = next(u for u in uploads if u["certificate_no"] == check.certificate_no)
    assert upload["record"]["document"]["kind"] == "inspection"
    assert upload["record"]["valid_until"] is None and upload["record"]["service_life_until"] is None
    found_key = "service_life_until" if kind.service_life else "valid_until"
    assert upload["record"]["as_found"][found_key] == due.isoformat()
    assert ResultUpload.model_validate(upload).record.kind == "inspection"


async def test_overdue_command_keeps_the_validity_after_an_inspection(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """``jianding oversight overdue``: a household water meter first verified 400 days ago, inspected
    today, still runs to the end of its service life from that first verification — and past it the
    inspection keeps it 到期未轮换."""
    kind = KINDS["water_small"]
    today = date.today()
    past = today - AGO
    store = Store(tmp_path / "w.db")
    ctl = Controller(store, tmp_path / "out")
    st = station_for(kind, ["W-OLD-1"])
    _seed_first_verification(store, st, kind, "W-OLD-1", "JD-PAST-0002", past)
    await _run(ctl, st, kind, "in_use")
    due = kind.until(past)
    assert main(["--db", str(store.path), "oversight", "overdue", "--as-of", today.isoformat()]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "W-OLD-1" in x)
    assert VALID in line and due.isoformat() in line and "使用期限" in line and today.isoformat() in line
    later = due + timedelta(days=1)
    assert main(["--db", str(store.path), "oversight", "overdue", "--as-of", later.isoformat()]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "W-OLD-1" in x)
    assert ROTATE in line and due.isoformat() in line
