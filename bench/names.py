"""How names of people and units are compared: one person (or one user unit) written with other
spaces, full-width letters or case is the same one. The approval chain (no one in two roles on a
certificate) and the rectification items (only the owner reports its rectification; the party who
closes an item is never the owner) both compare names this way."""

from __future__ import annotations

import unicodedata


def normalised(name: str) -> str:
    """A name for comparing: NFKC, no whitespace, case-folded."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def same_name(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` name the same person or unit (:func:`normalised` equal)."""
    return normalised(a) == normalised(b)
