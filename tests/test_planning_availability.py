"""Days with no stock are not days of no demand: the censored demand series.

Where Receipts let the real stock be rebuilt, days that started with no stock and sold
nothing are left out of the series (recalc); in the backtest's replay, days the
simulated shelf was empty or ran out are left out of later reviews' plans. Expected
values come from plain loops over README's rules, or by hand.
"""

from __future__ import annotations

import datetime as dt
import doctest
import statistics

import numpy as np
import pandas as pd
import pytest

from jit_workbook.planning import availability, backtest as bt, forecast as fc, plan_reorder, safety
from jit_workbook.planning.availability import out_of_stock_days
from jit_workbook.planning.demand import sales_summary_and_series
from jit_workbook.settings import Settings
from test_planning_backtest import CountingPlanner, make_receipts
from test_planning_reorder import AS_OF, make_sales, make_stock, make_suppliers, settings
from test_planning_safety import loop_quantile, loop_window_errors

ACME = make_suppliers(("Acme", 7.0, 0.0))


def day(k: int) -> dt.date:
    """Day k of a 10-day window ending on AS_OF (day 9)."""
    return AS_OF - dt.timedelta(days=9 - k)


# ---------------------------------------------------------------------------------
# The series with days left out
# ---------------------------------------------------------------------------------
def test_days_marked_unavailable_are_left_out_of_the_series():
    # 7-day window; A sold 2, 0, 0, 0, 3, 1, 0 and was out of stock on days 1 and 2:
    # d = (2 + 0 + 3 + 1 + 0) / 5 over the 5 days it could be bought.
    sales = make_sales(("2026-01-01", "A", 1), ("2026-11-21", "A", 2), ("2026-11-25", "A", 3),
                       ("2026-11-26", "A", 1), ("2026-11-22", "B", 4))
    out = np.zeros((2, 7), dtype=bool)
    out[0, [1, 2]] = True
    out[1, :] = True  # every day of B's series: B keeps its series rather than none
    summary, _, mask = sales_summary_and_series(sales, ["A", "B"], AS_OF, 7, unavailable=out)
    assert mask[0].tolist() == [True, False, False, True, True, True, True]
    assert summary.loc["A", "daily_demand"] == pytest.approx(6 / 5)
    assert summary.loc["A", "demand_std"] == pytest.approx(statistics.stdev([2, 0, 3, 1, 0]))
    assert summary["censored_days"].tolist() == [2, 0]
    assert summary.loc["B", "daily_demand"] == pytest.approx(4 / 6)  # first sold Nov 22: 6 days
    with pytest.raises(ValueError, match="unavailable must be SKUs × history_days"):
        sales_summary_and_series(sales, ["A", "B"], AS_OF, 7, unavailable=out[:, :6])


# ---------------------------------------------------------------------------------
# recalc: days out of stock from the rebuilt stock
# ---------------------------------------------------------------------------------
# P first sold on day 0 of the window. 5 arrived on day 0, it sold 2 and 3 (empty at the
# end of day 1), nothing came or sold on days 2-4, 6 arrived on day 5; it sold 1, 2, 1 on
# days 5, 7, 9 and 2 are on hand today.
P_SALES = [(day(0), "P", 2.0), (day(1), "P", 3.0), (day(5), "P", 1.0), (day(7), "P", 2.0), (day(9), "P", 1.0)]
P_RECEIPTS = [("PO-1", "Acme", "P", day(0), 5.0), ("PO-2", "Acme", "P", day(5), 6.0)]


def plan(stock, sales, history_days, unavailable=None):
    return plan_reorder(stock, sales, ACME, settings(history_days=history_days), unavailable=unavailable)


def start_of_day_stock(on_hand: float, sales: list, receipts: list, days: list) -> list[float]:
    """README's rebuild in a plain loop: walk back from the count, then each day's start =
    the end of the day before + that day's deliveries."""
    end = {}
    level = on_hand
    for d in reversed(days):
        end[d] = level
        level += sum(s[2] for s in sales if s[0] == d) - sum(r[4] for r in receipts if r[3] == d)
    opening = level
    return [(end[days[i - 1]] if i else opening) + sum(r[4] for r in receipts if r[3] == d)
            for i, d in enumerate(days)]


