"""backtest: the reorder policy replayed on history, beside a just-in-case baseline.

Generated shops with known demand (Poisson per day, fixed lead times) check that the
replay achieves what the policy promises; small cases check the edges and the
bookkeeping of replenishment cycles.
"""

from __future__ import annotations

import datetime as dt
import doctest
import math

import numpy as np
import pandas as pd
import pytest

from jit_workbook.planning import backtest as bt
from jit_workbook.planning.backtest import BacktestResult, backtest, review_step
from jit_workbook.settings import Settings
from test_planning_reorder import make_sales, make_stock, make_suppliers
from test_review_obsolete import shop_inputs

AS_OF = dt.date(2026, 11, 27)
ACME = make_suppliers(("Acme", 7.0, 0.0))
SEEDS = (1, 2, 3)


def poisson_shop(seed: int, n: int = 120, history: int = 730, p: float = 0.90,
                 leads: tuple = (3.0, 5.0, 10.0)):
    """n SKUs with Poisson daily demand (mean 1–10 a day), fixed lead times, one target."""
    rng = np.random.default_rng(seed)
    rate = rng.uniform(1, 10, n)
    lead = rng.choice(leads, n)
    counts = rng.poisson(rate[:, None], (n, history))
    item, day = np.nonzero(counts)
    sales = pd.DataFrame({
        "date": (pd.Timestamp(AS_OF) - pd.to_timedelta(history - 1 - day, unit="D")).astype("datetime64[ns]"),
        "sku": pd.Series([f"S{i:03d}" for i in item], dtype="str"),
        "quantity": counts[item, day].astype(float), "unit_price": np.nan})
    sales["row"] = np.arange(2, len(sales) + 2)
    cost = rng.uniform(1, 20, n)
    stock = make_stock(*[dict(sku=f"S{i:03d}", lead_time_days=lead[i], service_level=p, unit_cost=cost[i])
                         for i in range(n)])
    return stock, sales, ACME


def daily(sku: str, qty: float, days: int, end: dt.date = AS_OF) -> list[tuple]:
    return [(pd.Timestamp(end) - pd.Timedelta(days=k), sku, qty) for k in range(days)]


@pytest.fixture(scope="module")
def poisson_runs():
    out = {}
    for seed in SEEDS:
        stock, sales, suppliers = poisson_shop(seed)
        out[seed] = backtest(stock, sales, suppliers, Settings(as_of_date=AS_OF, review_period_days=7), days=365)
    return out


def tolerance(result: BacktestResult) -> float:
    """Three standard errors of a proportion p over the N cycles counted, plus 0.02 for
    the forecast's estimate of d and σd (365 days of Poisson history: the
    relative error of d is about 1/√(365·d), which moves the stock-out probability
    of a cycle by about a point at these demand rates)."""
    p, n = result.overall["target_service_level"], result.overall["jit_cycles"]
    return 3 * math.sqrt(p * (1 - p) / n) + 0.02


def test_achieved_cycle_service_level_is_not_below_target(poisson_runs):
    # The target is a floor; how far above it the rule lands, and why, is checked
    # against an independent simulation in test_planning_backtest_service.py.
    for seed, result in poisson_runs.items():
        o = result.overall
        assert o["target_service_level"] == pytest.approx(0.90)
        assert o["jit_cycles"] > 3000
        assert o["jit_cycle_service_level"] >= o["target_service_level"] - tolerance(result), seed
    mean = np.mean([r.overall["jit_cycle_service_level"] for r in poisson_runs.values()])
    assert mean >= 0.90 - min(tolerance(r) for r in poisson_runs.values())


def test_jit_holds_less_stock_than_just_in_case_at_a_comparable_fill_rate(poisson_runs):
    for seed, result in poisson_runs.items():
        o = result.overall
        floor = o["target_service_level"] - tolerance(result)
        assert o["jit_fill_rate"] >= floor and o["jic_fill_rate"] >= floor, seed
        assert o["jit_avg_stock_value"] < 0.5 * o["jic_avg_stock_value"], seed
        assert o["jit_orders"] > o["jic_orders"], seed
        per = result.per_sku
        assert (per["jit_avg_stock_value"] < per["jic_avg_stock_value"]).mean() > 0.95


