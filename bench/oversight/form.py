"""The bureaus' statistics forms as data: each form exactly as the notice's 附件 prints it — its
attachment label, title, the header fields above the table (填报单位（盖章）, 填报日期, 填报人, 联系方式),
group headers, column labels with the form's own line breaks, row kinds and whether it has a 合计 row
— one TOML file per form in ``bench/oversight/forms/`` (the file's name is the form's key). A bureau's
variant is a new file (``base = "…"`` takes another form and changes what it names).

A column says where its number comes from: ``store`` (a count the report computes from runs and the
ledger, documented per report module) and/or ``events`` (recorded oversight events of those kinds
added; ``subtract`` kinds taken away; a text column joins the events' notes). ``at_most`` names the
columns a count may not exceed (its population); ``[[checks]]`` sums of columns against another.
:func:`require_consistent` refuses a table with an impossible count, naming the row.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from bench.oversight.rules import RULES
from bench.store.models import OversightEvent


@dataclass(frozen=True)
class FormColumn:
    """One column of a form: its label as printed ("\\n" where the form breaks the line), the group
    header above it ("" when the label spans the header rows), its English name (printed only on
    request, outside the form), type (int or text) and where its number comes from."""

    key: str
    label: str
    en: str
    type: str = "int"
    group: str = ""
    store: str = ""
    events: tuple[str, ...] = ()
    subtract: tuple[str, ...] = ()
    at_most: tuple[str, ...] = ()
    width: float = 6.0

    @property
    def text(self) -> str:
        """The label on one line (the form's line breaks removed)."""
        return self.label.replace("\n", "")


@dataclass(frozen=True)
class RowKind:
    """A fixed row of a form (the 三表 form's 电能表, 水表, 燃气表): its label as printed and the ledger
    categories (and event category names) it counts."""

    label: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Check:
    """A consistency rule: the sum of the ``left`` columns may not exceed column ``right``."""

    left: tuple[str, ...]
    right: str


@dataclass(frozen=True)
class Form:
    """A bureau's form (see the module docstring); ``data`` keeps the file's report-specific keys."""

    key: str
    report: str
    attachment: str
    title: str
    title_en: str
    header: tuple[str, ...]
    total: str
    source: str
    columns: tuple[FormColumn, ...]
    row_kinds: tuple[RowKind, ...] = ()
    checks: tuple[Check, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)

    def column(self, key: str) -> FormColumn:
        """The column of ``key`` (KeyError naming the form when it has none)."""
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(f"表 {self.key} 无栏目 (form has no column) {key!r}")

    @property
    def header_rows(self) -> int:
        """2 when some column sits under a group header, else 1."""
        return 2 if any(c.group for c in self.columns) else 1

    def header_grid(self) -> tuple[tuple[str, ...], ...]:
        """The header cells as the form prints them, row by row: a group's label in its first column
        and "" in the others it spans; a column without a group has its label in the first row and
        "" below (it spans both rows); columns under a group have their label in the second row."""
        if self.header_rows == 1:
            return (tuple(c.label for c in self.columns),)
        top: list[str] = []
        bottom: list[str] = []
        previous = None
        for c in self.columns:
            if not c.group:
                top.append(c.label)
                bottom.append("")
            else:
                top.append(c.group if c.group != previous else "")
                bottom.append(c.label)
            previous = c.group or None
        return tuple(top), tuple(bottom)

    def spans(self) -> tuple[tuple[int, int, int, int], ...]:
        """The merged header cells as (first column, first row, last column, last row), 0-based: each
        group across its columns, each column without a group down both rows."""
        if self.header_rows == 1:
            return ()
        out: list[tuple[int, int, int, int]] = []
        k = 0
        while k < len(self.columns):
            c = self.columns[k]
            if not c.group:
                out.append((k, 0, k, 1))
                k += 1
                continue
            end = k
            while end + 1 < len(self.columns) and self.columns[end + 1].group == c.group:
                end += 1
            if end > k:
                out.append((k, 0, end, 0))
            k = end + 1
        return tuple(out)

    def row_name(self, row: Mapping[str, Any]) -> str:
        """How a row is named in a message: the ``row_name`` columns' values (the first column's by
        default), joined."""
        keys = self.data.get("row_name") or [self.columns[0].key]
        return " ".join(str(row.get(k, "")) for k in keys if str(row.get(k, "")))


# -- loading ----------------------------------------------------------------------------------------------
def _column(c: Mapping[str, Any]) -> FormColumn:
    def names(key: str) -> tuple[str, ...]:
        value = c.get(key, ())
        return (value,) if isinstance(value, str) else tuple(value)

    return FormColumn(key=c["key"], label=c["label"], en=c.get("en", ""), type=c.get("type", "int"),
                      group=c.get("group", ""), store=c.get("store", ""), events=names("events"),
                      subtract=names("subtract"), at_most=names("at_most"),
                      width=float(c.get("width", 6 if c.get("type", "int") == "int" else 12)))


def _raw(key: str) -> dict[str, Any]:
    """A form file's data, its ``base`` resolved: a key of ``bench/oversight/forms/`` or the path of a
    form file of one's own (``….toml``)."""
    folder = resources.files("bench.oversight.forms")
    path: Any = Path(key) if key.endswith(".toml") else folder.joinpath(f"{key}.toml")
    if not path.is_file():
        known = sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))
        raise ValueError(f"未知统计表 (unknown form) {key!r}; known: {', '.join(known)} (or a .toml file)")
    data = tomllib.loads(path.read_text("utf-8"))
    if "base" in data:
        base = _raw(str(data["base"]))
        base.update({k: v for k, v in data.items() if k != "base"})
        data = base
    return data


