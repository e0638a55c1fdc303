"""The run page's live panel, aware of the step it shows: the quantities being read in large type
with their units (the standard's U, I, P and energy and the instrument's pulses on a charger or
meter; volume, flow and temperatures on a fuel, water or gas run; temperature and humidity on an
environment step, each in its own tile), the errors of the test points against their ±MPE band as
they arrive, and on a bench the errors of every position at the current test point as a bar chart.

Labels are the technician's terms from ``procedures/regulations/data/readings.toml`` (through
:mod:`procedures.regulations.reading_labels`, Chinese or English with the interface) and values are
printed with that table's decimals. The panel listens to the run's events (``see``): ``StepStarted``
clears the tiles, ``ReadingTaken`` and :class:`~procedures.engine.LiveValues` fill them,
``LiveValues`` with an error and ``MeasurementRecorded`` place points against the MPE.

Why: the technician watches the measurement while it runs and must see at a glance whether the
instrument is inside its limits; the drawing is coalesced (``REDRAW_MS``) so a bench finishing 96
gates at once keeps the window responsive to abort and prompts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from gui.texts import words
from gui.views._common import scaled_font
from procedures.engine import (
    Event,
    LiveValues,
    MeasurementRecorded,
    ReadingTaken,
    RunStarted,
    StepStarted,
)
from procedures.engine.entry import pretty_unit
from procedures.records import MeasurementResult
from procedures.regulations.reading_labels import ReadingLabels, Term, labels_for
from reports.result_text import printed_decimals

TILE_COLUMNS = 4
MAX_TILES = 8
"""A step shows at most this many quantities; a new one takes the place of the one read longest ago
(tiles keep their places: a value never jumps while the technician reads it)."""
CONSTANT_SOURCES = frozenset({"instrument", "station", "regulation"})
"""Sources of a step's constants (C_L from the nameplate, U and I of a load point from the station):
inputs of the formula, not quantities to watch — the panel leaves them to the original record."""
NOT_PLOTTED = frozenset({"check", "conditions", "limit", "at_least", "annex"})
"""Result layouts that are not an error against a ±MPE band (checklists, limits, the annex)."""

PASS_BRUSH, FAIL_BRUSH, BAND_BRUSH = "#2e7d32", "#c62828", (46, 125, 50, 45)


def english() -> bool:
    """Whether the interface shows English now (the English translation is installed)."""
    return QCoreApplication.translate("App", "语言(&L)") != "语言(&L)"


@dataclass
class Shown:
    """One quantity as a tile shows it: caption, value as printed, unit."""

    caption: str
    value: str
    unit: str


@dataclass
class ErrorPoint:
    """A test point on the error plot: its label, MPE, the repetitions' errors and, once judged,
    the recorded error and whether it passed."""

    label: str
    mpe: float | None = None
    repetitions: list[float] = field(default_factory=list)
    error: float | None = None
    passed: bool | None = None


class Tile(QFrame):
    """One quantity on one line: its name (and symbol) small on the left, its value large and its
    unit on the right — compact, so eight of them take two rows above the plot."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """An empty tile."""
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.value = QLabel(self)
        self.value.setFont(scaled_font(self, 1.6, bold=True))
        self.value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.unit = QLabel(self)
        row.addWidget(self.caption, 1)
        row.addWidget(self.value)
        row.addWidget(self.unit)

    def show_value(self, shown: Shown) -> None:
        """Show one quantity."""
        self.caption.setText(shown.caption)
        self.value.setText(shown.value)
        self.unit.setText(shown.unit)
        self.setAccessibleName(f"{shown.caption}: {shown.value} {shown.unit}".strip())


class LivePanel(QWidget):
    """The live panel of the run page (see the module docstring). ``see`` takes every run event;
    what it draws is kept in plain data (``shown``, ``points``, ``bars``) that tests read."""

    REDRAW_MS = 100
    redrawn = Signal()  # after each coalesced redraw (tests wait on it)

    def __init__(self, parent: QWidget | None = None) -> None:
        """Heading, tiles, the error plot and the bench's bar chart (the plots hidden until used)."""
        super().__init__(parent)
        self.setMinimumHeight(160)
        self.labels: ReadingLabels | None = None
        self.step_key = ""
        self.step_title = ""
        self.point = ""
        self.shown: dict[str, Shown] = {}  # the current step's quantities, in their tiles' order
        self._touched: dict[str, int] = {}  # quantity → when it was last read (for the tile it may give up)
        self._tick = 0
        self.points: list[ErrorPoint] = []  # the error plot's test points (one item at a time)
        self.item = ""  # the kind of step whose points are plotted (its key without the point number)
        self.result_name = ""
        self.result_unit = "%"
        self.bench = False  # a run over several positions: the bar chart replaces the error plot
        self.bench_point = ""
        self.bench_mpe: float | None = None
        self.bars: dict[int, float] = {}  # position → error at the current point
        self.redraws = 0  # plot redraws so far (the coalescing is visible to tests)
        self._dirty: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.REDRAW_MS)
        self._timer.timeout.connect(self.redraw)
        self._build()
        self.retranslate()

    def _build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        self.heading = QLabel(self)
        self.heading.setObjectName("live_heading")
        self.heading.setFont(scaled_font(self, 1.25, bold=True))
        self.heading.setWordWrap(True)
        lay.addWidget(self.heading)
        self.tile_box = QWidget(self)
        self.tile_grid = QGridLayout(self.tile_box)
        self.tile_grid.setContentsMargins(0, 0, 0, 0)
        for column in range(TILE_COLUMNS):  # one tile is a quarter of the width, never the whole line
            self.tile_grid.setColumnStretch(column, 1)
        self.tiles: list[Tile] = []
        lay.addWidget(self.tile_box)
        self.error_plot = self._plot("live_error_plot")
        self.bench_plot = self._plot("live_bench_plot")
        lay.addWidget(self.error_plot, 100)
        lay.addWidget(self.bench_plot, 100)
        self.idle = QLabel(self)
        self.idle.setObjectName("live_idle")
        self.idle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.idle.setWordWrap(True)
        lay.addWidget(self.idle, 100)
        lay.addStretch(1)  # tiles stay at the top when no plot is shown
        self._show_parts()

    def _plot(self, name: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(self)
        plot.setObjectName(name)
        plot.setBackground("w")
        plot.showGrid(x=False, y=True, alpha=0.3)
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        for axis in ("left", "bottom"):
            plot.getAxis(axis).enableAutoSIPrefix(False)  # % and positions, never "(x0.001)"
        plot.setMinimumHeight(120)
        return plot

    # -- language -------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        """Captions, axis titles and accessible names in the interface's language."""
        self.error_plot.setAccessibleName(self.tr("各检定点误差与最大允许误差"))
        self.bench_plot.setAccessibleName(self.tr("当前检定点各表位误差"))
        self.idle.setText(self.tr("检定开始后在此显示实时读数"))
        self.shown = {k: self._shown_again(k, v) for k, v in self.shown.items()}
        self._render_heading()
        self._render_tiles()
        self._draw_errors()
        self._draw_bench()
        self._show_parts()

    def changeEvent(self, event: QEvent) -> None:
        """Re-translate on a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _shown_again(self, key: str, old: Shown) -> Shown:
        """A tile's caption in the current language (its value and unit stay)."""
        term = self._term(key)
        return Shown(self._caption(term, key), old.value, old.unit) if term else old

    # -- events ---------------------------------------------------------------------------------------
    def clear(self) -> None:
        """A new run: nothing shown, nothing pending."""
        self._timer.stop()
        self._dirty.clear()
        self.step_key = self.step_title = self.point = self.item = self.bench_point = ""
        self.shown.clear()
        self._touched.clear()
        self.points.clear()
        self.bars.clear()
        self.bench = False
        self.bench_mpe = None
        self.error_plot.clear()
        self.bench_plot.clear()
        self._render_tiles()
        self._render_heading()
        self._show_parts()

    def see(self, ev: Event) -> None:
        """One run event (the bridge's ``event`` signal, every event in order)."""
        if isinstance(ev, RunStarted):
            self.labels = labels_for(ev.procedure)
        elif isinstance(ev, StepStarted):
            self._step(ev)
        elif isinstance(ev, ReadingTaken):
            self.add(ev)
        elif isinstance(ev, LiveValues):
            self._live(ev)
        elif isinstance(ev, MeasurementRecorded):
            self._result(ev.step_key, ev.result)

    def _step(self, ev: StepStarted) -> None:
        self.step_key, self.step_title, self.point = ev.step_key, ev.title, ""
        self.shown.clear()
        self._touched.clear()
        if _STEP_NUMBER.sub("", ev.step_key) != self.item:  # another kind of step: its own plot
            self.item, self.points, self.result_name = _STEP_NUMBER.sub("", ev.step_key), [], ""
            self._changed("error")
        self._render_heading()
        self._changed("tiles")

    def add(self, ev: ReadingTaken) -> None:
        """A raw reading: a bench-wide one (and its labelled extras) in a tile; a position's error
        as that position's bar at the current point; checklist answers are the prompt's."""
        if ev.quantity == "checklist" or ev.extra.get("fault"):
            return
        term, parts = self._reading_term(ev.key, ev.quantity)
        if parts.position is not None:
            self.bench = True
            if (term.key if term else ev.quantity) == "error":
                self.bars[parts.position] = ev.value
                self._changed("bench")
            return
        if ev.source in CONSTANT_SOURCES:
            return
        self._tile(term.key if term else ev.quantity, term, ev.value, ev.unit)
        for name, value in ev.extra.items():
            extra = self.labels.extra(name) if self.labels else None
            if "constant" in name:  # the standard's constant rides on its gate reading: an input, not live
                continue
            if extra is not None and isinstance(value, int | float) and not isinstance(value, bool):
                self._tile(name, extra, float(value), "" if extra.unit == "=" else extra.unit)

    def _live(self, ev: LiveValues) -> None:
        if ev.point and ev.point != self.point:
            self.point = ev.point
            self._render_heading()
        for name, (value, unit) in ev.values.items():
            self._tile(name, self._term(name), value, unit)
        # the current point and its MPE, for a bench's bars (whether this run is a bench shows
        # only when the first position's reading arrives, after the point is announced)
        if ev.point and ev.point != self.bench_point:
            self.bench_point, self.bars = ev.point, {}
        if ev.mpe is not None:
            self.bench_mpe = ev.mpe
        if ev.position is not None or self.bench:
            self.bench = True
            if ev.error is not None and ev.position is not None:
                self.bars[ev.position] = ev.error
            self._changed("bench")
            return
        if ev.mpe is None and ev.error is None:
            return
        point = self._point(ev.step_key, ev.point or self.point, ev.unit)
        if ev.mpe is not None:
            point.mpe = ev.mpe
        if ev.error is not None:
            point.repetitions.append(ev.error)
        self._changed("error")

    def _result(self, step_key: str, r: MeasurementResult) -> None:
        """A judged result: on the error plot (one instrument) or the bar chart (a bench position)."""
        if r.layout in NOT_PLOTTED or r.mpe is None or printed_decimals(r.rounded) is None:
            return
        value = float(r.rounded)
        if r.position is not None:
            self.bench = True
            if r.label != self.bench_point:
                self.bench_point, self.bars = r.label, {}
            self.bench_mpe = r.mpe
            self.bars[r.position] = value
            self._changed("bench")
            return
        self.result_name = r.name
        point = self._point(step_key, r.label, r.unit)
        point.mpe, point.error, point.passed = r.mpe, value, r.verdict.value == "pass"
        self._changed("error")

    def _point(self, step_key: str, label: str, unit: str) -> ErrorPoint:
        """The error plot's point ``label``; the plot holds the points of one kind of step (the
        step key without its point number: ``working_error_2`` → ``working_error``), another kind
        starts a new plot."""
        item = _STEP_NUMBER.sub("", step_key)
        if item != self.item:
            self.item, self.points = item, []
        self.result_unit = unit
        for p in self.points:
            if p.label == label:
                return p
        self.points.append(ErrorPoint(label))
        return self.points[-1]

    # -- tiles ----------------------------------------------------------------------------------------
    def _reading_term(self, key: str, quantity: str) -> tuple[Term | None, object]:
        from procedures.regulations.reading_labels import parse_key

        if self.labels is None:
            return None, parse_key(key)
        return self.labels.reading(key, quantity)

    def _term(self, name: str) -> Term | None:
        if self.labels is None:
            return None
        return self.labels.reading(name, name)[0]

    def _caption(self, term: Term | None, key: str) -> str:
        if term is None:
            return key
        name = _capital(term.en or term.zh) if english() else term.zh
        return f"{name} {term.symbol}".strip()

    def _tile(self, key: str, term: Term | None, value: float, stored_unit: str) -> None:
        self._tick += 1
        if key not in self.shown and len(self.shown) >= MAX_TILES:
            oldest = min(self.shown, key=lambda k: self._touched.get(k, 0))
            self.shown = {(key if k == oldest else k): v for k, v in self.shown.items()}  # same place
        self._touched[key] = self._tick
        if term is not None:
            text, unit = term.format(value), (term.unit if term.unit not in ("", "=") else pretty_unit(stored_unit))
        else:
            text, unit = f"{value:.6g}", pretty_unit(stored_unit)
        if self.labels is not None and term is not None and term.values:
            unit = ""
            text = words(text)  # a value word (是, 有效 …) in the interface's language
        self.shown[key] = Shown(self._caption(term, key), text, unit)
        self._changed("tiles")

    # -- drawing --------------------------------------------------------------------------------------
    def _changed(self, part: str) -> None:
        self._dirty.add(part)
        if not self._timer.isActive():
            self._timer.start()

    def redraw(self) -> None:
        """Draw what changed since the last redraw (tiles, error plot, bar chart)."""
        dirty, self._dirty = self._dirty, set()
        if "tiles" in dirty:
            self._render_tiles()
        if "error" in dirty:
            self._draw_errors()
            self.redraws += 1
        if "bench" in dirty:
            self._draw_bench()
            self.redraws += 1
        self._show_parts()
        self.redrawn.emit()

    def _render_heading(self) -> None:
        title = self.step_title
        if self.labels is not None and self.step_key:
            label, number = self.labels.step(self.step_key)
            if label is not None:
                title = (label.en or label.zh) if english() else label.zh
                if number is not None:
                    title += self.tr(" 第 {n} 点").format(n=number)
        self.heading.setText(f"{title}  ·  {self.point}" if self.point and title else (title or self.point))

    def _render_tiles(self) -> None:
        while len(self.tiles) < len(self.shown):
            tile = Tile(self.tile_box)
            n = len(self.tiles)
            self.tile_grid.addWidget(tile, n // TILE_COLUMNS, n % TILE_COLUMNS)
            self.tiles.append(tile)
        for tile, shown in zip(self.tiles, self.shown.values(), strict=False):
            tile.show_value(shown)
            tile.show()
        for tile in self.tiles[len(self.shown):]:
            tile.hide()
        self.tile_box.setVisible(bool(self.shown))

    def _axis_title(self) -> str:
        name = self.result_name or self.tr("误差")
        if self.labels is not None and self.item and english():  # the record's name is Chinese
            label, _ = self.labels.step(self.item)
            name = label.en if label is not None and label.en else self.tr("误差")
        return f"{name} ({self.result_unit})" if self.result_unit else name

    def _draw_errors(self) -> None:
        plot = self.error_plot
        plot.clear()
        plot.setLabel("left", self._axis_title())
        plot.setLabel("bottom", self.tr("检定点"))
        if not self.points:
            return
        xs = list(range(len(self.points)))
        with_mpe = [(x, p.mpe) for x, p in zip(xs, self.points, strict=True) if p.mpe is not None]
        if with_mpe:
            plot.addItem(pg.BarGraphItem(x=[x for x, _ in with_mpe], y0=[-(m or 0) for _, m in with_mpe],
                                         height=[2 * (m or 0) for _, m in with_mpe], width=0.8,
                                         brush=pg.mkBrush(BAND_BRUSH), pen=pg.mkPen(PASS_BRUSH, width=1)))
        reps = [(x, e) for x, p in zip(xs, self.points, strict=True) for e in p.repetitions]
        if reps:
            plot.plot([x for x, _ in reps], [e for _, e in reps], pen=None, symbol="o", symbolSize=7,
                      symbolBrush=None, symbolPen=pg.mkPen("#455a64", width=1.5))
        judged = [(x, p) for x, p in zip(xs, self.points, strict=True) if p.error is not None]
        if judged:
            plot.plot([x for x, _ in judged], [p.error for _, p in judged], pen=None, symbol="s", symbolSize=11,
                      symbolPen=None, symbolBrush=[pg.mkBrush(PASS_BRUSH if p.passed else FAIL_BRUSH)
                                                   for _, p in judged])
        plot.getAxis("bottom").setTicks([[(x, _short(p.label)) for x, p in zip(xs, self.points, strict=True)]])
        top = max([abs(m or 0) for _, m in with_mpe] + [abs(e) for _, e in reps] +
                  [abs(p.error or 0) for _, p in judged] + [1e-9])
        plot.setXRange(-0.6, len(self.points) - 0.4, padding=0)
        plot.setYRange(-1.25 * top, 1.25 * top, padding=0)

    def _draw_bench(self) -> None:
        plot = self.bench_plot
        plot.clear()
        plot.setLabel("left", self._axis_title() if self.result_name else self.tr("误差 (%)"))
        plot.setLabel("bottom", self.tr("表位") + (f"  ·  {self.bench_point}" if self.bench_point else ""))
        mpe = self.bench_mpe
        if mpe is not None:
            plot.addItem(pg.LinearRegionItem((-mpe, mpe), orientation="horizontal", movable=False,
                                             brush=pg.mkBrush(BAND_BRUSH), pen=pg.mkPen(PASS_BRUSH)))
        if not self.bars:
            return
        positions = sorted(self.bars)
        values = [self.bars[p] for p in positions]
        brushes = [pg.mkBrush(PASS_BRUSH if mpe is None or abs(v) <= mpe else FAIL_BRUSH) for v in values]
        plot.addItem(pg.BarGraphItem(x=positions, height=values, width=0.7, brushes=brushes, pen=None))
        top = max([abs(v) for v in values if math.isfinite(v)] + [abs(mpe or 0), 1e-9])
        plot.setYRange(-1.25 * top, 1.25 * top, padding=0)
        plot.setXRange(min(positions) - 0.8, max(positions) + 0.8, padding=0)

    def _show_parts(self) -> None:
        """Show the plot the step needs: the bar chart on a bench, the error plot otherwise, and
        neither (only tiles) before any error arrives."""
        bench = self.bench and (bool(self.bars) or self.bench_mpe is not None)
        errors = not self.bench and bool(self.points)
        self.bench_plot.setVisible(bench)
        self.error_plot.setVisible(errors)
        self.idle.setVisible(not bench and not errors and not self.shown)


_STEP_NUMBER = re.compile(r"_\d+$")


def _short(label: str, width: int = 16) -> str:
    """A test point's label short enough for an axis tick: its name before the conditions in
    brackets ("Imax (32 A, cosφ=1)" → "Imax"), cut at ``width``."""
    label = label.split(" (")[0] or label
    return label if len(label) <= width else label[: width - 1] + "…"


def _capital(text: str) -> str:
    """English captions start with a capital (the table's English terms are written lower case to
    stand beside the Chinese)."""
    return text[:1].upper() + text[1:]
