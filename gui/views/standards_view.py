"""标准器与装置: the reference standards and 计量标准装置 on record, each certificate coloured by how
long it still runs — expired red, due within the warning days amber (30 by default; the page's
提前提醒天数 setting, kept in the controller for the status bar) — with adding a standard or a 装置
and renewing one with its new certificate (calibration certificate number, calibration date, due
date; for a 装置 its certificate number, issuer and validity), through bench's controller
(bench.standards_views).

Who may: the logged-in person, as the controller checks — in a store with accounts only a 管理员
(administrator) enters or renews standards (the equipment manager keeps their records; see
bench.standards_views); the buttons say so and stay disabled for anyone else. Every entry is audited
under that person's name and each change of a row is versioned (bench.store.versions).

Why: a run on an expired standard is refused before it starts; the technician must see the due
dates coming and the person in charge must be able to enter the new certificate here, not in a
terminal. The run page's refusal opens this page (:func:`offer_standards_page`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDate, Signal
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bench.standards_views import SETUP_KINDS, StandardNotUsable
from gui.views._common import (
    VERDICT_COLOURS,
    RowsPage,
    big_button,
    button_bar,
    labelled_rows,
    message_label,
    record_table,
    refresh_shortcut,
    show_message,
    tr,
)

CERTIFICATE_KINDS = (QT_TRANSLATE_NOOP("Views", "计量标准考核证书"), QT_TRANSLATE_NOOP("Views", "社会公用计量标准证书"))
"""The 装置 certificate kinds (bench.standards_views.SETUP_KINDS), marked for translation."""

STATE_COLOURS = {"expired": VERDICT_COLOURS["fail"], "due": VERDICT_COLOURS["retest"]}
"""(background, text) of a certificate's state: expired red, due amber; valid keeps the table's own."""


SHRINK_ORDER = (7, 1, 2, 6, 4)
"""The columns that give way, in turn, when the table is wider than the page (the 装置 or issuer, the
name, the model or certificate kind, the state, the certificate number): their text wraps to a second
line, then elides; the full text is in each cell's tooltip."""
MIN_COLUMN_PX = 110
"""The narrowest a giving column becomes."""


def state_colours(state: str) -> tuple[QColor, QColor] | None:
    """(background, foreground) for a certificate state, None for one in force and not due."""
    pair = STATE_COLOURS.get(state)
    return (QColor(pair[0]), QColor(pair[1])) if pair else None


def state_text(state: str, days_left: int) -> str:
    """A certificate's state in words (never colour alone): 已过期 n 天, 剩 n 天到期, 有效 (剩 n 天)."""
    if state == "expired":
        return QCoreApplication.translate("Views", "已过期 {n} 天").format(n=-days_left)
    if state == "due":
        return QCoreApplication.translate("Views", "{n} 天后到期").format(n=days_left) if days_left else QCoreApplication.translate("Views", "今天到期")
    return QCoreApplication.translate("Views", "有效 (剩 {n} 天)").format(n=days_left)


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(d: QDate) -> date:
    return date(d.year(), d.month(), d.day())


def date_field(parent: QWidget, value: date, name: str) -> QDateEdit:
    """A calendar date field in ISO format."""
    field = QDateEdit(_qdate(value), parent)
    field.setObjectName(name)
    field.setCalendarPopup(True)
    field.setDisplayFormat("yyyy-MM-dd")
    return field


