"""The daily demand series: window, first-sale start, returns, future sales, summary."""

from __future__ import annotations

import datetime as dt
import doctest
import statistics

import numpy as np
import pandas as pd
import pytest

from jit_workbook.planning import demand
from jit_workbook.planning.demand import (
    daily_demand_matrix,
    future_sales_issues,
    moving_average,
    sales_summary,
)

AS_OF = dt.date(2026, 11, 27)
NAN = float("nan")


from test_planning_reorder import make_sales as sales_frame  # one builder for Sales frames


def test_day_nets_returns_and_clips_at_zero():
    # 7-day window Nov 21..27; A was first sold long before, so its series is all 7 days.
    sales = sales_frame(
        ("2026-01-01", "A", 1),
        ("2026-11-21", "A", 5), ("2026-11-21", "A", -2),  # 5 - 2 = 3
        ("2026-11-22", "A", 1), ("2026-11-22", "A", -4),  # 1 - 4 = -3 -> 0
        ("2026-11-27", "A", 2.5),
    )
    matrix, mask = daily_demand_matrix(sales, ["A"], AS_OF, 7)
    assert matrix.tolist() == [[3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.5]]
    assert mask.all()
    d, sd = moving_average(matrix, mask)
    # d = 5.5 / 7; σd from the same 7 numbers
    assert d[0] == pytest.approx(5.5 / 7)
    assert sd[0] == pytest.approx(statistics.stdev([3, 0, 0, 0, 0, 0, 2.5]))


def test_series_starts_at_first_sale_inside_the_window():
    # B is new: first sold Nov 25, so its series is Nov 25, 26, 27 = [4, 0, 2]
    sales = sales_frame(("2026-11-25", "B", 4), ("2026-11-27", "B", 2))
    matrix, mask = daily_demand_matrix(sales, ["B"], AS_OF, 7)
    assert mask.tolist() == [[False] * 4 + [True] * 3]
    d, sd = moving_average(matrix, mask)
    assert d[0] == pytest.approx(6 / 3)
    # deviations 2, -2, 0 -> Σ = 8, / (3 - 1) = 4 -> σd = 2
    assert sd[0] == pytest.approx(2.0)


def test_first_sale_counts_any_line_but_not_future_ones():
    # C's first line is a return on Nov 24 (series starts there); its Nov 29 sale is after As Of.
    sales = sales_frame(("2026-11-24", "C", -1), ("2026-11-26", "C", 3), ("2026-11-29", "C", 50))
    summary = sales_summary(sales, ["C"], AS_OF, 7)
    assert summary.loc["C", "series_days"] == 4
    assert summary.loc["C", "daily_demand"] == pytest.approx(3 / 4)
    assert summary.loc["C", "first_sale"] == pd.Timestamp("2026-11-24")


def test_window_is_inclusive_at_both_ends():
    # window Nov 21..27: the Nov 20 sale is outside (but shows D is not new), Nov 21 and 27 inside
    sales = sales_frame(("2026-11-20", "D", 100), ("2026-11-21", "D", 1), ("2026-11-27", "D", 6))
    summary = sales_summary(sales, ["D"], AS_OF, 7)
    assert summary.loc["D", "series_days"] == 7
    assert summary.loc["D", "daily_demand"] == pytest.approx(7 / 7)


def test_as_of_day_sale_alone_gives_one_day_series_and_zero_std():
    sales = sales_frame(("2026-11-27", "E", 3))
    summary = sales_summary(sales, ["E"], AS_OF, 30)
    assert summary.loc["E", "series_days"] == 1
    assert summary.loc["E", "daily_demand"] == 3.0
    assert summary.loc["E", "demand_std"] == 0.0


def test_sku_without_sales_has_zero_demand():
    sales = sales_frame(("2026-11-27", "E", 3))
    summary = sales_summary(sales, ["E", "F"], AS_OF, 30)
    assert summary.loc["F", ["daily_demand", "demand_std", "sales_value"]].tolist() == [0.0, 0.0, 0.0]
    assert pd.isna(summary.loc["F", "last_sale"])
    assert not summary.loc["F", "sold_in_window"]


def test_float_noise_nets_to_no_demand():
    sales = sales_frame(("2026-11-27", "G", 0.1), ("2026-11-27", "G", 0.2), ("2026-11-27", "G", -0.3))
    matrix, _ = daily_demand_matrix(sales, ["G"], AS_OF, 7)
    assert (matrix == 0).all()


