"""`jianding gui [--sim]`: the QApplication, the shipped CJK font, the translations (Chinese source
text, English by switch, persisted in QSettings), the main window with its pages, and the resume
offer for runs a crash or a closed window left paused or running.

Why here: one composition point for the GUI, so tests build exactly what a technician gets
(`build_window`) and `main` only adds argument parsing and the event loop.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import platformdirs
import PySide6
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QTranslator
from PySide6.QtGui import QAction, QActionGroup, QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from bench.controller import Controller
from bench.station import Station, example_station_path, load_station
from gui.bridge import EngineBridge
from gui.main_window import MainWindow
from gui.status_bar import install_status_bar
from gui.texts import set_language
from gui.views import install_views
from gui.views.results_view import ResultsView
from gui.views.run_view import RunView, issue_as_station_people
from reports.typography import FONT_FILE, FONT_PACKAGE

LANGUAGES = ("zh", "en")
SETTINGS_LANGUAGE = "ui/language"
I18N_DIR = Path(__file__).parent / "i18n"
TS_FILE = I18N_DIR / "jianding_en.ts"


def _tr(text: str) -> str:
    """Translate `text` in the App context."""
    return QCoreApplication.translate("App", text)


def settings() -> QSettings:
    """The user's GUI settings (language); tests point QSettings at a temporary directory."""
    return QSettings("Jianding", "jianding-gui")


def register_font(app: QApplication) -> str:
    """Register the CJK font shipped in reports (the same face as the PDFs) and make it the
    application font, so the GUI looks the same on a bare Linux laptop and on Windows."""
    with resources.as_file(resources.files(FONT_PACKAGE) / FONT_FILE) as path:
        font_id = QFontDatabase.addApplicationFont(str(path))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if families:
        font = QFont(families[0])
        font.setPointSize(12)  # readable at arm's length with gloves on
        app.setFont(font)
        return families[0]
    return ""


def lrelease_path() -> Path:
    """PySide6's lrelease (ships inside the PySide6 package directory)."""
    base = Path(PySide6.__file__).parent
    for name in ("lrelease", "lrelease.exe"):
        if (base / name).exists():
            return base / name
    found = shutil.which("pyside6-lrelease") or shutil.which("lrelease")
    if found:
        return Path(found)
    raise FileNotFoundError("lrelease not found in the PySide6 package")


def compile_translations(ts: Path = TS_FILE, qm: Path | None = None) -> Path:
    """Compile `ts` to a .qm with lrelease (the Makefile runs this at install); returns the .qm."""
    qm = qm or ts.with_suffix(".qm")
    qm.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(lrelease_path()), "-silent", str(ts), "-qm", str(qm)], check=True)
    return qm


def qm_file(language: str) -> Path | None:
    """The compiled translation for `language` (None for Chinese, the source language): the one
    built at install beside the .ts, else one compiled now into the user cache directory."""
    if language == "zh":
        return None
    ts = I18N_DIR / f"jianding_{language}.ts"
    installed = ts.with_suffix(".qm")
    if installed.exists() and installed.stat().st_mtime >= ts.stat().st_mtime:
        return installed
    cache = Path(platformdirs.user_cache_dir("jianding", "Jianding")) / "i18n" / installed.name
    if not cache.exists() or cache.stat().st_mtime < ts.stat().st_mtime:
        compile_translations(ts, cache)
    return cache


class Language:
    """Installs the translator for the chosen language and remembers the choice in QSettings;
    a switch sends Qt's LanguageChange to every widget, and the window re-translates its texts."""

    def __init__(self, app: QCoreApplication, store: QSettings | None = None) -> None:
        """Bind to `app`; the language is read from `store` (default: the user's settings)."""
        self.app = app
        self.settings = store or settings()
        self._translator: QTranslator | None = None
        self.current = "zh"

    def saved(self) -> str:
        """The persisted language ("zh" when none or unknown)."""
        value = str(self.settings.value(SETTINGS_LANGUAGE, "zh"))
        return value if value in LANGUAGES else "zh"

    def release(self) -> None:
        """Remove the installed translator (the GUI closes; the persisted choice stays)."""
        if self._translator is not None:
            self.app.removeTranslator(self._translator)
            self._translator = None

    def apply(self, language: str, *, persist: bool = True) -> None:
        """Switch to `language` ("zh" or "en") now, and persist it for the next start."""
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; known: {LANGUAGES}")
        self.release()
        qm = qm_file(language)
        if qm is not None:
            translator = QTranslator(self.app)
            if not translator.load(str(qm)):
                raise RuntimeError(f"cannot load translation {qm}")
            self.app.installTranslator(translator)
            self._translator = translator
        self.current = language
        set_language(language)  # run-time texts (gui.texts) follow the translator
        if persist:
            self.settings.setValue(SETTINGS_LANGUAGE, language)
            self.settings.sync()


def seed_demo_standards(controller: Controller, station: Station) -> list[str]:
    """`--sim`: enter the demo's simulated standards and their 计量标准装置 on the ledger (as
    `jianding demo` does), so a newcomer can run without a calibrated standard; the serials entered.
    In a store without real accounts it also makes the station's [people] demo accounts (password
    bench.accounts.DEMO_PASSWORD, docs/accounts.md), so the pages that act as a logged-in account
    (审批, 任务, 同步, 整改, 台账, 专项工作) can be tried; a store with real accounts is left alone."""
    from bench.accounts import AccountError, demo_signers
    from bench.demo_seed import seed_demo_standards as seed  # the demo's standards table

    if not controller.login_required():
        with contextlib.suppress(AccountError):  # a station naming no [people]: nobody to make
            demo_signers(controller.store, station.section("people"))
    return seed(controller.store, station.standards())


