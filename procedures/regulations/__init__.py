"""One module per regulation; REGISTRY maps a regulation key to its (params type, procedure type)."""

from __future__ import annotations

from typing import Any

from procedures.regulations.jjg1148 import Jjg1148, Jjg1148Params

REGISTRY: dict[str, tuple[Any, Any]] = {
    "jjg1148": (Jjg1148Params, Jjg1148),
}

__all__ = ["REGISTRY"]
