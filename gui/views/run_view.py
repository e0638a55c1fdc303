"""The run view: choose a station, the regulation's edition and verification type (as its table
offers them, through bench.catalog), scan the instrument's serial, link the platform booking (task)
the run serves (from the task page's 检定此任务), start, follow the steps with
their progress and the live panel (gui/views/live_panel.py), answer the engine's prompts (checklist, numeric
entry with unit and the engine's validation message), abort, and resume an interrupted run.

Why: this is where the technician spends the run; it must work with gloves (large targets,
Enter/Escape, mnemonics) and never block — every command goes to the bridge, which runs the
engine on its own thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from bench.catalog import purpose_choices, regulation_choices, regulations
from bench.controller import Controller, RunRequest
from bench.station import Station, StationError
from gui.bridge import EngineBridge
from gui.texts import result_line, shown, words
from gui.views.live_panel import LivePanel
from gui.views.prompt_panel import BarcodeLineEdit, PromptPanel
from gui.views.touch import MIN_TOUCH_PX, big_font, touch_button
from procedures.engine import (
    MeasurementRecorded,
    OperatorPrompt,
    Progress,
    RunFinished,
    RunPaused,
    RunStarted,
    RunWarning,
    StepFinished,
    StepStarted,
)
from procedures.engine.remaining import Remaining, mmss

LIVE_MIN_PX = 150  # the live panel (steps | readings) never gets less height than this


class RunView(QWidget):
    """Start, follow, answer, abort and resume runs; everything goes through the bridge."""

    refused = Signal(object)  # the exception a run was refused with at preparation (the standards page offers itself)

    def __init__(self, controller: Controller, bridge: EngineBridge, *, stations: dict[str, Path] | None = None,
                 sim: bool = False, prepare_station: Callable[[Path], Station] | None = None,
                 issue: Callable[[Controller, str], Any] | None = None, parent: QWidget | None = None) -> None:
        """`stations`: name → station file offered; `prepare_station` loads one (the app seeds the
        demo standards in --sim mode); `issue` runs after a finished run (the demo's check-approve-issue
        as the station's people, `issue_as_station_people`; None on a real station)."""
        super().__init__(parent)
        self.controller = controller
        self.bridge = bridge
        self.sim = sim
        self.stations = dict(stations or {})
        self.prepare_station = prepare_station or _load_station
        self.issue = issue  # None: drafts stay for the approval page (a real station)
        self.run_id: str | None = None
        self.task_id: str | None = None  # the platform booking the next run serves (linked on the task page)
        self.next_adjustment: tuple[str, str] | None = None  # (failed run, note): 调整后重新检定 (next_actions.py)
        self._run_task: str | None = None  # the booking of the run in progress
        self.interrupted: list[tuple[str, str, str, str]] = []
        self._steps: dict[str, QListWidgetItem] = {}
        self._step_titles: dict[str, str] = {}  # step key → its bilingual title (procedures.engine.Text)
        self._step_marks: dict[str, str] = {}  # step key → "▶ [2/9]" while running, its verdict once done
        self._step_notes: dict[str, str] = {}  # step key → the positions it failed or faulted (benches)
        self._warnings: list[tuple[QListWidgetItem, RunWarning]] = []
        # how the status line and the progress bar are worded now: re-rendered on a language switch
        self._status_fn: Callable[[], str] | None = None
        self._progress_fn: Callable[[], str] | None = None
        self._remaining = Remaining()  # the planned real time left, from the run's events
        self._build()
        self._wire()
        self.retranslate()
        self._station_changed()

    # -- layout -----------------------------------------------------------------------------------
    def _build(self) -> None:
        """Start form on top; steps | readings in the middle; prompt and controls below."""
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        self.start_box = QGroupBox(self)
        box_lay = QVBoxLayout(self.start_box)
        box_lay.setContentsMargins(6, 4, 6, 4)
        # the form's fields fold away while a run executes (they are locked then): the run's live
        # panel and prompts get the room on a 768-px-high laptop; the buttons stay
        self.start_fields = QWidget(self.start_box)
        self.start_fields.setObjectName("start_fields")
        form = QFormLayout(self.start_fields)
        form.setContentsMargins(0, 0, 0, 0)
        self.station = QComboBox(self.start_box)
        self.station.setObjectName("station")
        self.station.setMinimumHeight(MIN_TOUCH_PX)
        for name, path in self.stations.items():
            self.station.addItem(name, str(path))
        self.regulation = QComboBox(self.start_box)
        self.regulation.setObjectName("regulation")
        self.regulation.setMinimumHeight(MIN_TOUCH_PX)
        for code in regulations():
            self.regulation.addItem(code, code)
        # edition and verification type: refilled from the regulation's table (bench.catalog)
        self.edition = QComboBox(self.start_box)
        self.edition.setObjectName("edition")
        self.edition.setMinimumHeight(MIN_TOUCH_PX)
        self.vtype = QComboBox(self.start_box)
        self.vtype.setObjectName("verification_type")
        self.vtype.setMinimumHeight(MIN_TOUCH_PX)
        self.serial = BarcodeLineEdit(self.start_box)
        self.serial.setObjectName("serial")
        self.serial.setMinimumHeight(MIN_TOUCH_PX)
        big_font(self.serial, 16)
        # why the run is made (bench/purposes.toml): the bureaus' tables count verifications by it
        self.purpose = QComboBox(self.start_box)
        self.purpose.setObjectName("purpose")
        self.purpose.setMinimumHeight(MIN_TOUCH_PX)
        self.purpose_label = QLabel(self.start_box)
        self.purpose_label.setBuddy(self.purpose)
        # the platform booking (task) the run serves, linked from the task page
        self.task_row = QWidget(self.start_box)
        tr_lay = QHBoxLayout(self.task_row)
        tr_lay.setContentsMargins(0, 0, 0, 0)
        self.task_info = QLabel(self.task_row)
        self.task_info.setObjectName("task_info")
        self.task_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.clear_task_btn = touch_button(self.task_row)
        self.clear_task_btn.setObjectName("clear_task")
        tr_lay.addWidget(self.task_info, 1)
        tr_lay.addWidget(self.clear_task_btn)
        (self.station_label, self.regulation_label, self.edition_label, self.vtype_label, self.serial_label,
         self.task_label) = (QLabel(self.start_box) for _ in range(6))
        self.station_label.setBuddy(self.station)
        self.regulation_label.setBuddy(self.regulation)
        self.edition_label.setBuddy(self.edition)
        self.vtype_label.setBuddy(self.vtype)
        self.serial_label.setBuddy(self.serial)
        self.task_label.setBuddy(self.clear_task_btn)
        form.addRow(self.station_label, self.station)
        # regulation, edition and type on one row: the readings below keep their room
        reg_row = QHBoxLayout()
        reg_row.addWidget(self.regulation, 1)
        reg_row.addSpacing(12)
        reg_row.addWidget(self.edition_label)
        reg_row.addWidget(self.edition, 1)
        reg_row.addSpacing(12)
        reg_row.addWidget(self.vtype_label)
        reg_row.addWidget(self.vtype, 1)
        form.addRow(self.regulation_label, reg_row)
        serial_row = QHBoxLayout()
        serial_row.addWidget(self.serial, 3)
        serial_row.addSpacing(12)
        serial_row.addWidget(self.purpose_label)
        serial_row.addWidget(self.purpose, 1)
        form.addRow(self.serial_label, serial_row)
        form.addRow(self.task_label, self.task_row)
        buttons = QHBoxLayout()
        self.start_btn = touch_button(self.start_box)
        self.start_btn.setObjectName("start")
        self.resume_btn = touch_button(self.start_box)
        self.resume_btn.setObjectName("resume")
        self.abort_btn = touch_button(self.start_box)
        self.abort_btn.setObjectName("abort")
        self.abort_btn.setStyleSheet("QPushButton { background: #b00020; color: white; font-weight: bold; }"
                                     "QPushButton:disabled { background: #ccc; color: #666; }")
        self.abort_btn.setEnabled(False)
        buttons.addWidget(self.start_btn)
        buttons.addWidget(self.resume_btn)
        buttons.addStretch(1)
        buttons.addWidget(self.abort_btn)
        box_lay.addWidget(self.start_fields)
        box_lay.addLayout(buttons)
        for combo in (self.station, self.regulation, self.edition, self.vtype, self.purpose):
            _shrinkable(combo)
        outer.addWidget(self.start_box)

        self.status = QLabel(self)
        self.status.setObjectName("run_status")
        self.status.setWordWrap(True)
        big_font(self.status, 14)
        outer.addWidget(self.status)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("progress")
        self.progress.setRange(0, 1000)
        self.progress.setMinimumHeight(28)
        outer.addWidget(self.progress)

        # live (steps | readings) above, the prompt below, in a splitter the operator may drag; each
        # new prompt gets the room it needs (up to what leaves the live panel usable), an idle one a line
        self.body = QSplitter(Qt.Orientation.Vertical, self)
        self.body.setObjectName("run_body")
        self.body.setChildrenCollapsible(False)
        split = QSplitter(Qt.Orientation.Horizontal, self.body)
        split.setChildrenCollapsible(False)
        self.live_split = split
        self.steps = QListWidget(split)
        self.steps.setObjectName("steps")
        self.steps.setStyleSheet("QListWidget::item { min-height: 36px; }")
        self.steps.setMinimumWidth(160)
        self.live = LivePanel(split)
        split.addWidget(self.steps)
        split.addWidget(self.live)
        split.setStretchFactor(1, 2)
        split.setMinimumHeight(LIVE_MIN_PX)
        self.body.addWidget(split)

        self.prompt_box = QGroupBox(self.body)
        pl = QVBoxLayout(self.prompt_box)
        pl.setContentsMargins(6, 4, 6, 4)
        self.prompts = PromptPanel(self.prompt_box)
        pl.addWidget(self.prompts)
        self.body.addWidget(self.prompt_box)
        self.body.setStretchFactor(0, 1)
        self.body.setStretchFactor(1, 0)
        outer.addWidget(self.body, 1)
        # re-divided once the new prompt is laid out (its wrapped text's height is known then)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_prompt)
        self.prompts.shown.connect(self._fit_timer.start)
        self.setTabOrder(self.station, self.regulation)
        self.setTabOrder(self.regulation, self.edition)
        self.setTabOrder(self.edition, self.vtype)
        self.setTabOrder(self.vtype, self.serial)
        self.setTabOrder(self.serial, self.purpose)
        self.setTabOrder(self.purpose, self.clear_task_btn)
        self.setTabOrder(self.clear_task_btn, self.start_btn)
        self.setTabOrder(self.start_btn, self.resume_btn)
        self.setTabOrder(self.resume_btn, self.abort_btn)

    def _fit_prompt(self) -> None:
        """Give the prompt shown the height it asks for, as far as the live panel keeps
        `LIVE_MIN_PX`. Idle, an entry and a choice share one steady height (that of an entry with a
        two-line question) while a run executes, so the live panel does not jump at every prompt; a
        longer question or a checklist gets more, and gives it back when answered. Between runs the
        idle prompt takes one line."""
        total = sum(self.body.sizes())
        if total <= 0:
            return
        chrome = max(self.prompt_box.sizeHint().height() - self.prompts.sizeHint().height(), 0)
        fixed = self.prompts.entry_page.minimumSizeHint().height() - self.prompts.entry_scroll.minimumSizeHint().height()
        steady = chrome + fixed + 3 * QFontMetrics(self.prompts.entry_text.font()).lineSpacing() if self.bridge.busy else 0
        want = max(steady, self.prompt_box.minimumSizeHint().height(), chrome + self.prompts.preferred_height())
        room = max(total - LIVE_MIN_PX, self.prompt_box.minimumSizeHint().height())
        height = min(want, room)
        if abs(self.body.sizes()[1] - height) > 2:  # each resize repaints the live plot: only when needed
            self.body.setSizes([total - height, height])

    def showEvent(self, event: QShowEvent) -> None:
        """Shown: the prompt area takes its steady height (layout)."""
        super().showEvent(event)
        self._fit_timer.start()

    def _wire(self) -> None:
        """Connect widgets to commands and bridge signals to the display."""
        self.station.currentIndexChanged.connect(self._station_changed)
        self.regulation.currentIndexChanged.connect(self._regulation_changed)
        self.clear_task_btn.clicked.connect(self.clear_task)
        self.start_btn.clicked.connect(self.start)
        self.resume_btn.clicked.connect(self.offer_resume_dialog)
        self.abort_btn.clicked.connect(self.abort)
        self.serial.scanned.connect(self._scanned)
        self.serial.submitted.connect(lambda _text: self.start_btn.setFocus())
        self.prompts.answered.connect(self.bridge.answer)
        b = self.bridge
        b.event.connect(self._remaining.see)
        b.run_started.connect(self._on_run_started)
        b.step_started.connect(self._on_step_started)
        b.step_finished.connect(self._on_step_finished)
        b.progress.connect(self._on_progress)
        b.event.connect(self.live.see)  # the live panel follows every event (steps, readings, results)
        b.measurement.connect(self._on_measurement)
        b.paused.connect(self._on_paused)
        b.warning.connect(self._on_warning)
        b.finished.connect(self._on_finished)
        b.prompt.connect(self._on_prompt)
        b.prompt_closed.connect(self.prompts.clear_prompt)
        b.busy_changed.connect(self._on_busy)
        b.run_done.connect(self._on_done)
        b.run_failed.connect(self._on_failed)
        self._abort_shortcut = QShortcut(QKeySequence("Ctrl+Shift+X"), self, activated=self.abort)

    def retranslate(self) -> None:
        """Every visible text of the view (Chinese source, English by translation)."""
        self.start_box.setTitle(self.tr("开始检定"))
        self.station_label.setText(self.tr("工作站(&T)"))
        self.regulation_label.setText(self.tr("检定规程(&G)"))
        self.serial_label.setText(self.tr("出厂编号(&N)"))
        self.station.setAccessibleName(self.tr("工作站"))
        self.regulation.setAccessibleName(self.tr("检定规程"))
        self.serial.setAccessibleName(self.tr("出厂编号 (可扫码)"))
        self.serial.setPlaceholderText(self.tr("扫码或输入出厂编号，回车确认"))
        self.edition_label.setText(self.tr("规程版本(&E)"))
        self.edition.setAccessibleName(self.tr("规程版本"))
        self.vtype_label.setText(self.tr("检定类别(&K)"))
        self.vtype.setAccessibleName(self.tr("检定类别"))
        self.purpose_label.setText(self.tr("检定目的(&P)"))
        self.purpose.setAccessibleName(self.tr("检定目的"))
        self._fill_purposes()
        self.task_label.setText(self.tr("任务"))
        self.task_info.setAccessibleName(self.tr("关联的平台预约"))
        self.clear_task_btn.setText(self.tr("取消关联(&U)"))
        self.clear_task_btn.setAccessibleName(self.tr("取消关联任务"))
        self._render_task()
        self._fill_choices()
        self.start_btn.setText(self.tr("开始(&S)"))
        self.start_btn.setAccessibleName(self.tr("开始检定"))
        self.resume_btn.setText(self.tr("继续中断的检定(&R)"))
        self.resume_btn.setAccessibleName(self.tr("继续中断的检定"))
        self.abort_btn.setText(self.tr("中止(&A)"))
        self.abort_btn.setAccessibleName(self.tr("中止检定"))
        self.steps.setAccessibleName(self.tr("检定步骤"))
        self.progress.setAccessibleName(self.tr("步骤进度"))
        self.status.setAccessibleName(self.tr("检定状态"))
        self.prompt_box.setTitle(self.tr("操作员提示"))
        self.prompts.setAccessibleName(self.tr("操作员提示"))
        if self._status_fn is not None:
            self.status.setText(self._status_fn())
        elif not self.status.text() or self.run_id is None:
            self.status.setText(self.tr("就绪"))
        self._render_run_texts()
        self._render_resume()

    def _say(self, render: Callable[[], str]) -> None:
        """Show a status line worded by ``render`` (called again after a language switch)."""
        self._status_fn = render
        self.status.setText(render())

    def _render_run_texts(self) -> None:
        """The run's texts in the interface's language: the step list, warnings, progress."""
        for key, item in self._steps.items():
            self._render_step(key, item)
        for item, ev in self._warnings:
            item.setText(f"⚠ {ev.source} {shown(ev.message)}".replace("  ", " "))
        if self._progress_fn is not None:
            self.progress.setFormat(self._progress_fn())

    def _render_step(self, key: str, item: QListWidgetItem) -> None:
        """One line of the step list: its mark (running, or the verdict) and its title."""
        from gui.views.results_view import verdict_text

        mark = self._step_marks.get(key, "")
        title = shown(self._step_titles.get(key, key))
        if mark.startswith("▶"):
            item.setText(f"{mark} {title}")
        else:
            note = self._step_notes.get(key, "")
            item.setText(f"{verdict_text(mark)}  {title}" + (f"  — {note}" if note else ""))
            item.setToolTip(item.text())

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- commands -----------------------------------------------------------------------------------
    def _station_changed(self) -> None:
        """A station was chosen: propose its regulation and its [instrument] serial."""
        path = self.station.currentData()
        if not path:
            return
        from bench.cli import DEMO_KINDS  # demo kind → regulation

        stem = Path(path).stem.removesuffix("_demo")
        if stem in DEMO_KINDS:
            idx = self.regulation.findData(DEMO_KINDS[stem][0])
            if idx >= 0:
                self.regulation.setCurrentIndex(idx)
        try:
            station = _load_station(Path(path))
        except (OSError, StationError, ValueError):
            return
        self.serial.setEnabled(not station.is_bench)
        self.serial.setText("" if station.is_bench else str(station.section("instrument").get("serial", "")))

    def _regulation_changed(self) -> None:
        """Another regulation: offer its editions and types, the table's default edition chosen."""
        self._fill_choices(reset=True)

    def _fill_choices(self, *, reset: bool = False) -> None:
        """Fill the edition and verification-type combos from the regulation's table (through
        bench.catalog), named in the interface's language; keep the choice unless `reset`."""
        regulation = self.regulation.currentData()
        keep_edition = None if reset else self.edition.currentData()
        keep_type = None if reset else self.vtype.currentData()
        self.edition.clear()
        self.vtype.clear()
        if not regulation:
            return
        choices = regulation_choices(str(regulation))
        english = self.tr("中文界面") != "中文界面"  # the English translation renders this marker
        for c in choices.editions:
            self.edition.addItem(c.label(english), c.key)
        for c in choices.types:
            self.vtype.addItem(c.label(english), c.key)
        idx = self.edition.findData(keep_edition or choices.default_edition)
        self.edition.setCurrentIndex(max(idx, 0))
        idx = self.vtype.findData(keep_type or "first")
        self.vtype.setCurrentIndex(max(idx, 0))

    def _fill_purposes(self) -> None:
        """The purposes a run may name (bench.catalog), the first choice following the verification type."""
        keep = self.purpose.currentData()
        english = self.tr("中文界面") != "中文界面"
        self.purpose.clear()
        self.purpose.addItem(self.tr("按检定类别"), None)
        for c in purpose_choices():
            self.purpose.addItem(c.label(english), c.key)
        self.purpose.setCurrentIndex(max(self.purpose.findData(keep), 0) if keep else 0)

    def link_task(self, booking_id: str, serial: str = "") -> None:
        """Link the next run to the platform booking `booking_id` (the task page's 检定此任务); the
        booking's instrument serial, when it names one, goes into the serial field. The controller
        refuses a booking that is not accepted (受理) when the run is prepared."""
        self.task_id = booking_id
        if serial and self.serial.isEnabled():
            self.serial.setText(serial)
        self._render_task()
        self._say(lambda: self.tr("已关联任务 {task}，确认后开始").format(task=booking_id))
        self.start_btn.setFocus()

    def clear_task(self) -> None:
        """The next run serves no booking."""
        self.task_id = None
        self._render_task()

    def _render_task(self) -> None:
        """The linked booking on the form, and whether it can be unlinked."""
        if self.task_id:
            self.task_info.setText(self.tr("任务: {task}").format(task=self.task_id))
        else:
            self.task_info.setText(self.tr("未关联任务 (可在任务页选择)"))
        self.clear_task_btn.setEnabled(bool(self.task_id) and not self.bridge.busy)

    def _scanned(self, serial: str) -> None:
        """A barcode was scanned into the serial field: ready to start (Enter on 开始)."""
        self._say(lambda: self.tr("已扫码: {serial}").format(serial=serial))
        self.start_btn.setFocus()

    def start(self) -> None:
        """Prepare a run on the chosen station and execute it on the engine thread."""
        path = self.station.currentData()
        if not path or self.bridge.busy:
            return
        try:
            station = self.prepare_station(Path(path))
            serial = self.serial.text().strip() or None
            adjusts, note = self.next_adjustment or (None, "")
            run_id = self.bridge.prepare(RunRequest(
                station=station, regulation=str(self.regulation.currentData()),
                edition=self.edition.currentData() or None,
                verification_type=str(self.vtype.currentData() or "first"),
                instrument_serial=None if station.is_bench else serial, task_id=self.task_id,
                purpose=self.purpose.currentData() or None,
                adjusts_run=adjusts, adjustment_note=note))
        except Exception as e:  # the controller's refusal (ledger, standards, edition, task) goes to the operator
            self._on_failed(str(e))
            self.refused.emit(e)
            return
        self._run_task = self.task_id
        self.next_adjustment = None  # linked to this run; the next one is an ordinary run again
        self._begin(run_id)

    def resume(self, run_id: str) -> None:
        """Resume an interrupted run from its last persisted step."""
        if self.bridge.busy:
            return
        self._begin(run_id)

    def _begin(self, run_id: str) -> None:
        """Reset the display and hand the run to the bridge."""
        self.run_id = run_id
        self.steps.clear()
        self._steps.clear()
        self._step_titles.clear()
        self._step_marks.clear()
        self._step_notes.clear()
        self._warnings.clear()
        self._progress_fn = None
        self.live.clear()
        self.progress.setValue(0)
        self._say(lambda: self.tr("检定进行中 {run}").format(run=run_id[:8]))
        self.bridge.start(run_id, issue=self.issue)

    def abort(self) -> None:
        """Abort the run in progress (takes effect within a second; readings are kept)."""
        if self.bridge.busy:
            self._say(lambda: self.tr("正在中止…"))
            self.bridge.abort()

    # -- resume ---------------------------------------------------------------------------------------
    def set_interrupted(self, runs: list[tuple[str, str, str, str]]) -> None:
        """Runs the controller lists as paused or running: (run id, regulation, status, message)."""
        self.interrupted = list(runs)
        self._render_resume()

    def _render_resume(self) -> None:
        """The resume button names how many runs can be resumed."""
        self.resume_btn.setEnabled(bool(self.interrupted))
        if self.interrupted:
            self.resume_btn.setText(self.tr("继续中断的检定 ({n})(&R)").format(n=len(self.interrupted)))

    def offer_resume_dialog(self) -> QMessageBox | None:
        """Ask whether to resume the newest interrupted run (listing all of them); Yes resumes it.
        The dialog is opened non-modally (`open`) so the GUI never blocks; it is returned."""
        if not self.interrupted:
            return None
        box = QMessageBox(self)
        box.setObjectName("resume_dialog")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("继续中断的检定"))
        lines = [f"{rid[:8]}  {reg}  {self.status_zh(status)}  {shown(msg)}" for rid, reg, status, msg in self.interrupted]
        box.setText(self.tr("以下检定未完成，已测数据均已保存。继续最近的一项吗？"))
        box.setInformativeText("\n".join(lines))
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText(self.tr("继续(&Y)"))
        box.button(QMessageBox.StandardButton.No).setText(self.tr("以后再说(&N)"))
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        run_id = self.interrupted[0][0]
        box.accepted.connect(lambda: self.resume(run_id))
        box.open()
        self.resume_dialog = box
        return box

    def status_zh(self, status: str) -> str:
        """A run status for display."""
        return {"running": self.tr("进行中(中断)"), "paused": self.tr("已暂停"), "aborted": self.tr("已中止"),
                "void": self.tr("无效"),
                "finished": self.tr("已完成")}.get(status, status)

    # -- bridge signals (GUI thread) -----------------------------------------------------------------
    def _on_busy(self, busy: bool) -> None:
        """Lock the start form while a run executes."""
        self.start_btn.setEnabled(not busy)
        self.resume_btn.setEnabled(not busy and bool(self.interrupted))
        self.station.setEnabled(not busy)
        self.regulation.setEnabled(not busy)
        self.edition.setEnabled(not busy)
        self.vtype.setEnabled(not busy)
        self.purpose.setEnabled(not busy)
        self.abort_btn.setEnabled(busy)
        self.start_fields.setVisible(not busy)  # layout: the locked form folds away during a run
        self._fit_timer.start()  # and the prompt area takes its steady height (or gives it back)
        self._render_task()

    def _on_run_started(self, ev: RunStarted) -> None:
        """A run (or a resumed one) began."""
        if ev.resumed:
            self._say(lambda: self.tr("继续检定 {code}: 沿用已完成 {n} 步").format(
                code=ev.procedure, n=len(ev.completed_steps)))
        else:
            self._say(lambda: self.tr("检定 {code}: 共 {n} 步").format(code=ev.procedure, n=ev.total_steps))

    def _on_step_started(self, ev: StepStarted) -> None:
        """A step began: list it as running and reset the progress bar."""
        item = self._steps.get(ev.step_key)
        if item is None:
            item = QListWidgetItem()
            self.steps.addItem(item)
            self._steps[ev.step_key] = item
        self._step_titles[ev.step_key] = ev.title
        self._step_marks[ev.step_key] = f"▶ [{ev.index + 1}/{ev.total}]"
        self._render_step(ev.step_key, item)
        self.steps.scrollToItem(item)
        self.progress.setValue(0)
        self._progress_fn = lambda: shown(ev.title) + self._time_left()
        self.progress.setFormat(self._progress_fn())

    def _on_step_finished(self, ev: StepFinished) -> None:
        """A step ended with its verdict (text and colour)."""
        from gui.views.bench_state import positions_note
        from gui.views.results_view import verdict_colours

        item = self._steps.get(ev.step_key)
        if item is None:
            return
        fg, bg = verdict_colours(ev.verdict.value)
        self._step_marks[ev.step_key] = ev.verdict.value
        self._step_notes[ev.step_key] = positions_note(ev.outcome)  # a bench step names its failing positions
        self._render_step(ev.step_key, item)
        item.setForeground(fg)
        item.setBackground(bg)
        self.progress.setValue(1000)

    def _on_progress(self, ev: Progress) -> None:
        """Progress within a long step, and the planned real time left."""
        self.progress.setValue(int(ev.fraction * 1000))
        self._progress_fn = lambda: f"{ev.fraction * 100:.0f} %  {shown(ev.message)}{self._time_left()}"
        self.progress.setFormat(self._progress_fn())

    def _time_left(self) -> str:
        """"  · 剩余约 7 min 12 s" from the run's plan (real hardware), "" without a plan."""
        left = self._remaining.seconds
        return "" if left is None else "  · " + self.tr("剩余约 {t}").format(t=mmss(left))

    def _on_measurement(self, ev: MeasurementRecorded) -> None:
        """A judged result: the status line names it (the results page lists them all)."""
        title = self._step_titles.get(ev.step_key, ev.result.name)
        self._say(lambda: result_line(title, ev.result, ev.item))  # as the certificate says it

    def _on_prompt(self, prompt: OperatorPrompt) -> None:
        """The engine waits for the operator."""
        self.prompts.show_prompt(prompt)
        self.window().activateWindow()

    def _on_warning(self, ev: RunWarning) -> None:
        """A warning for the whole run (e.g. an unsecured OCPP link to a real post): the first line
        of the step list, in the fail colours, so that it stays in view while the run goes on."""
        from gui.views.results_view import verdict_colours

        item = QListWidgetItem(f"⚠ {ev.source} {shown(ev.message)}".replace("  ", " "))
        self._warnings.append((item, ev))
        fg, bg = verdict_colours("fail")
        item.setForeground(fg)
        item.setBackground(bg)
        self.steps.insertItem(0, item)

    def _on_paused(self, ev: RunPaused) -> None:
        """A device fault paused the run: say why; it can be resumed."""
        self._say(lambda: self.tr("检定暂停，已测数据已保存: {msg}").format(msg=shown(ev.message)))

    def _on_finished(self, ev: RunFinished) -> None:
        """The engine stopped (finished, aborted or paused)."""
        self.prompts.clear_prompt()
        if ev.status == "aborted":
            self._say(lambda: self.tr("检定已中止"))
        elif ev.status == "void":
            self._say(lambda: self.tr("本次检定无效，不出具证书或通知书: {msg}").format(msg=shown(ev.message)))

    def _on_done(self, summary: Any) -> None:
        """The run (and the demo's issue) returned; refresh the interrupted list."""
        if summary.status == "finished":
            self._say(lambda: self.tr("检定完成: {msg}").format(msg=_summary_text(summary)))
            if self._run_task and self.task_id == self._run_task:
                self.clear_task()  # the booking is served; the next run needs its own
        elif summary.status == "paused":
            self._say(lambda: self.tr("检定暂停，已测数据已保存: {msg}").format(msg=shown(summary.message)))
        elif summary.status == "void":
            self._say(lambda: self.tr("本次检定无效，不出具证书或通知书: {msg}").format(msg=shown(summary.message)))
        else:
            self._say(lambda: self.tr("检定已中止"))
        runs = [*self.controller.run_list("running"), *self.controller.run_list("paused")]
        self.set_interrupted([(r.run_id, r.regulation, r.status, r.message) for r in runs])

    def _on_failed(self, message: str) -> None:
        """An error outside the procedure (station, ledger, standards)."""
        self._say(lambda: self.tr("错误: {msg}").format(msg=shown(message)))


def _shrinkable(combo: QComboBox) -> None:
    """A combo box that may be narrower than its longest entry (the page fits a 1280-px-wide window
    at 150 % scaling); the open list still shows entries in full."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)


def _load_station(path: Path) -> Station:
    """Read a station file (no demo seeding)."""
    from bench.station import load_station

    return load_station(path)


def _summary_text(summary: Any) -> str:
    """One line: the conclusion and certificate number(s)."""
    if summary.record is not None:
        return f"{words(summary.record.conclusion)} {summary.record.certificate_no}"
    return words(shown(summary.message or ""))  # a bench: 合格 22 不合格 1 需复检 1


def issue_as_station_people(controller: Controller, run_id: str) -> dict[str, Path]:
    """After a finished run: check, approve and issue its drafts as the station's [people] through
    the controller's approval facade (the demo's path); without a checker and an approver, or with
    one person in two roles, the drafts stay for the approval page. Certificate number → issued PDF."""
    from bench.cert_cli import issue_drafts

    return issue_drafts(controller, run_id)
