"""Helpers the ``jianding`` command groups share: the store a command works on (``--db`` or the user
data directory's), a date argument refused in words when it is not YYYY-MM-DD, and a report
document written to the ``--pdf`` / ``--xlsx`` files asked for."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from bench.store import Store
from reports.forms import FormDocument, render_form_pdf, write_form_xlsx
from reports.oversight import OversightDocument, render_pdf, write_xlsx


def open_store(args: argparse.Namespace) -> Store:
    """The store of ``--db`` (the user data directory's when not given)."""
    return Store(args.db) if getattr(args, "db", None) else Store()


def iso_date(text: str) -> date:
    """An argparse type: a YYYY-MM-DD date, or the parser's error in Chinese and English."""
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"日期格式须为 YYYY-MM-DD (date must be YYYY-MM-DD): {text}") from e


def write_document(doc: OversightDocument | FormDocument, pdf: str | None, xlsx: str | None) -> None:
    """Write ``doc`` as PDF to ``pdf`` and as Excel to ``xlsx`` (each when given), printing each path; a
    bureau's form is written as the form (:mod:`reports.forms`)."""
    if pdf:
        path = Path(pdf)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render_form_pdf(doc) if isinstance(doc, FormDocument) else render_pdf(doc))
        print(f"PDF: {path}")
    if xlsx:
        print(f"Excel: {write_form_xlsx(doc, xlsx) if isinstance(doc, FormDocument) else write_xlsx(doc, xlsx)}")
