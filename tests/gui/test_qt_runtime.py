"""The Qt binding the GUI runs on keeps Python's reference counts: PySide6 6.12.0 under Python 3.11
drops a reference to None on ordinary widget calls, and a long session then aborts the
interpreter ("deallocating None") mid-run — pyproject excludes it; this keeps it excluded."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot


def test_widget_calls_keep_the_reference_count_of_none(qtbot: QtBot) -> None:
    w = QWidget()
    qtbot.addWidget(w)
    label = QLabel("0", w)
    QVBoxLayout(w).addWidget(label)
    w.show()
    before = sys.getrefcount(None)
    for i in range(300):
        w.resize(300 + i % 50, 200 + i % 30)
        label.setText(str(i))
        qtbot.wait(0)
    lost = before - sys.getrefcount(None)
    assert lost < 30, f"{lost} references to None lost in 300 widget updates: a broken PySide6 build"
