"""One institution profile for every station and document kind (issue 12, line 1) and one document
store per database with numbers unique per institution (line 7): the demo stations all name the
shipped profile and carry nothing of the institution themselves; every kind's documents print the
same logo, signatures, contacts and seal area; documents go beside their database; numbers carry
the institution's prefix and the station's code."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from bench.accounts import demo_account
from bench.cert_verify import keys_from_store, verify_pdf
from bench.cli import DEMO_STANDARDS
from bench.controller import Controller, RunRequest
from bench.institution import legacy_profile
from bench.station import StationError, example_station_path, load_station, parse_station
from bench.store import Store
from bench.store.db import documents_dir
from bench.store.models import Run
from procedures.regulations.documents import kinds
from reports.certificate import render_document
from reports.original_record import render_original_record
from reports.samples import sample_readings, sample_record

KINDS = ("ac", "dc", "fuel", "water", "gas", "meter")


def _images(pdf: bytes, tmp_path: Path) -> list[str]:
    """The page number of every image (not soft mask) in ``pdf`` (``pdfimages -list``)."""
    src = tmp_path / "doc.pdf"
    src.write_bytes(pdf)
    rows = subprocess.run(["pdfimages", "-list", str(src)], capture_output=True, text=True, check=True).stdout
    return [r.split()[0] for r in rows.splitlines()[2:] if r.split()[2] == "image"]


def test_every_demo_station_names_the_one_profile_and_carries_none_of_it() -> None:
    stations = {k: load_station(example_station_path(k)) for k in KINDS}
    institutions = {k: st.institution.institution() for k, st in stations.items()}
    first = institutions["ac"]
    assert all(inst == first for inst in institutions.values())  # DC, fuel, benches: the same institution
    assert first.fax and first.logo_path and first.lookup_url.startswith("https://") and first.seal_label == "检定专用章"
    assert [c.role for c in first.contacts] == ["业务咨询", "投诉"]
    codes = [st.code for st in stations.values()]
    assert len(set(codes)) == len(codes) and all(codes)
    for st in stations.values():
        assert not {"institution", "numbering"} & set(st.raw)
        people = st.institution.people(**st.section("people"))
        assert all((people.verifier_signature, people.checker_signature, people.approver_signature))


@pytest.mark.parametrize("moved", ["[institution]\nname = \"某所\"\n", "[numbering]\ncertificate_prefix = \"XX\"\n",
                                   "[people]\nverifier = \"甲\"\nverifier_signature = \"a.png\"\n"])
def test_a_station_file_may_not_carry_institution_level_keys(tmp_path: Path, moved: str) -> None:
    path = tmp_path / "site.toml"
    path.write_text("[station]\nname = \"站\"\ncode = \"S1\"\n" + moved, "utf-8")
    with pytest.raises(StationError, match="institution profile"):
        load_station(path)


def test_a_profile_beside_the_station_file_with_its_own_images(tmp_path: Path) -> None:
    shutil.copy(Path(__file__).parents[2] / "reports" / "assets" / "demo_logo.png", tmp_path / "logo.png")
    (tmp_path / "inst.toml").write_text(
        "[institution]\nname = \"乙市计量所\"\nlogo = \"logo.png\"\nlookup_url = \"https://cx.example.cn/\"\n"
        "[numbering]\ncertificate_prefix = \"YSJ\"\nformat = \"{prefix}{year}{station}{seq:04d}\"\n"
        "[people.\"赵六\"]\nsignature = \"logo.png\"\n", "utf-8")
    (tmp_path / "site.toml").write_text("[station]\ninstitution = \"inst.toml\"\ncode = \"B2\"\n", "utf-8")
    profile = load_station(tmp_path / "site.toml").institution
    inst = profile.institution()
    assert inst.name == "乙市计量所" and Path(inst.logo_path) == (tmp_path / "logo.png").resolve()
    assert inst.lookup_url == "https://cx.example.cn" and not inst.seal_label
    assert profile.people(verifier=" 赵 六 ").verifier_signature == str((tmp_path / "logo.png").resolve())
    assert profile.number(kinds()["notice"].prefix(profile.numbering), "B2", 2026, 7) == "YSJT2026B20007"
    (tmp_path / "bad.toml").write_text("[station]\ninstitution = \"nowhere.toml\"\n", "utf-8")
    with pytest.raises(StationError, match="not found"):
        load_station(tmp_path / "bad.toml")


def test_a_run_prepared_before_profiles_keeps_its_own_institution() -> None:
    old = {"institution": {"name": "旧所", "fax": "1", "logo_path": "reports/assets/demo_logo.png", "signing_key": "k.pem"},
           "people": {"verifier": "甲", "verifier_signature": "a.png"}, "numbering": {"certificate_prefix": "OLD"}}
    profile = parse_station(old, "old.toml").institution
    assert profile == legacy_profile(old, "old.toml")
    assert (profile.institution().name, profile.institution().logo_path, profile.signing_key) == (
        "旧所", "reports/assets/demo_logo.png", "k.pem")
    assert profile.people(verifier="甲").verifier_signature == "a.png"
    assert profile.number("OLD", "", 2025, 3) == "OLD2025-00003"  # the numbers it had


@pytest.mark.skipif(shutil.which("pdfimages") is None, reason="pdfimages (poppler-utils) not installed")
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_prints_the_same_logo_signatures_contacts_and_seal(kind: str, tmp_path: Path) -> None:
    st = load_station(example_station_path(kind))
    rec = dataclasses.replace(sample_record(), institution=st.institution.institution(),
                              people=st.institution.people(**st.section("people")))
    for record in (rec, dataclasses.replace(sample_record(passing=False), institution=rec.institution,
                                            people=rec.people)):
        pdf = render_document(record)
        assert _images(pdf, tmp_path) == ["1"] * 4  # logo and three signatures on the cover
        src = tmp_path / "doc.pdf"
        src.write_bytes(pdf)
        text = subprocess.run(["pdftotext", "-layout", str(src), "-"], capture_output=True, text=True).stdout
        for words in ("示例市计量检定测试所", "传真", "010-00000001", "业务咨询", "赵业务", "投诉", "（检定专用章）",
                      "未加盖检定专用章无效"):
            assert words in text, words
    original = render_original_record(rec, sample_readings(rec))
    images = _images(original, tmp_path)
    pages = int(images[-1])
    # the logo heads every page; the two signatures close the record on its last page
    assert images == [str(n) for n in range(1, pages + 1)] + [str(pages)] * 2, images


def _issued_in(db: Path, number: str) -> Path:
    """Issue the sample certificate ``number`` in a fresh database at ``db``, documents by default."""
    store = Store(db)
    inst = store.add_instrument(category="交流充电桩", name="充电桩", model="M", serial="S1", manufacturer="X",
                                accuracy_class="2")
    store.create_run(Run(id=sample_record().run_id, regulation="jjg1148", edition="2022", verification_type="first",
                         instrument_id=inst.id or 0))
    ctl = Controller(store)  # no --out
    assert ctl.out_dir == documents_dir(db) == db.with_name(f"{db.stem}-documents")
    ctl.certificates.init_key("示例市计量检定测试所")
    rec = dataclasses.replace(sample_record(), certificate_no=number)
    ctl.certificates.draft(rec, run_id=rec.run_id, position=None, verifier="张伟", actor="张伟")
    ctl.certificates.check(number, demo_account(ctl.certificates.store, "李娜", "checker"))
    ctl.certificates.approve(number, demo_account(ctl.certificates.store, "王建国", "approver"))
    path = ctl.certificates.issue(number, demo_account(ctl.certificates.store, "王建国", "approver"))[1]
    assert verify_pdf(path.read_bytes(), keys_from_store(store), store).ok
    return path


def test_two_databases_keep_their_documents_apart(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    a = _issued_in(tmp_path / "a" / "jianding.db", "JD-AC01-2026-00001")
    b = _issued_in(tmp_path / "jianding.sqlite", "JD-AC01-2026-00001")  # the same number, another database
    assert a == tmp_path / "a" / "jianding-documents" / "JD-AC01-2026-00001.pdf"
    assert b == tmp_path / "jianding-documents" / "JD-AC01-2026-00001.pdf"
    assert a.read_bytes() != b.read_bytes()  # neither overwrote the other (two keys, two signatures)


def test_numbers_carry_the_institution_prefix_and_the_station_code(tmp_path: Path) -> None:
    store = Store(tmp_path / "two-stations.db")
    for serial in ("JDSIM-REF-0001", "JDSIM-DCREF-0001"):
        store.add_standard(**DEMO_STANDARDS[serial], calibrated_on=date.today() - timedelta(days=10),
                           valid_until=date.today() + timedelta(days=100))
    ctl = Controller(store, tmp_path / "out")
    ac, dc = load_station(example_station_path("ac")), load_station(example_station_path("dc"))
    year = date.today().year
    first = store.get_run(ctl.prepare(RunRequest(station=ac)))
    second = store.get_run(ctl.prepare(RunRequest(station=dc, regulation="jjg1149")))
    assert (first.record_no, second.record_no) == (f"YS-AC01-{year}-00001", f"YS-DC01-{year}-00002")
    profile = ac.institution
    numbers = {profile.number(kinds()[k].prefix(profile.numbering), st.code, year, 1)
               for k in ("certificate", "notice", "inspection") for st in (ac, dc)}
    assert numbers == {f"{p}-{c}-{year}-00001" for p in ("JD", "JDT", "JC") for c in ("AC01", "DC01")}
    nameless = parse_station({k: v for k, v in ac.raw.items() if k != "station"}, "no-code.toml")
    with pytest.raises(StationError, match=r"\[station\] code"):
        ctl.prepare(RunRequest(station=nameless))
    assert store.next_number("record", year) == 3  # the refused run took no number
