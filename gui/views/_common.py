"""Small shared pieces of the views: glove-sized buttons, verdict colours with text, status texts
through Qt translation, and running a blocking controller call off the GUI thread.

Why: a technician on a cold site works with gloves (buttons at least 44 px, large readings) and
must never rely on colour alone (every coloured cell also says 合格/不合格/需复检); a connection
test or a platform push may take seconds and must not freeze the window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QPushButton, QWidget

MIN_TOUCH_PX = 44
# high-contrast verdict colours (background, text): green / red / amber / grey
VERDICT_COLOURS = {"pass": ("#1b7f2a", "#ffffff"), "fail": ("#b3141c", "#ffffff"),
                   "retest": ("#f0a500", "#000000"), "undetermined": ("#f0a500", "#000000"),
                   "n/a": ("#d0d0d0", "#000000"), "pending": ("#e8e8e8", "#000000")}


def tr(text: str) -> str:
    """Translate a views string (context "Views"); the source text is Chinese."""
    return QCoreApplication.translate("Views", text)


def verdict_text(verdict: str) -> str:
    """A verdict or position state as words (never colour alone)."""
    texts = {"pass": QCoreApplication.translate("Views", "合格"),
             "fail": QCoreApplication.translate("Views", "不合格"),
             "retest": QCoreApplication.translate("Views", "需复检"),
             "undetermined": QCoreApplication.translate("Views", "待定"),
             "n/a": QCoreApplication.translate("Views", "—"),
             "pending": QCoreApplication.translate("Views", "等待")}
    return texts.get(verdict, verdict)


def verdict_colours(verdict: str) -> tuple[QColor, QColor]:
    """(background, foreground) of a verdict."""
    bg, fg = VERDICT_COLOURS.get(verdict, VERDICT_COLOURS["pending"])
    return QColor(bg), QColor(fg)


def task_status_text(status: str) -> str:
    """A task's status in the operator's language."""
    texts = {"booked": QCoreApplication.translate("Views", "待受理"),
             "accepted": QCoreApplication.translate("Views", "已受理"),
             "refused": QCoreApplication.translate("Views", "不予受理"),
             "reassign_requested": QCoreApplication.translate("Views", "申请重新指派"),
             "completed": QCoreApplication.translate("Views", "已完成")}
    return texts.get(status, status)


def certificate_status_text(status: str) -> str:
    """A certificate version's status in the operator's language."""
    texts = {"draft": QCoreApplication.translate("Views", "草稿"),
             "checked": QCoreApplication.translate("Views", "已核验"),
             "approved": QCoreApplication.translate("Views", "已批准"),
             "issued": QCoreApplication.translate("Views", "已签发"),
             "superseded": QCoreApplication.translate("Views", "已被替代"),
             "revoked": QCoreApplication.translate("Views", "已注销")}
    return texts.get(status, status)


def kind_text(kind: str) -> str:
    """Certificate or notice."""
    return (QCoreApplication.translate("Views", "检定证书") if kind == "certificate"
            else QCoreApplication.translate("Views", "检定结果通知书"))


def outbox_status_text(status: str) -> str:
    """An outbox item's status in the operator's language."""
    texts = {"pending": QCoreApplication.translate("Views", "待上传"),
             "done": QCoreApplication.translate("Views", "已确认"),
             "rejected": QCoreApplication.translate("Views", "被退回")}
    return texts.get(status, status)


def big_button(text: str, parent: QWidget, name: str) -> QPushButton:
    """A push button large enough for a gloved finger, with an accessible name."""
    b = QPushButton(text, parent)
    b.setMinimumHeight(MIN_TOUCH_PX)
    b.setMinimumWidth(96)
    b.setAccessibleName(name)
    return b


class _Relay(QObject):
    done = Signal(object, object)  # (result, error)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn, self.relay = fn, relay

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as e:  # handed to the GUI thread, shown to the operator
            self.relay.done.emit(None, e)
            return
        self.relay.done.emit(result, None)


_relays: set[_Relay] = set()


def run_off_thread(fn: Callable[[], Any], on_done: Callable[[Any, BaseException | None], None]) -> None:
    """Run a blocking controller call on the thread pool; ``on_done(result, error)`` runs on the
    GUI thread (a queued signal) when it returns."""
    relay = _Relay()
    _relays.add(relay)

    def finish(result: Any, error: Any) -> None:
        _relays.discard(relay)
        on_done(result, error)

    relay.done.connect(finish)
    QThreadPool.globalInstance().start(_Job(fn, relay))


def conclusion_text(conclusion: str) -> str:
    """A record's conclusion (合格 / 不合格) in the operator's language."""
    return {"合格": verdict_text("pass"), "不合格": verdict_text("fail")}.get(conclusion, conclusion)
