"""Immutable events a run emits. Every subscriber (store writer, CLI progress, GUI bridge, sync)
sees the same frozen objects; nothing downstream can change what was measured.

Every text for the operator (a step's title, a prompt, its points and options, a refusal, progress,
a fault, a warning) is a bilingual :class:`~procedures.engine.text.Text`: an event's ``TEXTS`` name
those fields, and a plain string given to one is read into its two languages when the event is made
(:func:`~procedures.engine.text.bilingual`), so a display picks the operator's language and the
console prints the Chinese-first form it always printed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from procedures.engine.text import Text, bilingual
from procedures.records import MeasurementResult, Verdict


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of all run events: which run, and when (UTC)."""

    run_id: str
    at: datetime = field(default_factory=_now)
    TEXTS: ClassVar[tuple[str, ...]] = ()  # fields holding operator text (a Text, or a tuple of them)

    def __post_init__(self) -> None:
        """Make every operator text of the event a bilingual ``Text``."""
        for name in self.TEXTS:
            value = getattr(self, name)
            texts = tuple(bilingual(v) for v in value) if isinstance(value, tuple) else bilingual(value)
            object.__setattr__(self, name, texts)


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    """A run began (or resumed: ``resumed`` is then true and ``completed_steps`` lists what is kept)."""

    procedure: str
    total_steps: int
    resumed: bool = False
    completed_steps: tuple[str, ...] = ()
    planned_s: dict[str, float] = field(default_factory=dict)  # step → minimum real seconds (the plan)


@dataclass(frozen=True, kw_only=True)
class RunWarning(Event):
    """Something the operator must see before every run (or resumption) and that is kept in the
    run's notes (the audit trail), e.g. a real charger verified over an unsecured OCPP link
    (security profile 0). ``source`` names the device or setting it is about."""

    message: Text
    source: str = ""
    TEXTS = ("message",)


@dataclass(frozen=True, kw_only=True)
class StepStarted(Event):
    """A step began."""

    step_key: str
    title: Text
    index: int
    total: int
    TEXTS = ("title",)


@dataclass(frozen=True, kw_only=True)
class ReadingTaken(Event):
    """One raw reading, exactly as the instrument or operator gave it. Persisted before the step
    goes on, so a crash after this event loses nothing."""

    step_key: str
    key: str
    quantity: str
    value: float
    unit: str
    source: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class OperatorPrompt(Event):
    """The procedure needs the operator: a checklist to confirm, a value to enter or one of
    ``items`` to choose (e.g. measure again or void the run)."""

    step_key: str
    prompt_id: str
    kind: str  # "checklist" | "entry" | "choice" (one of ``items``)
    text: Text
    items: tuple[Text, ...] = ()
    unit: str = ""
    low: float | None = None
    high: float | None = None
    error: Text = ""  # type: ignore[assignment]  # (made a Text) why the previous answer was refused, shown to the operator
    # a value read over the instrument's protocol, for the operator to confirm against its display
    # (an empty answer confirms it) or to overwrite with what the display shows
    suggested: str = ""
    # a reading tied to an instant of the time standard (e.g. the charger's displayed time when the
    # standard shows 10:31:20): answers given before it are refused; UIs show a countdown to it
    mark_time: datetime | None = None
    TEXTS = ("text", "items", "error")


@dataclass(frozen=True, kw_only=True)
class OperatorAnswered(Event):
    """What the operator answered (kept in the raw record like any reading)."""

    step_key: str
    prompt_id: str
    answer: Any


@dataclass(frozen=True, kw_only=True)
class Progress(Event):
    """Progress within a long step (0..1) with a short message for the display."""

    step_key: str
    fraction: float
    message: Text
    TEXTS = ("message",)


@dataclass(frozen=True, kw_only=True)
class LiveValues(Event):
    """What a measurement shows while it runs, for the display only: the standard's and the
    instrument's instantaneous quantities (U, I, P, pulses so far, volume and flow), the test point
    they belong to with its MPE, and, once a repetition is done, its error. Not a raw reading and
    never persisted: a result rests on :class:`ReadingTaken` alone; this lets a live panel show a
    gate that is still counting and draw the point's ±MPE band before the point is judged.

    ``values``: term (as in ``procedures/regulations/data/readings.toml``) → (value, stored unit);
    ``error`` and ``mpe`` share ``unit`` (the result's unit, % for an error of indication)."""

    step_key: str
    point: str = ""
    values: dict[str, tuple[float, str]] = field(default_factory=dict)
    error: float | None = None
    mpe: float | None = None
    unit: str = "%"
    position: int | None = None


@dataclass(frozen=True, kw_only=True)
class MeasurementRecorded(Event):
    """A measurement's result at one test point, rounded and judged."""

    step_key: str
    item: str
    result: MeasurementResult


@dataclass(frozen=True, kw_only=True)
class StepFinished(Event):
    """A step completed; ``outcome`` is its JSON-ready result, persisted as the resume point."""

    step_key: str
    item: str
    verdict: Verdict
    outcome: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class RunPaused(Event):
    """The run stopped on a fault and can be resumed; ``message`` is for the operator."""

    step_key: str
    message: Text
    device: str | None = None
    TEXTS = ("message",)


@dataclass(frozen=True, kw_only=True)
class RunFinished(Event):
    """The run ended: ``status`` is finished, aborted, paused or void (无效: a test condition not
    met, ``message`` says which)."""

    status: str
    conclusion: str | None = None
    message: Text = ""  # type: ignore[assignment]  # made a Text by __post_init__
    TEXTS = ("message",)
