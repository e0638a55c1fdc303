"""The instrument ledger (台账) in Excel: a template in the platform's batch-import habit, export, and
an all-or-nothing import.

The columns and the values they accept are data (``ledger_schema.toml`` beside this module). An
import reads every cell of every row first; each bad cell is reported with the row number Excel
shows and the column letter and header ("第 7 行 F 列 (准确度等级): …"), and a file with any error
enters nothing. A clean file is entered in one store transaction, every row audited. A serial
already on the ledger is an error unless ``update=True``: then that row is updated (blank optional
cells keep the ledger's value) and the audit entry carries the changed fields before and after.
"""

from __future__ import annotations

import json
import re
import tomllib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bench.categories import CATEGORIES
from bench.standing import histories, rule_of, standing
from bench.store import Store
from bench.store.models import Instrument
from procedures.regulations.specs import (
    SpecField,
    field_of,
    format_value,
    ledger_fields,
    missing,
    parse_value,
)

SCHEMA: dict[str, Any] = tomllib.loads(Path(__file__).with_name("ledger_schema.toml").read_text("utf-8"))


@dataclass(frozen=True)
class Column:
    """One template column: its header (Chinese, English), whether it must be filled, the kind of
    check its cells get, and the ledger field it fills."""

    key: str
    zh: str
    en: str
    kind: str  # index | text | enum | category | class | serial | division | flag | date | params | param | spec | status
    required: bool
    width: int
    note: str = ""
    aliases: tuple[str, ...] = ()
    enum: str = ""  # a `param` column: the [enums.<enum>] its drop-down offers (是/否 → true/false)
    spec: SpecField | None = None  # a `spec` column: the nameplate value it fills (its type and choices)
    tables: tuple[str, ...] = ()  # a `spec` column: the regulation tables whose instruments have it


def _spec_columns() -> tuple[Column, ...]:
    """One column per technical parameter of procedures/regulations/data/specs.toml (额定电压, Ib,
    Q3, Qmax …), in its order: the kind's specification typed in its own cell, checked against the
    row's category, kept in the ledger's JSON of technical parameters."""
    names = {c.table: c.name for c in CATEGORIES.values()}
    out: list[Column] = []
    for f, tables in ledger_fields():
        used = "、".join(names.get(t, t) for t in tables)
        allowed = f"；可填 {'、'.join(f.choices.values())}" if f.choices else ""
        out.append(Column(key=f.key, zh=f.label, en=f"{f.en}, {f.unit}" if f.unit else f.en, kind="spec", required=False,
                          width=max(10, min(18, len(f.label) * 2 + 2)),
                          note=f"{used}：{f.note or f.zh}{allowed}", spec=f, tables=tables))
    return tuple(out)


def _columns() -> tuple[Column, ...]:
    """The template's columns: the schema's, with the spec columns where its ``specs`` column stands."""
    out: list[Column] = []
    for c in SCHEMA["columns"]:
        if c["kind"] == "specs":
            out += _spec_columns()
            continue
        out.append(Column(key=c["key"], zh=c["zh"], en=c["en"], kind=c["kind"], required=bool(c["required"]),
                          width=int(c.get("width", 12)), note=c.get("note", ""), aliases=tuple(c.get("aliases", ())),
                          enum=str(c.get("enum", ""))))
    return tuple(out)


COLUMNS: tuple[Column, ...] = _columns()
ENUMS: dict[str, tuple[str, ...]] = {k: tuple(v["values"]) for k, v in SCHEMA["enums"].items()}
ENUM_ALIASES: dict[str, dict[str, str]] = {k: dict(v.get("aliases", {})) for k, v in SCHEMA["enums"].items()}
PROVINCES: dict[str, str] = dict(SCHEMA["divisions"]["provinces"])
KNOWN_DIVISIONS: dict[str, str] = dict(SCHEMA["divisions"]["known"])
DATA_SHEET: str = SCHEMA["sheet"]["data"]
INSTRUCTIONS_SHEET: str = SCHEMA["sheet"]["instructions"]
LISTS_SHEET: str = SCHEMA["sheet"]["lists"]
HEADER_ROWS: int = int(SCHEMA["sheet"]["header_rows"])
VALIDATION_ROWS: int = int(SCHEMA["sheet"]["validation_rows"])
ENUM_LABELS = {"use": ("用途", "use"), "delivery_mode": ("送检方式", "delivery mode")}
_PARAM_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SPACES = " \t\r\n\u3000\u00a0"


