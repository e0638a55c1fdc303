"""One module per regulation; REGISTRY maps a regulation key to its (params type, procedure type)."""

from __future__ import annotations

from typing import Any

from procedures.regulations.charger_procedure import ChargerParams
from procedures.regulations.jjg1148 import Jjg1148
from procedures.regulations.jjg1149 import Jjg1149

REGISTRY: dict[str, tuple[Any, Any]] = {
    "jjg1148": (ChargerParams, Jjg1148),
    "jjg1149": (ChargerParams, Jjg1149),
}

__all__ = ["REGISTRY"]