def test_fractional_quantities():
    # metres of fabric: 0.25 + 1.5 on Nov 26, 2.25 on Nov 27 over a 4-day window first sold Nov 1
    sales = sales_frame(("2026-11-01", "H", 1), ("2026-11-26", "H", 0.25), ("2026-11-26", "H", 1.5),
                        ("2026-11-27", "H", 2.25))
    matrix, _ = daily_demand_matrix(sales, ["H"], AS_OF, 4)
    assert matrix.tolist() == [[0.0, 0.0, 1.75, 2.25]]


def test_moving_average_matches_statistics_module():
    rng = np.random.default_rng(7)
    matrix = rng.integers(0, 6, size=(40, 30)).astype(float)
    starts = rng.integers(0, 30, size=40)
    mask = np.arange(30)[None, :] >= starts[:, None]
    matrix[~mask] = 0
    d, sd = moving_average(matrix, mask)
    for i in range(40):
        series = matrix[i, starts[i]:].tolist()
        assert d[i] == pytest.approx(statistics.fmean(series))
        exp_sd = statistics.stdev(series) if len(series) >= 2 else 0.0
        assert sd[i] == pytest.approx(exp_sd)


def test_last_sale_is_any_history_positive_line_only():
    sales = sales_frame(
        ("2025-01-10", "J", 2),  # long before the window: still J's last sale
        ("2026-11-20", "J", -1),  # a return is not a sale
        ("2026-11-26", "K", 1), ("2026-11-28", "K", 1),  # after As Of: ignored
    )
    summary = sales_summary(sales, ["J", "K"], AS_OF, 7)
    assert summary.loc["J", "last_sale"] == pd.Timestamp("2025-01-10")
    assert summary.loc["K", "last_sale"] == pd.Timestamp("2026-11-26")
    assert str(summary["last_sale"].dtype) == "datetime64[ns]"


def test_sales_value_price_chain_and_window():
    sales = sales_frame(
        ("2026-11-25", "L", 2, 3.0),  # own price: 2 × 3 = 6
        ("2026-11-26", "L", 1),  # blank price: Stock unit price 5 -> 5
        ("2026-11-27", "L", -1, 3.0),  # return at 3 -> -3
        ("2026-01-01", "L", 100, 3.0),  # before the window: not counted
        ("2026-11-27", "M", 4),  # blank, and M has no unit price: unit cost 1.5 -> 6
    )
    fallback = [5.0, 1.5]
    summary = sales_summary(sales, ["L", "M"], AS_OF, 7, fallback_price=fallback)
    assert summary["sales_value"].tolist() == pytest.approx([6 + 5 - 3, 6])
    assert summary["sold_in_window"].tolist() == [True, True]


def test_future_sales_issue_text_and_cell():
    sales = sales_frame(("2026-11-27", "A", 1), ("2026-12-01", "B", 2))
    issues = future_sales_issues(sales, AS_OF)
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.sheet, issue.cell, issue.sku) == ("Sales", "A3", "B")
    assert issue.problem == "sale dated 2026-12-01 is after the As Of Date 2026-11-27; ignored"


def test_empty_sales():
    sales = sales_frame()
    matrix, mask = daily_demand_matrix(sales, ["A", "B"], AS_OF, 10)
    assert matrix.shape == (2, 10) and not matrix.any() and mask.all()
    summary = sales_summary(sales, ["A", "B"], AS_OF, 10)
    assert summary["daily_demand"].tolist() == [0.0, 0.0]
    assert summary["last_sale"].isna().all()
    assert future_sales_issues(sales, AS_OF) == []


def test_lines_for_unknown_skus_are_ignored_and_skus_must_be_unique():
    sales = sales_frame(("2026-11-27", "ZZZ", 9), ("2026-11-27", "A", 1))
    matrix, _ = daily_demand_matrix(sales, ["A"], AS_OF, 7)
    assert matrix.sum() == 1.0
    with pytest.raises(ValueError, match="skus must be unique; repeated: 'A'"):
        daily_demand_matrix(sales, ["A", "A"], AS_OF, 7)
    with pytest.raises(ValueError, match="history_days must be 1 or more, got 0"):
        daily_demand_matrix(sales, ["A"], AS_OF, 0)


def test_matrix_rows_follow_the_given_sku_order():
    sales = sales_frame(("2026-11-27", "A", 1), ("2026-11-27", "B", 2))
    matrix, _ = daily_demand_matrix(sales, pd.Series(["B", "A"]), AS_OF, 1)
    assert matrix.tolist() == [[2.0], [1.0]]


# ---------------------------------------------------------------------------------
# Exceptional lines
# ---------------------------------------------------------------------------------
K, N = 20, 5  # README: a line above 20 × the item's median positive line counts as 20 × median, from 5 lines


