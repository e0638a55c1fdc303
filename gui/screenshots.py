"""``python -m gui.screenshots [--out docs/screenshots] [--lang zh|en]``: a PNG of each main view,
drawn offscreen at 1366×768 (a technician's laptop) with demo data from a quick simulated run, for
the README.

The story they tell is one run: the 6-position gas-meter bench (JJG 577) is started from the run
page on its twin (one meter out of tolerance, one without pulses: the grid shows 合格 / 不合格 /
需复检); ``run.png`` is the run page grabbed while that run measures its second flow point, and
``results.png`` the results page of the same run once it ended; ``run-checklist.png`` the same run
earlier, at its first checklist over the bench's positions (the grid, answered 全部符合). Around it: three of its certificates
are issued through the controller's approval facade and one checked, so the approval and sync pages
have work in every state; two bookings sit in the task list, one accepted; three deadlines of a
campaign are recorded done; the scan of overdue instruments opens the rectification item of the meter
left unverified. Then every other page is grabbed in turn.

Each grab waits for the layout to settle (`settle`: events processed until no visible widget's
geometry changes), not for a fixed time. Pages added later are grabbed by themselves (one PNG per
registered page key); a page that needs a state first (a selected row, a tab of its own) gets a
setup function in `SETUP`, and a second picture of a page goes into `EXTRA_SHOTS` (e.g. the bench
matrix: ``Shot("bench-matrix", "bench", lambda app, run_id: app.window.page("bench").show_matrix())``).

Why: screenshots that are re-made by a command stay current with the code (issue 7), and a reader
sees one run from start to result rather than unrelated states.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QSettings, QSize, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from bench.accounts import demo_signers
from bench.controller import Controller
from bench.station import Station, load_station
from gui.views.certificate_view import CertificateView
from gui.views.station_view import StationView

SCREEN = QSize(1366, 768)  # the technician's laptop the pictures show
RUN_SHOT_AFTER = "flow_point_2"  # run.png: the run page once this step of the story's run has finished

# the demo's failing bench: the meter at position 2 is 4 % fast at qmin, position 4 gives no pulses
GAS_FAIL = {"flow_bench": {"curves": {"2": {"0.00625": 4.0, "0.2": 2.2, "1.0": 1.9}}, "no_pulses": [4]}}
BOOKINGS = [
    {"booking_id": "BK2026-000041", "seq": 41, "status": "booked", "user_unit": "示例燃气有限公司",
     "requested_date": "2026-12-08", "delivery_mode": "送检", "site_address": "示例市燃气路 3 号",
     "instruments": [{"name": "膜式燃气表", "model": "G2.5-SIM", "serial": f"SIMGM{i:04d}"} for i in range(1, 7)]},
    {"booking_id": "BK2026-000042", "seq": 42, "status": "booked", "user_unit": "示例充电运营公司",
     "requested_date": "2026-12-09", "delivery_mode": "现场检", "site_address": "示例市科技路 8 号",
     "instruments": [{"name": "交流充电桩", "model": "JD-AC7", "serial": "SIMAC-0001"}]},
]


def _wait(condition: Any, timeout_s: float = 120.0) -> None:
    """Spin the Qt event loop until ``condition()`` or the timeout."""
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: loop.quit() if condition() else None)
    timer.start(20)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    deadline.start(int(timeout_s * 1000))
    if not condition():
        loop.exec()
    timer.stop()
    if not condition():
        raise TimeoutError("demo data not ready in time")


def settle(widget: QWidget, *, rounds: int = 200, stable: int = 3) -> None:
    """Process events until no visible widget under ``widget`` changes geometry for ``stable``
    rounds in a row (layouts, wrapped labels and splitters have found their sizes), at most
    ``rounds`` rounds."""
    last: list[tuple[int, int, int, int]] | None = None
    calm = 0
    for _ in range(rounds):
        QApplication.sendPostedEvents()
        QApplication.processEvents()
        now = [w.geometry().getRect() for w in (widget, *widget.findChildren(QWidget)) if w.isVisible()]
        calm = calm + 1 if now == last else 0
        if calm >= stable:
            return
        last = now


def grab(window: QWidget, path: Path) -> Path:
    """``window`` as it stands, once settled, to the PNG ``path``."""
    settle(window)
    window.grab().save(str(path))
    return path


@dataclass(frozen=True)
class Shot:
    """One more picture of a page: file name (without .png), page key, and what to do to the page
    first (given the app and the story's run id)."""

    name: str
    page: str
    setup: Callable[[Any, str], None]


def _select_first_certificate(app: Any, _run_id: str) -> None:
    """The certificate page with its first row selected (the preview shows)."""
    page = app.window.page("certificates")
    if isinstance(page, CertificateView) and page.rows:
        page.select(page.rows[0].number)


def _bench_of_the_run(app: Any, run_id: str) -> None:
    """The bench grid showing the story's run."""
    grid = app.window.page("bench")
    if not getattr(grid, "tiles", None):
        grid.load_run(run_id)


# page key → what to do to the page before its picture; pages not named here are grabbed as they are
SETUP: dict[str, Callable[[Any, str], None]] = {
    "certificates": _select_first_certificate,
    "bench": _bench_of_the_run,
}
def _bench_matrix(app: Any, run_id: str) -> None:
    """The bench page of the story's run on its error matrix tab (positions × test points)."""
    _bench_of_the_run(app, run_id)
    grid = app.window.page("bench")
    grid.tabs.setCurrentWidget(grid.matrix)


# more pictures of a page in another state
EXTRA_SHOTS: list[Shot] = [Shot("bench-matrix", "bench", _bench_matrix)]


def story_station(station_path: Path) -> Station:
    """The gas bench of the story: fast twins, position 2 out of tolerance, position 4 without pulses."""
    from procedures.regulations.tables import merged

    station = load_station(station_path)
    station.raw["sim"] = merged(station.raw["sim"], {"speed": 3000, **GAS_FAIL})
    return station


def run_story(app: Any, station_path: Path, out: Path, language: str) -> tuple[str, list[Path]]:
    """Start the story's run from the run page (the demo operator answers its prompts), grab the run
    page at its first position checklist (``run-checklist``) and mid-run, and the results page at the
    end; the run id and the files."""
    from gui.app import seed_demo_standards

    controller, bridge, view = app.controller, app.bridge, app.run_view
    station = story_station(station_path)
    seed_demo_standards(controller, station)
    view.prepare_station = lambda _path: station
    written: list[Path] = []
    panel = view.prompts

    def answer(prompt: Any) -> None:
        """The demo operator: every point confirmed, entries as proposed; the first checklist over
        the bench's positions is answered on its grid (全部符合) and grabbed first."""
        if prompt.kind == "checklist" and panel.prompt is prompt and panel.grid.lines and not written:
            panel.check_all.click()
            written.append(grab(app.window, out / _file("run-checklist", language)))
            panel.check_ok.click()
            return
        bridge.answer(prompt.prompt_id, dict.fromkeys(prompt.items, True) if prompt.kind == "checklist" else "")

    bridge.prompt.connect(answer)
    done: list[Any] = []
    bridge.run_done.connect(done.append)
    bridge.run_failed.connect(done.append)
    mid: list[bool] = []
    bridge.step_finished.connect(lambda ev: mid.append(True) if ev.step_key == RUN_SHOT_AFTER else None)
    app.window.show_page("run")
    view.station.setCurrentIndex(view.station.findText("gas"))
    view.start()
    _wait(lambda: bool(mid) or bool(done))
    written.append(grab(app.window, out / _file("run", language)))
    _wait(lambda: bool(done))
    if isinstance(done[0], str):
        raise RuntimeError(f"the story's run did not start: {done[0]}")
    if done[0].status != "finished":
        raise RuntimeError(f"the story's run did not finish: {done[0].status} {done[0].message}")
    app.window.show_page("results")
    written.append(grab(app.window, out / _file("results", language)))
    return str(view.run_id), written


def demo_data(controller: Controller, station_path: Path, run_id: str) -> None:
    """Around the story's run: certificates in every state, bookings, a campaign's deadlines and a
    rectification item."""
    station = load_station(station_path)
    people = station.section("people")
    signers = demo_signers(controller.store, people)  # the demo's accounts (bench.accounts)
    drafts = [c for c in controller.certificate_list("draft") if c.run_id == run_id]
    for c in drafts[:3]:
        controller.approve_and_issue(c.number, signers["checker"], signers["approver"])
    if len(drafts) > 3:
        controller.check_certificate(drafts[3].number, signers["checker"])
    # demo bookings as a pull would enter them (no platform in a screenshot run)
    controller.store.upsert_tasks([json.loads(json.dumps(b)) for b in BOOKINGS])
    controller.decide_task("BK2026-000041", "accept", "", signers["verifier"])
    # the 专项工作 page: three deadlines of the Wushen campaign recorded done (the others are late by now)
    for deadline, on in (("self_inspection", date(2024, 7, 1)), ("progress@2024-06-28", date(2024, 7, 2)),
                         ("progress@2024-07-14", date(2024, 7, 12))):
        controller.mark_campaign_done("wushen-2024-sanbiao-fuel", deadline, signers["approver"], on=on, note="已报送")
    # the meter that went to re-test has no verification: 应检未检, a rectification item for its owner
    controller.scan_overdue(signers["approver"], "示例市市场监督管理局")


def _file(name: str, language: str) -> str:
    """``run.png`` in Chinese, ``run.en.png`` in English."""
    return f"{name}.png" if language == "zh" else f"{name}.{language}.png"


def take(out: Path, language: str = "zh") -> list[Path]:
    """Write one PNG per page of the main window (and `EXTRA_SHOTS`) into ``out``; the files written."""
    from gui.app import App, register_font

    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    register_font(qapp)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jianding-shots-") as tmp:
        settings = QSettings(str(Path(tmp) / "gui.ini"), QSettings.Format.IniFormat)
        controller = Controller.open(Path(tmp) / "demo.db", Path(tmp) / "out", actor="张检定")
        from gui.app import demo_stations

        stations = demo_stations()
        app = App(qapp, controller, sim=False, stations=stations, store=settings)
        if language != "zh":
            app.switch_language(language)
        window = app.window
        window.resize(SCREEN)
        window.show()
        try:
            run_id, written = run_story(app, stations["gas"], out, language)
            demo_data(controller, stations["gas"], run_id)
            station_page = window.page("station")
            if isinstance(station_page, StationView):
                station_page.chooser.setCurrentIndex(station_page.chooser.findText("gas"))
                station_page.select("bench")
                station_page.test_selected()
                _wait(lambda: "bench" in station_page.results, 30.0)
            shots = [Shot(key, key, SETUP.get(key, lambda _app, _run: None)) for key in window.page_keys()
                     if key not in ("run", "results")]
            for shot in [*shots, *EXTRA_SHOTS]:
                window.show_page(shot.page)
                shot.setup(app, run_id)
                written.append(grab(window, out / _file(shot.name, language)))
            return written
        finally:
            app.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(prog="python -m gui.screenshots", description="界面截图 (screenshots of each view)")
    p.add_argument("--out", default="docs/screenshots", help="输出目录 (output directory)")
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="界面语言 (language)")
    args = p.parse_args(argv)
    for path in take(Path(args.out), args.lang):
        print(path)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    raise SystemExit(main())
