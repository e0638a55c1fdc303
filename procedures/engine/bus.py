"""A thread-safe event bus.

Two kinds of subscriber: *sinks*, called synchronously in publish order under the bus lock (the
store writer is one, so a reading is on disk before the procedure takes the next), and *queues*,
for consumers on other threads (CLI display, GUI bridge) that must never slow a measurement.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from procedures.engine.events import Event

Sink = Callable[[Event], None]


class Subscription:
    """A queue of events for a consumer on another thread; ``close()`` detaches it."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self.queue: queue.Queue[Event] = queue.Queue()

    def get(self, timeout: float | None = None) -> Event | None:
        """Next event, or None after ``timeout`` seconds."""
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self) -> list[Event]:
        """All events waiting now."""
        out: list[Event] = []
        while True:
            try:
                out.append(self.queue.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        """Stop receiving events."""
        self._bus._remove(self)


class EventBus:
    """Publish immutable events to sinks (synchronous, ordered) and queues (asynchronous)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._sinks: list[Sink] = []
        self._subs: list[Subscription] = []

    def add_sink(self, sink: Sink) -> None:
        """Call ``sink(event)`` for every event, in the publisher's thread, before publish returns.
        A sink that raises stops the publisher: losing a reading is worse than stopping a run."""
        with self._lock:
            self._sinks.append(sink)

    def remove_sink(self, sink: Sink) -> None:
        """Stop calling ``sink`` (a sink that watches one run, removed when the run ends)."""
        with self._lock:
            if sink in self._sinks:
                self._sinks.remove(sink)

    def subscribe(self) -> Subscription:
        """A new queue subscription."""
        sub = Subscription(self)
        with self._lock:
            self._subs.append(sub)
        return sub

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to every sink, then every queue."""
        with self._lock:
            for sink in self._sinks:
                sink(event)
            for sub in self._subs:
                sub.queue.put(event)
