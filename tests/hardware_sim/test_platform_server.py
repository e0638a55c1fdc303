"""The reference platform server (hardware_sim/platform) against sync/API.md, on a real socket over
loopback with httpx — SQLite, and PostgreSQL when its binaries are installed (tests/conftest.py
``postgres_url``)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session, select

from hardware_sim.platform import PlatformServer
from hardware_sim.platform.models import LedgerRow
from reports.samples import sample_inspection, sample_record
from sync.schemas import ResultUpload, dump_json, qr_token

ADMIN = "admin-secret-for-tests"
_KEY = Ed25519PrivateKey.generate()
PUBLIC_HEX = _KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


@dataclass
class Platform:
    """A running server, an admin client and two institutions' clients."""

    server: PlatformServer
    admin: httpx.Client
    a: httpx.Client  # institution JD-A
    b: httpx.Client  # institution JD-B

    def count(self, institution_code: str | None = None) -> dict[str, int]:
        params = {"institution_code": institution_code} if institution_code else {}
        return self.admin.get("/admin/results/count", params=params).json()

    def booking(self, institution_code: str = "JD-A", **fields: Any) -> dict[str, Any]:
        body = {"institution_code": institution_code, "user_unit": "某充电运营公司", "contact": "李工",
                "phone": "0730-0000000", "site_address": "岳阳市某路 1 号", "division_code": "430602",
                "delivery_mode": "现场检", "requested_date": "2026-03-01",
                "instruments": [{"serial": "AC-0001", "name": "交流充电桩", "model": "JD-7K", "category": "充电桩"}],
                **fields}
        r = self.admin.post("/admin/bookings", json=body)
        assert r.status_code == 201, r.text
        return r.json()


def _client(url: str, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=30)


@pytest.fixture(params=["sqlite", "postgresql"])
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Platform]:
    url = f"sqlite:///{tmp_path / 'platform.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    server = PlatformServer(url, admin_token=ADMIN).start()
    admin = _client(server.url, ADMIN)
    tokens = {}
    for code in ("JD-A", "JD-B"):
        r = admin.post("/admin/institutions", json={"code": code, "name": f"{code} 计量检定所"})
        assert r.status_code == 201, r.text
        tokens[code] = r.json()["token"]
    clients = [admin, _client(server.url, tokens["JD-A"]), _client(server.url, tokens["JD-B"])]
    try:
        yield Platform(server, *clients)
    finally:
        for c in clients:
            c.close()
        server.stop()


def upload(number: str = "JD2026-00001", version: int = 1, *, status: str = "issued", supersedes: str | None = None,
           booking_id: str | None = None, passing: bool = True, serial: str = "AC-0001") -> ResultUpload:
    """A valid upload built from a real VerificationRecord and a real Ed25519 key."""
    rec = sample_record(passing=passing)
    rec = replace(rec, certificate_no=number if version == 1 else f"{number}-V{version}",
                  instrument=replace(rec.instrument, serial=serial))
    qr = f"JDC1|{number}|{version}|{PUBLIC_HEX[:16]}|hash{version}|sig{version}"
    return ResultUpload.build(certificate_no=number, version=version, record=rec.to_dict(),
                              pdf=f"%PDF-1.7 {number} v{version}".encode(), qr_text=qr, public_key_hex=PUBLIC_HEX,
                              issued_at="2026-02-01T10:00:00+08:00", status=status, supersedes=supersedes,
                              booking_id=booking_id)


def post(client: httpx.Client, up: ResultUpload, key: str | None = None) -> httpx.Response:
    return client.post("/api/v1/results", content=dump_json(up),
                       headers={"Idempotency-Key": key or up.idempotency_key(), "Content-Type": "application/json"})


def decide(client: httpx.Client, booking_id: str, decision: str, reason: str | None = None,
           key: str | None = None) -> httpx.Response:
    body = {"decision": decision, "reason": reason, "decided_by": "王检定", "decided_at": "2026-02-01T09:00:00+08:00"}
    return client.post(f"/api/v1/bookings/{booking_id}/decision", json=body,
                       headers={"Idempotency-Key": key or f"decision:{booking_id}:{decision}:{len(reason or '')}"})


