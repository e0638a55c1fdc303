"""The latest raw reading in large type and a live plot of each quantity's readings.

Why: the technician watches the readings arrive while the run goes on; the drawing is coalesced so
a bench finishing 96 gates at once keeps the window responsive.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gui.texts import reading_name, unit_text
from gui.views.touch import big_font
from procedures.engine import ReadingTaken


class ReadingsPlot(QWidget):
    """The latest raw reading in large type and a live plot of the readings of each quantity.

    Curves are redrawn at most every ``REDRAW_MS`` (a bench finishing 96 gates at once sends 96
    readings in one burst): every reading is kept, only the drawing is coalesced, so the window
    stays responsive to the operator's abort and prompts."""

    MAX_POINTS = 500
    REDRAW_MS = 100

    def __init__(self, parent: QWidget | None = None) -> None:
        """Big label above a pyqtgraph plot."""
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.latest = QLabel("—", self)
        self.latest.setObjectName("latest_reading")
        big_font(self.latest, 24)
        lay.addWidget(self.latest)
        self.plot = pg.PlotWidget(self)
        self.plot.setBackground("w")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.addLegend()
        lay.addWidget(self.plot, 1)
        self.series: dict[str, tuple[list[float], Any]] = {}
        self._pens = ["#1565c0", "#2e7d32", "#c62828", "#6a1b9a", "#ef6c00", "#00838f"]
        self._dirty: set[str] = set()
        self.redraws = 0  # curve redraws so far (the coalescing is visible to tests)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.REDRAW_MS)
        self._timer.timeout.connect(self.redraw)
        self.regulation = ""  # the run's regulation code: readings are named from its label table
        self._latest: ReadingTaken | None = None
        self.retranslate()

    def retranslate(self) -> None:
        """Axis labels and accessible names."""
        self.latest.setAccessibleName(self.tr("最新读数"))
        self.plot.setAccessibleName(self.tr("实时读数曲线"))
        self.plot.setLabel("bottom", self.tr("读数序号"))
        self.plot.setLabel("left", self.tr("读数"))
        if self._latest is not None:
            self._show_latest(self._latest)

    def set_regulation(self, code: str) -> None:
        """The run's regulation ("JJG 1148-2022"): readings are named from its label table."""
        self.regulation = code

    def _show_latest(self, ev: ReadingTaken) -> None:
        """The latest reading in large type, named in the technician's terms (gui.texts)."""
        self._latest = ev
        name = reading_name(self.regulation, ev.key, ev.quantity)
        self.latest.setText(f"{name}: {ev.value:.6g} {unit_text(ev.unit)}".rstrip())

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def clear(self) -> None:
        """A new run: empty the plot."""
        self._timer.stop()
        self._dirty.clear()
        self.plot.clear()
        self.series.clear()
        self.latest.setText("—")
        self._latest = None

    def add(self, ev: ReadingTaken) -> None:
        """Show one reading (checklist answers are not plotted)."""
        if ev.quantity == "checklist":
            return
        unit = unit_text(ev.unit)
        self._show_latest(ev)
        quantity = reading_name(self.regulation, ev.quantity, ev.quantity)
        name = f"{quantity} ({unit})" if unit else quantity
        if name not in self.series:
            pen = pg.mkPen(self._pens[len(self.series) % len(self._pens)], width=2)
            self.series[name] = ([], self.plot.plot([], [], pen=pen, symbol="o", symbolSize=5, name=name))
        values, _curve = self.series[name]
        values.append(ev.value)
        del values[:-self.MAX_POINTS]
        self._dirty.add(name)
        if not self._timer.isActive():
            self._timer.start()

    def redraw(self) -> None:
        """Draw the curves that received readings since the last redraw."""
        for name in sorted(self._dirty):
            values, curve = self.series[name]
            curve.setData(list(range(len(values))), values)
            self.redraws += 1
        self._dirty.clear()
