"""The record types keep no invented or non-finite numbers: a faulted position's result has no
mean (None) and survives the JSON round trip as such; NaN and infinity are refused where made."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from procedures.records import MeasurementResult, Verdict, VerificationRecord
from reports.samples import sample_record, sample_water_record


def _result(**kw: object) -> MeasurementResult:
    base: dict[str, object] = dict(name="示值误差", label="Q3", unit="%", values=(0.4, 0.6), mean=0.5, rounded="+0.5",
                                   mpe=2.0, verdict=Verdict.PASS)
    return MeasurementResult(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("field, bad", [("values", (0.4, math.nan)), ("mean", math.nan), ("mpe", math.inf),
                                        ("uncertainty", -math.inf)])
def test_non_finite_numbers_are_refused_naming_the_result(field: str, bad: object) -> None:
    with pytest.raises(ValueError, match="示值误差 Q3: 结果含非有限数值"):
        _result(**{field: bad})


def test_a_result_without_a_mean_round_trips_as_null() -> None:
    # what the store and the platform receive: the record as JSON (no NaN allowed), read back whole
    record = sample_record()
    item = record.items[-1]
    gap = _result(values=(), mean=None, rounded="—", verdict=Verdict.NOT_APPLICABLE, position=7)
    record = dataclasses.replace(record, items=(*record.items[:-1], dataclasses.replace(item, results=(*item.results, gap))))
    text = json.dumps(record.to_dict(), ensure_ascii=False, allow_nan=False, default=str)
    assert '"mean": null' in text
    back = VerificationRecord.from_dict(json.loads(text))
    assert back.items[-1].results[-1] == gap


def test_a_record_made_before_specs_and_setups_reads_back_with_none() -> None:
    data = sample_record().to_dict()
    for key in ("specification", "specs", "parameters"):
        del data["instrument"][key]
    del data["environment"]["conditions"]
    del data["setups"]
    for s in data["standards"]:
        del s["setup"]
    old = VerificationRecord.from_dict(data)
    assert old.instrument.specs == () and old.instrument.parameters == {} and old.setups == ()
    assert old.environment.conditions == () and old.standards[0].setup == ""
    assert VerificationRecord.from_dict(sample_water_record().to_dict()) == sample_water_record()
