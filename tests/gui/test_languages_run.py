"""Both languages all the way through a run (issue 14 line 6): a whole AC run (JJG 1148, charger
twins on loopback) and a bench run (JJG 577, six gas meters) driven through the GUI in English show
no Chinese on the run page — step list, progress, prompts and their points and options, the
engine's refusal, status and result lines, tooltips and accessible names — except the station's
and the record's own data (names, places and people of the station file, the ledger's standards),
excepted by value; and the same runs in Chinese show no internal identifier (``humidity_pct``,
``r1:h_mm``, ``decision/result``).

The texts are collected after every engine event the window has drawn, so a text shown for a
moment (a progress line, a prompt) is seen as well as what stays at the end."""

from __future__ import annotations

import re
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from bench.cli import DEMO_STANDARDS
from bench.controller import Controller
from bench.station import Station, example_station_path
from gui.app import App
from gui.texts import reading_name, set_language, shown
from procedures.engine import Text
from tests.gui.conftest import fast_station, strings_in
from tests.gui.test_run_gui import _drive, _visible_texts, unsecured_post_silent_calibrator

pytestmark = pytest.mark.timeout(180)

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# an internal identifier: a snake_case token (humidity_pct) or a reading key's parts (r1:h_mm)
# (a formula symbol of the label table, n_0 or p_a, is the regulation's notation, not an identifier)
IDENTIFIER = re.compile(r"\b[a-z]{2,}_[a-z][a-z0-9_]*\b|\b[A-Za-z_]\w*:[A-Za-z_]\w*\b|\bdecision/result\b")


def _data_values(station: Station) -> list[str]:
    """The station's and the record's own data, shown as entered in any language: every string of
    the station file (its name, place, people, instrument and client) and the demo standards'
    ledger entries. Longest first, so a value inside another is removed after it."""
    values = {*strings_in(station.raw), *(s for std in DEMO_STANDARDS.values() for s in strings_in(std))}
    return sorted((v for v in values if CJK.search(v)), key=len, reverse=True)


def _texts(root: QWidget) -> list[str]:
    """Every text a user can see or hear on ``root``: what ``_visible_texts`` collects (labels,
    buttons, titles, list and combo items, headers, placeholders, the progress bar's text) and the
    window title, table cells, tooltips and accessible names."""
    out = [root.window().windowTitle(), *_visible_texts(root)]
    for w in [root, *root.findChildren(QWidget)]:
        if w is not root and not w.isVisibleTo(root):
            continue
        out += [w.toolTip(), w.accessibleName()]
        if isinstance(w, QTableWidget):
            out += [w.item(r, c).text() for r in range(w.rowCount()) for c in range(w.columnCount()) if w.item(r, c)]
    return [t for t in out if t]


def _run(qtbot: QtBot, controller: Controller, settings: QSettings, kind: str, language: str) -> tuple[list[str], Any]:
    """Run the demo station ``kind`` through the GUI in ``language``, answering every prompt
    through the widgets; every text the run page showed after each event, and the run's summary."""
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    station = fast_station(kind)
    app = App(qapp, controller, sim=True, stations={kind: example_station_path(kind)}, store=settings)
    app.run_view.prepare_station = lambda _path: station
    qtbot.addWidget(app.window)
    app.window.show()
    app.switch_language(language)
    seen: list[str] = []
    # connected after the views' own slots: runs once the page shows the event
    app.bridge.event.connect(lambda _ev: seen.extend(_texts(app.run_view)))
    app.bridge.prompt.connect(lambda _p: seen.extend(_texts(app.run_view)))
    summaries: list[Any] = []
    app.bridge.run_done.connect(summaries.append)
    try:
        seen += _texts(app.run_view)
        qtbot.mouseClick(app.run_view.start_btn, Qt.MouseButton.LeftButton)
        refusals = _drive(qtbot, app, lambda: bool(summaries), bad_first=kind == "ac")
        qtbot.waitUntil(lambda: app.run_view.start_btn.isEnabled())
        seen += refusals + _texts(app.run_view)
    finally:
        app.close()
        set_language("zh")
    assert summaries and summaries[0].status == "finished", summaries and summaries[0].message
    return list(dict.fromkeys(seen)), (summaries[0], _data_values(station), refusals)


def _chinese_left(texts: list[str], data: list[str]) -> list[str]:
    """The texts holding Chinese once the station's and the record's data are taken out."""
    bad = []
    for t in texts:
        rest = t
        for value in data:
            rest = rest.replace(value, "")
        if CJK.search(rest):
            bad.append(t)
    return bad


