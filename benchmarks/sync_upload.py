"""Upload throughput of the outbox: a backlog of certificates pushed to the reference platform on
loopback, batched (``POST /results:batch``, 100 a request) against one request per record.

    python -m benchmarks.sync_upload [--records 10000] [--batch-size 100] [--pdf-kb 8]

Each mode gets a fresh workstation store (SQLite, WAL, synchronous=FULL) with the backlog already
queued, and a fresh platform server (SQLite file) in the same process; the time is the whole drain:
reading the queue, sending, the platform validating and committing each result (and its idempotency
record), and the workstation marking each item done. Records are synthetic issued-certificate uploads
(the sample record renumbered, a stand-in PDF of ``--pdf-kb``: a real certificate PDF is ~70 KB, whose
transfer would dominate both modes alike). The count the platform holds is checked after each mode:
every record exactly once.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.store import Store
from bench.sync_worker import make_outbox
from hardware_sim.platform import PlatformServer
from reports.samples import sample_record
from sync.client import PlatformClient
from sync.schemas import ResultUpload

ADMIN = "benchmark-admin-token"


def _queue(store: Store, n: int, pdf_kb: int) -> None:
    """Queue ``n`` synthetic issued-certificate uploads in one transaction."""
    key = Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw,
                                                                 serialization.PublicFormat.Raw).hex()
    record = sample_record().to_dict()
    now = datetime.now(UTC)
    with store.transaction() as tx:
        rows = []
        for i in range(1, n + 1):
            number = f"JDB2026-{i:06d}"
            pdf = f"%PDF-1.4 {number}\n".encode().ljust(pdf_kb * 1024, b"0")
            up = ResultUpload.build(certificate_no=number, version=1, record={**record, "certificate_no": number},
                                    pdf=pdf, qr_text=f"JDC1|{number}|1|bench", public_key_hex=key, issued_at=now)
            rows.append(store.outbox_row("result", up.idempotency_key(), up.model_dump(mode="json")))
        tx.add(*rows)


def run_mode(n: int, batching: bool, batch_size: int, pdf_kb: int) -> float:
    """Drain a backlog of ``n`` in one mode; seconds taken (the platform's count checked)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "ws.db")
        _queue(store, n, pdf_kb)
        server = PlatformServer(f"sqlite:///{Path(tmp) / 'platform.db'}", admin_token=ADMIN).start()
        try:
            admin = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30)
            token = admin.post("/admin/institutions", json={"code": "JD-BENCH"}).json()["token"]
            with PlatformClient(server.url, token, timeout_s=60) as client:
                outbox = make_outbox(store, client, batch_size=batch_size)
                t0 = time.perf_counter()
                report = outbox.drain(batching=batching, force=True)
                elapsed = time.perf_counter() - t0
            held = admin.get("/admin/results/count").json()
            admin.close()
        finally:
            server.stop()
        if report.error or held != {"count": n, "distinct_uids": n} or store.outbox_counts()["done"] != n:
            raise SystemExit(f"upload incomplete: {report} platform {held} store {store.outbox_counts()}")
        store.engine.dispose()
        return elapsed


def main(argv: list[str] | None = None) -> int:
    """Run both modes and print records per second and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--pdf-kb", type=int, default=8)
    args = ap.parse_args(argv)
    n = args.records
    t_batch = run_mode(n, True, args.batch_size, args.pdf_kb)
    t_single = run_mode(n, False, args.batch_size, args.pdf_kb)
    print(f"outbox upload: {n} records (PDF {args.pdf_kb} KB each) to the reference platform on loopback")
    print(f"  batched ({args.batch_size} per request)  : {n / t_batch:9.0f} records/s  ({t_batch:6.1f} s)")
    print(f"  one request per record    : {n / t_single:9.0f} records/s  ({t_single:6.1f} s)")
    print(f"  batched / one per record  : {t_single / t_batch:9.1f} ×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
