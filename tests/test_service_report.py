"""service_by_group: the backtest's service pooled per group, against hand calculations."""

import math

import pandas as pd
import pytest

from jit_workbook.planning.service_report import service_by_group


def four_skus() -> pd.DataFrame:
    return pd.DataFrame({
        "sku": ["A1", "A2", "C1", "C2"], "abc": ["A", "A", "C", "C"],
        "target_service_level": [0.98, 0.95, 0.90, 0.90], "demand_units": [100.0, 50.0, 8.0, 0.0],
        "jit_cycles": [6, 2, 0, 0], "jit_stockout_cycles": [1, 1, 0, 0],
        "jit_cycle_service_level": [5 / 6, 0.5, float("nan"), float("nan")],
        "jit_served_units": [96.0, 45.0, 4.0, 0.0], "jit_avg_stock_value": [30.0, 10.0, 5.0, 0.0],
        "jic_cycles": [2, 1, 1, 0], "jic_stockout_cycles": [0, 1, 0, 0],
        "jic_cycle_service_level": [1.0, 0.0, 1.0, float("nan")],
        "jic_served_units": [100.0, 40.0, 8.0, 0.0], "jic_avg_stock_value": [80.0, 20.0, 0.0, 0.0],
    })


def test_pooled_by_class_as_by_hand():
    t = service_by_group(four_skus(), "abc").set_index("group")
    assert t.index.tolist() == ["A", "C", "All SKUs"]
    a, c, every = t.loc["A"], t.loc["C"], t.loc["All SKUs"]
    # A: 8 JIT cycles, 2 with a stock-out; target weighted by cycles (6 × 98% + 2 × 95%) / 8
    assert a["skus"] == 2 and a["jit_cycles"] == 8
    assert a["jit_cycle_service_level"] == pytest.approx(6 / 8)
    assert a["target_service_level"] == pytest.approx((6 * 0.98 + 2 * 0.95) / 8)
    assert a["jic_cycle_service_level"] == pytest.approx(2 / 3)
    assert a["jit_fill_rate"] == pytest.approx(141 / 150) and a["jic_fill_rate"] == pytest.approx(140 / 150)
    assert a["jit_avg_stock_value"] == 40 and a["jic_avg_stock_value"] == 100
    assert a["stock_ratio"] == pytest.approx(0.4)
    # C: no JIT cycle -> no JIT service, plain mean target; JIC holds nothing -> no ratio
    assert math.isnan(c["jit_cycle_service_level"]) and c["target_service_level"] == pytest.approx(0.90)
    assert c["jic_cycle_service_level"] == 1.0 and c["jit_fill_rate"] == pytest.approx(0.5)
    assert math.isnan(c["stock_ratio"])
    # All: the same sums over the four SKUs
    assert every["skus"] == 4 and every["jit_cycles"] == 8 and every["jic_cycles"] == 4
    assert every["jit_cycle_service_level"] == pytest.approx(6 / 8)
    assert every["jic_cycle_service_level"] == pytest.approx(3 / 4)
    assert every["jit_fill_rate"] == pytest.approx(145 / 158)
    assert every["stock_ratio"] == pytest.approx(45 / 100)


def test_stockout_cycles_derived_when_the_backtest_does_not_give_them():
    given = service_by_group(four_skus(), "abc")
    derived = service_by_group(four_skus().drop(columns=["jit_stockout_cycles", "jic_stockout_cycles"]), "abc")
    pd.testing.assert_frame_equal(given, derived)


def test_blank_group_and_one_group():
    frame = four_skus().assign(category=["Gifts", None, "", "Gifts"])
    t = service_by_group(frame, "category")
    assert t["group"].tolist() == ["", "Gifts", "All SKUs"]
    assert t["skus"].tolist() == [2, 2, 4]


def test_all_skus_row_matches_the_backtest_overall(tiny_workbook):
    from jit_workbook import contract as K
    from jit_workbook.io.parse import parse_inputs
    from jit_workbook.io.read_file import read_grids
    from jit_workbook.planning.backtest import backtest

    inputs = parse_inputs(read_grids(tiny_workbook, [s.name for s in K.INPUT_SHEETS], K.OPTIONAL_INPUT_SHEETS))
    result = backtest(inputs.stock, inputs.sales, inputs.suppliers, inputs.settings, days=120,
                      receipts=inputs.receipts)
    every = service_by_group(result.per_sku, "abc").iloc[-1]
    o = result.overall
    assert o["jit_cycles"] > 0 and o["jic_cycles"] > 0
    for name in ("target_service_level", "jit_cycle_service_level", "jic_cycle_service_level", "jit_fill_rate",
                 "jic_fill_rate", "jit_avg_stock_value", "jic_avg_stock_value", "jit_cycles", "jic_cycles"):
        assert every[name] == pytest.approx(o[name]), name