def fields(r: httpx.Response) -> list[str]:
    return [e["field"] for e in r.json()["errors"]]


# ------------------------------------------------------------------------------------------------ auth

def test_auth_missing_bad_token_and_other_institution(platform: Platform) -> None:
    anon = _client(platform.server.url, None)
    r = anon.get("/api/v1/bookings")
    assert r.status_code == 401 and fields(r) == ["Authorization"] and r.headers["www-authenticate"] == "Bearer"
    r = _client(platform.server.url, "not-a-token").post("/api/v1/results", content=dump_json(upload()),
                                                         headers={"Idempotency-Key": "k"})
    assert r.status_code == 401 and "令牌无效" in r.json()["errors"][0]["message"]
    assert anon.post("/admin/institutions", json={"code": "X"}).status_code == 401
    assert platform.a.get("/admin/results/count").status_code == 401  # an institution token is not admin
    b_booking = platform.booking("JD-B")
    r = decide(platform.a, b_booking["booking_id"], "accept")
    assert r.status_code == 403 and fields(r) == ["booking_id"]
    assert platform.a.get(f"/api/v1/bookings/{b_booking['booking_id']}").status_code == 403
    assert platform.a.get("/api/v1/bookings").json() == []  # B's booking is not listed for A
    r = post(platform.a, upload(booking_id=b_booking["booking_id"]))
    assert r.status_code == 403 and fields(r) == ["booking_id"]
    assert platform.count()["count"] == 0


# ---------------------------------------------------------------------------------------- validation

def test_validation_errors_name_the_field(platform: Platform) -> None:
    body = json.loads(dump_json(upload()))
    del body["record"]["instrument"]["serial"]
    body["issued_at"] = "2026-02-01T10:00:00"  # no offset
    r = platform.a.post("/api/v1/results", json=body, headers={"Idempotency-Key": "v1"})
    assert r.status_code == 422
    assert set(fields(r)) == {"record.instrument.serial", "issued_at"}
    assert all("(" in e["message"] for e in r.json()["errors"])  # Chinese first, English beside it

    body = json.loads(dump_json(upload()))
    body["uid"] = "JD2026-00001/v2"
    body["pdf_sha256"] = "0" * 64
    r = platform.a.post("/api/v1/results", json=body, headers={"Idempotency-Key": "v2"})
    assert r.status_code == 422 and set(fields(r)) == {"uid", "pdf_sha256"}

    r = platform.a.post("/api/v1/results", content=dump_json(upload()))  # no Idempotency-Key
    assert r.status_code == 422 and fields(r) == ["Idempotency-Key"]
    r = platform.a.post("/api/v1/results", content=b"{not json", headers={"Idempotency-Key": "v3"})
    assert r.status_code == 422 and fields(r) == ["(body)"]
    r = platform.a.get("/api/v1/bookings", params={"limit": 0})
    assert r.status_code == 422 and fields(r) == ["limit"]
    assert platform.count()["count"] == 0
    # a rejected body does not burn its key: the corrected body goes through under the same key
    assert post(platform.a, upload(), key="v2").status_code == 201


# --------------------------------------------------------------------------------------- idempotency

def test_idempotent_replay_conflicting_body_and_duplicate_uid(platform: Platform) -> None:
    up = upload()
    first = post(platform.a, up, key="k-1")
    assert first.status_code == 201 and first.json()["duplicate"] is False
    replay = post(platform.a, up, key="k-1")
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert replay.headers["idempotency-replayed"] == "true"
    assert {k: v for k, v in replay.json().items() if k != "duplicate"} == \
        {k: v for k, v in first.json().items() if k != "duplicate"}
    other = post(platform.a, upload("JD2026-00002"), key="k-1")  # same key, different body
    assert other.status_code == 409 and fields(other) == ["Idempotency-Key"] and "k-1" in other.json()["errors"][0]["message"]
    again = post(platform.a, up, key="k-2")  # same uid under a new key: still a duplicate
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["platform_id"] == first.json()["platform_id"]
    # keys and uids belong to an institution: B may hold the same number
    assert post(platform.b, up, key="k-1").status_code == 201
    assert platform.count("JD-A") == {"count": 1, "distinct_uids": 1}
    assert platform.count() == {"count": 2, "distinct_uids": 1}


