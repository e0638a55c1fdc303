"""Rectification (整改): a finding opens an item with its owner (使用单位) and deadline; the owner
reports the rectification with evidence; the bureau or the institution verifies it and closes it (or
sends it back). The notices ask exactly this — operators and utilities "自行开展整改，整改结果及时提交
各区监管部门" (武汉 2020 §二(三) 2), bureaus "督促整改落实" by a date (乌审旗 2024 §五(三)).

Status: ``open`` → ``rectified`` (the owner's report: evidence text, a file or document reference, by
whom, on which day) → ``closed`` (verified by the bureau or institution, by whom); a verifier may
``reject`` a rectification (back to ``open``), an item may be ``withdrawn`` (its finding void, e.g.
the notice revoked). ``overdue`` is derived, never stored: open after its deadline, as of a date.
Rules: only the owner reports a rectification; the party that verifies is never the owner, and the
person who verifies is never the person who reported it; nothing is closed before it is rectified,
nor twice. An instrument with no 使用单位 on the ledger still gets its item (owner :data:`NO_OWNER`,
so an issue or a scan is never blocked): the unit that first reports the rectification is its owner.

Storage: every step is a :class:`~bench.store.models.RectificationEvent` row — append-only and
hash-chained like the oversight events (``jianding audit verify``) — written in ONE transaction with
its platform upload (an outbox row, ``sync.schemas.RectificationUpload``, idempotency key
``rectification:<item>:<step>``). The item's status is derived from its steps.

Numbers: ``ZG-`` + the first 8 hex digits of SHA-256 over the finding's key (``document:<notice no>``,
``overdue:<instrument id>:<due>``, ``event:<oversight event id>``): one finding, one number, known
before the row is written (its upload is built in the same transaction), and the same on every
workstation of the institution. Where findings come from (which open automatically, which by hand)
and the deadlines per kind are data: ``rectification_rules.toml``;
bench/rectification_documents.py opens the items of failed documents as they are issued;
bench/rectification_report.py scans overdue instruments, opens items from oversight events, lists
and counts.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, select

from bench.names import same_name
from bench.store import Store
from bench.store.models import RectificationEvent, utcnow
from sync.schemas import RECTIFICATION_STATUS_AFTER, RectificationUpload, error_items, rectification_key

RULES: dict[str, Any] = tomllib.loads(Path(__file__).with_name("rectification_rules.toml").read_text("utf-8"))
"""The rules as data (``rectification_rules.toml``)."""

STATUS_ZH: dict[str, str] = {"open": "待整改", "overdue": "逾期未整改", "rectified": "已整改待核查",
                             "closed": "已验证关闭", "withdrawn": "已撤销"}
STATUS_EN: dict[str, str] = {"open": "open", "overdue": "overdue", "rectified": "rectified, awaiting verification",
                             "closed": "verified closed", "withdrawn": "withdrawn"}
"""Every status of an item (``overdue`` derived), Chinese and English, in the order lists show them."""

NO_OWNER = "（使用单位未登记）"
"""The owner of an item whose instrument has no 使用单位 on the ledger (a notice issued, a scan): the
first unit to report its rectification is then taken as the owner (recorded on that step)."""

ACTION_ZH: dict[str, str] = {"opened": "立项", "rectified": "报告整改", "rejected": "核查退回", "closed": "验证关闭",
                             "withdrawn": "撤销"}


class RectificationError(ValueError):
    """A step the rules refuse (wrong status, wrong party, missing evidence …): the message says why,
    Chinese first."""


# -- deadlines -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Calendar:
    """Which days are working days: Monday–Friday, less the listed holidays, plus the listed
    working weekends (调休); ``roll``: a calendar-day deadline on a day off moves to the next
    working day (民法典 §203 [M])."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    roll: bool = True

    @classmethod
    def from_rules(cls, section: dict[str, Any]) -> Calendar:
        """The calendar of a ``[counting]`` section."""
        def days(key: str) -> frozenset[date]:
            return frozenset(d if isinstance(d, date) else date.fromisoformat(str(d)) for d in section.get(key, []))

        return cls(days("holidays"), days("workdays"), bool(section.get("roll_to_working_day", True)))

    def working(self, day: date) -> bool:
        """True for a working day."""
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself not counted, 民法典 §201)."""
        day, left = start, n
        while left > 0:
            day += timedelta(days=1)
            left -= self.working(day)
        return day

    def add_days(self, start: date, n: int) -> date:
        """``start`` + n days (``start`` not counted), moved to the next working day when it falls on a
        day off and ``roll`` is set."""
        day = start + timedelta(days=n)
        while self.roll and not self.working(day):
            day += timedelta(days=1)
        return day


CALENDAR = Calendar.from_rules(RULES.get("counting", {}))


@dataclass(frozen=True)
class FindingKind:
    """A kind of finding (``[kinds.<key>]``): its names, where its items come from, its deadline."""

    key: str
    zh: str
    en: str
    source: str  # document | scan | event
    days: int
    count: str  # calendar | working
    owner_action: str
    basis: str
    match: str = ""  # source document: notice | inspection; scan: the overdue status; event: the event kind

    def deadline(self, opened_on: date, calendar: Calendar = CALENDAR) -> date:
        """The last day in time for an item of this kind opened on ``opened_on``."""
        if self.count == "working":
            return calendar.add_working_days(opened_on, self.days)
        return calendar.add_days(opened_on, self.days)

    @property
    def rule(self) -> str:
        """The deadline rule in words, with its basis."""
        unit = "个工作日 (working days)" if self.count == "working" else "日 (days)"
        return f"{self.days} {unit}；{self.basis}"


def _kinds(rules: dict[str, Any]) -> dict[str, FindingKind]:
    out: dict[str, FindingKind] = {}
    for key, k in rules["kinds"].items():
        if k.get("count", "calendar") not in ("calendar", "working") or k["source"] not in ("document", "scan", "event"):
            raise ValueError(f"rectification_rules.toml [kinds.{key}]: count / source 取值无效 (invalid count or source)")
        match = str(k.get({"document": "document", "scan": "status", "event": "event"}[k["source"]], ""))
        out[key] = FindingKind(key, k["zh"], k["en"], k["source"], int(k["days"]), k.get("count", "calendar"),
                               k.get("owner_action", ""), k.get("basis", ""), match)
    return out


KINDS: dict[str, FindingKind] = _kinds(RULES)
"""Finding kinds by key, in the order of the rules file."""


def kind_for(source: str, match: str) -> FindingKind | None:
    """The kind whose items come from ``source`` matching ``match`` (a document kind, an overdue
    status, an event kind); None when no kind opens items for it."""
    return next((k for k in KINDS.values() if k.source == source and k.match == match), None)


def item_no(finding_key: str) -> str:
    """The item number of a finding: ``ZG-`` + 8 upper-case hex of SHA-256 over its key."""
    return "ZG-" + hashlib.sha256(finding_key.encode("utf-8")).hexdigest()[:8].upper()


# -- items ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """What a finding opens an item with: its kind and stable key, the finding in words, the
    instrument and the owner who must rectify."""

    kind: str
    key: str
    text: str
    owner: str
    instrument_id: int | None = None
    serial: str = ""
    category: str = ""
    division_code: str = ""
    location: str = ""


@dataclass(frozen=True)
class Item:
    """A rectification item: its opening and every step, in the order recorded."""

    steps: tuple[RectificationEvent, ...]

    @property
    def opened(self) -> RectificationEvent:
        """The opening step (the finding, owner, deadline)."""
        return self.steps[0]

    @property
    def no(self) -> str:
        """The item number."""
        return self.opened.item_no

    @property
    def owner(self) -> str:
        """Who must rectify: the 使用单位 of the finding — or, when the ledger named none
        (:data:`NO_OWNER`), the unit that first reported the rectification."""
        if self.opened.owner != NO_OWNER:
            return self.opened.owner
        first = self.first_rectified
        return first.party if first is not None else NO_OWNER

    @property
    def kind(self) -> FindingKind | None:
        """The finding's kind (None for a kind no longer in the rules)."""
        return KINDS.get(self.opened.finding_kind)

    @property
    def kind_zh(self) -> str:
        """The finding's kind in Chinese."""
        return self.kind.zh if self.kind else self.opened.finding_kind

    @property
    def deadline(self) -> date:
        """整改期限: the last day in time."""
        return self.opened.deadline or self.opened.acted_on

    def steps_on(self, as_of: date | None) -> tuple[RectificationEvent, ...]:
        """The steps taken up to ``as_of`` (all when None)."""
        return self.steps if as_of is None else tuple(e for e in self.steps if e.acted_on <= as_of)

    @property
    def status(self) -> str:
        """open, rectified, closed or withdrawn: the status after the last step."""
        return RECTIFICATION_STATUS_AFTER[self.steps[-1].action]

    def status_on(self, as_of: date) -> str | None:
        """The status as of a date (``overdue``: open after the deadline); None before it was opened."""
        steps = self.steps_on(as_of)
        if not steps:
            return None
        status = RECTIFICATION_STATUS_AFTER[steps[-1].action]
        return "overdue" if status == "open" and as_of > self.deadline else status

    def overdue(self, as_of: date) -> bool:
        """True when open after its deadline as of ``as_of``."""
        return self.status_on(as_of) == "overdue"

    def last(self, action: str) -> RectificationEvent | None:
        """The latest step of an action (None when none)."""
        return next((e for e in reversed(self.steps) if e.action == action), None)

    @property
    def first_rectified(self) -> RectificationEvent | None:
        """The owner's first report of rectification (None when none)."""
        return next((e for e in self.steps if e.action == "rectified"), None)

    @property
    def rectified_late(self) -> bool:
        """True when the first rectification came after the deadline (逾期整改)."""
        first = self.first_rectified
        return first is not None and first.acted_on > self.deadline