def test_days_out_of_stock_by_hand_and_the_plan_measured_without_them():
    days = [day(k) for k in range(10)]
    start = start_of_day_stock(2.0, P_SALES, P_RECEIPTS, days)
    assert start == [5, 3, 0, 0, 0, 6, 5, 5, 3, 3]
    sold = {d for d, _, q in P_SALES if q > 0}
    exp = [s <= 1e-6 and d not in sold for s, d in zip(start, days)]
    assert exp == [False, False, True, True, True, False, False, False, False, False]

    stock = make_stock(dict(sku="P", on_hand=2.0, lead_time_days=5.0))
    got = out_of_stock_days(stock, make_sales(*P_SALES), make_receipts(*P_RECEIPTS), AS_OF, 30)
    # before day 0 the shelf was empty too (nothing had arrived), but P's series starts at its first sale
    assert got[0, -10:].tolist() == exp and got[0, :-10].all()

    out, _ = plan(stock, make_sales(*P_SALES), history_days=30)  # without Receipts: 9 units over 10 days
    assert out.loc[0, "daily_demand"] == pytest.approx(9 / 10)
    out, _ = plan(stock, make_sales(*P_SALES), history_days=30, unavailable=got)
    assert out.loc[0, "daily_demand"] == pytest.approx(9 / 7)  # 10 days less the 3 out of stock
    assert out.loc[0, "demand_std"] == pytest.approx(statistics.stdev([2, 3, 1, 0, 2, 0, 1]))
    assert out.loc[0, "reason"].endswith(" 3 days out of stock left out of the rate. Safety stock by the normal formula.")



def test_out_of_stock_days_match_a_plain_loop_on_random_shops():
    rng = np.random.default_rng(5)
    days = [AS_OF - dt.timedelta(days=k) for k in range(39, -1, -1)]
    sales, receipts, rows = [], [], []
    for i in range(25):
        sku = f"S{i:02d}"
        for d in days:
            if rng.random() < 0.3:
                sales.append((d, sku, float(rng.choice([1, 2, 3, -1], p=[.4, .3, .2, .1]))))
            if rng.random() < 0.1 and i % 5:  # every fifth SKU has no Receipts rows
                receipts.append((f"PO-{i}-{d:%m%d}", "Acme", sku, d, float(rng.integers(1, 8))))
        mine_s = [s for s in sales if s[1] == sku]
        mine_r = [r for r in receipts if r[2] == sku]
        # the count that makes the lowest rebuilt level exactly 0 (some days start empty)
        ends = [0.0]
        for d in reversed(days):
            ends.append(ends[-1] + sum(s[2] for s in mine_s if s[0] == d) - sum(r[4] for r in mine_r if r[3] == d))
        rows.append(dict(sku=sku, on_hand=max(0.0, -min(ends)), supplier="Acme" if i % 5 else "Other"))
    stock = make_stock(*rows)
    got = out_of_stock_days(stock, make_sales(*sales), make_receipts(*receipts), AS_OF, 40)
    for i, r in enumerate(rows):
        mine_s = [s for s in sales if s[1] == r["sku"]]
        mine_r = [rc for rc in receipts if rc[2] == r["sku"]]
        start = start_of_day_stock(r["on_hand"], mine_s, mine_r, days)
        sold = {d for d, _, q in mine_s if q > 0}
        covered = bool(mine_r) or not sold  # "Other" logs no delivery: no rows means not rebuilt
        exp = [covered and s <= 1e-6 and d not in sold for s, d in zip(start, days)]
        assert got[i].tolist() == exp, r["sku"]
    assert got.sum() > 10


def test_without_receipts_or_days_out_of_stock_the_plan_is_as_before():
    stock = make_stock(dict(sku="P", on_hand=2.0, lead_time_days=5.0))
    sales = make_sales(*P_SALES)
    assert out_of_stock_days(stock, sales, None, AS_OF, 30) is None
    assert out_of_stock_days(stock, sales, make_receipts(), AS_OF, 30) is None
    # stock never ran out (8 more on hand): nothing to leave out
    assert out_of_stock_days(make_stock(dict(sku="P", on_hand=10.0)), sales, make_receipts(*P_RECEIPTS),
                             AS_OF, 30) is None
    # On Hand too low for the records (rebuilt stock below 0): not rebuilt, nothing left out
    assert out_of_stock_days(make_stock(dict(sku="P", on_hand=0.0)), sales, make_receipts(*P_RECEIPTS),
                             AS_OF, 30) is None


