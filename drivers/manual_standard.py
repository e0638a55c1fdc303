"""A reference standard the operator reads (standard metal can, liquid-in-glass thermometer …).

It has no link: it sits in the station file like any device so that its serial number is checked on
the standards ledger before every run and printed among the standards used, and so that its
constants from the calibration certificate (for a can: nominal volume, the neck-scale mark of the
nominal volume, volume per millimetre, material) travel with the station. Its readings reach a
procedure as operator entries, validated with units and ranges.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ManualStandard:
    """A passive device: ``config`` holds the certificate's constants; connect/close do nothing."""

    def __init__(self, name: str, config: Mapping[str, Any]) -> None:
        self.name = name
        self.config = dict(config)

    @classmethod
    def from_config(cls, name: str, cfg: Mapping[str, Any]) -> ManualStandard:
        """Build from a station file section."""
        return cls(name, cfg)

    async def connect(self) -> None:
        """Nothing to open: the operator reads this standard."""
        return None

    async def close(self) -> None:
        """Nothing to release."""
        return None


__all__ = ["ManualStandard"]
