"""Safety stock from the item's own forecast errors (the ``Empirical`` method), and for
a fill-rate target.

The textbook safety stock (:func:`.policy.safety_stock`, the ``Normal`` method) assumes
that one day's forecast error is normal and independent of the next. On lumpy and
intermittent demand neither holds, and the promised service level is not the one the
shop gets. The ``Empirical`` method measures instead how wrong the forecast has really
been over the protection interval H = L + R:

1. **Window errors.** For every day t of the item's history with at least
   ``WARMUP_DAYS`` valid days before it and H days from it, the error is
   e_t = (units sold on days t .. t + H − 1) − (the forecast made at the start of day t
   for those days). H is L + R rounded up to whole days.
   **Days out of stock** (not valid) inside a window are counted at the pace of the
   window's open days: units sold on the open days × (forecast weight of all H days ÷
   that of the open days; plain day counts for the flat methods). The window counts when
   its first day was open and at least ``MIN_OPEN_SHARE`` (a quarter) of its days were.
   Why: the shelf runs empty in the busiest windows, so leaving out every window with
   an empty day leaves out the errors the safety stock is for (measured on the real
   shop: 90.2% → 92.5% cycle service for a 94.6% target); counting the empty days as
   the forecast instead would assume the demand was calm exactly when it was not.
   **Only windows that end a cycle** (Cycle measure): a window counts when the item sold
   on its first R days (R rounded up, at least 1 day). The plan orders at a review only
   after a sale, so a replenishment cycle ends — and can run out — exactly in such a
   window; for an item that does not sell every week, the windows with no sale at the
   start would make the shelf look safer than the cycles the owner lives through
   (measured on the real shop: class C served 80.6% of cycles for a 90.3% target).
2. **Cycle service level p.** The item's own safety stock is the p-quantile of its
   window errors: sort the n errors, take the one at position ⌈p·n⌉ (the smallest error
   that at least p of the windows did not exceed).
3. **Fill rate β.** The safety stock s is the smallest with an expected shortage per
   cycle, mean of max(e_t − s, 0), at most (1 − β) × the demand of one cycle, d × R
   (d × 1 day when R = 0).
4. **The shop's errors as a floor** (Cycle). An item's own windows overlap and cover
   at most a year, so its quantile underestimates how far it can really be out; the
   shop's items together show it. With k_item = own safety stock ÷ σ_H (σ_H = √(mean
   e_t²), the root mean square window error) and k_shop = the p-quantile (position
   ⌈p·N⌉) of the N standardised errors e_t ÷ σ_H of all the shop's items with at least
   ``POOL_MIN_WINDOWS`` windows: k = k_shop + w·(k_item − k_shop) when k_item is the
   larger, else k_shop, with w = n ÷ (n + ``SHRINK_WINDOWS``), so an item's calmer history
   never lowers its factor below the shop's and a short history raises it only a
   little. With no such item in the shop, k = k_item.
   **Few windows** (Fill Rate): the item's k is blended with its ABC class's typical
   one, k_class = the median k_item of the class's items with at least
   ``POOL_MIN_WINDOWS`` windows: k = w·k_item + (1 − w)·k_class.
   Safety stock = k × √(σ_H² + d²·σL²): the delivery time's spread σL adds to the error
   as in the textbook formula.
5. Never below 0; an item with no window at all uses the Normal method.

Sources: Silver, Pyke & Thomas (2017), ch. 6 (safety stock from the distribution of
forecast errors over the protection interval; the expected shortage per replenishment
cycle for a fill-rate target, ESPRC); Trapero, Cardós & Kourentzes (2019), "Empirical
safety stock estimation based on kernel and GARCH models", Omega 84 (empirical
quantiles of lead-time forecast errors beat the normal approximation on real demand).
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np

from ..contract import SERVICE_MEASURES

WARMUP_DAYS = 28  # a forecast needs 4 weeks of history before its errors count
SHRINK_WINDOWS = 30  # an item with n windows keeps weight n / (n + 30) on its own figure
POOL_MIN_WINDOWS = 90  # items with fewer windows do not set their class's typical figure
ERROR_DAYS = 365  # windows starting in the last year count (a longer History Days costs no more)
MIN_OPEN_SHARE = 0.25  # a window with days out of stock counts when at least this share of its days were open


def window_errors(matrix: Any, mask: Any, fitted_rate: Any, horizon_days: Any,
                  day_index: Any = None, warmup_days: int = WARMUP_DAYS,
                  error_days: int = ERROR_DAYS, sold_first_days: Any = None,
                  min_open_share: float = MIN_OPEN_SHARE, with_short: bool = False) -> Any:
    """Errors of the forecast over every H-day window of each item's history.

    e_t = X_t − f_t · Σ_{j<H} s_{t+j}, for the origins t in the last ``error_days`` days
    whose H days lie inside the history, whose first day is valid, at least
    ⌈``min_open_share`` · H⌉ of whose days are valid, and that have at least
    ``warmup_days`` valid days before them (NaN elsewhere). f_t is the daily rate
    forecast at the start of day t from the days before it, s the day's seasonal index
    (1 for flat methods). X_t is the units sold on the window's valid days, counted up
    to the whole window at their pace when some days are not valid (out of stock):
    X_t = Σ_valid x × Σ_{j<H} s_{t+j} ÷ Σ_valid s (Nahmias 1994: sales on days out of
    stock understate demand). With ``sold_first_days`` = R, only windows with a sale on
    their first R days (R rounded up, 1 to H) count: the windows that end a cycle.

    Parameters
    ----------
    matrix : ndarray (SKUs × days)
        x, units sold per day.
    mask : ndarray of bool, same shape
        Valid days (the item's series; stock-out days left out).
    fitted_rate : ndarray, same shape
        f_t, units/day; NaN where the method had no forecast.
    horizon_days : array-like, one per SKU
        H = L + R in days; rounded up to whole days, at least 1.
    day_index : ndarray, same shape, optional
        s_t, seasonal index per day (default 1).
    warmup_days : int
        Valid days needed before an origin.
    error_days : int
        Only origins in the last this many days count.
    sold_first_days : float, optional
        R, the review period in days: keep only windows with units sold on days
        t .. t + R − 1 (None: every window).
    min_open_share : float
        The share of a window's days that must be valid (out of stock: not valid).
    with_short : bool
        Also return which counted windows had days out of stock.

    Returns
    -------
    ndarray (SKUs × min(days, error_days)), units; column j is the window starting on
    day days − min(days, error_days) + j. With ``with_short``, the pair (errors, short):
    ``short`` is True on the counted windows that had days out of stock.

    >>> x = np.array([[1.0, 3.0, 1.0, 3.0, 5.0]])
    >>> window_errors(x, np.ones_like(x, bool), np.full_like(x, 2.0), [2], warmup_days=1).tolist()
    [[nan, 0.0, 0.0, 4.0, nan]]

    Day 4 out of stock: the window of days 3-4 sold 1 on its open day, counted as 2 × 1.

    >>> open_days = np.array([[True, True, True, False, True]])
    >>> window_errors(x, open_days, np.full_like(x, 2.0), [2], warmup_days=1).tolist()
    [[nan, 0.0, -2.0, nan, nan]]

    Sales 0, 0, 4, 0, 0 forecast at 1 a day, H = 2, R = 1: only the window starting on
    the sale day counts.

    >>> x = np.array([[0.0, 0.0, 4.0, 0.0, 0.0]])
    >>> window_errors(x, np.ones_like(x, bool), np.ones_like(x), [2], warmup_days=1,
    ...               sold_first_days=1).tolist()
    [[nan, nan, 2.0, nan, nan]]
    """
    x = np.asarray(matrix, dtype=float)
    m = np.asarray(mask, dtype=bool)
    n, days = x.shape
    h = np.maximum(np.ceil(np.nan_to_num(np.asarray(horizon_days, dtype=float), nan=0.0) - 1e-9), 1)
    # A horizon longer than the history has no window to measure (and 1e308 days, typed as a
    # lead time, would overflow the cast to whole days).
    h = np.broadcast_to(np.minimum(h, days + 1), (n,)).astype(np.int64)
    f = np.asarray(fitted_rate, dtype=float)
    cum_x = np.zeros((n, days + 1))
    np.cumsum(np.where(m, x, 0.0), axis=1, out=cum_x[:, 1:])
    cum_m = np.zeros((n, days + 1), dtype=np.int32)
    np.cumsum(m, axis=1, out=cum_m[:, 1:])
    first = max(days - int(error_days), 0)
    origin = slice(first, days)
    inside = np.arange(first, days)[None, :] + h[:, None] <= days
    sold = _at_window_end(cum_x, h, first) - cum_x[:, origin]
    before = cum_m[:, origin]
    open_days = _at_window_end(cum_m, h, first) - before
    need = np.ceil(float(min_open_share) * h - 1e-9).clip(1, None)
    ok = inside & m[:, origin] & (open_days >= need[:, None])
    ok &= before >= warmup_days
    rate = f[:, origin]
    ok &= np.isfinite(rate)
    if day_index is None:
        weight, weight_open = h[:, None].astype(float), open_days.astype(float)
    else:
        s = np.asarray(day_index, dtype=float)
        cum_s = np.zeros((n, days + 1))
        np.cumsum(s, axis=1, out=cum_s[:, 1:])
        weight = _at_window_end(cum_s, h, first) - cum_s[:, origin]
        np.cumsum(np.where(m, s, 0.0), axis=1, out=cum_s[:, 1:])
        weight_open = _at_window_end(cum_s, h, first) - cum_s[:, origin]
    # Days out of stock counted at the open days' pace (a window with every day open is as sold).
    short = open_days < h[:, None]
    scale = ok & short & (weight_open > 0)
    np.multiply(sold, weight, out=sold, where=scale)
    np.divide(sold, weight_open, out=sold, where=scale)
    sold -= np.where(ok, rate, 0.0) * weight
    if sold_first_days is not None:
        r = np.minimum(h, min(max(int(np.ceil(float(sold_first_days) - 1e-9)), 1), days + 1))
        ok &= (_at_window_end(cum_x, r, first) - cum_x[:, origin]) > 0
    sold[~ok] = np.nan
    return (sold, ok & short) if with_short else sold


def _at_window_end(cum: np.ndarray, h: np.ndarray, first: int) -> np.ndarray:
    """cum[i, min(t + h_i, days)] for the origins t = first .. days − 1 (SKUs × origins),
    where ``cum`` has days + 1 columns. Sliced once per distinct horizon: an index array
    per cell (``take_along_axis``) costs several times more on a shop's 4,000 × 365 days."""
    days = cum.shape[1] - 1
    out = np.empty((cum.shape[0], days - first), dtype=cum.dtype)
    for hv in np.unique(h):
        rows = slice(None) if len(h) and (h == hv).all() else np.flatnonzero(h == hv)
        lo = first + int(hv)
        k = min(max(days - lo + 1, 0), days - first)  # origins whose window ends inside
        out[rows, :k] = cum[rows, lo:lo + k]
        out[rows, k:] = cum[rows, days:days + 1]
    return out


def _sorted_desc(errors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's errors largest first (NaN last) and the count of errors per row."""
    n_w = np.isfinite(errors).sum(axis=1)
    desc = -np.sort(np.where(np.isfinite(errors), -errors, np.inf), axis=1)  # NaN → −inf, last
    return desc, n_w


def quantile_safety_stock(desc: np.ndarray, n_w: np.ndarray, service_level: Any) -> np.ndarray:
    """The p-quantile of each row's errors: sorted ascending, the one at position ⌈p·n⌉.

    ``desc`` holds the errors largest first (as from ``_sorted_desc``), so that error is
    at 0-based position n − ⌈p·n⌉. NaN where a row has no error.

    >>> quantile_safety_stock(np.array([[9.0, 4.0, 1.0, -2.0]]), np.array([4]), [0.75]).tolist()
    [4.0]
    """
    p = np.broadcast_to(np.asarray(service_level, dtype=float), n_w.shape)
    rank = np.ceil(p * n_w - 1e-9).astype(np.int64)  # 1-based position in ascending order
    pos = np.clip(n_w - rank, 0, max(desc.shape[1] - 1, 0))
    out = desc[np.arange(len(n_w)), pos] if desc.shape[1] else np.full(len(n_w), np.nan)
    return np.where(n_w > 0, out, np.nan)


def shortage_safety_stock(desc: np.ndarray, n_w: np.ndarray, allowed_shortage: Any) -> np.ndarray:
    """The smallest s with mean(max(e − s, 0)) ≤ the allowed shortage per cycle, per row.

    Σ max(e_i − s, 0) = max over k of (sum of the k largest errors − k·s), so the condition
    holds for every k exactly when s ≥ (sum of the k largest − n × allowed) ÷ k; s is the
    largest of those bounds. NaN where a row has no error.

    >>> shortage_safety_stock(np.array([[9.0, 4.0, 1.0, -2.0]]), np.array([4]), [1.0]).tolist()
    [5.0]
    """
    allowed = np.broadcast_to(np.asarray(allowed_shortage, dtype=float), n_w.shape)
    k = np.arange(1, desc.shape[1] + 1)[None, :]
    top = np.cumsum(np.where(np.isfinite(desc), desc, 0.0), axis=1)
    bound = (top - (n_w * allowed)[:, None]) / k
    bound[k > n_w[:, None]] = -np.inf
    out = bound.max(axis=1, initial=-np.inf)
    return np.where(n_w > 0, out, np.nan)


_GRID = np.linspace(-4.0, 6.0, 2001)


def _normal_loss(k: np.ndarray) -> np.ndarray:
    nd = NormalDist()
    return np.array([nd.pdf(v) - v * (1 - nd.cdf(v)) for v in k])


_LOSS = _normal_loss(_GRID)  # G(k) = φ(k) − k·(1 − Φ(k)), decreasing in k


def fill_rate_safety_factor(allowed_shortage: Any, sigma: Any) -> np.ndarray:
    """k with σ·G(k) = the allowed shortage per cycle (normal loss function G).

    Parameters
    ----------
    allowed_shortage : array-like
        (1 − β) × demand per cycle, units.
    sigma : array-like
        σ of demand (or forecast error) over the protection interval, units.

    Returns
    -------
    k (dimensionless), between −4 and 6; the caller keeps safety stock ≥ 0.

    Source: Silver, Pyke & Thomas (2017), ch. 6 (fill rate P2: ESPRC = σ·G(k) =
    (1 − P2)·Q, here Q the demand of one review period).

    >>> round(float(fill_rate_safety_factor([0.0833], [1.0])[0]), 2)
    1.0
    """
    ratio = np.divide(np.asarray(allowed_shortage, dtype=float), np.asarray(sigma, dtype=float),
                      out=np.full(np.broadcast(allowed_shortage, sigma).shape, np.inf),
                      where=np.asarray(sigma, dtype=float) > 0)
    return np.interp(ratio, _LOSS[::-1], _GRID[::-1])


def shop_factor(desc: np.ndarray, n_w: np.ndarray, sigma_h: np.ndarray, service_level: Any) -> np.ndarray:
    """k_shop per item: the p-quantile (position ⌈p·N⌉, smallest first) of the N
    standardised window errors e ÷ σ_H of all items with at least ``POOL_MIN_WINDOWS``
    windows, at each item's own p. NaN for every item when no item has that many.

    >>> desc = np.array([[4.0] * 45 + [-4.0] * 45, [2.0] * 45 + [-2.0] * 45])
    >>> shop_factor(desc, np.array([90, 90]), np.array([4.0, 2.0]), [0.5, 0.51]).tolist()
    [-1.0, 1.0]
    """
    p = np.broadcast_to(np.asarray(service_level, dtype=float), n_w.shape)
    pool = (n_w >= POOL_MIN_WINDOWS) & (sigma_h > 0)
    out = np.full(len(n_w), np.nan)
    if not pool.any():
        return out
    z = desc[pool] / sigma_h[pool][:, None]
    z = z[np.isfinite(z)]
    levels = np.unique(p[np.isfinite(p)])
    kth = np.clip(np.ceil(levels * len(z) - 1e-9).astype(np.int64) - 1, 0, len(z) - 1)  # 0-based, ascending
    ranked = np.partition(z, kth)  # one pass for every level
    for level, j in zip(levels, kth):
        out[p == level] = ranked[j]
    return out


def empirical_factor(errors: np.ndarray, service_level: Any, measure: str, allowed_shortage: Any,
                     groups: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Safety factor k per item from its window errors and the shop's (Cycle) or its
    group's (Fill Rate), as in the module's rule 4.

    Parameters
    ----------
    errors : ndarray (SKUs × origins)
        Window errors from :func:`window_errors` (NaN where none).
    service_level : array-like, per SKU
        p (Cycle) or β (Fill Rate), fractions.
    measure : "Cycle" or "Fill Rate"
    allowed_shortage : array-like, per SKU
        (1 − β) × d × R, units (used for Fill Rate).
    groups : array-like, per SKU
        The pooling group for Fill Rate (the ABC class).

    Returns
    -------
    (k, sigma_h, windows, shop_floor): the factor (NaN where no window and no pooled
    figure), σ_H = √(mean e²) in units, the number of windows n, and whether the shop's
    figure set k (its own errors were calmer, Cycle only).

    >>> e = np.array([[3.0, -1.0, 2.0, 0.0, -2.0, 1.0, 5.0, -3.0]])
    >>> k, s, n, floor = empirical_factor(e, [0.875], "Cycle", [0.0], ["A"])
    >>> round(float(s[0]), 4), int(n[0]), round(float(k[0]), 4), bool(floor[0])
    (2.5739, 8, 1.1655, False)
    """
    if measure not in SERVICE_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(SERVICE_MEASURES)}, got {measure!r}")
    desc, n_w = _sorted_desc(errors)
    sq = np.where(np.isfinite(desc), desc, 0.0) ** 2
    sigma_h = np.sqrt(np.divide(sq.sum(axis=1), n_w, out=np.zeros(len(n_w)), where=n_w > 0))
    if measure == "Cycle":
        own = quantile_safety_stock(desc, n_w, service_level)
    else:
        own = shortage_safety_stock(desc, n_w, allowed_shortage)
    k_own = np.divide(own, sigma_h, out=np.full(len(n_w), np.nan), where=sigma_h > 0)
    w = n_w / (n_w + SHRINK_WINDOWS)
    if measure == "Cycle":
        k_shop = shop_factor(desc, n_w, sigma_h, service_level)
        floor = np.isfinite(k_shop) & (n_w > 0) & ~(k_own > k_shop)  # NaN k_own (σ_H = 0): the shop's
        k = np.where(floor, k_shop, np.where(np.isfinite(k_shop), k_shop + w * (k_own - k_shop), k_own))
        return k, sigma_h, n_w, floor
    g = np.asarray(groups, dtype=object)
    k_group = np.full(len(n_w), np.nan)
    for name in set(g.tolist()):
        rows = g == name
        pool = rows & (n_w >= POOL_MIN_WINDOWS) & np.isfinite(k_own)
        if pool.any():
            k_group[rows] = np.median(k_own[pool])
    k = np.where(np.isfinite(k_group), w * np.nan_to_num(k_own, nan=0.0) + (1 - w) * k_group,
                 np.where(n_w > 0, k_own, np.nan))
    k = np.where(np.isfinite(k_own) | (n_w == 0), k, k_group)  # σ_H = 0: the group's figure
    return k, sigma_h, n_w, np.zeros(len(n_w), dtype=bool)
