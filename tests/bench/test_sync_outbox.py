"""The workstation's outbox against the REAL reference platform on loopback.

* Issuing a certificate writes its upload's outbox row in the same transaction: an exception between
  the issue event and the outbox row leaves neither; the row uploads and the platform shows the
  certificate valid, then superseded by its amendment, and a revocation goes up the same way.
* Faults: server down (connection refused → pending with backoff, delivered once it is back), HTTP
  500s, timeouts, a connection dropped after the server committed (duplicate acknowledgement), a
  workstation killed with SIGKILL in the middle of ``jianding sync push``, the clock hours off.
* 1,000 records through all of that: the platform holds each exactly once, the workstation shows each
  acknowledged. Two workstations (two stores, two processes) pushing at once to one platform on
  PostgreSQL: nothing lost, nothing duplicated.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bench.accounts import demo_account
from bench.certificates import Certificates, IssuedCertificate
from bench.cli import main
from bench.store import Store
from bench.store.models import CertificateEvent, OutboxItem, Run
from bench.sync_worker import SyncWorker, make_outbox, result_outbox_rows
from reports.samples import sample_record
from sync.client import PlatformClient
from sync.outbox import Backoff
from sync.schemas import ResultUpload, qr_token
from tests.bench.conftest import log_in, logged_out
from tests.sync.kit import Platform, fill_outbox, running_platform

pytestmark = pytest.mark.timeout(180)
NO = "JD2026-00077"
ROOT = Path(__file__).resolve().parents[2]


class Clock:
    """An injectable workstation clock: real time plus an offset the test moves."""

    def __init__(self, offset: timedelta = timedelta()) -> None:
        self.offset = offset

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with running_platform(f"sqlite:///{tmp_path / 'platform.db'}") as p:
        yield p


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "ws.db")
    inst = s.add_instrument(category="交流充电桩", name="充电桩", model="M", serial="S1", manufacturer="X",
                            accuracy_class="2")
    s.create_run(Run(id=sample_record().run_id, regulation="jjg1148", edition="2022", verification_type="first",
                     instrument_id=inst.id or 0))
    return s


def _certs(store: Store, tmp_path: Path, hook: Any = None) -> Certificates:
    c = Certificates(store, tmp_path / "out", tmp_path / "keys" / "inst.pem", outbox_hook=hook)
    c.init_key("示例市计量检定测试所")
    return c


def _approved(certs: Certificates) -> None:
    rec = dataclasses.replace(sample_record(), certificate_no=NO)
    certs.draft(rec, run_id=rec.run_id, position=None, verifier="张伟", actor="张伟")
    certs.check(NO, demo_account(certs.store, "李娜", "checker"))
    certs.approve(NO, demo_account(certs.store, "王建国", "approver"))


def _outbox(store: Store, platform: Platform, clock: Clock | None = None, timeout_s: float = 10.0,
            base_s: float = 30.0, batch_size: int = 100) -> Any:
    client = PlatformClient(platform.url, platform.token, timeout_s=timeout_s)
    return make_outbox(store, client, clock=clock or Clock(), backoff=Backoff(base_s=base_s, cap_s=600,
                                                                              rng=random.Random(7)),
                       batch_size=batch_size)


# -- the outbox row and the certificate: one transaction ------------------------------------------------
def test_issue_writes_the_outbox_row_and_it_uploads(store: Store, platform: Platform, tmp_path: Path) -> None:
    certs = _certs(store, tmp_path)
    _approved(certs)
    st, path = certs.issue(NO, demo_account(certs.store, "王建国", "approver"))
    [row] = store.outbox_items()
    assert (row.kind, row.key, row.status) == ("result", f"result:{NO}/v1:issued", "pending")
    up = ResultUpload.model_validate(json.loads(row.payload_json))  # the platform's own schema accepts it
    assert up.pdf_bytes == path.read_bytes() and up.qr_text == st.issued.qr_text  # type: ignore[union-attr]
    assert up.record.people["checker"] == "李娜"  # type: ignore[index]  # the record as issued

    report = _outbox(store, platform).drain()
    assert (report.acked, report.duplicates, report.rejected) == (1, 0, 0)
    [row] = store.outbox_items()
    assert row.status == "done" and row.platform_id and row.acked_at is not None
    with PlatformClient(platform.url, platform.token) as c:
        assert c.certificate_status(qr_token(up.qr_text)).status == "valid"

    # an amendment supersedes it on the platform; a revocation of the new version goes up too
    certs.amend(NO, {"instrument.client": "改正后的使用单位"}, "使用单位名称有误", demo_account(certs.store, "王建国", "approver"))
    certs.check(NO, demo_account(certs.store, "李娜", "checker"))
    certs.approve(NO, demo_account(certs.store, "王建国", "approver"))
    certs.issue(NO, demo_account(certs.store, "王建国", "approver"))
    certs.revoke(NO, demo_account(certs.store, "王建国", "approver"), "器具已报废")
    keys = [r.key for r in store.outbox_items()]
    assert keys == [f"result:{NO}/v1:issued", f"result:{NO}/v2:issued", f"result:{NO}/v2:revoked"]
    report = _outbox(store, platform).drain()
    assert report.acked == 2 and store.outbox_counts() == {"pending": 0, "done": 3, "rejected": 0}
    v2 = ResultUpload.model_validate(json.loads(store.outbox_items()[1].payload_json))
    assert v2.supersedes == f"{NO}/v1"
    with PlatformClient(platform.url, platform.token) as c:
        assert c.certificate_status(qr_token(up.qr_text)).status == "superseded"
        assert c.certificate_status(qr_token(v2.qr_text)).status == "revoked"
    assert platform.count() == {"count": 2, "distinct_uids": 2}


def test_exception_between_issue_event_and_outbox_row_leaves_neither(store: Store, tmp_path: Path) -> None:
    seen: list[IssuedCertificate] = []

    def crash(issued: IssuedCertificate) -> list[Any]:
        seen.append(issued)
        assert issued.event.id is not None  # the issue event is already written in this transaction
        raise RuntimeError("power cut between the two writes")

    certs = _certs(store, tmp_path, hook=crash)
    _approved(certs)
    with pytest.raises(RuntimeError, match="power cut"):
        certs.issue(NO, demo_account(certs.store, "王建国", "approver"))
    assert seen and certs.get(NO).status == "approved"  # not issued …
    with store.session() as s:
        assert not list(s.exec(select(CertificateEvent).where(CertificateEvent.action == "issued")))
    assert store.outbox_items() == []  # … and no outbox row
    assert not any(a.action == "certificate.issue" for a in store.audit_log())
    assert all(not breaks for _, breaks in store.verify_chains().values())  # the chains did not move

    # the failure after the outbox row: a second row with the same key breaks the insert → nothing
    def twice(issued: IssuedCertificate) -> list[Any]:
        return result_outbox_rows(issued) + result_outbox_rows(issued)

    certs.outbox_hook = twice
    with pytest.raises(IntegrityError):
        certs.issue(NO, demo_account(certs.store, "王建国", "approver"))
    assert certs.get(NO).status == "approved" and store.outbox_items() == []

    certs.outbox_hook = result_outbox_rows  # then it issues, with exactly one outbox row
    certs.issue(NO, demo_account(certs.store, "王建国", "approver"))
    assert certs.get(NO).status == "issued" and len(store.outbox_items()) == 1
    assert all(not breaks for _, breaks in store.verify_chains().values())


# -- faults ----------------------------------------------------------------------------------------------
def test_server_down_then_back_delivers_after_backoff(store: Store, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'platform.db'}"
    with running_platform(db) as first:
        url, token, port = first.url, first.token, first.server.port
    uids = fill_outbox(store, 5)
    clock = Clock()
    client = PlatformClient(url, token, timeout_s=5)
    outbox = make_outbox(store, client, clock=clock, backoff=Backoff(base_s=60, cap_s=600, rng=random.Random(3)))
    report = outbox.drain()  # connection refused
    assert report.error and "unreachable" in report.error and report.deferred == 5 and report.requests == 1
    rows = store.outbox_items()
    assert {r.status for r in rows} == {"pending"} and {r.attempts for r in rows} == {1}
    assert all("unreachable" in r.last_error for r in rows)
    assert all(r.next_attempt_at is not None for r in rows)
    assert outbox.drain().requests == 0  # still backing off: nothing is sent
    # a second failure doubles the ceiling of the wait
    assert outbox.backoff.ceiling(2) == 2 * outbox.backoff.ceiling(1)

    with running_platform(db, port=port) as again:  # the platform is back, on the same address
        assert again.url == url
        clock.offset = timedelta(seconds=601)  # past any backoff
        report = outbox.drain()
        assert report.acked == 5 and not report.error
        assert sorted(again.uids()) == sorted(uids)
    assert store.outbox_counts() == {"pending": 0, "done": 5, "rejected": 0}


def test_http_500_timeout_and_drop_after_commit(store: Store, platform: Platform) -> None:
    uids = fill_outbox(store, 30)
    clock = Clock()
    outbox = _outbox(store, platform, clock, timeout_s=0.5, batch_size=10)
    later = timedelta(seconds=700)

    platform.faults(fail_next=1)
    report = outbox.drain()
    assert "HTTP 500" in report.error and report.deferred == 10 and report.done == 0

    clock.offset += later
    platform.faults(drop_after_commit_next=1)  # the server commits the batch, the answer is lost
    report = outbox.drain()
    assert report.error and report.done == 0

    clock.offset += later
    platform.faults(delay_s=2.0)  # the server takes longer than the client waits
    report = outbox.drain()
    assert "timed out" in report.error and report.done == 0
    platform.faults(delay_s=0)

    clock.offset += later
    report = outbox.drain()
    assert not report.error and report.done == 30
    assert report.duplicates == 10  # the dropped batch: held already, acknowledged as a duplicate
    assert platform.count() == {"count": 30, "distinct_uids": 30} and sorted(platform.uids()) == sorted(uids)
    rows = store.outbox_items()
    assert all(r.status == "done" for r in rows) and max(r.attempts for r in rows) == 4


def test_rejected_items_are_parked_with_field_errors_never_dropped(store: Store, platform: Platform,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fill_outbox(store, 3)
    bad = json.loads(store.outbox_items()[1].payload_json)
    bad["record"]["instrument"]["serial"] = ""  # what the platform will refuse
    with store.transaction() as tx:
        row = tx.session.get(OutboxItem, store.outbox_items()[1].id)
        assert row is not None
        row.payload_json = json.dumps(bad, ensure_ascii=False)
        tx.session.add(row)
    report = _outbox(store, platform).drain()
    assert (report.acked, report.rejected) == (2, 1)
    counts = store.outbox_counts()
    assert counts == {"pending": 0, "done": 2, "rejected": 1}
    [parked] = store.outbox_items("rejected")
    assert "record.instrument.serial" in parked.last_error
    assert main(["--db", str(store.path), "sync", "status"]) == 1
    out = capsys.readouterr().out
    assert "被退回 (rejected) 1" in out and "record.instrument.serial" in out and "sync retry" in out
    assert any(a.action == "sync.rejected" for a in store.audit_log())

    # the operator fixes the cause and re-queues: it goes up
    fixed = {**bad, "record": {**bad["record"], "instrument": {**bad["record"]["instrument"], "serial": "S-fixed"}}}
    with store.transaction() as tx:
        row = tx.session.get(OutboxItem, parked.id)
        assert row is not None
        row.payload_json = json.dumps(fixed, ensure_ascii=False)
        tx.session.add(row)
    logged_out(monkeypatch)
    assert main(["--db", str(store.path), "sync", "retry", str(parked.id)]) == 2  # nobody logged in
    assert "JIANDING_USER" in capsys.readouterr().err
    log_in(monkeypatch, store.path, "李核验", "checker")  # a 核验员 does not re-send uploads
    assert main(["--db", str(store.path), "sync", "retry", str(parked.id)]) == 2
    assert "李核验 无检定员或批准人或管理员权限" in capsys.readouterr().err
    log_in(monkeypatch, store.path, "王管理", "approver")
    assert main(["--db", str(store.path), "sync", "retry", str(parked.id)]) == 0
    assert next(a for a in store.audit_log() if a.action == "sync.requeue").actor == "王管理"
    assert _outbox(store, platform).drain().acked == 1
    assert store.outbox_counts() == {"pending": 0, "done": 3, "rejected": 0}


def test_clock_skew_neither_reorders_nor_stalls(store: Store, platform: Platform) -> None:
    clock = Clock(timedelta(hours=7))  # the workstation runs seven hours fast
    uids = fill_outbox(store, 12, created_at=clock())
    outbox = _outbox(store, platform, clock, batch_size=5)
    platform.faults(fail_next=1)
    assert outbox.drain().deferred == 5  # scheduled on the fast clock
    clock.offset = timedelta(hours=-3)  # … then someone sets it back, ten hours
    # scheduled "ten hours ahead" is beyond any backoff: due now, not in ten hours
    report = outbox.drain()
    assert report.done == 12 and not report.error
    held = platform.results()
    assert [r["uid"] for r in held] == uids  # the platform received them in the workstation's order
    received = [datetime.fromisoformat(r["received_at"]) for r in held]
    assert received == sorted(received)  # stamped by the server's own clock
    assert all(abs(t - datetime.now(UTC)) < timedelta(hours=1) for t in received)
    rows = store.outbox_items()
    assert all(r.status == "done" for r in rows)
    issued = {ResultUpload.model_validate(json.loads(r.payload_json)).issued_at for r in rows}
    assert all(t > datetime.now(UTC) + timedelta(hours=6) for t in issued)  # client times kept as given


def test_a_thousand_records_exactly_once_through_faults(store: Store, platform: Platform) -> None:
    uids = fill_outbox(store, 1000)
    clock = Clock()
    outbox = _outbox(store, platform, clock, batch_size=50)
    platform.faults(fail_next=2, drop_after_commit_next=3)
    passes = 0
    while store.outbox_counts()["pending"] and passes < 50:
        outbox.drain()
        clock.offset += timedelta(seconds=700)
        passes += 1
    assert platform.count() == {"count": 1000, "distinct_uids": 1000}
    assert sorted(platform.uids()) == sorted(uids)
    assert store.outbox_counts() == {"pending": 0, "done": 1000, "rejected": 0}
    assert all(r.acked_at is not None and r.platform_id for r in store.outbox_items())


def test_background_worker_delivers_when_woken(store: Store, platform: Platform) -> None:
    uids = fill_outbox(store, 40)
    worker = SyncWorker(_outbox(store, platform, batch_size=10), interval_s=60).start()
    try:
        deadline = time.monotonic() + 30
        while store.outbox_counts()["pending"] and time.monotonic() < deadline:
            worker.wake()
            time.sleep(0.05)
    finally:
        worker.stop()
    assert store.outbox_counts()["done"] == 40 and sorted(platform.uids()) == sorted(uids)


# -- processes ---------------------------------------------------------------------------------------
def _push_cmd(db: Path, platform_url: str, token: str, batch: int) -> list[str]:
    return [sys.executable, "-m", "bench.cli", "--db", str(db), "sync", "push", "--url", platform_url,
            "--token", token, "--batch-size", str(batch)]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_workstation_killed_mid_upload_then_second_push_completes(store: Store, platform: Platform) -> None:
    n = 1500
    uids = fill_outbox(store, n)
    platform.faults(delay_s=0.03)  # slow enough that the push is still running when it is killed
    proc = subprocess.Popen(_push_cmd(store.path, platform.url, platform.token, 10), cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while platform.count()["count"] < 200 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, "push finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    held = platform.count()["count"]
    assert 0 < held < n
    assert store.outbox_counts()["pending"] > 0
    platform.faults(delay_s=0)
    done = subprocess.run(_push_cmd(store.path, platform.url, platform.token, 100), cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "待传 0 (pending)" in done.stdout.splitlines()[-1]
    assert platform.count() == {"count": n, "distinct_uids": n} and sorted(platform.uids()) == sorted(uids)
    assert store.outbox_counts() == {"pending": 0, "done": n, "rejected": 0}


def test_two_workstations_at_once_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    with running_platform(postgres_url) as platform:
        stores = [Store(tmp_path / f"ws{i}.db") for i in (1, 2)]
        uids = fill_outbox(stores[0], 500, prefix="JDA") + fill_outbox(stores[1], 500, prefix="JDB")
        procs = [subprocess.Popen(_push_cmd(s.path, platform.url, platform.token, 20), cwd=ROOT, env=_env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for s in stores]
        for p in procs:
            _out, err = p.communicate(timeout=150)
            assert p.returncode == 0, err
        assert platform.count() == {"count": 1000, "distinct_uids": 1000}
        assert sorted(platform.uids()) == sorted(uids)
        for s in stores:
            assert s.outbox_counts() == {"pending": 0, "done": 500, "rejected": 0}


# -- the platform checks the seal once the institution has registered its key -----------------------------
def test_registered_key_uploads_verify_and_forgeries_are_refused_naming_the_field(
        store: Store, platform: Platform, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from bench.signing import canonical_bytes, load_key, raw_public, read_seal, seal_pdf, sign

    certs = _certs(store, tmp_path)
    _approved(certs)
    certs.issue(NO, demo_account(certs.store, "王建国", "approver"))
    genuine = ResultUpload.model_validate(json.loads(store.outbox_items()[0].payload_json))
    platform.register_key(genuine.public_key_hex)
    assert _outbox(store, platform).drain().acked == 1  # the real certificate verifies: seal, signature, record

    def refused(up: ResultUpload) -> list[dict[str, str]]:
        with platform.api() as api:
            r = api.post("/api/v1/results", content=up.model_dump_json().encode(),
                         headers={"Idempotency-Key": f"forgery-{up.pdf_sha256[:12]}", "Content-Type": "application/json"})
        assert r.status_code == 422, r.text
        return r.json()["errors"]  # type: ignore[no-any-return]

    fields = dict(certificate_no=NO, version=2, issued_at=genuine.issued_at, public_key_hex=genuine.public_key_hex)
    record = genuine.record.model_dump(mode="json")
    content, qr = read_seal(genuine.pdf_bytes)
    # 1. the record sent differs from the record signed (client changed after signing)
    edited = {**record, "certificate_no": f"{NO}-V2", "instrument": {**record["instrument"], "serial": "FORGED-1"}}
    signed_v2 = json.loads(content)
    signed_v2["version"], signed_v2["record"] = 2, {**record, "certificate_no": f"{NO}-V2"}
    key = load_key(tmp_path / "keys" / "inst.pem")
    s = sign(key, NO, 2, signed_v2)
    pdf = seal_pdf(genuine.pdf_bytes, canonical_bytes(signed_v2), s.qr_text)
    errors = refused(ResultUpload.build(record=edited, pdf=pdf, qr_text=s.qr_text, **fields))  # type: ignore[arg-type]
    assert [e["field"] for e in errors] == ["record"]
    assert "the record sent is not the record signed" in errors[0]["message"]
    # 2. sealed content altered without re-signing: its hash no longer matches the QR, nor the signature
    tampered = canonical_bytes({**signed_v2, "issuer": "冒名计量所"})
    errors = refused(ResultUpload.build(record=signed_v2["record"], pdf=seal_pdf(genuine.pdf_bytes, tampered, s.qr_text),
                                        qr_text=s.qr_text, **fields))  # type: ignore[arg-type]
    assert {e["field"] for e in errors} == {"pdf_base64", "qr_text"}
    assert any("QR hash" in e["message"] for e in errors) and any("does not verify" in e["message"] for e in errors)
    # 3. forged and signed by a key the institution never registered
    mallory = Ed25519PrivateKey.generate()
    f = sign(mallory, NO, 2, signed_v2)
    errors = refused(ResultUpload.build(record=signed_v2["record"], qr_text=f.qr_text,
                                        pdf=seal_pdf(genuine.pdf_bytes, canonical_bytes(signed_v2), f.qr_text),
                                        **{**fields, "public_key_hex": raw_public(mallory.public_key()).hex()}))  # type: ignore[arg-type]
    assert [e["field"] for e in errors] == ["public_key_hex"] and "not registered" in errors[0]["message"]
    # 4. a QR claiming the registered key over a signature it never made
    f_claim = f.qr_text.replace(f"|{f.key_id}|", f"|{s.key_id}|")
    errors = refused(ResultUpload.build(record=signed_v2["record"], qr_text=f_claim,
                                        pdf=seal_pdf(genuine.pdf_bytes, canonical_bytes(signed_v2), f_claim), **fields))  # type: ignore[arg-type]
    assert [e["field"] for e in errors] == ["qr_text"] and "does not verify" in errors[0]["message"]
    assert qr == genuine.qr_text and platform.count() == {"count": 1, "distinct_uids": 1}  # nothing forged was kept

