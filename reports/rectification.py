"""The rectification table (整改情况表) as PDF and Excel: one row per 整改 item — its number, the kind
and words of the finding, the instrument, the owner (使用单位), the day it was opened, the deadline,
its status as of the report's date, the rectification reported (when, by whom, what) and the
verification (when, by which bureau or institution, by whom).

bench.rectification_report computes the rows and the counts from the store and hands them over as
plain :class:`RectificationLine` values; this module only lays the table out, in the house layout of
the oversight reports (:mod:`reports.oversight`: embedded CJK font, deterministic PDF, Excel with the
Chinese headers in row 1 and the English in row 2), so it never imports bench.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reports.oversight import Column, OversightDocument

__all__ = ["COLUMNS", "RectificationLine", "rectification_document"]

COLUMNS: tuple[Column, ...] = (
    Column("no", "整改编号", "Item", 14), Column("kind", "问题类别", "Finding", 11),
    Column("finding", "问题描述", "What was found", 16), Column("instrument", "器具", "Instrument", 11),
    Column("owner", "使用单位", "User unit", 11), Column("division", "行政区划", "Division", 9),
    Column("opened", "立项日期", "Opened", 12, "date"), Column("deadline", "整改期限", "Deadline", 12, "date"),
    Column("status", "状态", "Status", 11), Column("rectified", "整改日期", "Rectified on", 12, "date"),
    Column("evidence", "整改情况", "Rectification", 14), Column("verified", "核查", "Verification", 11),
)
"""The table's columns, in order."""


@dataclass(frozen=True)
class RectificationLine:
    """One item as the table prints it (texts and dates; ``status`` already in words)."""

    no: str
    kind: str
    finding: str
    instrument: str
    owner: str
    division: str
    opened: date
    deadline: date
    status: str
    rectified: date | None
    evidence: str
    verified: str

    def cells(self) -> tuple[object, ...]:
        """The row's cells in :data:`COLUMNS` order (dates as ISO text, as the other reports)."""
        return (self.no, self.kind, self.finding, self.instrument, self.owner, self.division, self.opened.isoformat(),
                self.deadline.isoformat(), self.status, self.rectified.isoformat() if self.rectified else "",
                self.evidence, self.verified)


def rectification_document(lines: Sequence[RectificationLine], summary: Sequence[str], *, institution: str,
                           as_of: date, period: str = "", filters: Sequence[tuple[str, str]] = (),
                           notes: Sequence[str] = ()) -> OversightDocument:
    """The rectification table as a document (``reports.oversight.render_pdf`` / ``write_xlsx`` render it)."""
    base = ("状态按统计截止日期：逾期未整改 = 至截止日期仍未报告整改且已过整改期限；已整改待核查 = 使用单位已报告、监管部门或"
            "检定机构尚未核查 (status as of the report's date: overdue = open after its deadline; rectified = "
            "reported by the owner, not yet verified)",
            "整改期限自立项次日起算；以日计者遇休息日顺延至下一工作日 (the deadline counts from the day after the "
            "opening; a deadline in days that falls on a day off moves to the next working day)")
    return OversightDocument(
        key="rectification", title_zh="整改情况表", title_en="Rectification items", institution=institution,
        as_of=as_of, period=period, filters=tuple(filters), summary=tuple(summary), columns=COLUMNS,
        rows=tuple(line.cells() for line in lines), notes=(*base, *notes), landscape=True)
