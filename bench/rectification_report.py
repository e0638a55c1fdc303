"""Rectification items (bench/rectification.py) from the oversight side: the findings the overdue
report and the recorded oversight events give, the items listed with filters, their counts for
other reports, and the rectification table.

- :func:`scan` — the one way overdue instruments open items: each instrument that
  :func:`bench.oversight.overdue` finds 应检未检, 超期未检 or 到期未轮换 (the statuses the rules'
  ``source = "scan"`` kinds name) as of a date opens its item, once per finding (an instrument
  overdue again after a later verification is a new finding). Failed verifications and failed
  in-service inspections open theirs when their document is issued, never here.
- :func:`open_from_event` — an oversight event recorded with ``jianding oversight record`` (a
  violation, broken seals, meters sampled non-conforming …) opens its item by hand.
- :func:`select_items` — items with their status as of a date, filtered by status, owner,
  division, kind, overdue.
- :func:`rectification_counts` — the counts a report or a 工作总结 (督促整改落实情况) quotes.
- :func:`rectification_table` — the table as a document (PDF and Excel by ``reports.rectification``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bench.categories import canonical_category
from bench.names import same_name
from bench.oversight import EVENT_KINDS, STATION_SEP, division_matches, overdue
from bench.rectification import (
    ACTION_ZH,
    KINDS,
    STATUS_EN,
    STATUS_ZH,
    Finding,
    Item,
    RectificationError,
    all_items,
    item_no,
    kind_for,
    known_keys,
    open_findings,
)
from bench.store import Store
from bench.store.models import OversightEvent
from reports.oversight import OversightDocument
from reports.rectification import RectificationLine, rectification_document


# -- findings ------------------------------------------------------------------------------------------------
def overdue_findings(store: Store, as_of: date, *, kinds: Iterable[str] | None = None, division: str | None = None,
                     client: str | None = None) -> list[Finding]:
    """The findings of the overdue report as of ``as_of``: one per instrument whose status a
    ``scan`` kind names (of ``kinds`` only when given). Its key names the instrument and the due
    date it missed, so the same lapse is one finding however often it is scanned."""
    wanted = set(kinds) if kinds else None
    out: list[Finding] = []
    for row in overdue(store, as_of, division=division, client=client).rows:
        kind = kind_for("scan", row.status)
        if kind is None or (wanted is not None and kind.key not in wanted):
            continue
        inst = row.instrument
        what = f"{inst.category} {inst.model} {inst.serial}"
        if row.due is None:
            key, text = f"{kind.key}:{inst.id}", f"{what} {kind.zh}：台账中无检定记录 (no verification on record)"
        else:
            last = f"，最近检定 {row.last_verified}" if row.last_verified else ""
            key, text = f"{kind.key}:{inst.id}:{row.due}", f"{what} {kind.zh}：{row.due_kind}至 {row.due}{last}"
        out.append(Finding(kind.key, key, text, inst.client, inst.id, inst.serial, inst.category, inst.division_code,
                           inst.location))
    return out


def scan(store: Store, as_of: date, *, by: str, party: str = "", deadline: date | None = None,
         kinds: Iterable[str] | None = None, division: str | None = None, client: str | None = None) -> list[Item]:
    """Open the items of the overdue instruments as of ``as_of`` not opened before (one
    transaction); the items opened now. ``deadline``: a campaign's date for all of them."""
    if as_of > date.today():
        raise RectificationError(f"不能按未来日期 {as_of} 立项 (a scan as of a future date opens nothing)")
    unknown = set(kinds or ()) - {k.key for k in KINDS.values() if k.source == "scan"}
    if unknown:
        raise RectificationError(f"不是超期类问题 (not scan kinds): {', '.join(sorted(unknown))}")
    return open_findings(store, overdue_findings(store, as_of, kinds=kinds, division=division, client=client),
                         on=as_of, by=by, party=party, deadline=deadline)


