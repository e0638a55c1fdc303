"""Declared steps (OpenHTF habit: a measurement is declared with its unit, limits and rounding
before anything is measured) and the procedure a regulation module assembles from them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from procedures.engine.text import Text, bilingual
from procedures.records import MeasurementResult, Verdict

if TYPE_CHECKING:
    from procedures.engine.context import StepContext


@dataclass(frozen=True)
class Measurement:
    """A declared measurement: what is measured, in which unit, against which limit, rounded how.

    ``mpe`` is the symmetric maximum permissible error (same unit); ``low``/``high`` are one-sided
    limits for quantities that are not errors; ``rounding_interval`` is the regulation's 修约间隔
    as a string so it stays exact (e.g. "0.1").
    """

    name: str
    unit: str
    mpe: float | None = None
    low: float | None = None
    high: float | None = None
    rounding_interval: str | None = None
    clause: str = ""


@dataclass(frozen=True)
class EntryValue:
    """A validated operator entry, in the unit the prompt asked for."""

    value: float
    unit: str
    text: str

    @property
    def text_value(self) -> str:
        """The value as exact decimal text (repr of the float), for Decimal arithmetic."""
        return repr(self.value)


@dataclass(frozen=True)
class StepOutcome:
    """What a step produced: its verdict, any judged measurement results, and free data
    (JSON-ready) that later steps or the record need. Persisted as the resume point."""

    verdict: Verdict
    results: tuple[MeasurementResult, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "verdict": self.verdict.value,
            "results": [
                {**r.__dict__, "verdict": r.verdict.value, "values": list(r.values)} for r in self.results
            ],
            "data": self.data,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StepOutcome:
        """Inverse of :meth:`to_dict`."""
        return cls(
            verdict=Verdict(d["verdict"]),
            results=tuple(
                MeasurementResult(**{**r, "verdict": Verdict(r["verdict"]), "values": tuple(r["values"])})
                for r in d.get("results", [])
            ),
            data=dict(d.get("data", {})),
            note=d.get("note", ""),
        )


class Step(ABC):
    """One step of a procedure. ``item`` groups steps into a verification item (检定项目)."""

    def __init__(self, key: str, title: str, item: str, title_en: str = "") -> None:
        self.key = key
        self.title = title
        self.title_en = title_en
        self.item = item

    @property
    def title_text(self) -> Text:
        """The title in both languages (``title_en`` when the module gave one, else the title read
        by the house convention "中文 (English)")."""
        return Text(self.title, self.title_en) if self.title_en else bilingual(self.title)

    @abstractmethod
    async def run(self, ctx: StepContext) -> StepOutcome:
        """Execute the step; raise a ``DeviceError`` to pause the run, ``RunAborted`` to stop it."""


class ChecklistStep(Step):
    """The operator confirms each point of a checklist (e.g. 外观及功能检查); any point not
    confirmed fails the item and is named in the note."""

    def __init__(self, key: str, title: str, item: str, points: Sequence[str], title_en: str = "") -> None:
        super().__init__(key, title, item, title_en)
        self.points = tuple(points)

    async def run(self, ctx: StepContext) -> StepOutcome:
        """Ask the operator; the verdict is pass only when every point is confirmed."""
        answers = await ctx.ask_checklist(self.title_text, self.points)
        failed = [p for p in self.points if not answers.get(p, False)]
        return StepOutcome(
            verdict=Verdict.FAIL if failed else Verdict.PASS,
            data={"checklist": answers},
            note=("不符合: " + "；".join(failed)) if failed else "",
        )


class EntryStep(Step):
    """The operator enters one value with a unit; the engine refuses a wrong unit or an
    out-of-range value with the reason and asks again."""

    def __init__(
        self, key: str, title: str, item: str, *, prompt: str, unit: str, low: float, high: float,
        data_key: str, title_en: str = "",
    ) -> None:
        super().__init__(key, title, item, title_en)
        self.prompt = prompt
        self.unit = unit
        self.low = low
        self.high = high
        self.data_key = data_key

    async def run(self, ctx: StepContext) -> StepOutcome:
        """Ask, validate, keep the value."""
        entry = await ctx.ask_entry(self.data_key, self.prompt, self.unit, self.low, self.high)
        return StepOutcome(verdict=Verdict.NOT_APPLICABLE, data={self.data_key: entry.value})


class MeasureStep(Step):
    """A step whose body is a coroutine supplied by the regulation module, with its measurements
    declared up front."""

    def __init__(
        self, key: str, title: str, item: str, measurements: Sequence[Measurement],
        body: Callable[[StepContext, MeasureStep], Awaitable[StepOutcome]], *, title_en: str = "",
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(key, title, item, title_en)
        self.measurements = tuple(measurements)
        self.body = body
        self.params = dict(params or {})

    async def run(self, ctx: StepContext) -> StepOutcome:
        """Run the body."""
        return await self.body(ctx, self)


class Procedure(Protocol):
    """What a regulation module hands the executor."""

    code: str
    steps: Sequence[Step]

    def resources(self) -> dict[str, tuple[Callable[[StepContext], Awaitable[None]],
                                            Callable[[StepContext], Awaitable[None]]]]:
        """Named session resources (e.g. "charging") as (set-up, teardown) coroutine pairs; a step
        calls ``ctx.ensure(name)`` and the executor tears down whatever was set up, always."""
        ...
