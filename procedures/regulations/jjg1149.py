"""JJG 1149 电动汽车非车载充电机 — DC off-board chargers (2022 trial edition; 2018 items selectable).

Items and measurement are shared with AC posts (:mod:`charger_procedure`); the numbers live in
data/jjg1149.toml with their clauses. The session is a GB/T 27930-2015 charging session in which
the workstation plays the vehicle's BMS: handshake, recognition and parameter configuration, then
the BMS's current demand (BCL) is the test load point, drawn into the DC load. The charger's OCPP
link, when present, gives its register and signed values; its clock is read as found from the
display or from the CTS it sends the BMS. Roles: ``bms`` (BmsLink, also the ``load``),
``energy_standard``, ``pulse_counter`` (the DC standard), ``charger`` (OCPP, optional).
"""

from __future__ import annotations

from procedures.regulations.charger_procedure import ChargerParams, ChargerProcedure, bms_start, bms_stop

__all__ = ["Jjg1149", "Jjg1149Params"]

Jjg1149Params = ChargerParams


class Jjg1149(ChargerProcedure):
    """JJG 1149 for one DC charger: the charging session is a GB/T 27930 session (we are the BMS)."""

    TABLE = "jjg1149"
    LINKS = ("charger_online", "charging")
    SESSION = (bms_start, bms_stop)