def event_finding(store: Store, event_id: int, owner: str | None = None) -> Finding:
    """The finding of a recorded oversight event (its kind must open items: ``source = "event"``);
    the owner is the event's user unit (a station's unit, its location kept), else ``owner``."""
    with store.session() as s:
        ev = s.get(OversightEvent, event_id)
    if ev is None:
        raise LookupError(f"无此监督事件 (no oversight event #{event_id})")
    kind = kind_for("event", ev.kind)
    if kind is None:
        opens = ", ".join(k.match for k in KINDS.values() if k.source == "event")
        raise RectificationError(f"事件类型 {ev.kind} 不立整改项 (an event of this kind opens no item; kinds that do: {opens})")
    unit, _, location = ev.client.partition(STATION_SEP)
    if not (owner or unit).strip():
        raise RectificationError(f"监督事件 #{event_id} 未写明使用单位：请用 --owner 指明责任单位 (the event names no user "
                                 "unit: give the owner)")
    zh = EVENT_KINDS.get(ev.kind, (ev.kind, ev.kind))[0]
    text = f"{zh} {ev.category} × {ev.count}（{ev.occurred_on}）" + (f"：{ev.note}" if ev.note else "")
    return Finding(kind.key, f"event:{ev.id}", text, owner or unit, None, "", ev.category, ev.division_code, location)


def open_from_event(store: Store, event_id: int, *, by: str, on: date | None = None, party: str = "",
                    deadline: date | None = None, owner: str | None = None) -> Item:
    """Open the item of oversight event ``event_id`` (refused when it opened one already)."""
    finding = event_finding(store, event_id, owner)
    if known_keys(store, [finding.key]):
        raise RectificationError(f"监督事件 #{event_id} 已立整改项 {item_no(finding.key)} (already opened)")
    on = on or date.today()
    if on > date.today():
        raise RectificationError(f"立项日期 {on} 晚于今天 (dated in the future)")
    return open_findings(store, [finding], on=on, by=by, party=party, deadline=deadline)[0]


# -- lists and counts ------------------------------------------------------------------------------------------
def select_items(store: Store, as_of: date, *, status: str | None = None, overdue_only: bool = False,
                 owner: str | None = None, division: str | None = None, kind: str | None = None,
                 start: date | None = None, categories: Collection[str] | None = None) -> list[tuple[Item, str]]:
    """Items opened up to ``as_of`` (from ``start`` when given; of an instrument or event of one of
    ``categories`` when given, names as the ledger's or their aliases) with their status as of then —
    ``status`` filters on open / rectified / closed / withdrawn (an overdue item is open),
    ``overdue_only`` keeps the overdue ones; worst first (overdue, open, rectified, closed,
    withdrawn), then by deadline and number."""
    order = list(STATUS_ZH)
    wanted = None if categories is None else {canonical_category(c) for c in categories}
    out: list[tuple[Item, str]] = []
    for item in all_items(store):
        now = item.status_on(as_of)
        o = item.opened
        if now is None or (start is not None and o.acted_on < start):
            continue
        if status is not None and ("open" if now == "overdue" else now) != status:
            continue
        if (overdue_only and now != "overdue") or (kind is not None and o.finding_kind != kind):
            continue
        if (owner and not same_name(owner, o.owner)) or not division_matches(o.division_code, division):
            continue
        if wanted is not None and canonical_category(o.category) not in wanted:
            continue
        out.append((item, now))
    out.sort(key=lambda p: (order.index(p[1]), p[0].deadline, p[0].no))
    return out


@dataclass(frozen=True)
class RectificationCounts:
    """What a report says of rectification over a period: items opened (per kind), their status at
    the end of it, rectified in time or late, and the share verified closed."""

    start: date | None
    end: date
    opened: int
    by_kind: dict[str, int] = field(default_factory=dict)  # kind (Chinese) → items opened
    by_status: dict[str, int] = field(default_factory=dict)  # status at the end → items (every status, 0 when none)
    rectified_in_time: int = 0  # first reported by the deadline
    rectified_late: int = 0

    @property
    def closed_rate(self) -> float | None:
        """验证关闭率: closed ÷ (opened − withdrawn); None when nothing is left to close."""
        base = self.opened - self.by_status.get("withdrawn", 0)
        return self.by_status.get("closed", 0) / base if base else None

    def lines(self) -> tuple[str, ...]:
        """The counts in words, Chinese first (a report's summary, a 工作总结's paragraph)."""
        period = f"{self.start} 至 {self.end}" if self.start else f"截至 {self.end}"
        kinds = "，".join(f"{k} {n}" for k, n in self.by_kind.items()) or "无"
        states = "，".join(f"{STATUS_ZH[s]} {n}" for s, n in self.by_status.items())
        rate = f"{self.closed_rate:.1%}" if self.closed_rate is not None else "—"
        return (f"{period} 立项整改 {self.opened} 项（{kinds}）(items opened)",
                f"截至 {self.end}：{states} (status at the end)",
                f"按期整改 {self.rectified_in_time} 项，逾期整改 {self.rectified_late} 项；验证关闭率 {rate} "
                f"(rectified in time, late; share verified closed)")


