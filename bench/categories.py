"""The instrument kinds this workstation verifies — the ``[[categories]]`` of ``ledger_schema.toml``:
each with its regulation, data table, accuracy classes and the other names files use for it. Read by
the ledger (Excel template and import), the verification standing (which table's [period] rules an
instrument falls under) and the oversight reports."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Category:
    """An instrument kind this workstation verifies, its regulation and accuracy classes."""

    name: str
    regulation: str
    table: str
    classes: tuple[str, ...]
    aliases: tuple[str, ...] = ()


CATEGORIES: dict[str, Category] = {
    c["name"]: Category(name=c["name"], regulation=c["regulation"], table=c["table"], classes=tuple(c["classes"]),
                        aliases=tuple(c.get("aliases", ())))
    for c in tomllib.loads(Path(__file__).with_name("ledger_schema.toml").read_text("utf-8"))["categories"]}
"""Category name → :class:`Category`, in the schema's order."""


def canonical_category(name: str) -> str:
    """The ledger category a name stands for (its own name or an alias in ledger_schema.toml)."""
    if name in CATEGORIES:
        return name
    for cat in CATEGORIES.values():
        if name in cat.aliases:
            return cat.name
    return name
