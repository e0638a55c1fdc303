"""A whole JJG 1148 run driven through the GUI against the twins (Modbus TCP + OCPP on loopback):
prompts answered through the widgets as a technician would (checklist boxes, values typed and
Enter), the engine's refusal of a bad value shown, the certificate issued through the controller's
approval facade; abort within a second; a crashed GUI's run offered for resume on restart; the
barcode-scanner field; the language switch (English leaves no Chinese on any page)."""

from __future__ import annotations

import copy
import re
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from bench.cli import demo_entries
from bench.controller import Controller
from bench.operators import answer_from
from bench.station import Station, example_station_path, parse_station
from drivers.ocpp.security import UNSECURED_WARNING
from gui.app import App
from gui.texts import set_language, shown
from gui.views.results_view import verdict_colours
from procedures.engine import OperatorPrompt
from tests.gui.conftest import fast_station

pytestmark = pytest.mark.timeout(120)

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _app(qtbot: QtBot, controller: Controller, settings: QSettings, speed: float = 3000) -> App:
    """The GUI as `jianding gui --sim` builds it, on the fast ac demo station."""
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    app = App(qapp, controller, sim=True, stations={"ac": example_station_path("ac")}, store=settings)
    app.run_view.prepare_station = lambda _path: fast_station("ac", speed)
    qtbot.addWidget(app.window)
    app.window.show()
    return app


def _answer(qtbot: QtBot, entries: dict[str, Any], prompt: OperatorPrompt) -> str:
    """The value a technician reads for `prompt` (the demo's table: the post's screen, the room);
    a reading tied to an instant of the time standard is taken once the instant has come."""
    if prompt.mark_time is not None:
        wait_ms = int((prompt.mark_time - datetime.now(UTC)).total_seconds() * 1000) + 50
        if wait_ms > 0:
            qtbot.wait(wait_ms)
    return answer_from(entries, prompt)


def _drive(qtbot: QtBot, app: App, done: Callable[[], bool], bad_first: bool = False,
           stop: Callable[[], bool] = lambda: False) -> list[str]:
    """Answer every prompt through the widgets until `done()` (or `stop()`); returns the refusal
    messages the entry page showed. With `bad_first`, the first entry is typed wrong once."""
    panel = app.run_view.prompts
    entries = demo_entries(app.controller)
    refusals: list[str] = []
    bad = bad_first
    while not done() and not stop():
        qtbot.waitUntil(lambda: panel.prompt is not None or done() or stop(), timeout=90_000)
        prompt = panel.prompt
        if prompt is None:
            continue
        if prompt.error:
            refusals.append(app.run_view.prompts.entry_error.text())
        if prompt.kind == "checklist":
            assert panel.lines() == list(prompt.items)
            if not panel._per_position:
                assert [b.text() for b in panel.boxes] == [shown(p) for p in prompt.items]
            qtbot.mouseClick(panel.check_all, Qt.MouseButton.LeftButton)
            qtbot.mouseClick(panel.check_ok, Qt.MouseButton.LeftButton)
        else:
            text = "12x" if bad else _answer(qtbot, entries, prompt)
            bad = False
            qtbot.keyClicks(panel.entry, text)
            qtbot.keyClick(panel.entry, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda p=prompt: panel.prompt is None or panel.prompt.prompt_id != p.prompt_id)
    return refusals


