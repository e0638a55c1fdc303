"""The persistent status bar at the foot of every page: who is logged in and in which role, the
station chosen, its devices (idle / connected / simulated / faulted, from the engine's events), the
standard or 计量标准装置 due next (amber within the warning days, red once expired), the environment
last read with its limits, the run's elapsed and remaining real time, and the sync state (items
pending, last upload, the error holding the queue).

Why: a technician on a car park works on one page at a time; what decides whether a run may start,
is going well or has reached the platform must stay in view on all of them (issue 14).

Elapsed and remaining (:class:`RunClock`): elapsed is real time spent running, summed over the run's
running spells (bench.status_views ``run_elapsed``, from the audit trail), so a pause does not count
and a resume — even after the window was closed — goes on from where it stopped; remaining is the
plan's real time left (procedures.engine.remaining ``Remaining``, from the run's events), counted
down while the current step runs, never below the planned time of the steps not yet started.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QComboBox, QLabel, QStatusBar, QStyle, QStyleOption, QWidget

from procedures.engine import (
    Event,
    OperatorPrompt,
    ReadingTaken,
    RunFinished,
    RunPaused,
    RunStarted,
    StepFinished,
    StepStarted,
)
from procedures.engine.remaining import Remaining, mmss

ROLE_NAMES = {"verifier": QT_TRANSLATE_NOOP("StatusBar", "检定员"), "checker": QT_TRANSLATE_NOOP("StatusBar", "核验员"),
              "approver": QT_TRANSLATE_NOOP("StatusBar", "批准人"),
              "administrator": QT_TRANSLATE_NOOP("StatusBar", "管理员")}
"""Role key → Chinese name (bench.accounts.ROLES), marked for translation, in the accounts' order."""

STATE_STYLE = {"expired": "background: #b3141c; color: #ffffff;", "due": "background: #f0a500; color: #000000;",
               "fault": "background: #b3141c; color: #ffffff;", "ok": ""}
"""The field's colours by state: red (expired, a fault, out of limits), amber (due), plain otherwise."""

ENV_QUANTITIES = {"temperature_c": ("°C", QT_TRANSLATE_NOOP("StatusBar", "温度")),
                  "humidity_pct": ("%", QT_TRANSLATE_NOOP("StatusBar", "湿度"))}
"""The ambient readings shown (the regulations' environment entries and sensors), with unit and name."""


def _g(value: float) -> str:
    """A limit or reading without trailing zeros."""
    return f"{value:g}"


class RunClock:
    """Elapsed and remaining real time of the run being followed (see the module docstring).

    ``prior(run_id, at)`` gives the seconds the run had already run up to ``at`` (the controller's
    ``run_elapsed``); it is asked at every start or resume, so time run before a pause or in an
    earlier session is counted once. Times come from the events (``ev.at``, UTC), ``now`` from the
    caller, so the clock is exact in tests without waiting."""

    def __init__(self, prior: Callable[[str, datetime], float] | None = None) -> None:
        """A clock following no run yet."""
        self.prior = prior or (lambda _run, _at: 0.0)
        self.run_id: str | None = None
        self.base = 0.0  # seconds run before the current spell
        self.since: datetime | None = None  # the current spell's start (None: not running)
        self.remaining = Remaining()
        self._left_at: tuple[float, datetime] | None = None  # (plan's seconds left, when the events said so)

    def see(self, ev: Event) -> None:
        """Take one engine event into account."""
        if isinstance(ev, RunStarted):
            if ev.run_id != self.run_id:
                self.remaining = Remaining()
            self.run_id = ev.run_id
            self.base = float(self.prior(ev.run_id, ev.at))
            self.since = ev.at
        if ev.run_id != self.run_id:
            return
        self.remaining.see(ev)
        if isinstance(ev, RunPaused | RunFinished) and self.since is not None:
            self.base += max((ev.at - self.since).total_seconds(), 0.0)
            self.since = None
        left = self.remaining.seconds
        self._left_at = None if left is None else (left, ev.at)

    def stop(self, at: datetime) -> None:
        """The run returned without a closing event (its devices failed to open): the spell ends ``at``."""
        if self.since is not None:
            self.base += max((at - self.since).total_seconds(), 0.0)
            self.since = None

    @property
    def running(self) -> bool:
        """True while a spell of the run is open (between its start or resume and a pause or end)."""
        return self.since is not None

    def elapsed(self, now: datetime | None = None) -> float | None:
        """Seconds run so far (None before any run); frozen while paused."""
        if self.run_id is None:
            return None
        if self.since is None:
            return self.base
        return self.base + max(((now or datetime.now(UTC)) - self.since).total_seconds(), 0.0)

    def left(self, now: datetime | None = None) -> float | None:
        """Planned real seconds left (None without a plan): the plan's figure at the last event,
        counted down while running, never below the steps not yet started."""
        if self._left_at is None:
            return None
        left, at = self._left_at
        if self.since is None:
            return left
        r = self.remaining
        floor = sum(s for k, s in r.planned.items() if k not in r.done and k != r.current)
        return max(left - max(((now or datetime.now(UTC)) - at).total_seconds(), 0.0), floor)


