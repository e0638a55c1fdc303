"""Every operator text a run sends carries its English (issue 14 line 6), headless: the fuel
dispenser demo (JJG 443, serial twin, an out-of-tolerance nozzle) run by the automatic operator,
every text field of every event read in English — step titles, progress, prompts, their options,
refusals, faults — holds no Chinese except the station's own data (excepted by value), and the
console form (what the CLI prints and the demo's answer table matches) is unchanged: Chinese first."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.cli import DEMO_FAIL, DEMO_STANDARDS, demo_entries
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from procedures.engine import Event, OperatorPrompt, Text
from tests.gui.conftest import fast_station, strings_in

pytestmark = pytest.mark.timeout(120)

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _texts(ev: Event) -> Iterator[Text]:
    """The operator texts of an event (its ``TEXTS`` fields)."""
    for name in ev.TEXTS:
        value = getattr(ev, name)
        yield from (value if isinstance(value, tuple) else (value,))


def test_every_text_of_a_fuel_run_has_its_english(tmp_path: Path) -> None:
    from datetime import date, timedelta

    ctl = Controller.open(tmp_path / "t.db", tmp_path / "out")
    today = date.today()
    for std in DEMO_STANDARDS.values():
        ctl.store.add_standard(**std, calibrated_on=today - timedelta(days=10), valid_until=today + timedelta(days=100))
    station = fast_station("fuel")
    data = sorted(set(strings_in(station.raw)), key=len, reverse=True)  # the station's own data, by value
    sub = ctl.bus.subscribe()
    run_id = ctl.prepare(RunRequest(station=station, regulation="jjg443", sim_overrides=DEMO_FAIL["fuel"]))
    summary = asyncio.run(ctl.execute(run_id, AutoOperator(demo_entries(ctl))))
    assert summary.status == "finished", summary.message
    events: list[Event] = []
    while (ev := sub.get(timeout=0.1)) is not None:
        events.append(ev)
    texts = [t for ev in events for t in _texts(ev)]
    assert len(texts) > 50 and all(isinstance(t, Text) for t in texts)
    left = []
    for t in texts:
        english = t.pick("en")
        for value in data:
            english = english.replace(value, "")
        if CJK.search(english):
            left.append((str(t), t.pick("en")))
    assert left == []
    # the console form is Chinese first, as the CLI printed it (and the demo's answers found their prompts)
    amounts = [ev.text for ev in events if isinstance(ev, OperatorPrompt) and ev.text.startswith("加油机显示金额 (")]
    assert amounts and all(t.en.startswith("displayed amount (") and "run" in t.en for t in amounts)
    assert json.loads(json.dumps(dataclasses.asdict(events[-1]), default=str))["status"] == "finished"
