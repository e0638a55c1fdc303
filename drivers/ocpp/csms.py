"""The workstation's CSMS for both OCPP versions on one listening socket.

:class:`Csms` is :class:`~drivers.ocpp.csms16.Csms16` with OCPP 2.0.1 registered beside 1.6J: the
server offers the WebSocket subprotocols ``["ocpp2.0.1", "ocpp1.6"]`` (its preference order) and
serves each connection with the session class of the subprotocol negotiated in the handshake
(OCPP-J 1.6 §3.1.2, OCPP 2.0.1 Part 4 §3.1.2; RFC 6455 §4.2.2 — the client lists what it
speaks, the server picks one):

* a post offering ``ocpp1.6`` only → :class:`~drivers.ocpp.csms16.ChargePointSession`;
* a station offering ``ocpp2.0.1`` (alone or with 1.6) → :class:`~drivers.ocpp.csms201.ChargePointSession201`;
* neither → HTTP 400 and a :class:`~drivers.ocpp.csms16.ChargerRejected` event.

``versions=("ocpp1.6",)`` (or ``("2.0.1",)``) restricts what is offered. Events, waiting
(:meth:`~drivers.ocpp.csms16.Csms16.expect`), security (``credentials``, ``ssl_context``) and the
per-charger state are common to both versions. Everything a caller needs is importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from drivers.ocpp.csms16 import (
    SUBPROTOCOL,
    CallErrorSent,
    ChargePointSession,
    ChargerConnected,
    ChargerDisconnected,
    ChargerRejected,
    ChargerSocketOpened,
    ConfigurationSnapshot,
    Csms16,
    CsmsEvent,
    Expectation,
    MeterReading,
    ReplyLate,
    SessionCore,
    StatusChanged,
    TransactionStarted,
    TransactionStopped,
    TransactionUpdated,
    normalise_subprotocol,
)
from drivers.ocpp.csms201 import (
    SUBPROTOCOL_201,
    ChargePointSession201,
    RequestStartResult,
    VariableRef,
    VariableResult,
)

__all__ = [
    "SUBPROTOCOL",
    "SUBPROTOCOL_201",
    "CallErrorSent",
    "ChargePointSession",
    "ChargePointSession201",
    "ChargerConnected",
    "ChargerDisconnected",
    "ChargerRejected",
    "ChargerSocketOpened",
    "ConfigurationSnapshot",
    "Csms",
    "Csms16",
    "CsmsEvent",
    "Expectation",
    "MeterReading",
    "ReplyLate",
    "RequestStartResult",
    "SessionCore",
    "StatusChanged",
    "TransactionStarted",
    "TransactionStopped",
    "TransactionUpdated",
    "VariableRef",
    "VariableResult",
    "normalise_subprotocol",
]


class Csms(Csms16):
    """A local OCPP central system speaking 2.0.1 and 1.6J on ``ws[s]://host:port/<chargePointId>``
    (see the module docstring; constructor arguments as :class:`Csms16`, ``versions`` defaulting to
    both, 2.0.1 preferred)."""

    SESSION_CLASSES: ClassVar[Mapping[str, type[SessionCore]]] = {
        SUBPROTOCOL_201: ChargePointSession201,
        SUBPROTOCOL: ChargePointSession,
    }
