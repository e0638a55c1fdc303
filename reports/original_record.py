"""原始记录 (original record): the raw readings behind a verification, as a signed PDF.

JJF 1069-2012 requires the certificate to cite the original-record number (原始记录编号) and the
institution to keep the original record: every reading as taken, where it came from and when.
This document holds, under a header naming the record number, the certificate it supports, the
instrument, the regulation, the place and conditions (with "第 x 页 共 y 页" and the record number on
every page), one section per step of the procedure — item and test point, in the order taken — with
every input of its formula in the technician's terms: the regulation's symbol (m(2), V_J(3)), the
value in the usual unit and decimals (kWh, imp/kWh, L, °C, %), a Chinese label with the English
beside it, the source and the time; the fields stored with a reading (N, C0, U, I, P beside a pulse
gate) beneath it; then the errors computed from them, their mean and the rounded value the
certificate prints. Labels, symbols, units and decimals are data
(:mod:`procedures.regulations.reading_labels`, ``data/readings.toml``); a key without a label still
prints under its key. A bench position's record holds its own readings and the bench-wide ones it
uses (standard, conditions, constants), never another meter's. It is rendered from the frozen record
plus the raw readings, with the same determinism as the certificate.

A reading is a plain mapping: ``step``, ``key``, ``quantity``, ``value``, ``unit``, ``source``,
``taken_at`` (``datetime`` or ISO text) and ``extra`` (the fields stored with it); a result (the
store's ``Result`` row): ``step``, ``name``, ``label``, ``unit``, ``values``, ``mean``, ``rounded``,
``position``. Missing fields print as "—".
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageTemplate, Spacer, Table

from procedures.records import VerificationRecord
from procedures.regulations.reading_labels import (
    KeyParts,
    ReadingLabels,
    Term,
    labels_for,
    position_of_reading,
)
from reports.certificate import (
    draw_logo,
    kind_of,
    model_specification,
    position_of,
    record_doc_template,
    record_time,
    signature,
    signature_date,
    specs_text,
)
from reports.layout import (
    CONTENT_WIDTH,
    EMPTY,
    HEADER_HEIGHT,
    MARGIN_X,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    PagedCanvas,
    bilingual,
    date_iso,
    date_zh,
    en,
    esc,
    frame,
    grid_style,
    head_cell,
    heading,
    num,
    p,
    pdf_date,
    table_style,
)
from reports.typography import INK, MUTED, RULE, SHADE, register_font, styles

__all__ = ["TITLE", "render_original_record"]

TITLE = "原始记录"
"""The document's title (English: Original record)."""

FOOTER_HEIGHT = 16 * mm
HEADING_ROOM = 40 * mm  # a section heading starts a new page unless this much room is left (heading + a few rows)


def render_original_record(record: VerificationRecord, readings: Sequence[Mapping[str, Any]],
                           results: Sequence[Mapping[str, Any]] = ()) -> bytes:
    """Render the 原始记录 of ``record``: its identifying data and every raw reading, as PDF bytes.

    ``readings`` are the run's raw readings in the order taken, ``results`` the results computed
    from them per step (see the module docstring for the fields of both). On a multi-position bench
    the record is the position's own: its readings and the bench-wide ones. Works for passing and
    failing records alike; pure and deterministic.
    """
    register_font()
    buf = io.BytesIO()
    doc = record_doc_template(
        buf,
        record,
        title=f"{TITLE} {record.record_no}",
        keywords=f"{record.record_no} {record.certificate_no} {record.run_id}",
        header=HEADER_HEIGHT,
        footer=FOOTER_HEIGHT,
    )
    body = frame("record", header=HEADER_HEIGHT, footer=FOOTER_HEIGHT)
    doc.addPageTemplates([PageTemplate(id="record", frames=[body])])
    maker: Callable[..., Canvas] = partial(PagedCanvas, layout=_RecordLayout(record))
    doc.build(_story(record, readings, results), canvasmaker=maker)
    return buf.getvalue()


