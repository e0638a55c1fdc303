"""JJG 1148 电动汽车交流充电桩 — AC charging posts (2022 trial edition; 2018 items selectable).

The items and their measurement are shared with DC chargers (:mod:`charger_procedure`); here only
the numbers (data/jjg1148.toml, with clauses) and the session: an OCPP transaction started by the
workstation as local CSMS (RemoteStartTransaction), with the calibrator's load drawing the test
current. Roles: ``charger`` (ChargerLink), ``energy_standard``, ``pulse_counter``, ``load``.
"""

from __future__ import annotations

from procedures.regulations.charger_procedure import (
    ChargerParams,
    ChargerProcedure,
    PostSpec,
    ocpp_start,
    ocpp_stop,
)

Jjg1148Params = ChargerParams

__all__ = ["Jjg1148", "Jjg1148Params", "PostSpec"]


class Jjg1148(ChargerProcedure):
    """JJG 1148 for one AC post: the charging session is an OCPP transaction."""

    TABLE = "jjg1148"
    LINKS = ("charger_online",)
    SESSION = (ocpp_start, ocpp_stop)
