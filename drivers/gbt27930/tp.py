"""SAE J1939-21 transport protocol (RTS/CTS) for GB/T 27930 multi-packet messages, sans-IO.

GB/T 27930-2015 6.5 sends BRM (49 bytes), BCP (13), BCS (9) and BMV/BMT/BSP (variable) with the
connection-mode transfer of SAE J1939-21 5.10 (protocols.md B4). Nothing here touches a bus: each
object is fed received frames and the current time and answers with *actions* — frames to send,
a completed payload, or a failure — so the BMS driver, the charger twin and the trace decoder all
drive the same code with their own I/O and clocks (and tests drive it with a fake clock).

Frames (TP.CM = PGN 0xEC00, TP.DT = PGN 0xEB00, priority 7; BMS->charger ``0x1CEC56F4``,
charger->BMS ``0x1CECF456``):

* RTS ``10 size(LE16) packets max_per_cts PGN(LE24)``
* CTS ``11 count next FF FF PGN(LE24)`` (count 0 = hold the connection open)
* EndOfMsgAck ``13 size(LE16) packets FF PGN(LE24)``
* Abort ``FF reason FF FF FF PGN(LE24)``
* DT ``seq(1..n) + 7 data bytes``, the last one padded with 0xFF.

Observed (protocols.md B4): ``1CEC56F4#10310007FF000200`` -> ``1CECF456#110701FFFF000200`` -> 7 DT ->
``1CECF456#13310007FF000200``. Timeouts are J1939-21's: T1 0.75 s between DT packets, T2 1.25 s
from a CTS to its first DT, T3 1.25 s from the last DT (or the RTS) to the next CTS or the ack.

Actions come in the order to perform them: frames to send first, then the outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from drivers.gbt27930.messages import build_id, parse_id

__all__ = [
    "ABORT_REASONS",
    "TP_CM_PGN",
    "TP_DT_PGN",
    "TP_PRIORITY",
    "Complete",
    "Failed",
    "Send",
    "TpAction",
    "TpObserver",
    "TpReceiver",
    "TpTransmitter",
    "abort_frame",
]

TP_CM_PGN = 0xEC00
"""Transport protocol connection management (RTS, CTS, EndOfMsgAck, Abort, BAM)."""
TP_DT_PGN = 0xEB00
"""Transport protocol data transfer."""
TP_PRIORITY = 7
"""Priority of TP.CM and TP.DT frames (J1939-21; observed 0x1CEC…/0x1CEB…)."""

RTS, CTS, END_OF_MSG_ACK, BAM, ABORT = 0x10, 0x11, 0x13, 0x20, 0xFF
MAX_SIZE = 1785
"""Largest payload the transport can carry: 255 packets x 7 bytes."""

ABORT_REASONS: dict[int, str] = {
    1: "already in one or more connection-managed sessions",
    2: "system resources needed for another task",
    3: "timeout",
    4: "CTS received while a data transfer is in progress",
    5: "maximum retransmit request limit reached",
    6: "unexpected data transfer packet",
    7: "bad sequence number",
    8: "duplicate sequence number",
    9: "total message size is greater than 1785 bytes",
    250: "other",
}
"""Connection Abort reason codes of SAE J1939-21 (table 'Connection Abort reasons')."""


@dataclass(frozen=True)
class Send:
    """A frame the caller must put on the bus (29-bit ``arbitration_id``, 8-byte ``data``)."""

    arbitration_id: int
    data: bytes


@dataclass(frozen=True)
class Complete:
    """A finished transfer: for a receiver the reassembled ``payload`` from ``source``; for a
    transmitter the peer's EndOfMsgAck arrived (``source`` is then our own address)."""

    pgn: int
    source: int
    payload: bytes


@dataclass(frozen=True)
class Failed:
    """A transfer that did not finish: timeout, abort (by either side) or protocol violation."""

    pgn: int
    reason: str


TpAction = Send | Complete | Failed


def _pgn_bytes(pgn: int) -> bytes:
    return pgn.to_bytes(3, "little")


def _cm_id(own_sa: int, peer_sa: int) -> int:
    return build_id(TP_PRIORITY, TP_CM_PGN, peer_sa, own_sa)


