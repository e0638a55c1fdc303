"""A verification in a store with accounts is a logged-in 检定员's: refused without one, and the
draft it leaves names the account as its 检定员, who then cannot check or approve it even holding
those roles — a real JJG 1148 run on the twins (Modbus TCP, OCPP over a WebSocket)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.accounts import AccountError, Accounts
from bench.certificates import ApprovalError
from bench.cli import demo_entries
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from bench.station import Station
from bench.store import Store

pytestmark = pytest.mark.timeout(90)


async def test_run_by_a_logged_in_verifier_who_cannot_then_check_it(store: Store, station: Station,
                                                                    tmp_path: Path) -> None:
    accounts = Accounts(store)
    admin = accounts.add("管理员", "administrator", "admin-secret", None)
    accounts.add("赵六", "verifier,checker,approver", "pin-998877", admin)
    accounts.add("李娜", "checker", "pin-998877", admin)
    with pytest.raises(AccountError, match="log in as a 检定员"):
        Controller(store, tmp_path / "out").prepare(RunRequest(station=station))  # nobody logged in
    with pytest.raises(AccountError, match="does not hold the role verifier"):
        Controller(store, tmp_path / "out", account=accounts.authenticate("李娜", "pin-998877")).prepare(
            RunRequest(station=station))

    zhao = accounts.authenticate("赵六", "pin-998877")
    ctl = Controller(store, tmp_path / "out", account=zhao)
    run_id = ctl.prepare(RunRequest(station=station))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    assert summary.record is not None
    number = summary.record.certificate_no
    st = ctl.certificates.get(number)
    assert st.row.verifier == "赵六" and st.status == "draft"  # the account, not the station's [people] verifier
    assert ("赵六", "run.prepare") in [(a.actor, a.action) for a in store.audit_log()]
    with pytest.raises(ApprovalError, match=r"verifier of .* cannot also check"):
        ctl.certificates.check(number, zhao, auto_create_key=True)
    ctl.certificates.check(number, accounts.authenticate("李娜", "pin-998877"), auto_create_key=True)
    with pytest.raises(ApprovalError, match=r"verifier of .* cannot also approve"):
        ctl.certificates.approve(number, zhao)
