"""GB/T 27930-2015 (DC charger <-> BMS over CAN): message codec, J1939-21 transport, trace decoder.

The workstation plays the vehicle's BMS; ``hardware_sim``'s DC charger twin plays the charger. Both
use this package so that they agree on every byte (protocols.md section B).

* :mod:`.messages` — the message table (from our own DBC ``gbt27930_2015.dbc``), ``encode``/``decode``
  of physical values, J1939 identifiers.
* :mod:`.tp` — SAE J1939-21 RTS/CTS transport for the multi-packet messages, sans-IO.
* :mod:`.trace` — decode a recorded CAN trace (candump .log, .asc, .blf, .csv …) into messages.
"""

from drivers.gbt27930.messages import (
    BMS_SA,
    CHARGER_SA,
    DBC_PATH,
    SPECS,
    MessageSpec,
    build_id,
    can_id,
    charging_current_a,
    decode,
    encode,
    encoded_current_a,
    fields,
    name_for,
    name_for_pgn,
    parse_id,
)

__all__ = [
    "BMS_SA",
    "CHARGER_SA",
    "DBC_PATH",
    "SPECS",
    "MessageSpec",
    "build_id",
    "can_id",
    "charging_current_a",
    "decode",
    "encode",
    "encoded_current_a",
    "fields",
    "name_for",
    "name_for_pgn",
    "parse_id",
]