def _dt_id(own_sa: int, peer_sa: int) -> int:
    return build_id(TP_PRIORITY, TP_DT_PGN, peer_sa, own_sa)


def abort_frame(own_sa: int, peer_sa: int, pgn: int, reason: int) -> Send:
    """The Connection Abort frame ``FF reason FF FF FF PGN`` from ``own_sa`` to ``peer_sa``."""
    return Send(_cm_id(own_sa, peer_sa), bytes([ABORT, reason, 0xFF, 0xFF, 0xFF]) + _pgn_bytes(pgn))


def _reason_text(code: int) -> str:
    return f"reason {code}: {ABORT_REASONS.get(code, 'unknown')}"


def _packets(size: int) -> int:
    return math.ceil(size / 7)


def _cm_fields(data: bytes) -> tuple[int, int] | None:
    """(control byte, PGN) of a TP.CM frame, or None if it is too short to be one."""
    if len(data) < 8:
        return None
    return data[0], int.from_bytes(data[5:8], "little")


# ---------------------------------------------------------------------------------------------
# Transmitter
# ---------------------------------------------------------------------------------------------


@dataclass
class _TxSession:
    pgn: int
    payload: bytes
    packets: int
    deadline: float
    waiting_for: str


class TpTransmitter:
    """Sending side of one multi-packet message at a time (the BMS sending BRM/BCP/BCS …).

    ``start`` returns the RTS; each CTS from the peer is answered with exactly the DT packets it
    asks for (a repeated or re-requesting CTS gets them again); the peer's EndOfMsgAck yields
    ``Complete(pgn, own_sa, payload)`` and an Abort ``Failed``. ``poll`` reports a peer that stays
    silent longer than ``t_response_s`` (J1939-21 T3) as ``Failed`` and aborts the connection.
    DT packets are returned together; the caller may send them back to back or paced.
    """

    def __init__(self, own_sa: int, peer_sa: int, *, t_response_s: float = 1.25) -> None:
        self.own_sa = own_sa
        self.peer_sa = peer_sa
        self.t_response_s = t_response_s
        self._session: _TxSession | None = None

    @property
    def busy(self) -> bool:
        """True while a transfer is open (between ``start`` and its Complete/Failed)."""
        return self._session is not None

    def start(self, pgn: int, payload: bytes, now: float) -> list[TpAction]:
        """Open a transfer of ``payload`` (9..1785 bytes) for ``pgn``; returns ``[Send(RTS)]``.

        Raises ``RuntimeError`` if a transfer is already open and ``ValueError`` for a payload that
        fits one frame (send it as a single frame) or exceeds 1785 bytes.
        """
        if self._session is not None:
            raise RuntimeError(f"TP transfer of PGN 0x{self._session.pgn:04X} still in progress")
        payload = bytes(payload)
        if len(payload) <= 8:
            raise ValueError(f"{len(payload)}-byte payload fits one frame; the transport needs 9..{MAX_SIZE}")
        if len(payload) > MAX_SIZE:
            raise ValueError(f"{len(payload)}-byte payload exceeds the transport's {MAX_SIZE} bytes")
        packets = _packets(len(payload))
        self._session = _TxSession(pgn, payload, packets, now + self.t_response_s, "CTS")
        rts = bytes([RTS]) + len(payload).to_bytes(2, "little") + bytes([packets, 0xFF]) + _pgn_bytes(pgn)
        return [Send(_cm_id(self.own_sa, self.peer_sa), rts)]

    def _dt(self, session: _TxSession, seq: int) -> Send:
        chunk = session.payload[(seq - 1) * 7 : seq * 7].ljust(7, b"\xff")
        return Send(_dt_id(self.own_sa, self.peer_sa), bytes([seq]) + chunk)

    def _fail(self, reason: str, abort_code: int | None) -> list[TpAction]:
        session = self._session
        assert session is not None
        self._session = None
        actions: list[TpAction] = []
        if abort_code is not None:
            actions.append(abort_frame(self.own_sa, self.peer_sa, session.pgn, abort_code))
        actions.append(Failed(session.pgn, reason))
        return actions

    def on_frame(self, arbitration_id: int, data: bytes, now: float) -> list[TpAction]:
        """Feed a received frame; frames not addressed to this transfer are ignored (``[]``)."""
        session = self._session
        if session is None:
            return []
        try:
            _prio, pgn, da, sa = parse_id(arbitration_id)
        except ValueError:
            return []
        cm = _cm_fields(bytes(data))
        if pgn != TP_CM_PGN or sa != self.peer_sa or da != self.own_sa or cm is None:
            return []
        control, cm_pgn = cm
        if cm_pgn != session.pgn:
            return []
        if control == CTS:
            count, nxt = data[1], data[2]
            if count == 0:  # hold the connection open
                session.deadline = now + self.t_response_s
                return []
            if not 1 <= nxt <= session.packets:
                return self._fail(
                    f"CTS for packet {nxt} of a {session.packets}-packet message (PGN 0x{session.pgn:04X})", 7
                )
            last = min(session.packets, nxt + count - 1)
            session.deadline = now + self.t_response_s
            session.waiting_for = "CTS or EndOfMsgAck"
            return [self._dt(session, seq) for seq in range(nxt, last + 1)]
        if control == END_OF_MSG_ACK:
            self._session = None
            return [Complete(session.pgn, self.own_sa, session.payload)]
        if control == ABORT:
            return self._fail(f"aborted by the receiver 0x{self.peer_sa:02X} ({_reason_text(data[1])})", None)
        return []

    def poll(self, now: float) -> list[TpAction]:
        """Check the response timeout; on expiry returns ``[Send(Abort), Failed]``."""
        session = self._session
        if session is None or now <= session.deadline:
            return []
        return self._fail(
            f"timeout: no {session.waiting_for} from 0x{self.peer_sa:02X} within {self.t_response_s} s "
            f"(PGN 0x{session.pgn:04X})",
            3,
        )