@dataclass(frozen=True)
class _RecordLayout:
    """Header (title, institution, record number, page x of y) and footer of every page."""

    record: VerificationRecord

    @property
    def pdf_date(self) -> str:
        """Creation date from the record, never the clock."""
        return pdf_date(record_time(self.record))

    @property
    def document_key(self) -> bytes:
        """Seed of the PDF /ID: the record's identity."""
        r = self.record
        return "\x1f".join(("jianding", TITLE, r.record_no, r.certificate_no, r.run_id)).encode()

    def decorate(self, c: Canvas, page: int, total: int) -> None:
        """Draw title, institution, record number and page x of y, then the footer rule and line."""
        font = register_font()
        r = self.record
        top = PAGE_HEIGHT - 13 * mm
        right = PAGE_WIDTH - MARGIN_X
        c.saveState()
        c.setFillColor(INK)
        left = MARGIN_X
        if r.institution.logo_path:  # the institution's logo, as on the cover, small beside the title
            draw_logo(c, r.institution.logo_path, (MARGIN_X, top - 24, 12 * mm))
            left += 15 * mm
        c.setFont(font, 9.5)
        c.drawString(left, top, TITLE)
        c.drawString(left, top - 20, r.institution.name)
        c.drawRightString(right, top, f"记录编号：{r.record_no}")
        c.drawRightString(right, top - 20, f"第 {page} 页  共 {total} 页")
        c.setFillColor(MUTED)
        c.setFont(font, 6.5)
        c.drawString(left, top - 8.5, "Original record")
        c.drawRightString(right, top - 8.5, f"Record No.   Page {page} of {total}")
        c.setStrokeColor(RULE)
        c.setLineWidth(0.8)
        y = PAGE_HEIGHT - HEADER_HEIGHT + 2 * mm
        c.line(MARGIN_X, y, right, y)
        c.setLineWidth(0.3)
        c.line(MARGIN_X, y - 1.6, right, y - 1.6)
        c.line(MARGIN_X, FOOTER_HEIGHT - 4 * mm, right, FOOTER_HEIGHT - 4 * mm)
        c.setFont(font, 7)
        c.drawString(
            MARGIN_X,
            FOOTER_HEIGHT - 8 * mm,
            f"软件版本 Software：Jianding {r.software_version or EMPTY}　　"
            f"规程程序哈希 Procedure hash：{r.procedure_hash or EMPTY}",
        )
        c.restoreState()


def _taken_at(value: Any, day: date | None = None) -> str:
    """A reading's time as 'HH:MM:SS' (its own zone), with the date in front when it is not ``day``;
    the text given when it is not a time."""
    if not value:
        return EMPTY
    if isinstance(value, datetime):
        when = value
    else:
        try:
            when = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    return when.strftime("%H:%M:%S" if day is not None and when.date() == day else "%Y-%m-%d %H:%M:%S")


def _value(value: Any) -> str:
    """A reading's value exactly enough to recompute from: numbers via :func:`num`, text as given."""
    if isinstance(value, bool) or value is None:
        return EMPTY if value is None else str(value)
    if isinstance(value, int | float):
        return num(float(value))
    return str(value)


def _summary(record: VerificationRecord, count: int) -> Table:
    """The record's identity, instrument, regulation, conditions, standards and conclusion; ``count``
    the readings this record holds (on a bench, the position's own and the bench-wide ones)."""
    st = styles()
    env = record.environment
    ins = record.instrument
    position = position_of(record)
    serial = esc(ins.serial) or EMPTY
    if position is not None:
        serial += f"　表位 {position} {en(f'(position {position})', 6.5)}"
    temp = f"{num(env.temperature_c)} °C" if env.temperature_c is not None else EMPTY
    rh = f"{num(env.humidity_pct)} %" if env.humidity_pct is not None else EMPTY
    kind = kind_of(record)
    noun = f"{kind.noun}编号"
    act = kind.act[0]  # 检定, or 检查 for an in-service inspection

    def label(zh: str, gloss: str) -> Flowable:
        return bilingual(zh, gloss, st.cell, 6.5)

    def value(text: str) -> Flowable:
        return p(text or EMPTY, st.cell)

    standards = "；".join(
        f"{esc(s.name)} {esc(s.serial)}（{esc(s.certificate_no)}，{date_iso(s.valid_until)}）" for s in record.standards
    )
    wide: list[int] = []  # rows whose value spans the line

    def spanning(zh: str, gloss: str, text: str) -> list[Any]:
        wide.append(len(rows))
        return [label(zh, gloss), value(text), "", ""]

    rows: list[list[Any]] = [
        [label("原始记录编号", "Record No."), value(esc(record.record_no)), label(noun, "Document No."),
         value(esc(record.certificate_no))],
        [label("计量器具名称", "Instrument"), value(esc(ins.name)), label("型号/规格", "Model / Specification"),
         value(esc(model_specification(record)))],
        [label("出厂编号", "Serial No."), value(serial), label("制造单位", "Manufacturer"),
         value(esc(ins.manufacturer))],
    ]
    specs = specs_text(record)
    rows.append([label("准确度等级", "Accuracy class"), value(esc(ins.accuracy_class)), label("测量范围", "Range"),
                 value(esc(ins.measuring_range))])
    if specs:
        rows.append(spanning("技术参数", "Specification", esc(specs)))
    rows += [
        [label(f"{act}依据", "Regulation"), value(esc(f"{record.regulation_code}《{record.regulation_title}》")),
         label(f"{act}类别", "Type"), value(esc(record.verification_type))],
        [label(f"{act}日期", "Date"), value(date_zh(record.verified_on)), label(f"{act}地点", "Place"),
         value(esc(env.place))],
        [label("环境温度", "Temperature"), value(temp), label("相对湿度", "Relative humidity"), value(rh)],
    ]
    if env.conditions:
        rows.append(spanning(f"{act}条件", "Test conditions",
                             "；".join(f"{esc(c.zh)}：{esc(c.text)}" for c in env.conditions)))
    rows.append(spanning("计量标准器", "Standards", standards))
    notes = record.station.get("notes") or ()
    if notes:  # the run's warnings (an unsecured link, a slow device), as the operator was told them
        rows.append(spanning("运行备注", "Run notes", "<br/>".join(esc(str(n)) for n in notes)))
    rows.append([label(f"{act}结论", "Conclusion"), value(record.conclusion), label("读数条数", "Readings"),
                 value(str(count))])
    w = CONTENT_WIDTH
    table = Table(rows, colWidths=[26 * mm, w / 2 - 26 * mm, 26 * mm, w / 2 - 26 * mm])
    table.setStyle(
        table_style(
            [*grid_style(0), ("BACKGROUND", (0, 0), (0, -1), SHADE),
             *(("BACKGROUND", (2, r), (2, r), SHADE) for r in range(len(rows)) if r not in wide),
             *(("SPAN", (1, r), (3, r)) for r in wide)]
        )
    )
    return table


