"""The bureaus' campaigns (专项工作) as data and their calendar: what is due, done and late.

A campaign is one TOML file (``bench/campaigns/*.toml``, transcribed from the notice with its source
lines; a bureau's own variant is a file given by path): its name, issuing bureau, period, the ledger
categories it covers, its phases, the reports and forms it asks for, and its **milestones** — a
deadline (自查情况和台账 by 7/1, the 工作总结 by 10/20) or a deadline on given days of every month
between two dates (工作进展情况 on the 14th and 28th). A milestone that asks for a written document
lists the document's sections (the summary's 基本情况、工作成效、存在问题、…), which
``bench/campaign_summary.py`` drafts.

**Done is recorded, never guessed.** A milestone occurrence is done when someone records it — its
report sent, its work finished (``jianding oversight campaign done``, the GUI's 标记完成): an
append-only, hash-chained :class:`~bench.store.models.OversightEvent` of kind :data:`DONE_EVENT` (a
withdrawal is the same event with count −1, as every correction of an oversight event is). Drafting a document
(``jianding oversight summary --campaign``) records :data:`DRAFTED`: shown beside the milestone, but a
draft is not a submission. The events carry the campaign's key in ``category`` and the occurrence's
key (``summary``, ``progress@2024-06-28``) in ``client``; no other report counts these kinds.

Deadlines [I]: "X日前上报" is read as on or before X (a report sent on X is on time, late from the day
after); days of the month past a short month's end fall on its last day; weekends move nothing.
"""

from __future__ import annotations

import calendar as _months
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from bench.categories import canonical_category
from bench.store import Store
from bench.store.models import OversightEvent

DONE_EVENT = "campaign_done"
"""Oversight event kind: a milestone occurrence was done — its report sent (count −1 withdraws it)."""
DRAFTED = "campaign_drafted"
"""Oversight event kind: a milestone's document was drafted by ``jianding oversight summary``."""
CAMPAIGN_EVENT_KINDS: dict[str, tuple[str, str]] = {
    DONE_EVENT: ("专项工作事项已完成", "campaign milestone done"),
    DRAFTED: ("专项工作材料已起草", "campaign document drafted"),
}
"""The campaign calendar's own event kinds → (Chinese, English); not kinds of ``oversight record``."""

# -- statuses of a deadline ------------------------------------------------------------------------------
LATE = "逾期未完成"
DUE = "待完成"
DONE_LATE = "逾期完成"
DONE = "已完成"
STATUS_EN: dict[str, str] = {LATE: "late", DUE: "due", DONE_LATE: "done late", DONE: "done"}
"""Every status of a deadline, Chinese → English."""

REPORTS: dict[str, str] = {
    "ledger": "jianding ledger export --out 台账.xlsx",
    "three-meters": "jianding oversight three-meters --from {start} --to {end} --xlsx 三表统计表.xlsx",
    "fuel-stations": "jianding oversight fuel-stations --from {start} --to {end} --xlsx 加油站统计表.xlsx",
    "summary": "jianding oversight summary --campaign {campaign} --milestone {milestone} --out {name}.docx",
}
"""The ``jianding`` command that gives a form, by the form's ``report`` key (``{start}``, ``{end}``,
``{campaign}``, ``{milestone}`` and ``{name}`` filled in)."""


class CampaignError(ValueError):
    """A campaign file that cannot be read, or a milestone that does not exist; the message names it."""


@dataclass(frozen=True)
class Section:
    """A section of a document a milestone asks for: a key naming the figures it gets
    (bench/campaign_summary.py), its title in the notice's words and a hint of what to write."""

    key: str
    title: str
    hint: str = ""


@dataclass(frozen=True)
class Form:
    """A report or form the notice asks for (附件1 台账, the 三表 table, the summary …) and the
    ``jianding`` report that gives it (:data:`REPORTS`; "" when the workstation gives none)."""

    key: str
    name: str
    attachment: str = ""
    report: str = ""
    source: str = ""