def test_overall_pools_the_skus(poisson_runs):
    result = poisson_runs[1]
    per, o = result.per_sku, result.overall
    for m in ("cycles", "orders", "stockout_days", "avg_stock_value", "lost_units"):
        assert o[f"jit_{m}"] == pytest.approx(per[f"jit_{m}"].sum())
    assert o["jit_fill_rate"] == pytest.approx(per["jit_served_units"].sum() / per["demand_units"].sum())
    assert (per["jit_served_units"] + per["jit_lost_units"]).to_numpy() == pytest.approx(per["demand_units"])
    table = result.table()
    assert len(table) == len(per) + 1 and table["sku"].iloc[-1] == "All SKUs"
    assert table["jit_cycles"].iloc[-1] == o["jit_cycles"]


class CountingPlanner:
    """Calls the real plan_reorder and counts the calls (a spy: nothing is faked)."""

    def __init__(self):
        self.calls, self.as_of, self.kw = 0, [], []
        self.real = bt.plan_reorder

    def __call__(self, stock, sales, suppliers, settings, **kw):
        self.calls += 1
        self.as_of.append(settings.as_of_date)
        self.kw.append(kw)
        assert sales["date"].max() <= pd.Timestamp(settings.as_of_date)  # only what was known then
        return self.real(stock, sales, suppliers, settings, **kw)


@pytest.mark.parametrize("review, days, exp_reviews", [(7, 60, 9), (3.5, 20, 5), (1, 10, 10), (0, 12, 12)])
def test_one_plan_reorder_call_per_review(monkeypatch, review, days, exp_reviews):
    spy = CountingPlanner()
    monkeypatch.setattr(bt, "plan_reorder", spy)
    stock = make_stock(dict(sku="A", lead_time_days=2.0))
    sales = make_sales(*daily("A", 3.0, 200))
    result = backtest(stock, sales, ACME, Settings(as_of_date=AS_OF, review_period_days=review), days=days)
    assert result.reviews == exp_reviews == len(result.review_days)
    assert spy.calls == exp_reviews + 1  # plus the plan that sizes the starting stock
    start = AS_OF - dt.timedelta(days=days - 1)
    step = review_step(review)
    assert spy.as_of[1:] == [start + dt.timedelta(days=k * step - 1) for k in range(exp_reviews)]


def test_constant_demand_is_served_in_full_with_one_order_per_review_after_the_first():
    stock = make_stock(dict(sku="A", lead_time_days=3.0, unit_cost=4.0))
    sales = make_sales(*daily("A", 2.0, 300))
    result = backtest(stock, sales, ACME, Settings(as_of_date=AS_OF, review_period_days=7), days=70)
    row = result.per_sku.iloc[0]
    assert row["jit_fill_rate"] == 1.0 and row["jit_stockout_days"] == 0 and row["jit_lost_units"] == 0
    assert row["jit_orders"] == 9 and row["jit_ordered_units"] == 9 * 14  # d·R each time
    assert row["jit_cycle_service_level"] == 1.0 and row["jit_cycles"] == 8
    assert row["demand_units"] == 140
    # σd = 0, so s = d(L+R) = 20 and S = 34: stock runs 34 → 20 → 34 ...
    assert row["jit_avg_stock_value"] == pytest.approx(row["jit_avg_stock_units"] * 4.0)