# ---------------------------------------------------------------------------------
# The forecast methods with holes in the series
# ---------------------------------------------------------------------------------
def compact_loops(xs: list[float]) -> dict[str, float]:
    """README's recursions in plain loops over the days in the series (holes removed)."""
    level = xs[0]
    for x in xs[1:]:
        level = 0.1 * x + 0.9 * level
    z = p = None
    q = 0
    for x in xs:
        q += 1
        if x > 0:
            z, p = (x, q) if z is None else (0.1 * x + 0.9 * z, 0.1 * q + 0.9 * p)
            q = 0
    prob = 1.0 if xs[0] > 0 else 0.0
    size = None
    for k, x in enumerate(xs):
        if k:
            prob = 0.1 * (x > 0) + 0.9 * prob
        if x > 0:
            size = x if size is None else 0.1 * x + 0.9 * size
    return {"Exponential Smoothing": level, "Croston": 0.95 * z / p, "TSB": prob * size,
            "Moving Average": sum(xs) / len(xs)}


def test_forecast_methods_skip_days_left_out_of_the_series():
    x = np.array([[0, 3, 0, 0, 0, 0, 0, 5, 0, 2, 0, 0, 4, 0.0]])
    mask = np.ones_like(x, dtype=bool)
    mask[0, 2:7] = False  # five days out of stock in the middle
    exp = compact_loops(x[0][mask[0]].tolist())
    for method, want in exp.items():
        got = fc.forecast([method], x, mask, horizon_days=[1]).daily[0]
        assert got == pytest.approx(want, rel=1e-12), method


def test_empirical_safety_stock_counts_windows_with_days_out_of_stock_by_hand():
    # README formula 5: a window with days out of stock counts when its first day and a
    # quarter of its days were open, its empty days at the pace of its open days. One
    # item (the shop's pooled factor is then its own), Moving Average, L = 7, R = 7:
    # H = 14, p = 95%, windows with a sale on their first 7 days.
    rng = np.random.default_rng(11)
    n = 200
    x = (rng.poisson(3, n) * (rng.random(n) < 0.6)).astype(float)
    x[150:160] = rng.poisson(9, 10)  # a busy fortnight ...
    out = np.zeros((1, n), dtype=bool)
    out[0, 153:160] = True  # ... on whose last 7 days the shelf was empty
    days = [AS_OF - dt.timedelta(days=n - 1 - k) for k in range(n)]
    sales = make_sales(*[(d, "P", q) for d, q in zip(days, x) if q > 0])
    stock = make_stock(dict(sku="P", on_hand=0.0, lead_time_days=7.0, service_level=0.95))
    cfg = settings(history_days=n, safety_stock_method="Empirical")
    got, _ = plan_reorder(stock, sales, ACME, cfg, unavailable=out)

    first = int(np.argmax(x > 0))  # the series starts on the first sale
    valid = ~out[0] & (np.arange(n) >= first)
    seen = np.cumsum(np.where(valid, x, 0.0)) - np.where(valid, x, 0.0)  # units sold on the valid days before t
    days_seen = np.cumsum(valid) - valid
    rate = np.where(days_seen > 0, seen / np.maximum(days_seen, 1), np.nan)  # Moving Average at the start of t
    windows = loop_window_errors(x.tolist(), valid.tolist(), rate.tolist(), 14)
    # Cycle: only windows with a sale on their first 7 (open) days
    kept = [(t, e) for t, e in enumerate(windows) if e is not None and (x[t:t + 7] * valid[t:t + 7]).sum() > 0]
    errors = [e for _, e in kept]
    with_empty_days = sum(not valid[t:t + 14].all() for t, _ in kept)
    exp = loop_quantile(errors, 0.95)
    assert len(errors) >= safety.POOL_MIN_WINDOWS  # so the shop's factor is the item's own
    assert got.loc[0, "safety_stock"] == pytest.approx(exp, rel=1e-9)
    assert 0 < with_empty_days < len(errors)
    assert got.loc[0, "reason"].endswith(
        f"over {len(errors)} windows of 14 days were calmer). {with_empty_days} of those windows had days out of "
        "stock, counted at the pace of their open days.")
    # the windows over the empty days really count: the old rule (only windows with every
    # day open, whose errors are the same) gives less
    calm = [e for t, e in kept if valid[t:t + 14].all()]
    assert exp > loop_quantile(calm, 0.95)


