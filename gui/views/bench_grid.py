"""The bench view for 6 to 96 positions (表位): a heading naming station, regulation and batch; one
tile per instrument showing its worst point against its MPE ("+2.6 % / ±2.0 % @ Ib 0.5L"), its
verdict in words and one short fault (each fault once, elided); the positions × test-points error
matrix (bench_matrix.py); the details of a position on click (every point, every fault); and
re-testing the selected 需复检 positions as a follow-up run linked to this one (复检所选,
bench/retest.py).

Filled live from the bus (MeasurementRecorded carries ``result.position``; StepFinished carries
``data["position_faults"]``) and at the end from the run's summary, or from the store for a run
already done (:meth:`BenchGrid.load_run`). Tiles flow into as many columns as the window's width
holds and re-lay out when it is resized.

Why: on a 24- or 96-position bench the technician must see at a glance which meter is drifting or
has stopped counting and why, pick those meters and measure them again — without reading a table
or typing run ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtGui import QFontMetrics, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from bench.retest import step_outcome_results
from gui.views._common import big_button, scaled_font, verdict_colours, verdict_text
from gui.views.bench_matrix import BenchMatrix, cell_colours, cell_words
from gui.views.bench_state import BenchState, ItemInfo, Position, cell_state, document_item
from procedures.engine import MeasurementRecorded, RunStarted, StepFinished
from reports.results import requirement_text, result_text

TILE_W, TILE_H, SPACING = 196, 132, 8


def position_list(positions: list[int], most: int = 12) -> str:
    """"5, 7, 20", or the first ``most`` and how many more ("1, 2, … 12 … +23")."""
    shown = ", ".join(str(p) for p in positions[:most])
    return shown + (f" … +{len(positions) - most}" if len(positions) > most else "")


def english() -> bool:
    """True when the interface runs in English (the views' translator is installed)."""
    return QCoreApplication.translate("Views", "合格") != "合格"


class PositionTile(QFrame):
    """One position's tile: number (a check box selecting it), serial, worst point against its MPE,
    verdict in words, one short fault; a click elsewhere on it asks for its details."""

    clicked = Signal(int)
    toggled = Signal(int, bool)

    def __init__(self, position: int, parent: QWidget | None = None) -> None:
        """An empty tile for ``position``."""
        super().__init__(parent)
        self.position = position
        self.setObjectName(f"position_{position}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedSize(TILE_W, TILE_H)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(1)
        self.select = QCheckBox(self)
        self.select.setFont(scaled_font(self, 1.0, bold=True))
        self.select.toggled.connect(lambda on: self.toggled.emit(self.position, on))
        self.serial = QLabel(self)
        self.serial.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.serial.setFont(scaled_font(self, 0.85))
        self.serial.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # the number never yields
        top = QHBoxLayout()
        top.setSpacing(4)
        top.addWidget(self.select)
        top.addWidget(self.serial, 1)
        lay.addLayout(top)
        self.point = QLabel(self)  # the worst point's error against its MPE …
        self.point.setFont(scaled_font(self, 1.05, bold=True))
        self.where = QLabel(self)  # … and where: "@ Ib 0.5L"
        self.verdict = QLabel(self)
        self.verdict.setFont(scaled_font(self, 1.5, bold=True))
        self.fault = QLabel(self)  # one short fault, elided
        self.fault_full = ""
        for w in (self.point, self.where, self.verdict, self.fault):
            lay.addWidget(w)
        lay.addStretch(1)
        self.title = self.select  # the tile's number, as before

    def show_state(self, st: Position, worst: str, fault: str) -> None:
        """Paint the tile for ``st``: colour and words, the worst point, one fault."""
        self.select.setText(self.tr("表位 %1").replace("%1", str(st.position)))
        room = TILE_W - 24 - self.select.sizeHint().width()
        self.serial.setText(QFontMetrics(self.serial.font()).elidedText(st.serial, Qt.TextElideMode.ElideLeft, room))
        self.serial.setToolTip(st.serial)
        inner = TILE_W - 18
        value, _, where = worst.partition(" @ ")
        self.point.setText(QFontMetrics(self.point.font()).elidedText(value, Qt.TextElideMode.ElideRight, inner))
        self.where.setText(QFontMetrics(self.where.font()).elidedText(f"@ {where}" if where else "",
                                                                      Qt.TextElideMode.ElideRight, inner))
        self.point.setToolTip(worst)
        verdict = verdict_text(st.verdict)
        if st.follow_up:
            verdict = self.tr("已复检") + (f" {verdict_text(st.conclusion)}" if st.conclusion else "")
        self.verdict.setText(verdict)
        self.fault_full = fault
        self.fault.setText(QFontMetrics(self.fault.font()).elidedText(fault, Qt.TextElideMode.ElideRight, inner))
        self.fault.setToolTip(fault)
        bg, fg = verdict_colours(st.verdict)
        border = "4px solid #1f5fbf" if self.select.isChecked() else "2px solid #333"
        self.setStyleSheet(f"PositionTile {{ background: {bg.name()}; border: {border}; border-radius: 6px; }}"
                           f" QLabel, QCheckBox {{ color: {fg.name()}; background: transparent; }}"
                           " QCheckBox::indicator { width: 16px; height: 16px; background: #ffffff;"
                           " border: 2px solid #333; border-radius: 3px; }"
                           " QCheckBox::indicator:checked { background: #1f5fbf; border: 3px solid #ffffff; }")
        name = self.tr("表位 %1：%2 %3").replace("%1", str(st.position)).replace("%2", verdict)
        self.setAccessibleName(name.replace("%3", f"{worst} {fault}".strip()))
        self.setToolTip("\n".join(x for x in (worst, fault) if x))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """A click on the tile (not on its check box) asks for the position's details."""
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.position)
        super().mouseReleaseEvent(event)


class TileArea(QScrollArea):
    """The tiles in as many columns as the width holds, laid out again when resized."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """An empty, scrollable flow of tiles."""
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setAccessibleName(self.tr("表位网格"))
        self.inner = QWidget(self)
        self.grid = QGridLayout(self.inner)
        self.grid.setSpacing(SPACING)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.setWidget(self.inner)
        self.tiles: list[PositionTile] = []
        self.columns = 0

    def set_tiles(self, tiles: list[PositionTile]) -> None:
        """Show these tiles (in order)."""
        for t in self.tiles:
            self.grid.removeWidget(t)
        self.tiles = list(tiles)
        self.columns = 0
        self.relayout()

    def columns_for(self, width: int) -> int:
        """How many tile columns ``width`` pixels hold (at least one)."""
        m = self.grid.contentsMargins()
        return max(1, (width - m.left() - m.right() + SPACING) // (TILE_W + SPACING))

    def relayout(self) -> None:
        """Place the tiles row by row in the columns the viewport's width holds."""
        cols = self.columns_for(self.viewport().width())
        if cols == self.columns and all(self.grid.indexOf(t) >= 0 for t in self.tiles):
            return
        self.columns = cols
        for t in self.tiles:
            self.grid.removeWidget(t)
        for i, t in enumerate(self.tiles):
            self.grid.addWidget(t, i // cols, i % cols)
        self.grid.activate()  # the scrolled height follows the rows at once, not at the next event

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The window changed size: as many columns as now fit."""
        super().resizeEvent(event)
        self.relayout()


class PositionDetails(QFrame):
    """Everything of one position: each test point with its result, MPE and verdict (as the
    document prints them), each checklist point, and each fault once with where it recurred."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """An empty panel (shown when a position is clicked)."""
        super().__init__(parent)
        self.setObjectName("position_details")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = QLabel(self)
        self.title.setFont(scaled_font(self, 1.2, bold=True))
        self.title.setWordWrap(True)
        self.close_btn = QPushButton(self.tr("关闭"), self)
        self.close_btn.clicked.connect(self._close)
        top.addWidget(self.title, 1)
        top.addWidget(self.close_btn)
        lay.addLayout(top)
        self.points = QTableWidget(0, 4, self)
        self.points.setObjectName("details_points")
        self.points.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.points.verticalHeader().setVisible(False)
        self.points.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.points.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.points, 3)
        self.faults_title = QLabel(self)
        lay.addWidget(self.faults_title)
        self.faults = QListWidget(self)
        self.faults.setObjectName("details_faults")
        self.faults.setWordWrap(True)
        lay.addWidget(self.faults, 1)
        self.position = 0

    def _close(self) -> None:
        self.hide()
        self.closed.emit()

    def show_position(self, state: BenchState, p: int, eng: bool) -> None:
        """Fill the panel for position ``p`` of ``state``."""
        self.position = p
        pos = state.positions[p]
        word = verdict_text(pos.verdict)
        title = self.tr("表位 %1").replace("%1", str(p))
        self.title.setText(f"{title}  {pos.serial}  {word}")
        self.points.setHorizontalHeaderLabels([self.tr("检定点"), self.tr("结果"), self.tr("最大允许误差"), self.tr("判定")])
        rows: list[tuple[str, str, str, str, str]] = []
        for item, r in pos.checks:
            info = state.items.get(item)
            doc = document_item(info, item, r)
            name = info.name_en if eng and info and info.name_en else (info.name if info else r.name)
            rows.append((f"{name} {r.label}".strip(), result_text(doc, r), "—", verdict_text(r.verdict.value),
                         r.verdict.value))
        for col, r in pos.results.items():
            doc = document_item(state.items.get(col.item), col.item, r)
            st = cell_state(r, col.layout)
            rows.append((col.header(eng, state.items.get(col.item)), result_text(doc, r),
                         requirement_text(doc, r) if r.mpe is not None else "—", cell_words(st), st))
        self.points.setRowCount(len(rows))
        for i, (point, value, mpe, words, st) in enumerate(rows):
            for j, text in enumerate((point, value, mpe, words)):
                cell = QTableWidgetItem(text)
                if j == 3:
                    bg, fg = cell_colours(st) if st in ("pass", "near", "fail", "undetermined", "fault", "none") \
                        else verdict_colours(st)
                    cell.setBackground(bg)
                    cell.setForeground(fg)
                self.points.setItem(i, j, cell)
        self.faults.clear()
        self.faults.addItems(list(pos.faults))
        self.faults_title.setText(self.tr("故障 {n} 条").format(n=len(pos.faults)) if pos.faults else self.tr("无故障"))
        self.faults.setVisible(bool(pos.faults))
        self.show()


class BenchGrid(QWidget):
    """The bench view of the current (or a chosen) bench run."""

    def __init__(self, controller: Any, bridge: Any | None = None, parent: QWidget | None = None) -> None:
        """Build an empty view; with a bridge, follow its live run."""
        super().__init__(parent)
        self.controller = controller
        self.bridge = bridge
        self.run_id = ""
        self.state = BenchState()
        self.tiles: dict[int, PositionTile] = {}
        self.selected: set[int] = set()
        self.heading_info: Any = None
        self.sim_overrides: dict[str, Any] = {}  # [sim] given to a re-test's twins (the demo: the meter re-seated)
        self.start_run: Callable[[str], None] | None = None  # how a re-test is started (default: the bridge)
        self._syncing = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        self.heading = QLabel(self)
        self.heading.setObjectName("bench_heading")
        self.heading.setFont(scaled_font(self.heading, 1.25, bold=True))
        self.heading.setWordWrap(True)
        self.link = QLabel(self)  # the re-test link, both ways
        self.link.setObjectName("bench_link")
        self.summary = QLabel(self)
        self.summary.setObjectName("bench_summary")
        self.summary.setFont(scaled_font(self.summary, 1.15))
        lay.addWidget(self.heading)
        lay.addWidget(self.link)
        lay.addWidget(self.summary)
        bar = QHBoxLayout()
        self.select_retest_btn = big_button(self.tr("选择需复检"), self, self.tr("选择需复检"))
        self.clear_btn = big_button(self.tr("清除选择"), self, self.tr("清除选择"))
        self.retest_btn = big_button(self.tr("复检所选"), self, self.tr("复检所选"))
        self.retest_btn.setObjectName("retest_selected")
        self.message = QLabel(self)
        self.message.setObjectName("bench_message")
        self.message.setWordWrap(True)
        for b in (self.select_retest_btn, self.clear_btn, self.retest_btn):
            bar.addWidget(b)
        bar.addWidget(self.message, 1)
        lay.addLayout(bar)
        self.split = QSplitter(Qt.Orientation.Horizontal, self)
        self.tabs = QTabWidget(self.split)
        self.area = TileArea(self.tabs)
        self.matrix = BenchMatrix(self.state, self.tabs)
        self.tabs.addTab(self.area, "")
        self.tabs.addTab(self.matrix, "")
        self.details = PositionDetails(self.split)
        self.details.hide()
        self.split.addWidget(self.tabs)
        self.split.addWidget(self.details)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        lay.addWidget(self.split, 1)
        self.select_retest_btn.clicked.connect(lambda: self.set_selection(self.state.retest()))
        self.clear_btn.clicked.connect(lambda: self.set_selection([]))
        self.retest_btn.clicked.connect(self.retest_selected)
        self.matrix.position_clicked.connect(self.show_details)
        self.matrix.itemSelectionChanged.connect(self._matrix_selection)
        self.retranslate()
        if bridge is not None:
            bridge.run_started.connect(self.on_event)
            bridge.measurement.connect(self.on_event)
            bridge.step_finished.connect(self.on_event)
            bridge.run_done.connect(self.on_summary)
            bridge.busy_changed.connect(lambda _busy: self._update_buttons())

    # -- texts --------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        """Re-apply texts after a language switch."""
        self.tabs.setTabText(0, self.tr("表位"))
        self.tabs.setTabText(1, self.tr("误差矩阵"))
        self.select_retest_btn.setText(self.tr("选择需复检"))
        self.clear_btn.setText(self.tr("清除选择"))
        self.retest_btn.setText(self.tr("复检所选"))
        self._update_heading()
        self.matrix.english = english()
        self._refresh()

    def changeEvent(self, event: QEvent) -> None:
        """A language switch re-applies every text."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _update_heading(self) -> None:
        h = self.heading_info
        if h is None:
            self.heading.setText(self.tr("多表位检定装置"))
            self.link.setText("")
            return
        parts = [h.station, f"{h.regulation_code} {h.regulation_title}".strip(),
                 self.tr("批次 {batch}").format(batch=h.batch) + (f" ({h.model})" if h.model else ""),
                 self.tr("{n} 表位").format(n=h.positions)]
        self.heading.setText("  ·  ".join(x for x in parts if x.strip()))
        self.heading.setToolTip(self.tr("记录编号 {no}").format(no=h.record_no))
        link = ""
        if h.retest_of:
            link = self.tr("复检：原检定 {no}").format(no=h.retest_of_record or h.retest_of[:8])
        follow = sorted(p for p, s in self.state.positions.items() if s.follow_up)
        if follow:
            link = (link + "  " if link else "") + self.tr("表位 {p} 已复检").format(p=", ".join(str(p) for p in follow))
        self.link.setText(link)
        self.link.setVisible(bool(link))

    # -- building -----------------------------------------------------------------------------------
    def _items(self, run_id: str) -> dict[str, ItemInfo]:
        terms = self.controller.item_terms(run_id)
        return {k: ItemInfo(t.key, t.name, t.name_en, t.layout) for k, t in terms.items()}

    def _start(self, run_id: str, serials: dict[int, str]) -> None:
        """Show run ``run_id`` with these positions, empty."""
        self.run_id = run_id
        self.heading_info = self.controller.bench_heading(run_id)
        self.state.reset(serials, self._items(run_id))
        self.selected = set()
        for tile in self.tiles.values():
            tile.deleteLater()
        self.tiles = {}
        for p in self.state.positions:
            self._new_tile(p)
        self.area.set_tiles(list(self.tiles.values()))
        self.details.hide()
        self.message.setText("")
        self.matrix.rebuild()
        self._update_heading()
        self._refresh()

    def _new_tile(self, p: int) -> PositionTile:
        tile = self.tiles[p] = PositionTile(p, self.area.inner)
        tile.clicked.connect(self.show_details)
        tile.toggled.connect(self._tile_toggled)
        return tile

    def load_run(self, run_id: str) -> None:
        """Show ``run_id`` as the store has it (after a run, on resume, or from a list)."""
        seats = self.controller.run_positions(run_id)
        self._start(run_id, {s.position: s.serial for s in seats})
        results, faults = self.controller.step_results(run_id)
        for r in results:
            self.state.add_result(r.step_key, r.item, r.result)
        self.state.add_faults(faults)
        for s in seats:
            pos = self.state.position(s.position)
            if s.status == "retest":
                pos.verdict = "retest"
                if not pos.faults and s.message:
                    pos.faults[s.message] = None
            elif s.status == "finished":
                pos.verdict, pos.conclusion = ("pass" if s.conclusion == "合格" else "fail"), s.conclusion
        for p, f in self.controller.follow_ups(run_id).items():
            pos = self.state.position(p)
            pos.follow_up = f.run_id
            pos.conclusion = {"合格": "pass", "不合格": "fail"}.get(f.conclusion, f.position_status)
        self.matrix.rebuild()
        self._update_heading()
        self._refresh()

    # -- live ---------------------------------------------------------------------------------------
    def on_event(self, ev: Any) -> None:
        """A bus event from the bridge (GUI thread)."""
        if isinstance(ev, RunStarted):
            seats = self.controller.run_positions(ev.run_id)
            if seats and ev.resumed:  # what the earlier session measured is on disk
                self.load_run(ev.run_id)
            elif seats:
                self._start(ev.run_id, {s.position: s.serial for s in seats})
        elif isinstance(ev, MeasurementRecorded) and ev.result.position is not None and self.run_id == ev.run_id:
            p = ev.result.position
            new = p not in self.state.positions
            col = self.state.add_result(ev.step_key, ev.item, ev.result)
            if new:
                self._new_tile(p)
                self.area.set_tiles(list(self.tiles.values()))
            if col is not None:
                self.matrix.update_cell(p, col)
            self._refresh(p)
        elif isinstance(ev, StepFinished) and self.run_id == ev.run_id:
            # every result of the step (some steps judge all positions at the end without
            # publishing each result), then its faults
            touched: set[int] = set()
            for r in step_outcome_results(ev.outcome):
                col = self.state.add_result(ev.step_key, ev.item, r)
                if col is not None and r.position is not None:
                    self.matrix.update_cell(r.position, col)
                    touched.add(r.position)
            faults = (ev.outcome.get("data") or {}).get("position_faults") or {}
            touched.update(self.state.add_faults(faults))
            for p in sorted(touched):
                if p not in self.tiles:
                    self._new_tile(p)
                    self.area.set_tiles(list(self.tiles.values()))
                self._refresh(p)

    def on_summary(self, summary: Any) -> None:
        """The run ended: take each position's final state from its summary."""
        if getattr(summary, "run_id", self.run_id) != self.run_id:
            return
        for ps in getattr(summary, "positions", []) or []:
            pos = self.state.positions.get(ps.position)
            if pos is None:
                continue
            if ps.status == "retest":
                pos.verdict = "retest"
                if not pos.faults and ps.message:
                    pos.faults[ps.message] = None
            elif ps.record is not None:
                pos.verdict, pos.conclusion = ("pass" if ps.record.passed else "fail"), ps.conclusion
        self._refresh()
        if self.details.isVisible():
            self.show_details(self.details.position)

    # -- painting -----------------------------------------------------------------------------------
    def _refresh(self, position: int | None = None) -> None:
        eng = english()
        for p in [position] if position is not None else list(self.tiles):
            if p in self.tiles and p in self.state.positions:
                self.tiles[p].show_state(self.state.positions[p], self.state.worst_text(p, eng),
                                         self.state.short_fault(p, eng))
        self._update_summary()

    def _update_summary(self) -> None:
        st = self.state.positions.values()
        counts = {k: sum(1 for s in st if s.verdict == k) for k in ("pass", "fail", "retest")}
        text = (self.tr("合格 %1  不合格 %2  需复检 %3  共 %4").replace("%1", str(counts["pass"]))
                .replace("%2", str(counts["fail"])).replace("%3", str(counts["retest"])).replace("%4", str(len(st))))
        failing, retest = self.state.failing(), self.state.retest()
        if failing:
            text += "   " + self.tr("不合格: 表位 {p}").format(p=position_list(failing))
        if retest:
            text += "   " + self.tr("需复检: 表位 {p}").format(p=position_list(retest))
        self.summary.setText(text)
        self.summary.setAccessibleName(text)
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = bool(self.bridge is not None and self.bridge.busy)
        self.retest_btn.setEnabled(bool(self.selected) and not busy and bool(self.run_id))
        self.select_retest_btn.setEnabled(bool(self.state.retest()))
        self.clear_btn.setEnabled(bool(self.selected))

    def show_details(self, p: int) -> None:
        """Open the details of position ``p`` beside the tiles and matrix."""
        if p in self.state.positions:
            self.details.show_position(self.state, p, english())

    # -- selection and re-test ----------------------------------------------------------------------
    def set_selection(self, positions: list[int]) -> None:
        """Select exactly ``positions`` (tiles and matrix rows together)."""
        self._syncing = True
        try:
            self.selected = {p for p in positions if p in self.tiles}
            for p, tile in self.tiles.items():
                tile.select.setChecked(p in self.selected)
            self.matrix.select_positions(sorted(self.selected))
        finally:
            self._syncing = False
        self._refresh()
        self.message.setText(self.tr("已选 {n} 个表位").format(n=len(self.selected)) if self.selected else "")

    def _tile_toggled(self, p: int, on: bool) -> None:
        if self._syncing:
            return
        self.set_selection(sorted(self.selected | {p} if on else self.selected - {p}))

    def _matrix_selection(self) -> None:
        if self._syncing:
            return
        self.set_selection(self.matrix.selected_positions())

    def retest_positions(self) -> list[int]:
        """Positions marked 需复检 (re-test)."""
        return self.state.retest()

    def retest_selected(self) -> str:
        """Re-test the selected positions as a follow-up run linked to this one (controller
        ``retest_request``): the new run's id, or "" with the refusal shown (a position with a
        conclusion, a run not finished, a run in progress …)."""
        positions = sorted(self.selected)
        if not positions or not self.run_id:
            self.message.setText(self.tr("请先选择要复检的表位"))
            return ""
        if self.bridge is None or self.bridge.busy:
            self.message.setText(self.tr("检定进行中，稍后再复检"))
            return ""
        try:
            req = self.controller.retest_request(self.run_id, positions, self.sim_overrides)
            run_id = str(self.bridge.prepare(req))
        except Exception as e:  # the controller's refusal, in both languages, goes to the operator
            self.message.setText(str(e))
            return ""
        self.message.setText(self.tr("复检开始：表位 {p}").format(p=", ".join(str(p) for p in positions)))
        (self.start_run or self.bridge.start)(run_id)
        return run_id

    def refresh(self) -> None:
        """The page was shown: with no run in view (a fresh start), the newest bench run on disk;
        otherwise the view follows the bus."""
        if self.run_id or (self.bridge is not None and self.bridge.busy):
            return
        bench = [r for r in self.controller.run_list() if r.positions]
        if bench:
            self.load_run(bench[0].run_id)