def _group(rows: Iterable[RectificationEvent]) -> list[Item]:
    by_no: dict[str, list[RectificationEvent]] = {}
    for r in rows:
        by_no.setdefault(r.item_no, []).append(r)
    return [Item(tuple(steps)) for steps in by_no.values() if steps[0].action == "opened"]


def _rows(s: Session, nos: Sequence[str] | None = None) -> list[RectificationEvent]:
    q = select(RectificationEvent).order_by(RectificationEvent.seq)  # type: ignore[arg-type]
    if nos is not None:
        q = q.where(RectificationEvent.item_no.in_(list(nos)))  # type: ignore[attr-defined]
    return list(s.exec(q))


def all_items(store: Store) -> list[Item]:
    """Every item, in the order opened."""
    with store.session() as s:
        return _group(_rows(s))


def _find(s: Session, no: str) -> Item:
    """An item by number (a unique prefix, with or without ``ZG-``, any case)."""
    want = no.strip().upper()
    want = want if want.startswith("ZG-") else f"ZG-{want}"
    opened = list(s.exec(select(RectificationEvent.item_no).where(
        RectificationEvent.action == "opened", RectificationEvent.item_no.startswith(want))))  # type: ignore[attr-defined]
    if len(opened) != 1:
        raise LookupError(f"无此整改项 (no rectification item {no})" if not opened else
                          f"整改项编号 {no} 不唯一 (ambiguous item number: {', '.join(sorted(opened))})")
    return _group(_rows(s, opened))[0]


