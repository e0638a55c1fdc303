"""``python -m gui.screenshots [--out docs/screenshots] [--lang zh|en]``: a PNG of each main view,
drawn offscreen with demo data from a quick simulated run, for the README.

What it does: a throw-away store with the demo standards; the 6-position gas-meter bench (JJG 577)
runs on its twin through the GUI's engine bridge (one meter out of tolerance, one without pulses:
the grid shows 合格 / 不合格 / 需复检); three of its certificates are issued through the controller's
approval facade and one checked, so the approval and sync pages have work in every state; two
bookings sit in the task list, one accepted; three deadlines of a campaign are recorded done; the scan
of overdue instruments opens the rectification item of the meter left unverified. Then every page is
grabbed in turn.

Why: screenshots that are re-made by a command stay current with the code (issue 7).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from bench.accounts import demo_signers
from bench.controller import Controller, RunRequest
from bench.station import load_station
from gui.views.certificate_view import CertificateView
from gui.views.station_view import StationView

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


def demo_data(app: Any, controller: Controller, station_path: Path) -> str:
    """Run the gas bench through ``app``'s bridge and put the certificates and tasks in every state;
    the run id."""
    from gui.app import seed_demo_standards

    station = load_station(station_path)
    station.raw["sim"]["speed"] = 3000
    seed_demo_standards(controller, station)
    bridge = app.bridge
    bridge.prompt.connect(lambda p: bridge.answer(p.prompt_id, dict.fromkeys(p.items, True)
                                                  if p.kind == "checklist" else ""))
    done: list[Any] = []
    bridge.run_done.connect(done.append)
    bridge.run_failed.connect(done.append)
    run_id = bridge.prepare(RunRequest(station=station, regulation="jjg577", sim_overrides=GAS_FAIL))
    bridge.start(run_id)
    _wait(lambda: bool(done))
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
    return run_id


def take(out: Path, language: str = "zh") -> list[Path]:
    """Write one PNG per page of the main window into ``out``; the files written."""
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
        window.resize(1280, 820)
        window.show()
        try:
            run_id = demo_data(app, controller, stations["gas"])
            grid = window.page("bench")
            if not getattr(grid, "tiles", None):
                grid.load_run(run_id)  # type: ignore[attr-defined]
            station_page = window.page("station")
            if isinstance(station_page, StationView):
                station_page.chooser.setCurrentIndex(station_page.chooser.findText("gas"))
                station_page.select("bench")
                station_page.test_selected()
                _wait(lambda: "bench" in station_page.results, 30.0)
            written: list[Path] = []
            for key in window.page_keys():
                window.show_page(key)
                page = window.page(key)
                if isinstance(page, CertificateView) and page.rows:
                    page.select(page.rows[0].number)
                qapp.processEvents()
                path = out / (f"{key}.png" if language == "zh" else f"{key}.{language}.png")
                window.grab().save(str(path))
                written.append(path)
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
