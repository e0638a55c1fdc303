"""The ledger (台账): every instrument with its status as of today — last verification, certificate
number, valid until (or 使用期限至) — filtered by category and a search text, and the facts the
bureaus' forms count by: 民用 (household), 备案 (filing) and 投用日期 (commissioning date), changed
for the selected instrument by the logged-in account (audited, through bench's controller).

Why: the 三表 form counts household meters, the charger notice gives a first verification to posts
in service before a date, the 台账 form asks for 备案; the technician who finds a fact on site
records it on the workstation without preparing a spreadsheet for ``jianding ledger import``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from gui.views._common import (
    RowsPage,
    big_button,
    button_bar,
    fill_table,
    labelled_rows,
    message_label,
    record_table,
    refresh_shortcut,
    show_message,
)
from gui.views.login import LoginRow

FILINGS = ("", "已备案", "未备案")  # as bench.ledger_views.FILING_CHOICES (the ledger's values)


class LedgerView(RowsPage, QWidget):
    """The ledger's instruments and the 民用 / 备案 / 投用日期 editor of the selected one."""

    row_key = "serial"

    def __init__(self, controller: Any, parent: QWidget | None = None, person: str = "") -> None:
        """Build the page over ``controller`` (ledger_rows, ledger_categories, update_ledger_facts)."""
        super().__init__(parent)
        self.controller = controller
        self.rows: list[Any] = []
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.category = QComboBox(self)
        self.category.setObjectName("ledger_category")
        self.category.setMinimumHeight(40)
        self.category_label = QLabel(self)
        self.category_label.setBuddy(self.category)
        self.search = QLineEdit(self)
        self.search.setObjectName("ledger_search")
        self.search.setMinimumHeight(40)
        top.addWidget(self.category_label)
        top.addWidget(self.category, 1)
        top.addWidget(self.search, 2)
        lay.addLayout(top)
        self.table = record_table(self, 10, "ledger")
        lay.addWidget(self.table, 1)
        form = QFormLayout()
        self.household = QComboBox(self)
        self.household.setObjectName("household")
        self.filing = QComboBox(self)
        self.filing.setObjectName("filing_status")
        dates = QHBoxLayout()
        self.commissioned_known = QCheckBox(self)
        self.commissioned_known.setObjectName("commissioned_known")
        self.commissioned = QDateEdit(self)
        self.commissioned.setObjectName("commissioned_on")
        self.commissioned.setCalendarPopup(True)
        self.commissioned.setDisplayFormat("yyyy-MM-dd")
        dates.addWidget(self.commissioned_known)
        dates.addWidget(self.commissioned, 1)
        dates_box = QWidget(self)
        dates_box.setLayout(dates)
        self.household_label, self.filing_label, self.commissioned_label = labelled_rows(
            self, form, (self.household, self.filing, dates_box))
        lay.addLayout(form)
        self.login_row = LoginRow(controller, self, person)  # who changes the ledger: a logged-in account
        lay.addWidget(self.login_row)
        self.save_button = big_button("", self, "save")
        self.refresh_button = big_button("", self, "refresh")
        button_bar(lay, (self.save_button, self.refresh_button))
        self.message = message_label(self, "ledger_message")
        lay.addWidget(self.message)
        self.category.currentIndexChanged.connect(lambda _i: self.refresh())
        self.search.textChanged.connect(lambda _t: self.refresh())
        self.table.itemSelectionChanged.connect(self._selected)
        self.commissioned_known.toggled.connect(self.commissioned.setEnabled)
        self.save_button.clicked.connect(self.save)
        self.refresh_button.clicked.connect(self.refresh)
        refresh_shortcut(self, self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        """Re-apply texts after a language switch."""
        self.category_label.setText(self.tr("器具类别(&K)"))
        self.category.setAccessibleName(self.tr("按器具类别筛选"))
        self.search.setPlaceholderText(self.tr("搜索出厂编号、名称、型号或使用单位"))
        self.search.setAccessibleName(self.tr("搜索台账"))
        current = self.household.currentIndex()
        self.household.clear()
        for text, value in ((self.tr("未填"), None), (self.tr("是"), True), (self.tr("否"), False)):
            self.household.addItem(text, value)
        self.household.setCurrentIndex(max(current, 0))
        current = self.filing.currentIndex()
        self.filing.clear()
        for value in FILINGS:
            self.filing.addItem({"": self.tr("未填"), "已备案": self.tr("已备案"), "未备案": self.tr("未备案")}[value], value)
        self.filing.setCurrentIndex(max(current, 0))
        self.household_label.setText(self.tr("民用(&H)"))
        self.filing_label.setText(self.tr("备案(&F)"))
        self.commissioned_label.setText(self.tr("投用日期(&D)"))
        self.commissioned_known.setText(self.tr("已知"))
        self.commissioned_known.setAccessibleName(self.tr("投用日期已知"))
        self.login_row.retranslate()
        self.save_button.setText(self.tr("保存(&S)"))
        self.save_button.setAccessibleName(self.tr("保存民用、备案和投用日期"))
        self.refresh_button.setText(self.tr("刷新 (F5)"))
        self.refresh_button.setAccessibleName(self.tr("刷新台账"))
        self.table.setAccessibleName(self.tr("台账"))
        self.table.setHorizontalHeaderLabels([
            self.tr("器具类别"), self.tr("出厂编号"), self.tr("名称型号"), self.tr("使用单位"), self.tr("民用"),
            self.tr("备案"), self.tr("投用日期"), self.tr("最近检定"), self.tr("证书编号"), self.tr("有效期至")])
        self._fill()

    def refresh(self) -> None:
        """Reload the ledger (through the controller), keeping the category and the selection."""
        current = self.current()
        chosen = self.category.currentData()
        self.category.blockSignals(True)
        self.category.clear()
        self.category.addItem(self.tr("全部"), "")
        for c in self.controller.ledger_categories():
            self.category.addItem(c, c)
        index = self.category.findData(chosen) if chosen else 0
        self.category.setCurrentIndex(max(index, 0))
        self.category.blockSignals(False)
        self.rows = self.controller.ledger_rows(self.search.text(), self.category.currentData() or "")
        self._fill()
        if current is not None:
            self.select(current.serial)

    def _yes_no(self, value: bool | None) -> str:
        return "" if value is None else self.tr("是") if value else self.tr("否")

    def _fill(self) -> None:
        def day(d: date | None) -> str:
            return d.isoformat() if d else ""

        fill_table(self.table, [
            (r.category, r.serial, f"{r.name} {r.model}".strip(), r.client, self._yes_no(r.household),
             r.filing_status, day(r.commissioned_on), day(r.last_verified), r.certificate_no,
             (day(r.valid_until) + (self.tr("（使用期限）") if r.service_life and r.valid_until else "")))
            for r in self.rows])
        self._selected()

    def _selected(self) -> None:
        """Show the selected instrument's facts in the editor."""
        r = self.current()
        self.save_button.setEnabled(r is not None)
        if r is None:
            return
        self.household.setCurrentIndex(self.household.findData(r.household) if r.household is not None else 0)
        self.filing.setCurrentIndex(max(self.filing.findData(r.filing_status), 0))
        self.commissioned_known.setChecked(r.commissioned_on is not None)
        self.commissioned.setEnabled(r.commissioned_on is not None)
        when = r.commissioned_on or date.today()
        self.commissioned.setDate(QDate(when.year, when.month, when.day))

    def save(self) -> None:
        """Record the editor's 民用, 备案 and 投用日期 for the selected instrument as the logged-in
        account (检定员 or administrator; the controller checks the role)."""
        r = self.current()
        if r is None:
            return
        on = self.commissioned.date().toPython() if self.commissioned_known.isChecked() else None
        try:
            row = self.controller.update_ledger_facts(r.id, self.login_row.account, household=self.household.currentData(),
                                                      filing_status=self.filing.currentData(), commissioned_on=on)
        except Exception as e:  # FacadeError: the rule's own words
            show_message(self.message, str(e), False)
            return
        show_message(self.message, self.tr("已保存：%1").replace("%1", row.serial), True)
        self.refresh()
        self.select(row.serial)