@dataclass(frozen=True)
class _Row:
    """One printed line of a section: a reading, or a field stored with it (``sub`` > 0)."""

    number: str
    symbol: str
    value: str
    unit: str
    label: str  # already-escaped markup
    source: str = ""
    taken_at: str = ""


def _for_position(readings: Sequence[Mapping[str, Any]], position: int | None) -> list[Mapping[str, Any]]:
    """The readings a position's record holds: its own and the bench-wide ones (standard,
    conditions, constants); on a single-instrument run, every reading."""
    if position is None:
        return list(readings)
    return [r for r in readings if position_of_reading(r) in (None, position)]


def _point_label(parts: KeyParts, repetition: int | None) -> str:
    """第 k 次 and the attempt after a condition not met, beside the label."""
    bits = []
    if repetition is not None:
        bits.append(f"第 {repetition} 次")
    if parts.attempt > 1:
        bits.append(f"重测 {parts.attempt} {en(f'(attempt {parts.attempt})', 6.5)}")
    return ("　" + "，".join(bits)) if bits else ""


def _extra_text(value: Any, term: Term | None, day: date | None) -> str:
    """An extra field's value: a number by its term, a time of day, or text."""
    if isinstance(value, bool):
        return term.format(float(value)) if term is not None else str(value)
    if isinstance(value, int | float):
        return term.format(float(value)) if term is not None else num(float(value))
    text = str(value)
    if len(text) >= 19 and text[4] == "-" and text[10] == "T":  # a time of day a display showed
        try:
            return datetime.fromisoformat(text).strftime("%H:%M:%S")
        except ValueError:
            return text
    return text


def _symbol(term: Term | None, repetition: int | None) -> str:
    """The formula symbol, indexed by the repetition it belongs to: m(2) is m of the 2nd reading."""
    if term is None or not term.symbol:
        return ""
    return f"{term.symbol}({repetition})" if repetition is not None else term.symbol


def _repeated_terms(rows: Sequence[Mapping[str, Any]], labels: ReadingLabels) -> set[str]:
    """Terms of a step read more than once: a reading of them without a repetition index is the 1st."""
    return {parts.term for r in rows
            for _, parts in [labels.reading(str(r.get("key") or ""), str(r.get("quantity") or ""))]
            if parts.repetition is not None}


