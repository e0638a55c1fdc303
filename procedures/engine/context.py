"""What a step sees while it runs: devices by role, the operator, deadlines, abort, progress,
and the readings persisted before an interruption (so a resumed step does not measure twice)."""

from __future__ import annotations

import asyncio
import inspect
import threading
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from drivers.errors import DeviceTimeout
from drivers.link_health import link_health
from procedures.engine.bus import EventBus
from procedures.engine.entry import TIME_OF_DAY, EntryRejected, parse_entry, parse_time_of_day
from procedures.engine.events import (
    Event,
    LiveValues,
    MeasurementRecorded,
    OperatorAnswered,
    OperatorPrompt,
    Progress,
    ReadingTaken,
)
from procedures.engine.steps import EntryValue, StepOutcome
from procedures.engine.text import Text, bilingual, pick
from procedures.records import MeasurementResult

T = TypeVar("T")


def attempt_key(base: str, attempt: int) -> str:
    """The key of ``base`` in attempt ``attempt``: ``base``, then ``base@2``, ``base@3`` … (one form for
    every repeated measurement, whether a condition was not met or an interrupted run is taken again)."""
    return base if attempt == 1 else f"{base}{ATTEMPT_SEP}{attempt}"


def _system_time() -> datetime:
    """The system clock, UTC."""
    return datetime.now(UTC)


class RunAborted(Exception):
    """The operator (or a controller) asked the run to stop."""


class RunVoided(Exception):
    """The run is 无效 (void): a test condition was not met and will not be measured again (the
    operator chose so, the attempts ran out, or the condition cannot be repeated away, e.g. a
    standard whose uncertainty is too large for the MPE). A void run ends without a record, a
    certificate or a notice; its raw readings stay on disk with the reason."""


class ConditionNotMet(Exception):
    """Raised by a step: a test condition of the step as a whole was not met (e.g. a result in the
    JJF 1094 undetermined zone, a flow outside its window for the whole point). The executor keeps
    the reason on disk, asks the operator to measure the step again or void the run, and re-runs
    the step under a fresh attempt (readings of the failed attempt stay on disk, prefixed)."""


class Operator(Protocol):
    """The person at the workstation, as the engine sees them (console, GUI or an automatic demo)."""

    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        """Confirm each point of ``prompt.items``: point → confirmed."""
        ...

    async def entry(self, prompt: OperatorPrompt) -> str:
        """Type a value (with or without unit) for ``prompt``."""
        ...

    async def choice(self, prompt: OperatorPrompt) -> str:
        """Choose one of ``prompt.items`` (e.g. repeat the measurement or void the run); the item."""
        ...


@dataclass(frozen=True)
class StoredReading:
    """A raw reading already on disk, as the store gives it back for resume."""

    step_key: str
    key: str
    quantity: str
    value: float
    unit: str
    source: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class PersistedState:
    """What an interrupted run left on disk: finished steps' outcomes and every raw reading."""

    completed: dict[str, dict[str, Any]] = field(default_factory=dict)
    readings: list[StoredReading] = field(default_factory=list)

    def readings_for(self, step_key: str) -> dict[str, StoredReading]:
        """Readings of one step keyed by reading key."""
        return {r.key: r for r in self.readings if r.step_key == step_key}


MAX_ENTRY_ATTEMPTS = 5
MAX_CONDITION_ATTEMPTS = 3
"""Attempts of one measurement whose test condition was not met before the run is voided
(configurable per procedure through ``params["max_condition_attempts"]``)."""

REPEAT = Text("重新测量", "measure again")
VOID = Text("本次检定无效", "void this run")
ATTEMPT_SEP = "@"

ResourceFns = tuple[Callable[["StepContext"], Awaitable[None]], Callable[["StepContext"], Awaitable[None]]]