def test_full_jjg1148_run_through_the_gui(qtbot: QtBot, controller: Controller, gui_settings: QSettings) -> None:
    app = _app(qtbot, controller, gui_settings)
    view = app.run_view
    summaries: list[Any] = []
    app.bridge.run_done.connect(summaries.append)
    steps: list[str] = []
    app.bridge.step_started.connect(lambda ev: steps.append(ev.step_key))
    assert view.serial.text() == "SIM0001"  # the station's [instrument] serial, proposed
    qtbot.mouseClick(view.start_btn, Qt.MouseButton.LeftButton)
    refusals = _drive(qtbot, app, lambda: bool(summaries), bad_first=True)
    summary = summaries[0]
    assert summary.status == "finished", summary.message
    # the engine refused "12x" for the first value and the entry page showed its reason
    assert refusals and refusals[0].startswith("输入被拒绝")
    rec = summary.record
    assert rec.passed and rec.certificate_no.startswith("JD")
    # issued through the controller's approval facade as the station's [people]
    cert = controller.certificate(rec.certificate_no)
    assert cert.status == "issued"
    assert Path(str(summary.document)).exists()
    # every step listed with its verdict; the results page shows each result with MPE and colour
    assert view.steps.count() == len(set(steps)) > 3
    assert all(view.steps.item(i).text().startswith(("✓", "—")) for i in range(view.steps.count()))
    table = app.results_view.table
    n_results = sum(len(i.results) for i in rec.items)
    assert table.rowCount() >= n_results > 3
    verdicts = {table.item(r, 5).text() for r in range(table.rowCount())}
    assert "✓ 合格" in verdicts
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "工作误差")
    assert table.item(row, 4).text().startswith("±") and table.item(row, 5).background().color().name() == "#1b5e20"
    assert rec.certificate_no in app.results_view.heading.text()
    assert app.window.current_key() == "results"
    assert view.live.labels is not None and view.live.redraws > 0  # the live panel followed the run
    app.close()


def test_abort_takes_effect_mid_measurement(qtbot: QtBot, controller: Controller, gui_settings: QSettings) -> None:
    """Abort does not wait for the step in progress to end: the run stops inside it (the step never
    finishes) and the session is torn down. The engine checks the abort flag at every I/O and every
    0.1 s of waiting, which is what keeps it within a second; the test asserts the behaviour, not a
    wall time (a timed assertion would only measure the CI machine)."""
    app = _app(qtbot, controller, gui_settings, speed=20)  # slow twins: the run is mid-measurement
    summaries: list[Any] = []
    app.bridge.run_done.connect(summaries.append)
    progressed: list[Any] = []
    app.bridge.progress.connect(progressed.append)
    finished: list[Any] = []
    app.bridge.step_finished.connect(finished.append)
    qtbot.mouseClick(app.run_view.start_btn, Qt.MouseButton.LeftButton)
    _drive(qtbot, app, lambda: bool(summaries), stop=lambda: bool(progressed))
    assert not summaries and app.run_view.abort_btn.isEnabled()
    in_progress = progressed[-1].step_key
    qtbot.mouseClick(app.run_view.abort_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(summaries), timeout=5_000)
    assert summaries[0].status == "aborted"
    assert in_progress not in {getattr(e, "step_key", None) for e in finished}  # stopped inside the step
    assert app.run_view.start_btn.isEnabled() and not app.run_view.abort_btn.isEnabled()
    app.close()


def test_abort_while_waiting_on_the_operator(qtbot: QtBot, controller: Controller, gui_settings: QSettings) -> None:
    app = _app(qtbot, controller, gui_settings)
    summaries: list[Any] = []
    app.bridge.run_done.connect(summaries.append)
    qtbot.mouseClick(app.run_view.start_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.run_view.prompts.prompt is not None, timeout=30_000)
    qtbot.keyClick(app.run_view, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: bool(summaries), timeout=5_000)
    assert summaries[0].status == "aborted" and app.run_view.prompts.prompt is None
    app.close()


