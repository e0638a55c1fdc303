"""How names of people and units are compared: one person (or one user unit) written with other
spaces, full-width letters, case or invisible characters is the same one. The approval chain (no
one in two roles on a certificate), the accounts (one person, one account) and the rectification
items (only the owner reports its rectification; the party who closes an item is never the owner)
all compare names this way; an account's name may not contain invisible characters at all
(:func:`invisible`, refused by bench.accounts)."""

from __future__ import annotations

import unicodedata

INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Co", "Cn", "Zl", "Zp"})
"""Unicode categories nobody can see in a printed name: format characters (zero-width spaces and
joiners, bidi controls such as U+202E, the BOM, soft hyphen), controls, private-use and unassigned
code points, line and paragraph separators."""


def invisible(name: str) -> list[str]:
    """The invisible characters of ``name`` as ``U+XXXX`` (empty when there are none)."""
    return [f"U+{ord(c):04X}" for c in name if unicodedata.category(c) in INVISIBLE_CATEGORIES]


def normalised(name: str) -> str:
    """A name for comparing: NFKC, no whitespace, no invisible characters, case-folded."""
    text = unicodedata.normalize("NFKC", name)
    return "".join(c for c in "".join(text.split()) if unicodedata.category(c) not in INVISIBLE_CATEGORIES).casefold()


def same_name(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` name the same person or unit (:func:`normalised` equal)."""
    return normalised(a) == normalised(b)