@pytest.mark.parametrize("kind", ["ac", "gas"])
def test_a_whole_run_in_english_shows_no_chinese(qtbot: QtBot, controller: Controller, gui_settings: QSettings,
                                                 kind: str) -> None:
    texts, (summary, data, refusals) = _run(qtbot, controller, gui_settings, kind, "en")
    assert _chinese_left(texts, data) == []
    # the run's texts were there to see, in English: steps, progress, prompts, the result line
    joined = "\n".join(texts)
    assert "Appearance" in joined or "appearance" in joined.lower()
    assert "Run finished" in joined, joined[-400:]
    if kind == "ac":
        assert refusals and refusals[0].startswith("Entry refused"), refusals
        assert "Operating error" in joined and "pulses" in joined  # a step title and its progress
        assert "displayed time when the standard time shows" in joined  # the clock prompt, whole
    else:
        assert "Position 1" in joined and "run 1" in joined  # the per-position checklist, progress
    assert summary.status == "finished"


@pytest.mark.parametrize("kind", ["ac", "gas"])
def test_a_whole_run_in_chinese_shows_no_internal_identifier(qtbot: QtBot, controller: Controller,
                                                             gui_settings: QSettings, kind: str) -> None:
    texts, (_summary, data, _refusals) = _run(qtbot, controller, gui_settings, kind, "zh")
    data_all = [*data, *(v for v in strings_in(fast_station(kind).raw) if isinstance(v, str))]
    bad = []
    for t in texts:
        rest = t
        for value in sorted(data_all, key=len, reverse=True):
            rest = rest.replace(value, "") if value else rest
        if IDENTIFIER.search(rest):
            bad.append(t)
    assert bad == []
    joined = "\n".join(texts)
    assert "外观" in joined and "检定完成" in joined
    assert "(positions done)" not in joined and "(measure again)" not in joined


def test_texts_carry_both_languages_and_keep_the_console_form() -> None:
    """The bilingual text: its value is what the console printed (and what answers are keyed by);
    a display picks a side; house-convention strings are read into both."""
    t = Text("重新测量", "measure again")
    assert t == "重新测量 (measure again)" and (t.zh, t.en) == ("重新测量", "measure again")
    point = "外观无破损，封印完好 / housing intact, seals intact"
    assert shown(point) == "外观无破损，封印完好"
    set_language("en")
    try:
        assert shown(point) == "housing intact, seals intact"
        assert shown("检定条件不满足 (test condition not met): 流量超出 (flow out of range)") == \
            "test condition not met: flow out of range"
        assert shown("Imax (32 A, cosφ=1) 第1次") == "Imax (32 A, cosφ=1) 第1次"  # no gloss: left as is
        assert reading_name("jjg1148", "humidity_pct", "humidity_pct") != "humidity_pct"
    finally:
        set_language("zh")
    assert "humidity" not in reading_name("jjg1148", "humidity_pct", "humidity_pct")
    assert reading_name("jjg443", "r1:h_mm", "h_mm").endswith("第 1 次")


def test_station_data_exceptions_are_values_not_widgets() -> None:
    """The exceptions are the station file's own strings, nothing else: an interface word is not one."""
    data = _data_values(fast_station("ac"))
    assert "张检定" in data and "外观及功能检查" not in data
    assert _chinese_left(["Station: 现场检定工作站 JD-01", "工作误差"], data) == ["工作误差"]



def test_a_warning_and_a_fault_in_english(qtbot: QtBot, controller: Controller, gui_settings: QSettings) -> None:
    """A real post on OCPP security profile 0 whose calibrator does not answer: the run's warning
    heads the step list and the fault that pauses the run is the status line — both in English."""
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    station = unsecured_post_silent_calibrator()
    app = App(qapp, controller, sim=True, stations={"ac": example_station_path("ac")}, store=gui_settings)
    app.run_view.prepare_station = lambda _path: station
    qtbot.addWidget(app.window)
    app.switch_language("en")
    summaries: list[Any] = []
    app.bridge.run_done.connect(summaries.append)
    try:
        qtbot.mouseClick(app.run_view.start_btn, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(summaries), timeout=30000)
        assert summaries[0].status == "paused", summaries[0].message
        warning, status = app.run_view.steps.item(0).text(), app.run_view.status.text()
    finally:
        app.close()
        set_language("zh")
    assert warning.startswith("⚠ [devices.charger] warning: OCPP security profile 0"), warning
    assert status.startswith("Run paused") and "reference" in status, status
    assert _chinese_left([warning, status], _data_values(station)) == []
