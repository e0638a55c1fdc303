"""Main window shell: a navigation list on the left and a stack of pages on the right.

Why: every view (run, results, tasks, station, certificates, approval, sync, bench grid, rectification) is a
plain QWidget; the shell only hosts them so the two GUI packages can be built independently and
registered with one call each (`register_page`).
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

# Page titles are registered as data; marked here so lupdate extracts them (context MainWindow).
PAGE_TITLES = (
    QT_TRANSLATE_NOOP("MainWindow", "检定"),
    QT_TRANSLATE_NOOP("MainWindow", "结果"),
    QT_TRANSLATE_NOOP("MainWindow", "表位"),
    QT_TRANSLATE_NOOP("MainWindow", "任务"),
    QT_TRANSLATE_NOOP("MainWindow", "工作站与设备"),
    QT_TRANSLATE_NOOP("MainWindow", "标准器与装置"),
    QT_TRANSLATE_NOOP("MainWindow", "证书"),
    QT_TRANSLATE_NOOP("MainWindow", "审批"),
    QT_TRANSLATE_NOOP("MainWindow", "同步"),
    QT_TRANSLATE_NOOP("MainWindow", "专项工作"),
    QT_TRANSLATE_NOOP("MainWindow", "整改"),
    QT_TRANSLATE_NOOP("MainWindow", "台账"),
)


def _tr(text: str) -> str:
    """Translate `text` in the MainWindow context (Chinese source strings)."""
    return QCoreApplication.translate("MainWindow", text)


class MainWindow(QMainWindow):
    """Top-level window: navigation list + page stack; pages are added with `register_page`.

    Pages are keyed by a stable string ("run", "results", "tasks", ...). Titles are given as
    Chinese source text and translated here (context "MainWindow") so a language switch can
    re-translate them with `retranslate()`.
    """

    page_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        """Build the empty shell; pages come later through `register_page`."""
        super().__init__(parent)
        self._keys: list[str] = []
        self._titles: dict[str, str] = {}
        self._pages: dict[str, QWidget] = {}
        central = QWidget(self)
        layout = QHBoxLayout(central)
        self.nav = QListWidget(central)
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(200)
        self.nav.setStyleSheet("QListWidget::item { min-height: 44px; }")
        self.stack = QStackedWidget(central)
        self.stack.setObjectName("pages")
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.nav.currentRowChanged.connect(self._on_row)
        self.resize(1200, 800)
        self.retranslate()
        # Ctrl+1..9 jump to the n-th page: keyboard-only operation with gloves on.
        self._shortcuts: list[QShortcut] = []
        for n in range(1, 10):
            sc = QShortcut(QKeySequence(f"Ctrl+{n}"), self)
            sc.activated.connect(lambda n=n: self._jump(n - 1))
            self._shortcuts.append(sc)

    def register_page(self, key: str, title: str, widget: QWidget) -> None:
        """Add `widget` as a page under a stable `key`, listed with Chinese source `title`.

        `title` is translated through the "MainWindow" context; registering an existing key
        replaces that page (useful for tests that rebuild a view).
        """
        if key in self._pages:
            idx = self._keys.index(key)
            old = self._pages[key]
            self.stack.removeWidget(old)
            self.stack.insertWidget(idx, widget)
            self._pages[key] = widget
            self._titles[key] = title
            self.nav.item(idx).setText(_tr(title))
            return
        self._keys.append(key)
        self._titles[key] = title
        self._pages[key] = widget
        self.stack.addWidget(widget)
        item = QListWidgetItem(_tr(title))
        item.setData(Qt.ItemDataRole.UserRole, key)
        self.nav.addItem(item)
        if self.nav.currentRow() < 0:
            self.nav.setCurrentRow(0)

    def page(self, key: str) -> QWidget:
        """The page registered under `key` (KeyError if none)."""
        return self._pages[key]

    def page_keys(self) -> list[str]:
        """Keys of the registered pages, in navigation order."""
        return list(self._keys)

    def show_page(self, key: str) -> None:
        """Bring the page `key` to the front and select it in the navigation list."""
        self.nav.setCurrentRow(self._keys.index(key))

    def current_key(self) -> str | None:
        """Key of the page shown now, or None when there are no pages."""
        row = self.nav.currentRow()
        return self._keys[row] if 0 <= row < len(self._keys) else None

    def retranslate(self) -> None:
        """Re-apply translated texts after a language switch (window title, nav entries, pages)."""
        self.setWindowTitle(QCoreApplication.translate("MainWindow", "简定 法定计量检定工作站"))
        self.nav.setAccessibleName(QCoreApplication.translate("MainWindow", "导航"))
        for i, key in enumerate(self._keys):
            self.nav.item(i).setText(_tr(self._titles[key]))
        for page in self._pages.values():
            fn = getattr(page, "retranslate", None)
            if callable(fn):
                fn()

    def _jump(self, index: int) -> None:
        """Shortcut handler: select the page at `index` if it exists."""
        if 0 <= index < len(self._keys):
            self.nav.setCurrentRow(index)

    def _on_row(self, row: int) -> None:
        """Navigation changed: show the page and tell listeners (views may refresh on show)."""
        if 0 <= row < len(self._keys):
            self.stack.setCurrentIndex(row)
            self.page_changed.emit(self._keys[row])