def test_auto_scores_a_flat_series_with_a_stock_out_as_perfect():
    # 2 a day every day it was in stock; out for 10 days in the hold-out (x = 0, left out).
    # Each origin's actual 14-day total counts only the days in stock, so the Moving
    # Average and Exponential Smoothing forecasts (2 a day) are exact: RMSSE 0.
    x = np.full((1, 200), 2.0)
    mask = np.ones_like(x, dtype=bool)
    x[0, 170:180] = 0.0
    mask[0, 170:180] = False
    choice = fc.auto(x, mask)
    assert choice.scores[0, :2].tolist() == [0.0, 0.0]


# ---------------------------------------------------------------------------------
# The backtest's replay
# ---------------------------------------------------------------------------------
def test_replay_leaves_the_days_its_shelf_was_empty_out_of_later_plans(monkeypatch):
    # A sells 2 a day; on window day 2 eight more lines of 2 (18 that day). Lead time 10,
    # review 7, history 20 days, Moving Average. The start plan has d = 2, σd = 0, so the
    # shelf starts at S = 2 × 17 = 34 (order up to the reorder point): 32, 30, 12, 10, 8,
    # 6, 4, 2 and 0 at the end of day 8. Day 7's order arrives on day 17, so days 9-16
    # start empty.
    # Review on day 14 (As Of = day 13, history days -6 .. 13): days 9-13 are left out, and
    # d = (14 × 2 + 18) / 15 over days -6 .. 8.
    # B is A with two more lines of 2 on day 8: it starts that day with 2 and runs out
    # (4 unserved); a day that ran out part way is kept with its recorded sales:
    # d = (13 × 2 + 18 + 6) / 15 over days -6 .. 8.
    first = AS_OF - dt.timedelta(days=20)
    lines = [(first + dt.timedelta(days=k), sku, 2.0) for k in range(-40, 21) for sku in "AB"]
    lines += [(first + dt.timedelta(days=2), sku, 2.0) for _ in range(8) for sku in "AB"]
    lines += [(first + dt.timedelta(days=8), "B", 2.0)] * 2
    stock = make_stock(*[dict(sku=sku, lead_time_days=10.0, service_level=0.95) for sku in "AB"])
    spy = CountingPlanner()
    plans = []
    monkeypatch.setattr(bt, "plan_reorder", lambda *a, **kw: plans.append(spy(*a, **kw)) or plans[-1])
    s = Settings(as_of_date=AS_OF, review_period_days=7, history_days=20, forecast_method="Moving Average")
    bt.backtest(stock, make_sales(*lines), ACME, s, days=21)
    assert spy.as_of == [first - dt.timedelta(days=1)] + [first + dt.timedelta(days=k - 1) for k in (0, 7, 14)]
    assert [p[0].loc[0, "daily_demand"] for p in plans[:3]] == pytest.approx([2.0, 2.0, 56 / 20])
    assert plans[2][0].loc[1, "daily_demand"] == pytest.approx(56 / 20)  # B's day 8 is still to come
    assert spy.kw[:3] == [{"explain": False}] * 3  # no day censored yet; the replay writes no Reasons
    out = spy.kw[3]["unavailable"]
    assert out.shape == (2, 20) and out.tolist() == [[False] * 15 + [True] * 5] * 2
    assert plans[3][0]["daily_demand"].tolist() == pytest.approx([46 / 15, 50 / 15])


def test_docstring_examples_run():
    result = doctest.testmod(availability)
    assert result.attempted > 0 and result.failed == 0
