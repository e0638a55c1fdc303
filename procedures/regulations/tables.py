"""Regulation data tables (TOML beside this module): numbers live here, not in logic, so a lab can
correct an OPEN value without a code change. Station files may override any key."""

from __future__ import annotations

import copy
import hashlib
import tomllib
from importlib import resources
from typing import Any


def load_table(name: str) -> dict[str, Any]:
    """The shipped table ``data/<name>.toml``."""
    text = resources.files("procedures.regulations.data").joinpath(f"{name}.toml").read_text("utf-8")
    return tomllib.loads(text)


def table_hash(name: str) -> str:
    """SHA-256 of the shipped table's bytes (part of the procedure hash in every record)."""
    data = resources.files("procedures.regulations.data").joinpath(f"{name}.toml").read_bytes()
    return hashlib.sha256(data).hexdigest()


def merged(base: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Deep-merge station overrides into a table (overrides win; dicts merge, other values replace)."""
    out = copy.deepcopy(base)
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