class StepContext:
    """Services for steps. One per run; ``step_key`` follows the step being executed."""

    def __init__(
        self, run_id: str, bus: EventBus, devices: Mapping[str, Any], operator: Operator,
        params: Mapping[str, Any], persisted: PersistedState | None = None,
        abort_flag: threading.Event | None = None,
    ) -> None:
        self.run_id = run_id
        self.bus = bus
        self.devices = devices
        self.operator = operator
        self.params = params
        self.persisted = persisted or PersistedState()
        self.abort_flag = abort_flag or threading.Event()
        self.step_key = ""
        self.state: dict[str, Any] = {}  # session state shared by steps (not persisted)
        self.outcomes: dict[str, StepOutcome] = {}  # finished steps, including those of earlier attempts
        self._resources: dict[str, ResourceFns] = {}
        self._active: list[str] = []
        self._watches: dict[str, Callable[[], Awaitable[Any]]] = {}
        self.clock: Callable[[], datetime] = _system_time
        """The workstation's time standard (the system clock, NTP/GNSS disciplined, unless the
        station names another): what clock readings are compared with."""
        self._prefix = ""  # reading-key prefix of a repeated step attempt ("@2:"), "" on the first
        self._marks: dict[tuple[str, str], int] = {}  # (step, base) → conditions not met so far

    # -- events ---------------------------------------------------------------------------------
    def publish(self, event: Event) -> None:
        """Publish an event on the run's bus."""
        self.bus.publish(event)

    def progress(self, fraction: float, message: str) -> None:
        """Tell the display how far the current step is (``message`` a :class:`Text` in both
        languages; the console prints its Chinese, as a progress line always printed)."""
        text = bilingual(message)
        self.publish(Progress(run_id=self.run_id, step_key=self.step_key, fraction=max(0.0, min(1.0, fraction)),
                              message=Text(text.zh, text.en, console=text.zh)))

    def live(self, point: str, values: Mapping[str, tuple[float, str]] | None = None, *,
             error: float | None = None, mpe: float | None = None, unit: str = "%",
             position: int | None = None) -> None:
        """Show the display what the measurement of ``point`` reads now (``values``: term →
        (value, stored unit)) and, when known, one repetition's ``error`` against the point's
        ``mpe`` (:class:`LiveValues`; for the display only, never persisted)."""
        self.publish(LiveValues(run_id=self.run_id, step_key=self.step_key, point=point,
                                values=dict(values or {}), error=error, mpe=mpe, unit=unit, position=position))

    def record(self, item: str, result: MeasurementResult) -> None:
        """Publish a judged measurement result."""
        self.publish(MeasurementRecorded(run_id=self.run_id, step_key=self.step_key, item=item, result=result))

    # -- devices --------------------------------------------------------------------------------
    def device(self, role: str) -> Any:
        """The device bench injected for ``role``; a clear error when the station lacks it."""
        try:
            return self.devices[role]
        except KeyError:
            raise LookupError(f"工作站未配置设备角色 “{role}” (station has no device for role {role!r})") from None

    def give_up(self, device: str, why: str) -> None:
        """The run pauses because ``device`` failed: its link fails every further request at
        once (``drivers.link_health``), so the teardown does not retry a dead device and the
        operator hears of the pause one deadline later, not one per teardown command."""
        for dev in {id(d): d for d in self.devices.values()}.values():
            health = link_health(dev)
            if health is not None and getattr(dev, "name", None) == device:
                health.give_up(why)

    async def io(self, awaitable: Awaitable[T], timeout_s: float, device: str, what: str) -> T:
        """Await device I/O with a deadline (a backstop beside the driver's own, which reports
        silence, lateness or instability itself). The backstop cannot tell which of them kept the
        call from completing, so its message says only that it did not complete in time."""
        if self.abort_flag.is_set() and inspect.iscoroutine(awaitable):
            awaitable.close()  # never started: no "coroutine was never awaited" on an abort
        self.check_abort()
        try:
            return await asyncio.wait_for(awaitable, timeout_s)
        except TimeoutError:
            raise DeviceTimeout(device, f"{what}: {timeout_s:g} s 内未完成 (did not complete within {timeout_s:g} s)") from None

    # -- abort ----------------------------------------------------------------------------------
    def check_abort(self) -> None:
        """Raise ``RunAborted`` if an abort was requested."""
        if self.abort_flag.is_set():
            raise RunAborted("操作员中止 (aborted by operator)")

    # -- link health --------------------------------------------------------------------------
    def watch(self, name: str, check: Callable[[], Awaitable[Any]] | None) -> None:
        """Register (or with None, remove) a health check of a link that must stay alive while the
        procedure waits on something else — e.g. the charger's CCS during a DC pulse gate."""
        if check is None:
            self._watches.pop(name, None)
        else:
            self._watches[name] = check

    async def health(self) -> None:
        """Run every registered health check; the first failure raises (a ``DeviceError``)."""
        for check in list(self._watches.values()):
            await check()

    async def sleep(self, seconds: float) -> None:
        """Sleep, waking every 0.1 s to honour an abort."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while True:
            self.check_abort()
            left = end - loop.time()
            if left <= 0:
                return
            await asyncio.sleep(min(0.1, left))

    # -- readings -------------------------------------------------------------------------------
    def prior(self, key: str) -> StoredReading | None:
        """A reading of the current step (of its current attempt) already persisted before an
        interruption."""
        return self.persisted.readings_for(self.step_key).get(self._prefix + key)

    def reading(self, key: str, quantity: str, value: float, unit: str, source: str,
                **extra: Any) -> float:
        """Publish (and so persist) a raw reading; returns the value. In a repeated attempt of the
        step the key carries the attempt's prefix (``@2:gate_1``), so earlier attempts stay apart."""
        self.publish(ReadingTaken(run_id=self.run_id, step_key=self.step_key, key=self._prefix + key,
                                  quantity=quantity, value=float(value), unit=unit, source=source, extra=extra))
        return float(value)

    def constant(self, key: str, quantity: str, value: float, unit: str, source: str, **extra: Any) -> float:
        """Persist, once, a value a formula of this step uses that is not measured — a constant from
        the nameplate or ledger, the station file or the regulation table (the DUT's imp/kWh, a can's
        nominal volume, an expansion coefficient) — as a raw reading, so that the original record
        holds every input of the error and anyone can recompute it from the record alone (JJF 1069:
        the record keeps what the result was computed from). On resume, or when the step runs again,
        the value already on disk is kept and returned."""
        old = self.prior(key)
        if old is not None:
            return old.value
        return self.reading(key, quantity, value, unit, source, **extra)

    async def reading_once(self, key: str, take: Callable[[], Awaitable[StoredReading]]) -> StoredReading:
        """Return the persisted reading ``key`` of this step if an earlier attempt took it;
        otherwise take it now and persist it. This is what makes resume keep old readings."""
        old = self.prior(key)
        if old is not None:
            return old
        r = await take()
        self.reading(r.key, r.quantity, r.value, r.unit, r.source, **r.extra)
        return r

    # -- operator -------------------------------------------------------------------------------
    async def ask_checklist(self, title: str, points: Sequence[str]) -> dict[str, bool]:
        """Ask the operator to confirm a checklist; each answer is kept as a raw reading."""
        old = {p: self.prior(f"check:{p}") for p in points}
        if points and all(r is not None for r in old.values()):
            return {p: bool(r.value) for p, r in old.items() if r is not None}
        prompt = OperatorPrompt(run_id=self.run_id, step_key=self.step_key, prompt_id=uuid.uuid4().hex[:8],
                                kind="checklist", text=title, items=tuple(points))
        self.publish(prompt)
        answers = await self.operator.checklist(prompt)
        self.check_abort()
        self.publish(OperatorAnswered(run_id=self.run_id, step_key=self.step_key, prompt_id=prompt.prompt_id,
                                      answer=dict(answers)))
        for p in points:
            self.reading(f"check:{p}", "checklist", 1.0 if answers.get(p) else 0.0, "", "operator", point=p)
        return {p: bool(answers.get(p)) for p in points}

    async def ask_entry(self, key: str, text: str, unit: str, low: float | None, high: float | None, *,
                        suggested: float | None = None, suggested_from: str = "") -> EntryValue:
        """Ask for a number in ``unit`` within [low, high]; refuse and re-ask with the reason.

        With ``suggested`` (a value read over the instrument's protocol, ``suggested_from`` naming
        it) the operator confirms it against the display by an empty answer, or types what the
        display shows; either way the reading is what the operator saw, and its ``extra`` keeps the
        protocol value and whether it was confirmed (the indication comes from the display, the
        protocol is a second source)."""
        old = self.prior(key)
        if old is not None:
            return EntryValue(old.value, old.unit, str(old.extra.get("text", old.value)))
        shown = "" if suggested is None else f"{suggested:g}"
        error = ""
        for _ in range(MAX_ENTRY_ATTEMPTS):
            prompt = OperatorPrompt(run_id=self.run_id, step_key=self.step_key, prompt_id=uuid.uuid4().hex[:8],
                                    kind="entry", text=text, unit=unit, low=low, high=high, error=error,
                                    suggested=shown)
            self.publish(prompt)
            answer = await self.operator.entry(prompt)
            self.check_abort()
            self.publish(OperatorAnswered(run_id=self.run_id, step_key=self.step_key,
                                          prompt_id=prompt.prompt_id, answer=answer))
            confirmed = bool(shown) and not str(answer).strip()
            try:
                value = parse_entry(shown if confirmed else answer, unit, low, high)
            except EntryRejected as e:
                error = e.reason
                continue
            extra: dict[str, Any] = {"text": answer}
            if suggested is not None:
                extra.update(protocol_value=suggested, protocol_source=suggested_from, confirmed=confirmed)
            self.reading(key, key, value, unit, "operator", **extra)
            return EntryValue(value, unit, shown if confirmed else answer)
        raise RunAborted(f"{text}: 连续 {MAX_ENTRY_ATTEMPTS} 次输入无效 ({error})")

    async def ask_time(self, key: str, text: str, mark: datetime) -> tuple[datetime, datetime]:
        """Ask for the time of day a display shows at the instant ``mark`` of the time standard
        (``mark`` aware, in the zone the display is read in). An answer given before ``mark`` is
        refused (the reading would not be the display at ``mark``), as is one that is not a time.
        The raw reading is the displayed time minus ``mark`` in seconds, with the text as typed.
        Returns (displayed, mark) — on resume those of the reading already on disk."""
        old = self.prior(key)
        if old is not None:
            return datetime.fromisoformat(str(old.extra["displayed"])), datetime.fromisoformat(str(old.extra["mark"]))
        error = ""
        for _ in range(MAX_ENTRY_ATTEMPTS):
            prompt = OperatorPrompt(run_id=self.run_id, step_key=self.step_key, prompt_id=uuid.uuid4().hex[:8],
                                    kind="entry", text=text, unit=TIME_OF_DAY, error=error, mark_time=mark)
            self.publish(prompt)
            answer = await self.operator.entry(prompt)
            self.check_abort()
            answered_at = self.clock()
            self.publish(OperatorAnswered(run_id=self.run_id, step_key=self.step_key,
                                          prompt_id=prompt.prompt_id, answer=answer))
            if answered_at < mark:
                error = Text(f"标准时刻 {mark:%H:%M:%S} 未到，请在该时刻读取显示后再输入",
                             f"answered before the marked standard time {mark:%H:%M:%S}: read the display at that "
                             "instant")
                continue
            try:
                shown = parse_time_of_day(str(answer), mark)
            except EntryRejected as e:
                error = e.reason
                continue
            self.reading(key, "displayed_time", (shown - mark).total_seconds(), "s", "operator",
                         text=answer, mark=mark.isoformat(), displayed=shown.isoformat())
            return shown, mark
        raise RunAborted(f"{text}: 连续 {MAX_ENTRY_ATTEMPTS} 次输入无效 ({error})")

    async def ask_choice(self, text: str, options: Sequence[str]) -> str:
        """Ask the operator to choose one of ``options``; the answer is kept on the bus like any
        answer. An answer that is not one of the options is asked again."""
        for _ in range(MAX_ENTRY_ATTEMPTS):
            prompt = OperatorPrompt(run_id=self.run_id, step_key=self.step_key, prompt_id=uuid.uuid4().hex[:8],
                                    kind="choice", text=text, items=tuple(options))
            self.publish(prompt)
            answer = await self.operator.choice(prompt)
            self.check_abort()
            self.publish(OperatorAnswered(run_id=self.run_id, step_key=self.step_key,
                                          prompt_id=prompt.prompt_id, answer=answer))
            if answer in options:
                return answer
        raise RunAborted(f"{text}: 连续 {MAX_ENTRY_ATTEMPTS} 次未选择有效选项 (no valid choice)")

    # -- test conditions (repeat the measurement or void the run) -------------------------------
    def attempt(self, base: str = "") -> int:
        """Which attempt of the sub-measurement ``base`` of the current step this is (1 first;
        one more after each condition not met, counted from what is on disk and what happened
        since). ``base`` "" is the step as a whole."""
        mark = self._mark(base)
        k = (self.step_key, mark)
        if k not in self._marks:
            self._marks[k] = sum(1 for r in self.persisted.readings
                                 if r.step_key == self.step_key and r.key.startswith(mark))
        return self._marks[k] + 1

    def _mark(self, base: str) -> str:
        """The key root of the condition marks of ``base``: a sub-measurement's marks belong to the
        step's current attempt (its prefix), the step's own marks to the step."""
        return f"condition:{self._prefix if base else ''}{base}{ATTEMPT_SEP}"

    def attempt_key(self, base: str) -> str:
        """The reading key of the current attempt of ``base``: ``base`` on the first attempt, then
        ``base@2``, ``base@3`` … — so a repeated measurement never re-uses the invalid one."""
        return attempt_key(base, self.attempt(base))

    async def condition_not_met(self, base: str, reason: str) -> None:
        """A test condition of the sub-measurement ``base`` (``""``: the step as a whole) was not
        met. The reason is kept on disk as a raw reading (``condition:<base>@<attempt>``), then the
        operator chooses: measure again (this returns; take it under the new
        :meth:`attempt_key`) or void the run (raises :class:`RunVoided`). After
        ``max_condition_attempts`` attempts (default :data:`MAX_CONDITION_ATTEMPTS`) the run is
        void without asking. The measurement taken under the condition not met never reaches a
        result: JJF 1069 / the regulations' test conditions are preconditions of a valid reading."""
        n = self.attempt(base)
        limit = int(self.params.get("max_condition_attempts", MAX_CONDITION_ATTEMPTS))
        what = f"{base} " if base else ""
        mark = self._mark(base)
        self.publish(ReadingTaken(run_id=self.run_id, step_key=self.step_key, key=f"{mark}{n}",
                                  quantity="condition_not_met", value=float(n), unit="", source="engine",
                                  extra={"reason": reason, "base": base}))
        self._marks[(self.step_key, mark)] = n
        if n >= limit:
            raise RunVoided(Text(f"{what}检定条件连续 {n} 次不满足，本次检定无效: {pick(reason, 'zh')}",
                                 f"{what}test condition not met in {n} attempts; the run is void: {pick(reason, 'en')}",
                                 console=f"{what}检定条件连续 {n} 次不满足，本次检定无效 (test condition not met in {n} "
                                         f"attempts; the run is void): {reason}"))
        choice = await self.ask_choice(Text(f"检定条件不满足: {pick(reason, 'zh')}",
                                            f"test condition not met: {pick(reason, 'en')}",
                                            console=f"检定条件不满足 (test condition not met): {reason}"), (REPEAT, VOID))
        if choice == VOID:
            raise RunVoided(Text(f"操作员判定本次检定无效: {pick(reason, 'zh')}",
                                 f"voided by the operator: {pick(reason, 'en')}",
                                 console=f"操作员判定本次检定无效 (voided by the operator): {reason}"))

    def begin_attempt(self) -> None:
        """Start (or resume) the current attempt of the step as a whole: readings of a repeated
        attempt are kept under the prefix ``@<n>:``."""
        n = self.attempt("")
        self._prefix = "" if n == 1 else f"{ATTEMPT_SEP}{n}:"

    # -- resources ------------------------------------------------------------------------------
    def register_resources(self, resources: Mapping[str, ResourceFns]) -> None:
        """Declare the procedure's session resources."""
        self._resources.update(resources)

    async def ensure(self, name: str) -> None:
        """Set up resource ``name`` once (idempotent); it will be torn down at the end of the run."""
        if name in self._active:
            return
        setup, _ = self._resources[name]
        await setup(self)
        self._active.append(name)

    async def release(self, name: str) -> None:
        """Tear resource ``name`` down now (when set up), e.g. to end a charging session before a
        new one; a later ``ensure`` sets it up again."""
        if name not in self._active:
            return
        _, teardown = self._resources[name]
        await teardown(self)
        self._active.remove(name)

    async def teardown_all(self, on_error: Callable[[str, BaseException], None]) -> None:
        """Tear down active resources in reverse order; errors are reported, never raised."""
        while self._active:
            name = self._active.pop()
            _, teardown = self._resources[name]
            try:
                await asyncio.wait_for(teardown(self), 15.0)
            except (Exception, asyncio.CancelledError) as e:  # teardown must go on
                on_error(name, e)
