"""Local accounts of the workstation: who may perform (检定员), check (核验员), approve and issue
(批准人), and administer accounts (管理员), each proving who they are with a password or PIN.

Why: JJF 1069 (法定计量检定机构考核规范) has the 检定员, 核验员 and 批准人 of a certificate be three
different, authorised people; a free-text name typed on a command line proves nothing. An account
is the person: its name is compared after Unicode NFKC with whitespace and case ignored
(bench.names.normalised: one person, one account), and a name with an invisible character (a
zero-width space, a bidi control, any Unicode ``Cf``/``Cc``…) is refused outright, so "张\u200b三"
can never be a second 张三.

Passwords are stored as scrypt hashes (``hashlib.scrypt``, RFC 7914: memory-hard, N=2^15, r=8,
p=1 — 32 MiB and about 0.1 s per try — with a 16-byte random salt). scrypt is in Python's standard
library (OpenSSL), so no new dependency enters the signing path; argon2 would need a C extension
for the same property.

Accounts live in the store as append-only, hash-chained events (:class:`~bench.store.models.AccountEvent`,
migration 0009): created, roles, password, disabled. An account's state is the fold of its events;
nothing is ever deleted, and every change is also written to the audit log in the same transaction.
The first real account is bootstrapped without a login and must be an administrator; after that only
an administrator changes accounts (everyone may change their own password).

Demo accounts (:func:`demo_signers`) let ``jianding demo`` sign in its own demo store without a
prompt: they are created only in a store with no real account, with the documented password
:data:`DEMO_PASSWORD`, and the first real account disables them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlmodel import select

from bench.names import invisible, normalised
from bench.store import Store
from bench.store.models import AccountEvent, AuditEntry

ROLES: dict[str, str] = {"verifier": "检定员", "checker": "核验员", "approver": "批准人", "administrator": "管理员"}
"""Role key → its Chinese name (JJF 1069's 检定员, 核验员, 批准人; and who administers accounts)."""

ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "task.decide": ("verifier", "administrator"),
    "outbox.retry": ("verifier", "approver", "administrator"),
    "rectification.open": ("checker", "approver", "administrator"),
    "rectification.rectify": ("verifier", "checker", "approver", "administrator"),
    "rectification.verify": ("checker", "approver"),
    "rectification.withdraw": ("approver", "administrator"),
    "ledger.import": ("verifier", "administrator"),
    "ledger.edit": ("verifier", "administrator"),
    "oversight.record": ("verifier", "checker", "approver", "administrator"),
    "campaign.done": ("approver", "administrator"),
    "campaign.draft": ("verifier", "checker", "approver", "administrator"),
}
"""Who may do what besides the certificate's own chain (检定 = verifier, 核验 = checker, 批准/签发/
更正/注销 = approver): action → the roles any one of which lets the logged-in account act.

- ``task.decide`` — 受理 / 不予受理 / 申请重新指派 a booking: the 检定员 who will verify it, or the
  office's administrator (the institution answers the booking; JJF 1069's 受理 is staff work).
- ``outbox.retry`` — put an upload the platform refused back in the queue, after fixing what it
  refused: the 检定员 (a result), the 批准人 (a certificate) or the administrator.
- ``rectification.open`` — 立项 (scan the overdue instruments, open an oversight event's item): the
  reviewing roles 核验员 / 批准人, who also issue the notices that open items, or the administrator.
- ``rectification.rectify`` — record the owner's 整改 report as received: any enabled account
  (the report is the owner's; the account is who entered it).
- ``rectification.verify`` — 核查 / 验证关闭 / 退回: a reviewing role only (核验员 or 批准人), never
  the account that recorded the report (bench.rectification).
- ``rectification.withdraw`` — 撤销 an item whose finding is void: the 批准人 (as for 注销 of a
  certificate) or the administrator.
- ``ledger.import`` / ``ledger.edit`` — enter or change instruments on the 台账 (a workbook, or 民用,
  备案, 投用日期 on the GUI's page): who keeps the ledger, the 检定员, or the administrator.
- ``oversight.record`` — 登记 an oversight event (a seal found broken, a violation): any enabled
  account (what was observed, recorded by who observed or received it).
- ``campaign.done`` — record a 专项 deadline done (the institution's report sent to the bureau): the
  批准人, who signs for the institution, or the administrator.
- ``campaign.draft`` — draft a 专项's written document: any enabled account (the 起草人).
"""