def test_resume_offered_after_a_crash(qtbot: QtBot, controller: Controller, gui_settings: QSettings,
                                      tmp_path: Path) -> None:
    app = _app(qtbot, controller, gui_settings)
    finished: list[Any] = []
    app.bridge.step_finished.connect(finished.append)
    qtbot.mouseClick(app.run_view.start_btn, Qt.MouseButton.LeftButton)
    _drive(qtbot, app, lambda: False, stop=lambda: len(finished) >= 3)
    run_id = app.run_view.run_id
    # the crash: the engine loop dies mid-run (no abort, nothing written after the last event)
    app.bridge._loop.call_soon_threadsafe(app.bridge._loop.stop)
    app.bridge._engine.join(5)
    if controller.sim is not None:
        controller.sim.stop()
    app.window.close()
    assert controller.run_list("running")[0].run_id == run_id

    # restart: a new controller over the same store, a new window
    again = Controller.open(controller.store.path, tmp_path / "out2")
    app2 = _app(qtbot, again, gui_settings)
    summaries: list[Any] = []
    app2.bridge.run_done.connect(summaries.append)
    started: list[Any] = []
    app2.bridge.run_started.connect(started.append)
    app2.offer_resume()
    box = app2.run_view.resume_dialog
    assert box.isVisible() and run_id[:8] in box.informativeText()
    assert app2.run_view.resume_btn.isEnabled()
    qtbot.mouseClick(box.button(box.StandardButton.Yes), Qt.MouseButton.LeftButton)
    _drive(qtbot, app2, lambda: bool(summaries))
    assert started[0].resumed and len(started[0].completed_steps) >= 3
    assert summaries[0].status == "finished" and summaries[0].run_id == run_id
    assert not again.run_list("running") and not again.run_list("paused")
    app2.close()


def test_barcode_scan_replaces_the_serial(qtbot: QtBot, controller: Controller, gui_settings: QSettings) -> None:
    app = _app(qtbot, controller, gui_settings)
    field = app.run_view.serial
    clock = [100.0]
    field.clock = lambda: clock[0]
    scanned: list[str] = []
    field.scanned.connect(scanned.append)
    field.setFocus()
    for ch in "SIM0042":  # the scanner: 10 ms between keys, then Enter
        clock[0] += 0.01
        qtbot.keyClicks(field, ch)
    clock[0] += 0.01
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert scanned == ["SIM0042"] and field.text() == "SIM0042"  # the proposed SIM0001 was replaced
    assert app.window.focusWidget() is app.run_view.start_btn  # Enter now starts the run
    typed: list[str] = []
    field.submitted.connect(typed.append)
    field.clear()
    for ch in "AB12":  # a person: half a second between keys
        clock[0] += 0.5
        qtbot.keyClicks(field, ch)
    clock[0] += 0.5
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert typed == ["AB12"] and scanned == ["SIM0042"]
    app.close()


def _visible_texts(root: QWidget) -> list[str]:
    """Every text a user can see in `root`'s visible widgets (labels, buttons, titles, items,
    headers, placeholders)."""
    out: list[str] = []
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisibleTo(root) and w is not root:
            continue
        for attr in ("text", "title", "placeholderText", "windowTitle"):
            fn = getattr(w, attr, None)
            if callable(fn):
                try:
                    value = fn()
                except TypeError:
                    continue
                if isinstance(value, str):
                    out.append(value)
        if hasattr(w, "count") and hasattr(w, "item") and callable(w.item):
            try:
                out += [w.item(i).text() for i in range(w.count())]
            except TypeError:
                pass
        if hasattr(w, "horizontalHeaderItem"):
            out += [w.horizontalHeaderItem(c).text() for c in range(w.columnCount()) if w.horizontalHeaderItem(c)]
        if hasattr(w, "itemText") and hasattr(w, "count"):
            out += [w.itemText(i) for i in range(w.count())]
    return out


