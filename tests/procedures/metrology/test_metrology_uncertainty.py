"""GUM budgets (JJF 1059.1, regulations.md §8), hand-worked."""

import math
from typing import Any

import pytest

from procedures.metrology import (
    UncertaintyBudget,
    UncertaintyComponent,
    combined_standard_uncertainty,
    expanded_uncertainty,
    resolution_component,
    rounding_component,
    type_a_of_mean,
)


def energy_meter_budget() -> UncertaintyBudget:
    # class 1 meter on a 0.1-class bench: s = 0.0223 % over 10 readings, result = mean of 3
    # (the printed 0.0094 % in the source is wrong: 0.0223/√3 = 0.012875 %)
    u1 = UncertaintyComponent("repeatability", type_a_of_mean(0.0223, 3), "standard", type="A", dof=9)
    u2 = UncertaintyComponent("bench MPE", 0.1, "rectangular")
    return UncertaintyBudget((u1, u2))


def test_hand_worked_energy_meter_budget() -> None:
    budget = energy_meter_budget()
    u1, u2 = budget.components
    assert u1.standard_uncertainty == pytest.approx(0.012875, abs=5e-7)
    assert u2.standard_uncertainty == pytest.approx(0.057735, abs=5e-7)
    assert budget.uc == pytest.approx(0.059153, abs=5e-7)
    assert budget.expanded() == pytest.approx(0.1183, abs=5e-5)
    assert budget.expanded(k=3) == pytest.approx(3 * budget.uc)


def test_functions_agree_with_budget() -> None:
    budget = energy_meter_budget()
    uc = combined_standard_uncertainty(budget.components)
    assert uc == budget.uc
    assert expanded_uncertainty(uc) == pytest.approx(0.1183, abs=5e-5)


def test_rounding_component_interval_0_2() -> None:
    component = rounding_component("0.2")
    assert component.distribution == "rectangular"
    assert component.value == pytest.approx(0.1)
    assert component.standard_uncertainty == pytest.approx(0.057735, abs=5e-7)
    assert rounding_component(0.2).standard_uncertainty == pytest.approx(0.2 / (2 * math.sqrt(3)))


def test_resolution_component() -> None:
    assert resolution_component(0.001).standard_uncertainty == pytest.approx(0.001 / (2 * math.sqrt(3)))
    assert resolution_component("0.01", name="display").name == "display"


@pytest.mark.parametrize(
    ("distribution", "k", "divisor"),
    [
        ("rectangular", None, math.sqrt(3)),
        ("triangular", None, math.sqrt(6)),
        ("u-shaped", None, math.sqrt(2)),
        ("standard", None, 1.0),
        ("normal", 2.0, 2.0),
        ("normal", 2.58, 2.58),
    ],
)
def test_divisors(distribution: str, k: float | None, divisor: float) -> None:
    component = UncertaintyComponent("x", 0.6, distribution, k=k)
    assert component.divisor == pytest.approx(divisor)
    assert component.standard_uncertainty == pytest.approx(0.6 / divisor)


def test_sensitivity_coefficient_weights_contribution() -> None:
    component = UncertaintyComponent("temperature", 0.5, "rectangular", sensitivity=-0.0012)
    assert component.contribution == pytest.approx(0.0012 * 0.5 / math.sqrt(3))
    budget = UncertaintyBudget([component, UncertaintyComponent("can", 0.0003, "normal", k=2)])
    assert budget.uc == pytest.approx(math.hypot(0.0012 * 0.5 / math.sqrt(3), 0.00015))


def test_type_a_of_mean() -> None:
    assert type_a_of_mean(0.4, 4) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="n must"):
        type_a_of_mean(0.1, 0)
    with pytest.raises(ValueError, match="n must"):
        type_a_of_mean(0.1, 2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="s must"):
        type_a_of_mean(-0.1, 3)


def test_effective_degrees_of_freedom() -> None:
    budget = UncertaintyBudget(
        [UncertaintyComponent("a", 0.3, type="A", dof=4), UncertaintyComponent("b", 0.4)]
    )
    assert budget.uc == pytest.approx(0.5)
    assert budget.effective_dof == pytest.approx(0.5**4 / (0.3**4 / 4))
    assert UncertaintyBudget([UncertaintyComponent("b", 0.4)]).effective_dof == math.inf


def test_budget_is_immutable_and_add_returns_new() -> None:
    budget = energy_meter_budget()
    bigger = budget.add(rounding_component("0.1"))
    assert len(budget.components) == 2 and len(bigger.components) == 3
    assert bigger.uc > budget.uc


def test_table_rows() -> None:
    rows = energy_meter_budget().table()
    assert [row["name"] for row in rows] == ["repeatability", "bench MPE"]
    assert rows[0]["type"] == "A" and rows[0]["dof"] == 9
    assert rows[1]["distribution"] == "rectangular"
    assert rows[1]["divisor"] == pytest.approx(math.sqrt(3))
    assert rows[1]["standard_uncertainty"] == pytest.approx(0.057735, abs=5e-7)
    assert rows[1]["contribution"] == rows[1]["standard_uncertainty"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"value": -0.1}, "value"),
        ({"value": math.nan}, "value"),
        ({"distribution": "normal"}, "coverage factor"),
        ({"distribution": "normal", "k": 0}, "coverage factor"),
        ({"distribution": "rectangular", "k": 2}, "only to a 'normal'"),
        ({"distribution": "gaussian"}, "unknown distribution"),
        ({"type": "C"}, "type"),
        ({"dof": 0}, "degrees of freedom"),
    ],
)
def test_component_validation(kwargs: dict[str, Any], match: str) -> None:
    args = {"name": "x", "value": 0.1, **kwargs}
    with pytest.raises(ValueError, match=match):
        UncertaintyComponent(**args)


def test_empty_budget_and_bad_expansion() -> None:
    with pytest.raises(ValueError, match="at least one"):
        _ = UncertaintyBudget().uc
    with pytest.raises(ValueError, match="k > 0"):
        expanded_uncertainty(0.1, k=0)
    with pytest.raises(ValueError, match="interval"):
        rounding_component(0)