DEMO_PASSWORD = "jianding-demo"
"""The password of the demo accounts ``jianding demo`` creates in a store that has no real account
(documented in docs/accounts.md; the first real account disables them)."""

MIN_PASSWORD = 6
"""The shortest password or PIN accepted (a 6-digit PIN at least)."""

MAX_NAME = 32
"""The longest account name, in characters (after NFKC)."""

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
"""scrypt cost: 128·N·r bytes = 32 MiB of memory per hash (RFC 7914 §2's interactive-login range)."""

BAD_LOGIN = "用户名或密码错误 (wrong name or password)"


class AccountError(Exception):
    """An account rule was broken (unknown name, wrong password, disabled, missing role, …);
    ``str(e)`` is the one-line message, Chinese first."""


@dataclass(frozen=True)
class Account:
    """An account as its events leave it: number, name, roles, whether disabled or a demo account."""

    id: int
    name: str
    roles: frozenset[str]
    disabled: bool = False
    demo: bool = False
    password_hash: str = field(default="", repr=False, compare=False)

    def has(self, role: str) -> bool:
        """True when the account holds ``role`` and is not disabled."""
        return not self.disabled and role in self.roles

    @property
    def roles_zh(self) -> str:
        """The roles in Chinese, in the order of :data:`ROLES`."""
        return "、".join(ROLES[r] for r in ROLES if r in self.roles) or "—"


def clean_name(name: str) -> str:
    """The name an account is stored under: NFKC, outer whitespace trimmed; refused when empty,
    too long, or holding an invisible character (named by code point)."""
    hidden = invisible(name)
    if hidden:
        raise AccountError(f"姓名含不可见字符 {' '.join(hidden)}，不予接受 (the name contains invisible "
                           f"character(s) {' '.join(hidden)}; refused)")
    text = unicodedata.normalize("NFKC", name).strip()
    if not text:
        raise AccountError("姓名为空 (the name is empty)")
    if len(text) > MAX_NAME:
        raise AccountError(f"姓名过长：{len(text)} 字符，最多 {MAX_NAME} (the name is {len(text)} characters; at most {MAX_NAME})")
    return text