def _cjk_on_every_page(app: App) -> dict[str, list[str]]:
    """Page key → visible texts containing CJK (the window's menu and navigation included); data
    from the station file (the station's own name and place) and the standards' names on the ledger
    are not interface text."""
    from bench.station import load_station

    data = [str(load_station(p).section("station").get(k, "")) for p in app.run_view.stations.values()
            for k in ("name", "place")]
    data += [r.name for r in app.controller.standard_rows()]  # the standards ledger's names (the status bar's due)
    found: dict[str, list[str]] = {}
    for key in app.window.page_keys():
        app.window.show_page(key)
        QApplication.processEvents()
        texts = _visible_texts(app.window) + [a.text() for a in app.window.menuBar().actions()]
        # the language menu names Chinese in Chinese on purpose (a user must find their language)
        bad = [t for t in texts if CJK.search(t) and t != "中文 (&Z)" and not any(d and d in t for d in data)]
        if bad:
            found[key] = bad
    return found


def test_chinese_by_default(qtbot: QtBot, controller: Controller, gui_settings: QSettings) -> None:
    app = _app(qtbot, controller, gui_settings)
    assert app.language.current == "zh"
    assert app.run_view.start_btn.text() == "开始(&S)"
    assert app.window.nav.item(0).text() == "检定"
    assert all(_cjk_on_every_page(app).get(k) for k in app.window.page_keys())
    app.close()


def test_english_switch_leaves_no_chinese_and_persists(qtbot: QtBot, controller: Controller,
                                                       gui_settings: QSettings) -> None:
    app = _app(qtbot, controller, gui_settings)
    app.switch_language("en")
    try:
        assert app.run_view.start_btn.text() == "&Start"
        assert _cjk_on_every_page(app) == {}
    finally:
        app.close()  # releases the translator: other tests see Chinese
    assert gui_settings.value("ui/language") == "en"
    app2 = _app(qtbot, controller, gui_settings)  # the choice survives a restart
    assert app2.language.current == "en" and app2.window.nav.item(0).text() == "Run"
    app2.switch_language("zh")
    assert app2.run_view.start_btn.text() == "开始(&S)"
    app2.close()


def test_qm_compiled_on_the_fly_when_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gui.app as appmod

    ts = tmp_path / "jianding_en.ts"
    ts.write_text(appmod.TS_FILE.read_text("utf-8"), "utf-8")
    monkeypatch.setattr(appmod, "I18N_DIR", tmp_path)
    monkeypatch.setattr(appmod.platformdirs, "user_cache_dir", lambda *a, **k: str(tmp_path / "cache"))
    qm = appmod.qm_file("en")
    assert qm is not None and qm.parent == tmp_path / "cache" / "i18n" and qm.stat().st_size > 100
    assert not (tmp_path / "jianding_en.qm").exists()


def test_labels_have_buddies_and_controls_accessible_names(qtbot: QtBot, controller: Controller,
                                                            gui_settings: QSettings) -> None:
    app = _app(qtbot, controller, gui_settings)
    view = app.run_view
    for label in (view.station_label, view.serial_label, view.regulation_label, view.edition_label, view.vtype_label):
        assert isinstance(label, QLabel) and label.buddy() is not None and "&" in label.text()
    assert "&" in view.clear_task_btn.text()
    for w in (view.station, view.regulation, view.edition, view.vtype, view.task_info, view.clear_task_btn,
              view.serial, view.start_btn, view.resume_btn, view.abort_btn,
              view.prompts.entry, view.prompts.entry_ok, view.prompts.check_ok, app.results_view.table):
        assert w.accessibleName(), w.objectName()
    assert min(b.minimumHeight() for b in (view.start_btn, view.abort_btn, view.clear_task_btn,
                                           view.prompts.entry_ok)) >= 40
    app.close()