@dataclass(frozen=True)
class Phase:
    """A phase of the campaign (自查自纠阶段 …) with its dates."""

    name: str
    start: date
    end: date
    source: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class Milestone:
    """Something the campaign asks for by a date: once (``due``) or on given ``days`` of each month
    from ``start`` to ``until``; the forms it sends; the document and its sections when it asks for a
    written one (a summary, a progress report)."""

    key: str
    name: str
    name_en: str = ""
    due: date | None = None
    days: tuple[int, ...] = ()
    start: date | None = None
    until: date | None = None
    forms: tuple[str, ...] = ()
    document: str = ""
    sections: tuple[Section, ...] = ()
    source: str = ""

    @property
    def recurring(self) -> bool:
        """True for a milestone on given days of each month."""
        return bool(self.days)

    def occurrences(self) -> tuple[date, ...]:
        """Its deadlines, oldest first: the one ``due`` date, or each of ``days`` (a day past a
        month's end on its last day) of every month with ``start <= day <= until``."""
        if not self.recurring:
            return (self.due,) if self.due else ()
        assert self.start is not None and self.until is not None
        out: list[date] = []
        y, m = self.start.year, self.start.month
        while (y, m) <= (self.until.year, self.until.month):
            last = _months.monthrange(y, m)[1]
            for d in sorted({min(day, last) for day in self.days}):
                day = date(y, m, d)
                if self.start <= day <= self.until:
                    out.append(day)
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return tuple(out)

    def occurrence_key(self, due: date) -> str:
        """The key one deadline is recorded under: the milestone's key, with ``@date`` when recurring."""
        return f"{self.key}@{due.isoformat()}" if self.recurring else self.key


@dataclass(frozen=True)
class Campaign:
    """One campaign of a bureau, as its notice sets it out (see the module docstring)."""

    key: str
    name: str
    bureau: str
    issued_on: date
    start: date
    end: date
    categories: tuple[str, ...]
    milestones: tuple[Milestone, ...]
    name_en: str = ""
    document_no: str = ""
    event_categories: tuple[str, ...] = ()
    recipient: str = ""
    notice: str = ""
    targets: str = ""
    source: str = ""
    phases: tuple[Phase, ...] = ()
    forms: tuple[Form, ...] = ()
    path: Path | None = None

    def milestone(self, key: str) -> Milestone:
        """The milestone ``key`` (CampaignError naming the ones there are)."""
        for m in self.milestones:
            if m.key == key:
                return m
        raise CampaignError(f"专项 {self.key} 无事项 {key!r} (no such milestone); "
                            f"有 (known): {', '.join(m.key for m in self.milestones)}")

    def form(self, key: str) -> Form:
        """The form ``key`` (a milestone names only forms of its campaign: checked on loading)."""
        return next(f for f in self.forms if f.key == key)

    def phase_on(self, day: date) -> Phase | None:
        """The phase ``day`` falls in (the later one on a day two phases share), None outside them."""
        inside = [p for p in self.phases if p.start <= day <= p.end]
        return inside[-1] if inside else None

    def event_names(self) -> set[str]:
        """The category names its oversight events may carry: its categories and their aliases'
        canonical names, and its ``event_categories`` (加油站 …)."""
        return set(self.categories) | set(self.event_categories)


# -- loading ---------------------------------------------------------------------------------------------
def _date(raw: dict[str, Any], key: str, where: str) -> date:
    value = raw.get(key)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CampaignError(f"{where}: {key} 须为日期 YYYY-MM-DD (must be a date), 得到 (got) {value!r}")


