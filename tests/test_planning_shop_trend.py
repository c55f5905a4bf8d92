"""The shop's trend (README formula 1c) against a plain loop, and in the plan: every
forecast raised by the factor, said in Reason; a quiet shop and the Normal method unchanged."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from jit_workbook.planning import plan_reorder
from jit_workbook.planning.shop_trend import ITEM_CAP, MAX_RAISE, MIN_ITEMS, MIN_RAISE, TREND_DAYS, shop_trend
from jit_workbook.settings import Settings
from test_planning_reorder import ACME, AS_OF, make_sales, make_stock


def loop_trend(x, valid, rate, days=TREND_DAYS):
    """README: g = Σ min(sold, 3 × forecast) ÷ Σ forecast over the last 14 days; 1 below 1.1, at most 1.5."""
    sold_total = forecast_total = 0.0
    items = 0
    for i in range(len(x)):
        f = s = 0.0
        for t in range(len(x[i]) - days, len(x[i])):
            if valid[i][t] and not np.isnan(rate[i][t]):
                f += rate[i][t]
                s += x[i][t]
        sold_total += min(s, ITEM_CAP * f)
        forecast_total += f
        items += f > 0
    if forecast_total <= 0 or items < MIN_ITEMS:
        return 1.0
    g = sold_total / forecast_total
    return min(g, MAX_RAISE) if g >= MIN_RAISE else 1.0


@pytest.mark.parametrize("seed,lift", [(1, 1.0), (2, 1.2), (3, 1.6), (4, 0.8), (5, 1.06), (6, 1.14)])
def test_shop_trend_matches_a_plain_loop(seed, lift):
    rng = np.random.default_rng(seed)
    n, days = 60, 40
    rate = rng.uniform(0.5, 4, (n, days))
    x = rng.poisson(rate * lift).astype(float)
    x[0, -3:] = 500.0  # one item's promotion counts at most 3 × its forecast
    valid = rng.random((n, days)) > 0.05
    rate[rng.random((n, days)) < 0.05] = np.nan
    got = shop_trend(x, valid, rate)
    assert got == pytest.approx(loop_trend(x, valid, rate), rel=1e-12)
    assert got == 1.0 or MIN_RAISE <= got <= MAX_RAISE


def _shop(n_items: int, recent_per_day: float):
    """n_items items selling 2 a day for 60 days, then recent_per_day for the last 14."""
    lines = []
    for i in range(n_items):
        for k in range(74):
            day = AS_OF - dt.timedelta(days=73 - k)
            lines.append((day, f"S{i:02d}", recent_per_day if k >= 60 else 2.0))
    stock = make_stock(*[dict(sku=f"S{i:02d}", on_hand=0.0, lead_time_days=7.0) for i in range(n_items)])
    return stock, make_sales(*lines)


def test_the_plan_raises_every_forecast_when_the_whole_shop_outsells_them():
    stock, sales = _shop(40, 3.0)
    s = Settings(as_of_date=AS_OF, history_days=74, forecast_method="Moving Average")
    plan, _ = plan_reorder(stock, sales, ACME, s)
    # Moving Average's forecast for each of the last 14 days is the mean of the days before it.
    series = [2.0] * 60 + [3.0] * 14
    fitted = [np.mean(series[:t]) for t in range(60, 74)]
    g = min(sum(series[60:]) / sum(fitted), MAX_RAISE)
    assert g > 1.2
    mean = np.mean(series)
    assert plan["daily_demand"].to_numpy() == pytest.approx(np.full(40, mean * g), rel=1e-9)
    assert plan["reorder_point"].to_numpy() - plan["safety_stock"].to_numpy() == pytest.approx(
        np.full(40, mean * g * 14), rel=1e-9)
    assert plan.loc[0, "reason"].count(f"Forecast and safety stock raised {g:.2f}×: the whole shop sold "
                                       f"{g - 1:.0%} more than forecast over the last 14 days.") == 1
    # Safety stock (README formula 5, Empirical) by hand, then × g: the window errors over
    # H = L + R = 14 days from each origin t with 28 days before it and 14 after (t = 28 .. 60;
    # every window starts with a sale), e_t = units sold in t .. t + 13 − 14 × mean of the days
    # before t; the item's own p-quantile (no item has the 90 windows the shop's floor needs)
    # as a factor k = q ÷ σ_H, σ_H = √(mean e²), and the supplier's σL = 2 days.
    errors = sorted(sum(series[t:t + 14]) - 14 * np.mean(series[:t]) for t in range(28, 61))
    sigma_h = np.sqrt(np.mean(np.square(errors)))
    for p in plan["service_level"].unique():
        q = errors[int(np.ceil(p * len(errors) - 1e-9)) - 1]
        expected = g * q / sigma_h * np.sqrt(sigma_h ** 2 + mean ** 2 * 2.0 ** 2)
        assert plan.loc[plan["service_level"] == p, "safety_stock"].to_numpy() == pytest.approx(expected, rel=1e-9)


def test_a_quiet_shop_a_small_shop_and_the_normal_method_are_not_raised():
    s = Settings(as_of_date=AS_OF, history_days=74, forecast_method="Moving Average")
    quiet, q_sales = _shop(40, 1.0)
    plan, _ = plan_reorder(quiet, q_sales, ACME, s)
    assert plan["daily_demand"].to_numpy() == pytest.approx(np.full(40, (60 * 2 + 14) / 74), rel=1e-12)
    assert not plan["reason"].str.contains("Forecast and safety stock raised").any()
    small, s_sales = _shop(MIN_ITEMS - 1, 3.0)
    plan, _ = plan_reorder(small, s_sales, ACME, s)
    assert plan["daily_demand"].to_numpy() == pytest.approx(np.full(MIN_ITEMS - 1, (60 * 2 + 14 * 3) / 74))
    busy, b_sales = _shop(40, 3.0)
    plan, _ = plan_reorder(busy, b_sales, ACME, s.model_copy(update={"safety_stock_method": "Normal"}))
    assert plan["daily_demand"].to_numpy() == pytest.approx(np.full(40, (60 * 2 + 14 * 3) / 74), rel=1e-12)


def trend_in(reason: str) -> float:
    """The shop's trend factor a Reason states ("Forecast and safety stock raised 1.14×: ..."), else 1:
    for the end-to-end tests whose demo shop happens to be selling above its forecasts."""
    import re

    found = re.search(r"Forecast and safety stock raised (\d+\.\d+)×", reason)
    return float(found.group(1)) if found else 1.0