def get_item(store: Store, no: str) -> Item:
    """One item by number (unique prefix accepted); LookupError naming it otherwise."""
    with store.session() as s:
        return _find(s, no)


def known_keys(store: Store, keys: Iterable[str]) -> set[str]:
    """Those of ``keys`` that already opened an item."""
    wanted = list(dict.fromkeys(keys))
    with store.session() as s:
        q = select(RectificationEvent.finding_key).where(RectificationEvent.action == "opened",
                                                         RectificationEvent.finding_key.in_(wanted))  # type: ignore[attr-defined]
        return set(s.exec(q))


# -- the platform upload of a step --------------------------------------------------------------------------
def upload_payload(opened: RectificationEvent, step: RectificationEvent, seq: int) -> dict[str, Any]:
    """The platform upload (``RectificationUpload``, sync/API.md §5.8) of step ``seq`` of an item,
    validated by the contract's own model (an upload the platform would refuse is never queued)."""
    change = {"seq": seq, "action": step.action, "status": RECTIFICATION_STATUS_AFTER[step.action],
              "on": step.acted_on, "at": step.created_at, "actor": step.actor, "party": step.party,
              "evidence": step.evidence, "evidence_file": step.evidence_file,
              "evidence_sha256": step.evidence_sha256, "note": step.note}
    try:
        upload = RectificationUpload(
            item_no=opened.item_no, finding_kind=opened.finding_kind, finding=opened.finding, user_unit=opened.owner,
            instrument_serial=opened.serial, category=opened.category, division_code=opened.division_code,
            location=opened.location, opened_on=opened.acted_on, deadline=opened.deadline or opened.acted_on,
            change=change)  # type: ignore[arg-type]
    except ValidationError as e:
        problems = "；".join(f"{i.field}: {i.message}" for i in error_items(e))
        raise RectificationError(f"整改项 {opened.item_no} 无法上传，未记录 (the step would not upload, nothing "
                                 f"recorded): {problems}") from None
    return upload.model_dump(mode="json")


