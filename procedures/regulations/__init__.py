"""One module per regulation; REGISTRY maps a regulation key to its (params type, procedure type).

A params type builds itself from the ledger instrument and the station
(``from_instrument(instrument, station, edition=…, verification_type=…)``), round-trips through
JSON (``to_dict``/``from_dict``, stored with the run for resume) and says what the step context
carries (``context()``); a procedure type names its data table (``TABLE``) and gives the record its
``items``, ``environment``, ``flags`` and ``signed_meter_values``."""

from __future__ import annotations

from typing import Any

from procedures.regulations.charger_procedure import ChargerParams
from procedures.regulations.jjg162 import Jjg162, WaterParams
from procedures.regulations.jjg443 import FuelParams, Jjg443
from procedures.regulations.jjg577 import GasParams, Jjg577
from procedures.regulations.jjg596 import Jjg596, MeterParams
from procedures.regulations.jjg1148 import Jjg1148
from procedures.regulations.jjg1149 import Jjg1149

REGISTRY: dict[str, tuple[Any, Any]] = {
    "jjg1148": (ChargerParams, Jjg1148),
    "jjg1149": (ChargerParams, Jjg1149),
    "jjg443": (FuelParams, Jjg443),
    "jjg162": (WaterParams, Jjg162),
    "jjg577": (GasParams, Jjg577),
    "jjg596": (MeterParams, Jjg596),
}

__all__ = ["REGISTRY"]
