"""Oversight events: the counts the bureaus ask for that no run of this workstation can know
(complaints received, violations found, cases filed, inspections of producers …), entered with
``jianding oversight record``. Append-only and hash-chained in the store (``oversightevent``); a
correction is a new event with a negative count."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from bench.categories import canonical_category
from bench.oversight.rules import EVENT_KINDS, division_matches
from bench.store import Store
from bench.store.models import OversightEvent

STATION_SEP = "／"
"""Between user unit and location in an event's ``client`` when it names one of a unit's stations."""


def station_key(client: str, location: str) -> str:
    """The ``client`` an oversight event carries to name the station ``client`` + ``location``."""
    return f"{client}{STATION_SEP}{location}"


def event_matches(ev: OversightEvent, names: Iterable[str], division: str | None, client: str | None) -> bool:
    """True when an event is of one of the categories ``names`` (its own name or the canonical
    ledger category) and lies in ``division`` / belongs to ``client`` when given (an event without a
    division is left out by a division filter)."""
    wanted = set(names)
    if canonical_category(ev.category) not in wanted and ev.category not in wanted:
        return False
    if division and not (ev.division_code and division_matches(ev.division_code, division)):
        return False
    return not client or ev.client == client


def record_event(store: Store, kind: str, category: str, count: int, occurred_on: date, *, note: str = "",
                 division_code: str = "", client: str = "", actor: str = "operator") -> OversightEvent:
    """Append an oversight event of a known kind (oversight_rules.toml [event_kinds])."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"未知事件类型 (unknown event kind) {kind!r}; known: {', '.join(sorted(EVENT_KINDS))}")
    if count == 0:
        raise ValueError("数量不能为 0 (count must not be 0; a correction is a negative count)")
    return store.add_oversight_event(OversightEvent(kind=kind, category=category, count=count,
                                                    occurred_on=occurred_on, division_code=division_code,
                                                    client=client, note=note, actor=actor))
