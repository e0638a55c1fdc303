"""JJF 1094-2002 §5.3.1.6 conformity decisions, tested exactly at the boundaries (regulations.md §0.3)."""

from decimal import Decimal

import numpy as np
import pytest

from procedures.metrology import decide, decide_array, round_to_interval
from procedures.records import Verdict


@pytest.mark.parametrize("error", ["1.0", "-1.0", "0.0", "0.9", Decimal("-0.99")])
def test_simple_rule_passes_up_to_and_including_mpe(error: str | Decimal) -> None:
    decision = decide(error, "1.0")
    assert decision.verdict is Verdict.PASS
    assert decision.rule == "simple"


@pytest.mark.parametrize("error", ["1.1", "-1.1", "1.01", "5"])
def test_simple_rule_fails_beyond_mpe(error: str) -> None:
    assert decide(error, "1.0").verdict is Verdict.FAIL


def test_u95_exactly_one_third_uses_simple_rule() -> None:
    decision = decide("0.3", "0.3", "0.1")
    assert decision.rule == "simple"
    assert decision.verdict is Verdict.PASS
    # with floats too: 3 × 0.1 is 0.30000000000000004 in binary, exactly 0.3 in decimal
    assert decide(0.3, 0.3, 0.1).rule == "simple"


def test_u95_just_above_one_third_guard_bands() -> None:
    decision = decide("0.3", "0.3", "0.1000001")
    assert decision.rule == "guard-band"
    assert decision.verdict is Verdict.UNDETERMINED


@pytest.mark.parametrize(
    ("error", "verdict"),
    [
        ("0.6", Verdict.PASS),  # |Δ| = MPE − U95 exactly
        ("-0.6", Verdict.PASS),
        ("0.5", Verdict.PASS),
        ("0.61", Verdict.UNDETERMINED),
        ("1.0", Verdict.UNDETERMINED),
        ("-1.0", Verdict.UNDETERMINED),
        ("1.39", Verdict.UNDETERMINED),
        ("1.4", Verdict.FAIL),  # |Δ| = MPE + U95 exactly
        ("-1.4", Verdict.FAIL),
        ("2.0", Verdict.FAIL),
    ],
)
def test_guard_band_boundaries(error: str, verdict: Verdict) -> None:
    decision = decide(error, "1.0", "0.4")
    assert decision.rule == "guard-band"
    assert decision.verdict is verdict


def test_guard_band_limits_and_margin() -> None:
    decision = decide("-0.5", "1.0", "0.4")
    assert decision.acceptance_limit == Decimal("0.6")
    assert decision.rejection_limit == Decimal("1.4")
    assert decision.margin == Decimal("0.1")
    assert decide("1.0", "1.0", "0.4").margin == Decimal("-0.4")


def test_simple_limits_and_margin() -> None:
    decision = decide("0.7", "1.0")
    assert decision.acceptance_limit == decision.rejection_limit == Decimal("1.0")
    assert decision.margin == Decimal("0.3")
    assert decide("1.2", "1.0").margin == Decimal("-0.2")


def test_float_inputs_are_compared_exactly_in_decimal() -> None:
    # 0.3 − 0.1 is 0.19999999999999998 in binary floats, which would wrongly leave 0.2 in the band
    decision = decide(0.2, 0.3, 0.1, require_one_third=False)
    assert decision.rule == "guard-band"
    assert decision.verdict is Verdict.PASS
    assert decide(0.6, 1.0, 0.4).verdict is Verdict.PASS
    assert decide(1.4, 1.0, 0.4).verdict is Verdict.FAIL


def test_require_one_third_false_always_guard_bands() -> None:
    assert decide("0.95", "1.0", "0.1").verdict is Verdict.PASS
    decision = decide("0.95", "1.0", "0.1", require_one_third=False)
    assert decision.rule == "guard-band"
    assert decision.verdict is Verdict.UNDETERMINED
    assert decide("0.95", "1.0", require_one_third=False).rule == "simple"  # no U95 known


def test_the_rounded_error_is_judged() -> None:
    # raw −1.04 % would fail ±1.0 %; rounded to the class-1 interval 0.1 it is −1.0 % and passes
    assert decide(-1.04, "1.0").verdict is Verdict.FAIL
    assert decide(round_to_interval(-1.04, "0.1"), "1.0").verdict is Verdict.PASS


def test_decide_array_per_position() -> None:
    errors = ["0.6", "1.4", "1.0", "-0.2"]
    result = decide_array(errors, "1.0", "0.4")
    assert isinstance(result, np.ndarray)
    assert result.tolist() == ["pass", "fail", "undetermined", "pass"]
    assert result[0] == Verdict.PASS


def test_decide_array_broadcasts_mpe_and_u95_and_matches_scalar() -> None:
    errors = np.array([[0.3, -1.1], [1.5, 0.7]])
    mpe = np.array([1.0, 1.0])
    u95 = np.array([[0.2], [0.5]])
    result = decide_array(errors, mpe, u95)
    assert result.shape == (2, 2)
    for index in np.ndindex(2, 2):
        assert result[index] == decide(errors[index], mpe[index[1]], u95[index[0], 0]).verdict.value
    assert result.tolist() == [["pass", "fail"], ["fail", "undetermined"]]


def test_decide_array_without_u95_and_with_faulty_positions() -> None:
    result = decide_array([0.5, float("nan"), None, Decimal("NaN"), 1.2], 1.0)
    assert result.tolist() == ["pass", "n/a", "n/a", "n/a", "fail"]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("0.1", "0"), "mpe"),
        (("0.1", "-1.0"), "mpe"),
        (("0.1", "1.0", "-0.1"), "u95"),
        ((float("nan"), "1.0"), "error"),
        (("0.1", "inf"), "mpe"),
    ],
)
def test_decide_validates(args: tuple[str | float, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        decide(*args)
