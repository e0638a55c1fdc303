"""Run-time texts in the interface's language: the engine's bilingual texts (step titles, prompts,
their points and options, refusals, progress, faults, warnings, result labels) and the names of raw
readings and units from the regulation's label table, never an internal identifier.

Why one module: the engine sends every operator text in Chinese and English
(:class:`procedures.engine.text.Text`); each widget that shows one calls :func:`shown` so the
choice of language is made in one place (set by ``gui.app.Language`` on every switch). The
interface's own fixed texts (buttons, headings) stay with Qt's translator (``self.tr``).
"""

from __future__ import annotations

import re

from procedures.engine.entry import pretty_unit
from procedures.engine.text import pick
from procedures.records import MeasurementResult
from procedures.regulations.reading_labels import labels_for

__all__ = ["is_english", "language", "reading_name", "result_line", "set_language", "shown", "unit_text", "words"]

_state = {"language": "zh"}

# words a result prints instead of a number (a checklist's 符合 / 不符合, a verdict's Chinese)
_WORDS_EN = {"符合": "conforms", "不符合": "does not conform", "合格": "pass", "不合格": "fail", "待定": "undetermined",
             "不适用": "n/a", "需复检": "re-test", "是": "yes", "否": "no", "有效": "valid", "无效": "invalid",
             "未签名": "unsigned"}
_POSITION = re.compile(r"^表位\s*(\d+)")


def set_language(code: str) -> None:
    """The interface's language ("zh" or "en"); ``gui.app.Language.apply`` calls this."""
    _state["language"] = code


def language() -> str:
    """The interface's language now ("zh" or "en")."""
    return _state["language"]


def is_english() -> bool:
    """True when the interface is in English."""
    return _state["language"] == "en"


def shown(text: str) -> str:
    """A run-time text in the interface's language: a bilingual ``Text`` picks its side; a plain
    string is read by the house convention "中文 (English)" first (see ``procedures.engine.text``)."""
    return pick(text, _state["language"])


def unit_text(unit: str) -> str:
    """A stored unit as printed (degC → °C, yuan → 元 in Chinese, yuan in English)."""
    text = pretty_unit(unit)
    if is_english():
        return {"元": "yuan", "元/L": "yuan/L", "元/kWh": "yuan/kWh", "时:分:秒 (hh:mm:ss)": "hh:mm:ss"}.get(text, text)
    return text.replace("时:分:秒 (hh:mm:ss)", "时:分:秒")


def reading_name(regulation: str, key: str, quantity: str) -> str:
    """What a raw reading is called in the technician's terms, from the regulation's label table
    (``humidity_pct`` → 相对湿度 / relative humidity; ``r1:h_mm`` → 液位 h 第 1 次): the term's
    label, its repetition and bench position. A reading the table does not know is named by its
    quantity with underscores made spaces, never by its key (``r1:h_mm``)."""
    english = is_english()
    term, parts = labels_for(regulation).reading(key, quantity) if regulation else (None, None)
    if term is not None:
        name = (term.en[:1].upper() + term.en[1:] or term.zh) if english else term.zh
        if term.symbol:
            name = f"{name} {term.symbol}"
    else:
        base = quantity or key.rsplit(":", 1)[-1]
        name = re.sub(r"[_:]+", " ", base).strip()
    if parts is not None:
        if parts.position is not None:
            name = (f"Position {parts.position}: " if english else f"表位 {parts.position}: ") + name
        if parts.repetition is not None:
            name += f" #{parts.repetition}" if english else f" 第 {parts.repetition} 次"
        if parts.attempt > 1:
            name += f" (attempt {parts.attempt})" if english else f"（第 {parts.attempt} 次测量）"
    return name


def _word(text: str) -> str:
    """A printed result value in the interface's language (符合 → conforms); numbers unchanged."""
    return _WORDS_EN.get(text, text) if is_english() else text


def words(text: str) -> str:
    """A conclusion in the interface's language, word by word ("合格 22 不合格 1" → "pass 22 fail 1")."""
    return " ".join(_word(w) for w in text.split(" ")) if is_english() else text


def _position_label(label: str) -> str:
    """A result's test-point label ("表位 3" → "Position 3"; house-convention labels read)."""
    if is_english() and (m := _POSITION.match(label)):
        return f"Position {m.group(1)}" + shown(label[m.end():])
    return shown(label)


def result_line(step_title: str, result: MeasurementResult, item_key: str = "") -> str:
    """One judged result for the status line, in the interface's language: where (bench position),
    the step's title and test point, then the value and its requirement worded as the certificate
    prints them (one formatter, :func:`reports.result_text.live_row`: 修约, MPE, an annex row
    without a verdict) and the verdict."""
    from gui.views.results_view import verdict_text
    from reports.result_text import ANNEX, EMPTY, live_row

    where = ""
    if result.position is not None:
        where = f"Position {result.position}: " if is_english() else f"表位 {result.position}: "
    label = _position_label(result.label)
    if where and label.strip() in (f"Position {result.position}", f"表位 {result.position}"):
        label = ""
    title = shown(step_title)
    if label and title.endswith(" " + label.split(" ")[0]):  # "工作误差 Imax" + "Imax (32 A)": named once
        title = title[:-len(label.split(" ")[0])].rstrip()
    row = live_row(result, item_key)
    value = _word(shown(str(row.result)))
    requirement = f" ({row.requirement})" if row.requirement != EMPTY else ""
    word = "" if row.verdict_key == ANNEX or row.verdict == row.result else f"  {verdict_text(result.verdict.value)}"
    return " ".join(x for x in (f"{where}{title}", label) if x) + f": {value}{requirement}{word}"