def _rows(reading: Mapping[str, Any], n: int, labels: ReadingLabels, position: int | None,
          day: date | None, repeated: set[str]) -> list[_Row]:
    """A reading's line and the lines of the fields stored with it that the label table names."""
    key = str(reading.get("key") or "")
    term, parts = labels.reading(key, str(reading.get("quantity") or ""))
    rep = parts.repetition if parts.repetition is not None else (1 if parts.term in repeated else None)
    value = reading.get("value")
    stored_unit = str(reading.get("unit") or "")
    if parts.term == "check":
        point = str((reading.get("extra") or {}).get("point") or key.removeprefix("check:"))
        label = esc(point)
    elif term is not None:
        label = f"{esc(term.zh)} {en(esc(term.en), 6.5)}"
    else:
        label = f"{esc(key)}"
    label += _point_label(parts, rep)
    if term is not None and isinstance(value, int | float) and not isinstance(value, bool):
        shown, unit = term.format(float(value)), term.unit or labels.unit(stored_unit)
    else:
        shown, unit = _value(value), labels.unit(stored_unit)
    if term is not None and term.values:
        unit = ""
    rows = [_Row(str(n), esc(_symbol(term, rep)), esc(shown), esc(unit), label,
                 esc(labels.source(str(reading.get("source") or ""))), esc(_taken_at(reading.get("taken_at"), day)))]
    extras = reading.get("extra") or {}
    for name, raw in extras.items():
        sub = labels.extra(name)
        if name in labels.ignored_extras or raw is None or raw == "":
            continue
        if isinstance(raw, Mapping):  # per-position values (e.g. every meter's pulses): only this record's
            if position is None or str(position) not in raw:
                continue
            raw = raw[str(position)]
        if isinstance(raw, list | tuple):
            continue
        text = _extra_text(raw, sub, day)
        unit = (sub.unit if sub is not None and not sub.values else "") if not isinstance(raw, str) else ""
        if unit == "=":  # in its reading's unit (e.g. the value read over the protocol beside the display's)
            unit = rows[0].unit
        sub_label = f"{esc(sub.zh)} {en(esc(sub.en), 6.5)}" if sub is not None else esc(name)
        rows.append(_Row(f"{n}.{len(rows)}", esc(_symbol(sub, rep)), esc(text), esc(unit),
                         f"　└ {sub_label}"))
    return rows


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")


def _typeset(text: str) -> str:
    """A symbol or unit as a technician writes it: ``β_Y`` with its subscript (β<sub>Y</sub>) and
    superscript digits outside the font (``10⁻⁶/°C``) raised in markup; ``text`` is already escaped."""
    text = re.sub(r"_([0-9A-Za-z]+)", r"<sub>\1</sub>", text)
    return re.sub(r"[⁰¹⁴-⁹⁻⁺]+", lambda m: f"<super>{m.group(0).translate(_SUPERSCRIPTS)}</super>", text)


def _section_table(rows: Sequence[_Row]) -> Table:
    st = styles()
    head = [head_cell("序号", "No."), head_cell("符号", "Symbol"), head_cell("读数", "Value"), head_cell("单位", "Unit"),
            head_cell("量", "Quantity"), head_cell("来源", "Source"), head_cell("时间", "Time")]
    body: list[list[Any]] = [head]
    for r in rows:
        body.append([p(r.number, st.cell_center), p(_typeset(r.symbol) or EMPTY, st.cell_center),
                     p(r.value, st.cell_center), p(_typeset(r.unit), st.cell_center), p(r.label, st.cell), p(r.source, st.cell),
                     p(r.taken_at, st.cell_center)])
    widths = [11, 14, 24, 17, 58, 32, 18]
    scale = CONTENT_WIDTH / (sum(widths) * mm)
    table = Table(body, colWidths=[x * mm * scale for x in widths], repeatRows=1)
    table.setStyle(table_style(grid_style()))
    return table


CHECKLIST_VERDICTS = ("符合", "不符合")
"""The rounded value of a checklist item's result: its verdict, not a number."""

_NUMBER = re.compile(r"[+\-−±≤≥]?\s*\d+(?:\.\d+)?")
"""A rounded value that is a number (else it is a finding: 符合, 已确认 (confirmed), …)."""


