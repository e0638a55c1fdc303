"""What every serial/Modbus twin shares: the line faults it injects on demand, serving a
request/reply protocol on a serial device, and the way its console entry point runs
(``python -m hardware_sim <twin> …``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tty
from argparse import ArgumentParser, Namespace
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from hardware_sim.ref_meter import PtyLink


@dataclass
class WireFaults:
    """Line faults a twin injects on demand; change the fields at any time while it serves.

    ``silent``: answer nothing and apply no write (device unplugged / hung).
    ``garbage_replies``: corrupt the next k replies, as ``garbage_kind`` says (:data:`GARBAGE_KINDS`:
    ``crc`` a wrong checksum, ``truncated`` the first half of the frame only, ``length`` one byte
    lost mid-frame, ``noise`` line noise of the frame's length).
    ``latency_s``: delay every reply by this long (slow gateway, overloaded device).
    ``disconnected``: the cable is cut — nothing goes either way (a TCP twin closes the connection
    of every request it gets).
    """

    silent: bool = False
    garbage_replies: int = 0
    latency_s: float = 0.0
    garbage_kind: str = "crc"
    disconnected: bool = False

    def take_garbage(self) -> bool:
        """Consume one pending garbage reply; True if this reply must be corrupted."""
        if self.garbage_replies > 0:
            self.garbage_replies -= 1
            return True
        return False


GARBAGE_KINDS = ("crc", "truncated", "length", "noise")
"""What a garbled reply can look like on any line (``WireFaults.garbage_kind``)."""


def broken_frame(raw: bytes, kind: str) -> bytes:
    """``raw`` as a broken line delivers it: ``truncated`` (the first half only: the receiver waits
    for the rest), ``length`` (one byte lost mid-frame: every length and checksum is off), ``noise``
    (bytes of the frame's length that mean nothing); ``crc`` is each protocol's own (its checksum
    flipped) and is not handled here."""
    if kind == "truncated":
        return raw[: max(1, len(raw) // 2)]
    if kind == "length":
        mid = len(raw) // 2
        return raw[:mid] + raw[mid + 1:]
    if kind == "noise":
        return bytes((b * 73 + 41 + i) & 0xFF for i, b in enumerate(raw))
    raise ValueError(f"unknown garbage kind {kind!r} (one of {', '.join(GARBAGE_KINDS)})")


@dataclass
class WireStats:
    """What a twin did on the wire (requests seen, replies sent, replies corrupted), for tests and
    the console; each twin's stats extend it with its own counters."""

    requests: int = 0
    replies: int = 0
    garbled: int = 0


class SerialLineServer:
    """Serving a request/reply protocol on a serial device, shared by the serial twins: open the
    device raw and non-blocking, hand what arrives to :meth:`_on_bytes`, and send replies through
    :meth:`_send`, which applies the line faults (garbage, latency) and buffers what the device
    cannot take yet.

    A subclass sets ``faults`` (a :class:`WireFaults`) and ``stats`` (a :class:`WireStats`), calls
    ``SerialLineServer.__init__`` and implements :meth:`_on_bytes` (parse, count, answer) and
    :meth:`_garble` (what a corrupted reply of its protocol looks like).
    """

    faults: WireFaults
    stats: WireStats

    def __init__(self) -> None:
        self._fd = -1
        self._out = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, device_path: str) -> None:
        """Answer on a serial device (e.g. ``PtyLink.path_a``) on the running loop until :meth:`stop`."""
        self._loop = asyncio.get_running_loop()
        fd = os.open(device_path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        with contextlib.suppress(OSError):
            tty.setraw(fd)
        self._fd = fd
        self._loop.add_reader(fd, self._on_readable)

    def _on_readable(self) -> None:
        try:
            data = os.read(self._fd, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # EIO: the other end of the cable is gone
            return
        if self.faults.disconnected:  # a cut cable: the request never arrives
            return
        self._on_bytes(data)

    def _on_bytes(self, data: bytes) -> None:
        """Take bytes read from the line: parse requests and answer them with :meth:`_send`."""
        raise NotImplementedError

    def _garble(self, raw: bytes) -> bytes:
        """The reply ``raw`` with its protocol's checksum wrong (``garbage_kind = "crc"``)."""
        raise NotImplementedError

    def _send(self, raw: bytes) -> None:
        if self.faults.take_garbage():
            kind = self.faults.garbage_kind
            raw = self._garble(raw) if kind == "crc" else broken_frame(raw, kind)
            self.stats.garbled += 1
        self.stats.replies += 1
        if self.faults.latency_s > 0 and self._loop is not None:
            self._loop.call_later(self.faults.latency_s, self._write, raw)
        else:
            self._write(raw)

    def _write(self, raw: bytes) -> None:
        if self._fd < 0 or self._loop is None or self.faults.disconnected:
            return
        self._out += raw
        self._flush()

    def _flush(self) -> None:
        assert self._loop is not None
        try:
            n = os.write(self._fd, self._out) if self._out else 0
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError:
            self._out.clear()
            n = 0
        del self._out[:n]
        if self._out:
            self._loop.add_writer(self._fd, self._flush)
        else:
            self._loop.remove_writer(self._fd)

    async def stop(self) -> None:
        """Stop answering and close the device; idempotent."""
        if self._fd >= 0:
            if self._loop is not None:
                self._loop.remove_reader(self._fd)
                self._loop.remove_writer(self._fd)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1


class _Stoppable(Protocol):
    async def stop(self) -> None: ...


class TwinConsole:
    """The scaffolding of a twin's console run (``python -m hardware_sim <twin>``), as an async
    context: SIGTERM ends :meth:`wait` like Ctrl-C ends the run, and on the way out — normal or
    not — the twin is stopped and the virtual cable, if one was opened, is closed.

    ``async with TwinConsole(twin) as console:`` then serve, print, ``await console.wait()``.
    """

    def __init__(self, twin: _Stoppable) -> None:
        self.twin = twin
        self.link: PtyLink | None = None
        self._stop = asyncio.Event()
        self._faults: Any = None

    def start_faults(self, twin: object, options: Sequence[str] | None) -> None:
        """Schedule the ``--fault`` options (hardware_sim/faults.py) on ``twin``; each fault is
        printed when it starts and ends. A wrong option raises ``ValueError`` before anything runs."""
        from hardware_sim.faults import FaultScheduler, parse_fault_option

        scheduler = FaultScheduler(log=lambda text: print(text, flush=True))
        for option in options or ():
            scheduler.add(twin, parse_fault_option(option))
        self._faults = scheduler.start()

    async def __aenter__(self) -> TwinConsole:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self._stop.set)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._faults is not None:
            await self._faults.stop()
        await self.twin.stop()
        if self.link is not None:
            self.link.close()

    async def open_pty(self) -> PtyLink:
        """Open a virtual null-modem cable (closed on exit) for a twin given no serial device:
        the twin serves ``path_a``, the printed ``path_b`` is the end a driver opens."""
        from hardware_sim.ref_meter import PtyLink  # pymodbus is loaded only by the twins that use it

        self.link = await PtyLink().open()
        return self.link

    async def wait(self) -> None:
        """Wait until SIGTERM (Ctrl-C cancels the run through ``asyncio.run``)."""
        await self._stop.wait()


def add_fault_option(parser: ArgumentParser) -> None:
    """The ``--fault`` option every twin's command line has (hardware_sim/faults.py)."""
    from hardware_sim.faults import FAULT_HELP

    parser.add_argument("--fault", action="append", default=[], metavar="NAME[=VALUE][,after_requests=N]…",
                        help=FAULT_HELP)


def run_twin_main(
    name: str,
    argv: Sequence[str] | None,
    parse_args: Callable[[list[str]], Namespace],
    run: Callable[[Namespace], Coroutine[Any, Any, None]],
    errors: tuple[type[BaseException], ...] = (OSError, ValueError),
) -> int:
    """Run one twin until Ctrl-C/SIGTERM, accepting argv with or without a leading ``name``;
    a start-up error (port taken, bad device path, bad option value) is one line on stderr, exit 1."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in and args_in[0] == name:
        args_in = args_in[1:]
    args = parse_args(args_in)
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        pass
    except errors as exc:
        print(f"{name} twin: {exc}", file=sys.stderr)
        return 1
    return 0
