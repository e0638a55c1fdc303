"""The approval chain and signed certificates: 检定员 ≠ 核验员 ≠ 批准人, nothing issued before
approval, every action audited; amendments supersede, never edit; and the verifier catches a forged
certificate, an edited PDF and an edited database row, naming the exact mismatch."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import select

from bench.accounts import Account, AccountError, Accounts, demo_account
from bench.cert_verify import keys_from_store, pdf_text, verify_anchors, verify_pdf, verify_qr
from bench.certificates import ApprovalError, Certificates, apply_changes
from bench.signing import SigningError, canonical_bytes, read_seal, seal_pdf, sign
from bench.store import Store
from bench.store.models import Run
from procedures.records import VerificationRecord
from reports.certificate import render_document
from reports.samples import sample_inspection, sample_record, sample_water_record

NO = "JD2026-00042"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "cert.db")
    inst = s.add_instrument(category="交流充电桩", name="充电桩", model="M", serial="S1", manufacturer="X",
                            accuracy_class="2")
    s.create_run(Run(id=sample_record().run_id, regulation="jjg1148", edition="2022", verification_type="first",
                     instrument_id=inst.id or 0))
    return s


@pytest.fixture
def certs(store: Store, tmp_path: Path) -> Certificates:
    c = Certificates(store, tmp_path / "out", tmp_path / "keys" / "inst.pem")
    c.init_key("示例市计量检定测试所")
    return c


def _record(lookup_url: str = "https://jd.example.org") -> VerificationRecord:
    """The sample record numbered NO; its QR the lookup URL, or the old JDC1 text (lookup_url "")."""
    rec = dataclasses.replace(sample_record(), certificate_no=NO)
    return dataclasses.replace(rec, institution=dataclasses.replace(rec.institution, lookup_url=lookup_url))


FORMS = pytest.mark.parametrize("lookup_url", ["https://jd.example.org", ""], ids=["url", "text"])
"""Tamper tests run on both QR forms: the URL (claim signed, content by its hash) and the old text."""


def _draft(certs: Certificates, lookup_url: str = "https://jd.example.org") -> Path:
    rec = _record(lookup_url)
    _, path = certs.draft(rec, run_id=rec.run_id, position=None, verifier="张伟", actor="张伟")
    return path


def _issue(certs: Certificates, lookup_url: str = "https://jd.example.org") -> Path:
    _draft(certs, lookup_url)
    certs.check(NO, demo_account(certs.store, "李娜", "checker"))
    certs.approve(NO, demo_account(certs.store, "王建国", "approver"))
    return certs.issue(NO, demo_account(certs.store, "王建国", "approver"))[1]


def test_draft_is_marked_and_unsigned(certs: Certificates) -> None:
    path = _draft(certs)
    assert path.name == f"{NO}.draft.pdf"
    text = pdf_text(path.read_bytes())
    assert "草稿 未批准" in text and "王建国" not in text and "李娜" not in text  # nobody approved anything yet
    assert certs.get(NO).status == "draft"


def test_chain_in_order_issues_a_signed_certificate_and_audits_every_step(certs: Certificates, store: Store) -> None:
    path = _issue(certs)
    st = certs.get(NO)
    assert st.status == "issued" and path.name == f"{NO}.pdf"
    assert not (path.parent / f"{NO}.draft.pdf").exists()
    text = pdf_text(path.read_bytes())
    assert "草稿" not in text and all(n in text for n in ("张伟", "李娜", "王建国"))
    content = json.loads(st.issued.content_json)  # type: ignore[union-attr]
    assert content["signers"] == {"verifier": "张伟", "checker": "李娜", "approver": "王建国"}
    log = [(a.actor, a.action) for a in store.audit_log() if a.action.startswith("certificate.")]
    assert log == [("张伟", "certificate.draft"), ("李娜", "certificate.checked"), ("王建国", "certificate.approved"),
                   ("王建国", "certificate.issue")]
    assert all(a.at is not None for a in store.audit_log())
    v = verify_pdf(path.read_bytes(), keys_from_store(store), store)
    assert v.ok, v.lines()
    assert any("byte-identical" in c for c in v.checks)


def _person(store: Store, name: str, *roles: str) -> Account:
    """A real account for ``name`` holding ``roles`` (an administrator bootstraps first), logged in."""
    accounts = Accounts(store)
    admin = accounts.find("管理员") or accounts.add("管理员", ["administrator"], "admin-secret", None)
    if accounts.find(name) is None:
        accounts.add(name, roles, "pin-246810", admin)
    return accounts.authenticate(name, "pin-246810")


def test_a_half_issued_certificate_is_completed_by_issuing_again(certs: Certificates, store: Store) -> None:
    """What a kill after the issue mark leaves (the signed PDF still staged, the draft not removed),
    or a PDF lost since: ``issue`` again puts the PDF signed for in place — the staged one, else one
    rebuilt from the signed content, byte for byte — and never signs twice."""
    path = _issue(certs)
    pdf, staged, draft = path.read_bytes(), path.parent / ".issuing" / path.name, path.parent / f"{NO}.draft.pdf"
    staged.parent.mkdir()
    path.rename(staged)
    draft.write_bytes(b"%PDF draft")
    assert certs.unfinished(certs.get(NO))
    st, again = certs.issue(NO, demo_account(certs.store, "王建国", "approver"))
    assert again == path and path.read_bytes() == pdf and not staged.exists() and not draft.exists()
    assert not certs.unfinished(st) and [e.action for e in st.events].count("issued") == 1
    path.unlink()  # lost, and something else staged under its name
    staged.parent.mkdir()
    staged.write_bytes(b"%PDF not the one signed for")
    assert certs.unfinished(certs.get(NO))
    assert certs.issue(NO, demo_account(certs.store, "王建国", "approver"))[1].read_bytes() == pdf
    assert [e.action for e in certs.get(NO).events].count("issued") == 1
    assert [a.action for a in store.audit_log()].count("certificate.issue") == 1


@pytest.mark.parametrize(("checker", "approver", "message"), [
    ("张伟", "王建国", "verifier of JD2026-00042 cannot also check"),
    (" 张 伟 ", "王建国", "verifier of JD2026-00042 cannot also check"),  # names compared normalised
    ("张\u200b伟", "王建国", "invisible"),  # a zero-width space never makes another person
    ("ｚｈａｎｇ", "ZHANG", "checker of JD2026-00042 cannot also approve"),  # NFKC-equal: one account
    ("李娜", "李娜", "checker of JD2026-00042 cannot also approve"),
    ("李娜", "ＺＨＡＮＧ", None),  # full-width Latin is NFKC-normalised: a different person here
])
def test_one_person_never_holds_two_roles(certs: Certificates, store: Store, checker: str, approver: str,
                                          message: str | None) -> None:
    _draft(certs)
    try:
        certs.check(NO, _person(store, checker, "checker", "approver"))
        certs.approve(NO, _person(store, approver, "checker", "approver"))
    except (ApprovalError, AccountError) as e:
        assert message is not None and message in str(e)
        return
    assert message is None


def test_verifier_cannot_approve(certs: Certificates) -> None:
    _draft(certs)
    certs.check(NO, demo_account(certs.store, "李娜", "checker"))
    with pytest.raises(ApprovalError, match="verifier of JD2026-00042 cannot also approve"):
        certs.approve(NO, demo_account(certs.store, "张伟", "approver"))


def test_nothing_issued_before_approval(certs: Certificates) -> None:
    _draft(certs)
    with pytest.raises(ApprovalError, match="needs status approved"):
        certs.issue(NO, demo_account(certs.store, "王建国", "approver"))
    with pytest.raises(ApprovalError, match="needs status checked"):
        certs.approve(NO, demo_account(certs.store, "王建国", "approver"))
    certs.check(NO, demo_account(certs.store, "李娜", "checker"))
    with pytest.raises(ApprovalError, match="needs status approved"):
        certs.issue(NO, demo_account(certs.store, "王建国", "approver"))
    assert certs.get(NO).issued is None and not list((certs.out_dir).glob(f"{NO}.pdf"))


def test_amendment_is_a_new_version_that_supersedes(certs: Certificates, store: Store) -> None:
    v1 = _issue(certs)
    with pytest.raises(ApprovalError, match="reason"):
        certs.amend(NO, {"instrument.client": "新客户有限公司"}, "", demo_account(certs.store, "王建国", "approver"))
    st2, draft = certs.amend(NO, {"instrument.client": "新客户有限公司"}, "送检单位名称有误", demo_account(certs.store, "王建国", "approver"))
    assert st2.row.version == 2 and draft.name == f"{NO}-V2.draft.pdf"
    assert certs.get(NO, 1).status == "issued"  # until the new version is issued
    certs.check(NO, demo_account(certs.store, "李娜", "checker"))
    certs.approve(NO, demo_account(certs.store, "王建国", "approver"))
    _, v2 = certs.issue(NO, demo_account(certs.store, "王建国", "approver"))
    assert [v.status for v in certs.versions(NO)] == ["superseded", "issued"]
    assert json.loads(certs.get(NO, 1).row.record_json)["instrument"]["client"] != "新客户有限公司"  # not edited
    text = pdf_text(v2.read_bytes())
    assert "新客户有限公司" in text and f"{NO}-V2" in text and f"替代 {NO}" in text
    content = json.loads(certs.get(NO, 2).issued.content_json)  # type: ignore[union-attr]
    assert content["supersedes"] == {"number": NO, "version": 1}
    old = verify_pdf(v1.read_bytes(), keys_from_store(store), store)
    assert not old.ok and any(f"superseded) by {NO}-V2" in p for p in old.problems)
    assert verify_pdf(v2.read_bytes(), keys_from_store(store), store).ok


def test_amend_refuses_unknown_or_structured_fields() -> None:
    rec = _record().to_dict()
    with pytest.raises(ApprovalError, match="no field"):
        apply_changes(rec, {"instrument.colour": "red"})
    with pytest.raises(ApprovalError, match="not a scalar"):
        apply_changes(rec, {"instrument": "x"})


def test_an_amendment_never_gives_an_inspection_a_validity_or_changes_the_document() -> None:
    check = sample_inspection().to_dict()
    with pytest.raises(ApprovalError, match="states no validity"):
        apply_changes(check, {"valid_until": "2030-05-17"})
    with pytest.raises(ApprovalError, match="states no validity"):
        apply_changes(check, {"service_life_until": "2033-05-17"})
    with pytest.raises(ApprovalError, match="decides what the document is"):
        apply_changes(check, {"document.kind": "certificate"})
    with pytest.raises(ApprovalError, match="decides what the document is"):
        apply_changes(sample_water_record().to_dict(), {"validity_kind": "period"})
    # what was found may be corrected (a misread certificate number), as any other field
    assert apply_changes(check, {"as_found.certificate_no": "JDZ2026-11-0043"})["as_found"]["certificate_no"] == \
        "JDZ2026-11-0043"
    assert apply_changes(sample_water_record().to_dict(), {"service_life_until": "2032-11-21"})


def test_an_inspection_goes_through_the_same_chain_and_is_signed(certs: Certificates, store: Store) -> None:
    rec = dataclasses.replace(sample_inspection(), run_id=sample_record().run_id, certificate_no="JC2027-00007")
    certs.draft(rec, run_id=rec.run_id, position=None, verifier="张伟", actor="张伟")
    with pytest.raises(ApprovalError, match="检定员"):
        certs.check("JC2027-00007", demo_account(certs.store, "张伟", "checker"))
    certs.check("JC2027-00007", demo_account(certs.store, "李娜", "checker"))
    certs.approve("JC2027-00007", demo_account(certs.store, "王建国", "approver"))
    st, path = certs.issue("JC2027-00007", demo_account(certs.store, "王建国", "approver"))
    assert st.row.kind == "inspection" and st.status == "issued"
    text = pdf_text(path.read_bytes())
    assert "使用中检查结果通知书" in text and all(n in text for n in ("张伟", "李娜", "王建国"))
    assert verify_pdf(path.read_bytes(), keys_from_store(store), store).ok  # re-rendered from the signed content
    content = json.loads(st.issued.content_json)  # type: ignore[union-attr]
    assert content["kind"] == "inspection" and content["record"]["valid_until"] is None


def test_revoked_certificate_is_reported(certs: Certificates, store: Store) -> None:
    path = _issue(certs)
    certs.revoke(NO, demo_account(certs.store, "王建国", "approver"), "器具已报废")
    v = verify_pdf(path.read_bytes(), keys_from_store(store), store)
    assert not v.ok and any("revoked" in p and "器具已报废" in p for p in v.problems)


# -- forgeries -------------------------------------------------------------------------------------

def _forge(path: Path, key: Ed25519PrivateKey | None, **record_changes: object) -> bytes:
    """A certificate whose content is altered: re-signed with ``key``, or (None) keeping the
    original QR text and signature."""
    content, qr = read_seal(path.read_bytes())
    data = json.loads(content)
    rec = VerificationRecord.from_dict(data["record"])
    for k, v in record_changes.items():
        rec = dataclasses.replace(rec, instrument=dataclasses.replace(rec.instrument, **{k: v}))
    data["record"] = rec.to_dict()
    if key is not None:
        qr = sign(key, data["number"], data["version"], data).qr_text
    body = canonical_bytes(data)
    return seal_pdf(render_document(rec, qr_payload=qr), body, qr)


def test_forged_content_resigned_with_another_key_is_caught(certs: Certificates, store: Store) -> None:
    forged = _forge(_issue(certs), Ed25519PrivateKey.generate(), serial="FAKE-001")
    v = verify_pdf(forged, keys_from_store(store))
    assert not v.ok
    assert any("not a known key of the institution" in p for p in v.problems)


@FORMS
def test_forged_content_without_resigning_is_caught(certs: Certificates, store: Store, lookup_url: str) -> None:
    forged = _forge(_issue(certs, lookup_url), None, serial="FAKE-001")
    v = verify_pdf(forged, keys_from_store(store))
    assert not v.ok
    assert any("content hash in the QR code does not match" in p for p in v.problems)
    # the text form signs the content itself; the URL form signs its claim, which names the serial
    assert any(("signature does not verify" if not lookup_url else "disagrees with the content on serial") in p
               for p in v.problems)


def test_edited_pdf_page_is_caught_naming_the_line(certs: Certificates, store: Store) -> None:
    # The pages are rendered again from an altered record (serial SIM0001 → FAKE-001) while the
    # original seal (content, QR text, signature) is copied over: signature fine, text not.
    path = _issue(certs)
    content, qr = read_seal(path.read_bytes())
    rec = VerificationRecord.from_dict(json.loads(content)["record"])
    serial = rec.instrument.serial
    edited = dataclasses.replace(rec, instrument=dataclasses.replace(rec.instrument, serial="FAKE-001"))
    pdf = seal_pdf(render_document(edited, qr_payload=qr), content, qr)
    v = verify_pdf(pdf, keys_from_store(store), store)
    assert not v.ok and any("signature valid" in c for c in v.checks)
    lines = [p for p in v.problems if "FAKE-001" in p]
    assert lines and re.search(r"第 1 页 第 \d+ 行", lines[0]) and serial in lines[0]


@FORMS
def test_edited_pdf_metadata_is_caught(certs: Certificates, store: Store, lookup_url: str) -> None:
    # The sealed content is rewritten in the file (conclusion 合格 → 不合格), QR and signature kept.
    path = _issue(certs, lookup_url)
    pdf = path.read_bytes()
    content, _ = read_seal(pdf)
    altered = content.replace(b'"verdict":"pass"', b'"verdict":"fail"', 1)
    assert altered != content
    pdf = pdf.replace(content.hex().encode(), altered.hex().encode())
    v = verify_pdf(pdf, keys_from_store(store), store)
    assert not v.ok and any(("signature does not verify" if not lookup_url else "content hash in the QR code does not "
                             "match") in p for p in v.problems)


def test_pdf_without_seal_is_refused(store: Store) -> None:
    v = verify_pdf(render_document(_record()), keys_from_store(store))
    assert not v.ok and "no Jianding certificate seal" in v.problems[0]


def test_qr_text_verifies_against_the_store(certs: Certificates, store: Store) -> None:
    _issue(certs, "")  # the old text form (the URL form: tests/bench/test_certificate_qr.py)
    qr = certs.get(NO).issued.qr_text  # type: ignore[union-attr]
    assert verify_qr(qr, store).ok
    parts = qr.split("|")
    bad_sig = "|".join([*parts[:5], parts[5][:-4] + ("AAAA" if not parts[5].endswith("AAAA") else "BBBB")])
    v = verify_qr(bad_sig, store)
    assert not v.ok and any("signature differs from the one issued" in p for p in v.problems)
    v = verify_qr("|".join([parts[0], "JD2026-99999", *parts[2:]]), store)
    assert not v.ok and "no such certificate" in v.problems[0]


@FORMS
def test_edited_database_row_is_caught(certs: Certificates, store: Store, tmp_path: Path, lookup_url: str) -> None:
    # An attacker drops the triggers and rewrites the issued content in the database.
    _issue(certs, lookup_url)
    qr = certs.get(NO).issued.qr_text  # type: ignore[union-attr]
    con = sqlite3.connect(tmp_path / "cert.db")
    for (name,) in con.execute("select name from sqlite_master where type='trigger'").fetchall():
        con.execute(f"drop trigger {name}")
    row_id, content = con.execute("select id, content_json from certificateevent where action='issued'").fetchone()
    altered = content.replace('"verdict":"pass"', '"verdict":"fail"', 1)
    assert altered != content
    con.execute("update certificateevent set content_json = ? where id = ?", (altered, row_id))
    con.commit()
    breaks = [b for _, (_, bs) in store.verify_chains().items() for b in bs]
    assert [(b.table, b.row_id, b.kind) for b in breaks] == [("certificateevent", row_id, "edited")]
    v = verify_qr(qr, store)
    assert not v.ok and any(("signature does not verify" if not lookup_url else "content hash in the QR code does not "
                             "match") in p for p in v.problems)
    assert any("no longer verifies" in b.detail for b in verify_anchors(store))


def test_whole_chain_rewrite_is_caught_by_the_signed_anchors(certs: Certificates, store: Store, tmp_path: Path) -> None:
    # An attacker with our source edits the first audit entry and recomputes the whole auditentry
    # chain and its head: the chain alone now looks intact, but the issued certificate signed the
    # head as it was, so `audit verify` still finds the rewrite.
    from bench.cert_verify import verify_anchors
    from bench.store.chain import GENESIS, row_hash
    from bench.store.models import AuditEntry

    _issue(certs)
    con = sqlite3.connect(tmp_path / "cert.db")
    for (name,) in con.execute("select name from sqlite_master where type='trigger'").fetchall():
        con.execute(f"drop trigger {name}")
    con.execute("update auditentry set detail = 'rewritten' where seq = 1")
    con.commit()
    prev = GENESIS
    with store.session() as s:
        rows = list(s.exec(select(AuditEntry).order_by(AuditEntry.seq)))  # type: ignore[arg-type]
    for row in rows:
        row.prev_hash = prev
        prev = row.row_hash = row_hash(prev, row)
        con.execute("update auditentry set prev_hash = ?, row_hash = ? where id = ?", (row.prev_hash, prev, row.id))
    con.execute("update chainhead set row_hash = ? where table_name = 'auditentry'", (prev,))
    con.commit()
    assert all(not bs for _, bs in store.verify_chains().values())  # the rewrite fooled the chain itself
    breaks = verify_anchors(store)
    assert [(b.table, b.kind) for b in breaks] == [("auditentry", "edited")]
    assert "rewritten after its issue" in breaks[0].detail and NO in breaks[0].detail


def _edit_page_streams(pdf: bytes, old: bytes, new: bytes) -> bytes:
    """Byte-edit text in the page content streams (ASCII85 + Flate, as reportlab writes them), as a
    PDF editor would: decode, replace, encode, fix /Length (the xref is left stale; readers repair)."""
    import base64
    import zlib

    pattern = re.compile(rb"/Filter \[ /ASCII85Decode /FlateDecode \] /Length (\d+)(\s*>>\s*stream\r?\n)")
    out, pos, edits = b"", 0, 0
    for m in pattern.finditer(pdf):
        start = m.end()
        raw = pdf[start:start + int(m.group(1))]
        text = zlib.decompress(base64.a85decode(raw, adobe=True) if raw.startswith(b"<~")
                               else base64.a85decode(raw.rstrip().removesuffix(b"~>")))
        if old not in text:
            continue
        body = base64.a85encode(zlib.compress(text.replace(old, new))) + b"~>"
        edits += text.count(old)
        out += pdf[pos:m.start()] + b"/Filter [ /ASCII85Decode /FlateDecode ] /Length " + str(len(body)).encode() \
            + m.group(2) + body
        pos = start + int(m.group(1))
    assert edits, "nothing to edit"
    return out + pdf[pos:]


def test_byte_edit_in_the_page_content_stream_is_caught(certs: Certificates, store: Store) -> None:
    # The serial number printed on the cover is changed in the page content stream itself.
    path = _issue(certs)
    serial = _record().instrument.serial.encode()
    forged = _edit_page_streams(path.read_bytes(), b"(" + serial + b")", b"(FAKE-01)")
    v = verify_pdf(forged, keys_from_store(store), store)
    assert not v.ok and any("signature valid" in c for c in v.checks)
    lines = [p for p in v.problems if "FAKE-01" in p]
    assert lines and "第 1 页" in lines[0] and serial.decode() in lines[0]


def test_station_signing_key_path_is_used(store: Store, tmp_path: Path) -> None:
    site_key = tmp_path / "site" / "inst.pem"
    inst = store.find_instrument("S1")
    store.create_run(Run(id="run-site", regulation="jjg1148", edition="2022", verification_type="first",
                         instrument_id=inst.id if inst and inst.id else 0,
                         station_json=json.dumps({"institution": {"signing_key": str(site_key)}})))
    certs = Certificates(store, tmp_path / "out", tmp_path / "default.pem")
    rec = dataclasses.replace(_record(), run_id="run-site")
    certs.draft(rec, run_id="run-site", position=None, verifier="张伟", actor="张伟")
    with pytest.raises(SigningError, match="keys init"):
        certs.check(NO, demo_account(certs.store, "李娜", "checker"))  # a sign-off is signed: no key, no check
    certs.check(NO, demo_account(certs.store, "李娜", "checker"), auto_create_key=True)
    certs.approve(NO, demo_account(certs.store, "王建国", "approver"))
    _, path = certs.issue(NO, demo_account(certs.store, "王建国", "approver"))
    assert site_key.exists() and not (tmp_path / "default.pem").exists()
    assert verify_pdf(path.read_bytes(), keys_from_store(store), store).ok
