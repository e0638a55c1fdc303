"""The event bus: sinks synchronous and ordered, queues across threads, a failing sink stops the publisher."""

import threading

import pytest

from procedures.engine import EventBus, Progress


def _ev(i: int) -> Progress:
    return Progress(run_id="r", step_key="s", fraction=i / 10, message=str(i))


def test_sinks_see_events_in_order_before_publish_returns() -> None:
    bus = EventBus()
    seen: list[str] = []
    bus.add_sink(lambda e: seen.append(e.message))
    for i in range(5):
        bus.publish(_ev(i))
        assert seen[-1] == str(i)
    assert seen == ["0", "1", "2", "3", "4"]


def test_queue_subscribers_receive_from_many_threads() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    threads = [threading.Thread(target=lambda k=k: [bus.publish(_ev(k)) for _ in range(100)]) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = sub.drain()
    assert len(got) == 400
    sub.close()
    bus.publish(_ev(1))
    assert sub.drain() == []


def test_failing_sink_propagates_so_no_reading_is_silently_lost() -> None:
    bus = EventBus()

    def broken(_e: object) -> None:
        raise OSError("disk full")

    bus.add_sink(broken)
    with pytest.raises(OSError, match="disk full"):
        bus.publish(_ev(0))


def test_events_are_immutable() -> None:
    ev = _ev(3)
    with pytest.raises(AttributeError):
        ev.message = "changed"  # type: ignore[misc]
