"""Decode a recorded CAN trace into GB/T 27930-2015 messages.

``decode_trace(path)`` reads any format python-can's ``can.LogReader`` knows (candump ``.log``,
Vector ``.asc`` and ``.blf``, ``.csv``, ``.trc`` …, optionally compressed), follows the J1939-21
transfers passively (:class:`~drivers.gbt27930.tp.TpObserver`), and yields one
:class:`DecodedMessage` per GB/T 27930 message between the charger (0x56) and the BMS (0xF4).
Frames of other nodes (the 0x0070F4B5 node of the observed session, error and remote frames,
11-bit IDs) are skipped and counted, so a real bus recording decodes cleanly.

Use: ``for m in decode_trace("session.log"): ...``; after the loop the returned
:class:`TraceDecoder`'s ``stats`` holds message counts, foreign frames and TP failures.
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import can

from drivers.gbt27930.messages import (
    BMS_SA,
    CHARGER_SA,
    SPECS,
    decode,
    impossible,
    name_for,
    name_for_pgn,
    parse_id,
)
from drivers.gbt27930.tp import TP_CM_PGN, TP_DT_PGN, Complete, TpObserver

__all__ = ["BMS_TO_CHARGER", "CHARGER_TO_BMS", "DecodedMessage", "TraceDecoder", "TraceError", "TraceStats",
           "decode_trace"]

CHARGER_TO_BMS = "charger→BMS"
BMS_TO_CHARGER = "BMS→charger"
_DIRECTION = {CHARGER_SA: CHARGER_TO_BMS, BMS_SA: BMS_TO_CHARGER}
_PEER = {CHARGER_SA: BMS_SA, BMS_SA: CHARGER_SA}
_SA = {"charger": CHARGER_SA, "bms": BMS_SA}


class TraceError(ValueError):
    """A trace that cannot be read to its end — corrupt or truncated — named by file and frame."""


_READ_ERRORS = (struct.error, zlib.error, EOFError, ValueError, IndexError, can.CanError, can.io.blf.BLFParseError)
"""What python-can's readers raise on a damaged file (a short header, a cut compressed container,
a garbled line, a BLF object of the wrong kind)."""


@dataclass(frozen=True)
class DecodedMessage:
    """One GB/T 27930 message found in a trace.

    ``time`` is the recording's timestamp (float, seconds since the epoch for candump/BLF/CSV and
    for ASC files whose header carries the date) of the frame that completed the message — the
    last DT packet for a multi-packet message. ``fields`` holds physical values as
    :func:`drivers.gbt27930.messages.decode` returns them; ``raw`` is the payload in hex.
    """

    time: float
    name: str
    direction: str
    pgn: int
    fields: dict[str, Any]
    raw: str


@dataclass
class TraceStats:
    """What a decode pass saw: frames read, messages per name, skipped frames, failures."""

    frames: int = 0
    messages: Counter[str] = field(default_factory=Counter)
    tp_frames: int = 0
    foreign_frames: int = 0
    foreign_ids: Counter[int] = field(default_factory=Counter)
    tp_failures: list[str] = field(default_factory=list)
    decode_errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (IDs in hex)."""
        return {
            "frames": self.frames,
            "messages": dict(self.messages),
            "tp_frames": self.tp_frames,
            "foreign_frames": self.foreign_frames,
            "foreign_ids": {f"{k:08X}": v for k, v in sorted(self.foreign_ids.items())},
            "tp_failures": len(self.tp_failures),
            "tp_failure_reasons": self.tp_failures,
            "decode_errors": len(self.decode_errors),
            "decode_error_reasons": self.decode_errors,
            "refused": len(self.refused),
            "refused_reasons": self.refused,
        }


