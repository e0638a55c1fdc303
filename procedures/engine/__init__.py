"""Procedure engine: declared steps, an asyncio executor with deadlines, guaranteed teardown,
cooperative abort, immutable events on a thread-safe bus, and resume from the last persisted step."""

from procedures.engine.bus import EventBus, Subscription
from procedures.engine.context import ConditionNotMet, Operator, PersistedState, RunVoided, StepContext
from procedures.engine.events import (
    Event,
    LiveValues,
    MeasurementRecorded,
    OperatorAnswered,
    OperatorPrompt,
    Progress,
    ReadingTaken,
    RunFinished,
    RunPaused,
    RunStarted,
    RunWarning,
    StepFinished,
    StepStarted,
)
from procedures.engine.executor import Executor, RunAborted, RunOutcome
from procedures.engine.steps import (
    ChecklistStep,
    EntryStep,
    EntryValue,
    Measurement,
    MeasureStep,
    Procedure,
    Step,
    StepOutcome,
)
from procedures.engine.text import Text, bilingual, pick

__all__ = [
    "ChecklistStep",
    "ConditionNotMet",
    "EntryStep",
    "EntryValue",
    "Event",
    "EventBus",
    "Executor",
    "LiveValues",
    "MeasureStep",
    "Measurement",
    "MeasurementRecorded",
    "Operator",
    "OperatorAnswered",
    "OperatorPrompt",
    "PersistedState",
    "Procedure",
    "Progress",
    "ReadingTaken",
    "RunAborted",
    "RunFinished",
    "RunOutcome",
    "RunPaused",
    "RunStarted",
    "RunVoided",
    "RunWarning",
    "Step",
    "StepContext",
    "StepFinished",
    "StepOutcome",
    "StepStarted",
    "Subscription",
    "Text",
    "bilingual",
    "pick",
]