def reference_counted(lines: list[tuple], window_start: dt.date) -> list[float]:
    """README's rule in plain Python for one SKU's (date, quantity) lines of the window."""
    sizes = sorted(q for d, q in lines if q > 0 and d >= window_start)
    if len(sizes) < N:
        return [q for _, q in lines]
    mid = len(sizes) // 2
    median = sizes[mid] if len(sizes) % 2 else (sizes[mid - 1] + sizes[mid]) / 2
    return [min(q, K * median) if q > 0 and d >= window_start else q for d, q in lines]


def test_an_exceptional_line_is_capped_in_the_series_but_not_in_sales_value():
    # 10-day window Nov 18..27, A first sold long ago. Lines 2, 3, 2, 2, 3, 240 on six days:
    # median of 2, 2, 2, 3, 3, 240 = (2 + 3) / 2 = 2.5, 240 > 20 × 2.5 counts as 50.
    days = [dt.date(2026, 11, day) for day in (18, 20, 21, 23, 25, 27)]
    lines = list(zip(days, [2.0, 3.0, 2.0, 2.0, 3.0, 240.0]))
    sales = sales_frame(("2025-01-01", "A", 1, 1.0), *[(d, "A", q, 1.0) for d, q in lines])
    counted = reference_counted(lines, dt.date(2026, 11, 18))
    assert counted == [2, 3, 2, 2, 3, 50]
    by_day = {d: q for d, q in zip(days, counted)}
    series = [by_day.get(dt.date(2026, 11, 18) + dt.timedelta(days=i), 0.0) for i in range(10)]
    matrix, mask = daily_demand_matrix(sales, ["A"], AS_OF, 10)
    assert matrix.tolist() == [series] and mask.all()
    s = sales_summary(sales, ["A"], AS_OF, 10)
    assert s.loc["A", "daily_demand"] == pytest.approx(62 / 10)  # Moving Average: (2+3+2+2+3+50) / 10
    assert s.loc["A", "demand_std"] == pytest.approx(statistics.stdev(series))
    assert s.loc["A", "sales_value"] == pytest.approx(252.0)  # money really taken: 240 counts in full
    # the largest capped line: Sales row 8 (the frame's rows start at 2; the 1st line is 2025's)
    assert s.loc["A", ["capped_lines", "capped_row", "capped_quantity", "capped_counted"]].tolist() == [1, 8, 240, 50]


def test_lines_are_judged_only_from_five_positive_lines_in_the_window():
    # Four lines in the window (one more, before it, and returns do not count): nothing capped.
    sales = sales_frame(("2026-01-01", "B", 2), ("2026-11-21", "B", 2), ("2026-11-22", "B", 2),
                        ("2026-11-23", "B", -2), ("2026-11-24", "B", 2), ("2026-11-25", "B", 400))
    matrix, _ = daily_demand_matrix(sales, ["B"], AS_OF, 7)
    assert matrix.sum() == 2 + 2 + 0 + 2 + 400
    assert sales_summary(sales, ["B"], AS_OF, 7).loc["B", "capped_lines"] == 0
    # A fifth line makes B judged: median of 2, 2, 2, 2, 400 = 2, so 400 counts as 40.
    more = sales_frame(*[(x[0], "B", x[1]) for x in [
        ("2026-11-21", 2), ("2026-11-22", 2), ("2026-11-23", -2), ("2026-11-24", 2), ("2026-11-25", 400),
        ("2026-11-26", 2)]])
    matrix, _ = daily_demand_matrix(more, ["B"], AS_OF, 7)
    assert matrix[0].tolist() == [2, 2, 0, 2, 40, 2, 0]  # Nov 21..27; the return still nets its day to 0


def test_exceptional_lines_match_the_plain_rule_on_random_lines():
    rng = np.random.default_rng(11)
    skus = [f"S{i}" for i in range(30)]
    rows = []
    for i, sku in enumerate(skus):
        for _ in range(int(rng.integers(1, 15))):
            q = float(rng.choice([rng.integers(1, 6), rng.integers(60, 500), -rng.integers(1, 4)], p=[.8, .1, .1]))
            rows.append((AS_OF - dt.timedelta(days=int(rng.integers(0, 40))), sku, q))
    sales = sales_frame(*rows)
    matrix, _ = daily_demand_matrix(sales, skus, AS_OF, 30)
    start = AS_OF - dt.timedelta(days=29)
    for i, sku in enumerate(skus):
        lines = [(d, q) for d, k, q in rows if k == sku]
        exp = [0.0] * 30
        for (d, _), c in zip(lines, reference_counted(lines, start)):
            if d >= start:
                exp[(d - start).days] += c
        assert matrix[i].tolist() == pytest.approx([max(0.0, x) for x in exp]), sku


def test_docstring_examples_run():
    result = doctest.testmod(demand)
    assert result.attempted > 0 and result.failed == 0
