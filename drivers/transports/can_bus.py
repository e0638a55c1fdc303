"""Async CAN link over python-can: the backend (virtual, socketcan, pcan, kvaser, canalystii, slcan …)
comes from python-can configuration, so a station file chooses the adapter and nothing else changes.

python-can quirks stop here (DESIGN.md, "Third-party quirks stop at drivers/"). A caller sees only:

* :class:`~drivers.errors.Disconnected` — the interface cannot be opened (unknown backend, missing
  vendor library, adapter unplugged, interface down), a send fails on a closed/failed bus, or the
  python-can :class:`can.Notifier` that reads the bus has died (its reader thread raised, or, for
  file-descriptor buses such as socketcan, the reader callback raised). A dead Notifier is detected
  on the next :meth:`CanLink.recv` and reported with the python-can error that killed it;
* :class:`~drivers.errors.DeviceTimeout` — the controller could not queue a frame within
  ``send_timeout_s`` (typically: no other node acknowledges, so the TX queue is full — wiring,
  termination or bit rate);
* :class:`~drivers.errors.ProtocolError` — an error frame arrived (bus errors reported by the
  controller: bit rate mismatch, missing termination, faulty wiring).

Reading uses one :class:`can.Notifier` with a :class:`can.AsyncBufferedReader` bound to the running
event loop (protocols.md §D: python-can 4.6.1). With the ``virtual`` interface (the only one
available in CI, protocols.md §D/§G1) the Notifier reads in a thread and hands frames to the loop;
with socketcan it watches the socket's file descriptor from the loop itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import can

from drivers.errors import DeviceTimeout, Disconnected, ProtocolError

LOG = logging.getLogger(__name__)

#: Station-file keys that are not python-can options: CanLink's own and the station's bookkeeping.
#: Every other key of the section goes to ``can.Bus(...)`` as a backend option.
STATION_KEYS = frozenset({"interface", "channel", "bitrate", "send_timeout_s", "notifier_timeout_s",
                          "driver", "roles", "standard", "u95_pct"})


@dataclass
class CanLinkStats:
    """Counters for diagnostics and tests: frames that actually crossed this link."""

    sent: int = 0
    received: int = 0
    error_frames: int = 0


class _Reader(can.AsyncBufferedReader):
    """An :class:`can.AsyncBufferedReader` that also remembers why the Notifier died.

    python-can calls ``on_error`` (on the event loop) when the Notifier's reader raised; the reader
    then wakes a waiting :meth:`CanLink.recv` with a sentinel so the failure is reported at once
    instead of looking like a silent bus.
    """

    def __init__(self) -> None:
        super().__init__()
        self.error: BaseException | None = None
        self.wakeup = can.Message(arbitration_id=0, is_error_frame=True)  # identity-checked sentinel

    def on_error(self, exc: Exception) -> None:
        """Record the fatal python-can error and wake any reader."""
        if self.error is None:
            self.error = exc
        self.buffer.put_nowait(self.wakeup)


class _GuardedNotifier(can.Notifier):
    """A :class:`can.Notifier` whose file-descriptor reader (socketcan & co.) reports its errors.

    In python-can 4.x an exception in the fd callback only reaches the event loop's exception
    handler, and the fd stays registered (an error storm). Here it is recorded as
    ``notifier.exception``, the fd reader is removed and the listeners' ``on_error`` is called —
    the same contract as the thread-based reader. The thread-based reader's exception, which
    python-can re-raises after reporting it through ``on_error``, is logged here instead of
    ending as a bare "Exception in thread" traceback on stderr.
    """

    def _rx_thread(self, bus: can.BusABC) -> None:
        try:
            super()._rx_thread(bus)
        except Exception as exc:  # already recorded as self.exception and passed to on_error
            LOG.warning("python-can Notifier for %s stopped: %s: %s", bus.channel_info, type(exc).__name__, exc)

    def _on_message_available(self, bus: can.BusABC) -> None:
        try:
            super()._on_message_available(bus)
        except Exception as exc:
            self.exception = exc
            loop = self._loop
            with contextlib.suppress(Exception):
                if loop is not None:
                    loop.remove_reader(bus.fileno())
            self._on_error(exc)


class CanLink:
    """One CAN channel, opened through python-can configuration (``interface``, ``channel``,
    ``bitrate`` and any backend-specific keyword such as ``serial``/``device``/``can_filters``).

    Frames are sent with 29-bit extended identifiers by default (GB/T 27930 uses J1939-style IDs,
    protocols.md §B1). :meth:`recv` awaits the next frame with a deadline and returns ``None`` when
    the bus stays quiet — silence is a protocol matter the caller judges (e.g. a GB/T 27930 timeout).
    """

    def __init__(
        self,
        name: str,
        *,
        interface: str = "virtual",
        channel: Any = "jianding",
        bitrate: int = 250_000,
        send_timeout_s: float = 0.05,
        notifier_timeout_s: float = 0.1,
        **kwargs: Any,
    ) -> None:
        self.name = name
        self.interface = interface
        self.channel = channel
        self.bitrate = bitrate
        self.send_timeout_s = send_timeout_s
        self.notifier_timeout_s = notifier_timeout_s
        self.bus_kwargs: dict[str, Any] = dict(kwargs)
        self.stats = CanLinkStats()
        self._bus: can.BusABC | None = None
        self._notifier: can.Notifier | None = None
        self._reader: _Reader | None = None
        self._fd_mode = False

    # ---- configuration -----------------------------------------------------------------------

    @classmethod
    def from_config(cls, name: str, cfg: Mapping[str, Any]) -> CanLink:
        """Build from a station-file section, e.g. ``{"interface": "socketcan", "channel": "can0",
        "bitrate": 250000}``; keys CanLink does not know are passed on to ``can.Bus`` (python-can's
        backend options: ``serial`` for kvaser/pcan, ``device`` for canalystii, ``tty_baudrate``
        for slcan …). Station bookkeeping keys (``driver``, ``roles``, ``standard``, ``u95_pct``) are
        ignored; a device driver strips its own keys before calling this."""
        kwargs = {k: v for k, v in cfg.items() if k not in STATION_KEYS}
        return cls(
            name,
            interface=str(cfg.get("interface", "virtual")),
            channel=cfg.get("channel", "jianding"),
            bitrate=int(cfg.get("bitrate", 250_000)),
            send_timeout_s=float(cfg.get("send_timeout_s", 0.05)),
            notifier_timeout_s=float(cfg.get("notifier_timeout_s", 0.1)),
            **kwargs,
        )

    def describe(self) -> str:
        """Human-readable endpoint: ``socketcan can0 @ 250 kbit/s``."""
        return f"{self.interface} {self.channel} @ {self.bitrate / 1000:g} kbit/s"

    def _hint(self) -> str:
        if self.interface == "socketcan":
            return (f"is the interface up? (sudo ip link set {self.channel} up type can bitrate {self.bitrate})"
                    " — see docs/can-adapters.md")
        if self.interface == "virtual":
            return "virtual bus (in-process only)"
        return f"check the {self.interface} adapter, its driver/library and the channel — see docs/can-adapters.md"

    # ---- life cycle ----------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """The bus is open and its Notifier alive."""
        return self._bus is not None and self._dead_reason() is None

    async def connect(self) -> None:
        """Open the bus and start a Notifier feeding an AsyncBufferedReader on the running loop.

        Raises :class:`Disconnected` with the python-can reason and a hint when the backend cannot
        be opened. Idempotent while connected; reconnects after :meth:`close` or a dead Notifier.
        """
        if self._bus is not None:
            if self._dead_reason() is None:
                return
            await self.close()
        loop = asyncio.get_running_loop()
        try:
            bus = await asyncio.to_thread(
                can.Bus, channel=self.channel, interface=self.interface, bitrate=self.bitrate, **self.bus_kwargs
            )
        except (can.CanError, OSError, ImportError, ValueError, TypeError) as exc:
            raise Disconnected(
                self.name, f"cannot open CAN {self.describe()}: {exc} — {self._hint()}"
            ) from exc
        fd = -1
        with contextlib.suppress(NotImplementedError, can.CanError, OSError):
            fd = bus.fileno()
        reader = _Reader()
        try:
            notifier = _GuardedNotifier(bus, [reader], timeout=self.notifier_timeout_s, loop=loop)
        except Exception as exc:
            with contextlib.suppress(Exception):
                bus.shutdown()
            raise Disconnected(self.name, f"cannot start the python-can Notifier on {self.describe()}: {exc}") from exc
        self._bus, self._notifier, self._reader, self._fd_mode = bus, notifier, reader, fd >= 0
        LOG.debug("%s: CAN %s open", self.name, self.describe())

    async def close(self) -> None:
        """Stop the Notifier and shut the bus down; idempotent, never raises."""
        bus, notifier = self._bus, self._notifier
        self._bus, self._notifier = None, None
        if notifier is not None:
            try:
                if self._fd_mode:
                    notifier.stop(timeout=0)  # fd readers must be removed on the loop's thread
                else:
                    await asyncio.to_thread(notifier.stop, self.notifier_timeout_s * 5 + 0.5)
            except Exception as exc:
                LOG.debug("%s: stopping the Notifier: %s", self.name, exc)
        if bus is not None:
            try:
                bus.shutdown()
            except Exception as exc:
                LOG.debug("%s: bus shutdown: %s", self.name, exc)

    # ---- I/O -----------------------------------------------------------------------------------

    def _dead_reason(self) -> BaseException | None:
        reader, notifier = self._reader, self._notifier
        if reader is not None and reader.error is not None:
            return reader.error
        if notifier is not None and notifier.exception is not None:
            return notifier.exception
        return None

    def _require_open(self) -> tuple[can.BusABC, _Reader]:
        if self._bus is None or self._reader is None:
            raise Disconnected(self.name, f"CAN {self.describe()} is not open (connect() first, or it was closed)")
        dead = self._dead_reason()
        if dead is not None:
            raise Disconnected(
                self.name,
                f"CAN {self.describe()}: the python-can Notifier reading the bus has stopped "
                f"({type(dead).__name__}: {dead}) — adapter unplugged or interface down? {self._hint()}",
            )
        return self._bus, self._reader

    def send(self, arbitration_id: int, data: bytes, *, extended: bool = True) -> None:
        """Queue one frame (29-bit ID by default). A CAN send is a hand-off to the controller's
        TX queue, so this is a plain call; it waits at most ``send_timeout_s`` for queue space."""
        bus, _ = self._require_open()
        msg = can.Message(arbitration_id=arbitration_id, data=bytes(data), is_extended_id=extended)
        try:
            bus.send(msg, timeout=self.send_timeout_s)
        except can.CanTimeoutError as exc:
            raise DeviceTimeout(
                self.name,
                f"CAN {self.describe()}: frame {arbitration_id:08X} not sent within {self.send_timeout_s} s "
                f"(TX queue full: no node acknowledges? check wiring, termination and bit rate) — {exc}",
            ) from exc
        except (can.CanError, OSError) as exc:
            raise Disconnected(self.name, f"CAN {self.describe()}: send failed: {exc} — {self._hint()}") from exc
        self.stats.sent += 1

    async def recv(self, timeout_s: float) -> can.Message | None:
        """The next frame within ``timeout_s`` seconds, or ``None`` if the bus stayed quiet.

        Raises :class:`Disconnected` if the link is closed or its Notifier has died, and
        :class:`ProtocolError` for an error frame (the frame is consumed; reading may continue).
        """
        _, reader = self._require_open()
        try:
            async with asyncio.timeout(max(timeout_s, 0.0)):
                msg = await reader.get_message()
        except TimeoutError:
            self._require_open()  # a Notifier that died quietly is reported, not taken for silence
            return None
        if msg is reader.wakeup:
            self._require_open()
            raise Disconnected(self.name, f"CAN {self.describe()}: the python-can Notifier stopped")
        if msg.is_error_frame:
            self.stats.error_frames += 1
            raise ProtocolError(
                self.name,
                f"CAN error frame on {self.describe()} (bus errors: bit rate mismatch, missing 120 Ω "
                f"termination or faulty wiring?) id={msg.arbitration_id:08X} data={bytes(msg.data).hex()}",
            )
        self.stats.received += 1
        return msg


def from_config(name: str, cfg: Mapping[str, Any]) -> CanLink:
    """Module-level alias of :meth:`CanLink.from_config` (the factory's calling convention)."""
    return CanLink.from_config(name, cfg)
