"""The live plot keeps every reading but coalesces its drawing: a bench's burst of readings is one
redraw per curve, never one per reading, and what is drawn is the last MAX_POINTS values."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from gui.views.readings_plot import ReadingsPlot
from procedures.engine import ReadingTaken


def _reading(i: int, quantity: str = "dut_pulses") -> ReadingTaken:
    return ReadingTaken(run_id="r", step_key="ib", key=f"p{i % 96 + 1:02d}:ib:r1", quantity=quantity, value=float(i),
                        unit="imp", source="bench")


def test_a_burst_of_readings_is_one_redraw_per_curve(qtbot: QtBot) -> None:
    plot = ReadingsPlot()
    qtbot.addWidget(plot)
    for i in range(700):  # 96 positions finishing their gates together, several times over
        plot.add(_reading(i))
    plot.add(_reading(1, quantity="std_energy"))
    assert plot.redraws == 0  # nothing drawn inside the burst
    qtbot.waitUntil(lambda: plot.redraws == 2, timeout=2000)  # then once per curve
    values, curve = plot.series["dut pulses (imp)"]  # no regulation: the quantity in words, never a key
    assert values == [float(i) for i in range(200, 700)]  # the last MAX_POINTS readings, in order
    xs, ys = curve.getData()
    assert list(ys) == values and list(xs) == list(range(500))
    assert plot.latest.text() == "std energy: 1 imp"


def test_readings_are_named_from_the_regulation_label_table(qtbot: QtBot) -> None:
    """The latest reading is named as the original record names it, never by its key."""
    plot = ReadingsPlot()
    qtbot.addWidget(plot)
    plot.set_regulation("JJG 443-2023")
    plot.add(ReadingTaken(run_id="r", step_key="q2", key="r1:h_mm", quantity="h_mm", value=44.5, unit="mm",
                          source="operator"))
    text = plot.latest.text()
    assert "h_mm" not in text and "r1" not in text and text.endswith("第 1 次: 44.5 mm"), text


def test_a_new_run_drops_a_pending_redraw(qtbot: QtBot) -> None:
    plot = ReadingsPlot()
    qtbot.addWidget(plot)
    plot.add(_reading(1))
    plot.clear()
    qtbot.wait(plot.REDRAW_MS * 3)
    assert plot.redraws == 0 and plot.series == {}
