"""People who prove who they are (issue 13, line 4): local accounts with roles and scrypt-hashed
passwords; names compared after NFKC with invisible characters refused; every check, approval and
issue the logged-in account's, signed; no account in two roles on one certificate; only a 批准人
issues; account changes chained and audited. Each bypass the issue found is tried here."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bench.accounts import DEMO_PASSWORD, Account, AccountError, Accounts, demo_account, password_matches
from bench.certificates import ApprovalError, Certificates
from bench.cli import main
from bench.signing import canonical_bytes, public_from_b64, unb64url
from bench.signoffs import signoff_problems
from bench.store import Store
from bench.store.models import Run
from reports.samples import sample_record

NO = "JD2026-00077"
PIN = "pin-135790"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "people.db")
    inst = s.add_instrument(category="交流充电桩", name="充电桩", model="M", serial="S1", manufacturer="X",
                            accuracy_class="2")
    s.create_run(Run(id=sample_record().run_id, regulation="jjg1148", edition="2022", verification_type="first",
                     instrument_id=inst.id or 0))
    return s


@pytest.fixture
def admin(store: Store) -> Account:
    return Accounts(store).add("管理员", "administrator", "admin-secret", None)


def person(store: Store, admin: Account, name: str, *roles: str) -> Account:
    """A real account holding ``roles``, logged in."""
    Accounts(store).add(name, roles, PIN, admin)
    return Accounts(store).authenticate(name, PIN)


@pytest.fixture
def certs(store: Store, tmp_path: Path) -> Certificates:
    c = Certificates(store, tmp_path / "out", tmp_path / "keys" / "inst.pem")
    c.init_key("示例市计量检定测试所")
    return c


def draft(certs: Certificates, verifier: str) -> None:
    rec = dataclasses.replace(sample_record(), certificate_no=NO)
    certs.draft(rec, run_id=rec.run_id, position=None, verifier=verifier, actor=verifier)


# -- names ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("hidden", ["\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\u00ad"])
def test_a_name_with_an_invisible_character_is_refused(store: Store, admin: Account, hidden: str) -> None:
    with pytest.raises(AccountError, match=f"U\\+{ord(hidden):04X}"):
        Accounts(store).add(f"张{hidden}三", "checker", PIN, admin)
    person(store, admin, "张三", "verifier")
    with pytest.raises(AccountError, match="invisible"):  # nor can one log in with it
        Accounts(store).authenticate(f"张{hidden}三", PIN)


def test_nfkc_equal_names_are_one_person(store: Store, admin: Account) -> None:
    zhang = person(store, admin, "ｚｈａｎｇ Ｗｅｉ", "checker")  # full-width letters and space
    assert zhang.name == "zhang Wei"  # stored after NFKC
    with pytest.raises(AccountError, match="exists"):
        Accounts(store).add("ZHANG  WEI", "approver", PIN, admin)
    assert Accounts(store).authenticate("Zhang Wei", PIN).id == zhang.id


# -- passwords -----------------------------------------------------------------------------------
def test_passwords_are_scrypt_hashes_and_a_wrong_one_is_refused(store: Store, admin: Account) -> None:
    li = person(store, admin, "李娜", "checker")
    stored = Accounts(store).get("李娜").password_hash
    assert stored.startswith("scrypt$32768$8$1$") and PIN not in stored
    assert password_matches(PIN, stored) and not password_matches(PIN + "x", stored)
    with pytest.raises(AccountError, match="wrong name or password"):
        Accounts(store).authenticate("李娜", "pin-000000")
    with pytest.raises(AccountError, match="wrong name or password"):  # an unknown name: the same words
        Accounts(store).authenticate("李四", PIN)
    assert [a.action for a in store.audit_log()].count("account.login_failed") == 2
    with pytest.raises(AccountError, match="at least 6"):
        Accounts(store).set_password("李娜", "12345", li)
    Accounts(store).set_password("李娜", "new-pin-2468", li)  # one's own password
    assert Accounts(store).authenticate("李娜", "new-pin-2468").id == li.id


def test_a_disabled_account_is_refused_even_if_logged_in_before(store: Store, admin: Account,
                                                                 certs: Certificates) -> None:
    li = person(store, admin, "李娜", "checker")
    draft(certs, "张伟")
    Accounts(store).disable("李娜", admin, "离职 (left)")
    with pytest.raises(AccountError, match="disabled"):
        Accounts(store).authenticate("李娜", PIN)
    with pytest.raises(ApprovalError, match="disabled"):  # the session held before is checked again
        certs.check(NO, li)
    assert [a.name for a in Accounts(store).all()] == ["管理员", "李娜"]  # disabled, never deleted


# -- administration ------------------------------------------------------------------------------
def test_first_account_is_an_administrator_and_only_administrators_change_accounts(store: Store) -> None:
    accounts = Accounts(store)
    with pytest.raises(AccountError, match="administrator"):
        accounts.add("李娜", "checker", PIN, None)
    admin = accounts.add("管理员", "administrator", "admin-secret", None)  # bootstrap
    with pytest.raises(AccountError, match="log in as an administrator"):
        accounts.add("李娜", "checker", PIN, None)
    li = person(store, admin, "李娜", "checker")
    with pytest.raises(AccountError, match="administrator"):
        accounts.add("王五", "approver", PIN, li)
    with pytest.raises(AccountError, match="administrator"):
        accounts.set_roles("李娜", "checker,approver", li)
    assert accounts.set_roles("李娜", "核验员,批准人", admin).roles == {"checker", "approver"}
    with pytest.raises(AccountError, match="last administrator"):
        accounts.disable("管理员", admin)
    log = [(a.actor, a.action) for a in store.audit_log() if a.action.startswith("account.")]
    assert log == [("bootstrap", "account.created"), ("管理员", "account.created"), ("管理员", "account.roles")]


def test_account_changes_are_chained_an_edited_role_is_found(store: Store, admin: Account) -> None:
    person(store, admin, "李娜", "checker")
    assert all(not breaks for _, breaks in store.verify_chains().values())
    con = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE accountevent SET roles = 'approver,checker' WHERE name = '李娜'")
    con.execute("DROP TRIGGER accountevent_no_update")
    con.execute("UPDATE accountevent SET roles = 'approver,checker' WHERE name = '李娜'")
    con.commit()
    con.close()
    breaks = store.verify_chains()["accountevent"][1]
    assert [(b.table, b.kind) for b in breaks] == [("accountevent", "edited")]


# -- the approval chain --------------------------------------------------------------------------
def test_verifier_cannot_check_or_approve_their_own_run(store: Store, admin: Account, certs: Certificates) -> None:
    zhang = person(store, admin, "张伟", "verifier", "checker", "approver")
    li = person(store, admin, "李娜", "checker")
    draft(certs, "张伟")
    with pytest.raises(ApprovalError, match="verifier of JD2026-00077 cannot also check"):
        certs.check(NO, zhang)
    certs.check(NO, li)
    with pytest.raises(ApprovalError, match="verifier of JD2026-00077 cannot also approve"):
        certs.approve(NO, zhang)


def test_zero_width_space_cannot_make_the_verifier_another_checker(store: Store, admin: Account,
                                                                   certs: Certificates) -> None:
    draft(certs, "张伟")
    with pytest.raises(AccountError, match="U\\+200B"):
        person(store, admin, "张\u200b伟", "checker")
    # a draft whose 检定员 was typed with one (before accounts) is still the same person
    zhang = person(store, admin, "张伟", "checker")
    certs2 = certs
    rec = dataclasses.replace(sample_record(), certificate_no="JD2026-00078")
    certs2.draft(rec, run_id=rec.run_id, position=None, verifier="张\u200b伟", actor="x")
    with pytest.raises(ApprovalError, match="cannot also check"):
        certs2.check("JD2026-00078", zhang)


def test_checker_cannot_approve_or_issue_what_they_checked(store: Store, admin: Account, certs: Certificates) -> None:
    li = person(store, admin, "李娜", "checker", "approver")
    wang = person(store, admin, "王建国", "approver")
    draft(certs, "张伟")
    certs.check(NO, li)
    with pytest.raises(ApprovalError, match="checker of JD2026-00077 cannot also approve"):
        certs.approve(NO, li)
    certs.approve(NO, wang)
    with pytest.raises(ApprovalError, match="checker of JD2026-00077 cannot also approve or issue"):
        certs.issue(NO, li)
    assert certs.get(NO).status == "approved"


def test_only_an_approver_issues(store: Store, admin: Account, certs: Certificates) -> None:
    zhang = person(store, admin, "张伟", "verifier")
    li = person(store, admin, "李娜", "checker")
    wang = person(store, admin, "王建国", "approver")
    draft(certs, "张伟")
    with pytest.raises(ApprovalError, match="does not hold the role checker"):
        certs.check(NO, zhang)  # a 检定员-only account
    certs.check(NO, li)
    with pytest.raises(ApprovalError, match="does not hold the role approver"):
        certs.approve(NO, li)
    certs.approve(NO, wang)
    for who in (zhang, li, admin):
        with pytest.raises(ApprovalError, match="does not hold the role approver"):
            certs.issue(NO, who)
    Accounts(store).set_roles("王建国", "checker", admin)  # a role taken away counts at once
    with pytest.raises(ApprovalError, match="does not hold the role approver"):
        certs.issue(NO, wang)
    Accounts(store).set_roles("王建国", "approver", admin)
    st, _ = certs.issue(NO, wang)
    assert st.status == "issued"


def test_each_signoff_is_recorded_with_the_account_and_signed(store: Store, admin: Account,
                                                               certs: Certificates) -> None:
    li = person(store, admin, "李娜", "checker")
    wang = person(store, admin, "王建国", "approver")
    draft(certs, "张伟")
    certs.check(NO, li)
    certs.approve(NO, wang)
    st, _ = certs.issue(NO, wang)
    offs = certs.signoffs(st)
    assert [(o.action, o.account, o.role) for o in offs] == [("checked", "李娜", "checker"),
                                                            ("approved", "王建国", "approver"),
                                                            ("issued", "王建国", "approver")]
    [key] = store.signing_keys()
    public = public_from_b64(key.public_key)
    assert isinstance(public, Ed25519PublicKey)
    for o in offs:
        statement = json.loads(o.statement_json)
        assert statement["account_id"] == o.account_id and statement["number"] == NO and statement["version"] == 1
        assert statement["content_hash"] == o.content_hash and statement["at"]
        assert canonical_bytes(statement) == o.statement_json.encode()
        public.verify(unb64url(o.signature), o.statement_json.encode())  # raises when forged
    assert all(not breaks for _, breaks in store.verify_chains().values())


# -- the command line ----------------------------------------------------------------------------
def test_cli_accounts_and_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.db")
    for var in ("JIANDING_USER", "JIANDING_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("JIANDING_NEW_PASSWORD", "admin-secret")
    assert main(["--db", db, "account", "add", "管理员", "--roles", "checker"]) == 2  # the first: administrator
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["--db", db, "account", "add", "管理员", "--roles", "administrator"]) == 0  # bootstrap
    monkeypatch.setenv("JIANDING_NEW_PASSWORD", PIN)
    assert main(["--db", db, "account", "add", "李娜", "--roles", "核验员"]) == 2  # now an administrator must log in
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "JIANDING_USER" in err and "Traceback" not in err
    monkeypatch.setenv("JIANDING_USER", "管理员")
    monkeypatch.setenv("JIANDING_PASSWORD", "admin-secret")
    assert main(["--db", db, "account", "add", "李娜", "--roles", "核验员"]) == 0
    assert main(["--db", db, "account", "add", "张\u200b三", "--roles", "checker"]) == 2
    assert "U+200B" in capsys.readouterr().err
    assert main(["--db", db, "account", "roles", "李娜", "--roles", "checker,approver"]) == 0
    assert main(["--db", db, "account", "disable", "李娜", "--reason", "调离"]) == 0
    assert main(["--db", db, "account", "list"]) == 0
    listing = capsys.readouterr().out
    assert "李娜" in listing and "停用 disabled" in listing and "核验员、批准人" in listing
    monkeypatch.setenv("JIANDING_USER", "李娜")
    monkeypatch.setenv("JIANDING_PASSWORD", PIN)
    assert main(["--db", db, "account", "passwd"]) == 2  # a disabled account does nothing
    assert "disabled" in capsys.readouterr().err
    monkeypatch.setenv("JIANDING_PASSWORD", "nope-nope")
    assert main(["--db", db, "certificate", "check", "JD2026-00001"]) == 2
    assert "wrong name or password" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # --by NAME is gone: who acts is who logged in
        main(["--db", db, "certificate", "check", "JD2026-00001", "--by", "李娜"])


def test_demo_never_signs_in_a_store_with_real_accounts(store: Store, admin: Account,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AccountError, match="real accounts"):
        demo_account(store, "李核验", "checker")
    for var in ("JIANDING_USER", "JIANDING_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    assert main(["--db", str(store.path), "demo", "--speed", "3000"]) == 2
    assert "real accounts" in capsys.readouterr().err
    assert main(["--db", str(store.path), "verify", "jjg1148", "--station", "x.toml", "--auto"]) == 2
    assert "log in" in capsys.readouterr().err  # a run in a store with accounts is a logged-in 检定员's


def test_demo_accounts_are_disabled_by_the_first_real_account(store: Store) -> None:
    demo = demo_account(store, "李核验", "checker")
    assert demo.demo and Accounts(store).authenticate("李核验", DEMO_PASSWORD).id == demo.id
    Accounts(store).add("管理员", "administrator", "admin-secret", None)
    with pytest.raises(AccountError, match="disabled"):
        Accounts(store).authenticate("李核验", DEMO_PASSWORD)


def test_a_rewritten_signoff_is_found_even_with_its_chain_recomputed(store: Store, admin: Account,
                                                                     certs: Certificates) -> None:
    li = person(store, admin, "李娜", "checker")
    draft(certs, "张伟")
    certs.check(NO, li)
    assert signoff_problems(store) == []
    con = sqlite3.connect(store.path)
    con.execute("DROP TRIGGER signoff_no_update")
    con.execute("UPDATE signoff SET account = '王建国', account_id = 3")  # someone else's name on it
    con.commit()
    con.close()
    [problem] = signoff_problems(store)
    assert "signoff id 1" in problem and "account_id, account" in problem
