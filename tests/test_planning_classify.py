"""ABC classes and OBSOLETE / SLOW flags at and around their boundaries."""

from __future__ import annotations

import datetime as dt
import doctest
import math

import numpy as np
import pandas as pd
import pytest

from jit_workbook.planning import classify
from jit_workbook.planning.classify import abc_class, days_of_cover, stock_flags

AS_OF = dt.date(2026, 11, 27)
NAN = float("nan")


@pytest.mark.parametrize(
    "values, exp",
    [
        # shares before each SKU (ranked): 0, 50%, 80%, 95% -> exactly 80% before is B, 95% is C
        ([50, 30, 15, 5], ["A", "A", "B", "C"]),
        # 0, 70%, 90%: the SKU crossing 80% (70 -> 90) is still A; the one after is B
        ([70, 20, 10], ["A", "A", "B"]),
        # 0, 85%, 95%: the second crosses 95% from 85% and is B; the last starts at 95%: C
        ([85, 10, 5], ["A", "B", "C"]),
        # one SKU holds everything
        ([100], ["A"]),
        # ranked regardless of input order
        ([5, 15, 30, 50], ["C", "B", "A", "A"]),
    ],
)
def test_abc_boundaries(values, exp):
    assert abc_class(values).tolist() == exp


def test_abc_zero_negative_and_nan_values_are_c():
    # positive total 10: X alone is A; zero, negative (net returns) and NaN are C
    assert abc_class([10, 0, -5, NAN]).tolist() == ["A", "C", "C", "C"]
    assert abc_class([0, 0]).tolist() == ["C", "C"]
    assert abc_class([]).tolist() == []


def test_abc_float_noise_on_the_boundary():
    # ten SKUs of 0.1: the 9th has 0.1·8 = 0.7999999999999999 before it, which is 80%: B
    got = abc_class([0.1] * 10).tolist()
    assert got == ["A"] * 8 + ["B", "B"]


def test_abc_ties_keep_input_order():
    # four equal values: shares before 0, 25%, 50%, 75% -> all A; five: 80% before the 5th -> B
    assert abc_class([1, 1, 1, 1, 1]).tolist() == ["A", "A", "A", "A", "B"]


def test_abc_keeps_series_index():
    # s2 first (0% before: A); s1 has 90% before it: B
    got = abc_class(pd.Series([10.0, 90.0], index=["s1", "s2"]))
    assert got.to_dict() == {"s1": "B", "s2": "A"}


def test_abc_rejects_bad_shares():
    with pytest.raises(ValueError, match="a_share"):
        abc_class([1.0], a_share=0.9, b_share=0.8)


def test_days_of_cover():
    assert days_of_cover(30.0, 2.0) == 15.0
    assert math.isnan(days_of_cover(30.0, 0.0))
    got = days_of_cover(np.array([10.0, 5.0, NAN]), np.array([4.0, 0.0, 1.0]))
    assert got[0] == 2.5 and np.isnan(got[1:]).all()


def flags(on_hand, d, last_sale, earliest="2024-01-01", obsolete_after=180, months=12.0):
    return stock_flags(on_hand, d, last_sale, AS_OF, obsolete_after, months, earliest_sale=earliest)


def test_obsolete_boundary_day():
    # last 180 days = 2026-06-01 .. 2026-11-27 (as_of - 179 days)
    first_day = AS_OF - dt.timedelta(days=179)
    assert first_day == dt.date(2026, 6, 1)
    assert flags(5.0, 0.0, first_day) == ""  # sold on the first day of the 180: not obsolete
    assert flags(5.0, 0.0, first_day - dt.timedelta(days=1)) == "OBSOLETE"
    assert flags(5.0, 0.0, None) == "OBSOLETE"  # never sold
    assert flags(0.0, 0.0, None) == ""  # nothing on the shelf
    assert flags(NAN, 0.0, None) == ""


def test_new_shop_is_not_told_everything_is_dead():
    first_day = AS_OF - dt.timedelta(days=179)
    # history reaches back exactly 180 days: judged
    assert flags(5.0, 0.0, None, earliest=first_day) == "OBSOLETE"
    # one day short of 180 days of history: not judged
    assert flags(5.0, 0.0, None, earliest=first_day + dt.timedelta(days=1)) == ""
    # no sales at all
    assert flags(5.0, 0.0, None, earliest=None) == ""
    assert flags(5.0, 0.0, None, earliest=pd.NaT) == ""


def test_slow_boundary():
    # 2 months -> 60.8 days of cover is the limit
    assert flags(60.8, 1.0, "2026-11-27", months=2) == ""
    assert flags(60.9, 1.0, "2026-11-27", months=2) == "SLOW"
    assert flags(1000.0, 0.0, "2026-11-27", months=2) == ""  # no demand: no cover to measure


def test_obsolete_wins_over_slow():
    # sold 200 days ago (0.01/day in the window) and 500 on hand: both rules hold
    last = AS_OF - dt.timedelta(days=200)
    assert flags(500.0, 0.01, last) == "OBSOLETE"


def test_flags_vectorised_with_series():
    on_hand = pd.Series([5.0, 100.0, 1.0], index=["a", "b", "c"])
    last = pd.Series(pd.to_datetime(["2025-01-01", "2026-11-27", None]))
    got = stock_flags(on_hand, np.array([0.0, 0.1, 1.0]), last, AS_OF, 180, 12, earliest_sale="2024-01-01")
    # a: last sale 2025-01-01 -> OBSOLETE; b: 1000 days of cover > 364.8 -> SLOW; c: never sold -> OBSOLETE
    assert got.to_dict() == {"a": "OBSOLETE", "b": "SLOW", "c": "OBSOLETE"}


def test_flag_settings_are_checked():
    with pytest.raises(ValueError, match="obsolete_after_days must be 1 or more, got 0"):
        flags(1.0, 1.0, None, obsolete_after=0)
    with pytest.raises(ValueError, match="slow_mover_months must be above 0"):
        flags(1.0, 1.0, None, months=0)


def test_docstring_examples_run():
    result = doctest.testmod(classify)
    assert result.attempted > 0 and result.failed == 0