def test_sku_without_demand_and_do_not_reorder_skus_are_never_ordered():
    stock = make_stock(dict(sku="A", lead_time_days=3.0), dict(sku="QUIET", lead_time_days=3.0),
                       dict(sku="STOP", lead_time_days=3.0, status="Do Not Reorder"),
                       dict(sku="GONE", lead_time_days=3.0, status="Discontinued"))
    sales = make_sales(*daily("A", 2.0, 200), *daily("STOP", 2.0, 200), *daily("GONE", 1.0, 200))
    per = backtest(stock, sales, ACME, Settings(as_of_date=AS_OF), days=100).per_sku.set_index("sku")
    for prefix in ("jit", "jic"):
        assert per.loc[["QUIET", "STOP", "GONE"], f"{prefix}_orders"].tolist() == [0, 0, 0]
        assert per.loc["A", f"{prefix}_orders"] > 0
    assert per.loc["QUIET", "demand_units"] == 0 and np.isnan(per.loc["QUIET", "jit_fill_rate"])
    assert per.loc["QUIET", "jit_avg_stock_units"] == 0 and per.loc["QUIET", "jit_cycles"] == 0
    # Never reordered: the starting stock sells down and then demand is lost.
    assert per.loc["STOP", "status"] == "DO NOT REORDER"
    assert 0 < per.loc["STOP", "jit_fill_rate"] < 1 and per.loc["STOP", "jit_stockout_days"] > 0
    assert np.isnan(per.loc["STOP", "jit_cycle_service_level"])


def test_sku_without_a_lead_time_is_not_ordered_and_starts_empty():
    stock = make_stock(dict(sku="A", supplier="Nobody"))
    per = backtest(stock, make_sales(*daily("A", 1.0, 200)), ACME, Settings(as_of_date=AS_OF), days=30).per_sku
    assert per.loc[0, "status"] == "CHECK DATA" and np.isnan(per.loc[0, "lead_time_days"])
    assert per.loc[0, "jit_orders"] == 0 and per.loc[0, "jit_fill_rate"] == 0 and per.loc[0, "jit_stockout_days"] == 30


def test_lead_time_longer_than_the_review_period_keeps_several_orders_on_the_way():
    stock = make_stock(dict(sku="A", lead_time_days=20.0, service_level=0.95))
    rng = np.random.default_rng(5)
    sales = make_sales(*[(pd.Timestamp(AS_OF) - pd.Timedelta(days=k), "A", float(q))
                         for k, q in enumerate(rng.poisson(4.0, 500)) if q])
    result = backtest(stock, sales, ACME, Settings(as_of_date=AS_OF, review_period_days=3), days=300)
    row = result.per_sku.iloc[0]
    assert row["lead_time_days"] == 20
    # ~100 reviews, an order at most of them, each taking 20 days: 6 or 7 on the way at once.
    assert row["jit_orders"] > 60 and row["jit_cycles"] > 50
    assert row["jit_fill_rate"] > 0.97 and row["jit_cycle_service_level"] >= 0.9


def test_continuous_review_replays_every_day():
    stock = make_stock(dict(sku="A", lead_time_days=4.0))
    rng = np.random.default_rng(9)
    sales = make_sales(*[(pd.Timestamp(AS_OF) - pd.Timedelta(days=k), "A", float(q))
                         for k, q in enumerate(rng.poisson(6.0, 400)) if q])
    result = backtest(stock, sales, ACME, Settings(as_of_date=AS_OF, review_period_days=0), days=60)
    assert result.reviews == 60
    row = result.per_sku.iloc[0]
    assert row["jit_orders"] > 30  # R = 0: S = s, so nearly every day tops the shelf up
    assert row["jit_fill_rate"] > 0.9


def test_returns_are_ignored():
    stock = make_stock(dict(sku="A", lead_time_days=2.0))
    lines = daily("A", 2.0, 200)
    with_returns = make_sales(*lines, *[(pd.Timestamp(AS_OF) - pd.Timedelta(days=k), "A", -1.0) for k in (3, 9)])
    got = backtest(stock, with_returns, ACME, Settings(as_of_date=AS_OF), days=30).per_sku
    assert got.loc[0, "demand_units"] == 60


