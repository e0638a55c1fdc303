"""The vectorised bench path must give exactly what the scalar Decimal path gives: same rounded
values (ties included), same JJF 1094 verdicts (boundaries included), faulty positions isolated."""

from __future__ import annotations

import numpy as np
import pytest

from procedures.metrology import decide, format_rounded, pulse_comparison_error
from procedures.metrology.bench import (
    MISSING,
    judge_positions,
    needs_more_readings,
    pulse_errors,
    round_steps,
    step_value,
)

TIES = [0.25, 0.15, 0.05, -0.05, 0.35, -0.25, 0.3, 0.1, 0.5, -0.1, 0.125, 0.175, 1.05, 2.25]


@pytest.mark.parametrize("interval", ["0.1", "0.2", "0.05", "0.01", "0.02"])
def test_rounding_matches_scalar_path_including_ties(interval: str) -> None:
    rng = np.random.default_rng(596)
    values = np.concatenate([np.array(TIES), rng.uniform(-3, 3, 500), [-0.1705, 0.2228, 0.0389]])
    steps = round_steps(values, interval)
    printed = judge_positions(values, interval, "1.0").printed
    for v, s, text in zip(values, steps, printed, strict=True):
        assert text == format_rounded(float(v), interval), (v, interval)
        assert float(text) == pytest.approx(s * float(interval))


def test_hand_worked_rounding() -> None:
    assert judge_positions([-0.1705, 0.2228, 0.0389], "0.2", "2.0").printed == ("-0.2", "+0.2", "0.0")


@pytest.mark.parametrize(("mpe", "u95"), [("1.0", None), ("1.0", "0.3"), ("1.0", "0.4"), ("2.0", "0.7"), ("0.5", "0.1")])
def test_decisions_match_scalar_path_at_boundaries(mpe: str, u95: str | None) -> None:
    grid = np.round(np.arange(-2.6, 2.61, 0.1), 10)  # every step across both limits, exact boundaries included
    res = judge_positions(grid, "0.1", mpe, u95)
    for v, verdict in zip(grid, res.verdict, strict=True):
        assert verdict == decide(format_rounded(float(v), "0.1"), mpe, u95).verdict.value, (v, mpe, u95)


def test_pulse_errors_vectorised_and_faulty_positions_isolated() -> None:
    m = np.array([[9980, 9985], [0, 0], [np.nan, 10010], [10000, 10000]])
    e = pulse_errors(m, 10, 1e6, 1000.0)
    assert e[0, 0] == pytest.approx(pulse_comparison_error(9980, 10, 1e6, 1000.0))
    assert np.isnan(e[1]).all() and np.isnan(e[2, 0]) and e[2, 1] == pytest.approx(-0.0999, abs=1e-4)
    res = judge_positions(e, "0.1", "1.0")
    assert list(res.verdict) == ["pass", "n/a", "pass", "pass"]
    assert list(res.readings) == [2, 0, 1, 2]
    assert res.steps[1] == MISSING and res.printed[1] == "—"
    assert np.isnan(step_value(res.steps, "0.1")[1])


def test_more_readings_band() -> None:
    mask = needs_more_readings([0.79, 0.8, 1.0, 1.2, 1.21, -0.9, np.nan], 1.0)
    assert list(mask) == [False, True, True, True, False, True, False]