def step_rows(opened: RectificationEvent, step: RectificationEvent, seq: int) -> list[Any]:
    """The rows of one step: the step and its upload's outbox row (to be written together)."""
    return [step, Store.outbox_row("rectification", rectification_key(opened.item_no, seq),
                                   upload_payload(opened, step, seq), step.created_at)]


# -- opening --------------------------------------------------------------------------------------------------
def opening(finding: Finding, *, on: date, by: str, party: str = "", deadline: date | None = None,
            at: datetime | None = None) -> RectificationEvent:
    """The opening step of a finding: the deadline from its kind's rule (or ``deadline``, a campaign's
    date, when given)."""
    kind = KINDS.get(finding.kind)
    if kind is None:
        raise RectificationError(f"未知的问题类别 (unknown finding kind {finding.kind!r}); known: {', '.join(KINDS)}")
    if not by.strip():
        raise RectificationError("须填写立项人 (the person opening the item must be named)")
    if deadline is not None and deadline < on:
        raise RectificationError(f"整改期限 {deadline} 早于立项日期 {on} (deadline before the opening)")
    rule = f"指定期限 (set date) {deadline}" if deadline is not None else kind.rule
    return RectificationEvent(
        item_no=item_no(finding.key), action="opened", finding_kind=kind.key, finding_key=finding.key,
        finding=finding.text, instrument_id=finding.instrument_id, serial=finding.serial, category=finding.category,
        owner=finding.owner.strip() or NO_OWNER, division_code=finding.division_code, location=finding.location,
        deadline=deadline or kind.deadline(on), deadline_rule=rule, acted_on=on, actor=by.strip(), party=party.strip(),
        note=kind.owner_action, created_at=at or utcnow())


def open_findings(store: Store, findings: Sequence[Finding], *, on: date, by: str, party: str = "",
                  deadline: date | None = None) -> list[Item]:
    """Open an item for each finding not opened before, in ONE transaction (all or none); the items
    opened now."""
    known = known_keys(store, (f.key for f in findings))
    fresh = list({f.key: f for f in findings if f.key not in known}.values())
    openings = [opening(f, on=on, by=by, party=party, deadline=deadline) for f in fresh]
    with store.transaction() as tx:
        for ev in openings:
            tx.add(*step_rows(ev, ev, 1))
    return [Item((ev,)) for ev in openings]


# -- the steps after -----------------------------------------------------------------------------------------
def evidence_reference(file: str) -> tuple[str, str]:
    """A rectification's file: (absolute path, SHA-256) of a file on disk — so a file changed later
    is noticed — else (the reference as given, ""): a paper report's number, a platform link."""
    path = Path(file).expanduser()
    if file and path.is_file():
        return str(path.resolve()), hashlib.sha256(path.read_bytes()).hexdigest()
    return file.strip(), ""


def evidence_intact(step: RectificationEvent) -> bool | None:
    """Whether a rectification's file still has the content it had when reported (None: no file
    fingerprint to compare, or the file is not on this machine)."""
    if not step.evidence_sha256 or not Path(step.evidence_file).is_file():
        return None
    return hashlib.sha256(Path(step.evidence_file).read_bytes()).hexdigest() == step.evidence_sha256


def _step(store: Store, no: str, make: Callable[[Item], RectificationEvent]) -> Item:
    """Check and write one step of item ``no`` inside the writer's transaction (the item re-read
    there), with its upload."""
    with store.transaction() as tx:
        item = _find(tx.session, no)
        step = make(item)
        if step.acted_on < item.opened.acted_on:
            raise RectificationError(f"日期 {step.acted_on} 早于立项日期 {item.opened.acted_on} (dated before the opening)")
        if step.acted_on < item.steps[-1].acted_on:
            raise RectificationError(f"日期 {step.acted_on} 早于上一步的日期 {item.steps[-1].acted_on} (dated before the "
                                     "previous step)")
        if step.acted_on > date.today():
            raise RectificationError(f"日期 {step.acted_on} 晚于今天 (dated in the future)")
        tx.add(*step_rows(item.opened, step, len(item.steps) + 1))
    return Item((*item.steps, step))