@pytest.mark.parametrize("received, unmet, exp_cycles, exp_csl", [
    # arrivals on days 1 and 5: one closed cycle (days 1-4); the stock-out on day 0 is before it
    ([0, 1, 0, 0, 0, 1, 0], [1, 0, 0, 0, 0, 0, 1], 1, 1.0),
    ([0, 1, 0, 0, 0, 1, 0], [0, 0, 0, 1, 1, 0, 0], 1, 0.0),   # two stock-out days, one cycle
    ([1, 0, 1, 0, 1, 0, 1], [0, 1, 0, 0, 0, 1, 0], 3, 1 / 3),  # cycles 0-1, 2-3, 4-5
    ([1, 0, 1, 0, 1, 0, 1], [0, 0, 0, 0, 0, 0, 1], 3, 1.0),  # day 6 is in the open last cycle
    ([0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0], 0, np.nan),  # one arrival: no closed cycle
])
def test_cycles_run_from_one_arrival_to_the_day_before_the_next(received, unmet, exp_cycles, exp_csl):
    shelf = bt._Shelf(np.zeros(1), days=7, horizon=0)
    shelf.received[0] = np.array(received, dtype=bool)
    shelf.unmet[0] = np.array(unmet, dtype=bool)
    got = shelf.measures(np.array([7.0]), np.array([1.0]))
    assert got["cycles"][0] == exp_cycles
    np.testing.assert_equal(got["cycle_service_level"][0], exp_csl)
    assert got["stockout_days"][0] == sum(unmet)


@pytest.mark.parametrize("kw, message", [
    (dict(days=0), "days must be a whole number from 1 to 3660, got 0"),
    (dict(days=10.5), "days must be a whole number"),
    (dict(policy="magic"), "policy must be one of jit, got 'magic'"),
])
def test_bad_arguments_are_named(kw, message):
    stock = make_stock(dict(sku="A", lead_time_days=2.0))
    with pytest.raises(ValueError, match=message):
        backtest(stock, make_sales(), ACME, Settings(as_of_date=AS_OF), **kw)


def test_demo_shop_jit_holds_less_stock_than_just_in_case():
    stock, sales, suppliers, settings = shop_inputs("demo")
    result = backtest(stock, sales, suppliers, settings, days=180)
    o = result.overall
    assert o["reviews"] == 26 and o["skus"] == len(stock)
    assert o["jit_avg_stock_value"] < 0.5 * o["jic_avg_stock_value"]
    assert o["jit_fill_rate"] > 0.9 and o["jit_cycle_service_level"] > o["target_service_level"] - 0.05
    assert (result.per_sku["status"].eq("DO NOT REORDER") <= result.per_sku["jit_orders"].eq(0)).all()


def test_inputs_are_not_changed():
    stock = make_stock(dict(sku="A", lead_time_days=2.0, on_hand=5.0))
    sales = make_sales(*daily("A", 1.0, 50))
    before = (stock.copy(), sales.copy())
    backtest(stock, sales, ACME, Settings(as_of_date=AS_OF), days=20)
    pd.testing.assert_frame_equal(stock, before[0])
    pd.testing.assert_frame_equal(sales, before[1])


def test_docstring_examples_run():
    assert doctest.testmod(bt).failed == 0


# ---------------------------------------------------------------------------------
# What the shop actually held: stock rebuilt backwards from On Hand, Sales and Receipts
# ---------------------------------------------------------------------------------
WEEK = [AS_OF - dt.timedelta(days=k) for k in range(6, -1, -1)]  # the 7-day window, Nov 21 … Nov 27


def make_receipts(*rows: tuple) -> pd.DataFrame:
    """Receipts as (po_number, supplier, sku, received, quantity); received None = blank."""
    frame = pd.DataFrame([{"po_number": r[0], "supplier": r[1], "sku": r[2], "ordered": pd.NaT,
                           "received": pd.Timestamp(r[3]) if r[3] is not None else pd.NaT, "quantity": r[4]}
                          for r in rows], columns=["po_number", "supplier", "sku", "ordered", "received", "quantity"])
    frame["received"] = frame["received"].astype("datetime64[ns]")
    frame["quantity"] = frame["quantity"].astype(float)
    frame["row"] = np.arange(2, len(frame) + 2)
    return frame


def nov(day: int) -> dt.date:
    return dt.date(2026, 11, day)


# SKU A, counted 10 at the end of Nov 27. Worked forward by hand from the opening stock:
# Nov 20 (opening) 11; Nov 21 sells 2 → 9; Nov 22 → 9; Nov 23 receives 6, sells 5 → 10;
# Nov 24 a return of 1 → 11; Nov 25 receives 2 → 13; Nov 26 receives 4, sells 4 → 13;
# Nov 27 sells 3 → 10, the count.
A_SALES = [(nov(10), "A", 1.0), (nov(21), "A", 2.0), (nov(23), "A", 5.0), (nov(24), "A", -1.0),
           (nov(26), "A", 4.0), (nov(27), "A", 3.0), (nov(28), "A", 9.0)]  # Nov 10 before, Nov 28 after