class TraceDecoder(Iterator[DecodedMessage]):
    """Iterator of :class:`DecodedMessage` over recorded ``can.Message`` frames, with ``stats``.

    Frames must come in recording order. A payload that does not decode (too short, bad BCD) is
    recorded in ``stats.decode_errors`` and skipped rather than ending the pass. A charger message
    holding a value no charger can mean (messages.impossible: a positive CCS output current, a
    'not available' voltage, CSD energy beyond 1000 kWh) is not yielded either: one line naming the
    message and the frame number in the recording goes to ``stats.refused``.
    """

    def __init__(self, frames: Iterable[can.Message]) -> None:
        self.stats = TraceStats()
        self._observer = TpObserver()
        self._iter = self._run(iter(frames))

    def __iter__(self) -> TraceDecoder:
        return self

    def __next__(self) -> DecodedMessage:
        return next(self._iter)

    def _foreign(self, frame: can.Message) -> None:
        self.stats.foreign_frames += 1
        self.stats.foreign_ids[frame.arbitration_id] += 1

    def _make(self, time: float, name: str, sa: int, pgn: int, payload: bytes) -> DecodedMessage | None:
        try:
            fields = decode(name, payload)
        except ValueError as exc:
            self.stats.decode_errors.append(f"{time:.6f} {name} {payload.hex().upper()}: {exc}")
            return None
        reasons = impossible(name, fields)
        if reasons:
            self.stats.refused.append(f"第 {self.stats.frames} 帧 (frame {self.stats.frames}) {time:.6f} {name} "
                                      f"{payload.hex().upper()} 已拒绝 (refused): " + "; ".join(reasons))
            return None
        self.stats.messages[name] += 1
        return DecodedMessage(time, name, _DIRECTION[sa], pgn, fields, payload.hex().upper())

    def _run(self, frames: Iterator[can.Message]) -> Iterator[DecodedMessage]:
        for frame in frames:
            self.stats.frames += 1
            if frame.is_error_frame or frame.is_remote_frame or not frame.is_extended_id:
                self._foreign(frame)
                continue
            data = bytes(frame.data)
            name = name_for(frame.arbitration_id)
            if name is not None:
                _prio, pgn, _da, sa = parse_id(frame.arbitration_id)
                msg = self._make(frame.timestamp, name, sa, pgn, data)
                if msg is not None:
                    yield msg
                continue
            _prio, pgn, da, sa = parse_id(frame.arbitration_id)
            if pgn not in (TP_CM_PGN, TP_DT_PGN) or sa not in _PEER or da != _PEER[sa]:
                self._foreign(frame)
                continue
            self.stats.tp_frames += 1
            for action in self._observer.on_frame(frame.arbitration_id, data, frame.timestamp):
                if isinstance(action, Complete):
                    tp_name = name_for_pgn(action.pgn)
                    if tp_name is None or _SA[SPECS[tp_name].sender] != action.source:
                        what = tp_name or f"unknown PGN 0x{action.pgn:04X}"
                        self.stats.decode_errors.append(
                            f"{frame.timestamp:.6f} {what} via TP from 0x{action.source:02X}: not a message "
                            "this node sends")
                        continue
                    msg = self._make(frame.timestamp, tp_name, action.source, action.pgn, action.payload)
                    if msg is not None:
                        yield msg
                else:
                    self.stats.tp_failures.append(f"{frame.timestamp:.6f} {action.reason}")
        for failed in self._observer.flush():
            self.stats.tp_failures.append(f"end of trace: {failed.reason}")


def _reader(path: Path) -> Iterable[can.Message]:
    suffixes = [s.lower() for s in path.suffixes]
    if ".asc" in suffixes:
        # absolute times from the ASC header's date, like the other formats
        return can.LogReader(path, relative_timestamp=False)
    return can.LogReader(path)


def decode_trace(path: str | PathLike[str]) -> TraceDecoder:
    """Decode the recorded trace at ``path`` (format from its suffix, see ``can.LogReader``).

    Returns a :class:`TraceDecoder`: iterate it for the messages, then read ``.stats``. Raises
    ``FileNotFoundError`` for a missing file, ``ValueError`` for a format python-can cannot read and
    :class:`TraceError` (a ``ValueError``) for a damaged or truncated file, naming the file and the
    frame where reading stopped — while iterating, after the frames before it.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such trace file: {p}")

    try:
        reader = _reader(p)
    except ValueError:
        raise  # a format python-can cannot read (unknown suffix), not a damaged file
    except _READ_ERRORS as exc:
        raise TraceError(f"{p}: 文件头损坏或截断，未能读到第 1 帧 (corrupt or truncated before frame 1: "
                         f"{exc or type(exc).__name__})") from exc

    def frames() -> Iterator[can.Message]:
        n = 0
        try:
            for frame in reader:
                n += 1
                yield frame
        except _READ_ERRORS as exc:
            raise TraceError(f"{p}: 第 {n + 1} 帧处文件损坏或截断 (corrupt or truncated at frame {n + 1}: "
                             f"{exc or type(exc).__name__})") from exc
        finally:
            stop = getattr(reader, "stop", None)
            if callable(stop):
                stop()
        _check_complete(p, reader, n)

    return TraceDecoder(frames())


def _check_complete(path: Path, reader: Iterable[can.Message], frames: int) -> None:
    """A text recording (.log, .asc) ends with a line end; a BLF file states its own size in its header (python-can's ``file_size``, written when the
    logger closes the file); a shorter file was cut off — the reader drops its last container
    silently, so the frames read are not the whole recording."""
    if {".log", ".asc"} & {x.lower() for x in path.suffixes} and path.stat().st_size:
        with path.open("rb") as f:
            f.seek(-1, 2)
            if f.read(1) not in (b"\n", b"\r"):  # a text recording ends with its line end: a cut one does not
                raise TraceError(f"{path}: 记录被截断，最后一行 (第 {frames} 帧前后) 不完整 (truncated: the last line, "
                                 f"after frame {frames}, is cut off; the frames before it were read)")
    declared = getattr(reader, "file_size", None)
    if isinstance(reader, can.BLFReader) and isinstance(declared, int) and declared > 0:
        size = path.stat().st_size
        if size < declared:
            raise TraceError(f"{path}: BLF 文件被截断，第 {frames} 帧后中断：文件头声明 {declared} 字节，实有 {size} 字节 "
                             f"(truncated after frame {frames}: the header states {declared} bytes, the file has "
                             f"{size})")
