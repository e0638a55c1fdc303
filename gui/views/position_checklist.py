"""A checklist over bench positions as one compact grid: a tile per position (number and state in
words), "全部符合，除…" (all conform, except…) then a click on each exception, instead of one
check box per position stacked 96 high.

The engine asks a bench checklist as one line per position (procedures/regulations/bench_steps.py
``confirm_positions``: ``"表位 7 (SIMEM0007): <point>"``) and wants back what it wants from any
checklist: line → confirmed. :func:`position_lines` recognises such a prompt (every line names a
position); :class:`PositionChecklist` answers with exactly those lines, so the engine's contract is
unchanged. A position the operator never marked is sent unconfirmed, which the regulation judges
不符合 (as an unticked box always was); the summary says so before Submit.

Why: a technician at a 96-position bench looks along the rack and names the few meters that do not
conform; ticking 95 boxes hides the exception and pushes Submit off the screen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

from gui.views._common import verdict_colours

# "表位 7 (SIMEM0007): 外观完好" / "表位 7 (SIMEM0007)": the line bench_steps.confirm_positions asks
POSITION_LINE = re.compile(r"^\s*表位\s*(\d+)\s*(?:[(（]([^)）]*)[)）])?\s*[:：]?\s*(.*)$", re.DOTALL)
TILE = QSize(92, 48)  # one tile: position number and its state in words, big enough for a gloved finger


@dataclass(frozen=True)
class PositionLine:
    """One line of a bench checklist: the position, the meter's serial, what is confirmed, and
    the engine's line text (the answer's key)."""

    position: int
    serial: str
    point: str
    line: str


def position_lines(items: Sequence[str]) -> list[PositionLine] | None:
    """The lines of a checklist asked per bench position, in order, or None when any line names
    no position (an ordinary checklist) or a position twice."""
    out: list[PositionLine] = []
    for line in items:
        m = POSITION_LINE.match(line)
        if m is None:
            return None
        out.append(PositionLine(int(m.group(1)), (m.group(2) or "").strip(), m.group(3).strip(), line))
    if not out or len({p.position for p in out}) != len(out):
        return None
    return out


def common_point(lines: Sequence[PositionLine]) -> str:
    """The point every line confirms when they all confirm the same one ("" otherwise): shown once
    above the grid instead of on every tile."""
    points = {p.point for p in lines}
    return points.pop() if len(points) == 1 else ""


class PositionChecklist(QListWidget):
    """The grid of positions: each tile is 未确认 (grey), 符合 (green) or 不符合 (red), in words
    and colour. A click or Space cycles a tile (未确认 → 符合 → 不符合 → 符合); `all_conform` marks
    every position 符合 so that only the exceptions need a click. The tiles flow into as many
    columns as the width allows and the grid scrolls itself."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """An empty grid; `set_lines` fills it."""
        super().__init__(parent)
        self.setObjectName("position_checklist")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setGridSize(TILE + QSize(6, 6))
        self.setSpacing(0)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setMinimumHeight(TILE.height() + 24)  # one row; more rows scroll
        policy = self.sizePolicy()
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.lines: list[PositionLine] = []
        self.state: dict[int, bool | None] = {}
        self.itemClicked.connect(self._clicked)

    def set_lines(self, lines: Sequence[PositionLine]) -> None:
        """Show a tile per line, every position 未确认."""
        self.clear()
        self.lines = list(lines)
        self.state = {p.position: None for p in self.lines}
        for p in self.lines:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, p.position)
            item.setSizeHint(TILE)
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            item.setToolTip(p.line)
            self.addItem(item)
            self._paint(item)
        if self.count():
            self.setCurrentRow(0)
        self.changed.emit()

    def all_conform(self) -> None:
        """全部符合，除…: every position 符合; the exceptions are then clicked to 不符合."""
        self._set_all(True)

    def reset(self) -> None:
        """Every position back to 未确认 (Escape)."""
        self._set_all(None)

    def toggle(self, position: int) -> None:
        """Cycle one position: 未确认 → 符合 → 不符合 → 符合."""
        self.state[position] = self.state.get(position) is not True
        row = next(i for i, p in enumerate(self.lines) if p.position == position)
        self._paint(self.item(row))
        self.changed.emit()

    def answer(self) -> dict[str, bool]:
        """The engine's answer: each line → confirmed (only positions marked 符合)."""
        return {p.line: self.state.get(p.position) is True for p in self.lines}

    def positions(self, state: bool | None) -> list[int]:
        """The positions in `state` (True 符合, False 不符合, None 未确认), in order."""
        return [p.position for p in self.lines if self.state.get(p.position) is state]

    def preferred_height(self, width: int) -> int:
        """The height that shows every tile at `width` without scrolling."""
        cell = self.gridSize()
        cols = max(1, (width - 2 * self.frameWidth() - 4) // max(1, cell.width()))
        rows = -(-len(self.lines) // cols)
        return rows * cell.height() + 2 * self.frameWidth() + 8

    def hasHeightForWidth(self) -> bool:
        """The grid's height follows its width (the tiles flow into rows)."""
        return True

    def heightForWidth(self, width: int) -> int:
        """As tall as all tiles need at `width` (a list view would ask for a fixed 192 px, which
        scrolls the prompt around a grid of one row)."""
        return max(self.minimumHeight(), self.preferred_height(width))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Space cycles the current tile; other keys navigate (Enter is left to the panel: submit)."""
        if event.key() == Qt.Key.Key_Space and self.currentItem() is not None:
            self.toggle(int(self.currentItem().data(Qt.ItemDataRole.UserRole)))
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape):
            event.ignore()  # the prompt panel submits / clears
            return
        super().keyPressEvent(event)

    def _clicked(self, item: QListWidgetItem) -> None:
        """A tile was clicked or tapped."""
        self.toggle(int(item.data(Qt.ItemDataRole.UserRole)))

    def _set_all(self, state: bool | None) -> None:
        """Put every position in `state` and repaint."""
        for p in self.lines:
            self.state[p.position] = state
        for i in range(self.count()):
            self._paint(self.item(i))
        self.changed.emit()

    def _paint(self, item: QListWidgetItem) -> None:
        """A tile's words and colours from its state (never colour alone)."""
        position = int(item.data(Qt.ItemDataRole.UserRole))
        state = self.state.get(position)
        verdict, word = {True: ("pass", self.tr("✓ 符合")), False: ("fail", self.tr("✗ 不符合")),
                         None: ("pending", self.tr("未确认"))}[state]
        bg, fg = verdict_colours(verdict)
        item.setText(f"{position}\n{word}")
        item.setBackground(QBrush(bg))
        item.setForeground(QBrush(fg))
        item.setData(Qt.ItemDataRole.AccessibleTextRole, self.tr("表位 {p}: {state}").format(p=position, state=word))
