"""The one pint registry of the project, used at the edges (station file, operator entry, display).

The numpy core works on plain floats in SI-consistent units; quantities are converted here, once.
"""

from __future__ import annotations

import pint

ureg = pint.UnitRegistry()
ureg.formatter.default_format = "~P"
ureg.define("yuan = [currency] = 元")
Q_ = ureg.Quantity

__all__ = ["Q_", "ureg"]
