"""z, safety stock, reorder point, order-up-to level and order rounding, checked against
hand arithmetic and standard normal table values."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest

from jit_workbook.planning import policy
from jit_workbook.planning.policy import (
    order_qty_parts,
    reorder_point,
    round_order_qty,
    safety_stock,
    z_for_service_level,
)

NAN = float("nan")


@pytest.mark.parametrize(
    "p, exp",
    [  # standard normal table (Φ⁻¹), six decimals
        (0.50, 0.0),
        (0.80, 0.841621),
        (0.90, 1.281552),
        (0.95, 1.644854),
        (0.975, 1.959964),
        (0.98, 2.053749),
        (0.99, 2.326348),
    ],
)
def test_z_matches_normal_table(p, exp):
    got = z_for_service_level(p)
    assert isinstance(got, float)
    assert got == pytest.approx(exp, abs=5e-7)


def test_z_is_computed_once_per_distinct_level(monkeypatch):
    calls = []
    real = policy.NormalDist

    class Counting(real):
        def inv_cdf(self, p):
            calls.append(p)
            return super().inv_cdf(p)

    monkeypatch.setattr(policy, "NormalDist", Counting)
    levels = np.tile([0.9, 0.95, 0.98], 1000)
    got = z_for_service_level(levels)
    assert sorted(calls) == [0.9, 0.95, 0.98]
    assert got.shape == (3000,)
    assert got[4] == pytest.approx(1.644854, abs=5e-7)


def test_z_keeps_series_index_and_nan():
    got = z_for_service_level(pd.Series([0.95, NAN], index=["x", "y"]))
    assert list(got.index) == ["x", "y"]
    assert got["x"] == pytest.approx(1.644854, abs=5e-7)
    assert math.isnan(got["y"])


@pytest.mark.parametrize("bad", [0.0, 1.0, 1.2, -0.5])
def test_z_rejects_levels_outside_zero_and_one(bad):
    with pytest.raises(ValueError, match="service_level .*got"):
        z_for_service_level([0.95, bad])


def test_safety_stock_by_hand():
    # z=2, d=3, σd=2, L=4, σL=1, R=3:  (L+R)·σd² = 7·4 = 28;  d²·σL² = 9·1 = 9
    # SS = 2·√37 = 12.165525...
    exp = 2 * math.sqrt(37)
    assert safety_stock(2.0, 3.0, 2.0, 4.0, 1.0, 3.0) == pytest.approx(exp, rel=1e-12)


def test_safety_stock_special_cases():
    # no spread at all: nothing to protect against
    assert safety_stock(1.644854, 5.0, 0.0, 10.0, 0.0, 7.0) == 0.0
    # only lead-time spread: SS = z·d·σL = 1.5·4·2 = 12
    assert safety_stock(1.5, 4.0, 0.0, 10.0, 2.0, 7.0) == pytest.approx(12.0)
    # only demand spread, continuous review: SS = z·σd·√L = 2·3·√9 = 18
    assert safety_stock(2.0, 1.0, 3.0, 9.0) == pytest.approx(18.0)
    # NaN lead time gives NaN, not an error
    assert math.isnan(safety_stock(2.0, 1.0, 3.0, NAN))


def test_reorder_point_by_hand():
    ss = 2 * math.sqrt(37)
    # s = d·(L+R) + SS = 3·7 + 12.1655 = 33.1655
    s = reorder_point(3.0, 4.0, 3.0, ss)
    assert s == pytest.approx(21 + ss)


def test_policy_functions_vectorise_and_keep_series_index():
    d = pd.Series([1.0, 2.0], index=["a", "b"])
    ss = safety_stock(np.array([1.0, 2.0]), d, np.array([1.0, 0.0]), 4.0, 0.0, 5.0)
    assert list(ss.index) == ["a", "b"]
    # a: 1·√(9·1) = 3;  b: 2·√0 = 0
    assert ss.tolist() == pytest.approx([3.0, 0.0])
    rop = reorder_point(d, np.array([4.0, 1.0]), 5.0, ss)
    assert rop.tolist() == pytest.approx([1 * 9 + 3, 2 * 6 + 0])
    assert isinstance(safety_stock(1.0, 1.0, 1.0, 1.0), float)


@pytest.mark.parametrize("name", ["d", "sd", "lead", "lead_std", "review"])
def test_negative_inputs_name_the_parameter(name):
    args = dict(z=1.0, d=1.0, sd=1.0, lead=1.0, lead_std=1.0, review=1.0)
    args[name] = -1.0
    with pytest.raises(ValueError, match=f"^{name} must be 0 or more, got -1"):
        safety_stock(**args)


@pytest.mark.parametrize(
    "exp, need, moq, case_pack",
    [
        (0, 0.0, NAN, NAN),  # nothing needed
        (0, -5.0, 50.0, 12.0),  # a negative need is no order, even with an MOQ
        (0, NAN, 50.0, NAN),
        (1, 0.2, NAN, NAN),  # whole units: 0.2 -> 1
        (3, 2.3, NAN, NAN),
        (24, 24.000000001, NAN, NAN),  # float noise is not a 25th unit
        (25, 24.01, NAN, NAN),
        (24, 13.2, NAN, 12.0),  # 1.1 cases -> 2 cases
        (24, 24.000000001, NAN, 12.0),  # float noise is not a third case
        (12, 12.0, NAN, 12.0),
        (50, 10.0, 50.0, NAN),  # raised to the MOQ
        (60, 10.0, 50.0, 12.0),  # MOQ 50 -> 4.17 cases -> 5 cases = 60
        (36, 30.0, 20.0, 12.0),  # need above MOQ: 2.5 cases -> 3
        (8, 7.2, NAN, 2.5),  # 2.88 cases -> 3 cases = 7.5 m -> 8 whole units
        (5, 4.2, 0.0, 0.0),  # MOQ 0 and case pack 0 mean none
    ],
)
def test_round_order_qty(exp, need, moq, case_pack):
    got = round_order_qty(need, moq, case_pack)
    assert got == exp
    assert isinstance(got, int)


def test_round_order_qty_vectorised():
    got = round_order_qty(np.array([13.2, 10.0, 0.0]), np.array([NAN, 50.0, 50.0]), 12.0)
    assert got.dtype == np.int64
    assert got.tolist() == [24, 60, 0]


def test_order_qty_parts_explain_the_rounding():
    qty, cases, raised = order_qty_parts([10.0, 30.0, 13.2, 0.0], [50.0, 20.0, NAN, 50.0], [12.0, 12.0, NAN, 12.0])
    assert qty.tolist() == [60, 36, 14, 0]
    assert cases.tolist() == [5, 3, 0, 0]
    assert raised.tolist() == [True, False, False, False]


def test_docstring_examples_run():
    result = doctest.testmod(policy)
    assert result.attempted > 0 and result.failed == 0
