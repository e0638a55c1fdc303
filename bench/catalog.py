"""What a run may be asked for: the regulations, and for each its editions and verification types
as its data table lists them (``[editions.<ed>]`` with their ``code``, ``[verification_types]`` with
``[Chinese, English]`` names, ``[regulation] default_edition``).

Why here: the CLI's options and the GUI's run form offer the same choices, and the GUI may not
import procedures.regulations (DESIGN.md, import contract); one function reads the tables for both,
so a new edition or type in a table appears everywhere without a code change.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from procedures.regulations import REGISTRY
from procedures.regulations.tables import load_table


@dataclass(frozen=True)
class Choice:
    """One choice: its key (what RunRequest takes) and its names in Chinese and English."""

    key: str
    zh: str
    en: str

    def label(self, english: bool = False) -> str:
        """The name to show (Chinese first; English when the interface is English)."""
        return self.en if english else self.zh


@dataclass(frozen=True)
class RegulationChoices:
    """A regulation's editions (newest first, as its table lists them), its verification types and
    the edition a run gets when none is named."""

    regulation: str
    editions: tuple[Choice, ...]
    types: tuple[Choice, ...]
    default_edition: str


def regulations() -> list[str]:
    """The regulation keys a run may name (jjg1148, jjg443, …), sorted."""
    return sorted(REGISTRY)


def regulation_choices(regulation: str) -> RegulationChoices:
    """The editions and verification types of ``regulation``'s data table; KeyError for an unknown
    regulation (with the known ones named)."""
    if regulation not in REGISTRY:
        raise KeyError(f"未知规程 (unknown regulation) {regulation!r}; known: {regulations()}")
    table = load_table(REGISTRY[regulation][1].TABLE)
    editions = tuple(Choice(str(key), str(ed.get("code", key)), str(ed.get("code", key)))
                     for key, ed in table["editions"].items())
    types = tuple(Choice(str(key), str(names[0]), str(names[1] if len(names) > 1 else names[0]))
                  for key, names in table["verification_types"].items())
    return RegulationChoices(regulation, editions, types, str(table["regulation"]["default_edition"]))


def verification_type_keys() -> list[str]:
    """Every verification type any regulation offers (first, subsequent, in_use, …), in table order;
    the procedure refuses a type its own table lacks."""
    keys: list[str] = []
    for regulation in regulations():
        keys += [c.key for c in regulation_choices(regulation).types if c.key not in keys]
    return keys


def editions_help() -> str:
    """The editions of every regulation in one line, for the CLI's ``--edition`` help
    ("jjg443: 2023|2015|2006; …"), the default first."""
    parts = []
    for regulation in regulations():
        rc = regulation_choices(regulation)
        keys = [rc.default_edition, *(c.key for c in rc.editions if c.key != rc.default_edition)]
        parts.append(f"{regulation} {'|'.join(keys)}")
    return "; ".join(parts)


# -- why a run is made (bench/purposes.toml) ------------------------------------------------------------
def _purposes() -> dict[str, Any]:
    return tomllib.loads(resources.files("bench").joinpath("purposes.toml").read_text("utf-8"))


def purpose_choices() -> tuple[Choice, ...]:
    """The purposes a run may name (首次检定, 周期检定, 监督抽查, 投诉举报, 仲裁检定, 委托检定), as the
    data file lists them: what the bureaus' tables count verifications by."""
    return tuple(Choice(str(k), str(v["zh"]), str(v["en"])) for k, v in _purposes()["purposes"].items())


def default_purpose(verification_type: str) -> str:
    """The purpose of a run that names none, by its verification type (data ``[defaults]``)."""
    return str(_purposes()["defaults"].get(verification_type, "periodic"))


def purpose_zh(key: str) -> str:
    """The Chinese name of a purpose key ("" for none; the key itself when unknown)."""
    return next((c.zh for c in purpose_choices() if c.key == key), key)