@dataclass(frozen=True)
class CellIssue:
    """A problem found in one cell (or one row / the whole file when ``column`` is empty), with the
    row number as Excel shows it."""

    row: int
    column: str  # column letter, "" for a row or file issue
    header: str  # the column's Chinese header
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row else "文件"
        if self.column:
            where += f" {self.column} 列 ({self.header})"
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    """What an import found and did. ``errors`` non-empty means nothing was entered."""

    path: str
    rows: int = 0
    errors: list[CellIssue] = field(default_factory=list)
    warnings: list[CellIssue] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file had no error (and so was entered)."""
        return not self.errors

    def summary(self) -> str:
        """One line for the operator, Chinese first."""
        if self.errors:
            return (f"共 {len(self.errors)} 处错误，未导入任何数据 ({len(self.errors)} error(s); nothing imported)")
        return (f"已导入 {self.rows} 行：新增 {len(self.added)}，更新 {len(self.updated)}，未变 {len(self.unchanged)} "
                f"({self.rows} rows: {len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged)")


# -- the template -----------------------------------------------------------------------------------
def _letter(index: int) -> str:
    return get_column_letter(index + 1)


def _lists(ws: Worksheet) -> dict[str, str]:
    """Fill the hidden lists sheet; return each list's absolute range for the drop-downs."""
    all_classes: list[str] = []
    for cat in CATEGORIES.values():
        all_classes += [c for c in cat.classes if c not in all_classes]
    lists = {"category": list(CATEGORIES), "class": all_classes, **{k: list(v) for k, v in ENUMS.items()},
             **{f"spec:{c.key}": list(c.spec.choices.values()) for c in COLUMNS if c.spec is not None and c.spec.choices}}
    ranges: dict[str, str] = {}
    for i, (key, values) in enumerate(lists.items()):
        col = get_column_letter(i + 1)
        ws.cell(row=1, column=i + 1, value=key)
        for r, v in enumerate(values, start=2):
            ws.cell(row=r, column=i + 1, value=v)
        ranges[key] = f"'{ws.title}'!${col}$2:${col}${len(values) + 1}"
    return ranges


def _header(ws: Worksheet) -> None:
    red, grey = Font(bold=True, color="C00000"), Font(italic=True, color="808080")
    fill = PatternFill("solid", fgColor="DDEBF7")
    status_fill = PatternFill("solid", fgColor="E7E6E6")
    for i, col in enumerate(COLUMNS):
        zh = ws.cell(row=1, column=i + 1, value=col.zh)
        zh.font = red if col.required else Font(bold=True)
        zh.fill = status_fill if col.kind == "status" else fill
        zh.alignment = Alignment(horizontal="center")
        need = ("导出时填写，导入时忽略 (filled on export, ignored on import)" if col.kind == "status"
                else "必填 (required)" if col.required else "选填 (optional)")
        zh.comment = Comment(f"{col.en} — {need}\n{col.note}".strip(), "jianding", width=320, height=110)
        en = ws.cell(row=2, column=i + 1, value=col.en)
        en.font = grey
        en.alignment = Alignment(horizontal="center")
        letter = _letter(i)
        ws.column_dimensions[letter].width = col.width
        if col.kind in ("serial", "class", "division", "text"):
            ws.column_dimensions[letter].number_format = "@"  # serials keep leading zeros; 1.0 stays 1.0
    ws.freeze_panes = ws.cell(row=HEADER_ROWS + 1, column=1)


def _validations(ws: Worksheet, ranges: dict[str, str]) -> None:
    first, last = HEADER_ROWS + 1, HEADER_ROWS + VALIDATION_ROWS
    for i, col in enumerate(COLUMNS):
        cells = f"{_letter(i)}{first}:{_letter(i)}{last}"
        if col.kind in ("category", "class", "enum", "param", "flag") or (col.spec is not None and col.spec.choices):
            key = {"category": "category", "class": "class", "param": col.enum, "flag": col.enum,
                   "spec": f"spec:{col.key}"}.get(col.kind, col.key)
            dv = DataValidation(type="list", formula1=f"={ranges[key]}", allow_blank=True, showDropDown=False)
            dv.error = f"请从下拉列表选择 {col.zh} (pick a value from the list)"
        elif col.kind == "division":
            dv = DataValidation(type="textLength", operator="equal", formula1="6", allow_blank=True)
            dv.error = "行政区划代码为 6 位数字 (GB/T 2260: 6 digits)"
        else:
            continue
        dv.errorTitle = col.zh
        dv.showErrorMessage = True
        dv.prompt = col.note or col.en
        dv.promptTitle = col.zh
        dv.showInputMessage = True
        dv.add(cells)
        ws.add_data_validation(dv)


EXAMPLE_ROW: dict[str, str] = {
    "index": "1", "name": "电动汽车交流充电桩", "category": "交流充电桩", "model": "AC7K-X", "measuring_range": "220 V, (0~32) A",
    "accuracy_class": "2", "serial": "ACX2024-0001", "manufacturer": "某某充电设备有限公司",
    "location": "岳阳市岳阳楼区某某充电站 3 号桩", "division_code": "430602", "client": "某某充电运营有限公司",
    "client_address": "岳阳市岳阳楼区某某路 8 号", "use": "贸易结算", "delivery_mode": "现场检",
    "household": "否", "filing_status": "已备案", "commissioned_on": "2023-03-01",
    "voltage_v": "220", "imax_a": "32", "constant_imp_per_kwh": "1000", "connector": "GB/T 20234.2 交流充电接口",
}