def demo_stations() -> dict[str, Path]:
    """The shipped simulated stations offered in `--sim` mode, demo kind → station file."""
    from bench.cli import DEMO_KINDS

    return {kind: example_station_path(kind) for kind in DEMO_KINDS}


class App:
    """The assembled GUI: window, bridge, language, pages; `close()` stops the engine."""

    def __init__(self, qapp: QApplication, controller: Controller, *, sim: bool = False,
                 stations: dict[str, Path] | None = None, store: QSettings | None = None) -> None:
        """Build the window for `controller`; with `sim`, offer the demo stations on twins."""
        self.qapp = qapp
        self.controller = controller
        self.sim = sim
        self.language = Language(qapp, store)
        self.language.apply(self.language.saved(), persist=False)
        self.bridge = EngineBridge(controller)
        self.window = MainWindow()
        stations = stations if stations is not None else (demo_stations() if sim else {})
        self.run_view = RunView(controller, self.bridge, stations=stations, sim=sim,
                                prepare_station=self._prepare_station,
                                issue=issue_as_station_people if sim else None)
        self.results_view = ResultsView(controller, self.bridge)
        self.window.register_page("run", "检定", self.run_view)
        self.window.register_page("results", "结果", self.results_view)
        install_views(self.window, controller, self.bridge)
        self.status_bar = install_status_bar(self.window, controller, self.bridge)
        self.bridge.run_done.connect(self._on_done)
        self._language_menu()

    def _prepare_station(self, path: Path) -> Station:
        """Load a station file; in `--sim` mode enter its demo standards on the ledger first."""
        station = load_station(path)
        if self.sim:
            seed_demo_standards(self.controller, station)
        return station

    def _language_menu(self) -> None:
        """语言 menu: 中文 / English, exclusive, with the current one checked."""
        menu = self.window.menuBar().addMenu("")
        self._menu = menu
        group = QActionGroup(self.window)
        self._lang_actions: dict[str, QAction] = {}
        for code in LANGUAGES:
            act = QAction(self.window)
            act.setCheckable(True)
            act.setChecked(code == self.language.current)
            act.triggered.connect(lambda _=False, c=code: self.switch_language(c))
            group.addAction(act)
            menu.addAction(act)
            self._lang_actions[code] = act
        self._retranslate_menu()

    def _retranslate_menu(self) -> None:
        """Menu texts; the language names stay in their own language (a user must find theirs)."""
        self._menu.setTitle(_tr("语言(&L)"))
        self._lang_actions["zh"].setText("中文 (&Z)")
        self._lang_actions["en"].setText("English (&E)")

    def switch_language(self, language: str) -> None:
        """Switch the whole GUI to `language` now and remember it."""
        self.language.apply(language)
        self._lang_actions[language].setChecked(True)
        self._retranslate_menu()
        self.window.retranslate()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LanguageChange)

    def _on_done(self, summary: object) -> None:
        """A run ended: show its results page when it produced records."""
        self.results_view.show_summary(summary)
        if getattr(summary, "status", "") == "finished":
            self.window.show_page("results")

    def interrupted_runs(self) -> list[tuple[str, str, str, str]]:
        """Runs left paused or running (a crash, a closed window, a device fault):
        (run id, regulation, status, message), newest first."""
        runs = [*self.controller.run_list("running"), *self.controller.run_list("paused")]
        runs.sort(key=lambda r: r.started_at, reverse=True)
        return [(r.run_id, r.regulation, r.status, r.message or "") for r in runs]

    def offer_resume(self) -> None:
        """On start: list interrupted runs in the run view and ask whether to resume the newest."""
        runs = self.interrupted_runs()
        self.run_view.set_interrupted(runs)
        if not runs:
            return
        self.window.show_page("run")
        self.run_view.offer_resume_dialog()

    def close(self) -> None:
        """Stop the engine (aborting a run in progress; its readings are on disk) and the window."""
        self.bridge.shutdown()
        self.window.close()
        self.language.release()


def build_parser() -> argparse.ArgumentParser:
    """`jianding gui` arguments."""
    p = argparse.ArgumentParser(prog="jianding gui", description="简定 图形界面 (Jianding GUI)")
    p.add_argument("--sim", action="store_true", help="启动模拟设备 (start the twins: the demo stations)")
    p.add_argument("--db", help="数据库文件 (SQLite database file)")
    p.add_argument("--out", help="证书输出目录，默认在数据库旁 <库名>-documents/ (where documents are written; default beside the database)")
    p.add_argument("--station", action="append", default=[], help="station file(s) to offer (TOML)")
    p.add_argument("--operator-name", help="检定员 (who runs the workstation)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point: `jianding gui [--sim] [--db FILE] [--station FILE …]`."""
    args = build_parser().parse_args(argv)
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("Jianding")
    qapp.setOrganizationName("Jianding")
    register_font(qapp)
    out = Path(args.out) if args.out else None  # None: beside the database (<db stem>-documents/)
    controller = Controller.open(args.db, out, actor=args.operator_name or os.environ.get("USER", "operator"))
    if controller.login_required():  # a store with accounts: who works here logs in first
        from gui.views.login import LoginDialog

        dialog = LoginDialog(controller, name=args.operator_name or "")
        if dialog.exec() != LoginDialog.DialogCode.Accepted or dialog.account is None:
            return 1
        controller.act_as(dialog.account)
    stations = {Path(s).stem: Path(s) for s in args.station}
    if args.sim:
        stations = {**demo_stations(), **stations}
    app = App(qapp, controller, sim=args.sim, stations=stations)
    app.window.show()
    app.offer_resume()
    qapp.aboutToQuit.connect(app.bridge.shutdown)
    code = qapp.exec()
    return int(code)


__all__ = ["App", "Language", "compile_translations", "main", "qm_file", "register_font", "seed_demo_standards"]
