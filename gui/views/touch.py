"""Widgets sized for gloves and arm's length: large touch targets and big type, shared by the
run page's start form, prompts and live readings.

Why: a technician on site works in gloves on a laptop on a car bonnet; every page that takes an
answer uses the same sizes so nothing is small by accident.
"""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QPushButton, QWidget

MIN_TOUCH_PX = 44  # gloves: every button at least this tall
BIG_FONT_PT = 20  # readings, readable at arm's length


def big_font(widget: QWidget, points: int = BIG_FONT_PT) -> None:
    """Large font for values read at arm's length."""
    f = QFont(widget.font())
    f.setPointSize(points)
    widget.setFont(f)


def touch_button(parent: QWidget) -> QPushButton:
    """A large push button (gloves)."""
    b = QPushButton(parent)
    b.setMinimumHeight(MIN_TOUCH_PX)
    b.setMinimumWidth(120)
    return b
