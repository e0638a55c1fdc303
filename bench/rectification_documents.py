"""The rectification items (整改) of the institution's own documents: a 检定结果通知书 (a failed
verification) or a 使用中检查结果通知书 that found the instrument 不合格 opens its item when it is
issued — in the issue's own transaction, so the notice and its item are written together or not at
all — and a revocation of that document withdraws the item (unless it is closed). A draft is no
finding: the owner is told when the document is issued. An amendment's issue finds the item open.

:func:`issue_rows` is the default outbox hook of :class:`bench.certificates.Certificates`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench.rectification import Finding, get_item, item_no, kind_for, known_keys, opening, step_rows
from bench.store import Store
from bench.store.models import RectificationEvent, utcnow
from bench.sync_worker import result_outbox_rows

if TYPE_CHECKING:
    from bench.certificates import IssuedCertificate


def document_finding(store: Store, issued: IssuedCertificate) -> Finding | None:
    """The finding of an issued document: a 检定结果通知书 (failed verification), or a 使用中检查结果
    通知书 that found the instrument 不合格; None for a certificate or a passed inspection."""
    rec, row = issued.record, issued.row
    kind = kind_for("document", row.kind)
    if kind is None or rec.passed:
        return None
    run = store.get_run(row.run_id)
    seat = next((p for p in store.positions(row.run_id) if p.position == row.position), None)
    inst = store.get_instrument(seat.instrument_id if seat is not None else run.instrument_id)
    noun = rec.document.title if rec.document and rec.document.title else kind.zh
    failed = "、".join(i.name for i in rec.failing_items) or rec.conclusion
    return Finding(kind.key, f"document:{row.number}", f"{noun} {row.number}：不合格项 {failed}",
                   inst.client or rec.instrument.client, inst.id, inst.serial, inst.category, inst.division_code,
                   inst.location)


def document_rows(store: Store, issued: IssuedCertificate) -> list[Any]:
    """The rectification rows an issue or revocation writes in its own transaction: a failed
    document issued opens its item (once: an amendment's issue finds it open); a revoked one
    withdraws the item it opened, unless it is closed."""
    finding = document_finding(store, issued)
    if finding is None:
        return []
    on = (issued.at or utcnow()).astimezone().date()
    if issued.status == "revoked":
        try:
            item = get_item(store, item_no(finding.key))
        except LookupError:
            return []
        if item.status not in ("open", "rectified"):
            return []
        step = RectificationEvent(item_no=item.no, action="withdrawn", acted_on=max(on, item.steps[-1].acted_on),
                                  actor="system", party=issued.record.institution.name,
                                  note=f"{finding.text.split('：')[0]} 已注销，本项随之撤销 (the document was revoked)",
                                  created_at=issued.at or utcnow())
        return step_rows(item.opened, step, len(item.steps) + 1)
    if known_keys(store, [finding.key]):
        return []
    opened = opening(finding, on=on, by=issued.event.actor or "system", party=issued.record.institution.name,
                     at=issued.at)
    return step_rows(opened, opened, 1)


def issue_rows(store: Store) -> Callable[[IssuedCertificate], list[Any]]:
    """The default hook of :class:`bench.certificates.Certificates`: the result's upload
    (:func:`bench.sync_worker.result_outbox_rows`) and the rectification rows of the document
    (:func:`document_rows`), all in the issue's (or revocation's) transaction."""
    def hook(issued: IssuedCertificate) -> list[Any]:
        return [*result_outbox_rows(issued), *document_rows(store, issued)]

    return hook
