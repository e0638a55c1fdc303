"""The demo's simulated standards and 计量标准装置 (``stations/demo_standards.toml``), entered on the
standards ledger when a demo station names them and they are missing (`jianding demo`, `gui --sim`),
so that a demo run passes the same "usable today" checks as a real one."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.store import Store

_DATA: dict[str, Any] = tomllib.loads((Path(__file__).parent / "stations" / "demo_standards.toml").read_text("utf-8"))
DEMO_STANDARDS: dict[str, dict[str, Any]] = {s["serial"]: s for s in _DATA["standard"]}
"""The demo's standards, serial → the fields of ``Store.add_standard`` (without dates)."""
DEMO_SETUPS: tuple[dict[str, Any], ...] = tuple(_DATA.get("setup", ()))
"""The demo's 计量标准装置, each with the serials of its main instruments (``standards``)."""


def demo_setup_of(serial: str) -> dict[str, Any] | None:
    """The demo 装置 whose main instruments include ``serial``, None when none does."""
    return next((s for s in DEMO_SETUPS if serial in s["standards"]), None)


def seed_demo_standards(store: Store, serials: Iterable[str], today: date | None = None) -> list[str]:
    """Enter each demo standard of ``serials`` missing from ``store`` (calibrated 30 days ago, valid
    335 more days) and its 装置 when missing (certificate valid three more years); the serials
    entered. A serial that is no demo standard is left alone (the run's check then names it)."""
    today = today or date.today()
    entered: list[str] = []
    for serial in serials:
        if store.standard(serial) is not None or serial not in DEMO_STANDARDS:
            continue
        setup = demo_setup_of(serial)
        if setup is not None and store.setup(setup["certificate_no"]) is None:
            store.add_setup(**{k: v for k, v in setup.items() if k != "standards"},
                            valid_until=today + timedelta(days=3 * 365))
        store.add_standard(**DEMO_STANDARDS[serial], calibrated_on=today - timedelta(days=30),
                           valid_until=today + timedelta(days=335),
                           setup=setup["certificate_no"] if setup else None)
        entered.append(serial)
    return entered
