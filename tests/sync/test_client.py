"""The platform client (sync.client) against the REAL reference server on loopback: acknowledgements
and duplicate acknowledgements, a key reused with another body, validation errors naming the field,
a bad token, the server down, HTTP 500s, a timeout, a connection dropped after the server committed,
bookings in booking order and decisions on them, batches with a bad item, the public status."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync.client import PlatformClient
from sync.errors import PlatformAuthFailed, PlatformRejected, PlatformUnavailable
from sync.schemas import qr_token
from tests.sync.kit import Platform, running_platform, synthetic_upload

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with running_platform(f"sqlite:///{tmp_path / 'platform.db'}") as p:
        yield p


@pytest.fixture
def client(platform: Platform) -> Iterator[PlatformClient]:
    with PlatformClient(platform.url, platform.token, timeout_s=10) as c:
        yield c


def _key(payload: dict[str, object]) -> str:
    return f"result:{payload['uid']}:issued"


def test_ack_then_duplicate_ack_and_key_reused_with_another_body(client: PlatformClient, platform: Platform) -> None:
    up = synthetic_upload("JDC2026-000001")
    ack = client.post_result(up, _key(up))
    assert ack.uid == "JDC2026-000001/v1" and not ack.duplicate and ack.platform_id
    again = client.post_result(up, _key(up))
    assert again.duplicate and again.platform_id == ack.platform_id
    other = synthetic_upload("JDC2026-000002")
    with pytest.raises(PlatformRejected) as e:
        client.post_result(other, _key(up))  # same key, different body
    assert e.value.status == 409 and any(f.field == "Idempotency-Key" for f in e.value.errors)
    assert platform.count() == {"count": 1, "distinct_uids": 1}


def test_validation_errors_name_the_field(client: PlatformClient) -> None:
    up = synthetic_upload("JDC2026-000003")
    up["pdf_sha256"] = "0" * 64
    up["record"]["instrument"]["serial"] = ""
    with pytest.raises(PlatformRejected) as e:
        client.post_result(up, _key(up))
    fields = {f.field for f in e.value.errors}
    assert e.value.status == 422 and {"pdf_sha256", "record.instrument.serial"} <= fields, e.value.describe()
    assert "pdf_sha256" in e.value.describe()


def test_bad_token_is_an_auth_failure_not_a_rejection(platform: Platform) -> None:
    up = synthetic_upload("JDC2026-000004")
    with PlatformClient(platform.url, "not-a-token-of-anyone-here", timeout_s=5) as c, \
            pytest.raises(PlatformAuthFailed) as e:
        c.post_result(up, _key(up))
    assert e.value.status == 401 and isinstance(e.value, PlatformUnavailable)


def test_server_down_is_unavailable() -> None:
    with socket.socket() as s:  # a port nobody listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    up = synthetic_upload("JDC2026-000005")
    with PlatformClient(f"http://127.0.0.1:{port}", "t", timeout_s=2) as c, pytest.raises(PlatformUnavailable) as e:
        c.post_result(up, _key(up))
    assert "unreachable" in str(e.value) and e.value.status is None


def test_http_500_then_success(client: PlatformClient, platform: Platform) -> None:
    platform.faults(fail_next=2)
    up = synthetic_upload("JDC2026-000006")
    for _ in range(2):
        with pytest.raises(PlatformUnavailable) as e:
            client.post_result(up, _key(up))
        assert e.value.status == 500
    assert not client.post_result(up, _key(up)).duplicate
    assert platform.count()["count"] == 1


def test_timeout_then_retry_is_answered_once(platform: Platform) -> None:
    up = synthetic_upload("JDC2026-000007")
    platform.faults(delay_s=1.5)
    with PlatformClient(platform.url, platform.token, timeout_s=0.3) as c:
        with pytest.raises(PlatformUnavailable) as e:
            c.post_result(up, _key(up))
        assert "timed out" in str(e.value)
    platform.faults(delay_s=0)
    with PlatformClient(platform.url, platform.token, timeout_s=10) as c:
        ack = c.post_result(up, _key(up))  # the late first request may have committed: either way, once
    assert ack.uid == up["uid"]
    assert platform.count() == {"count": 1, "distinct_uids": 1}


def test_drop_after_commit_then_duplicate_ack(client: PlatformClient, platform: Platform) -> None:
    up = synthetic_upload("JDC2026-000008")
    platform.faults(drop_after_commit_next=1)
    with pytest.raises(PlatformUnavailable):
        client.post_result(up, _key(up))  # the platform committed, the answer was lost
    ack = client.post_result(up, _key(up))
    assert ack.duplicate
    assert platform.count() == {"count": 1, "distinct_uids": 1}


def test_batch_acks_each_and_rejects_the_bad_item_alone(client: PlatformClient, platform: Platform) -> None:
    items = [synthetic_upload(f"JDC2026-1000{i}") for i in range(5)]
    items[2]["pdf_sha256"] = "f" * 64
    answer = client.post_results_batch(items, "batch:test-1")
    assert sorted(a.uid for a in answer.acks) == sorted(i["uid"] for k, i in enumerate(items) if k != 2)
    assert [r.uid for r in answer.rejected] == [items[2]["uid"]]
    assert any(e.field.endswith("pdf_sha256") for e in answer.rejected[0].errors)
    assert platform.count()["count"] == 4


def test_bookings_in_order_and_decisions(client: PlatformClient, platform: Platform) -> None:
    first = platform.booking(user_unit="甲公司")
    second = platform.booking(user_unit="乙公司")
    third = platform.booking(user_unit="丙公司")
    got = client.get_bookings(after_seq=0)
    assert [b.booking_id for b in got] == [first["booking_id"], second["booking_id"], third["booking_id"]]
    assert [b.seq for b in got] == sorted(b.seq for b in got)
    assert [b.booking_id for b in client.get_bookings(after_seq=got[0].seq)] == [second["booking_id"],
                                                                                 third["booking_id"]]
    now = datetime.now(UTC).isoformat()
    accepted = client.post_decision(first["booking_id"], {"decision": "accept", "decided_by": "王受理",
                                                          "decided_at": now}, f"decision:{first['booking_id']}:accept")
    assert accepted.status == "accepted"
    with pytest.raises(PlatformRejected) as e:  # 不予受理 without a reason
        client.post_decision(second["booking_id"], {"decision": "refuse", "decided_by": "王受理", "decided_at": now},
                             f"decision:{second['booking_id']}:refuse")
    assert e.value.status == 422 and any(f.field == "reason" for f in e.value.errors)
    with pytest.raises(PlatformRejected) as e:  # a conflicting second decision
        client.post_decision(first["booking_id"], {"decision": "refuse", "reason": "设备故障", "decided_by": "王受理",
                                                   "decided_at": now}, f"decision:{first['booking_id']}:refuse")
    assert e.value.status == 409


def test_certificate_status_by_qr_token(client: PlatformClient) -> None:
    up = synthetic_upload("JDC2026-000009")
    client.post_result(up, _key(up))
    st = client.certificate_status(qr_token(up["qr_text"]))
    assert (st.certificate_no, st.version, st.status) == ("JDC2026-000009", 1, "valid")
    with pytest.raises(PlatformRejected) as e:
        client.certificate_status("AAAAAAAAAAAAAAAAAAAAAA")
    assert e.value.status == 404