A_RECEIPTS = [("PO-0", "Acme", "A", nov(1), 50.0),   # before the window: no effect, but A has rows
              ("PO-1", "Acme", "A", nov(23), 6.0),
              ("po-1 ", "Acme", "A", nov(25), 2.0),  # the rest of PO-1 (any case, spaces ignored)
              ("", "Acme", "A", nov(26), 4.0),       # no PO number: one delivery per Received date
              ("PO-9", "Acme", "A", nov(28), 30.0)]  # after the count: left out
A_EXP = [11.0, 9.0, 9.0, 10.0, 11.0, 13.0, 13.0, 10.0]  # opening, then the end of Nov 21 … Nov 27


def test_rebuilt_stock_matches_the_hand_worked_week():
    sales = make_sales(*A_SALES)
    got = bt.rebuild_stock(np.array([10.0]), pd.Index(["A"]), sales, make_receipts(*A_RECEIPTS), WEEK[0], WEEK[-1])
    assert got.tolist() == [A_EXP]


def test_rebuilt_stock_matches_a_plain_loop_over_lines():
    """The vectorised rebuild against the definition, line by line, on random data."""
    rng = np.random.default_rng(4)
    skus = pd.Index([f"S{i}" for i in range(25)])
    start, end = nov(1), nov(27)
    lines = [(nov(int(d)), f"S{int(i)}", float(q)) for d, i, q in
             zip(rng.integers(1, 29, 900), rng.integers(0, 26, 900), rng.integers(-2, 9, 900))]  # S25: not stocked
    sales = make_sales(*[(pd.Timestamp(d) - pd.Timedelta(days=20 * (k % 3 == 0)), s, q)  # some before the window
                         for k, (d, s, q) in enumerate(lines)])
    receipts = make_receipts(*[("", "Acme", f"S{int(i)}", nov(int(d)), float(q)) for d, i, q in
                               zip(rng.integers(1, 29, 120), rng.integers(0, 25, 120), rng.integers(1, 30, 120))])
    on_hand = rng.integers(0, 40, len(skus)).astype(float)
    got = bt.rebuild_stock(on_hand, skus, sales, receipts, start, end)
    days = [start + dt.timedelta(days=k) for k in range(-1, (end - start).days + 1)]  # day before, then window
    exp = np.zeros((len(skus), len(days)))
    for i, sku in enumerate(skus):
        for j, t in enumerate(days):
            level = on_hand[i]
            for d, s, q in zip(sales["date"].dt.date, sales["sku"], sales["quantity"]):
                level += q if s == sku and t < d <= end else 0.0
            for d, s, q in zip(receipts["received"].dt.date, receipts["sku"], receipts["quantity"]):
                level -= q if s == sku and t < d <= end else 0.0
            exp[i, j] = level
    np.testing.assert_allclose(got, exp, rtol=0, atol=1e-9)


def actual_week(stock: pd.DataFrame, sales: pd.DataFrame, receipts: pd.DataFrame | None) -> BacktestResult:
    return backtest(stock, sales, make_suppliers(("Acme", 2.0, 0.0), ("Crafts", 2.0, 0.0)),
                    Settings(as_of_date=AS_OF, review_period_days=7), days=7, receipts=receipts)