def test_exactly_once_under_20_concurrent_duplicates(platform: Platform) -> None:
    """Twenty requests for one uid at once — half replaying one key, half each with its own key (two
    workstations, retries racing originals): one 201, nineteen 200 duplicates, one row."""
    up = upload("JD2026-00077")
    body = dump_json(up)
    barrier = threading.Barrier(20)

    def one(i: int) -> httpx.Response:
        with httpx.Client(base_url=platform.server.url, timeout=60,
                          headers={"Authorization": platform.a.headers["authorization"]}) as c:
            barrier.wait()
            return c.post("/api/v1/results", content=body,
                          headers={"Idempotency-Key": "same-key" if i % 2 else f"key-{i}"})

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(one, range(20)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 19 + [201], [r.text for r in responses if r.status_code not in (200, 201)]
    assert sum(r.json()["duplicate"] for r in responses) == 19
    assert len({r.json()["platform_id"] for r in responses}) == 1
    assert len({r.json()["received_at"] for r in responses}) == 1
    assert platform.count() == {"count": 1, "distinct_uids": 1}


# -------------------------------------------------------------------------------------------- batch

def test_batch_accepts_valid_items_and_rejects_bad_ones(platform: Platform) -> None:
    assert post(platform.a, upload("JD2026-00010")).status_code == 201
    bad = json.loads(dump_json(upload("JD2026-00012")))
    bad["record"]["instrument"]["name"] = ""
    items = [json.loads(dump_json(upload("JD2026-00010"))), json.loads(dump_json(upload("JD2026-00011"))), bad]
    r = platform.a.post("/api/v1/results:batch", json={"schema_version": "1", "items": items},
                        headers={"Idempotency-Key": "batch-1"})
    assert r.status_code == 200, r.text
    acks = r.json()["acks"]
    assert [(a["uid"], a["duplicate"]) for a in acks] == [("JD2026-00010/v1", True), ("JD2026-00011/v1", False)]
    assert r.json()["rejected"] == [{"uid": "JD2026-00012/v1", "index": 2, "errors": [
        {"field": "record.instrument.name", "message": r.json()["rejected"][0]["errors"][0]["message"]}]}]
    replay = platform.a.post("/api/v1/results:batch", json={"schema_version": "1", "items": items},
                             headers={"Idempotency-Key": "batch-1"})
    assert replay.status_code == 200 and replay.json()["duplicate"] is True and replay.json()["acks"] == acks
    assert platform.count() == {"count": 2, "distinct_uids": 2}


# ----------------------------------------------------------------------------------------- ledger

def test_ledger_upserts_by_serial(platform: Platform) -> None:
    inst = [{"serial": "S1", "name": "交流充电桩", "model": "JD-7K", "delivery_mode": "现场检"},
            {"serial": "S2", "name": "加油机", "model": "JY-2"}]
    r = platform.a.post("/api/v1/ledger", json={"schema_version": "1", "instruments": inst},
                        headers={"Idempotency-Key": "l1"})
    assert r.status_code == 200 and r.json() == {"accepted": 2, "duplicate": False}
    r = platform.a.post("/api/v1/ledger", json={"instruments": [{**inst[0], "location": "1 号站"}]},
                        headers={"Idempotency-Key": "l2"})
    assert r.json()["accepted"] == 1
    r = platform.a.post("/api/v1/ledger", json={"instruments": [{"serial": "S3", "name": "x", "delivery_mode": "邮寄"}]},
                        headers={"Idempotency-Key": "l3"})
    assert r.status_code == 422 and fields(r) == ["instruments.0.delivery_mode"]
    with Session(platform.server.platform.engine) as s:
        rows = {r.serial: r for r in s.exec(select(LedgerRow)).all()}
    assert set(rows) == {"S1", "S2"} and rows["S1"].location == "1 号站" and rows["S1"].model == "JD-7K"


# ---------------------------------------------------------------------------------------- bookings

def test_bookings_in_arrival_order_and_decisions(platform: Platform) -> None:
    # the user units' clocks disagree: seq follows the platform's arrival order, not submitted_at
    made = [platform.booking(submitted_at=t) for t in
            ("2026-02-01T12:00:00+08:00", "2026-02-01T08:00:00+08:00", "2026-01-31T23:00:00-05:00",
             "2026-02-01T09:30:00+08:00")]
    listed = platform.a.get("/api/v1/bookings", params={"status": "booked"}).json()
    assert [b["booking_id"] for b in listed] == [b["booking_id"] for b in made]
    assert [b["seq"] for b in listed] == sorted(b["seq"] for b in listed)
    assert listed[1]["submitted_at"] == "2026-02-01T08:00:00+08:00"  # client time kept as given
    page = platform.a.get("/api/v1/bookings", params={"after_seq": listed[1]["seq"], "limit": 1}).json()
    assert [b["booking_id"] for b in page] == [made[2]["booking_id"]]
    assert listed[0]["instruments"][0]["serial"] == "AC-0001"

    first, second, third, _ = (b["booking_id"] for b in made)
    r = decide(platform.a, second, "refuse")
    assert r.status_code == 422 and fields(r) == ["reason"]
    r = decide(platform.a, second, "reassign", "  ")
    assert r.status_code == 422 and fields(r) == ["reason"]
    r = decide(platform.a, first, "accept")
    assert r.status_code == 200 and r.json()["status"] == "accepted" and r.json()["duplicate"] is False
    again = decide(platform.a, first, "accept", key="another-key")  # same decision, new key: idempotent
    assert again.status_code == 200 and again.json()["status"] == "accepted" and again.json()["duplicate"] is True
    r = decide(platform.a, first, "refuse", "设备停运 (out of service)")
    assert r.status_code == 409 and fields(r) == ["decision"]
    r = decide(platform.a, second, "refuse", "不在授权范围 (outside our authorisation)")
    assert r.status_code == 200 and r.json()["status"] == "refused" and r.json()["reason"].startswith("不在授权")
    r = decide(platform.a, third, "reassign", "检定员不足 (no inspector free)")
    assert r.json()["status"] == "reassign_requested"
    assert decide(platform.a, "BK99999999", "accept").status_code == 404
    assert [b["booking_id"] for b in platform.a.get("/api/v1/bookings", params={"status": "booked"}).json()] == \
        [made[3]["booking_id"]]
    # a result linked to the accepted booking completes it
    assert post(platform.a, upload(booking_id=first)).status_code == 201
    assert platform.a.get(f"/api/v1/bookings/{first}").json()["status"] == "completed"
    assert decide(platform.a, first, "accept", key="late-accept").status_code == 200
    r = post(platform.a, upload("JD2026-00005", booking_id="BK99999999"))
    assert r.status_code == 422 and fields(r) == ["booking_id"]


# ------------------------------------------------------------------------------------ certificates

def test_certificate_status_valid_superseded_revoked_and_public_page(platform: Platform) -> None:
    anon = _client(platform.server.url, None)  # the public lookup needs no token
    v1, v2 = upload(), upload(version=2, supersedes="JD2026-00001/v1")
    t1, t2 = qr_token(v1.qr_text), qr_token(v2.qr_text)
    assert anon.get(f"/api/v1/certificates/{t1}").status_code == 404
    r = anon.get(f"/c/{t1}")
    assert r.status_code == 404 and "未找到该证书" in r.text

    assert post(platform.a, v1).status_code == 201
    st = anon.get(f"/api/v1/certificates/{t1}").json()
    assert (st["status"], st["certificate_no"], st["version"], st["latest_version"]) == ("valid", "JD2026-00001", 1, 1)
    assert (st["instrument_serial"], st["conclusion"], st["kind"]) == ("AC-0001", "合格", "certificate")
    assert st["pdf_sha256"] == v1.pdf_sha256 and st["institution_code"] == "JD-A"
    assert st["valid_until"] == v1.record.valid_until.isoformat() if v1.record.valid_until else st["valid_until"] is None
    page = anon.get(f"/c/{t1}")
    assert page.status_code == 200 and 'data-status="valid"' in page.text and "状态：有效 (VALID)" in page.text
    assert "证书编号 (certificate no.)" in page.text and "JD2026-00001" in page.text

    assert post(platform.a, v2).status_code == 201
    st1, st2 = (anon.get(f"/api/v1/certificates/{t}").json() for t in (t1, t2))
    assert (st1["status"], st1["superseded_by"], st1["latest_version"]) == ("superseded", "JD2026-00001/v2", 2)
    assert st2["status"] == "valid"
    page = anon.get(f"/c/{t1}").text
    assert "状态：已被替代 (SUPERSEDED)" in page and f'href="/c/{t2}"' in page

    revoke = upload(version=2, supersedes="JD2026-00001/v1", status="revoked")
    r = post(platform.a, revoke)
    assert r.status_code == 201 and r.json()["status"] == "revoked" and r.json()["duplicate"] is False
    assert post(platform.a, revoke, key="revoke-again").json()["duplicate"] is True
    assert anon.get(f"/api/v1/certificates/{t2}").json()["status"] == "revoked"
    assert "状态：已撤销 (REVOKED)" in anon.get(f"/c/{t2}").text
    assert anon.get(f"/api/v1/certificates/{t1}").json()["status"] == "superseded"
    assert platform.count() == {"count": 2, "distinct_uids": 2}

    fail = upload("JD2026-00009", passing=False)
    post(platform.a, fail)
    st = anon.get(f"/api/v1/certificates/{qr_token(fail.qr_text)}").json()
    assert (st["kind"], st["conclusion"]) == ("notice", "不合格")


def test_inspection_result_shows_the_validity_found_and_renews_none(platform: Platform) -> None:
    """An in-service inspection's upload: kind inspection, no validity of its own, the certificate it
    found with its validity; the certificate's own status and validity are untouched by it. An
    inspection record that claims a validity is refused, naming the record."""
    anon = _client(platform.server.url, None)
    cert = upload("JDZ2026-11-0042")
    assert post(platform.a, cert).status_code == 201
    rec = sample_inspection()
    qr = f"JDC1|{rec.certificate_no}|1|{PUBLIC_HEX[:16]}|hash|sig"
    check = ResultUpload.build(certificate_no=rec.certificate_no, version=1, record=rec.to_dict(),
                               pdf=b"%PDF-1.7 inspection", qr_text=qr, public_key_hex=PUBLIC_HEX,
                               issued_at="2027-05-18T11:10:00+08:00")
    assert post(platform.a, check).status_code == 201
    st = anon.get(f"/api/v1/certificates/{qr_token(qr)}").json()
    assert (st["kind"], st["conclusion"], st["valid_until"], st["service_life_until"]) == ("inspection", "合格", None, None)
    assert (st["found_certificate_no"], st["found_valid_until"]) == ("JDZ2026-11-0042", "2029-11-22")
    page = anon.get(f"/c/{qr_token(qr)}").text
    assert "使用中检查结果通知书" in page and "有效期至 2029-11-22" in page and "有效期至 (valid until)" not in page
    held = anon.get(f"/api/v1/certificates/{qr_token(cert.qr_text)}").json()
    assert (held["status"], held["kind"], held["valid_until"]) == ("valid", "certificate", "2029-11-22")

    body = {**check.model_dump(mode="json"), "certificate_no": "JCZ2027-05-0008", "uid": "JCZ2027-05-0008/v1",
            "record": replace(rec, certificate_no="JCZ2027-05-0008", valid_until=date(2030, 5, 17)).to_dict()}
    bad = platform.a.post("/api/v1/results", content=json.dumps(body, ensure_ascii=False).encode(),
                          headers={"Idempotency-Key": "claim", "Content-Type": "application/json"})
    assert bad.status_code == 422 and fields(bad) == ["record"]
    assert "不得给出有效期" in bad.json()["errors"][0]["message"]


def test_revocation_arriving_before_the_issue_is_kept(platform: Platform) -> None:
    """An outbox may deliver out of order: the revocation first, the issued version later."""
    assert post(platform.a, upload(status="revoked")).status_code == 201
    late = post(platform.a, upload())
    assert late.status_code == 200 and late.json()["duplicate"] is True and late.json()["status"] == "revoked"
    assert platform.a.get(f"/api/v1/certificates/{qr_token(upload().qr_text)}").json()["status"] == "revoked"


# ------------------------------------------------------------------------------------------- faults

def test_injected_500s_store_nothing(platform: Platform) -> None:
    assert platform.admin.post("/admin/faults", json={"fail_next": 2}).json()["fail_next"] == 2
    up = upload()
    for _ in range(2):
        r = post(platform.a, up)
        assert r.status_code == 500 and "注入故障" in r.json()["errors"][0]["message"]
    assert platform.count()["count"] == 0
    assert post(platform.a, up).status_code == 201
    assert platform.admin.get("/admin/faults").json()["failed"] == 2


def test_delay_makes_the_client_time_out(platform: Platform) -> None:
    platform.admin.post("/admin/faults", json={"delay_s": 5})
    try:
        with pytest.raises(httpx.ReadTimeout):
            platform.a.get("/api/v1/bookings", timeout=0.2)
    finally:
        platform.admin.post("/admin/faults", json={"delay_s": 0})
    assert platform.a.get("/api/v1/bookings").status_code == 200


def test_drop_after_commit_at_the_wire_then_replay_is_duplicate(platform: Platform) -> None:
    platform.admin.post("/admin/faults", json={"drop_after_commit_next": 1})
    up = upload()
    body = dump_json(up)
    # raw socket: the request goes out whole, and not one byte comes back before the connection ends
    with socket.create_connection(("127.0.0.1", platform.server.port), timeout=30) as sock:
        head = (f"POST /api/v1/results HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Authorization: {platform.a.headers['authorization']}\r\nIdempotency-Key: {up.idempotency_key()}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        sock.sendall(head + body)
        received = b""
        try:
            while chunk := sock.recv(4096):
                received += chunk
        except ConnectionResetError:
            pass
    assert received == b""
    assert platform.count() == {"count": 1, "distinct_uids": 1}  # committed before the drop
    replay = post(platform.a, up)
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    # and through httpx the drop is a protocol error (what sync.client turns into PlatformUnavailable)
    platform.admin.post("/admin/faults", json={"drop_after_commit_next": 1})
    with pytest.raises(httpx.TransportError):
        post(platform.a, upload("JD2026-00002"))
    assert post(platform.a, upload("JD2026-00002")).json()["duplicate"] is True
    assert platform.count() == {"count": 2, "distinct_uids": 2}
    assert platform.admin.get("/admin/faults").json()["dropped"] == 2


# ---------------------------------------------------------------------------------------- lifecycle

def test_restart_on_the_same_database_keeps_results(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    with PlatformServer(url, admin_token=ADMIN) as server:
        admin = _client(server.url, ADMIN)
        token = admin.post("/admin/institutions", json={"code": "JD-A", "token": "t" * 32}).json()["token"]
        assert post(_client(server.url, token), upload()).status_code == 201
    with PlatformServer(url, admin_token=ADMIN) as server:
        r = post(_client(server.url, "t" * 32), upload())
        assert r.status_code == 200 and r.json()["duplicate"] is True
        assert _client(server.url, ADMIN).get("/admin/results").json()[0]["uid"] == "JD2026-00001/v1"


def test_console_entry_is_dispatched() -> None:
    from hardware_sim.__main__ import main

    with pytest.raises(SystemExit) as exc:
        main(["platform", "--help"])
    assert exc.value.code == 0
    assert date.today()  # keep the import honest