@cache
def load_form(key: str) -> Form:
    """The form of ``bench/oversight/forms/<key>.toml``, or of the file ``key`` when it names a
    ``.toml`` file (a bureau's variant kept outside the package), ``base`` resolved; ValueError naming
    the known forms when there is no such file."""
    data = _raw(key)
    columns = tuple(_column(c) for c in data["columns"])
    keys = {c.key for c in columns}
    checks = tuple(Check(tuple(ch["left"]), ch["right"]) for ch in data.get("checks", []))
    for c in columns:
        for other in (*c.at_most, *(k for ch in checks for k in (*ch.left, ch.right))):
            if other not in keys:
                raise ValueError(f"表 {key}: 栏目 {c.key} 的核对项 {other!r} 不是本表栏目 (check names no column)")
    key = Path(key).stem if key.endswith(".toml") else key
    return Form(key=key, report=data["report"], attachment=data.get("attachment", ""), title=data["title"],
                title_en=data.get("title_en", ""), header=tuple(data.get("header", ())), total=data.get("total", ""),
                source=data.get("source", ""), columns=columns,
                row_kinds=tuple(RowKind(r["label"], tuple(r.get("categories", [r["label"]])))
                                for r in data.get("rows", [])),
                checks=checks, data=data)


def forms() -> dict[str, Form]:
    """Every form shipped, by key."""
    folder = resources.files("bench.oversight.forms")
    return {k: load_form(k) for k in sorted(p.name.removesuffix(".toml") for p in folder.iterdir()
                                            if p.name.endswith(".toml"))}


def default_form(report: str, form: Form | None = None) -> Form:
    """The form a report fills: ``form`` when given (ValueError when it is another report's form),
    else the report's default (``[forms]`` in oversight_rules.toml)."""
    if form is None:
        return load_form(str(RULES["forms"][report]))
    if form.report != report:
        raise ValueError(f"统计表 {form.key} 属于 {form.report}，不能用于 {report} (the form fills another report)")
    return form


# -- filling ----------------------------------------------------------------------------------------------
def fill(form: Form, metrics: Mapping[str, Any], events: Sequence[OversightEvent]) -> dict[str, Any]:
    """One row of a form: a column with ``store`` takes that metric (a text or a count); a count
    column adds the counts of the events of its ``events`` kinds and subtracts those of its
    ``subtract`` kinds; a text column joins its events' notes (after the metric, when both)."""
    row: dict[str, Any] = {}
    for col in form.columns:
        mine = [e for e in events if e.kind in col.events]
        if col.type == "text":
            parts = [str(metrics[col.store])] if col.store else []
            parts += [e.note or f"{e.count}" for e in mine]
            row[col.key] = "；".join(p for p in parts if p)
            continue
        value = int(metrics[col.store]) if col.store else 0
        value += sum(e.count for e in mine)
        value -= sum(e.count for e in events if e.kind in col.subtract)
        row[col.key] = value
    return row


def total_row(form: Form, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The 合计 row: count columns summed, text columns empty, the form's total label in the first."""
    out: dict[str, Any] = {c.key: sum(int(r[c.key]) for r in rows) if c.type == "int" else "" for c in form.columns}
    out[form.columns[0].key] = form.total or "合计"
    return out


# -- consistency --------------------------------------------------------------------------------------------
class InconsistentCounts(ValueError):
    """A table with counts that cannot be (a negative count, a count above its population): refused,
    each problem naming its row and columns."""

    def __init__(self, form: Form, problems: Sequence[str]) -> None:
        self.form = form
        self.problems = tuple(problems)
        super().__init__(f"{form.title}：数字不合理，不予生成 (impossible counts, table refused): "
                         + "；".join(self.problems)
                         + " — 核对台账与登记的事件，更正请登记负数事件 (check the ledger and the recorded events; "
                           "a correction is an event with a negative count)")


def problems(form: Form, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """What is impossible in ``rows``: a negative count; a count above a column it may not exceed
    (``at_most``); a sum of columns above another (``[[checks]]``). Each names the row."""
    out: list[str] = []
    for row in rows:
        name = form.row_name(row)
        for c in form.columns:
            if c.type != "int":
                continue
            if int(row[c.key]) < 0:
                out.append(f"{name}：{c.text} 为 {row[c.key]}（负数）")
            for other in c.at_most:
                if int(row[c.key]) > int(row[other]):
                    out.append(f"{name}：{c.text} {row[c.key]} 大于 {form.column(other).text} {row[other]}")
        for ch in form.checks:
            left = sum(int(row[k]) for k in ch.left)
            if left > int(row[ch.right]):
                names = " + ".join(f"{form.column(k).text} {row[k]}" for k in ch.left)
                out.append(f"{name}：{names} = {left} 大于 {form.column(ch.right).text} {row[ch.right]}")
    return out


def require_consistent(form: Form, rows: Sequence[Mapping[str, Any]]) -> None:
    """Raise :class:`InconsistentCounts` when :func:`problems` finds any."""
    found = problems(form, rows)
    if found:
        raise InconsistentCounts(form, found)