def test_checklist_by_keyboard_and_escape(qtbot: QtBot) -> None:
    from gui.views.prompt_panel import PromptPanel

    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.show()
    answers: list[tuple[str, Any]] = []
    panel.answered.connect(lambda pid, a: answers.append((pid, a)))
    panel.show_prompt(OperatorPrompt(run_id="r", step_key="visual", prompt_id="p1", kind="checklist",
                                     text="外观检查", items=("铭牌完整", "无破损")))
    qtbot.keyClick(panel.boxes[0], Qt.Key.Key_Space)  # tick the first point from the keyboard
    qtbot.keyClick(panel.boxes[0], Qt.Key.Key_Return)
    assert answers == [("p1", {"铭牌完整": True, "无破损": False})]
    panel.show_prompt(OperatorPrompt(run_id="r", step_key="env", prompt_id="p2", kind="entry", text="环境温度",
                                     unit="°C", low=-25, high=55, error="超出范围 (out of range)"))
    assert panel.entry_error.text() == "输入被拒绝: 超出范围"  # the Chinese side of the engine's reason
    assert panel.entry_range.text() == "范围 -25 … 55 °C" and panel.entry_unit.text() == "°C"
    qtbot.keyClicks(panel.entry, "99")
    qtbot.keyClick(panel.entry, Qt.Key.Key_Escape)
    assert panel.entry.text() == ""
    qtbot.keyClicks(panel.entry, "23.5")
    qtbot.keyClick(panel.entry, Qt.Key.Key_Return)
    assert answers[-1] == ("p2", "23.5")


def test_choice_prompt_and_a_reading_at_the_standard_instant(qtbot: QtBot) -> None:
    """A test condition not met: the operator chooses by button (measure again or void); a display
    reading tied to an instant of the time standard says when to read, and a protocol value is offered
    for confirmation against the display."""
    from datetime import UTC, datetime

    from gui.views.prompt_panel import PromptPanel
    from procedures.engine.context import REPEAT, VOID

    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.show()
    answers: list[tuple[str, Any]] = []
    panel.answered.connect(lambda pid, a: answers.append((pid, a)))
    panel.show_prompt(OperatorPrompt(run_id="r", step_key="q2", prompt_id="c1", kind="choice",
                                     text="检定条件不满足: 流量 2.0 m³/h 超出窗口", items=(REPEAT, VOID)))
    assert panel.currentWidget() is panel.choice_page
    assert [b.text() for b in panel.choice_buttons] == ["重新测量", "本次检定无效"]
    set_language("en")  # a language switch re-words the open prompt; the answer is the option itself
    try:
        panel.retranslate()
        assert [b.text() for b in panel.choice_buttons] == ["measure again", "void this run"]
        qtbot.mouseClick(panel.choice_buttons[1], Qt.MouseButton.LeftButton)
    finally:
        set_language("zh")
        panel.retranslate()
    assert answers == [("c1", VOID)]
    mark = datetime(2026, 12, 7, 10, 31, 20, tzinfo=UTC)
    panel.show_prompt(OperatorPrompt(run_id="r", step_key="clock", prompt_id="t1", kind="entry",
                                     text="充电桩显示时间", unit="time", mark_time=mark))
    assert "10:31:20" in panel.entry_range.text() and panel.entry_unit.text() == "时:分:秒"
    panel.show_prompt(OperatorPrompt(run_id="r", step_key="s", prompt_id="e1", kind="entry", text="显示电量",
                                     unit="kWh", low=0, high=100, suggested="0.512"))
    assert "协议读数 0.512 kWh" in panel.entry_range.text()
    qtbot.keyClick(panel.entry, Qt.Key.Key_Return)  # empty: confirms the protocol value against the display
    assert answers[-1] == ("e1", "")


