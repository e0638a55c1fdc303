"""What each verification type issues: a verification (首次检定, 后续检定) gives a 检定证书 when it
passes and a 检定结果通知书 when it fails; an in-service inspection (使用中检查) gives a
使用中检查结果通知书 either way, which states the validity it found and never a new one.

The mapping, the wording and the numbering are data (``data/documents.toml``, with sources); the
controller asks :func:`document_for` when it freezes a run and writes :meth:`DocumentTerms.info`
into the record, so documents already issued keep their wording whatever the table says later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from procedures.records import DocumentInfo
from procedures.regulations.tables import load_table

__all__ = ["INSPECTION", "VERIFICATION", "DocumentTerms", "act", "document_for", "is_inspection", "kinds"]

VERIFICATION = "verification"
INSPECTION = "inspection"


@dataclass(frozen=True)
class DocumentTerms:
    """One kind of document: its wording, the store counter and number prefix it takes, whether it
    states a validity (only a passing verification's certificate does), and the source of it all."""

    kind: str
    title: str
    title_en: str
    noun: str
    number_en: str
    counter: str
    prefix_key: str
    prefix_default: str
    suffix: str
    renews_validity: bool
    source: str

    def info(self) -> DocumentInfo:
        """The wording to freeze into a record."""
        return DocumentInfo(kind=self.kind, title=self.title, title_en=self.title_en, noun=self.noun,
                            number_en=self.number_en)

    def prefix(self, numbering: Mapping[str, Any]) -> str:
        """The number prefix under an institution profile's ``[numbering]`` table (its
        ``prefix_key`` or the default), with the kind's suffix: JD, JDT, JC."""
        return f"{numbering.get(self.prefix_key, self.prefix_default)}{self.suffix}"


@cache
def _table() -> dict[str, Any]:
    return load_table("documents")


def kinds() -> dict[str, DocumentTerms]:
    """Every document kind of the table, by key (certificate, notice, inspection)."""
    return {key: DocumentTerms(kind=key, **d) for key, d in _table()["kinds"].items()}


def act(verification_type: str) -> str:
    """``verification`` or ``inspection``: what a verification type is (documents.toml [types])."""
    types = _table()["types"]
    if verification_type not in types:
        raise ValueError(f"检定类别 {verification_type!r} 未在 documents.toml 中定义 (verification type not in "
                         f"the documents table; known: {', '.join(types)})")
    return str(types[verification_type]["act"])


def is_inspection(verification_type: str) -> bool:
    """True for an in-service inspection (使用中检查): it issues no certificate and renews nothing."""
    return act(verification_type) == INSPECTION


def document_for(verification_type: str, passed: bool) -> DocumentTerms:
    """The document a finished run of ``verification_type`` issues: an inspection's result whatever
    the verdict; for a verification, the certificate when it passed, else the notice."""
    all_kinds = kinds()
    if is_inspection(verification_type):
        return all_kinds["inspection"]
    return all_kinds["certificate" if passed else "notice"]