def _expect(item: Item, allowed: Sequence[str], what: str) -> None:
    if item.status in allowed:
        return
    why = {"open": "尚未报告整改 (not rectified yet)", "rectified": "已报告整改，待核查 (rectified, awaiting verification)",
           "closed": "已验证关闭 (already verified and closed)", "withdrawn": "已撤销 (withdrawn)"}[item.status]
    raise RectificationError(f"整改项 {item.no} {why}，不能{what}")


def rectify(store: Store, no: str, *, unit: str, by: str, evidence: str, file: str = "",
            on: date | None = None) -> Item:
    """报告整改: the owner (``unit``, which must be the item's 使用单位) reports what was done, by
    whom (``by``), with a file or document reference; an open item only (overdue ones too: the
    rectification is then late)."""
    ref, digest = evidence_reference(file)

    def make(item: Item) -> RectificationEvent:
        _expect(item, ("open",), "报告整改 (report a rectification)")
        owner = item.owner
        if owner != NO_OWNER and not same_name(unit, owner):
            raise RectificationError(f"整改须由使用单位“{owner}”报告，“{unit}”不是本项的责任单位 "
                                     f"(only the owner {owner} reports the rectification of {item.no})")
        if not unit.strip() or not by.strip() or not evidence.strip():
            raise RectificationError("须填写使用单位、整改情况和报告人 (the unit, the evidence and the person reporting "
                                     "are required)")
        return RectificationEvent(item_no=item.no, action="rectified", acted_on=on or date.today(), actor=by.strip(),
                                  party=unit.strip() if owner == NO_OWNER else owner, evidence=evidence.strip(),
                                  evidence_file=ref, evidence_sha256=digest)

    return _step(store, no, make)


def verify(store: Store, no: str, *, party: str, by: str, accept: bool = True, note: str = "",
           on: date | None = None) -> Item:
    """核查: the bureau or institution (``party``, never the owner) checks the rectification as
    ``by`` (never the person who reported it): accepted, the item is verified closed (验证关闭);
    refused (``accept`` false, with the reason in ``note``), it is open again (整改不到位)."""
    what = "验证关闭 (close)" if accept else "退回 (reject)"

    def make(item: Item) -> RectificationEvent:
        _expect(item, ("rectified",), what)
        if not party.strip() or not by.strip():
            raise RectificationError("须填写核查单位和核查人 (the verifying bureau or institution and the person are required)")
        reported, owner = item.last("rectified"), item.owner
        if same_name(party, owner):
            raise RectificationError(f"使用单位“{owner}”不能核查自己的整改 (the owner cannot verify its own "
                                     "rectification: the bureau or the institution does)")
        if reported is not None and same_name(by, reported.actor):
            raise RectificationError(f"{by} 报告了本项整改，不能兼任核查人 (the person who reported the rectification "
                                     "cannot verify it)")
        if not accept and not note.strip():
            raise RectificationError("退回须说明整改不到位之处 (a rejection needs the reason)")
        return RectificationEvent(item_no=item.no, action="closed" if accept else "rejected", acted_on=on or date.today(),
                                  actor=by.strip(), party=party.strip(), note=note.strip())

    return _step(store, no, make)


def withdraw(store: Store, no: str, *, by: str, reason: str, party: str = "", on: date | None = None) -> Item:
    """撤销: the finding is void (its notice revoked, recorded in error); an open or rectified item
    only, with the reason."""
    def make(item: Item) -> RectificationEvent:
        _expect(item, ("open", "rectified"), "撤销 (withdraw)")
        if not by.strip() or not reason.strip():
            raise RectificationError("撤销须填写操作人和理由 (a withdrawal needs the person and the reason)")
        return RectificationEvent(item_no=item.no, action="withdrawn", acted_on=on or date.today(), actor=by.strip(),
                                  party=party.strip(), note=reason.strip())

    return _step(store, no, make)
