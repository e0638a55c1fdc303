"""Bilingual operator text: every run-time text an event or a prompt carries (step titles, progress,
prompts and their points and options, refusals, faults, warnings) holds its Chinese and its English.

Why a ``str`` subclass: the engine, the store and the console used these texts as plain strings
(checklist answers and their raw readings are keyed by the point's text, a choice is answered with
the option itself, the CLI prints the text). A :class:`Text` *is* that string — its value is the
console form, Chinese first and English after in parentheses, as the project writes operator text —
so keys on disk, equality and the console stay as they were, and a display that knows the language
picks :attr:`Text.zh` or :attr:`Text.en` (:func:`pick`).

Texts written before this type existed follow the house convention "中文 (English)" or
"中文 / English"; :func:`bilingual` reads such a string into its two languages, so a text that
reaches a display as a plain ``str`` (a device error's message, an older module) still shows in
the chosen language when it was written the house way. A part written only in Chinese stays
Chinese in both (the English GUI test names whatever is left).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["Text", "bilingual", "has_cjk", "join", "pick"]

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
# a parenthesis: a gloss ("(English …)" after Chinese, "(中文)" after English) or a part of the text
_PAREN = re.compile(r"\s*[(（]([^()（）]*)[)）]")
_LATIN = re.compile(r"[A-Za-z]{3,}")  # a Chinese gloss holds no English word
# a gloss holds an English word (a serial "(SIMGM0001)" or a unit "(kWh)" after Chinese is not one)
_WORD = re.compile(r"[a-z]{3,}")
# a Chinese part that a gloss translates: back to the last stop after the previous gloss (a prefix
# such as "reference: " stays), or the whole part since the previous gloss when Chinese precedes the stop
_BOUNDARY = re.compile(r"(?s)^(.*[:：；;。\n]\s*|)(.*)$")


def has_cjk(s: str) -> bool:
    """True when ``s`` holds a Chinese (CJK) character or full-width punctuation."""
    return bool(_CJK.search(s))


class Text(str):
    """A text in Chinese and English. Its ``str`` value is the console form (Chinese first, English
    after in parentheses, or ``console`` when the text had another form on disk already); ``zh`` and
    ``en`` are the two languages (``en`` empty: no English is known, a display shows ``zh``)."""

    zh: str
    en: str

    def __new__(cls, zh: str, en: str = "", *, console: str | None = None) -> Text:
        """``Text("外观检查", "visual check")`` → "外观检查 (visual check)"."""
        zh, en = str(getattr(zh, "zh", zh)), str(en)
        if console is None:
            console = f"{zh} ({en})" if en and en != zh and has_cjk(zh) else zh
        self = super().__new__(cls, console)
        self.zh = zh
        self.en = en
        return self

    @classmethod
    def keyed(cls, zh: str, en: str) -> Text:
        """A text whose console form is its Chinese alone: for texts that were Chinese before and
        are keys (a demo's answer table finds a prompt by its opening words, a label goes into a
        reading key or a persisted note) or that the console printed in Chinese."""
        return cls(zh, en, console=zh)

    def __reduce__(self) -> tuple[object, tuple[str, str, str]]:
        """Pickle and copy keep both languages and the console form."""
        return _rebuild, (self.zh, self.en, str.__str__(self))

    def pick(self, language: str) -> str:
        """The text in ``language`` ("zh" or "en"); Chinese when no English is known."""
        return self.en if language == "en" and self.en else self.zh

    def format(self, *args: object, **kwargs: object) -> Text:  # type: ignore[override]
        """Fill both languages' ``{}`` fields (values that are texts fill in their own language)."""
        def side(language: str) -> tuple[list[object], dict[str, object]]:
            return ([_side(a, language) for a in args], {k: _side(v, language) for k, v in kwargs.items()})

        za, zk = side("zh")
        ea, ek = side("en")
        zh = self.zh.format(*za, **zk)
        en = self.en.format(*ea, **ek) if self.en else ""
        return Text(zh, en, console=str.format(str.__str__(self), *args, **kwargs))


def _rebuild(zh: str, en: str, console: str) -> Text:
    """Unpickle a :class:`Text`."""
    return Text(zh, en, console=console)


def _side(value: object, language: str) -> object:
    """``value`` in ``language`` when it is a text, else itself."""
    return pick(value, language) if isinstance(value, str) else value


def bilingual(text: str) -> Text:
    """``text`` as a :class:`Text`: itself when it is one; else read by the house conventions —
    "中文 / English" (a checklist point of the data tables), Chinese parts each followed by its
    English gloss in parentheses ("检定条件不满足 (test condition not met): …", the procedures' way)
    or English parts each followed by their Chinese ("cannot connect — check the cable (检查网线)",
    the drivers' way). A gloss translates the part before it back to the last stop (":", "；"…) or,
    when Chinese stands before that stop too, since the previous gloss. A parenthesis that is
    no gloss ("Imax (32 A)", "表位 3 (SN0003)") stays in both. The console form (the value) is kept
    exactly; ``en`` is empty when nothing in the text is English."""
    if isinstance(text, Text):
        return text
    text = str(text)
    if not has_cjk(text):
        return Text(text, text, console=text)
    if " / " in text:
        zh, _, en = text.partition(" / ")
        if has_cjk(zh) and not has_cjk(en) and any(c.isalpha() for c in en):
            return Text(zh.strip(), en.strip(), console=text)
    zh_parts: list[str] = []
    en_parts: list[str] = []
    pos, glossed = 0, False
    for m in _PAREN.finditer(text):
        before, inside = text[pos:m.start()], m.group(1)
        head, part = _BOUNDARY.match(before).groups()  # type: ignore[union-attr]
        lead = part[:len(part) - len(part.lstrip())]
        if not has_cjk(inside) and _WORD.search(inside) and has_cjk(part):  # 中文 (English)
            if has_cjk(head):
                head, lead = "", before[:len(before) - len(before.lstrip())]
            zh_parts.append(before)
            en_parts.append(head + lead + inside.strip())
            glossed = True
        elif has_cjk(inside) and not _LATIN.search(inside) and _WORD.search(part) and not has_cjk(part):  # English (中文)
            zh_parts.append(head + lead + inside.strip())  # an English prefix (a device's name) stays
            en_parts.append(before)
            glossed = True
        else:
            zh_parts.append(before + m.group(0))
            en_parts.append(before + m.group(0))
        pos = m.end()
    if not glossed:
        return Text(text, "", console=text)
    zh_parts.append(text[pos:])
    en_parts.append(text[pos:])
    en = "".join(en_parts).strip()
    return Text("".join(zh_parts).strip(), "" if has_cjk(en) and en == text else en, console=text)


def pick(text: str, language: str) -> str:
    """``text`` in ``language`` ("zh" or "en"): a :class:`Text` picks its side; a plain string is
    read by :func:`bilingual` first."""
    return bilingual(text).pick(language)


def join(parts: Iterable[str], sep: str = "；", sep_en: str = "; ") -> Text:
    """Texts joined, each language with its own separator."""
    items = [bilingual(p) for p in parts]
    return Text(sep.join(p.zh for p in items), sep_en.join(p.en or p.zh for p in items),
                console=sep.join(str.__str__(p) for p in items))
