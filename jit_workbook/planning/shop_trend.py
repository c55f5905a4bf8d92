"""The shop's trend: when the whole shop sells faster than its items' forecasts, raise them.

Each item's forecast learns from its own sales only, and a small item's few sales take
weeks to show that the shop has entered its busy season (the run-up to Christmas). The
shop's total shows it within days. So, over the last ``TREND_DAYS`` days:

    g = Σ_items min(sold_i, ITEM_CAP × forecast_i) ÷ Σ_items forecast_i

where forecast_i is what the item's method forecast for those days, each day from the
days before it (the fitted rates of :mod:`.forecast`, × the seasonal index), and
sold_i its units sold on the same days (exceptional lines capped, days out of stock
left out). Each item counts at most ``ITEM_CAP`` × its forecast, so one item's
promotion does not raise the whole shop. When g ≥ ``MIN_RAISE`` (1.1), every item's
forecast (Daily Demand and the forecast over L + R) and its safety stock are
multiplied by min(g, ``MAX_RAISE``): a forecast's errors grow with the level it is made
at, and the item's were measured in calmer weeks. A smaller g changes nothing: a fortnight within 10% of the forecasts
is noise (on the generated shops, raising by every g above 1 added a point of service
that was not asked for), and a quiet fortnight is not a reason to hold less. A shop with
fewer than ``MIN_ITEMS`` items forecast to sell in those days has no total steadier
than its items, and g = 1.

Measured (``scripts/bench.py --shop online-retail --backtest-only``): +0.7 point of
cycle service on the real shop, whose sales doubled from September to November, and
+0.6 more from raising the safety stock too.

Source: the top-down view of forecast reconciliation, Hyndman & Athanasopoulos (2021),
FPP3 section 11.1 (an aggregate series is steadier than its parts and shows a common
level shift first); the tracking signal of Silver, Pyke & Thomas (2017), ch. 4.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TREND_DAYS = 14  # the last two weeks: long enough to smooth a day's noise, short enough to see a run-up
ITEM_CAP = 3.0  # an item counts at most 3 × its own forecast
MIN_RAISE = 1.1  # below 10% more than forecast, a fortnight's total is within its noise
MAX_RAISE = 1.5  # forecasts are raised by at most half
MIN_ITEMS = 30  # with fewer items forecast to sell, the shop's total is no steadier than an item's


def shop_trend(matrix: Any, mask: Any, fitted_rate: Any, day_index: Any = None,
               days: int = TREND_DAYS) -> float:
    """g, the factor every item's forecast is multiplied by: 1 when the shop sold less
    than ``MIN_RAISE`` × its forecasts or has fewer than ``MIN_ITEMS`` items forecast to
    sell; at most ``MAX_RAISE``.

    Parameters
    ----------
    matrix, mask : ndarray (SKUs × days)
        Units sold per day and the valid days (as for :func:`.safety.window_errors`).
    fitted_rate : ndarray, same shape
        The daily rate each item's method forecast at the start of each day (NaN where none).
    day_index : ndarray, same shape, optional
        The day's seasonal index (1 for flat methods).
    days : int
        The last this many days are compared.

    Items forecast at 2 a day sold 3 and 30 a day over the last 2 days: the second kind
    counts 3 × 2 × 2 = 12 of its 60, so g = (6 + 12) ÷ (4 + 4) = 2.25, raised at most 1.5×.

    >>> x = np.repeat([[3.0, 3.0], [30.0, 30.0]], 15, axis=0)  # 15 items of each
    >>> shop_trend(x, np.ones_like(x, bool), np.full_like(x, 2.0), days=2)
    1.5
    >>> x = np.repeat([[2.0, 3.0]], 30, axis=0)
    >>> shop_trend(x, np.ones_like(x, bool), np.full_like(x, 2.0), days=2)
    1.25
    >>> shop_trend(x[:29], np.ones((29, 2), bool), np.full((29, 2), 2.0), days=2)
    1.0
    >>> shop_trend(np.repeat([[2.0, 2.3]], 30, axis=0), np.ones((30, 2), bool), np.full((30, 2), 2.0), days=2)
    1.0
    """
    x = np.asarray(matrix, dtype=float)[:, -days:]
    f = np.asarray(fitted_rate, dtype=float)[:, -days:]
    if day_index is not None:
        f = f * np.asarray(day_index, dtype=float)[:, -days:]
    ok = np.asarray(mask, dtype=bool)[:, -days:] & np.isfinite(f)
    forecast = np.where(ok, f, 0.0).sum(axis=1)
    sold = np.minimum(np.where(ok, x, 0.0).sum(axis=1), ITEM_CAP * forecast)
    total = float(forecast.sum())
    if not total > 0 or int((forecast > 0).sum()) < MIN_ITEMS:
        return 1.0
    g = float(sold.sum() / total)
    return min(g, MAX_RAISE) if g >= MIN_RAISE else 1.0