# ---------------------------------------------------------------------------------------------
# Receiver
# ---------------------------------------------------------------------------------------------


@dataclass
class _RxSession:
    pgn: int
    size: int
    packets: int
    per_cts: int
    window: tuple[int, int]
    deadline: float
    waiting: str
    received: dict[int, bytes] = field(default_factory=dict)

    def missing(self) -> list[int]:
        return [s for s in range(1, self.packets + 1) if s not in self.received]


class TpReceiver:
    """Receiving side: accepts an RTS from ``peer_sa``, answers CTS, reassembles DT, acknowledges.

    The charger twin uses it for BRM/BCP/BCS; the BMS driver would use it for any charger-sent
    multi-packet message. Per J1939-21 5.10.2:

    * RTS -> CTS for up to ``packets_per_cts`` packets (and no more than the RTS allows).
    * DT packets inside the current CTS window are buffered in any order; duplicates are ignored.
    * When the window's last packet arrives and earlier ones are missing, a CTS re-requests the
      first run of missing packets (J1939-21 lets CTS name any packet). Each re-request window
      ends before a packet already received, so windows shrink and a packet lost for good ends
      in the timeout below rather than in a loop.
    * All packets in -> EndOfMsgAck and ``Complete(pgn, peer_sa, payload)``.
    * No DT for ``t_dt_timeout_s`` (T1) after a DT, or ``t_response_s`` (T2) after a CTS -> Abort
      (reason 3) and ``Failed`` naming the missing packets.
    * An Abort from the peer -> ``Failed``; a new RTS replaces an unfinished transfer (``Failed``).
    """

    def __init__(
        self,
        own_sa: int,
        peer_sa: int,
        *,
        t_dt_timeout_s: float = 0.75,
        t_response_s: float = 1.25,
        packets_per_cts: int = 255,
    ) -> None:
        if not 1 <= packets_per_cts <= 255:
            raise ValueError(f"packets_per_cts must be 1..255, got {packets_per_cts}")
        self.own_sa = own_sa
        self.peer_sa = peer_sa
        self.t_dt_timeout_s = t_dt_timeout_s
        self.t_response_s = t_response_s
        self.packets_per_cts = packets_per_cts
        self._session: _RxSession | None = None

    @property
    def busy(self) -> bool:
        """True while a transfer is open (between the RTS and its Complete/Failed)."""
        return self._session is not None

    def _abort(self, pgn: int, code: int) -> Send:
        return abort_frame(self.own_sa, self.peer_sa, pgn, code)

    def _cts(self, session: _RxSession, nxt: int, now: float) -> Send:
        count = 1
        while (
            count < session.per_cts
            and nxt + count <= session.packets
            and (nxt + count) not in session.received
        ):
            count += 1
        session.window = (nxt, nxt + count - 1)
        session.deadline = now + self.t_response_s
        session.waiting = f"DT after CTS (T2 {self.t_response_s} s)"
        data = bytes([CTS, count, nxt, 0xFF, 0xFF]) + _pgn_bytes(session.pgn)
        return Send(_cm_id(self.own_sa, self.peer_sa), data)

    def on_frame(self, arbitration_id: int, data: bytes, now: float) -> list[TpAction]:
        """Feed a received frame; anything but TP.CM/TP.DT from ``peer_sa`` to us is ignored."""
        try:
            _prio, pgn, da, sa = parse_id(arbitration_id)
        except ValueError:
            return []
        if sa != self.peer_sa or da != self.own_sa:
            return []
        data = bytes(data)
        if pgn == TP_CM_PGN:
            return self._on_cm(data, now)
        if pgn == TP_DT_PGN:
            return self._on_dt(data, now)
        return []

    def _on_cm(self, data: bytes, now: float) -> list[TpAction]:
        cm = _cm_fields(data)
        if cm is None:
            return []
        control, pgn = cm
        if control == ABORT:
            session = self._session
            if session is None or session.pgn != pgn:
                return []
            self._session = None
            return [Failed(pgn, f"aborted by the sender 0x{self.peer_sa:02X} ({_reason_text(data[1])})")]
        if control != RTS:
            return []  # CTS/EndOfMsgAck to us belong to our own transmitter
        actions: list[TpAction] = []
        if self._session is not None:
            old = self._session
            self._session = None
            actions.append(Failed(old.pgn, f"superseded by a new RTS for PGN 0x{pgn:04X} "
                                           f"before packets {old.missing()} arrived"))
        size = int.from_bytes(data[1:3], "little")
        packets, max_per_cts = data[3], data[4]
        if not 9 <= size <= MAX_SIZE:
            actions += [self._abort(pgn, 9 if size > MAX_SIZE else 250),
                        Failed(pgn, f"invalid RTS: message size {size} bytes (9..{MAX_SIZE})")]
            return actions
        if packets != _packets(size):
            actions += [self._abort(pgn, 250),
                        Failed(pgn, f"invalid RTS: {packets} packets for {size} bytes (expected {_packets(size)})")]
            return actions
        per_cts = min(self.packets_per_cts, max_per_cts or 0xFF)
        session = _RxSession(pgn, size, packets, per_cts, (0, 0), now, "")
        self._session = session
        actions.append(self._cts(session, 1, now))
        return actions

    def _on_dt(self, data: bytes, now: float) -> list[TpAction]:
        session = self._session
        if session is None or not data:
            return []
        seq = data[0]
        first, last = session.window
        if not first <= seq <= last or seq in session.received:
            return []  # outside the requested window, or a duplicate
        session.received[seq] = data[1:8].ljust(7, b"\xff")
        session.deadline = now + self.t_dt_timeout_s
        session.waiting = f"DT packet (T1 {self.t_dt_timeout_s} s)"
        missing = session.missing()
        if not missing:
            self._session = None
            payload = b"".join(session.received[s] for s in range(1, session.packets + 1))[: session.size]
            ack = (bytes([END_OF_MSG_ACK]) + session.size.to_bytes(2, "little")
                   + bytes([session.packets, 0xFF]) + _pgn_bytes(session.pgn))
            return [Send(_cm_id(self.own_sa, self.peer_sa), ack), Complete(session.pgn, self.peer_sa, payload)]
        window_missing = [s for s in missing if first <= s <= last]
        if seq != last and window_missing:
            return []  # keep collecting this window
        # the window is done, or its last packet came with gaps: ask for the first missing run
        return [self._cts(session, missing[0], now)]

    def poll(self, now: float) -> list[TpAction]:
        """Check the DT timeouts; on expiry returns ``[Send(Abort), Failed]`` naming what is missing."""
        session = self._session
        if session is None or now <= session.deadline:
            return []
        self._session = None
        return [
            self._abort(session.pgn, 3),
            Failed(session.pgn, f"timeout waiting for {session.waiting}: packets {session.missing()} of "
                                f"{session.packets} missing (PGN 0x{session.pgn:04X}, {session.size} bytes)"),
        ]


