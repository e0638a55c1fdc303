"""The positions × test-points error matrix of a bench run: one row per position (表位 and serial),
one column per test point headed as the documents head it ("Ib 0.5L" over "±2.0 %"), each cell the
error as the certificate prints it, coloured against its MPE — within (green), near the limit
(amber, ≥ 80 % of the MPE: bench_state.NEAR_LIMIT), beyond (red), undetermined (orange), faulted
(violet "—") or not measured (grey) — and saying it in words too (tooltip and accessible text,
never colour alone).

Rows select whole positions (Ctrl/Shift for several) for the bench view's 复检所选; a row clicked
shows that position's details.

Why: with 96 positions the technician must see in one screen which point is drifting on which
meter, and how close the passing ones are to their limit — what a tile per position cannot show.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from gui.views._common import verdict_text
from gui.views.bench_state import BenchState, Column, cell_state

# cell state → (background, text): light tints so 96 × 15 cells stay readable; red and violet strong
CELL_COLOURS = {"pass": ("#cfe8d4", "#000000"), "near": ("#ffd966", "#000000"), "fail": ("#b3141c", "#ffffff"),
                "undetermined": ("#f0a500", "#000000"), "fault": ("#6a3d9a", "#ffffff"),
                "none": ("#f2f2f2", "#606060")}


def cell_words(state: str) -> str:
    """A cell's state in words (the tooltip and accessible text beside the colour): a verdict's own
    words (合格 / 不合格 / 待定), or near the limit, faulted, not measured."""
    if state in ("pass", "fail", "undetermined"):
        return verdict_text(state)
    if state == "near":
        return QCoreApplication.translate("Views", "合格 (近限)")
    return QCoreApplication.translate("Views", "故障") if state == "fault" else QCoreApplication.translate("Views", "未测")


def cell_colours(state: str) -> tuple[QColor, QColor]:
    """(background, text) of a cell state."""
    bg, fg = CELL_COLOURS[state]
    return QColor(bg), QColor(fg)


class BenchMatrix(QTableWidget):
    """The error matrix of one bench run (rows: positions; columns: test points)."""

    position_clicked = Signal(int)  # a row was clicked: its position

    def __init__(self, state: BenchState, parent: QWidget | None = None) -> None:
        """An empty matrix over ``state`` (filled by :meth:`rebuild` and :meth:`update_cell`)."""
        super().__init__(parent)
        self.state = state
        self.english = False
        self.setObjectName("bench_matrix")
        self.setAccessibleName(self.tr("误差矩阵"))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setWordWrap(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        self.verticalHeader().setDefaultSectionSize(24)
        self.cellClicked.connect(lambda row, _col: self.position_clicked.emit(self.row_position(row)))
        self._rows: dict[int, int] = {}

    def rebuild(self) -> None:
        """Lay out every row and column afresh from the state."""
        self._rows = {p: i for i, p in enumerate(self.state.positions)}
        self.setRowCount(len(self._rows))
        self.setColumnCount(len(self.state.columns))
        self.setVerticalHeaderLabels([self._row_label(p) for p in self.state.positions])
        for j, col in enumerate(self.state.columns):
            self._set_header(j, col)
        for p, i in self._rows.items():
            for j, col in enumerate(self.state.columns):
                self._paint(i, j, col, p)

    def _row_label(self, p: int) -> str:
        serial = self.state.positions[p].serial
        return f"{p}  {serial}" if serial else str(p)

    def _set_header(self, j: int, col: Column) -> None:
        info = self.state.items.get(col.item)
        head = col.header(self.english, info)
        limit = self.state.requirement(col)
        item = QTableWidgetItem(f"{head}\n{limit}" if limit else head)
        item.setToolTip(f"{(info.name_en if self.english and info else col.name)} {col.label}  {limit}".strip())
        self.setHorizontalHeaderItem(j, item)

    def _paint(self, i: int, j: int, col: Column, p: int) -> None:
        r = self.state.positions[p].results.get(col)
        st = cell_state(r, col.layout)
        text = "" if r is None else self.state.cell_text(col, r)
        cell = self.item(i, j)
        if cell is None:
            cell = QTableWidgetItem()
            self.setItem(i, j, cell)
        cell.setText(text)
        cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        bg, fg = cell_colours(st)
        cell.setBackground(bg)
        cell.setForeground(fg)
        cell.setData(Qt.ItemDataRole.UserRole, st)
        words = cell_words(st)
        cell.setToolTip(self.tr("表位 {p} {point}: {value} {words}").format(
            p=p, point=col.header(self.english, self.state.items.get(col.item)), value=text or "—", words=words))
        cell.setData(Qt.ItemDataRole.AccessibleTextRole, f"{text} {words}".strip())

    def update_cell(self, p: int, col: Column) -> None:
        """One result arrived: paint its cell (a new position or column lays the matrix out again)."""
        if p not in self._rows or self.columnCount() != len(self.state.columns):
            self.rebuild()
            return
        j = self.state.columns.index(col)
        if j == self.columnCount() - 1 or self.horizontalHeaderItem(j) is None or "\n" not in self.horizontalHeaderItem(j).text():
            self._set_header(j, col)
        self._paint(self._rows[p], j, col, p)

    def row_position(self, row: int) -> int:
        """The position shown in ``row``."""
        return list(self.state.positions)[row]

    def selected_positions(self) -> list[int]:
        """The positions of the selected rows, ascending."""
        rows = {ix.row() for ix in self.selectionModel().selectedRows()}
        return sorted(self.row_position(r) for r in rows)

    def select_positions(self, positions: list[int]) -> None:
        """Select exactly the rows of ``positions``."""
        self.clearSelection()
        mode = self.selectionMode()
        self.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for p in positions:
            if p in self._rows:
                self.selectRow(self._rows[p])
        self.setSelectionMode(mode)

    def state_of(self, p: int, col: Column) -> str:
        """The state a cell shows (for tests and accessibility checks)."""
        cell = self.item(self._rows[p], self.state.columns.index(col))
        return str(cell.data(Qt.ItemDataRole.UserRole)) if cell is not None else "none"
