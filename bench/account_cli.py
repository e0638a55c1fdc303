"""``jianding account …`` and how every command proves who runs it.

    jianding account add NAME --roles checker[,approver…]   a new account (administrator; the first one bootstraps)
    jianding account list                                   accounts, roles, disabled or not
    jianding account passwd [NAME]                          a new password (your own, or as administrator)
    jianding account roles NAME --roles …                   change the roles (administrator)
    jianding account disable NAME [--reason …]              disable (never delete) an account (administrator)

Who acts is the logged-in account, never a name typed after ``--by``: the name and password come
from the environment (``JIANDING_USER``, ``JIANDING_PASSWORD`` — for scripts) or, on a terminal, a
prompt (``getpass``: the password is not echoed). Without either the command is refused with one
line. A new account's password comes from ``JIANDING_NEW_PASSWORD`` or a prompt typed twice.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterable
from typing import Any

from bench.accounts import ACTION_ROLES, ROLES, Account, AccountError, Accounts
from bench.store import Store

USER_ENV, PASSWORD_ENV, NEW_PASSWORD_ENV = "JIANDING_USER", "JIANDING_PASSWORD", "JIANDING_NEW_PASSWORD"


def _store(args: argparse.Namespace) -> Store:
    return Store(args.db) if args.db else Store()


def _interactive() -> bool:
    return sys.stdin.isatty()


def credentials() -> tuple[str, str] | None:
    """The name and password to log in with: from the environment, else asked on a terminal;
    None when neither is available (a script without JIANDING_USER/JIANDING_PASSWORD)."""
    user, password = os.environ.get(USER_ENV, ""), os.environ.get(PASSWORD_ENV)
    if user and password is not None:
        return user, password
    if not _interactive():
        return None
    user = user or input("账户 (account): ").strip()
    return user, getpass.getpass(f"密码 (password) {user}: ")


def login(store: Store, role: str | Iterable[str] | None = None) -> Account:
    """The logged-in account (holding ``role``, or one of several, when given); AccountError with
    one line when no credentials were given, or they are wrong, or the role is missing."""
    given = credentials()
    if given is None:
        raise AccountError(f"须登录：请设置 {USER_ENV} 与 {PASSWORD_ENV}，或在终端运行以输入密码 (log in: set "
                           f"{USER_ENV} and {PASSWORD_ENV}, or run on a terminal to be asked)")
    accounts = Accounts(store)
    account = accounts.authenticate(*given)
    return accounts.require(account, role) if role else account


def login_for(store: Store, action: str) -> Account:
    """The logged-in account, allowed to perform ``action`` (bench.accounts.ACTION_ROLES: e.g.
    ``task.decide`` needs 检定员 or administrator); AccountError with one line otherwise."""
    return login(store, ACTION_ROLES[action])


class _NoName(argparse.Action):
    """``--by NAME`` / ``--operator NAME`` given to a command that now acts as the logged-in account:
    refused, saying how to log in."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        parser.error(f"{option_string} 已取消：以登录账户身份操作，设置 {USER_ENV} 与 {PASSWORD_ENV} 或在终端输入 "
                     f"({option_string} is gone: the command acts as the logged-in account; set {USER_ENV} and "
                     f"{PASSWORD_ENV}, or run on a terminal to be asked)")


def refuse_by(parser: argparse.ArgumentParser) -> None:
    """Give ``parser`` a hidden ``--by`` that refuses with one line naming how to log in (old scripts
    that still pass a free-text name get told why, not "unrecognized arguments")."""
    parser.add_argument("--by", action=_NoName, help=argparse.SUPPRESS)


def refuse_operator(parser: argparse.ArgumentParser) -> None:
    """The same for the old free-text ``--operator NAME`` (ledger import, oversight record, campaign
    done and summary)."""
    parser.add_argument("--operator", action=_NoName, help=argparse.SUPPRESS)


def login_if_accounts(store: Store, role: str) -> Account | None:
    """The logged-in account in a store with real accounts; None in a store without any (a fresh
    install or the demo's store), where the credentials are not asked for."""
    if not Accounts(store).real():
        return None
    return login(store, role)


def new_password() -> str:
    """A new password: ``JIANDING_NEW_PASSWORD``, else asked twice on a terminal."""
    if NEW_PASSWORD_ENV in os.environ:
        return os.environ[NEW_PASSWORD_ENV]
    if not _interactive():
        raise AccountError(f"须给出新密码：设置 {NEW_PASSWORD_ENV} 或在终端运行 (give the new password in "
                           f"{NEW_PASSWORD_ENV}, or run on a terminal)")
    first = getpass.getpass("新密码 (new password): ")
    if getpass.getpass("再输一次 (again): ") != first:
        raise AccountError("两次输入的密码不一致 (the passwords differ)")
    return first


def cmd_account(args: argparse.Namespace) -> int:
    """Add, list and administer accounts; refusals are one line, exit code 2."""
    store = _store(args)
    accounts = Accounts(store)
    if args.action == "list":
        for a in accounts.all():
            state = "停用 disabled" if a.disabled else "有效 active"
            print(f"{a.id:>3}  {a.name:<10} {a.roles_zh:<16} {state}" + ("  演示 (demo)" if a.demo else ""))
        return 0
    if args.action == "add":
        by = None if not accounts.real() else login(store, "administrator")
        account = accounts.add(args.name, args.roles, new_password(), by)
        print(f"已建账户 (account added) {account.name}：{account.roles_zh}"
              + ("（首个管理员 first administrator）" if by is None else ""))
        return 0
    by = login(store)
    if args.action == "passwd":
        account = accounts.set_password(args.name or by.name, new_password(), by)
        print(f"已修改密码 (password changed) {account.name}")
    elif args.action == "roles":
        account = accounts.set_roles(args.name, args.roles, by)
        print(f"已修改角色 (roles changed) {account.name}：{account.roles_zh}")
    else:
        account = accounts.disable(args.name, by, args.reason or "")
        print(f"已停用账户 (account disabled) {account.name}")
    return 0


def register(sub: Any) -> None:
    """Add the ``account`` sub-command to the ``jianding`` parser."""
    roles_help = "逗号分隔 (comma-separated): " + ", ".join(f"{k} {v}" for k, v in ROLES.items())
    a = sub.add_parser("account", help="账户与角色 (accounts and roles; administrator)")
    acts = a.add_subparsers(dest="action", required=True)
    ad = acts.add_parser("add", help="新建账户 (add an account; the first one must be an administrator)")
    ad.add_argument("name")
    ad.add_argument("--roles", required=True, help=roles_help)
    acts.add_parser("list", help="账户列表 (list accounts)")
    pw = acts.add_parser("passwd", help="修改密码 (change a password: your own, or as administrator)")
    pw.add_argument("name", nargs="?")
    ro = acts.add_parser("roles", help="修改角色 (change roles)")
    ro.add_argument("name")
    ro.add_argument("--roles", required=True, help=roles_help)
    di = acts.add_parser("disable", help="停用账户 (disable; accounts are never deleted)")
    di.add_argument("name")
    di.add_argument("--reason")
    a.set_defaults(func=cmd_account)