def test_actual_measures_of_the_hand_worked_week():
    stock = make_stock(dict(sku="A", on_hand=10.0, unit_cost=3.0),
                       dict(sku="B", on_hand=0.0, unit_cost=2.0),
                       dict(sku="K", on_hand=5.0, unit_cost=8.0, consignment=True))
    # B, counted 0: ends Nov 21 … 27 at 0, 0, 0, 0, 2, 2, 0 (3 in and out on Nov 22, 2 in on Nov 25 sold Nov 27).
    sales = make_sales(*A_SALES, (nov(22), "B", 3.0), (nov(27), "B", 2.0), (nov(24), "K", 1.0))
    receipts = make_receipts(*A_RECEIPTS, ("", "Acme", "B", nov(22), 3.0), ("", "Acme", "B", nov(25), 2.0),
                             ("C-1", "Crafts", "K", nov(23), 1.0))
    result = actual_week(stock, sales, receipts)
    per = result.per_sku.set_index("sku")
    assert per["actual_skus"].tolist() == [1, 1, 1] and per["actual_note"].tolist() == ["", "", ""]
    assert per.loc["A", "actual_avg_stock_units"] == pytest.approx(sum(A_EXP[1:]) / 7)  # 75 / 7
    assert per.loc["A", "actual_avg_stock_value"] == pytest.approx(75 / 7 * 3.0)
    assert per.loc["A", "actual_orders"] == 2  # PO-1 (in two parts) and the Nov 26 delivery
    assert per.loc["A", "actual_empty_shelf_days"] == 0
    assert per.loc["B", "actual_avg_stock_units"] == pytest.approx(4 / 7)
    assert per.loc["B", "actual_orders"] == 2 and per.loc["B", "actual_empty_shelf_days"] == 5
    # Consignment stock is worth 0 to the shop, as for the two policies: 5, 5, 6, 5, 5, 5, 5 units.
    assert per.loc["K", "actual_avg_stock_units"] == pytest.approx(36 / 7)
    assert per.loc["K", "actual_avg_stock_value"] == 0
    o = result.overall
    assert o["actual_skus"] == 3
    assert o["actual_avg_stock_value"] == pytest.approx(75 / 7 * 3.0 + 4 / 7 * 2.0)
    assert o["actual_orders"] == 5 and o["actual_empty_shelf_days"] == 5
    assert o["covered_jit_avg_stock_value"] == pytest.approx(o["jit_avg_stock_value"])
    assert o["actual_note"].startswith("actual stock rebuilt for 3 of 3 SKUs; on those, average stock value: actual ")
    table = result.table()
    assert table["actual_skus"].iloc[-1] == 3 and table["actual_note"].iloc[-1] == o["actual_note"]


def test_actual_is_blank_where_the_rebuilt_stock_goes_below_zero():
    stock = make_stock(dict(sku="A", on_hand=10.0), dict(sku="C", on_hand=1.0))
    # C: counted 1, sold 1 on Nov 26, and a 5 received on Nov 24 typed in twice: back from
    # the count 1 (Nov 27), 1 (Nov 26), 2, 2 (Nov 24) and then 2 − 10 = −8 from Nov 23 back.
    sales = make_sales(*A_SALES, (nov(26), "C", 1.0))
    receipts = make_receipts(*A_RECEIPTS, ("PO-5", "Acme", "C", nov(24), 5.0), ("PO-5", "Acme", "C", nov(24), 5.0))
    got = bt.rebuild_stock(np.array([1.0]), pd.Index(["C"]), sales, receipts, WEEK[0], WEEK[-1])
    assert got.tolist() == [[-8.0, -8.0, -8.0, -8.0, 2.0, 2.0, 1.0, 1.0]]
    per = actual_week(stock, sales, receipts).per_sku.set_index("sku")
    assert per.loc["C", "actual_skus"] == 0
    for m in bt.ACTUAL_MEASURES:
        assert np.isnan(per.loc["C", f"actual_{m}"]), m
    assert per.loc["C", "actual_note"].startswith(  # the newest day below zero: just before the receipts
        "rebuilt stock would be -8 at the end of 2026-11-23: On Hand is lower than Sales and Receipts explain")
    assert per.loc["A", "actual_skus"] == 1  # the other SKU is still rebuilt
    # Even typed once, 5 received is more than the count of 1 explains (2 − 5 = −3); a receipt of 1 is not.
    assert actual_week(stock, sales, make_receipts(*A_RECEIPTS, ("PO-5", "Acme", "C", nov(24), 5.0))
                       ).per_sku.set_index("sku").loc["C", "actual_skus"] == 0
    once = make_receipts(*A_RECEIPTS, ("PO-5", "Acme", "C", nov(24), 1.0))  # 1, then 1, 1, 1, 2, 2, 1, 1
    assert actual_week(stock, sales, once).per_sku.set_index("sku").loc["C", "actual_skus"] == 1


