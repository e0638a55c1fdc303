"""The bridge between the engine and Qt: the engine runs `Controller.execute` on its own asyncio
loop in a worker thread; bus events cross to the GUI thread as queued Qt signals; operator prompts
become signals and the operator's answers resolve futures back on the engine loop.

Why: the GUI thread must never block on a measurement (DESIGN.md "Threads"), and the engine must
never touch a widget. The only shared objects are immutable events (read from a bus subscription
on a pump thread) and futures resolved with `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from bench.controller import Controller, RunRequest, RunSummary
from procedures.engine import (
    Event,
    MeasurementRecorded,
    OperatorPrompt,
    Progress,
    ReadingTaken,
    RunAborted,
    RunFinished,
    RunPaused,
    RunStarted,
    RunWarning,
    StepFinished,
    StepStarted,
)


class GuiOperator:
    """The engine's `Operator` for the GUI: each prompt is handed to the bridge (a Qt signal) and
    awaited as a future the GUI resolves with `EngineBridge.answer`; an abort fails it at once."""

    def __init__(self, bridge: EngineBridge) -> None:
        """Bind to `bridge`, which owns the engine loop and the pending prompts."""
        self._bridge = bridge

    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        """Ask the GUI to confirm `prompt.items`; point → confirmed."""
        answer = await self._bridge._ask(prompt)
        return {p: bool(answer.get(p)) for p in prompt.items}

    async def entry(self, prompt: OperatorPrompt) -> str:
        """Ask the GUI for a value (text as typed, with or without unit); the engine validates it."""
        return str(await self._bridge._ask(prompt))

    async def choice(self, prompt: OperatorPrompt) -> str:
        """Ask the GUI to choose one of `prompt.items` (the button pressed)."""
        return str(await self._bridge._ask(prompt))


class EngineBridge(QObject):
    """Owns the engine thread and turns the controller's bus into Qt signals.

    Signals are emitted from the pump or engine thread; Qt queues them to receivers in the GUI
    thread (automatic connection across threads), so slots always run on the GUI thread.
    """

    event = Signal(object)  # every bus event, in order
    run_started = Signal(object)  # RunStarted
    step_started = Signal(object)  # StepStarted
    step_finished = Signal(object)  # StepFinished
    progress = Signal(object)  # Progress
    reading = Signal(object)  # ReadingTaken
    measurement = Signal(object)  # MeasurementRecorded
    paused = Signal(object)  # RunPaused
    warning = Signal(object)  # RunWarning (e.g. an unsecured OCPP link), shown for the whole run
    finished = Signal(object)  # RunFinished (status finished | aborted | paused)
    prompt = Signal(object)  # OperatorPrompt the operator must answer (after the bus event)
    prompt_closed = Signal(str)  # prompt_id answered or cancelled
    run_done = Signal(object)  # RunSummary once execute (and issue, if asked) returned
    run_failed = Signal(str)  # an error outside the procedure (store, station): message for the operator
    busy_changed = Signal(bool)

    _TYPED: tuple[tuple[type[Event], str], ...] = (
        (RunStarted, "run_started"), (StepStarted, "step_started"), (StepFinished, "step_finished"),
        (Progress, "progress"), (ReadingTaken, "reading"), (MeasurementRecorded, "measurement"),
        (RunPaused, "paused"), (RunFinished, "finished"), (RunWarning, "warning"),
    )

    def __init__(self, controller: Controller, parent: QObject | None = None) -> None:
        """Start the engine loop thread and the event pump for `controller`'s bus."""
        super().__init__(parent)
        self.controller = controller
        self.operator = GuiOperator(self)
        self._loop = asyncio.new_event_loop()
        self._engine = threading.Thread(target=self._loop.run_forever, name="jianding-engine", daemon=True)
        self._engine.start()
        self._sub = controller.bus.subscribe()
        self._stop = threading.Event()
        self._pump = threading.Thread(target=self._pump_loop, name="jianding-gui-pump", daemon=True)
        self._pump.start()
        self._pending: dict[str, tuple[OperatorPrompt, asyncio.Future[Any]]] = {}
        self._job: Future[Any] | None = None
        self._aborting = threading.Event()  # set by abort(): prompts asked afterwards fail at once
        self.last_summary: RunSummary | None = None

    # -- state ----------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """True while a run executes on the engine thread."""
        return self._job is not None and not self._job.done()

    def pending_prompts(self) -> list[OperatorPrompt]:
        """Prompts the engine is waiting on now (normally zero or one)."""
        return [p for p, _ in list(self._pending.values())]

    # -- commands (GUI thread) ----------------------------------------------------------------------
    def prepare(self, req: RunRequest) -> str:
        """Create a run through the controller (ledger, standards and parameters checked)."""
        return self.controller.prepare(req)

    def start(self, run_id: str, *, issue: Callable[[Controller, str], Any] | None = None) -> None:
        """Execute (or resume) `run_id` on the engine thread; `run_done` carries the summary.

        `issue`, when given, is called on the engine thread after a finished run with the
        controller and run id (the demo's check-approve-issue through the controller's facade);
        when it returns {certificate number: issued PDF}, the summary the GUI receives points at
        the issued documents instead of the drafts.
        """
        if self.busy:
            raise RuntimeError("检定进行中 (a run is in progress)")

        async def job() -> RunSummary:
            summary = await self.controller.execute(run_id, self.operator)
            if issue is not None and summary.status == "finished":
                issued = await asyncio.to_thread(issue, self.controller, run_id)
                if isinstance(issued, dict):  # certificate number → issued PDF (drafts are replaced)
                    _point_at_issued(summary, issued)
            return summary

        self._aborting.clear()
        self.busy_changed.emit(True)
        self._job = asyncio.run_coroutine_threadsafe(job(), self._loop)
        self._job.add_done_callback(self._job_done)

    def answer(self, prompt_id: str, answer: Any) -> None:
        """Resolve the engine's pending prompt `prompt_id` with the operator's `answer`."""
        pending = self._pending.pop(prompt_id, None)
        if pending is None:
            return
        _, fut = pending
        self._loop.call_soon_threadsafe(_settle, fut, answer, None)
        self.prompt_closed.emit(prompt_id)

    def abort(self) -> None:
        """Stop the run: the controller's abort flag (checked at least every 0.1 s by the engine)
        and every pending prompt failed with RunAborted, so a run waiting on the operator stops too."""
        self._aborting.set()
        self.controller.abort()
        for prompt_id, (_, fut) in list(self._pending.items()):
            self._pending.pop(prompt_id, None)
            self._loop.call_soon_threadsafe(_settle, fut, None, RunAborted("操作员中止 (aborted by operator)"))
            self.prompt_closed.emit(prompt_id)

    def wait(self, timeout: float | None = None) -> RunSummary | None:
        """Block until the current run ends (tests and shutdown only; never from a slot)."""
        if self._job is None:
            return self.last_summary
        return self._job.result(timeout)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Abort any run, stop the pump and the engine loop (the window closes); idempotent."""
        if self._loop.is_closed():
            return
        if self.busy:
            self.abort()
            try:
                self.wait(timeout)
            except Exception:  # the run's own error is reported by run_failed; closing goes on
                pass
        self._stop.set()
        self._pump.join(timeout)
        self._sub.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._engine.join(timeout)
        if not self._loop.is_running():
            self._loop.close()

    # -- engine side ----------------------------------------------------------------------------------
    async def _ask(self, prompt: OperatorPrompt) -> Any:
        """Engine thread: register a future for `prompt`, tell the GUI, and wait for the answer."""
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[prompt.prompt_id] = (prompt, fut)
        # registered first, checked second: an abort racing this prompt either sees it pending
        # (and fails it) or has already set the flag seen here
        if self._aborting.is_set():
            self._pending.pop(prompt.prompt_id, None)
            raise RunAborted("操作员中止 (aborted by operator)")
        self.prompt.emit(prompt)
        return await fut

    def _job_done(self, job: Future[Any]) -> None:
        """Engine thread: the run ended; hand its summary (or its error) to the GUI."""
        try:
            summary = job.result()
        except Exception as e:
            self.busy_changed.emit(False)
            self.run_failed.emit(f"{type(e).__name__}: {e}")
            return
        self.last_summary = summary
        self.busy_changed.emit(False)
        self.run_done.emit(summary)

    def _pump_loop(self) -> None:
        """Pump thread: forward every bus event as Qt signals (queued to the GUI thread)."""
        while not self._stop.is_set():
            ev = self._sub.get(timeout=0.1)
            if ev is None:
                continue
            self.event.emit(ev)
            for cls, name in self._TYPED:
                if isinstance(ev, cls):
                    getattr(self, name).emit(ev)
                    break


def _point_at_issued(summary: RunSummary, issued: dict[str, Path]) -> None:
    """Make `summary` name the issued PDFs of its certificates (as the CLI's demo does)."""
    if summary.record is not None and summary.record.certificate_no in issued:
        summary.document = issued[summary.record.certificate_no]
    summary.positions = [dataclasses.replace(p, document=issued.get(p.certificate_no, p.document))
                         for p in summary.positions]


def _settle(fut: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    """Engine loop: complete `fut` unless it is already done (an answer racing an abort)."""
    if fut.done():
        return
    if error is not None:
        fut.set_exception(error)
    else:
        fut.set_result(result)
