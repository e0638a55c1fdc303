"""MPE tables as data (regulations.md: numbers live in tables), tested with a tiny table."""

from decimal import Decimal
from typing import Any

import pytest

from procedures.metrology import MpeLookupError, MpeTable

# shaped like JJG 596-2012 class 1/2, cosφ = 1, direct connection (regulations.md §6)
ROWS = [
    {"class": "1", "cos_phi": "1", "current_min": 0.05, "current_max": 0.1, "mpe": 1.5},
    {"class": "1", "cos_phi": "1", "current_min": 0.1, "current_max": 6, "current_max_inclusive": True,
     "mpe": 1.0},
    {"class": "2", "cos_phi": "1", "current_min": 0.05, "current_max": 0.1, "mpe": 2.5},
    {"class": "2", "cos_phi": "1", "current_min": 0.1, "current_max": 6, "current_max_inclusive": True,
     "mpe": 2.0},
    {"class": "1", "cos_phi": "0.5L", "mpe": "1.0"},
]


@pytest.fixture
def table() -> MpeTable:
    return MpeTable(ROWS)


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({"class": "1", "cos_phi": "1", "current": 0.05}, 1.5),  # min inclusive
        ({"class": "1", "cos_phi": "1", "current": 0.099}, 1.5),
        ({"class": "1", "cos_phi": "1", "current": 0.1}, 1.0),  # max of the first row is exclusive
        ({"class": "1", "cos_phi": "1", "current": 6}, 1.0),  # max_inclusive
        ({"class": "2", "cos_phi": "1", "current": 1}, 2.0),
        ({"class": "2", "cos_phi": "1", "current": "0.05"}, 2.5),
        ({"class": "2", "cos_phi": "1", "current": Decimal("0.1")}, 2.0),
        ({"class": "1", "cos_phi": "0.5L", "current": 3}, "1.0"),  # condition not in the row: ignored
    ],
)
def test_lookup(table: MpeTable, conditions: dict[str, Any], expected: float | str) -> None:
    assert table.lookup(**conditions) == expected


def test_no_match_raises_key_error_naming_the_request(table: MpeTable) -> None:
    with pytest.raises(KeyError) as info:
        table.lookup(**{"class": "1", "cos_phi": "1", "current": 6.5})
    message = str(info.value)
    assert "class='1'" in message and "current=6.5" in message and "mpe" in message
    with pytest.raises(MpeLookupError):
        table.lookup(**{"class": "3", "cos_phi": "1", "current": 1})
    with pytest.raises(MpeLookupError, match=r"keyed by: class, cos_phi, current\)"):
        table.lookup(**{"class": "1", "cos_phi": "1"})  # a ranged row needs the ranged condition


def test_below_range_does_not_match(table: MpeTable) -> None:
    with pytest.raises(MpeLookupError):
        table.lookup(**{"class": "1", "cos_phi": "1", "current": 0.04})


def test_overlapping_rows_are_reported() -> None:
    overlapping = MpeTable([{"kind": "a", "mpe": 1}, {"mpe": 2}])
    with pytest.raises(MpeLookupError, match="2 rows"):
        overlapping.lookup(kind="a")
    assert overlapping.lookup(kind="b") == 2


def test_numeric_equality_is_exact_decimal() -> None:
    table = MpeTable([{"cos_phi": 0.5, "mpe": 1}, {"cos_phi": 1, "mpe": 2}])
    assert table.lookup(cos_phi=Decimal("0.5")) == 1
    assert table.lookup(cos_phi=1.0) == 2
    with pytest.raises(MpeLookupError):
        table.lookup(cos_phi="1")  # a string is not the number 1


def test_custom_value_key_and_len() -> None:
    intervals = MpeTable([{"class": "1", "interval": "0.1"}, {"class": "2", "interval": "0.2"}],
                         value_key="interval")
    assert len(intervals) == 2
    assert intervals.lookup(**{"class": "2"}) == "0.2"


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ({"class": "1"}, "no 'mpe'"),
        ({"x_min": 2, "x_max": 1, "mpe": 1}, "x_min > x_max"),
        ({"x_max_inclusive": True, "mpe": 1}, "without x_max"),
        ({"x_max": 1, "x_max_inclusive": "yes", "mpe": 1}, "true or false"),
    ],
)
def test_invalid_rows(row: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        MpeTable([row])