RULES: tuple[str, ...] = (
    f"数据从“{DATA_SHEET}”表第 {HEADER_ROWS + 1} 行起填写，一行一台器具；第 1 行为中文表头，第 2 行为英文表头，请勿删改 "
    f"(one instrument per row from row {HEADER_ROWS + 1}; keep the two header rows).",
    "红色表头为必填列 (red headers are required).",
    "导入前逐格检查全部数据：任何一格有错，整个文件都不导入，并列出每个错误的行号、列号和原因 "
    "(every cell is checked first; one error and nothing is imported; each error names its row and column).",
    "出厂编号在文件内不得重复；已在台账中的编号报错，除非导入时加 --update：此时更新台账中该器具，"
    "留空的选填列保持台账原值，每次修改记入审计日志（修改前/后）"
    "(a serial already on the ledger is an error unless --update: then the row is updated, blank optional cells "
    "keep the ledger's value, every change is audited with before/after).",
    "准确度等级须为该器具类别的等级，见下表 (the class must be one of the category's classes, below).",
    "行政区划代码按 GB/T 2260，6 位数字；未收录于内置代码表的代码可导入，但会提示核对 "
    "(GB/T 2260, 6 digits; a well-formed code missing from the shipped table is accepted with a warning).",
    "铭牌技术参数各有一列（如额定电压、Ib、Imax、Q3、Qmax），只填本行器具类别适用的列（列注释写明适用类别）；"
    "缺少某类别的必备参数时导入给出提示，证书上将缺少该项 (each nameplate value has its own column; fill the "
    "ones of the row's category; a missing one is warned of, as the certificate would lack it).",
    "其他检定程序所需参数写在“技术参数”列，格式 键=值，以分号分隔，如 pulses_per_l=100 "
    "(other parameters the procedure needs: key=value; …).",
    "灰色表头各列（最近检定日期、检定证书编号、有效期至、使用期限至、最近使用中检查）由工作站导出时填写，导入时忽略；"
    "只做首次检定、限期使用的器具（如民用水表、燃气表、电能表）填使用期限至而非有效期至，使用中检查不延长二者 "
    "(grey columns are written on export and ignored on import; an instrument verified once and replaced when due "
    "shows its service life instead of a validity; an in-service inspection renews neither).",
)


