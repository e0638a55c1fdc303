"""Main window shell: a navigation list on the left and a stack of pages on the right.

Why: every view (run, results, tasks, station, certificates, approval, sync, bench grid, rectification) is a
plain QWidget; the shell only hosts them so the two GUI packages can be built independently and
registered with one call each (`register_page`).

Fit: the window opens no larger than the screen's free area (a 1366×768 laptop, or 1920×1080 at
150 % scaling: 1280×720 logical pixels) and never grows to fit a page: each page sits in a scroll
area of its own, so a page taller than the window scrolls instead of stretching the window past the
screen (the run page is laid out to fit without it: its prompt scrolls inside).
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QScrollArea,
    QStackedWidget,
    QWidget,
)

PREFERRED_SIZE = QSize(1280, 800)  # the window's size on a large screen; smaller screens get their free area
NAV_WIDTH_PX = 180

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
        self._holders: dict[str, QScrollArea] = {}
        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        self.nav = QListWidget(central)
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(NAV_WIDTH_PX)
        self.nav.setStyleSheet("QListWidget::item { min-height: 44px; }")
        self.stack = QStackedWidget(central)
        self.stack.setObjectName("pages")
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.nav.currentRowChanged.connect(self._on_row)
        self.resize(self.fitting_size())
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
        holder = _page_holder(widget, key)
        if key in self._pages:
            idx = self._keys.index(key)
            old = self._holders[key]
            self.stack.removeWidget(old)
            old.deleteLater()
            self.stack.insertWidget(idx, holder)
            self._pages[key] = widget
            self._holders[key] = holder
            self._titles[key] = title
            self.nav.item(idx).setText(_tr(title))
            return
        self._keys.append(key)
        self._titles[key] = title
        self._pages[key] = widget
        self._holders[key] = holder
        self.stack.addWidget(holder)
        item = QListWidgetItem(_tr(title))
        item.setData(Qt.ItemDataRole.UserRole, key)
        self.nav.addItem(item)
        if self.nav.currentRow() < 0:
            self.nav.setCurrentRow(0)

    def page(self, key: str) -> QWidget:
        """The page registered under `key` (KeyError if none)."""
        return self._pages[key]

    def page_holder(self, key: str) -> QScrollArea:
        """The scroll area the page `key` sits in (it scrolls only when the page is taller or wider
        than the window leaves it)."""
        return self._holders[key]

    def fitting_size(self) -> QSize:
        """`PREFERRED_SIZE`, or less where the screen's free area is smaller (the frame and title bar
        allowed for)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return PREFERRED_SIZE
        free = screen.availableGeometry().size() - QSize(16, 40)
        return PREFERRED_SIZE.boundedTo(free).expandedTo(QSize(640, 480))

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


class _PageHolder(QScrollArea):
    """A frameless scroll area around a page, giving it the room there is and never less than the
    page's minimum: the window's minimum size stays that of the navigation, whatever a page asks
    for, and a page scrolls only below its minimum.

    Not ``widgetResizable``: that sizes a page holding word-wrapped labels to its *preferred*
    height for the width (Qt's height-for-width), which scrolls a page that would fit."""

    def __init__(self, page: QWidget, key: str) -> None:
        """Hold `page` (registered under `key`)."""
        super().__init__()
        self.setObjectName(f"page_{key}")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(False)
        self.setWidget(page)
        page.installEventFilter(self)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The window was resized: the page follows."""
        super().resizeEvent(event)
        self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The page's layout changed its needs: fit it again."""
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit()
        return False

    def _fit(self) -> None:
        """The page gets the view's size, or its minimum where that is larger (then it scrolls)."""
        page = self.widget()
        if page is None:
            return
        need = page.minimumSizeHint().expandedTo(page.minimumSize())
        view = self.maximumViewportSize()
        size = view.expandedTo(need)
        if size.width() > view.width():  # a horizontal bar takes height from the view
            size.setHeight(max(need.height(), view.height() - self.horizontalScrollBar().sizeHint().height()))
        if size.height() > view.height():
            size.setWidth(max(need.width(), view.width() - self.verticalScrollBar().sizeHint().width()))
        if page.size() != size:
            page.resize(size)


def _page_holder(page: QWidget, key: str) -> QScrollArea:
    """The scroll area `page` is shown in (see `_PageHolder`)."""
    return _PageHolder(page, key)