def test_jianding_gui_command_opens_the_window(qtbot: QtBot, tmp_path: Path, gui_settings: QSettings,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """`jianding gui --sim` through the CLI (importlib dispatch): the window opens with every page
    and the demo stations, then the event loop is quit."""
    from PySide6.QtCore import QTimer

    import gui.app as appmod
    from bench.cli import main as cli_main

    built: list[App] = []
    real_app = appmod.App

    def spy(*args: Any, **kwargs: Any) -> App:
        kwargs["store"] = gui_settings
        built.append(real_app(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(appmod, "App", spy)
    QTimer.singleShot(0, QApplication.instance().quit)  # type: ignore[union-attr]
    assert cli_main(["--db", str(tmp_path / "g.db"), "gui", "--sim", "--out", str(tmp_path / "out")]) == 0
    app = built[0]
    assert {"run", "results"} <= set(app.window.page_keys())
    assert app.run_view.station.count() >= 6 and app.sim
    app.close()


def test_bench_run_results_mark_retest_positions(qtbot: QtBot, controller: Controller,
                                                 gui_settings: QSettings) -> None:
    """A gas-meter bench (6 positions) whose position 4 gives no pulses: the results page lists
    every position, the faulted one marked 需复检 in amber with the fault, the others judged."""
    from procedures.regulations.tables import merged

    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    app = App(qapp, controller, sim=True, stations={"gas": example_station_path("gas")}, store=gui_settings)
    qtbot.addWidget(app.window)

    def station(_path: Path) -> Any:
        st = fast_station("gas")
        st.raw["sim"] = merged(st.raw["sim"], {"flow_bench": {"no_pulses": [4]}})
        return st

    app.run_view.prepare_station = station
    assert not app.run_view.serial.isEnabled()  # a bench: serials come from the station's [bench]
    summaries: list[Any] = []
    app.bridge.run_done.connect(summaries.append)
    qtbot.mouseClick(app.run_view.start_btn, Qt.MouseButton.LeftButton)
    _drive(qtbot, app, lambda: bool(summaries))
    assert summaries[0].status == "finished", summaries[0].message
    table = app.results_view.table
    # the bench's own columns: 表位, 出厂编号, 最大误差点, 证书/通知书编号, 说明, 结论
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    assert sorted(rows, key=int) == ["1", "2", "3", "4", "5", "6"]
    retest = table.item(rows["4"], 5)
    assert retest.text() == "⚠ 需复检" and retest.background().color().name() == "#ffb300"
    assert "无脉冲" in table.item(rows["4"], 4).text()
    first = summaries[0].positions[0]
    assert table.item(rows["1"], 1).text() == first.serial and table.item(rows["1"], 3).text() == first.certificate_no
    assert "(±" in table.item(rows["1"], 2).text()  # the worst point against its MPE, as printed
    assert table.item(rows["1"], 5).text() == "✓ 合格"
    app.close()


def unsecured_post_silent_calibrator() -> Station:
    """The ac station as a real one: its post on OCPP security profile 0 (acknowledged), its
    calibrator on a closed port (a run warns, then pauses on the calibrator's fault)."""
    raw = copy.deepcopy(fast_station("ac").raw)
    raw["sim"]["enabled"] = False
    raw["devices"]["charger"].update(security_profile=0, accept_unsecured=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = int(sock.getsockname()[1])
    raw["devices"]["reference"].update(port=closed, timeout_s=0.3, retries=0)
    return parse_station(raw, str(example_station_path("ac")))


def test_unsecured_real_post_is_warned_at_the_top_of_the_run(qtbot: QtBot, controller: Controller,
                                                              gui_settings: QSettings) -> None:
    """A real station on OCPP security profile 0 (acknowledged): the run's RunWarning heads the step
    list in the fail colours and stays there (here the calibrator does not answer: the run pauses)."""
    app = _app(qtbot, controller, gui_settings)
    station = unsecured_post_silent_calibrator()
    app.run_view.prepare_station = lambda _path: station
    summaries: list[Any] = []
    app.bridge.run_done.connect(summaries.append)
    qtbot.mouseClick(app.run_view.start_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(summaries), timeout=30000)
    assert summaries[0].status == "paused", summaries[0].message
    top = app.run_view.steps.item(0)
    assert top.text() == f"⚠ [devices.charger] {shown(UNSECURED_WARNING)}"
    assert top.background().color().name() == verdict_colours("fail")[1].color().name()
    app.close()