def _instructions(ws: Worksheet) -> None:
    bold = Font(bold=True)
    ws.append(["简定 器具台账批量导入模板 — 填写说明 (Jianding instrument ledger — how to fill in)"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append(["规则 (rules)"])
    ws.cell(row=ws.max_row, column=1).font = bold
    for i, rule in enumerate(RULES, start=1):
        ws.append([f"{i}. {rule}"])
    ws.append([])
    ws.append(["列 (column)", "表头", "Header", "必填 (required)", "允许值 (allowed values)", "说明 (note)"])
    for c in ws[ws.max_row]:
        c.font = bold
    for i, col in enumerate(COLUMNS):
        allowed = {"category": "、".join(CATEGORIES), "enum": "、".join(ENUMS.get(col.key, ())),
                   "class": "按器具类别，见下表 (by category, below)", "division": "6 位数字 (6 digits)",
                   "status": "导出时填写 (filled on export)"}.get(col.kind, "")
        if col.spec is not None:
            allowed = "、".join(col.spec.choices.values()) or {"number": "正数 (a positive number)",
                                                               "integer": "正整数 (a whole number)"}.get(col.spec.type, "")
        ws.append([_letter(i), col.zh, col.en, "是 (yes)" if col.required else "否 (no)", allowed, col.note])
    ws.append([])
    ws.append(["器具类别 (category)", "检定规程 (regulation)", "准确度等级 (classes)", "也可写作 (also accepted)"])
    for c in ws[ws.max_row]:
        c.font = bold
    for cat in CATEGORIES.values():
        ws.append([cat.name, cat.regulation, "、".join(cat.classes), "、".join(cat.aliases)])
    ws.append([])
    ws.append(["示例 (example row)"])
    ws.cell(row=ws.max_row, column=1).font = bold
    ws.append([col.zh for col in COLUMNS])
    for c in ws[ws.max_row]:
        c.font = bold
    ws.append([col.en for col in COLUMNS])
    ws.append([EXAMPLE_ROW.get(col.key, "") for col in COLUMNS])
    for letter, width in zip("ABCDEF", (12, 16, 24, 14, 40, 60), strict=True):
        ws.column_dimensions[letter].width = width


def _workbook() -> Workbook:
    wb = Workbook()
    data = wb.active
    assert data is not None
    data.title = DATA_SHEET
    _header(data)
    _instructions(wb.create_sheet(INSTRUCTIONS_SHEET))
    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    _validations(data, _lists(lists))
    return wb


def write_template(path: Path | str) -> Path:
    """Write the empty import template: the ledger sheet with both header rows (required headers in
    red, a comment with the English and the rule on each), drop-downs for the enumerated columns, and
    the sheet 填写说明 with the rules, the classes per category and an example row."""
    p = Path(path)
    _workbook().save(p)
    return p


# -- export -----------------------------------------------------------------------------------------
def format_params(params: dict[str, Any]) -> str:
    """Technical parameters as the template writes them: ``key=value; key=value`` (JSON when a value
    is not a plain scalar or would not survive that form)."""
    parts: list[str] = []
    for k, v in params.items():
        if isinstance(v, bool):
            parts.append(f"{k}={'true' if v else 'false'}")
        elif isinstance(v, int | float):
            parts.append(f"{k}={v!r}")
        elif isinstance(v, str) and v.strip(_SPACES) == v and v and not re.search(r"[;；=]", v) \
                and _scalar(v) == v:
            parts.append(f"{k}={v}")
        else:
            return json.dumps(params, ensure_ascii=False)
    return "; ".join(parts)


def ledger_status(store: Store, as_of: date) -> dict[int, dict[str, Any]]:
    """The status columns of each ledger instrument (by id) as of ``as_of``, from its verifications
    in the store (bench/standing.py): the last verification's date and certificate (or notice)
    number; the end of its validity — in ``valid_until`` for a verification period, in
    ``service_life_until`` for a service life (counted from the first verification); the last
    in-service inspection ("2026-04-01 合格"), which moves neither date."""
    hist = histories(store, as_of)
    out: dict[int, dict[str, Any]] = {}
    for inst in store.instruments():
        h = hist.get(inst.id or 0, [])
        row: dict[str, Any] = {}
        checked = next((v for v in reversed(h) if v.inspection), None)
        if checked is not None:
            row["last_inspected"] = f"{checked.verified_on.isoformat()} {checked.conclusion}"
        checks = [v for v in h if not v.inspection]
        if checks:
            row.update(last_verified=checks[-1].verified_on, certificate_no=checks[-1].certificate_no or None)
        try:
            st = standing(rule_of(inst), h)
        except (LookupError, ValueError):  # a category or ledger facts no rule can judge: no date
            st = None
        if st is not None and st.until is not None:
            row["service_life_until" if st.rule.service_life else "valid_until"] = st.until
        out[inst.id or 0] = row
    return out


def export_ledger(store: Store, path: Path | str, as_of: date | None = None) -> int:
    """Write the whole ledger in the template's layout (so an exported file imports back), with the
    status columns as of ``as_of`` (today when None, :func:`ledger_status`); returns the number of rows."""
    wb = _workbook()
    ws = wb[DATA_SHEET]
    rows = store.instruments()
    status = ledger_status(store, as_of or date.today())
    for n, inst in enumerate(rows, start=1):
        params = json.loads(inst.params_json or "{}")
        shown = {c.key: _yes_no(params.pop(c.key)) for c in COLUMNS if c.kind == "param" and c.key in params}
        table = CATEGORIES[inst.category].table if inst.category in CATEGORIES else ""
        shown |= {c.key: _spec_cell(c, inst.category, params.pop(c.key)) for c in COLUMNS
                  if c.spec is not None and c.key in params and table in c.tables}
        flags = {c.key: _yes_no(getattr(inst, c.key)) for c in COLUMNS
                 if c.kind == "flag" and getattr(inst, c.key, None) is not None}
        values = {"index": n, **{c.key: getattr(inst, c.key, "") for c in COLUMNS if c.kind in _LEDGER_FIELDS},
                  **shown, **flags, "params": format_params(params), **status.get(inst.id or 0, {})}
        for i, col in enumerate(COLUMNS):
            cell = ws.cell(row=HEADER_ROWS + n, column=i + 1, value=values.get(col.key, "") or None)
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    wb.save(Path(path))
    return len(rows)


def _date_cell(raw: Any, text: str) -> date | None:
    """A date cell: an Excel date (datetime) or text "YYYY-MM-DD" (also with / or .); None otherwise."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(text.replace("/", "-").replace(".", "-"))
    except ValueError:
        return None


def _spec_cell(col: Column, category: str, value: Any) -> Any:
    """A technical parameter as its column shows it: a choice by its Chinese name (汽油), a number
    as a number, text as text."""
    cat = CATEGORIES.get(category)
    f = (field_of(cat.table, col.key) if cat else None) or col.spec
    if f is not None and f.type == "choice":
        return format_value(f, value)
    return value


def _yes_no(value: Any) -> str:
    """A yes-or-no parameter as the template shows it (是/否)."""
    if isinstance(value, str):
        value = ENUM_ALIASES["yes_no"].get(value, value) == "是"
    return "是" if value else "否"


_LEDGER_FIELDS = ("text", "enum", "category", "class", "serial", "division", "date")
"""Column kinds that hold an Instrument field of the same key (index, params and status are made)."""


# -- import -----------------------------------------------------------------------------------------
def _norm_header(value: Any) -> str:
    text = "" if value is None else str(value)
    return re.sub(r"[\s\u3000*＊（）()]", "", text).lower()


def _text(value: Any) -> str:
    """A cell's value as text: numbers without a spurious ``.0``, surrounding blanks removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip(_SPACES)


def _scalar(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        f = float(text)
    except ValueError:
        return text
    return f if f == f and f not in (float("inf"), float("-inf")) else text


def parse_params(text: str) -> dict[str, Any]:
    """Parse the technical-parameter cell: ``key=value; key=value`` (``；`` also separates) or a JSON
    object. Numbers become numbers, true/false booleans. Raises ValueError with a Chinese-first reason."""
    if not text:
        return {}
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"不是有效的 JSON 对象 (not a valid JSON object: {e.msg})") from e
        if not isinstance(obj, dict):
            raise ValueError("不是 JSON 对象 (not a JSON object)")
        return obj
    out: dict[str, Any] = {}
    for part in re.split(r"[;；\n]", text):
        part = part.strip(_SPACES)
        if not part:
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip(_SPACES), value.strip(_SPACES)
        if not sep or not _PARAM_KEY.match(key) or not value:
            raise ValueError(f"“{part}” 不是 键=值 的形式 (not key=value, e.g. imax_a=32)")
        if key in out:
            raise ValueError(f"参数 {key} 重复 (parameter {key} given twice)")
        out[key] = _scalar(value)
    return out


def _match_class(text: str, allowed: Iterable[str]) -> str | None:
    """The allowed spelling of a class: exact, case-insensitive (0.2s), or numerically equal (a cell
    Excel stored as the number 1 for class "1.0")."""
    allowed = tuple(allowed)
    for a in allowed:
        if text == a or text.lower() == a.lower():
            return a
    try:
        x = float(text)
    except ValueError:
        return None
    for a in allowed:
        try:
            if float(a) == x:
                return a
        except ValueError:
            continue
    return None


def division_problem(code: str) -> str | None:
    """Why ``code`` is not a well-formed GB/T 2260 code (6 digits: province, prefecture, county), or
    None. A well-formed code need not be in the shipped table."""
    if not re.fullmatch(r"\d{6}", code):
        return f"“{code}” 不是 6 位数字的行政区划代码 (not a 6-digit GB/T 2260 code)"
    if code[:2] not in PROVINCES:
        return f"“{code}” 的省级代码 {code[:2]} 不存在 (no province {code[:2]} in GB/T 2260)"
    if code[2:4] == "00" and code[4:] != "00":
        return (f"“{code}” 地市位为 00 而区县位为 {code[4:]}，不是有效代码 "
                f"(prefecture 00 with county {code[4:]} is not a code)")
    return None


@dataclass
class _Row:
    row: int
    fields: dict[str, Any]  # Instrument fields present in the file (blank optional cells absent)
    params: dict[str, Any] | None  # None: cell blank
    param_values: dict[str, Any] = field(default_factory=dict)  # `param` columns filled (blank ones absent)

    def merged_params(self, old: dict[str, Any]) -> dict[str, Any]:
        """The row's technical parameters: its params cell (or, blank, the ledger's ``old``), with
        its `param` columns over them; a blank `param` column keeps the ledger's value."""
        kept = {c.key: old[c.key] for c in COLUMNS if c.kind in ("param", "spec") and c.key in old}
        return {**(self.params if self.params is not None else old), **kept, **self.param_values}


LIMITS: dict[str, int] = SCHEMA["limits"]
"""What an import accepts at all (``[limits]`` of ledger_schema.toml), checked before loading."""


def _too_big(path: Path) -> str | None:
    """Why the file is refused unread (its size, its parts' unpacked size), None when it is not.
    Only the zip directory is read: a workbook's real size shows there before any XML is parsed."""
    size = path.stat().st_size
    if size > LIMITS["max_file_bytes"]:
        return (f"文件 {path.name} 过大 ({size} 字节，上限 {LIMITS['max_file_bytes']}) "
                f"(file too large: {size} bytes, limit {LIMITS['max_file_bytes']}; [limits] in ledger_schema.toml)")
    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError):
        return None  # not a zip: openpyxl says so below
    if unpacked > LIMITS["max_unpacked_bytes"]:
        return (f"文件 {path.name} 解压后过大 ({unpacked} 字节，上限 {LIMITS['max_unpacked_bytes']}) "
                f"(unpacks to {unpacked} bytes, limit {LIMITS['max_unpacked_bytes']})")
    return None


def _dimension_problem(ws: Any) -> str | None:
    """Why the sheet's recorded dimension is beyond the limits (naming its last row and column),
    None when it is within them or not recorded (then the rows read are counted instead)."""
    rows, cols = ws.max_row, ws.max_column
    if rows is not None and rows > LIMITS["max_rows"]:
        return (f"工作表“{ws.title}”有 {rows} 行 (至 {_letter((cols or 1) - 1)}{rows})，上限 {LIMITS['max_rows']} 行 "
                f"(the sheet reaches row {rows}, limit {LIMITS['max_rows']}; delete the stray cells)")
    if cols is not None and cols > LIMITS["max_columns"]:
        return (f"工作表“{ws.title}”有 {cols} 列 (至 {_letter(cols - 1)} 列)，上限 {LIMITS['max_columns']} 列 "
                f"(the sheet reaches column {_letter(cols - 1)}, limit {LIMITS['max_columns']}; delete the stray cells)")
    return None


def _unreadable(path: Path, e: Exception) -> CellIssue:
    """The file-level error for a workbook openpyxl cannot read (on opening, or while its rows stream)."""
    detail = " ".join(str(e).split()) or type(e).__name__
    return CellIssue(0, "", "", f"无法读取 Excel 文件 {path.name}，文件已损坏或不是 .xlsx (cannot read the .xlsx file "
                                f"{path}: {type(e).__name__}: {detail})")


def _read_sheet(path: Path, report: ImportReport) -> tuple[Any, dict[str, int]]:
    """Open the workbook read-only (rows streamed, never the whole sheet in memory) after its size
    is checked, check the data sheet's dimension, and map its header row: column key → 0-based
    column index. ``(None, {})`` with an error in the report when the file is refused."""
    if path.is_file() and (problem := _too_big(path)):
        report.errors.append(CellIssue(0, "", "", problem))
        return None, {}
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # a damaged workbook fails anywhere in openpyxl's parsing (bad zip, missing
        # part, malformed sheet XML …): whatever it is, the file is unreadable
        report.errors.append(_unreadable(path, e))
        return None, {}
    if DATA_SHEET in wb.sheetnames:
        ws = wb[DATA_SHEET]
    else:
        ws = wb.worksheets[0]
        report.warnings.append(CellIssue(0, "", "", f"无“{DATA_SHEET}”工作表，读取第一个工作表“{ws.title}” "
                                                    f"(no sheet {DATA_SHEET}; reading the first sheet)"))
    if problem := _dimension_problem(ws):
        report.errors.append(CellIssue(0, "", "", problem))
        wb.close()
        return None, {}
    names: dict[str, str] = {}
    for col in COLUMNS:
        for text in (col.zh, *col.aliases):
            names[_norm_header(text)] = col.key
    found: dict[str, int] = {}
    header = next(ws.iter_rows(min_row=1, max_row=1, max_col=LIMITS["max_columns"], values_only=True), ())
    for i, value in enumerate(header):
        if value is None or not str(value).strip(_SPACES):
            continue
        key = names.get(_norm_header(value))
        if key is None:
            report.warnings.append(CellIssue(1, _letter(i), str(value), "未知的列，已忽略 (unknown column, ignored)"))
        elif key in found:
            report.errors.append(CellIssue(1, _letter(i), str(value), f"与 {_letter(found[key])} 列重复 "
                                                                      f"(same column as {_letter(found[key])})"))
        else:
            found[key] = i
    for col in COLUMNS:
        if col.required and col.key not in found:
            report.errors.append(CellIssue(1, "", "", f"缺少必填列“{col.zh}” (missing required column {col.en})"))
    if not found:
        wb.close()
        return None, {}
    return ws, found


def _is_english_header(values: tuple[Any, ...], found: dict[str, int]) -> bool:
    by_key = {c.key: c for c in COLUMNS}
    hits = sum(1 for key, i in found.items()
               if i < len(values) and _norm_header(values[i]) == _norm_header(by_key[key].en))
    return hits * 2 >= len(found)


def _check_row(row: int, values: tuple[Any, ...], found: dict[str, int], report: ImportReport) -> _Row:
    """Check every cell of one row; issues go into the report."""
    fields: dict[str, Any] = {}
    params: dict[str, Any] | None = None
    param_values: dict[str, Any] = {}
    category: str | None = None
    cols = [c for c in COLUMNS if c.key in found]
    cols.sort(key=lambda c: c.kind in ("class", "spec"))  # the class and the specs are judged after the category

    def err(col: Column, message: str) -> None:
        report.errors.append(CellIssue(row, _letter(found[col.key]), col.zh, message))

    for col in cols:
        i = found[col.key]
        raw = values[i] if i < len(values) else None
        text = _text(raw)
        if col.kind in ("index", "status"):  # 序号 and what the workstation writes on export
            continue
        if not text:
            if col.required:
                err(col, "必填，不能为空 (required, empty)")
            continue
        limit = LIMITS["max_name_chars"] if col.kind in ("text", "serial") else LIMITS["max_cell_chars"]
        if len(text) > limit:
            err(col, f"过长：{len(text)} 字，上限 {limit} 字 (too long: {len(text)} characters, limit {limit})")
            continue
        if col.kind == "category":
            name = text if text in CATEGORIES else next(
                (c.name for c in CATEGORIES.values() if text in c.aliases), None)
            if name is None:
                err(col, f"“{text}” 不是本工作站检定的器具类别 (not a category this workstation verifies; "
                         f"allowed: {', '.join(CATEGORIES)})")
                continue
            if name != text:
                report.warnings.append(CellIssue(row, _letter(i), col.zh, f"“{text}” 按“{name}”登记 (entered as {name})"))
            category = name
            fields[col.key] = name
        elif col.kind == "class":
            if category is None:
                continue  # the category is missing or wrong: reported there; the class cannot be judged
            cat = CATEGORIES[category]
            match = _match_class(text, cat.classes)
            if match is None:
                err(col, f"“{text}” 不是 {category} 的等级 (not a class of {category}; allowed: {', '.join(cat.classes)})")
                continue
            fields[col.key] = match
        elif col.kind == "enum":
            allowed = ENUMS[col.key]
            value = text if text in allowed else ENUM_ALIASES[col.key].get(text)
            if value is None:
                zh, en = ENUM_LABELS.get(col.key, (col.zh, col.en))
                err(col, f"“{text}” 不是允许的{zh} (not an allowed {en}; allowed: {', '.join(allowed)})")
                continue
            fields[col.key] = value
        elif col.kind == "serial":
            if isinstance(raw, float | int) and not isinstance(raw, bool) and (
                    (isinstance(raw, float) and not raw.is_integer()) or abs(raw) >= 1e15):
                err(col, f"“{text}” 被 Excel 存为数字，编号可能已失真；请将该列设为文本后重填 "
                         "(stored as a number, digits may be lost; format the column as text and re-enter)")
                continue
            if any(ch in text for ch in _SPACES):
                err(col, f"“{text}” 含空白字符 (contains blanks)")
                continue
            fields[col.key] = text
        elif col.kind == "division":
            problem = division_problem(text)
            if problem:
                err(col, problem)
                continue
            fields[col.key] = text
        elif col.kind == "params":
            try:
                params = parse_params(text)
            except ValueError as e:
                err(col, str(e))
        elif col.kind == "flag":
            allowed = ENUMS[col.enum]
            value = text if text in allowed else ENUM_ALIASES[col.enum].get(text)
            if value is None:
                err(col, f"“{text}” 应为 {'/'.join(allowed)} (expected {'/'.join(allowed)})")
                continue
            fields[col.key] = value == allowed[0]
        elif col.kind == "date":
            when = _date_cell(raw, text)
            if when is None:
                err(col, f"“{text}” 不是日期，请按 YYYY-MM-DD 填写 (not a date: YYYY-MM-DD)")
                continue
            fields[col.key] = when
        elif col.kind == "spec":
            if category is None:
                continue  # the category is missing or wrong: reported there; the value cannot be judged
            table = CATEGORIES[category].table
            f = field_of(table, col.key)
            if f is None:
                err(col, f"{category} 无此参数，请留空 (not a parameter of {category}; leave it blank)")
                continue
            try:
                param_values[col.key] = parse_value(f, raw if isinstance(raw, int | float) else text)
            except ValueError as e:
                err(col, str(e))
        elif col.kind == "param":
            allowed = ENUMS[col.enum]
            value = text if text in allowed else ENUM_ALIASES[col.enum].get(text)
            if value is None:
                err(col, f"“{text}” 应为 {'/'.join(allowed)} (expected {'/'.join(allowed)})")
                continue
            param_values[col.key] = value == allowed[0]
        else:
            fields[col.key] = text
    if params is not None:
        twice = sorted(set(params) & set(param_values))
        if twice:
            col = next(c for c in cols if c.kind == "params")
            err(col, f"参数 {', '.join(twice)} 已有单独一列，请勿在技术参数中重复 (given in its own column too)")
    return _Row(row=row, fields=fields, params=params, param_values=param_values)


def _division_warnings(rows: list[_Row], found: dict[str, int], report: ImportReport) -> None:
    """One warning per well-formed division code missing from the shipped table (and per code above
    county level), at its first row, naming how many rows use it."""
    seen: dict[str, list[int]] = {}
    for r in rows:
        code = r.fields.get("division_code")
        if code:
            seen.setdefault(code, []).append(r.row)
    col = next(c for c in COLUMNS if c.key == "division_code")
    for code, at in seen.items():
        more = f"（共 {len(at)} 行 / {len(at)} rows）" if len(at) > 1 else ""
        if code not in KNOWN_DIVISIONS:
            report.warnings.append(CellIssue(at[0], _letter(found[col.key]), col.zh,
                                             f"“{code}” 未收录于内置代码表，已接受，请核对{more} "
                                             f"(not in the shipped GB/T 2260 table; accepted — please check)"))
        elif code.endswith("00"):
            report.warnings.append(CellIssue(at[0], _letter(found[col.key]), col.zh,
                                             f"“{code}” ({KNOWN_DIVISIONS[code]}) 不是区县级代码{more} "
                                             "(not a county-level code; the platform files by county)"))


def _spec_warnings(rows: list[_Row], ledger: dict[str, list[Instrument]], report: ImportReport) -> None:
    """One warning per row whose instrument would still lack a nameplate value its kind needs on the
    document (procedures/regulations/specs.py ``required``), after the file's cells and, on an
    update, the ledger's values."""
    for r in rows:
        cat = CATEGORIES.get(r.fields.get("category", ""))
        if cat is None:
            continue
        on_ledger = ledger.get(r.fields.get("serial", ""), [])
        old = json.loads(on_ledger[0].params_json or "{}") if on_ledger else {}
        lacking = missing(cat.table, r.merged_params(old))
        if lacking:
            report.warnings.append(CellIssue(r.row, "", "", f"缺少技术参数 {'、'.join(f.zh for f in lacking)}，证书上将缺少该项 "
                                                            f"(missing {', '.join(f.en for f in lacking)}: the "
                                                            "certificate would lack it)"))


def check_ledger_file(store: Store, path: Path | str, *, update: bool = False) -> tuple[ImportReport, list[_Row]]:
    """Read and check every cell of every row against the rules and the ledger, without writing."""
    p = Path(path)
    report = ImportReport(path=str(p))
    ws, found = _read_sheet(p, report)
    if ws is None:
        return report, []
    rows: list[_Row] = []
    first = 2
    width, last = LIMITS["max_columns"], LIMITS["max_rows"]
    try:
        second = next(ws.iter_rows(min_row=2, max_row=2, max_col=width, values_only=True), ())
        if _is_english_header(tuple(second), found):
            first = 3
        kinds = {c.key: c.kind for c in COLUMNS}
        data_keys = [k for k in found if kinds[k] not in ("index", "status")]
        # the rows read are bounded even when the sheet records no dimension (or a false one): a row
        # past the limit (a stray cell far down) refuses the file, naming that row
        for n, values in enumerate(ws.iter_rows(min_row=first, max_row=last + 1, max_col=width, values_only=True),
                                   start=first):
            if n > last:
                report.errors.append(CellIssue(n, "", "", f"工作表超过 {last} 行 (the sheet goes past row {last}, "
                                                          "the limit; delete the stray cells)"))
                break
            if all(_text(values[found[k]] if found[k] < len(values) else None) == "" for k in data_keys):
                continue  # an empty row (perhaps with only 序号 filled)
            rows.append(_check_row(n, tuple(values), found, report))
    except Exception as e:  # malformed sheet XML shows only while the rows stream in
        report.errors.append(_unreadable(p, e))
    finally:
        ws.parent.close()
    report.rows = len(rows)
    if not rows and not report.errors:
        report.errors.append(CellIssue(0, "", "", "文件中没有数据行 (no data rows)"))
    serial_col = next(c for c in COLUMNS if c.kind == "serial")
    ledger: dict[str, list[Instrument]] = {}
    for inst in store.instruments():
        ledger.setdefault(inst.serial, []).append(inst)
    first_row: dict[str, int] = {}
    for r in rows:
        serial = r.fields.get("serial")
        if serial is None:
            continue
        at = _letter(found[serial_col.key])
        if serial in first_row:
            report.errors.append(CellIssue(r.row, at, serial_col.zh, f"出厂编号“{serial}”与第 {first_row[serial]} 行重复 "
                                                                     f"(duplicate serial: also in row {first_row[serial]})"))
            continue
        first_row[serial] = r.row
        on_ledger = ledger.get(serial, [])
        if on_ledger and not update:
            report.errors.append(CellIssue(r.row, at, serial_col.zh, f"出厂编号“{serial}”已在台账中 (id {on_ledger[0].id})；"
                                                                     "如要更新请加 --update (already on the ledger; use "
                                                                     "--update to update it)"))
        elif len(on_ledger) > 1:
            report.errors.append(CellIssue(r.row, at, serial_col.zh, f"台账中有 {len(on_ledger)} 条出厂编号“{serial}”，"
                                                                     "无法确定更新哪一条 (several ledger rows have this "
                                                                     "serial; cannot tell which to update)"))
    _division_warnings(rows, found, report)
    _spec_warnings(rows, ledger, report)
    report.errors.sort(key=lambda e: (e.row, e.column.rjust(3)))
    return report, rows


def import_ledger(store: Store, path: Path | str, *, update: bool = False, actor: str = "operator") -> ImportReport:
    """Import a filled template: check every cell first; with any error enter nothing and return the
    report listing them all; otherwise add (and with ``update`` update) the rows in one transaction,
    each audited. Serials already on the ledger are errors unless ``update``."""
    report, rows = check_ledger_file(store, path, update=update)
    if report.errors:
        return report
    existing = {i.serial: i for i in store.instruments()}
    adds: list[dict[str, Any]] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    for r in rows:
        serial = r.fields["serial"]
        row = existing.get(serial)
        if row is None:
            adds.append({**r.fields, "params_json": json.dumps(r.merged_params({}), ensure_ascii=False)})
            continue
        changed = {k: v for k, v in r.fields.items() if getattr(row, k) != v}
        old_params = json.loads(row.params_json or "{}")
        new_params = r.merged_params(old_params)
        if new_params != old_params:
            changed["params_json"] = json.dumps(new_params, ensure_ascii=False)
        if changed:
            updates.append((row.id or 0, changed))
        else:
            report.unchanged.append(serial)
    added, updated = store.apply_ledger_changes(adds, updates, actor=actor, source=Path(path).name)
    report.added = [i.serial for i in added]
    report.updated = [i.serial for i in updated]
    return report
