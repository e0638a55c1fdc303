"""调整后重新检定: a verification made after the instrument that failed a run was adjusted or
repaired, linked to that failed run.

JJF 1069's record has a 调整/修理情况 (adjustment / repair) entry, and the document prints it
(``VerificationRecord.adjustment_note``, reports/certificate.py); the store had no notion of a run
made after an adjustment. The smallest thing that makes one: the run request names the failed run
(``adjusts_run``) and what was adjusted (``adjustment_note``); :func:`adjustment_of` checks the link
(the failed run exists, finished 不合格, on the same instrument, and the note says what was done) and
the link is kept in the run's frozen parameters (``params_json["adjustment"]``: the Run row is
versioned, so the link is tamper-evident like the rest of the run; no schema change); the record
frozen from the run carries :func:`adjustment_text` as its 调整/修理情况, naming the failed run's
record and notice numbers. The failed run keeps its record and its 检定结果通知书: the adjustment
makes a new verification, it never changes the old one.

A bench run's positions are not linked this way (a bench's follow-up runs of a subset of positions
are their own feature); a failed run of one instrument is.
"""

from __future__ import annotations

import json
from typing import Any

from bench.station import StationError
from bench.store import Store

KEY = "adjustment"
"""The key of the link in a run's ``params_json``."""


def adjustment_of(store: Store, failed_run: str, note: str, serial: str) -> dict[str, str]:
    """The link of a run re-verifying, after adjustment, the instrument ``serial`` that failed the run
    ``failed_run`` (a run id or its first 8 characters): ``{"after_run", "record_no",
    "notice_no", "note"}``. Refused (StationError, Chinese first) for an unknown or unfinished run,
    one that passed, a bench run, another instrument, or an empty note."""
    text = note.strip()
    if not text:
        raise StationError("调整后重新检定须说明调整或修理情况 (say what was adjusted or repaired)")
    run = next((r for r in store.runs(None) if r.id == failed_run or r.id.startswith(failed_run)), None) \
        if failed_run else None
    if run is None:
        raise StationError(f"无此检定 {failed_run} (no run {failed_run} to re-verify after adjustment)")
    if store.positions(run.id):
        raise StationError("多表位检定的调整后复检请按表位重新检定 (a bench run's positions are re-tested as a "
                           "follow-up run of those positions)")
    if run.status != "finished" or run.conclusion != "不合格":
        raise StationError(f"检定 {run.id[:8]} 不是已完成的不合格检定 (the run is {run.status} "
                           f"{run.conclusion or ''}; only a finished 不合格 run is re-verified after adjustment)")
    failed_serial = store.get_instrument(run.instrument_id).serial
    if failed_serial != serial:
        raise StationError(f"调整后重新检定须为同一器具：原检定 {failed_serial}，本次 {serial} (the same instrument "
                           f"must be re-verified: {failed_serial}, not {serial})")
    return {"after_run": run.id, "record_no": run.record_no, "notice_no": run.certificate_no, "note": text}


def with_adjustment(params_json: str, link: dict[str, str] | None) -> str:
    """A run's parameters with the adjustment link added (unchanged without one)."""
    if not link:
        return params_json
    return json.dumps({**json.loads(params_json), KEY: link}, ensure_ascii=False)


def adjustment_link(params_json: str) -> dict[str, Any] | None:
    """The adjustment link kept in a run's parameters, None for a run not made after an adjustment."""
    link = json.loads(params_json or "{}").get(KEY)
    return dict(link) if isinstance(link, dict) else None


def adjustment_text(params_json: str) -> str:
    """The record's 调整/修理情况 of a run made after an adjustment ("" for any other run): what was
    done, then which failed verification it follows (its record and notice numbers)."""
    link = adjustment_link(params_json)
    if link is None:
        return ""
    return (f"{link['note']}；调整后重新检定，调整前检定不合格 (re-verified after adjustment; failed before): "
            f"原始记录 {link.get('record_no') or '—'}，检定结果通知书 {link.get('notice_no') or '—'}")