def _result_line(results: Sequence[Mapping[str, Any]]) -> Flowable | None:
    """The step's computed results as the certificate takes them: each reading's error, their mean
    and the rounded value (修约), one line per result."""
    if not results:
        return None
    st = styles()
    lines = []
    for r in results:
        unit = esc(str(r.get("unit") or ""))
        # a checklist item is judged 符合/不符合, never computed: no number before its verdict
        rounded = str(r.get("rounded") or "")
        checklist = rounded in CHECKLIST_VERDICTS or bool(rounded and not _NUMBER.fullmatch(rounded))
        values = "" if checklist else "，".join(f"{float(v):+.4f}" for v in r.get("values") or ())
        mean = r.get("mean")
        text = f"{esc(str(r.get('name') or ''))} {esc(str(r.get('label') or ''))}："
        if values:
            text += f"计算值 {en('computed', 6.5)} {values} {unit}；"
        if mean is not None and not checklist and len(r.get("values") or ()) > 1:
            text += f"平均 {en('mean', 6.5)} {float(mean):+.4f} {unit}；"
        if checklist:
            text += f"结论 {en('verdict', 6.5)} {esc(str(r.get('rounded')))}"
        else:
            text += f"修约 {en('rounded', 6.5)} {esc(str(r.get('rounded') or EMPTY))} {unit}"
        lines.append(text)
    return p("<br/>".join(f"结果 {en('Result', 6.5)}　{line}" for line in lines), st.note)


def _sections(record: VerificationRecord, readings: Sequence[Mapping[str, Any]],
              results: Sequence[Mapping[str, Any]]) -> list[Flowable]:
    """The readings grouped per step (item and test point) in the order the procedure took them,
    each with its heading, its table and the results computed from it."""
    st = styles()
    labels = labels_for(record.regulation_code)
    position = position_of(record)
    mine = _for_position(readings, position)
    if not mine:
        return [p(f"无原始读数 {en('(no raw readings)', 7)}", st.body)]
    steps: dict[str, list[Mapping[str, Any]]] = {}
    for r in mine:
        steps.setdefault(str(r.get("step") or ""), []).append(r)
    by_step: dict[str, list[Mapping[str, Any]]] = {}
    for r in results:
        if position is None or r.get("position") in (None, position):
            by_step.setdefault(str(r.get("step") or ""), []).append(r)
    free_heading = st.heading.clone("jd-heading-free", keepWithNext=0)
    out: list[Flowable] = []
    n = 0
    for k, (step, rows_in) in enumerate(steps.items(), start=1):
        label, point = labels.step(step)
        zh, gloss = (label.zh, label.en) if label is not None else (step, "")
        title = f"〔{k}〕 {esc(zh)}"
        if point is not None:
            title += f"　测试点 {point}"
        points = by_step.get(step, [])
        if points and points[0].get("label") and len({str(r.get("label")) for r in points}) == 1:
            title += f"：{esc(str(points[0]['label']))}"
        rows: list[_Row] = []
        repeated = _repeated_terms(rows_in, labels)
        for r in rows_in:
            n += 1
            rows.extend(_rows(r, n, labels, position, record.verified_on, repeated))
        # a heading never alone at a page's foot: a new page unless there is room for it and some rows
        # (not keep-with-next, which would push a long table whole to the next page before splitting)
        block: list[Flowable] = [CondPageBreak(HEADING_ROOM), p(f"{title}　{en(esc(gloss), 8)}", free_heading),
                                 _section_table(rows)]
        line = _result_line(points)
        if line is not None:
            block.append(line)
        out.extend(block)
    return out


def _signatures(record: VerificationRecord) -> Table:
    st = styles()
    people = record.people
    row = [
        bilingual("检定员", "Verified by", st.label),
        signature(people.verifier, people.verifier_signature, role="检定员", style=st.value, height=9 * mm, width=32 * mm),
        bilingual("核验员", "Checked by", st.label),
        signature(people.checker, people.checker_signature, role="核验员", style=st.value, height=9 * mm, width=32 * mm),
        bilingual("日期", "Date", st.label),
        p(date_zh(signature_date(record)), st.value),
    ]
    table = Table([row], colWidths=[18 * mm, 34 * mm, 18 * mm, 34 * mm, 14 * mm, 34 * mm], rowHeights=[12 * mm])
    table.setStyle(
        table_style(
            [("LINEBELOW", (1, 0), (1, 0), 0.6, RULE), ("LINEBELOW", (3, 0), (3, 0), 0.6, RULE),
             ("LINEBELOW", (5, 0), (5, 0), 0.6, RULE), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
             ("LEFTPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
        )
    )
    return table


def _story(record: VerificationRecord, readings: Sequence[Mapping[str, Any]],
           results: Sequence[Mapping[str, Any]]) -> list[Flowable]:
    st = styles()
    end_mark = p(f"—— 以下空白 ——　{en('End of record', 7)}", st.end_mark)
    return [
        heading("记录信息", "Record information"),
        _summary(record, len(_for_position(readings, position_of(record)))),
        *_sections(record, readings, results),
        KeepTogether([Spacer(1, 6 * mm), _signatures(record), end_mark]),
    ]
