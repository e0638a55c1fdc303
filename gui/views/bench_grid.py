"""The multi-position bench grid (表位): one tile per instrument on the bench, with its latest error
in large type, the test point it belongs to, and its verdict as a coloured tile that also says it in
words (合格 / 不合格 / 需复检). Updated live from the bus (MeasurementRecorded carries
``result.position``; StepFinished carries ``data["position_faults"]``), and at the end from the
run's summary (a faulted position gets no certificate and is marked 需复检 re-test).

Why: on a 6-, 24- or 48-position bench the technician must see at a glance which meter is drifting
or has stopped counting, from across the room, without reading a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from gui.views._common import scaled_font, verdict_colours, verdict_text
from procedures.engine import MeasurementRecorded, RunStarted, StepFinished

RANK = {"n/a": 0, "pending": 0, "pass": 1, "undetermined": 2, "fail": 3, "retest": 4}


@dataclass
class PositionState:
    """What the grid knows of one position."""

    position: int
    serial: str = ""
    label: str = ""  # the latest test point
    error: str = ""  # the latest rounded error with its unit
    mpe: str = ""
    verdict: str = "pending"  # the worst so far: pending | pass | undetermined | fail | retest
    message: str = ""  # the fault (re-test) or the final conclusion


class PositionTile(QFrame):
    """One position's tile: number, serial, point, error (large), verdict in words."""

    def __init__(self, position: int, parent: QWidget | None = None) -> None:
        """An empty tile for ``position``."""
        super().__init__(parent)
        self.position = position
        self.setObjectName(f"position_{position}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumSize(150, 130)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        self.title = QLabel(self)
        big = scaled_font(self, 1.2, bold=True)
        self.title.setFont(big)
        self.serial = QLabel(self)
        self.point = QLabel(self)
        self.point.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setFont(scaled_font(self, 2.0, bold=True))
        self.verdict = QLabel(self)
        self.verdict.setFont(big)
        for w in (self.title, self.serial, self.point, self.error, self.verdict):
            lay.addWidget(w)
        self.show_state(PositionState(position))

    def show_state(self, st: PositionState) -> None:
        """Paint the tile for ``st`` (colour and words)."""
        self.title.setText(self.tr("表位 %1").replace("%1", str(st.position)))
        self.serial.setText(st.serial)
        self.point.setText(st.message if st.verdict == "retest" else st.label)
        self.error.setText(st.error or "—")
        self.verdict.setText(verdict_text(st.verdict))
        bg, fg = verdict_colours(st.verdict)
        self.setStyleSheet(f"PositionTile {{ background: {bg.name()}; border: 2px solid #333; border-radius: 6px; }}"
                           f" QLabel {{ color: {fg.name()}; background: transparent; }}")
        name = self.tr("表位 %1：%2 %3").replace("%1", str(st.position)).replace("%2", verdict_text(st.verdict))
        self.setAccessibleName(name.replace("%3", st.error))
        self.setToolTip(st.message or st.label)


class BenchGrid(QWidget):
    """All positions of the current (or a chosen) bench run."""

    def __init__(self, controller: Any, bridge: Any | None = None, parent: QWidget | None = None,
                 columns: int = 6) -> None:
        """Build an empty grid; with a bridge, follow its live run."""
        super().__init__(parent)
        self.controller = controller
        self.columns = columns
        self.run_id = ""
        self.states: dict[int, PositionState] = {}
        self.tiles: dict[int, PositionTile] = {}
        lay = QVBoxLayout(self)
        self.heading = QLabel(self)
        self.heading.setObjectName("bench_heading")
        f = scaled_font(self.heading, 1.3)
        self.heading.setFont(f)
        self.summary = QLabel(self)
        self.summary.setObjectName("bench_summary")
        self.summary.setFont(f)
        lay.addWidget(self.heading)
        lay.addWidget(self.summary)
        self._area = QScrollArea(self)
        self._area.setWidgetResizable(True)
        self._area.setAccessibleName(self.tr("表位网格"))
        self._inner = QWidget(self._area)
        self._grid = QGridLayout(self._inner)
        self._area.setWidget(self._inner)
        lay.addWidget(self._area, 1)
        self.retranslate()
        if bridge is not None:
            bridge.run_started.connect(self.on_event)
            bridge.measurement.connect(self.on_event)
            bridge.step_finished.connect(self.on_event)
            bridge.run_done.connect(self.on_summary)

    # -- state ------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        """Re-apply texts after a language switch."""
        self.heading.setText(self.tr("多表位检定装置") + (f"  {self.run_id[:8]}" if self.run_id else ""))
        self._update_summary()
        for p, tile in self.tiles.items():
            tile.show_state(self.states[p])

    def load_run(self, run_id: str) -> None:
        """Show the positions of ``run_id`` as the store has them (after a run, or on resume)."""
        self.run_id = run_id
        seats = self.controller.run_positions(run_id)
        self._reset({s.position: s.serial for s in seats})
        for s in seats:
            st = self.states[s.position]
            if s.status == "retest":
                st.verdict, st.message = "retest", s.message
            elif s.status == "finished":
                st.verdict = "pass" if s.conclusion == "合格" else "fail"
                st.message = s.conclusion
        self._refresh()

    def _reset(self, serials: dict[int, str]) -> None:
        for tile in self.tiles.values():
            self._grid.removeWidget(tile)
            tile.deleteLater()
        self.tiles.clear()
        self.states = {}
        for p, serial in sorted(serials.items()):
            self._add(p, serial)
        self.retranslate()

    def _add(self, position: int, serial: str) -> PositionState:
        i = len(self.tiles)
        st = self.states[position] = PositionState(position, serial)
        tile = self.tiles[position] = PositionTile(position, self._inner)
        self._grid.addWidget(tile, i // self.columns, i % self.columns)
        self._grid.setRowStretch(i // self.columns, 0)
        self._grid.setRowStretch(i // self.columns + 1, 1)  # tiles keep their size; space goes below
        tile.show_state(st)
        return st

    # -- live -------------------------------------------------------------------------------------
    def on_event(self, ev: Any) -> None:
        """A bus event from the bridge (GUI thread)."""
        if isinstance(ev, RunStarted):
            self.run_id = ev.run_id
            seats = self.controller.run_positions(ev.run_id)
            if seats:
                self._reset({s.position: s.serial for s in seats})
        elif isinstance(ev, MeasurementRecorded) and ev.result.position is not None:
            r = ev.result
            st = self.states.get(r.position)
            if st is None:  # a position the run did not list (a bench without a run record)
                st = self._add(r.position, "")
            if st.verdict == "retest":
                return
            st.label = f"{r.name} {r.label}".strip()
            st.error = f"{r.rounded} {r.unit}".strip() if r.rounded not in ("", "—") else "—"
            st.mpe = f"±{r.mpe:g} {r.unit}" if r.mpe is not None else ""
            if RANK.get(r.verdict.value, 0) > RANK.get(st.verdict, 0):
                st.verdict = r.verdict.value
            self._refresh(r.position)
        elif isinstance(ev, StepFinished):
            faults = (ev.outcome.get("data") or {}).get("position_faults") or {}
            for pos, message in faults.items():
                st = self.states.get(int(pos))
                if st is not None:
                    st.verdict, st.message = "retest", str(message)
                    self._refresh(int(pos))

    def on_summary(self, summary: Any) -> None:
        """The run ended: take each position's final state from its summary."""
        for p in getattr(summary, "positions", []) or []:
            st = self.states.get(p.position)
            if st is None:
                continue
            if p.status == "retest":
                st.verdict, st.message = "retest", p.message
            elif p.record is not None:
                st.verdict = "pass" if p.record.passed else "fail"
                st.message = p.conclusion
        self._refresh()

    def _refresh(self, position: int | None = None) -> None:
        for p in [position] if position is not None else list(self.tiles):
            if p in self.tiles:
                self.tiles[p].show_state(self.states[p])
        self._update_summary()

    def _update_summary(self) -> None:
        counts = {k: sum(1 for s in self.states.values() if s.verdict == k) for k in ("pass", "fail", "retest")}
        self.summary.setText(self.tr("合格 %1  不合格 %2  需复检 %3  共 %4")
                             .replace("%1", str(counts["pass"])).replace("%2", str(counts["fail"]))
                             .replace("%3", str(counts["retest"])).replace("%4", str(len(self.states))))
        self.summary.setAccessibleName(self.summary.text())

    def retest_positions(self) -> list[int]:
        """Positions marked 需复检 (re-test)."""
        return [p for p, s in self.states.items() if s.verdict == "retest"]