# ---------------------------------------------------------------------------------------------
# Passive observer (trace decoding)
# ---------------------------------------------------------------------------------------------


@dataclass
class _ObservedSession:
    pgn: int
    size: int
    packets: int
    last_seen: float
    received: dict[int, bytes] = field(default_factory=dict)


class TpObserver:
    """Passive J1939-21 follower for recorded traces: reassembles every transfer between any two
    nodes (RTS/CTS and BAM) without sending anything.

    A transfer completes as soon as all its DT packets have been seen (the EndOfMsgAck is not
    needed, so a trace that lost it still decodes); an Abort, a new RTS on the same connection, a
    silence longer than ``t_timeout_s`` or the end of the trace (:meth:`flush`) fail it.
    """

    def __init__(self, *, t_timeout_s: float = 1.25) -> None:
        self.t_timeout_s = t_timeout_s
        self._sessions: dict[tuple[int, int], _ObservedSession] = {}

    def _expire(self, now: float) -> list[Complete | Failed]:
        out: list[Complete | Failed] = []
        for key, s in list(self._sessions.items()):
            if now - s.last_seen > self.t_timeout_s:
                del self._sessions[key]
                out.append(Failed(s.pgn, f"timeout: packets {self._missing(s)} of {s.packets} from "
                                         f"0x{key[0]:02X} never seen (PGN 0x{s.pgn:04X})"))
        return out

    @staticmethod
    def _missing(s: _ObservedSession) -> list[int]:
        return [n for n in range(1, s.packets + 1) if n not in s.received]

    def on_frame(self, arbitration_id: int, data: bytes, now: float) -> list[Complete | Failed]:
        """Feed one recorded frame; returns finished (``Complete``) or failed transfers."""
        out = self._expire(now)
        try:
            _prio, pgn, da, sa = parse_id(arbitration_id)
        except ValueError:
            return out
        data = bytes(data)
        if pgn == TP_CM_PGN:
            cm = _cm_fields(data)
            if cm is None:
                return out
            control, msg_pgn = cm
            if control in (RTS, BAM):
                key = (sa, da)
                old = self._sessions.pop(key, None)
                if old is not None:
                    out.append(Failed(old.pgn, f"superseded by a new RTS before packets {self._missing(old)} "
                                               f"of {old.packets} were seen (PGN 0x{old.pgn:04X})"))
                size, packets = int.from_bytes(data[1:3], "little"), data[3]
                if 9 <= size <= MAX_SIZE and packets == _packets(size):
                    self._sessions[key] = _ObservedSession(msg_pgn, size, packets, now)
                else:
                    out.append(Failed(msg_pgn, f"invalid RTS from 0x{sa:02X}: {size} bytes in {packets} packets"))
            elif control == ABORT:
                # either side may abort: the data flows sa->da or da->sa
                for key in ((sa, da), (da, sa)):
                    s = self._sessions.get(key)
                    if s is not None and s.pgn == msg_pgn:
                        del self._sessions[key]
                        out.append(Failed(msg_pgn, f"aborted by 0x{sa:02X} ({_reason_text(data[1])})"))
            elif control == CTS:
                s = self._sessions.get((da, sa))
                if s is not None:
                    s.last_seen = now
        elif pgn == TP_DT_PGN and data:
            key = (sa, da)
            s = self._sessions.get(key)
            if s is None:
                return out
            seq = data[0]
            s.last_seen = now
            if 1 <= seq <= s.packets and seq not in s.received:
                s.received[seq] = data[1:8].ljust(7, b"\xff")
            if len(s.received) == s.packets:
                del self._sessions[key]
                payload = b"".join(s.received[n] for n in range(1, s.packets + 1))[: s.size]
                out.append(Complete(s.pgn, sa, payload))
        return out

    def flush(self) -> list[Failed]:
        """End of the trace: every transfer still open has failed."""
        out = [Failed(s.pgn, f"trace ended with packets {self._missing(s)} of {s.packets} from "
                             f"0x{key[0]:02X} unseen (PGN 0x{s.pgn:04X})")
               for key, s in self._sessions.items()]
        self._sessions.clear()
        return out
