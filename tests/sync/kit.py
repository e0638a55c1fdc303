"""Test kit for platform sync: the REAL reference platform server (hardware_sim.platform) on loopback
with an institution, its admin endpoints (counts, held uids, faults, bookings), and cheap synthetic
result uploads (the sample record with a tiny PDF and a real Ed25519 key) for backlogs of thousands.
Used by tests/sync, tests/bench/test_sync_outbox.py and tests/bench/test_tasks.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.store import Store
from hardware_sim.platform import PlatformServer
from reports.samples import sample_record
from sync.schemas import ResultUpload

ADMIN = "admin-token-for-sync-tests"
_KEY = Ed25519PrivateKey.generate()
PUBLIC_HEX = _KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


@dataclasses.dataclass
class Platform:
    """A running reference platform with one institution (code, token) and an admin client."""

    server: PlatformServer
    admin: httpx.Client
    code: str
    token: str

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.server.url

    def count(self) -> dict[str, int]:
        """``{"count": rows held, "distinct_uids": …}`` over every institution."""
        return self.admin.get("/admin/results/count").json()  # type: ignore[no-any-return]

    def results(self) -> list[dict[str, Any]]:
        """Every result row the platform holds (uid, status, platform_id, received_at, booking_id, purpose)."""
        return self.admin.get("/admin/results").json()  # type: ignore[no-any-return]

    def uids(self) -> list[str]:
        """The uids held, one per row (a duplicate would show twice)."""
        return [r["uid"] for r in self.results()]

    def faults(self, **settings: Any) -> None:
        """Set fault injection (fail_next, delay_s, drop_after_commit_next)."""
        r = self.admin.post("/admin/faults", json=settings)
        assert r.status_code == 200, r.text

    def booking(self, **fields: Any) -> dict[str, Any]:
        """A user unit's booking arriving for our institution."""
        body = {"institution_code": self.code, "user_unit": "某充电运营公司", "contact": "李工", "phone": "0730-0000000",
                "site_address": "岳阳市某路 1 号", "division_code": "430602", "delivery_mode": "现场检",
                "requested_date": "2026-03-01",
                "instruments": [{"serial": "AC-0001", "name": "交流充电桩", "model": "JD-7K", "category": "充电桩"}],
                **fields}
        r = self.admin.post("/admin/bookings", json=body)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    def register_key(self, public_key_hex: str) -> None:
        """Register a workstation's public signing key for our institution (uploads must then verify)."""
        r = self.admin.post(f"/admin/institutions/{self.code}/keys", json={"public_key_hex": public_key_hex})
        assert r.status_code in (200, 201), r.text

    def api(self) -> httpx.Client:
        """A raw client authenticated as the institution (to look at what the platform holds)."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30)


def add_institution(server: PlatformServer, admin: httpx.Client, code: str) -> str:
    """Create an institution on the server; its token."""
    r = admin.post("/admin/institutions", json={"code": code, "name": f"{code} 计量检定所"})
    assert r.status_code in (200, 201), r.text
    return str(r.json()["token"])


@contextmanager
def running_platform(database_url: str, code: str = "JD-A", port: int = 0) -> Iterator[Platform]:
    """Start the reference platform (on ``port``, 0 = free), create ``code``; stop at the end."""
    server = PlatformServer(database_url, port=port, admin_token=ADMIN).start()
    admin = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)
    try:
        yield Platform(server, admin, code, add_institution(server, admin, code))
    finally:
        admin.close()
        server.stop()


_RECORD = sample_record().to_dict()


def synthetic_upload(number: str, version: int = 1, *, booking_id: str | None = None,
                     issued_at: datetime | None = None, pdf_size: int = 256) -> dict[str, Any]:
    """A valid issued-certificate upload: the sample record renumbered, a small stand-in PDF (the
    platform checks its hash, not its rendering), a QR text and the test key."""
    record = {**_RECORD, "certificate_no": number, "instrument": {**_RECORD["instrument"], "serial": f"S-{number}"}}
    pdf = (f"%PDF-1.4 synthetic {number}/v{version}\n".encode() + b"0" * pdf_size)[:max(pdf_size, 40)]
    up = ResultUpload.build(certificate_no=number, version=version, record=record, pdf=pdf,
                            qr_text=f"JDC1|{number}|{version}|synthetic", public_key_hex=PUBLIC_HEX,
                            issued_at=issued_at or datetime.now(UTC), booking_id=booking_id)
    return up.model_dump(mode="json")


def fill_outbox(store: Store, n: int, prefix: str = "JDS", *, start: int = 1, created_at: datetime | None = None,
                pdf_size: int = 256) -> list[str]:
    """Queue ``n`` synthetic issued-certificate uploads in one transaction; their uids in order."""
    uids: list[str] = []
    with store.transaction() as tx:
        rows = []
        for i in range(start, start + n):
            number = f"{prefix}2026-{i:06d}"
            payload = synthetic_upload(number, issued_at=created_at, pdf_size=pdf_size)
            uids.append(payload["uid"])
            rows.append(store.outbox_row("result", f"result:{payload['uid']}:issued", payload, created_at))
        tx.add(*rows)
    return uids