def _text(raw: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise CampaignError(f"{where}: 缺少 {key} (missing or not text)")
    return value


def _milestone(raw: dict[str, Any], where: str, forms: set[str]) -> Milestone:
    key = _text(raw, "key", where)
    where = f"{where} [[milestones]] {key}"
    due = _date(raw, "due", where) if "due" in raw else None
    days = tuple(int(d) for d in raw.get("days", ()))
    if (due is None) == (not days):
        raise CampaignError(f"{where}: 须有 due 或 days 之一 (give either due or days)")
    if any(not 1 <= d <= 31 for d in days):
        raise CampaignError(f"{where}: days 须在 1–31 (days of the month)")
    start = _date(raw, "from", where) if days else None
    until = _date(raw, "until", where) if days else None
    if start and until and start > until:
        raise CampaignError(f"{where}: from 晚于 until (from is after until)")
    unknown = [f for f in raw.get("forms", ()) if f not in forms]
    if unknown:
        raise CampaignError(f"{where}: 未定义的报表 (forms not in [[forms]]): {', '.join(unknown)}")
    sections = tuple(Section(_text(s, "key", where), _text(s, "title", where), str(s.get("hint", "")))
                     for s in raw.get("sections", ()))
    return Milestone(key, _text(raw, "name", where), str(raw.get("name_en", "")), due, days, start, until,
                     tuple(raw.get("forms", ())), str(raw.get("document", "")), sections, str(raw.get("source", "")))


def load_campaign(path: Path | str) -> Campaign:
    """Read and check a campaign file (its key is the file's stem); CampaignError names what is wrong."""
    path = Path(path)
    where = path.name
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise CampaignError(f"{where}: 无法读取专项文件 (cannot read the campaign file): {e}") from e
    forms = tuple(Form(_text(f, "key", where), _text(f, "name", where), str(f.get("attachment", "")),
                       str(f.get("report", "")), str(f.get("source", ""))) for f in raw.get("forms", ()))
    bad = [f.report for f in forms if f.report and f.report not in REPORTS]
    if bad:
        raise CampaignError(f"{where}: 未知报表 (unknown report) {', '.join(bad)}; 可用 (known): {', '.join(REPORTS)}")
    milestones = tuple(_milestone(m, where, {f.key for f in forms}) for m in raw.get("milestones", ()))
    if not milestones:
        raise CampaignError(f"{where}: 无 [[milestones]] (a campaign needs at least one milestone)")
    if len({m.key for m in milestones}) != len(milestones):
        raise CampaignError(f"{where}: 事项 key 重复 (milestone keys must be unique)")
    start, end = _date(raw, "start", where), _date(raw, "end", where)
    if start > end:
        raise CampaignError(f"{where}: start 晚于 end (start is after end)")
    phases = tuple(Phase(_text(p, "name", where), _date(p, "start", where), _date(p, "end", where),
                         str(p.get("source", "")), str(p.get("name_en", ""))) for p in raw.get("phases", ()))
    categories = tuple(canonical_category(str(c)) for c in raw.get("categories", ()))
    if not categories:
        raise CampaignError(f"{where}: 缺少 categories (the ledger categories the campaign covers)")
    return Campaign(
        key=path.stem, name=_text(raw, "name", where), bureau=_text(raw, "bureau", where),
        issued_on=_date(raw, "issued_on", where), start=start, end=end, categories=categories,
        milestones=milestones, name_en=str(raw.get("name_en", "")), document_no=str(raw.get("document_no", "")),
        event_categories=tuple(str(c) for c in raw.get("event_categories", ())),
        recipient=str(raw.get("recipient", "")), notice=str(raw.get("notice", "")),
        targets=str(raw.get("targets", "")), source=str(raw.get("source", "")), phases=phases, forms=forms, path=path)


def shipped_paths() -> dict[str, Path]:
    """The campaign files shipped in ``bench/campaigns/``, by key (the file's stem), sorted."""
    folder = Path(str(resources.files("bench.campaigns")))
    return {p.stem: p for p in sorted(folder.glob("*.toml"))}


def campaigns() -> list[Campaign]:
    """Every shipped campaign, by key."""
    return [load_campaign(p) for p in shipped_paths().values()]


def find_campaign(name: str) -> Campaign:
    """A shipped campaign by key, or a campaign file by path (a bureau's own variant)."""
    paths = shipped_paths()
    if name in paths:
        return load_campaign(paths[name])
    if name.endswith(".toml") and Path(name).is_file():
        return load_campaign(name)
    raise CampaignError(f"无此专项 (no campaign) {name!r}; 可用 (shipped): {', '.join(paths)} — 或给出 .toml 文件路径 (or a file path)")


# -- the calendar ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deadline:
    """One deadline of a milestone and where it stands on the calendar's day."""

    milestone: Milestone
    due: date
    key: str
    status: str
    days_left: int  # due − as-of (negative when past)
    done_on: date | None = None
    drafted_on: date | None = None
    note: str = ""  # what the record of sending (or else of drafting) said
    actor: str = ""

    @property
    def open(self) -> bool:
        """True while it is not done (待完成 or 逾期未完成)."""
        return self.status in (DUE, LATE)


@dataclass(frozen=True)
class Calendar:
    """A campaign's deadlines on a day (``as_of``), oldest first."""

    campaign: Campaign
    as_of: date
    deadlines: tuple[Deadline, ...]

    @property
    def next(self) -> Deadline | None:
        """The next deadline: the earliest one still to send, due today or later."""
        return next((d for d in self.deadlines if d.status == DUE), None)

    def of_status(self, status: str) -> tuple[Deadline, ...]:
        """The deadlines of one status, oldest first."""
        return tuple(d for d in self.deadlines if d.status == status)

    def ordered(self) -> tuple[Deadline, ...]:
        """The next deadline first, then the late ones, the others still due, and those done."""
        nxt = self.next
        head = (nxt,) if nxt else ()
        rest = [d for d in self.deadlines if d is not nxt]
        rank = {LATE: 0, DUE: 1, DONE_LATE: 2, DONE: 2}
        return head + tuple(sorted(rest, key=lambda d: (rank[d.status], d.due)))

    def counts(self) -> dict[str, int]:
        """Deadlines per status (every status, zero included), in :data:`STATUS_EN` order."""
        return {s: len(self.of_status(s)) for s in STATUS_EN}

    @property
    def phase(self) -> Phase | None:
        """The phase the calendar's day falls in."""
        return self.campaign.phase_on(self.as_of)


@dataclass(frozen=True)
class _Record:
    net: int = 0
    on: date | None = None
    note: str = ""
    actor: str = ""


def campaign_events(store: Store, campaign: Campaign, as_of: date | None = None) -> list[OversightEvent]:
    """The campaign's own events (done, drafted) up to ``as_of``, oldest first."""
    return [e for e in store.oversight_events(end=as_of)
            if e.kind in CAMPAIGN_EVENT_KINDS and e.category == campaign.key]


def _records(events: list[OversightEvent], kind: str) -> dict[str, _Record]:
    """Per occurrence key: the net count of ``kind`` events and the last event that left it above 0."""
    out: dict[str, _Record] = defaultdict(_Record)
    for e in events:
        if e.kind != kind:
            continue
        r = out[e.client]
        net = r.net + e.count
        out[e.client] = _Record(net, e.occurred_on, e.note, e.actor) if e.count > 0 else (
            _Record(net, r.on, r.note, r.actor) if net > 0 else _Record(net))
    return out


def calendar(store: Store, campaign: Campaign, as_of: date) -> Calendar:
    """Every deadline of ``campaign`` as it stands on ``as_of``: 已完成 / 逾期完成 when it is recorded
    done on or before ``as_of`` (on time when done on or before its due date), else 逾期未完成 after
    its due date and 待完成 up to it (the due date itself is not late)."""
    events = campaign_events(store, campaign, as_of)
    finished, drafted = _records(events, DONE_EVENT), _records(events, DRAFTED)
    out: list[Deadline] = []
    for m in campaign.milestones:
        for due in m.occurrences():
            key = m.occurrence_key(due)
            f, d = finished.get(key, _Record()), drafted.get(key, _Record())
            if f.net > 0 and f.on is not None:
                status = DONE if f.on <= due else DONE_LATE
                rec: _Record | None = f
            else:
                status = LATE if as_of > due else DUE
                rec = d if d.net > 0 else None
            out.append(Deadline(m, due, key, status, (due - as_of).days, f.on if f.net > 0 else None,
                                d.on if d.net > 0 else None, rec.note if rec else "", rec.actor if rec else ""))
    out.sort(key=lambda d: (d.due, d.key))
    return Calendar(campaign, as_of, tuple(out))


def resolve(cal: Calendar, ref: str, due: date | None = None) -> Deadline:
    """The deadline ``ref`` names: an occurrence key (``progress@2024-06-28``), or a milestone key —
    with ``due`` its occurrence on that date, else for a recurring milestone its oldest deadline
    not done (the oldest late one, or the next one due)."""
    key, _, on = ref.partition("@")
    m = cal.campaign.milestone(key)
    if on:
        try:
            due = date.fromisoformat(on)
        except ValueError as e:
            raise CampaignError(f"{ref}: @ 后须为日期 YYYY-MM-DD (a date after @)") from e
    mine = [d for d in cal.deadlines if d.milestone.key == m.key]
    if due is not None:
        hit = next((d for d in mine if d.due == due), None)
        if hit is None:
            raise CampaignError(f"事项 {m.key} 无 {due} 的截止日 (no deadline on that day); "
                                f"有 (deadlines): {', '.join(d.due.isoformat() for d in mine)}")
        return hit
    if not m.recurring:
        return mine[0]
    pending = [d for d in mine if d.open]
    if not pending:
        raise CampaignError(f"事项 {m.key} 的每一期均已完成 (every deadline of {m.key} is already done); 用 --due 指定一期 (name one with --due)")
    return pending[0]


def mark_done(store: Store, campaign: Campaign, ref: str, on: date, *, due: date | None = None, note: str = "",
              actor: str = "operator", withdraw: bool = False) -> Deadline:
    """Record that the deadline ``ref`` (see :func:`resolve`) was done on ``on`` — its report sent —
    or with ``withdraw`` that such a record was wrong (count −1, ``note`` says why): an
    append-only, chained oversight event. Returns the deadline as it stands afterwards, on ``on``.
    Refuses a second record of the same deadline, and a withdrawal of nothing."""
    everything = calendar(store, campaign, date.max)  # every record, whatever its date, for the checks
    if withdraw and due is None and "@" not in ref:  # by milestone key: its latest deadline done
        m = campaign.milestone(ref)
        closed = [d for d in everything.deadlines if d.milestone.key == m.key and not d.open]
        if not closed:
            raise CampaignError(f"事项 {m.key} 无完成记录可撤销 (nothing recorded as done to withdraw)")
        before = max(closed, key=lambda d: (d.done_on or d.due, d.due))
    else:
        before = resolve(everything, ref, due)
    if withdraw and before.open:
        raise CampaignError(f"{before.key} 尚无完成记录，无可撤销 (nothing recorded as done to withdraw)")
    if withdraw and not note:
        raise CampaignError("撤销须说明原因 (--note: why the record is withdrawn)")
    if not withdraw and not before.open:
        raise CampaignError(f"{before.key} 已于 {before.done_on} 记为完成 (already recorded as done)")
    store.add_oversight_event(OversightEvent(kind=DONE_EVENT, category=campaign.key, count=-1 if withdraw else 1,
                                             occurred_on=on, client=before.key, note=note, actor=actor))
    return next(d for d in calendar(store, campaign, on).deadlines if d.key == before.key)


def mark_drafted(store: Store, campaign: Campaign, deadline: Deadline, on: date, *, note: str = "",
                 actor: str = "operator") -> None:
    """Record that the document of ``deadline`` was drafted on ``on`` (``note``: where it was written)."""
    store.add_oversight_event(OversightEvent(kind=DRAFTED, category=campaign.key, count=1, occurred_on=on,
                                             client=deadline.key, note=note, actor=actor))


def form_command(campaign: Campaign, milestone: Milestone, form: Form, start: date, end: date) -> str:
    """The ``jianding`` command that gives ``form`` for ``milestone`` ("" when none does)."""
    if not form.report:
        return ""
    return REPORTS[form.report].format(start=start.isoformat(), end=end.isoformat(), campaign=campaign.key,
                                       milestone=milestone.key, name=form.name)
