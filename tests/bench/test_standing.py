"""An instrument's standing from its history (bench/standing.py): inspections never move the validity,
a service life runs from the first passing verification, and what an in-service inspection finds —
valid, expired, past its service life, failed, nothing on record, a certificate never issued or
revoked."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bench.accounts import demo_account
from bench.certificates import Certificates
from bench.standing import Verification, as_found, certificate_in_force, finished_utc, standing
from bench.store import Store
from bench.store.models import Run
from procedures.regulations.validity import ValidityRule
from reports.samples import sample_record

PERIOD_3Y = ValidityRule("period", 3, 0, True, "JJG 1148-2022 检定周期")
LIFE_6Y = ValidityRule("service_life", 6, 0, True, "JJG 162-2019 检定周期", "DN ≤ 25")


def _v(on: date, vtype: str = "first", conclusion: str = "合格", number: str = "") -> Verification:
    return Verification(instrument_id=1, run_id=f"r-{on}-{vtype}", position=None, regulation="x",
                        verification_type=vtype, verified_on=on, conclusion=conclusion,
                        record={"institution": {"name": "某所"}}, certificate_no=number or f"JD-{on}")


def test_a_passing_inspection_moves_nothing() -> None:
    history = [_v(date(2024, 3, 1)), _v(date(2025, 6, 1), "in_use")]
    st = standing(PERIOD_3Y, history)
    assert st.last == history[0] and st.basis == date(2024, 3, 1) and st.until == date(2027, 2, 28)
    assert st.inspections == (history[1],) and st.failed_inspection is None


def test_a_failed_inspection_after_the_last_verification_is_kept_and_a_later_verification_clears_it() -> None:
    failed = _v(date(2025, 6, 1), "in_use", "不合格")
    assert standing(PERIOD_3Y, [_v(date(2024, 3, 1)), failed]).failed_inspection == failed
    cleared = standing(PERIOD_3Y, [_v(date(2024, 3, 1)), failed, _v(date(2025, 7, 1), "subsequent")])
    assert cleared.failed_inspection is None and cleared.until == date(2028, 6, 30)


def test_a_service_life_runs_from_the_first_passing_verification() -> None:
    history = [_v(date(2020, 5, 10), conclusion="不合格"), _v(date(2020, 6, 1)), _v(date(2023, 1, 9), "subsequent")]
    st = standing(LIFE_6Y, history)
    assert st.last == history[2] and st.first_passed == history[1]
    assert (st.basis, st.until) == (date(2020, 6, 1), date(2026, 5, 31))
    assert standing(PERIOD_3Y, history).until == date(2026, 1, 8)  # a period: from the last one


@pytest.mark.parametrize(("history", "on", "status", "found"), [
    ([], date(2026, 1, 1), "未查到检定记录", (None, None, "")),
    ([_v(date(2024, 3, 1), conclusion="不合格")], date(2026, 1, 1), "最近一次检定不合格", (None, None, "JD-2024-03-01")),
    ([_v(date(2024, 3, 1))], date(2027, 2, 28), "有效", (date(2027, 2, 28), None, "JD-2024-03-01")),
    ([_v(date(2024, 3, 1))], date(2027, 3, 1), "已过有效期", (date(2027, 2, 28), None, "JD-2024-03-01")),
])
def test_as_found_for_a_period(history: list[Verification], on: date, status: str,
                               found: tuple[date | None, date | None, str]) -> None:
    a = as_found(standing(PERIOD_3Y, history), on)
    assert a.status.startswith(status) and (a.valid_until, a.service_life_until, a.certificate_no) == found
    assert a.source.startswith("本机构检定记录")
    if history and history[-1].passed:
        assert (a.issuer, a.verified_on) == ("某所", date(2024, 3, 1))


def test_as_found_for_a_service_life_and_a_certificate_not_in_force() -> None:
    st = standing(LIFE_6Y, [_v(date(2020, 6, 1)), _v(date(2023, 1, 9), "subsequent", number="JD-B")])
    a = as_found(st, date(2026, 6, 1))
    assert (a.certificate_no, a.service_life_until, a.valid_until) == ("JD-B", date(2026, 5, 31), None)
    assert a.status.startswith("已过使用期限")
    assert as_found(st, date(2026, 5, 31)).status.startswith("有效")
    revoked = as_found(st, date(2026, 5, 31), document_status="证书 JD-B 已注销 (certificate revoked)")
    assert revoked.status.startswith("证书 JD-B 已注销")
    # an expired one stays expired whatever its document says
    assert as_found(st, date(2026, 6, 1), document_status="证书 JD-B 已注销").status.startswith("已过使用期限")


def test_certificate_in_force_follows_the_approval_chain(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    inst = store.add_instrument(category="交流充电桩", name="充电桩", model="M", serial="S1", manufacturer="X",
                                accuracy_class="2")
    rec = dataclasses.replace(sample_record(), certificate_no="JD2026-00042")
    store.create_run(Run(id=rec.run_id, regulation="jjg1148", edition="2022", verification_type="first",
                         instrument_id=inst.id or 0))
    certs = Certificates(store, tmp_path / "out", tmp_path / "keys" / "k.pem")
    certs.init_key("某所")
    assert certificate_in_force(certs, "") == "" and certificate_in_force(certs, "JD-ELSEWHERE") == ""
    certs.draft(rec, run_id=rec.run_id, position=None, verifier="张伟", actor="张伟")
    assert "尚未签发" in certificate_in_force(certs, "JD2026-00042")
    certs.check("JD2026-00042", demo_account(certs.store, "李娜", "checker"))
    certs.approve("JD2026-00042", demo_account(certs.store, "王建国", "approver"))
    certs.issue("JD2026-00042", demo_account(certs.store, "王建国", "approver"))
    assert certificate_in_force(certs, "JD2026-00042") == ""
    certs.revoke("JD2026-00042", demo_account(certs.store, "王建国", "approver"), "器具信息有误")
    assert "已注销" in certificate_in_force(certs, "JD2026-00042")


def test_finish_times_compare_as_instants() -> None:
    """The store keeps naive UTC; a finish time still carrying its offset (17:45:51 in China) is the
    same instant as 09:45:51 UTC and later than 09:45:22 UTC."""
    china = timezone(timedelta(hours=8))
    assert finished_utc(datetime(2026, 3, 10, 17, 45, 51, tzinfo=china)) == datetime(2026, 3, 10, 9, 45, 51)
    assert finished_utc(datetime(2026, 3, 10, 9, 45, 51, tzinfo=UTC)) > finished_utc(datetime(2026, 3, 10, 9, 45, 22))
    assert finished_utc(None) == datetime.min