class StatusField(QLabel):
    """A status bar field. An ``elides`` field (station, standard due, environment: long names) never
    widens the window: as wide as its text when there is room, elided ("…") when there is not (the
    full text stays in its tooltip); the short fields (person, devices, clock, sync) keep their text."""

    def __init__(self, parent: QWidget, elides: bool) -> None:
        """A field; ``elides`` as above."""
        super().__init__(parent)
        self.elides = elides

    def minimumSizeHint(self) -> QSize:
        """An eliding field: a few characters (the window's width decides); else its whole text."""
        if not self.elides:
            return super().sizeHint()
        return QSize(min(super().sizeHint().width(), 4 * self.fontMetrics().averageCharWidth() + 12),
                     super().minimumSizeHint().height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        """The background of its state (style sheet), then the text elided to the width it has."""
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_Widget, option, painter, self)
        rect = self.contentsRect()
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                         self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width()))


class StatusBar(QStatusBar):
    """The fields (QLabels, each with its object name and the full text as tooltip) and what keeps
    them true: the bridge's events, the run page's station choice, and a refresh of the standards
    and sync fields on a timer, after each run and when asked (:meth:`refresh`)."""

    FIELDS = ("person", "station", "devices", "standard", "environment", "clock", "sync")
    ELIDED = ("station", "standard", "environment")

    def __init__(self, controller: Any, bridge: Any | None = None, parent: QWidget | None = None) -> None:
        """Build the fields over ``controller`` (account, next_standard_due, sync_state, run_elapsed);
        follow ``bridge``'s events when given."""
        super().__init__(parent)
        self.setObjectName("status_bar")
        self.setSizeGripEnabled(False)
        self.controller = controller
        self.labels: dict[str, QLabel] = {}
        for key in self.FIELDS:
            label = StatusField(self, elides=key in self.ELIDED)
            label.setObjectName(f"status_{key}")
            label.setContentsMargins(6, 0, 6, 0)
            self.labels[key] = label
            self.addWidget(label)  # left to right, each as wide as its text
        self.addWidget(QLabel(self), 1)  # the rest of the line stays empty
        self.station_name = ""
        self.simulated = False
        self.device_state = ("idle", "")  # idle | connected | fault, with the fault's message
        self.env: dict[str, tuple[float, float | None, float | None]] = {}  # quantity → (value, low, high)
        self._limits: dict[str, tuple[float | None, float | None]] = {}  # step → the prompt's limits
        self.clock = RunClock(lambda run_id, at: controller.run_elapsed(run_id, at)[0])
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._show_clock)
        self._poll = QTimer(self)
        self._poll.setInterval(30_000)
        self._poll.timeout.connect(self.refresh)
        self._poll.start()
        if bridge is not None:
            bridge.event.connect(self.see)
            bridge.run_done.connect(self._run_done)
        self.refresh()

    # -- inputs -----------------------------------------------------------------------------------
    def follow_station(self, combo: QComboBox) -> None:
        """Show the station chosen in ``combo`` (the run page's; item data: the station file)."""
        combo.currentIndexChanged.connect(lambda _i: self.set_station(combo.currentData(), combo.currentText()))
        self.set_station(combo.currentData(), combo.currentText())

    def set_station(self, path: str | Path | None, name: str = "") -> None:
        """The station in use: its name and whether its devices are simulated (its ``[sim]``)."""
        self.station_name, self.simulated = name, False
        if path:
            from bench.station import load_station

            try:
                station = load_station(Path(path))
                self.station_name, self.simulated = station.name or name, station.sim_enabled
            except Exception:  # a broken station file is the run page's to report
                pass
        self._show_station()
        self._show_devices()

    def see(self, ev: Event) -> None:
        """One engine event: devices, environment and clock follow it."""
        self.clock.see(ev)
        if isinstance(ev, RunStarted):
            self.device_state = ("connected", "")
            self._tick.start()
            self._show_standard()  # the run's preparation may have entered standards (the demo's)
        elif isinstance(ev, RunPaused):
            self.device_state = ("fault", f"{ev.device}: {ev.message}" if ev.device else ev.message)
        elif isinstance(ev, RunFinished) and ev.status != "paused":
            self.device_state = ("idle", "")
        elif isinstance(ev, OperatorPrompt) and ev.kind == "entry":
            self._limits[ev.step_key] = (ev.low, ev.high)
        elif isinstance(ev, ReadingTaken) and ev.quantity in ENV_QUANTITIES:
            low, high = self._limits.get(ev.step_key, (None, None))
            self.env[ev.quantity] = (ev.value, low, high)
            self._show_environment()
        if isinstance(ev, RunStarted | RunPaused | RunFinished):
            self._show_devices()
        if isinstance(ev, RunStarted | RunPaused | RunFinished | StepStarted | StepFinished):
            self._show_clock()
        if not self.clock.running:
            self._tick.stop()

    def _run_done(self, summary: Any) -> None:
        """A run returned: a fault at opening the devices pauses it without an event; then refresh."""
        if getattr(summary, "status", "") == "paused":
            self.device_state = ("fault", str(getattr(summary, "message", "")))
            self._show_devices()
        self.clock.stop(datetime.now(UTC))
        self._tick.stop()
        self.refresh()

    # -- display ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read what the store knows: who is logged in, the standard due next, the sync state."""
        self._show_person()
        self._show_station()
        self._show_devices()
        self._show_standard()
        self._show_environment()
        self._show_clock()
        self._show_sync()

    def _set(self, key: str, text: str, state: str = "ok", tip: str = "") -> None:
        label = self.labels[key]
        label.setText(text)
        label.setToolTip(tip or text)
        label.setAccessibleName(tip or text)
        label.setStyleSheet(f"QLabel {{ {STATE_STYLE[state]} }}" if STATE_STYLE[state] else "")
        label.setProperty("state", state)

    def _show_person(self) -> None:
        account = getattr(self.controller, "account", None)
        if account is None:
            self._set("person", self.tr("{who} (未登录)").format(who=getattr(self.controller, "actor", "")))
            return
        roles = "、".join(self.tr(ROLE_NAMES[r]) for r in ROLE_NAMES if r in account.roles) or "—"
        self._set("person", f"{account.name} ({roles})")

    def _show_station(self) -> None:
        self._set("station", self.tr("工作站: {name}").format(name=self.station_name or "—"))

    def _show_devices(self) -> None:
        state, message = self.device_state
        sim = self.tr(" · 模拟") if self.simulated else ""
        if state == "fault":
            self._set("devices", self.tr("设备故障") + sim, "fault", message)
        elif state == "connected":
            self._set("devices", self.tr("设备已连接") + sim)
        else:
            self._set("devices", self.tr("设备空闲") + sim)

    def _show_standard(self) -> None:
        due = self.controller.next_standard_due()
        if due is None:
            self._set("standard", self.tr("标准器: 未登记"), "due")
            return
        text = self.tr("下一到期: {name} {until}").format(name=due.name, until=due.valid_until.isoformat())
        tip = f"{text} · {due.certificate_no}"
        self._set("standard", text, due.state if due.state in ("expired", "due") else "ok", tip)

    def _show_environment(self) -> None:
        if not self.env:
            self._set("environment", self.tr("环境: 未读取"))
            return
        parts, bad = [], False
        for quantity, (unit, name) in ENV_QUANTITIES.items():
            if quantity not in self.env:
                continue
            value, low, high = self.env[quantity]
            limits = f" ({_g(low)}–{_g(high)})" if low is not None and high is not None else ""
            parts.append(f"{self.tr(name)} {_g(value)} {unit}{limits}")
            bad = bad or (low is not None and value < low) or (high is not None and value > high)
        self._set("environment", " · ".join(parts), "fault" if bad else "ok",
                  self.tr("上次读取的环境条件 (括号内为规程限值)") + "\n" + " · ".join(parts))

    def _show_clock(self) -> None:
        elapsed = self.clock.elapsed()
        if elapsed is None:
            self._set("clock", self.tr("用时 —"))
            return
        text = self.tr("用时 {t}").format(t=mmss(elapsed))
        left = self.clock.left()
        if left is not None:
            text += " · " + self.tr("剩余约 {t}").format(t=mmss(left))
        if not self.clock.running:
            text += self.tr(" (已停)")
        self._set("clock", text)

    def _show_sync(self) -> None:
        st = self.controller.sync_state()
        last = st.last_upload.astimezone().strftime("%m-%d %H:%M") if st.last_upload else "—"
        text = self.tr("同步: 待上传 {n} · 上次 {last}").format(n=st.pending, last=last)
        if st.rejected:
            text += self.tr(" · 退回 {n}").format(n=st.rejected)
        state = "fault" if st.rejected or st.error else "ok"
        self._set("sync", text, state, f"{text}\n{st.error}" if st.error else text)

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.refresh()
        super().changeEvent(event)


def install_status_bar(window: Any, controller: Any, bridge: Any | None) -> StatusBar:
    """Put a :class:`StatusBar` at the foot of ``window`` (a MainWindow), following the run page's
    station and refreshed when the standards page changes something or another page is shown."""
    bar = StatusBar(controller, bridge, window)
    window.setStatusBar(bar)
    keys = window.page_keys()
    run_page = window.page("run") if "run" in keys else None
    if run_page is not None and isinstance(getattr(run_page, "station", None), QComboBox):
        bar.follow_station(run_page.station)
    standards = window.page("standards") if "standards" in keys else None
    if standards is not None and hasattr(standards, "changed"):
        standards.changed.connect(bar.refresh)
    window.page_changed.connect(lambda _key: bar.refresh())
    return bar
