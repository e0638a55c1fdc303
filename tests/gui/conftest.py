"""Fixtures for the GUI tests: Qt offscreen (set before Qt is imported), a store with the demo
standards, the ac demo station at high simulation speed on free ports, and isolated settings."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from bench.cli import DEMO_STANDARDS
from bench.controller import Controller
from bench.station import Station, example_station_path, load_station


@pytest.fixture
def gui_settings(tmp_path: Path) -> QSettings:
    """Settings in a temporary INI file (the language choice of one test never leaks)."""
    return QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def controller(tmp_path: Path) -> Controller:
    """A controller over a fresh store holding every demo standard."""
    ctl = Controller.open(tmp_path / "gui.db", tmp_path / "out")
    today = date.today()
    for std in DEMO_STANDARDS.values():
        ctl.store.add_standard(**std, calibrated_on=today - timedelta(days=10), valid_until=today + timedelta(days=100))
    return ctl


def fast_station(kind: str = "ac", speed: float = 3000) -> Station:
    """A shipped demo station with its twins accelerated and every port chosen freely."""
    st = load_station(example_station_path(kind))
    st.raw["sim"]["speed"] = speed
    for name, dev in st.raw.get("devices", {}).items():
        if isinstance(dev.get("port"), int):  # a TCP port (a serial device keeps its path: the twin's pty replaces it)
            st.raw["devices"][name]["port"] = 0
    for dev in st.devices:
        if isinstance(dev.config.get("port"), int):
            dev.config["port"] = 0
    return st


def strings_in(value: object) -> Iterator[str]:
    """Every string inside a station file's table (nested tables and lists included): the station's
    own data, which a test of the interface's language excepts by value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from strings_in(v)


def click(qtbot: QtBot, button: object) -> None:
    """Click an enabled button with the mouse (a disabled one fails the test)."""
    assert button.isEnabled()  # type: ignore[attr-defined]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def commit_text(qtbot: QtBot, field: QLineEdit, text: str) -> None:
    """Type Chinese text as an input method commits it (QTest cannot key CJK characters)."""
    field.clear()
    field.setFocus()
    ev = QInputMethodEvent()
    ev.setCommitString(text)
    QApplication.sendEvent(field, ev)
    assert field.text() == text


def log_in_row(qtbot: QtBot, row: Any, name: str, password: str = "") -> None:
    """Log in on a page's account row (gui.views.login.LoginRow): type the name and password (the demo
    accounts' by default) and press 登录."""
    from bench.accounts import DEMO_PASSWORD

    commit_text(qtbot, row.name, name)
    row.password.clear()
    qtbot.keyClicks(row.password, password or DEMO_PASSWORD)
    click(qtbot, row.login_button)
