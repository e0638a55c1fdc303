"""What each verification type issues (procedures/regulations/data/documents.toml): a verification
gives a certificate or a notice by its verdict, an in-service inspection its own result either way;
only the certificate states a validity; each kind has its own numbering."""

from __future__ import annotations

import pytest

from procedures.regulations import REGISTRY
from procedures.regulations.documents import INSPECTION, VERIFICATION, act, document_for, is_inspection, kinds
from procedures.regulations.tables import load_table


@pytest.mark.parametrize(("vtype", "passed", "kind"), [
    ("first", True, "certificate"), ("first", False, "notice"),
    ("subsequent", True, "certificate"), ("subsequent", False, "notice"),
    ("in_use", True, "inspection"), ("in_use", False, "inspection"),
])
def test_document_per_type_and_verdict(vtype: str, passed: bool, kind: str) -> None:
    doc = document_for(vtype, passed)
    assert doc.kind == kind
    assert doc.renews_validity == (kind == "certificate")  # only a passing verification states a validity
    assert doc.info().kind == kind and doc.info().title == doc.title


def test_wording_and_numbering() -> None:
    k = kinds()
    assert (k["certificate"].title, k["notice"].title, k["inspection"].title) == (
        "检定证书", "检定结果通知书", "使用中检查结果通知书")
    assert [k[n].prefix({}) for n in ("certificate", "notice", "inspection")] == ["JD", "JDT", "JC"]
    station = {"certificate_prefix": "YY", "inspection_prefix": "YJC"}
    assert [k[n].prefix(station) for n in ("certificate", "notice", "inspection")] == ["YY", "YYT", "YJC"]
    assert len({d.counter for d in k.values()}) == 3  # three sequences: no number is shared
    assert all(d.source for d in k.values())


def test_every_type_a_regulation_offers_is_in_the_documents_table() -> None:
    for _, procedure in REGISTRY.values():
        for vtype in load_table(procedure.TABLE)["verification_types"]:
            assert act(vtype) in (VERIFICATION, INSPECTION)
    assert is_inspection("in_use") and not is_inspection("first")
    with pytest.raises(ValueError, match="documents"):
        act("calibration")