def parse_roles(roles: str | Iterable[str]) -> frozenset[str]:
    """Roles from a comma-separated text or a list, by key or Chinese name (检定员 = verifier)."""
    items = roles.replace("，", ",").split(",") if isinstance(roles, str) else list(roles)
    by_zh = {zh: key for key, zh in ROLES.items()}
    out = set()
    for item in (i.strip() for i in items):
        if not item:
            continue
        key = by_zh.get(item, item.lower())
        if key not in ROLES:
            raise AccountError(f"未知角色 {item!r} (unknown role; known: "
                               + ", ".join(f"{k} {v}" for k, v in ROLES.items()) + ")")
        out.add(key)
    if not out:
        raise AccountError("至少须有一个角色 (an account needs at least one role)")
    return frozenset(out)


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64) of a password of at least :data:`MIN_PASSWORD` characters."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位 (a password or PIN needs at least {MIN_PASSWORD} characters)")
    salt = os.urandom(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(("scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), base64.b64encode(salt).decode(),
                     base64.b64encode(digest).decode()))


def password_matches(password: str, stored: str) -> bool:
    """True when ``password`` gives the stored hash (compared in constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p), len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int = 32) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r, dklen=length)


class Accounts:
    """The accounts of a store: reading, logging in, and the administrator's changes."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- reading ----------------------------------------------------------------------------------
    def all(self) -> list[Account]:
        """Every account (disabled ones too), by number."""
        with self.store.session() as s:
            events = list(s.exec(select(AccountEvent).order_by(AccountEvent.id)))  # type: ignore[arg-type]
        accounts: dict[int, Account] = {}
        for e in events:
            a = accounts.get(e.account_id)
            if e.action == "created":
                accounts[e.account_id] = Account(e.account_id, e.name, frozenset(filter(None, e.roles.split(","))),
                                                 False, e.demo, e.password_hash)
            elif a is None:
                continue
            elif e.action == "roles":
                accounts[e.account_id] = Account(a.id, a.name, frozenset(filter(None, e.roles.split(","))), a.disabled,
                                                 a.demo, a.password_hash)
            elif e.action == "password":
                accounts[e.account_id] = Account(a.id, a.name, a.roles, a.disabled, a.demo, e.password_hash)
            elif e.action in ("disabled", "enabled"):
                accounts[e.account_id] = Account(a.id, a.name, a.roles, e.action == "disabled", a.demo, a.password_hash)
        return [accounts[k] for k in sorted(accounts)]

    def find(self, name: str) -> Account | None:
        """The account of the person ``name`` names (NFKC, whitespace and case ignored), or None."""
        key = normalised(name)
        return next((a for a in self.all() if normalised(a.name) == key), None)

    def get(self, name: str) -> Account:
        """The account ``name`` names; AccountError when there is none."""
        account = self.find(name)
        if account is None:
            raise AccountError(f"无此账户 (no account {name!r})")
        return account

    def real(self) -> list[Account]:
        """The accounts that are not demo accounts."""
        return [a for a in self.all() if not a.demo]

    # -- logging in -------------------------------------------------------------------------------
    def authenticate(self, name: str, password: str) -> Account:
        """The account whose name and password these are; refused (and the failure audited) for an
        unknown name or a wrong password alike, and for a disabled account."""
        if invisible(name):
            clean_name(name)  # raises, naming the characters
        account = self.find(name)
        if account is None or not password_matches(password, account.password_hash):
            self.store.audit(normalised(name)[:MAX_NAME] or "?", "account.login_failed", detail=BAD_LOGIN)
            raise AccountError(BAD_LOGIN)
        if account.disabled:
            self.store.audit(account.name, "account.login_failed", detail="账户已停用 (disabled)")
            raise AccountError(f"账户 {account.name} 已停用 (the account is disabled)")
        return account

    def require(self, account: Account, role: str | Iterable[str]) -> Account:
        """``account`` as the store holds it now, which must be enabled and hold ``role`` (or, given
        several, any one of them); roles taken away or an account disabled since the login count at once."""
        wanted = (role,) if isinstance(role, str) else tuple(role)
        now = next((a for a in self.all() if a.id == account.id), None)
        if now is None or normalised(now.name) != normalised(account.name):
            raise AccountError(f"无此账户 (no account {account.name!r})")
        if now.disabled:
            raise AccountError(f"账户 {now.name} 已停用 (the account is disabled)")
        if not any(r in now.roles for r in wanted):
            held = f"the role {wanted[0]}" if len(wanted) == 1 else f"any of the roles {', '.join(wanted)}"
            raise AccountError(f"{now.name} 无{'或'.join(ROLES[r] for r in wanted)}权限 ({now.name} does not hold "
                               f"{held}; roles: {now.roles_zh})")
        return now

    def require_for(self, account: Account | None, action: str) -> Account:
        """``account`` allowed to perform ``action`` (:data:`ACTION_ROLES`); refused with one line
        when nobody is logged in, or the account lacks every role the action admits."""
        if account is None:
            raise AccountError("须登录 (log in first)")
        return self.require(account, ACTION_ROLES[action])

    # -- administering ----------------------------------------------------------------------------
    def add(self, name: str, roles: str | Iterable[str], password: str, by: Account | None, *,
            demo: bool = False) -> Account:
        """Create an account. Without ``by`` only the first real account (which must hold
        administrator; it disables the demo accounts) or a demo account in a store without real
        accounts; otherwise ``by`` must be an administrator."""
        clean, wanted = clean_name(name), parse_roles(roles)
        if self.find(clean) is not None:
            raise AccountError(f"账户 {clean} 已存在（姓名按 NFKC 比较）(an account for {clean} exists; names are "
                               "compared after NFKC)")
        real = self.real()
        if by is None:
            if real:
                raise AccountError("须以管理员身份登录 (log in as an administrator to add accounts)")
            if not demo and "administrator" not in wanted:
                raise AccountError("第一个账户须为管理员 (the first account must hold the role administrator)")
            actor = "demo" if demo else "bootstrap"
        else:
            if demo:
                raise AccountError("演示账户只由演示创建 (demo accounts are made by the demo only)")
            actor = self.require(by, "administrator").name
        events: list[AccountEvent] = []
        account_id = max((a.id for a in self.all()), default=0) + 1
        events.append(AccountEvent(account_id=account_id, action="created", name=clean, name_key=normalised(clean),
                                   roles=",".join(sorted(wanted)), password_hash=hash_password(password), demo=demo,
                                   actor=actor))
        if not demo and not real:  # the first real account ends the demo
            events += [AccountEvent(account_id=a.id, action="disabled", actor=actor,
                                    detail="首个正式账户建立，演示账户停用 (first real account: demo accounts disabled)")
                       for a in self.all() if a.demo and not a.disabled]
        self._write(events, actor, f"{clean}：{'、'.join(ROLES[r] for r in ROLES if r in wanted)}"
                    + ("（演示 demo）" if demo else ""))
        return self.get(clean)

    def set_password(self, name: str, password: str, by: Account) -> Account:
        """A new password: by the account itself or an administrator."""
        account = self.get(name)
        actor = self._changer(account, by, own=True)
        self._write([AccountEvent(account_id=account.id, action="password", password_hash=hash_password(password),
                                  actor=actor)], actor, f"{account.name}：修改密码 (password changed)")
        return self.get(name)

    def set_roles(self, name: str, roles: str | Iterable[str], by: Account) -> Account:
        """New roles (administrator only; the last administrator keeps administrator)."""
        account, wanted = self.get(name), parse_roles(roles)
        actor = self._changer(account, by)
        if "administrator" in account.roles and "administrator" not in wanted:
            self._keep_an_administrator(account)
        self._write([AccountEvent(account_id=account.id, action="roles", roles=",".join(sorted(wanted)), actor=actor)],
                    actor, f"{account.name}：{'、'.join(ROLES[r] for r in ROLES if r in wanted)}")
        return self.get(name)

    def disable(self, name: str, by: Account, reason: str = "") -> Account:
        """Disable an account (administrator only; never the last administrator). Accounts are never
        deleted: their sign-offs keep naming them."""
        account = self.get(name)
        actor = self._changer(account, by)
        if account.disabled:
            raise AccountError(f"账户 {account.name} 已停用 (already disabled)")
        if "administrator" in account.roles:
            self._keep_an_administrator(account)
        self._write([AccountEvent(account_id=account.id, action="disabled", actor=actor, detail=reason)],
                    actor, f"{account.name}：停用 (disabled)" + (f"；{reason}" if reason else ""))
        return self.get(name)

    def _changer(self, account: Account, by: Account, *, own: bool = False) -> str:
        if own and by.id == account.id:
            self.require(by, next(iter(by.roles)) if by.roles else "administrator")
            return by.name
        return self.require(by, "administrator").name

    def _keep_an_administrator(self, account: Account) -> None:
        if not any(a.has("administrator") for a in self.real() if a.id != account.id):
            raise AccountError("不能去掉最后一个管理员 (the last administrator must stay one)")

    def _write(self, events: list[AccountEvent], actor: str, detail: str) -> None:
        """The events and their audit entry, in one transaction."""
        with self.store.transaction() as tx:
            for i, e in enumerate(events):
                tx.add(e, AuditEntry(actor=actor, action=f"account.{e.action}",
                                     detail=detail if i == 0 else f"#{e.account_id}：{e.detail}"))


def demo_account(store: Store, name: str, role: str | Iterable[str]) -> Account:
    """The demo account of ``name`` logged in with :data:`DEMO_PASSWORD`, created (holding ``role``,
    one or several) when missing. Refused in a store that has a real account: the demo never signs as anyone there
    (use a demo database, ``--db``)."""
    accounts = Accounts(store)
    if accounts.real():
        raise AccountError("此数据库已有正式账户，演示不在其中签署 (this store has real accounts: the demo does not "
                           "sign in it; use a separate demo database with --db)")
    roles = [role] if isinstance(role, str) else list(role)
    if not name:
        raise AccountError(f"站点 [people] 未填 {'、'.join(ROLES[r] for r in roles)} (the station names no {roles[0]})")
    if accounts.find(name) is None:
        accounts.add(name, roles, DEMO_PASSWORD, None, demo=True)
    return accounts.authenticate(name, DEMO_PASSWORD)


def demo_signers(store: Store, people: Mapping[str, str]) -> dict[str, Account]:
    """The demo's accounts for the station's ``[people]`` (verifier, checker, approver), role →
    account (:func:`demo_account`)."""
    return {role: demo_account(store, people.get(role, ""), role) for role in ("verifier", "checker", "approver")}