class StandardDialog(QDialog):
    """One form for the four entries: ``mode`` "standard" (add a standard), "setup" (add a 装置),
    "renew" (a standard's new calibration certificate) or "renew_setup" (a 装置's new certificate).
    On 确定 the controller makes the entry as the logged-in person; the dialog stays open with the
    refusal when it is refused, and :attr:`row` is the entered row when accepted."""

    def __init__(self, controller: Any, mode: str, current: Any | None = None, parent: QWidget | None = None) -> None:
        """Build the form for ``mode``; ``current`` is the row renewed (its values prefilled)."""
        super().__init__(parent)
        self.controller, self.mode, self.current = controller, mode, current
        self.row: Any | None = None
        self.setObjectName(f"standard_dialog_{mode}")
        today = date.today()
        lay = QVBoxLayout(self)
        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        lay.addWidget(self.heading)
        form = QFormLayout()
        self.name, self.model, self.serial = QLineEdit(self), QLineEdit(self), QLineEdit(self)
        self.accuracy, self.measuring_range = QLineEdit(self), QLineEdit(self)
        self.certificate_no, self.issued_by = QLineEdit(self), QLineEdit(self)
        self.kind = QComboBox(self)
        for kind in SETUP_KINDS:
            self.kind.addItem(tr(kind), kind)
        self.setup = QComboBox(self)
        self.setup.addItem(self.tr("无"), "")
        for r in controller.standard_rows():
            if r.kind == "setup":
                self.setup.addItem(f"{r.name} {r.certificate_no}", r.certificate_no)
        self.calibrated_on = date_field(self, today, "calibrated_on")
        self.valid_until = date_field(self, today + timedelta(days=365), "valid_until")
        for w, name in ((self.name, "name"), (self.model, "model"), (self.serial, "serial"),
                        (self.accuracy, "accuracy"), (self.measuring_range, "measuring_range"),
                        (self.certificate_no, "certificate_no"), (self.issued_by, "issued_by"),
                        (self.kind, "certificate_kind"), (self.setup, "setup")):
            w.setObjectName(name)
        fields = {"standard": (self.name, self.model, self.serial, self.accuracy, self.measuring_range,
                               self.certificate_no, self.calibrated_on, self.valid_until, self.setup),
                  "setup": (self.name, self.kind, self.certificate_no, self.issued_by, self.valid_until),
                  "renew": (self.certificate_no, self.calibrated_on, self.valid_until),
                  "renew_setup": (self.certificate_no, self.issued_by, self.valid_until)}[mode]
        labels = dict(zip(fields, labelled_rows(self, form, fields), strict=True))
        for w in (self.name, self.model, self.serial, self.accuracy, self.measuring_range, self.certificate_no,
                  self.issued_by, self.kind, self.setup, self.calibrated_on, self.valid_until):
            if w not in labels:  # not this form's: never drawn loose over it
                w.hide()
        texts = {self.name: self.tr("名称"), self.model: self.tr("型号"), self.serial: self.tr("出厂编号"),
                 self.accuracy: self.tr("准确度等级 / 不确定度"), self.measuring_range: self.tr("测量范围"),
                 self.certificate_no: self.tr("证书编号"), self.issued_by: self.tr("发证单位"), self.kind: self.tr("证书类别"),
                 self.setup: self.tr("所属计量标准装置"), self.calibrated_on: self.tr("校准日期"),
                 self.valid_until: self.tr("有效期至")}
        for w, label in labels.items():
            label.setText(texts[w])
            w.setAccessibleName(texts[w])
        lay.addLayout(form)
        if current is not None:
            self.certificate_no.setText("" if mode == "renew" else current.certificate_no)
            self.issued_by.setText(current.issued_by)
            self.valid_until.setDate(_qdate(max(current.valid_until, today) + timedelta(days=365)))
        self.message = message_label(self, "standard_dialog_message")
        lay.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("登记(&O)"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        titles = {"standard": self.tr("新增标准器"), "setup": self.tr("新增计量标准装置"),
                  "renew": self.tr("更新校准证书"), "renew_setup": self.tr("更新装置证书")}
        self.setWindowTitle(titles[mode])
        what = f"{current.name} {current.key}" if current is not None else ""
        self.heading.setText(f"{titles[mode]}  {what}".strip())

    def accept(self) -> None:
        """Make the entry through the controller; close only when it was accepted."""
        c = self.controller
        text = {w: w.text().strip() for w in (self.name, self.model, self.serial, self.accuracy,
                                               self.measuring_range, self.certificate_no, self.issued_by)}
        cal, until = _pydate(self.calibrated_on.date()), _pydate(self.valid_until.date())
        try:
            if self.mode == "standard":
                self.row = c.add_standard_entry(
                    name=text[self.name], model=text[self.model], serial=text[self.serial],
                    certificate_no=text[self.certificate_no], calibrated_on=cal, valid_until=until,
                    accuracy=text[self.accuracy], measuring_range=text[self.measuring_range],
                    setup=str(self.setup.currentData() or ""))
            elif self.mode == "setup":
                self.row = c.add_setup_entry(name=text[self.name], certificate_kind=str(self.kind.currentData()),
                                             certificate_no=text[self.certificate_no], issued_by=text[self.issued_by],
                                             valid_until=until)
            elif self.mode == "renew":
                assert self.current is not None
                self.row = c.renew_standard_entry(self.current.key, certificate_no=text[self.certificate_no],
                                                  calibrated_on=cal, valid_until=until)
            else:
                assert self.current is not None
                self.row = c.renew_setup_entry(self.current.key, new_certificate_no=text[self.certificate_no],
                                               valid_until=until, issued_by=text[self.issued_by])
        except Exception as e:  # FacadeError: the controller's words (role, duplicate, dates)
            show_message(self.message, str(e), False)
            return
        super().accept()


class StandardsView(RowsPage, QWidget):
    """Standards and 装置 with their certificates' state; add, renew; the warning days."""

    row_key = "key"
    changed = Signal()  # an entry was made or the warning days changed (the status bar refreshes)

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        """Build the page over ``controller`` (standard_rows, add/renew entries, may_edit_standards)."""
        super().__init__(parent)
        self.controller = controller
        self.rows: list[Any] = []
        self.dialog: StandardDialog | None = None
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.warn_days = QSpinBox(self)
        self.warn_days.setObjectName("warn_days")
        self.warn_days.setRange(1, 365)
        self.warn_days.setValue(int(getattr(controller, "standards_warn_days", 30)))
        self.warn_days.setMinimumHeight(40)
        self.warn_label = QLabel(self)
        self.warn_label.setBuddy(self.warn_days)
        self.legend = QLabel(self)
        self.legend.setObjectName("standards_legend")
        self.legend.setWordWrap(True)
        top.addWidget(self.warn_label)
        top.addWidget(self.warn_days)
        top.addSpacing(16)
        top.addWidget(self.legend, 1)
        lay.addLayout(top)
        self.table = record_table(self, 8, "standards")
        self.table.verticalHeader().hide()
        lay.addWidget(self.table, 1)
        self.add_button = big_button("", self, "add_standard")
        self.add_setup_button = big_button("", self, "add_setup")
        self.renew_button = big_button("", self, "renew")
        self.refresh_button = big_button("", self, "refresh")
        button_bar(lay, (self.add_button, self.add_setup_button, self.renew_button, self.refresh_button))
        self.role = QLabel(self)
        self.role.setObjectName("standards_role")
        self.role.setWordWrap(True)
        lay.addWidget(self.role)
        self.message = message_label(self, "standards_message")
        lay.addWidget(self.message)
        self.warn_days.valueChanged.connect(self._warn_changed)
        self.add_button.clicked.connect(lambda: self.open_dialog("standard"))
        self.add_setup_button.clicked.connect(lambda: self.open_dialog("setup"))
        self.renew_button.clicked.connect(self.renew_selected)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._enable)
        self.table.itemDoubleClicked.connect(lambda _item: self.renew_selected())
        refresh_shortcut(self, self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        """Re-apply texts after a language switch."""
        self.warn_label.setText(self.tr("提前提醒天数(&D)"))
        self.warn_days.setAccessibleName(self.tr("到期前提醒的天数"))
        self.warn_days.setSuffix(self.tr(" 天"))
        self.add_button.setText(self.tr("新增标准器(&A)"))
        self.add_setup_button.setText(self.tr("新增装置(&I)"))
        self.renew_button.setText(self.tr("更新证书(&R)"))
        self.renew_button.setAccessibleName(self.tr("以新证书更新所选标准器或装置"))
        self.refresh_button.setText(self.tr("刷新 (F5)"))
        self.table.setAccessibleName(self.tr("标准器与计量标准装置"))
        self.table.setHorizontalHeaderLabels([
            self.tr("类别"), self.tr("名称"), self.tr("型号 / 证书类别"), self.tr("出厂编号"), self.tr("证书编号"),
            self.tr("有效期至"), self.tr("状态"), self.tr("所属装置 / 发证单位")])
        self.refresh()

    # -- data -------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the standards and 装置 and their state today."""
        key = self.current().key if self.current() is not None else None
        self.rows = self.controller.standard_rows()
        self._fill()
        if key is not None:
            self.select(key)
        self._enable()

    def _fill(self) -> None:
        """One row per 装置 and standard; the state cell, and the due date, in the state's colours."""
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            kind = self.tr("装置") if r.kind == "setup" else self.tr("标准器")
            texts = (kind, r.name, r.model if r.kind == "standard" else tr(r.certificate_kind), r.serial,
                     r.certificate_no, r.valid_until.isoformat(), state_text(r.state, r.days_left),
                     r.setup if r.kind == "standard" else r.issued_by)
            colours = state_colours(r.state)
            for j, text in enumerate(texts):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                if colours is not None and j in (5, 6):
                    cell.setBackground(colours[0])
                    cell.setForeground(colours[1])
                self.table.setItem(i, j, cell)
        self.table.resizeColumnsToContents()
        self._fit_columns()
        expired = sum(r.state == "expired" for r in self.rows)
        due = sum(r.state == "due" for r in self.rows)
        self.legend.setText(self.tr("红：已过期 {e} 项；琥珀：{d} 天内到期 {n} 项").format(
            e=expired, d=self.warn_days.value(), n=due))

    def _fit_columns(self) -> None:
        """Columns as wide as their text, narrowed in :data:`SHRINK_ORDER` until the table fits the
        page's width (no sideways scrolling at 1366 or 1280 px, in Chinese or English)."""
        header = self.table.horizontalHeader()
        widths = {c: header.sectionSizeHint(c) if not self.rows else max(header.sectionSizeHint(c),
                                                                          self.table.sizeHintForColumn(c))
                  for c in range(self.table.columnCount())}
        excess = sum(widths.values()) - self.table.viewport().width()
        for column in SHRINK_ORDER:
            if excess <= 0:
                break
            give = min(excess, max(widths[column] - MIN_COLUMN_PX, 0))
            widths[column] -= give
            excess -= give
        for column, width in widths.items():
            self.table.setColumnWidth(column, width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """The page changed width: fit the columns again."""
        super().resizeEvent(event)
        self._fit_columns()

    def _enable(self) -> None:
        """Entries only for who may make them (the controller's rule, said in words)."""
        may = bool(self.controller.may_edit_standards())
        self.add_button.setEnabled(may)
        self.add_setup_button.setEnabled(may)
        self.renew_button.setEnabled(may and self.current() is not None)
        account = getattr(self.controller, "account", None)
        if account is None:
            who = self.tr("{who} (本库未设账户)").format(who=getattr(self.controller, "actor", ""))
        else:
            who = account.name
        self.role.setText(self.tr("当前操作员: {who}。{rule}").format(
            who=who, rule=self.tr("可登记和更新标准器。") if may else
            self.tr("登记或更新标准器须以管理员身份登录。")))

    def _warn_changed(self, days: int) -> None:
        """The warning days: kept in the controller (the status bar uses them too)."""
        self.controller.standards_warn_days = days
        self.refresh()
        self.changed.emit()

    # -- commands ---------------------------------------------------------------------------------
    def open_dialog(self, mode: str, current: Any | None = None) -> StandardDialog:
        """Open the entry form (non-modal, the window never blocks); the page refreshes when it is
        accepted. Returned for tests."""
        dialog = StandardDialog(self.controller, mode, current, self)
        dialog.accepted.connect(lambda: self._entered(dialog))
        dialog.open()
        self.dialog = dialog
        return dialog

    def renew_selected(self) -> StandardDialog | None:
        """The renewal form of the selected standard or 装置."""
        row = self.current()
        if row is None or not self.controller.may_edit_standards():
            return None
        return self.open_dialog("renew" if row.kind == "standard" else "renew_setup", row)

    def _entered(self, dialog: StandardDialog) -> None:
        """An entry was accepted: say so, list it, tell the status bar."""
        row = dialog.row
        self.refresh()
        if row is not None:
            self.select(row.key)
            show_message(self.message, self.tr("已登记: {name} {cert} 有效期至 {until}").format(
                name=row.name, cert=row.certificate_no, until=row.valid_until.isoformat()), True)
        self.changed.emit()


def offer_standards_page(window: Any, error: BaseException) -> QMessageBox | None:
    """A run was refused: when a standard or 装置 is why (not on record, expired), say so with a
    button that opens the standards page (non-modal); the box, or None for another refusal."""
    if not isinstance(error, StandardNotUsable) or "standards" not in window.page_keys():
        return None
    box = QMessageBox(window)
    box.setObjectName("standards_refusal")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(QCoreApplication.translate("Views", "标准器不可用"))
    box.setText(str(error))
    box.setInformativeText(QCoreApplication.translate("Views", "请在“标准器与装置”页登记或更新其证书。"))
    go = box.addButton(QCoreApplication.translate("Views", "打开标准器与装置页(&O)"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QCoreApplication.translate("Views", "关闭"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(go)
    go.clicked.connect(lambda: window.show_page("standards"))
    box.open()
    window.standards_refusal = box
    return box