def rectification_counts(store: Store, end: date, *, start: date | None = None, division: str | None = None,
                         owner: str | None = None, categories: Collection[str] | None = None) -> RectificationCounts:
    """The counts of the items opened from ``start`` (all when None) to ``end`` (of ``categories``
    when given), their status as of ``end``: the one function other reports (the 工作总结's
    督促整改落实情况) take them from."""
    chosen = select_items(store, end, owner=owner, division=division, start=start, categories=categories)
    states = Counter(now for _, now in chosen)
    reported = [(it, next((e for e in it.steps_on(end) if e.action == "rectified"), None)) for it, _ in chosen]
    late = sum(1 for it, first in reported if first is not None and first.acted_on > it.deadline)
    in_time = sum(1 for _, first in reported if first is not None) - late
    return RectificationCounts(start, end, len(chosen), dict(Counter(it.kind_zh for it, _ in chosen)),
                               {s: states[s] for s in STATUS_ZH}, in_time, late)


# -- the table -----------------------------------------------------------------------------------------------
def describe(item: Item, status: str) -> RectificationLine:
    """One item as the table prints it (its status as given: as of the table's date)."""
    o = item.opened
    rect = item.last("rectified")
    check = next((e for e in reversed(item.steps) if e.action in ("closed", "rejected", "withdrawn")), None)
    evidence = ""
    if rect is not None:
        evidence = f"{rect.evidence}；报告人 {rect.actor}" + (f"；文件 {Path(rect.evidence_file).name or rect.evidence_file}"
                                                          if rect.evidence_file else "")
        evidence += "（逾期整改）" if item.rectified_late else ""
    verified = ""
    if check is not None:
        verified = f"{check.acted_on} {check.party} {check.actor} {ACTION_ZH[check.action]}".replace("  ", " ")
        verified += f"：{check.note}" if check.note else ""
    return RectificationLine(o.item_no, item.kind_zh, o.finding, f"{o.category} {o.serial}".strip(), o.owner,
                             o.division_code, o.acted_on, item.deadline, f"{STATUS_ZH[status]}",
                             rect.acted_on if rect else None, evidence, verified)


def rectification_table(store: Store, as_of: date, *, institution: str = "", start: date | None = None,
                        status: str | None = None, overdue_only: bool = False, owner: str | None = None,
                        division: str | None = None, kind: str | None = None) -> OversightDocument:
    """The rectification table as of ``as_of`` (items opened from ``start`` when given), filtered
    as :func:`select_items`, with the counts of the same scope as its summary."""
    chosen = select_items(store, as_of, status=status, overdue_only=overdue_only, owner=owner, division=division,
                          kind=kind, start=start)
    counts = rectification_counts(store, as_of, start=start, division=division, owner=owner)
    filters: list[tuple[str, str]] = [(k, v) for k, v in (
        ("状态 (status)", f"{STATUS_ZH[status]} ({STATUS_EN[status]})" if status else ""),
        ("逾期 (overdue)", "仅逾期未整改 (overdue only)" if overdue_only else ""),
        ("使用单位 (owner)", owner or ""), ("行政区划 (division)", division or ""),
        ("问题类别 (kind)", KINDS[kind].zh if kind in KINDS else kind or "")) if v]
    notes = tuple(f"{k.zh}：{k.rule}" for k in KINDS.values())
    return rectification_document([describe(it, now) for it, now in chosen], counts.lines(), institution=institution,
                                  as_of=as_of, period=f"{start} 至 {as_of}" if start else "", filters=filters,
                                  notes=notes)

