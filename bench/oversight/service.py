"""Which ledger instruments are in service (在用) on a day, from the ledger alone.

The bureaus' tables count instruments *in use* (在用计量器具数量, 在用加油机), not the rows of the lab's
ledger: a household meter first verified and still in stock is not in use, nor one a newer meter has
replaced at its place. The rule is data (``[in_service]`` in ``bench/oversight_rules.toml``):

- **installed**: the ledger's 投用日期 (``commissioned_on``) on or before the day. An instrument without
  one counts as in use when ``[in_service] undated`` says so for its kind — a dispenser or charger on
  the ledger is in use unless a later date says otherwise; a household meter without a date is not
  known to be installed (first-verified meters wait in stock) [I];
- **not replaced**: a household meter (``household`` true) is replaced (轮换/更换) on the day a later
  household meter of the same category is put into service at the same user unit and location
  (``[in_service] successor_by`` fields) — one meter per household point [I]. Dispensers and chargers
  are never replaced by location (a station holds many).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bench.categories import canonical_category
from bench.oversight.rules import RULES
from bench.store.models import Instrument


def _undated_in_use(inst: Instrument) -> bool:
    """Whether an instrument without a commissioning date counts as installed ([in_service] undated)."""
    rule = RULES["in_service"]["undated"]
    return bool(rule["household"] if inst.household else rule["other"])


@dataclass(frozen=True)
class ServiceLedger:
    """The ledger read for service: each instrument's installation and, for household meters, the
    day a successor replaced it (by id)."""

    replaced_on: dict[int, date]

    @classmethod
    def of(cls, instruments: Iterable[Instrument]) -> ServiceLedger:
        """Find each household meter's successor: the next household meter of its category commissioned
        later at the same place (``[in_service] successor_by``: user unit and location; a place
        without a location is never matched)."""
        fields = tuple(RULES["in_service"]["successor_by"])
        places: dict[tuple[str, ...], list[Instrument]] = defaultdict(list)
        for inst in instruments:
            if inst.household and inst.commissioned_on is not None and inst.location.strip():
                place = (canonical_category(inst.category), *(str(getattr(inst, f)).strip() for f in fields))
                places[place].append(inst)
        out: dict[int, date] = {}
        for members in places.values():
            days = sorted({m.commissioned_on for m in members if m.commissioned_on})
            for m in members:
                later = next((d for d in days if m.commissioned_on and d > m.commissioned_on), None)
                if later is not None:
                    out[m.id or 0] = later
        return cls(out)

    def installed(self, inst: Instrument, day: date) -> bool:
        """Put into service on or before ``day`` (an undated one by the ``[in_service] undated`` rule)."""
        if inst.commissioned_on is None:
            return _undated_in_use(inst)
        return inst.commissioned_on <= day

    def replaced(self, inst: Instrument, day: date) -> bool:
        """A successor was put into service at its place on or before ``day``."""
        when = self.replaced_on.get(inst.id or 0)
        return when is not None and when <= day

    def in_service(self, inst: Instrument, day: date) -> bool:
        """在用 on ``day``: installed and not replaced."""
        return self.installed(inst, day) and not self.replaced(inst, day)