@pytest.mark.parametrize("stock_row, sales_lines, receipt_rows, exp_skus, note", [
    # sold, no Receipts row, but its supplier delivered other things in the window: it sold from stock
    (dict(sku="D", on_hand=4.0), [(nov(25), "D", 2.0)], [], 1, ""),
    # sold, and neither it nor its supplier is on Receipts: deliveries nobody logged
    (dict(sku="E", on_hand=4.0, supplier="Crafts"), [(nov(25), "E", 2.0)], [], 0,
     "sold in the window, but Receipts has no row of it and no delivery from its supplier"),
    # never sold in the window: it needed no delivery, the stock was the count all along
    (dict(sku="F", on_hand=7.0, supplier="Crafts"), [(nov(2), "F", 2.0)], [], 1, ""),
    (dict(sku="G", on_hand=float("nan")), [], [], 0, "On Hand is blank"),
    (dict(sku="H", on_hand=9.0), [], [("PO-7", "Acme", "H", None, 4.0)], 0,
     "a Receipts row of this SKU has no Received date or Quantity"),
    (dict(sku="H", on_hand=9.0), [], [("PO-7", "Acme", "H", nov(22), float("nan"))], 0,
     "a Receipts row of this SKU has no Received date or Quantity"),
])
def test_which_skus_receipts_allow(stock_row, sales_lines, receipt_rows, exp_skus, note):
    stock = make_stock(dict(sku="A", on_hand=10.0), stock_row)
    result = actual_week(stock, make_sales(*A_SALES, *sales_lines), make_receipts(*A_RECEIPTS, *receipt_rows))
    row = result.per_sku.set_index("sku").loc[stock_row["sku"]]
    assert row["actual_skus"] == exp_skus
    assert row["actual_note"].startswith(note) if note else row["actual_note"] == ""
    if exp_skus:
        exp = 36 / 7 if stock_row["sku"] == "D" else 7.0  # D: 6, 6, 6, 6, 4, 4, 4
        assert row["actual_avg_stock_units"] == pytest.approx(exp)
        assert row["actual_orders"] == 0
    else:
        assert np.isnan(row["actual_avg_stock_value"])


@pytest.mark.parametrize("receipts", [None, make_receipts(), make_receipts(("PO-0", "Acme", "A", nov(1), 50.0))])
def test_nothing_is_rebuilt_without_receipts_in_the_window(receipts):
    stock = make_stock(dict(sku="A", on_hand=10.0), dict(sku="F", on_hand=7.0))
    result = actual_week(stock, make_sales(*A_SALES), receipts)
    per, o = result.per_sku, result.overall
    assert per["actual_skus"].tolist() == [0, 0] and o["actual_skus"] == 0
    assert per["actual_note"].str.startswith("no Receipts row received in the window").all()
    for m in bt.ACTUAL_MEASURES:
        assert per[f"actual_{m}"].isna().all() and np.isnan(o[f"actual_{m}"])
    assert o["actual_note"] == "no Receipts row received in the window: the actual stock cannot be rebuilt"
    assert result.overall["jit_orders"] == actual_week(stock, make_sales(*A_SALES), None).overall["jit_orders"]


def test_demo_shop_receipts_rebuild_all_but_the_consignment_items():
    from jit_workbook.demo import make_shop

    stock, sales, suppliers, settings = shop_inputs("demo")
    receipts = make_shop("demo")["Receipts"]
    result = backtest(stock, sales, suppliers, settings, days=180, receipts=receipts)
    per, o = result.per_sku, result.overall
    blank = per[per["actual_skus"] == 0]
    assert set(blank["sku"]) == set(stock.loc[stock["consignment"], "sku"]) and len(blank) == 6
    assert o["actual_skus"] == 294 and o["actual_orders"] > 1000
    assert o["actual_avg_stock_value"] == pytest.approx(per["actual_avg_stock_value"].sum())
    assert o["covered_jit_avg_stock_value"] < o["actual_avg_stock_value"]
