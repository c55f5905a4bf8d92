"""Sorting SKUs: ABC classes by sales value, and OBSOLETE / SLOW stock flags."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .demand import day_number

DAYS_PER_MONTH = 30.4  # average days per month used for "months of cover" (365 / 12 ≈ 30.4)
SHARE_TOLERANCE = 1e-9  # a cumulative share within this of a boundary counts as on it


def abc_class(values: Any, a_share: float = 0.80, b_share: float = 0.95) -> Any:
    """ABC class of each SKU from its sales value (Pareto analysis).

    SKUs are ranked by value, highest first (ties keep their input order). For each SKU
    let *before* be the share of the total positive value held by the SKUs ranked above
    it. Then:

    - A when before < ``a_share`` (so the SKU that crosses 80% is still A);
    - B when ``a_share`` ≤ before < ``b_share`` (the SKU that crosses 95% is still B);
    - C otherwise, and always when its value is ≤ 0 or NaN.

    A share exactly on a boundary (within 1e-9, to absorb float noise) counts as
    reaching it: a SKU whose predecessors hold exactly 80% is B. When no SKU has a
    positive value, all are C.

    Parameters
    ----------
    values : array-like or Series of float
        Sales value per SKU over the history window (money; returns netted).
    a_share, b_share : float
        Cumulative share boundaries (fractions), default 0.80 and 0.95.

    Returns
    -------
    ndarray of str, or a Series with the input's index when given a Series.

    Raises
    ------
    ValueError
        If not 0 < a_share ≤ b_share ≤ 1.

    Source: Silver, Pyke & Thomas (2017), ch. 2 (the ABC classification by annual
    dollar usage: a Pareto ranking in which about 20% of SKUs hold 80% of the value).

    Values 50, 30, 15, 5 (total 100): the shares before each are 0, 50%, 80%, 95%:

    >>> abc_class([30, 5, 50, 15, 0]).tolist()
    ['A', 'C', 'A', 'B', 'C']
    """
    if not 0 < a_share <= b_share <= 1:
        raise ValueError(f"need 0 < a_share <= b_share <= 1, got a_share={a_share}, b_share={b_share}")
    v = np.nan_to_num(np.asarray(values, dtype=float).ravel(), nan=0.0)
    positive = v > 0
    order = np.argsort(-v, kind="stable")
    ranked = np.where(positive[order], v[order], 0.0)
    total = ranked.sum()
    before = np.concatenate(([0.0], np.cumsum(ranked)[:-1])) / (total if total > 0 else 1.0)
    ranked_class = np.where(before < a_share - SHARE_TOLERANCE, "A",
                            np.where(before < b_share - SHARE_TOLERANCE, "B", "C")).astype(object)
    ranked_class[~positive[order]] = "C"
    out = np.empty(len(v), dtype=object)
    out[order] = ranked_class
    if isinstance(values, pd.Series):
        return pd.Series(out, index=values.index, dtype="str")
    return out


def days_of_cover(on_hand: Any, daily_demand: Any) -> Any:
    """How many days the stock on hand lasts at the current rate of sale.

    cover = on_hand / d, NaN when d ≤ 0 (or either is NaN).

    Parameters
    ----------
    on_hand : float or array-like
        Units in the shop.
    daily_demand : float or array-like
        d, units/day.

    Returns
    -------
    float or ndarray (a Series when ``on_hand`` is a Series), in days.

    Source: Silver, Pyke & Thomas (2017), ch. 2 (days of supply / coverage as an
    aggregate inventory measure).

    >>> days_of_cover(30, 2.0), days_of_cover(30, 0)
    (15.0, nan)
    """
    oh = np.asarray(on_hand, dtype=float)
    d = np.asarray(daily_demand, dtype=float)
    cover = np.divide(oh, d, out=np.full(np.broadcast(oh, d).shape, np.nan), where=d > 0)
    if isinstance(on_hand, pd.Series):
        return pd.Series(cover, index=on_hand.index)
    return cover.item() if cover.ndim == 0 else cover


def _to_days(dates: Any) -> np.ndarray:
    """Day numbers (float, NaN for NaT/None) of a date, or of an array or Series of dates."""
    if np.ndim(dates) == 0:
        return np.array(np.nan if pd.isna(dates) else float(day_number(dates)))
    arr = np.asarray(pd.to_datetime(dates), dtype="datetime64[ns]").astype("datetime64[D]")
    return np.where(np.isnat(arr), np.nan, arr.astype(np.int64).astype(float))


def stock_flags(on_hand: Any, daily_demand: Any, last_sale: Any, as_of: Any, obsolete_after_days: int,
                slow_mover_months: float, earliest_sale: Any) -> Any:
    """OBSOLETE, SLOW or "" for each SKU.

    - OBSOLETE: on_hand > 0 and no sale in the last N = ``obsolete_after_days`` days,
      i.e. ``last_sale`` < as_of − N + 1 day or no sale ever — but only when the sales
      history reaches back that far (``earliest_sale`` ≤ as_of − N + 1 day), so a shop
      that has just started keeping sales is not told everything is dead.
    - else SLOW: d > 0 and days of cover (on_hand / d) > ``slow_mover_months`` × 30.4.
    - else "".

    Parameters
    ----------
    on_hand : float or array-like
        Units in the shop (NaN never flags).
    daily_demand : float or array-like
        d, units/day.
    last_sale : date-like or array-like of dates
        Each SKU's last day with a positive sale (NaT/None when never).
    as_of : date-like
        The As Of Date.
    obsolete_after_days : int
        N, days without a sale after which stock is OBSOLETE (≥ 1).
    slow_mover_months : float
        Months of cover above which stock is SLOW (> 0).
    earliest_sale : date-like or None
        The earliest sale date in the whole sales history (None/NaT when no sales).

    Returns
    -------
    str for scalar inputs, else ndarray of str (a Series when ``on_hand`` is a Series).

    Raises
    ------
    ValueError
        If ``obsolete_after_days`` < 1 or ``slow_mover_months`` ≤ 0.

    Source: Silver, Pyke & Thomas (2017), ch. 8 (managing slow-moving and dead
    inventory: SKUs with no recent demand or years of supply are candidates for
    disposal).

    >>> stock_flags(5, 0.0, "2026-03-02", "2026-11-27", 180, 12, earliest_sale="2025-01-01")
    'OBSOLETE'
    >>> stock_flags(400, 1.0, "2026-11-20", "2026-11-27", 180, 12, earliest_sale="2025-01-01")
    'SLOW'
    >>> stock_flags(5, 0.0, None, "2026-11-27", 180, 12, earliest_sale="2026-10-01")
    ''
    """
    if obsolete_after_days < 1:
        raise ValueError(f"obsolete_after_days must be 1 or more, got {obsolete_after_days}")
    if not slow_mover_months > 0:
        raise ValueError(f"slow_mover_months must be above 0, got {slow_mover_months}")
    oh = np.asarray(on_hand, dtype=float)
    d = np.asarray(daily_demand, dtype=float)
    cutoff = day_number(as_of) - int(obsolete_after_days) + 1
    earliest = _to_days(earliest_sale)
    covered = bool(earliest <= cutoff)  # NaN (no sales at all) compares False
    last = _to_days(last_sale)
    obsolete = covered & (oh > 0) & (np.isnan(last) | (last < cutoff))
    slow = (d > 0) & (np.asarray(days_of_cover(oh, d)) > slow_mover_months * DAYS_PER_MONTH)
    flags = np.where(obsolete, "OBSOLETE", np.where(slow, "SLOW", "")).astype(object)
    if isinstance(on_hand, pd.Series):
        return pd.Series(flags, index=on_hand.index, dtype="str")
    return flags.item() if flags.ndim == 0 else flags
