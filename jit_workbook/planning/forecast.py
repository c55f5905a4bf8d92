"""Forecast methods for daily demand, vectorised across SKUs.

Every method takes the SKU × day matrix and valid-day mask of
:func:`~jit_workbook.planning.demand.daily_demand_matrix` (row = SKU, column = day,
oldest first; ``mask`` True on the days that belong to the SKU's series) and works on
all SKUs at once. The recursive methods loop over days, one numpy step per day across
all SKUs; there is no Python loop per SKU.

Each method returns the one-step (next-day) forecast and the in-sample one-step-ahead
fitted values ŷ_t (the forecast of day t made from the days before it; NaN on a SKU's
first valid day and on days outside its series), from which the forecast errors
e_t = x_t − ŷ_t give σ for the safety stock and the scores of :func:`auto`.

Symbols: x_t units sold on day t; α, α_d, α_p, β smoothing constants (0..1); φ the
trend damping (0..1); ℓ a level and b a trend (units/day); ŷ_{t+1} the forecast for
day t + 1 made at the end of day t.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .demand import moving_average

METHODS = ("Moving Average", "Exponential Smoothing", "Croston", "TSB", "Seasonal", "Auto", "Damped Trend")
MOVING_AVERAGE, SES, CROSTON, TSB, SEASONAL, AUTO, DAMPED = METHODS

# Syntetos–Boylan (2005) bias correction of Croston's method: (1 − α/2) with α = 0.1.
SBA_FACTOR = 0.95
CROSTON_ALPHA = 0.1  # statsforecast's CrostonSBA smooths sizes and intervals with 0.1
ADI_CUTOFF = 1.32  # Syntetos, Boylan & Croston (2005): ADI above this is intermittent
MIN_HISTORY_DAYS = 28  # fewer valid days than this: Auto uses the Moving Average
HOLDOUT_DAYS = 56  # Auto scores methods on the last 8 weeks (rolling origin)
SCORE_HORIZON_DAYS = 14  # ... forecasting the total of the next 14 days from each origin
YEAR_DAYS = 365
MIN_DEMAND_DAYS_PER_SEASON = 5  # own profile needs ≥ 5 selling days per season (month / weekday)
SHRINK_SELLING_DAYS = 60  # own seasonal profile weight n / (n + 60), n = selling days
SEASONAL_MARGIN = 0.9  # Auto takes Seasonal only if its score is ≤ 0.9 × the best other
# Damped Trend's fixed parameters: no per-SKU fitting, so one pass serves all SKUs, and
# a shop's few months of noisy daily sales would overfit α, β, φ anyway. Checked on
# generated daily Poisson series (250 SKUs × 4 seeds, 365 and 730 days; error of the
# next 21 days' total against the true rate, relative to Exponential Smoothing's):
# - α = 0.1, as Exponential Smoothing's default, so the two differ only by the trend;
# - β = 0.02 and φ = 0.98: on a rate rising 2 → 10 over 120 days the error is 0.73 ×
#   Exponential Smoothing's, on a rate tripling over the last 8 weeks (a Christmas
#   run-up) 0.78 ×, on 10 → 50 over a year 0.84 ×. The price: on a flat series it is
#   1.22 × (day-to-day noise moves the trend a little), which is why Auto must see it
#   win (it took Damped Trend for 0-1 % of flat series). β = 0.01 followed the run-up
#   too slowly (0.88 ×), β = 0.03 or 0.05 was noisier on flat series (1.33 ×, 1.38 ×);
#   φ = 0.98 carries a trend at most φ ÷ (1 − φ) = 49 days ahead (φ = 0.95: 19 days
#   followed trends less well for the same noise).
DAMPED_ALPHA = 0.1
DAMPED_BETA = 0.02
DAMPED_PHI = 0.98
DAMPED_MARGIN = 0.95  # Auto takes Damped Trend only if its score is ≤ 0.95 × the best other's


# ---------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------
def _inputs(matrix: Any, mask: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(matrix, dtype=float)
    m = np.asarray(mask, dtype=bool)
    if x.ndim != 2 or m.shape != x.shape:
        raise ValueError(f"matrix must be 2-D (SKUs × days) and mask the same shape; got {x.shape} and {m.shape}")
    return x, m


def _check_alpha(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value:g}")
    return value


def _starts(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first valid day of each SKU's series, later valid days), both SKUs × days."""
    prior = _after_first(m)
    return m & ~prior, m & prior


def _after_first(m: np.ndarray) -> np.ndarray:
    """True on the days after each row's first True (SKUs × days)."""
    first = np.where(m.any(axis=1), m.argmax(axis=1), m.shape[1])
    return np.arange(m.shape[1])[None, :] > first[:, None]


def _starts_t(m_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_starts` for a transposed (days × SKUs) mask."""
    prior = _after_first_t(m_t)
    return m_t & ~prior, m_t & prior


def _after_first_t(m_t: np.ndarray) -> np.ndarray:
    """:func:`_after_first` for a transposed (days × SKUs) mask."""
    first = np.where(m_t.any(axis=0), m_t.argmax(axis=0), m_t.shape[0])
    return np.arange(m_t.shape[0])[:, None] > first[None, :]


class _Transposed:
    """The inputs transposed to days × SKUs once, shared by the recursive methods
    (they loop over days, so a day must be one contiguous row)."""

    def __init__(self, x: np.ndarray, m: np.ndarray) -> None:
        self.x = np.ascontiguousarray(x.T)
        self.m = np.ascontiguousarray(m.T)
        self.init, self.upd = _starts_t(self.m)  # series start / later valid days
        self.demand = self.m & (self.x > 0)
        after_demand = _after_first_t(self.demand)
        self.first = self.demand & ~after_demand  # the first demand day
        self.later = self.demand & after_demand  # later demand days


def _smooth_step(level: np.ndarray, value: np.ndarray, init: np.ndarray, upd: np.ndarray, alpha: float,
                 tmp: np.ndarray) -> None:
    """One day of exponential smoothing across SKUs, in place: where ``init`` the level
    becomes the value; where ``upd`` it becomes α·value + (1 − α)·level; else it stays."""
    np.multiply(level, 1.0 - alpha, out=tmp)
    tmp += value * alpha
    np.copyto(level, tmp, where=upd)
    np.copyto(level, value, where=init)


@dataclass(frozen=True)
class _Fit:
    """One recursive method on all SKUs: ``forecast`` (next day, per SKU), ``sigma``
    (√ of the mean squared one-step error over the later valid days, 0 when there are
    none: :func:`forecast_errors_std`) and ``fitted_t``, the one-step forecasts of the
    days from ``keep_from`` on (days × SKUs, NaN where the day is not a later valid day).

    Damped Trend also keeps its level ℓ and trend b: ``level``/``trend`` at the end
    (per SKU) and ``level_t``/``trend_t`` at the start of each day from ``keep_from``
    (days × SKUs, NaN like ``fitted_t``), and φ, for its forecasts over several days."""

    forecast: np.ndarray
    sigma: np.ndarray
    fitted_t: np.ndarray
    keep_from: int = 0
    level: np.ndarray | None = None
    trend: np.ndarray | None = None
    level_t: np.ndarray | None = None
    trend_t: np.ndarray | None = None
    phi: float = 1.0

    def rows(self, rows: np.ndarray) -> "_Fit":
        def pick(a: np.ndarray | None, axis: int) -> np.ndarray | None:
            return None if a is None else a[(slice(None),) * axis + (rows,)]

        return _Fit(self.forecast[rows], self.sigma[rows], self.fitted_t[:, rows], self.keep_from,
                    pick(self.level, 0), pick(self.trend, 0), pick(self.level_t, 1), pick(self.trend_t, 1), self.phi)

    def over_horizon(self, horizon_days: Any) -> np.ndarray:
        """Σ of the forecasts of the next H days per SKU (H = ``horizon_days``, per SKU):
        forecast · H for the flat methods, :func:`_damped_total` for Damped Trend."""
        if self.trend is None:
            return self.forecast * horizon_days
        return _damped_total(self.level, self.trend, horizon_days, self.phi)

    def origin_totals(self, lo: int, hi: int, h: int) -> np.ndarray:
        """Forecast of the h-day total from each origin day lo .. hi − 1, made from the
        days before it (SKUs × origins; NaN where the origin has no forecast), as
        :func:`auto` scores them."""
        k = self.keep_from
        if self.trend_t is None:
            return self.fitted_t[lo - k:hi - k].T * h
        return _damped_total(self.level_t[lo - k:hi - k].T, self.trend_t[lo - k:hi - k].T, h, self.phi)


def _damped_total(level: np.ndarray, trend: np.ndarray, horizon_days: Any, phi: float) -> np.ndarray:
    """Σ_{k=1..H} max(0, ℓ + (φ + φ² + … + φ^k)·b): Damped Trend's forecasts of the next
    H days added up, each day's clipped at 0 (without a clipped day this is
    H·ℓ + b·Σ_{k=1..H} Σ_{j=1..k} φ^j). ``level``, ``trend`` any shape; H (days,
    broadcast to it; NaN counts as 0) may be fractional: the last day counts that share.
    One step per day of the horizon, on all SKUs at once."""
    h = np.broadcast_to(np.nan_to_num(np.asarray(horizon_days, dtype=float), nan=0.0), np.shape(level)).clip(0, None)
    total = np.zeros(np.shape(level))
    day = np.empty(np.shape(level))
    damp = 0.0
    shortest = h.min() if h.size else 0.0
    for k in range(int(np.ceil(h.max())) if h.size else 0):  # day k + 1 of the horizon
        damp = phi * (1.0 + damp)  # φ + φ² + … + φ^(k+1)
        np.multiply(trend, damp, out=day)
        day += level
        np.maximum(day, 0.0, out=day)
        if k + 1 > shortest:  # past some SKU's horizon: count the share of the day inside it
            day *= np.clip(h - k, 0.0, 1.0)
        total += day
    return total


def _recursions(tr: _Transposed, want: Any, alpha: float = 0.1, alpha_d: float = 0.1,
                alpha_p: float = 0.1, keep_from: int = 0,
                damped: tuple[float, float, float] | None = None) -> dict[str, _Fit]:
    """Exponential Smoothing, Croston (SBA), TSB and Damped Trend in one pass over the days.

    One loop over the days with a handful of numpy steps across all SKUs per day. The
    squared errors are summed as the loop goes, and fitted values are stored only from
    day ``keep_from`` (what :func:`auto` scores): no whole-history arrays per method,
    which is what made the methods slow on a first (cold) run. ``damped`` is Damped
    Trend's (α, β, φ), by default (DAMPED_ALPHA, DAMPED_BETA, DAMPED_PHI).
    """
    n_days, n = tr.x.shape
    keep_from = int(min(max(keep_from, 0), n_days))
    fitted = {name: np.empty((n_days - keep_from, n)) for name in want}
    scratch = {name: np.empty(n) for name in want}
    sse = {name: np.zeros(n) for name in want}
    tmp = np.empty(n)
    err = np.empty(n)
    level = np.zeros(n)  # Exponential Smoothing's ℓ
    size = np.zeros(n)  # Croston's smoothed demand size z (α = 0.1)
    size_d = size if alpha_d == CROSTON_ALPHA else np.zeros(n)  # TSB's z (α_d)
    interval = np.zeros(n)  # Croston's smoothed days between demands p
    prob = np.zeros(n)  # TSB's chance of demand π
    valid = np.zeros(n)  # the SKU's valid days so far: Croston's intervals skip days off its series
    last = np.zeros(n)  # valid days up to the previous demand day (0 before the first)
    seen = np.zeros(n, dtype=bool)  # a demand before day t
    croston, tsb_, ses_, damped_ = CROSTON in want, TSB in want, SES in want, DAMPED in want
    if damped_:
        d_alpha, d_beta, phi = damped or (DAMPED_ALPHA, DAMPED_BETA, DAMPED_PHI)
        d_level, d_trend = np.zeros(n), np.zeros(n)  # Damped Trend's ℓ and b
        d_damped, d_pred, d_err, d_tmp = (np.empty(n) for _ in range(4))  # φ·b, ŷ, e, scratch
        level_t = np.full((n_days - keep_from, n), np.nan)  # ℓ and b at the start of the kept days
        trend_t = np.full((n_days - keep_from, n), np.nan)
    for t in range(n_days):
        x_t, init, upd, first, later = tr.x[t], tr.init[t], tr.upd[t], tr.first[t], tr.later[t]
        rows = {name: (fitted[name][t - keep_from] if t >= keep_from else scratch[name]) for name in want}
        if ses_:
            rows[SES][:] = level
            _smooth_step(level, x_t, init, upd, alpha, tmp)
        if croston:
            row = rows[CROSTON]
            row.fill(0.0)
            np.divide(size, interval, out=row, where=seen)
            row *= SBA_FACTOR
            valid += tr.m[t]
            _smooth_step(interval, valid - last, first, later, CROSTON_ALPHA, tmp)
            np.copyto(last, valid, where=tr.demand[t])
        if tsb_:
            np.multiply(prob, size_d, out=rows[TSB])  # 0 before the first demand (z = 0)
            _smooth_step(prob, tr.demand[t].astype(float), init, upd, alpha_p, tmp)
            if size_d is not size:
                _smooth_step(size_d, x_t, first, later, alpha_d, tmp)
        if croston or (tsb_ and size_d is size):
            _smooth_step(size, x_t, first, later, CROSTON_ALPHA, tmp)
        if damped_:
            if t >= keep_from:
                np.copyto(level_t[t - keep_from], d_level, where=upd)
                np.copyto(trend_t[t - keep_from], d_trend, where=upd)
            # ŷ = ℓ + φ·b, shown clipped at 0. Gardner's update ℓ ← α·x + (1 − α)·ŷ,
            # b ← β·(ℓ_new − ℓ) + (1 − β)·φ·b is, in error form with e = x − ŷ,
            # ℓ ← ŷ + α·e and b ← φ·b + α·β·e (FPP3 §8.2): fewer steps per day.
            np.multiply(d_trend, phi, out=d_damped)
            np.add(d_level, d_damped, out=d_pred)
            np.maximum(d_pred, 0.0, out=rows[DAMPED])
            np.subtract(x_t, d_pred, out=d_err)
            np.multiply(d_err, d_alpha * d_beta, out=d_tmp)
            d_tmp += d_damped
            np.copyto(d_trend, d_tmp, where=upd)
            d_err *= d_alpha
            d_err += d_pred
            np.copyto(d_level, d_err, where=upd)
            np.copyto(d_level, x_t, where=init)  # the first valid day: ℓ = x, b = 0
        seen |= tr.demand[t]
        for name, row in rows.items():  # one-step errors on the later valid days, for σ
            np.subtract(x_t, row, out=err)
            err *= err
            np.add(sse[name], err, out=sse[name], where=upd)
    n_errors = tr.upd.sum(axis=0)
    out = {}
    for name, fit in fitted.items():
        np.copyto(fit, np.nan, where=~tr.upd[keep_from:])
        sigma = np.sqrt(np.divide(sse[name], n_errors, out=np.zeros(n), where=n_errors > 0))
        if name == DAMPED:
            out[name] = _Fit(np.maximum(d_level + phi * d_trend, 0.0), sigma, fit, keep_from,
                             d_level, d_trend, level_t, trend_t, phi)
            continue
        if name == SES:
            next_day = level
        elif name == CROSTON:
            next_day = np.where(seen, SBA_FACTOR * size / np.where(seen, interval, 1.0), 0.0)
        else:
            next_day = prob * size_d
        out[name] = _Fit(next_day, sigma, fit, keep_from)
    return out


# ---------------------------------------------------------------------------------
# Simple exponential smoothing
# ---------------------------------------------------------------------------------
def ses(matrix: Any, mask: Any, alpha: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Simple exponential smoothing: one-step forecast and one-step-ahead fitted values.

    ℓ_1 = x_1;  ℓ_t = α·x_t + (1 − α)·ℓ_{t−1};  ŷ_{t+1} = ℓ_t,

    over the SKU's valid days (the first valid day starts the level, as statsforecast's
    ``SimpleExponentialSmoothing(alpha)`` starts it on the first observation).

    Parameters
    ----------
    matrix : ndarray (SKUs × days)
        x_t, units sold per day.
    mask : ndarray of bool, same shape
        Days that belong to each SKU's series.
    alpha : float, default 0.1
        α, the smoothing constant (0..1; 1 is the naive forecast).

    Returns
    -------
    forecast : ndarray (SKUs,)
        ŷ for the day after the last column, units/day (0 for a SKU with no valid day).
    fitted : ndarray, same shape as matrix
        ŷ_t made at the end of day t − 1; NaN on the first valid day and off the series.

    Raises
    ------
    ValueError
        If alpha is outside 0..1 or the shapes differ.

    Source: Hyndman & Athanasopoulos, "Forecasting: Principles and Practice", 3rd ed.
    (2021), section 8.1 (simple exponential smoothing, component form).

    >>> f, fit = ses(np.array([[3.0, 0.0, 0.0, 5.0]]), np.ones((1, 4), bool), alpha=0.1)
    >>> round(float(f[0]), 6), fit[0, 1:].round(4).tolist()
    (2.687, [3.0, 2.7, 2.43])
    """
    x, m = _inputs(matrix, mask)
    alpha = _check_alpha("alpha", alpha)
    fit = _recursions(_Transposed(x, m), (SES,), alpha=alpha)[SES]
    return fit.forecast, np.ascontiguousarray(fit.fitted_t.T)


# ---------------------------------------------------------------------------------
# Croston (SBA) and TSB
# ---------------------------------------------------------------------------------
def croston_sba(matrix: Any, mask: Any) -> tuple[np.ndarray, np.ndarray]:
    """Croston's method with the Syntetos–Boylan bias correction (SBA).

    On a day with demand (x_t > 0), with q_t the days since the previous demand day
    (for the first demand: days since the series start, counting both ends; only days
    in the series count, so a day left out of ``mask`` — out of stock — is skipped):
    z_t = α·x_t + (1 − α)·z_{t−1},  p_t = α·q_t + (1 − α)·p_{t−1}
    (the first demand sets z = x_t, p = q_t); on other days z and p stay.
    ŷ_{t+1} = 0.95 · z_t / p_t, with α = 0.1 and 0.95 = 1 − α/2.
    Before the first demand (and for a SKU that never sold) the forecast is 0.

    Parameters
    ----------
    matrix : ndarray (SKUs × days)
        x_t, units sold per day (≥ 0).
    mask : ndarray of bool, same shape
        Days that belong to each SKU's series.

    Returns
    -------
    (forecast, fitted) as for :func:`ses`; matches statsforecast's ``CrostonSBA()``.

    Source: Croston (1972), "Forecasting and stock control for intermittent demands",
    Operational Research Quarterly 23(3); Syntetos & Boylan (2005), "The accuracy of
    intermittent demand estimates", International Journal of Forecasting 21(2).

    Demand 4 on day 2 (q = 2) and 2 on day 4 (q = 2): z = 0.1·2 + 0.9·4 = 3.8,
    p = 2, ŷ = 0.95 · 3.8 / 2 = 1.805.

    >>> f, _ = croston_sba(np.array([[0.0, 4.0, 0.0, 2.0]]), np.ones((1, 4), bool))
    >>> round(float(f[0]), 6)
    1.805
    """
    x, m = _inputs(matrix, mask)
    fit = _recursions(_Transposed(x, m), (CROSTON,))[CROSTON]
    return fit.forecast, np.ascontiguousarray(fit.fitted_t.T)


def tsb(matrix: Any, mask: Any, alpha_d: float = 0.1, alpha_p: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Teunter–Syntetos–Babai: smoothed demand size times smoothed demand probability.

    Every day: π_t = α_p·1[x_t > 0] + (1 − α_p)·π_{t−1} (π starts at 1[x_1 > 0]);
    on a day with demand: z_t = α_d·x_t + (1 − α_d)·z_{t−1} (the first demand sets z).
    ŷ_{t+1} = π_t · z_t; 0 before the first demand and for a SKU that never sold.

    Parameters
    ----------
    matrix : ndarray (SKUs × days)
        x_t, units sold per day (≥ 0).
    mask : ndarray of bool, same shape
        Days that belong to each SKU's series.
    alpha_d : float, default 0.1
        α_d, smoothing constant of the demand size (0..1).
    alpha_p : float, default 0.1
        α_p, smoothing constant of the demand probability (0..1).

    Returns
    -------
    (forecast, fitted) as for :func:`ses`; matches statsforecast's ``TSB(alpha_d, alpha_p)``.

    Raises
    ------
    ValueError
        If a smoothing constant is outside 0..1.

    Source: Teunter, Syntetos & Babai (2011), "Intermittent demand: linking forecasting
    to inventory obsolescence", European Journal of Operational Research 214(3).

    Days 0, 4, 0, 2: π = 0.9·(0.9·(0.1 + 0.9·0)) + 0.1 = 0.181, z = 0.1·2 + 0.9·4 = 3.8,
    ŷ = 0.6878.

    >>> f, _ = tsb(np.array([[0.0, 4.0, 0.0, 2.0]]), np.ones((1, 4), bool), 0.1, 0.1)
    >>> round(float(f[0]), 6)
    0.6878
    """
    x, m = _inputs(matrix, mask)
    ad = _check_alpha("alpha_d", alpha_d)
    ap = _check_alpha("alpha_p", alpha_p)
    fit = _recursions(_Transposed(x, m), (TSB,), alpha_d=ad, alpha_p=ap)[TSB]
    return fit.forecast, np.ascontiguousarray(fit.fitted_t.T)


# ---------------------------------------------------------------------------------
# Damped trend
# ---------------------------------------------------------------------------------
def damped_trend(matrix: Any, mask: Any, alpha: float = DAMPED_ALPHA, beta: float = DAMPED_BETA,
                 phi: float = DAMPED_PHI) -> tuple[np.ndarray, np.ndarray]:
    """Additive damped trend exponential smoothing (Holt's method with damping φ).

    Over the SKU's valid days: the first sets ℓ = x_1, b = 0; then each day t
    ŷ_t = ℓ + φ·b (the forecast of day t made the day before),
    ℓ ← α·x_t + (1 − α)·ŷ_t,  b ← β·(ℓ_new − ℓ_old) + (1 − β)·φ·b.
    The forecast k days ahead is ℓ + (φ + φ² + … + φ^k)·b, so the next H days add up
    to H·ℓ + b·Σ_{k=1..H} Σ_{j=1..k} φ^j (``forecast(...).over_horizon``). A day's
    forecast is clipped at 0 (a falling trend never forecasts negative sales); the
    clipped values are the fitted values, the errors and the forecast.

    Parameters
    ----------
    matrix : ndarray (SKUs × days)
        x_t, units sold per day.
    mask : ndarray of bool, same shape
        Days that belong to each SKU's series.
    alpha : float, default 0.1
        α, smoothing constant of the level ℓ (0..1).
    beta : float, default 0.02
        β, smoothing constant of the trend b (0..1; Gardner's form, b in units/day per day).
    phi : float, default 0.98
        φ, damping of the trend (0..1; 1 is Holt's undamped linear trend, 0 is
        exponential smoothing).

    Returns
    -------
    (forecast, fitted) as for :func:`ses`; forecast = max(0, ℓ + φ·b) at the end.

    Raises
    ------
    ValueError
        If a parameter is outside 0..1 or the shapes differ.

    Source: Gardner & McKenzie (1985), "Forecasting trends in time series", Management
    Science 31(10); Hyndman & Athanasopoulos (2021), FPP3 section 8.2 (damped trend
    methods).

    Days 2, 4, 6 with α = 0.5, β = 0.5, φ = 0.9: ℓ = 2, b = 0; ŷ = 2, ℓ = 3, b = 0.5;
    ŷ = 3.45, ℓ = 4.725, b = 0.5·1.725 + 0.5·0.45 = 1.0875; next day 4.725 + 0.9·1.0875.

    >>> f, fit = damped_trend(np.array([[2.0, 4.0, 6.0]]), np.ones((1, 3), bool), 0.5, 0.5, 0.9)
    >>> round(float(f[0]), 6), fit[0].tolist()
    (5.70375, [nan, 2.0, 3.45])
    """
    x, m = _inputs(matrix, mask)
    params = (_check_alpha("alpha", alpha), _check_alpha("beta", beta), _check_alpha("phi", phi))
    fit = _recursions(_Transposed(x, m), (DAMPED,), damped=params)[DAMPED]
    return fit.forecast, np.ascontiguousarray(fit.fitted_t.T)


# ---------------------------------------------------------------------------------
# Moving average (the foundation's d) as a forecaster
# ---------------------------------------------------------------------------------
def moving_average_fitted(matrix: Any, mask: Any) -> np.ndarray:
    """One-step-ahead fitted values of the window mean: ŷ_t = mean of the valid days before t.

    ŷ_t = Σ_{u<t} x_u / n_{<t} over valid days (NaN when no valid day precedes t or
    day t is not valid). The forecast itself is :func:`demand.moving_average`'s d.

    Source: Silver, Pyke & Thomas (2017), ch. 3 (moving average).

    >>> moving_average_fitted(np.array([[2.0, 0.0, 4.0]]), np.ones((1, 3), bool)).tolist()
    [[nan, 2.0, 1.0]]
    """
    x, m = _inputs(matrix, mask)
    xs = np.where(m, x, 0.0)
    total = np.cumsum(xs, axis=1) - xs
    count = np.cumsum(m, axis=1) - m
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(m & (count > 0), total / count, np.nan)


# ---------------------------------------------------------------------------------
# Seasonal
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SeasonalForecast:
    """Result of :func:`seasonal`.

    forecast: one-step (next-day) forecast per SKU, units/day.
    fitted: one-step-ahead in-sample forecasts (SKUs × days), NaN where undefined.
    level: the SKU's deseasonalised level ℓ, units/day.
    profile: seasonal indices per SKU (SKUs × K; 12 months or 7 weekdays), mean 1.
    kind: "yearly" (month of year) or "weekly" (day of week).
    source: per SKU, "own", "category" or "shop" — whose history the profile came from.
    last_day: the day the forecast is made at (the matrix's last column).
    fitted_level: ℓ_t as of the start of each day (SKUs × days), NaN before a level exists.
    """

    forecast: np.ndarray
    fitted: np.ndarray
    level: np.ndarray
    profile: np.ndarray
    kind: str
    source: np.ndarray
    last_day: pd.Timestamp
    fitted_level: np.ndarray | None = None

    def season_keys(self, days: pd.DatetimeIndex) -> np.ndarray:
        """Season of each day: month 0..11 (yearly) or weekday 0..6 (weekly)."""
        return _keys(days, self.kind)

    def over_horizon(self, horizon_days: Any) -> np.ndarray:
        """Σ of the forecasts for the next H days per SKU: ℓ · Σ_{k=1..H} s(day + k).

        ``horizon_days`` is one H per SKU (days, fractions use the last day's share).
        """
        h = np.broadcast_to(np.nan_to_num(np.asarray(horizon_days, dtype=float), nan=0.0),
                            self.level.shape).clip(0, None)
        h_max = int(np.ceil(h.max())) if h.size else 0
        if h_max == 0:
            return np.zeros_like(self.level)
        future = pd.date_range(self.last_day + pd.Timedelta(days=1), periods=h_max, freq="D")
        onehot = np.eye(self.profile.shape[1])[self.season_keys(future)]  # H × K
        daily_index = self.profile @ onehot.T  # SKUs × H (small: H is lead + review)
        cum = np.cumsum(daily_index, axis=1)
        whole = np.floor(h).astype(np.int64)
        frac = h - whole
        below = np.where(whole > 0, cum[np.arange(len(h)), np.clip(whole - 1, 0, None)], 0.0)
        part = daily_index[np.arange(len(h)), np.clip(whole, 0, h_max - 1)] * frac
        return self.level * (below + np.where(whole < h_max, part, 0.0))

    def daily_forecasts(self, horizon: int) -> np.ndarray:
        """Forecast for each of the next ``horizon`` days (SKUs × horizon), units/day."""
        future = pd.date_range(self.last_day + pd.Timedelta(days=1), periods=int(horizon), freq="D")
        return self.level[:, None] * self.profile[:, self.season_keys(future)]


def _keys(days: pd.DatetimeIndex, kind: str) -> np.ndarray:
    days = pd.DatetimeIndex(days)
    return np.asarray(days.month - 1 if kind == "yearly" else days.day_of_week, dtype=np.int64)


def _normalise(means: np.ndarray) -> np.ndarray:
    """Indices = means / their average; rows without demand get a flat profile of 1."""
    avg = means.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = means / avg
    return np.where(avg > 0, out, 1.0)


def seasonal(matrix: Any, mask: Any, days: Sequence[Any], category_codes: Any = None,
             fit_mask: Any = None) -> SeasonalForecast:
    """Seasonal forecast: the SKU's level times a seasonal profile.

    ŷ_t = ℓ_t · s(t), with ℓ_t = Σ x_u / Σ s(u) over the valid days u < t in the last
    365 days (yearly) or 28 days (weekly) — a ratio estimator, stable when indices are
    near 0 — and the profile s(k) = m_k / mean_j(m_j), where m_k is the mean daily
    demand in season k (month of the year, or day of the week).

    The profile is yearly (12 monthly indices) when the shop has a year of data (some
    SKU has 365 valid days); else weekly (7 weekday indices). It is the SKU's own when
    its history covers every season and has ≥ 5 selling days per season on average,
    shrunk toward the pooled profile with weight n / (n + 60) for n selling days;
    otherwise it is pooled over the SKU's Category (each SKU's demand divided by its
    own mean, so large sellers do not dominate; only SKUs whose history covers every
    season contribute); a Category without such SKUs uses the whole shop's pool; with
    no pool at all the profile is flat (1).

    Parameters
    ----------
    matrix : ndarray (SKUs × days)
        x_t, units sold per day.
    mask : ndarray of bool, same shape
        Days that belong to each SKU's series.
    days : sequence of dates, length = columns
        The calendar day of each column (consecutive days).
    category_codes : array-like, one per SKU, optional
        Category of each SKU (any hashable; blank/NaN is its own group).
    fit_mask : ndarray of bool, optional
        Days the profile may be estimated from (default: ``mask``); :func:`auto` passes
        the days before its hold-out so the profile does not see what it is scored on.

    Returns
    -------
    SeasonalForecast; ``over_horizon(H)`` gives Σ of the next H days' forecasts,
    following the calendar (a winter item in March is forecast with March's index).

    Source: Hyndman & Athanasopoulos (2021), FPP3 section 3.4 (classical
    decomposition: seasonal indices as average ratios to the level, normalised to
    average 1); Silver, Pyke & Thomas (2017), ch. 4 (seasonal indices in forecasting;
    pooling the indices of a group of items with a common seasonal pattern).

    A SKU selling 2/day on weekdays and 0 at weekends, with 4 weeks from Monday:

    >>> x = np.tile([2.0, 2, 2, 2, 2, 0, 0], 4)[None, :]
    >>> s = seasonal(x, np.ones_like(x, bool), pd.date_range("2026-11-02", periods=28))
    >>> s.kind, round(float(s.forecast[0]), 6), s.over_horizon([7]).round(6).tolist()
    ('weekly', 2.0, [10.0])
    """
    x, m = _inputs(matrix, mask)
    days = pd.DatetimeIndex(days)
    if len(days) != x.shape[1]:
        raise ValueError(f"days must have one date per column ({x.shape[1]}), got {len(days)}")
    return _seasonal_forecast(x, m, _seasonal_profiles(x, m, days, category_codes, fit_mask), days)


@dataclass(frozen=True)
class _Profiles:
    """The seasonal profile part of :func:`seasonal`: per SKU the indices (SKUs × K)
    and their source, the profile kind and each column's season."""

    profile: np.ndarray
    kind: str
    source: np.ndarray
    keys: np.ndarray

    @property
    def window(self) -> int:
        """Days of the trailing window the level is estimated over."""
        return YEAR_DAYS if self.kind == "yearly" else 28

    def rows(self, rows: np.ndarray) -> "_Profiles":
        return _Profiles(self.profile[rows], self.kind, self.source[rows], self.keys)


def _seasonal_profiles(x: np.ndarray, m: np.ndarray, days: pd.DatetimeIndex, category_codes: Any,
                       fit_mask: Any) -> _Profiles:
    """Estimate every SKU's seasonal profile (own, Category's or the shop's), as
    described in :func:`seasonal`. Pooling needs all SKUs; the levels do not, so they
    are computed separately (:func:`_levels_at`) for the rows and days needed."""
    fm = m if fit_mask is None else (np.asarray(fit_mask, dtype=bool) & m)
    n_skus, n_days = x.shape
    yearly = bool((fm.sum(axis=1) >= YEAR_DAYS).any())
    kind = "yearly" if yearly else "weekly"
    keys = _keys(days, kind)
    k = 12 if yearly else 7
    onehot = np.zeros((n_days, k))
    onehot[np.arange(n_days), keys] = 1.0
    xf = np.where(fm, x, 0.0)
    sums = xf @ onehot  # SKUs × K
    counts = fm.astype(float) @ onehot
    n_valid = fm.sum(axis=1)
    covers = (counts > 0).all(axis=1) & (n_valid >= (YEAR_DAYS if yearly else 28))
    selling_days = ((x > 0) & fm).sum(axis=1)
    own_ok = covers & (selling_days >= MIN_DEMAND_DAYS_PER_SEASON * k)
    with np.errstate(invalid="ignore", divide="ignore"):
        own_means = np.where(counts > 0, sums / counts, 0.0)
    own = _normalise(own_means)

    # Pooled profiles: each contributing SKU's demand relative to its own mean.
    mean = np.divide(xf.sum(axis=1), n_valid, out=np.zeros(n_skus), where=n_valid > 0)
    contrib = covers & (mean > 0)
    rel_sums = np.where(contrib[:, None], sums / np.where(mean > 0, mean, 1.0)[:, None], 0.0)
    rel_counts = np.where(contrib[:, None], counts, 0.0)
    cats = np.zeros(n_skus, dtype=np.int64) if category_codes is None else \
        pd.factorize(pd.Series(np.asarray(category_codes, dtype=object)).fillna(""))[0]
    n_cat = int(cats.max()) + 1 if n_skus else 0
    cat_sums = np.zeros((n_cat, k))
    cat_counts = np.zeros((n_cat, k))
    np.add.at(cat_sums, cats, rel_sums)
    np.add.at(cat_counts, cats, rel_counts)
    cat_has = (cat_counts > 0).all(axis=1) & (cat_sums.sum(axis=1) > 0)
    shop_counts = rel_counts.sum(axis=0)
    shop_has = bool((shop_counts > 0).all() and rel_sums.sum() > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cat_profile = _normalise(np.where(cat_counts > 0, cat_sums / cat_counts, 0.0))
        shop_profile = _normalise(np.where(shop_counts > 0, rel_sums.sum(axis=0) / shop_counts, 0.0)[None, :])[0]
    use_cat = ~own_ok & cat_has[cats]
    use_shop = ~own_ok & ~use_cat & shop_has
    pooled = np.where(cat_has[cats][:, None], cat_profile[cats],
                      shop_profile[None, :] if shop_has else np.ones((1, k)))
    # An own profile is shrunk toward the pooled one by its number of selling days,
    # w = n / (n + SHRINK_SELLING_DAYS), so a sparse SKU's noise is not read as season.
    w = (selling_days / (selling_days + SHRINK_SELLING_DAYS))[:, None]
    profile = np.where(own_ok[:, None], w * own + (1.0 - w) * pooled,
                       np.where((use_cat | use_shop)[:, None], pooled, 1.0))
    source = np.select([own_ok, use_cat, use_shop], ["own", "category", "shop"], "flat").astype(object)
    return _Profiles(profile=profile, kind=kind, source=source, keys=keys)


def _profiles_from(x: np.ndarray, m: np.ndarray, days: pd.DatetimeIndex, category_codes: Any, fit_mask: Any,
                   season_history: tuple[np.ndarray, np.ndarray] | None) -> tuple[_Profiles, np.ndarray]:
    """:func:`_seasonal_profiles`, estimated from ``season_history`` when given: a longer
    SKUs × days matrix and mask ending on the same day as ``x`` (its last ``x.shape[1]``
    columns are ``x``'s days, masked by ``fit_mask`` there), so a yearly profile can be
    learnt, and checked on a hold-out, when History Days is only a year. The levels are
    still measured on ``x``. Also returns each SKU's days the profile was fitted on."""
    fm = m if fit_mask is None else (np.asarray(fit_mask, dtype=bool) & m)
    if season_history is None:
        return _seasonal_profiles(x, m, days, category_codes, fm), fm.sum(axis=1)
    xl, ml = (np.asarray(a) for a in season_history)
    n = x.shape[1]
    if xl.shape[0] != x.shape[0] or xl.shape[1] < n:
        raise ValueError(f"season_history must have the same SKUs and at least {n} days, got {xl.shape}")
    fml = ml.astype(bool).copy()
    fml[:, -n:] &= fm
    long_days = pd.date_range(end=days[-1], periods=xl.shape[1], freq="D")
    prof = _seasonal_profiles(xl, ml.astype(bool), long_days, category_codes, fml)
    return _Profiles(prof.profile, prof.kind, prof.source, _keys(days, prof.kind)), fml.sum(axis=1)


def _has_a_year(m: np.ndarray, fit_mask: np.ndarray, season_history: tuple[np.ndarray, np.ndarray] | None) -> bool:
    """Whether :func:`_profiles_from` would estimate yearly profiles: some SKU has a
    year of valid days to fit on (counted as it counts them), without estimating them."""
    fm = np.asarray(fit_mask, dtype=bool) & m
    if season_history is None:
        return bool((fm.sum(axis=1) >= YEAR_DAYS).any())
    ml = np.asarray(season_history[1]).astype(bool)
    n = m.shape[1]
    return bool(((ml[:, :-n].sum(axis=1) + (ml[:, -n:] & fm).sum(axis=1)) >= YEAR_DAYS).any())


def _levels_at(x: np.ndarray, m: np.ndarray, prof: _Profiles, cols: slice,
               cum_x: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The level ℓ as of the start of the day columns ``cols`` of 0 .. days (column
    ``days`` = after the last day): the ratio estimator Σ x / Σ s over the valid days
    of the trailing window. Returns (levels, s_t) with s_t each day's index (× mask).

    Only the requested columns are divided out, so :func:`auto`, which scores the
    last weeks, does not pay for the whole history; ``cum_x`` (Σ of the valid x before
    each column, SKUs × days + 1) may be passed when the caller has it already."""
    n_rows, n_days = x.shape
    j = np.arange(n_days + 1)[cols]
    start = np.clip(j - prof.window, 0, None)

    def cumulative(a: np.ndarray) -> np.ndarray:
        c = np.zeros((n_rows, n_days + 1))
        np.cumsum(a, axis=1, out=c[:, 1:])
        return c

    def window_sums(a: np.ndarray, c: np.ndarray | None = None) -> np.ndarray:
        c = cumulative(a) if c is None else c
        return c[:, j] - c[:, start]

    s_t = np.take(prof.profile, prof.keys, axis=1)  # SKUs × days: each day's index
    s_t *= m
    sx = window_sums(np.where(m, x, 0.0)) if cum_x is None else window_sums(None, cum_x)
    ss = window_sums(s_t)
    tiny = ss <= 1e-12
    with np.errstate(invalid="ignore", divide="ignore"):
        level = sx / ss
    if tiny.any():  # no seasonal weight in the window: plain mean of the days there
        r = np.flatnonzero(tiny.any(axis=1))  # only those rows: the mask's cumsum is a full pass
        c = np.zeros((len(r), n_days + 1))
        np.cumsum(m[r], axis=1, out=c[:, 1:])
        sn = c[:, j] - c[:, start]
        level[r] = np.where(tiny[r], np.divide(sx[r], sn, out=np.zeros(sn.shape), where=sn > 0), level[r])
    return level, s_t


def _seasonal_forecast(x: np.ndarray, m: np.ndarray, prof: _Profiles, days: pd.DatetimeIndex) -> SeasonalForecast:
    """:func:`seasonal`'s result for these rows, from their (already pooled) profiles."""
    n_days = x.shape[1]
    level_all, s_t = _levels_at(x, m, prof, slice(None))
    level = level_all[:, -1].copy()
    fitted_level = level_all[:, :-1]
    fitted_level[~_starts(m)[1]] = np.nan
    next_key = _keys(pd.DatetimeIndex([days[-1] + pd.Timedelta(days=1)]), prof.kind)[0] if n_days else 0
    return SeasonalForecast(forecast=level * prof.profile[:, next_key], fitted=fitted_level * s_t, level=level,
                            profile=prof.profile, kind=prof.kind, source=prof.source,
                            last_day=days[-1] if n_days else pd.Timestamp("1970-01-01"),
                            fitted_level=fitted_level)


# ---------------------------------------------------------------------------------
# Errors and selection
# ---------------------------------------------------------------------------------
def forecast_errors_std(matrix: Any, fitted: Any, mask: Any) -> np.ndarray:
    """Standard deviation of one-step forecast errors per SKU, about zero (√MSE).

    σ = √( Σ e_t² / n ),  e_t = x_t − ŷ_t, over the n valid days with a fitted value.
    Taken about zero, not about the mean error, so a biased forecast gets a larger σ.
    0 when no error exists (fewer than two valid days).

    Parameters
    ----------
    matrix : ndarray (SKUs × days)
        x_t, units per day.
    fitted : ndarray, same shape
        ŷ_t one-step-ahead forecasts, NaN where undefined.
    mask : ndarray of bool, same shape
        Days that belong to each SKU's series.

    Returns
    -------
    ndarray (SKUs,), units/day.

    Source: Silver, Pyke & Thomas (2017), ch. 4 (σ of forecast errors estimated from
    the mean squared one-step error, used for safety stocks in place of σ of demand).

    >>> forecast_errors_std(np.array([[1.0, 3.0, 1.0]]), np.array([[np.nan, 1.0, 3.0]]),
    ...                     np.ones((1, 3), bool)).tolist()
    [2.0]
    """
    x, m = _inputs(matrix, mask)
    f = np.asarray(fitted, dtype=float)
    ok = m & ~np.isnan(f)
    e2 = np.where(ok, (x - np.where(ok, f, 0.0)) ** 2, 0.0)
    n = ok.sum(axis=1)
    return np.sqrt(np.divide(e2.sum(axis=1), n, out=np.zeros(len(n)), where=n > 0))


@dataclass(frozen=True)
class AutoChoice:
    """Result of :func:`auto`: per SKU the chosen method name, the scores (RMSSE of
    14-day totals, SKUs × ``CANDIDATES``, NaN where a method was not a candidate) and
    the ADI (valid days / selling days; inf when nothing sold)."""

    method: np.ndarray
    scores: np.ndarray
    adi: np.ndarray


CANDIDATES = (MOVING_AVERAGE, SES, CROSTON, TSB, SEASONAL, DAMPED)


def _fits(tr: _Transposed, alpha: float, alpha_d: float, alpha_p: float, keep_from: int = 0) -> dict[str, _Fit]:
    """Exponential Smoothing, Croston, TSB and Damped Trend on one transposed copy of the
    inputs, fitted values kept from day ``keep_from`` (the first day :func:`auto` scores)."""
    return _recursions(tr, (SES, CROSTON, TSB, DAMPED), _check_alpha("alpha", alpha),
                       _check_alpha("alpha_d", alpha_d), _check_alpha("alpha_p", alpha_p), keep_from)


def _first_scored_day(n_days: int, holdout_days: int = HOLDOUT_DAYS) -> int:
    """The first day column whose forecasts :func:`auto` scores."""
    return max(n_days - int(holdout_days), 0)


def auto(matrix: Any, mask: Any, days: Sequence[Any] | None = None, category_codes: Any = None,
         alpha: float = 0.1, alpha_d: float = 0.1, alpha_p: float = 0.1,
         holdout_days: int = HOLDOUT_DAYS, score_horizon: int = SCORE_HORIZON_DAYS,
         _fits_cache: dict[str, Any] | None = None,
         season_history: tuple[np.ndarray, np.ndarray] | None = None) -> AutoChoice:
    """Pick a forecast method per SKU by how well it would have forecast the SKU's recent demand.

    Rolling-origin backtest: every day t of the hold-out (the SKU's last
    ``holdout_days`` valid days, at most n − 28) is a forecast origin; each method
    forecasts the total demand of days t .. t + h − 1 (h = ``score_horizon``, 14) from
    the days before t only, and is scored by
    RMSSE = √( mean_t (A_t − F_t)² / mean_{t before the hold-out} (A_t − A_{t−h})² ),
    where A_t is the actual h-day total and A_{t−h} the previous h days' total (the naive
    forecast). Flat methods forecast h · ŷ_t; Seasonal forecasts ℓ_t · Σ s over those
    days; Damped Trend Σ_{k=1..h} max(0, ℓ + (φ + … + φ^k)·b) with ℓ, b as of the start
    of day t. Rules, in order:

    1. fewer than 28 valid days, or no sale: Moving Average over what exists;
    2. intermittent (ADI = valid days / selling days > 1.32): the lowest score among
       Croston, TSB and Moving Average;
    3. otherwise the lowest among Moving Average and Exponential Smoothing;
    4. Seasonal replaces the choice of 2 or 3 when the shop has a year of data, the
       SKU's yearly profile (own, else Category's, else the shop's) can be estimated
       from the days before the hold-out, and its score is at most 0.9 × the choice's
       (a profile has 12 parameters to overfit, so it must win clearly);
    5. for a non-intermittent SKU, Damped Trend replaces the choice so far when its
       score is at most 0.95 × the choice's (``DAMPED_MARGIN``: a trend is one more
       thing to fit).

    Parameters
    ----------
    matrix, mask : as for :func:`ses`.
    days : sequence of dates, optional
        Calendar day of each column; without it Seasonal is not a candidate.
    category_codes : array-like, optional
        Category per SKU (see :func:`seasonal`).
    alpha, alpha_d, alpha_p : float
        Smoothing constants for Exponential Smoothing and TSB.
    holdout_days : int, default 56
        Length of the hold-out, days.
    score_horizon : int, default 14
        h, days whose total each origin forecasts (about a lead time plus review period).

    Returns
    -------
    AutoChoice (``method``: names from :data:`METHODS`).

    Source: Hyndman & Koehler (2006), "Another look at measures of forecast accuracy",
    IJF 22(4) (scaled errors); Makridakis, Spiliotis & Assimakopoulos (2022), "M5
    accuracy competition", IJF 38(4) (RMSSE, chosen because MAE favours forecasting zero
    on intermittent series); Syntetos, Boylan & Croston (2005), JORS 56(5) (ADI 1.32);
    Hyndman & Athanasopoulos (2021), FPP3 section 5.10 (time-series cross-validation)
    and section 8.2 (damped trend).

    >>> rng = np.random.default_rng(0)
    >>> x = np.vstack([rng.poisson(5, 200), rng.poisson(5, 200) * (rng.random(200) < 0.15)]).astype(float)
    >>> auto(x, np.ones_like(x, bool)).method.tolist()[1] in ("Croston", "TSB")
    True
    """
    x, m = _inputs(matrix, mask)
    n_skus, n_days = x.shape
    h = int(score_horizon)
    if h < 1:
        raise ValueError(f"score_horizon must be 1 or more, got {h}")
    n_valid = m.sum(axis=1)
    selling = ((x > 0) & m).sum(axis=1)
    adi = np.divide(n_valid, selling, out=np.full(n_skus, np.inf), where=selling > 0)
    holdout = np.clip(np.minimum(holdout_days, n_valid - MIN_HISTORY_DAYS), 0, None)
    # The hold-out is each SKU's last `holdout` valid days: valid days from day t to the
    # end = n_valid − valid days before t.
    full = np.zeros((n_skus, n_days + 1), dtype=np.int32)  # valid days before each column (int32: ≤ 3,660 days)
    np.cumsum(m, axis=1, out=full[:, 1:])
    in_hold = m & (full[:, :-1] >= (n_valid - holdout)[:, None])
    before = m & ~in_hold

    lo = min(_first_scored_day(n_days, holdout_days), max(n_days - h + 1, 0))
    fits = _fits_cache
    if fits is None or any(f.keep_from > lo for f in fits.values()):
        fits = _fits(_Transposed(x, m), alpha, alpha_d, alpha_p, keep_from=lo)
    # h-day totals starting at each day: A[:, t] = Σ x[t .. t+h-1] (valid while t + h ≤ n_days).
    cx = np.zeros((n_skus, n_days + 1))
    np.cumsum(np.where(m, x, 0.0), axis=1, out=cx[:, 1:])
    n_org = max(n_days - h + 1, 0)
    actual = cx[:, h:h + n_org] - cx[:, :n_org]  # SKUs × origins
    origin_hold = in_hold[:, :n_org]
    # Naive scale: the previous h days' total as the forecast, on origins before the hold-out.
    whole = (full[:, h:h + n_org] - full[:, :n_org]) == h  # all h days valid
    # Origins t ≥ h compare A_t with A_{t−h}; computed in place, as these arrays span the
    # whole history (a first run pays for every new array it touches).
    cut = max(n_org - h, 0)
    naive_ok = before[:, h:n_org] & whole[:, h:]
    naive_ok &= whole[:, :cut]
    naive_sq = actual[:, h:] - actual[:, :cut]
    naive_sq *= naive_sq
    naive_sq[~naive_ok] = 0.0
    naive_n = naive_ok.sum(axis=1)
    naive_mse = np.divide(naive_sq.sum(axis=1), naive_n, out=np.zeros(n_skus), where=naive_n > 0)
    scale = np.where(naive_mse > 0, naive_mse, 1.0)

    # Hold-out origins lie in the last `holdout_days` columns: score only those.
    actual_h = actual[:, lo:]
    origin_hold = origin_hold[:, lo:]
    # Flat forecasts × the valid days among the h (= h without holes): the actual total
    # leaves out days off the series (out of stock), so the forecast does too. Damped
    # Trend's total runs over the h calendar days.
    span = full[:, lo + h:n_org + h] - full[:, lo:n_org]
    totals = {name: fits[name].origin_totals(lo, n_org, h if fits[name].trend_t is not None else span)
              for name in (SES, CROSTON, TSB, DAMPED)}
    # Moving Average: ŷ_t = mean of the valid days before t (see moving_average_fitted).
    count = full[:, lo:n_org]
    with np.errstate(invalid="ignore", divide="ignore"):
        totals[MOVING_AVERAGE] = np.where(m[:, lo:n_org] & (count > 0), cx[:, lo:n_org] / count, np.nan) * span
    seasonal_ok = np.zeros(n_skus, dtype=bool)
    # Seasonal is a candidate only with a yearly profile: without a year of history
    # (a young shop, the early reviews of a backtest) the profiles need not be estimated.
    if days is not None and n_org > lo and _has_a_year(m, before, season_history):
        days = pd.DatetimeIndex(days)
        prof, profile_days = _profiles_from(x, m, days, category_codes, before, season_history)
        level, s_t = _levels_at(x, m, prof, slice(lo, n_org), cum_x=cx)
        first = np.where(m.any(axis=1), m.argmax(axis=1), n_days)
        level[~(m[:, lo:n_org] & (np.arange(lo, n_org)[None, :] > first[:, None]))] = np.nan
        cs = np.zeros((n_skus, n_days - lo + 1))
        np.cumsum(s_t[:, lo:], axis=1, out=cs[:, 1:])  # Σ s from day lo
        totals[SEASONAL] = level * (cs[:, h:h + n_org - lo] - cs[:, :n_org - lo])
        own_year = profile_days >= YEAR_DAYS
        seasonal_ok = (prof.kind == "yearly") & (prof.source != "flat") & ((prof.source != "own") | own_year)

    scores = np.full((n_skus, len(CANDIDATES)), np.nan)
    for j, name in enumerate(CANDIDATES):
        if name not in totals:
            continue
        f = totals[name]
        ok = origin_hold & ~np.isnan(f)
        cnt = ok.sum(axis=1)
        mse = np.divide(np.where(ok, (actual_h - np.where(ok, f, 0.0)) ** 2, 0.0).sum(axis=1), cnt,
                        out=np.full(n_skus, np.nan), where=cnt > 0)
        scores[:, j] = np.sqrt(mse / scale)

    intermittent = adi > ADI_CUTOFF
    allowed = np.zeros((n_skus, len(CANDIDATES)), dtype=bool)
    allowed[:, 0] = True
    allowed[:, 1] = ~intermittent
    allowed[:, 2] = intermittent
    allowed[:, 3] = intermittent
    masked = np.where(allowed & ~np.isnan(scores), scores, np.inf)
    best_other = masked.argmin(axis=1)
    best_other_score = masked[np.arange(n_skus), best_other]
    # Seasonal, then Damped Trend, have more to fit: each must beat the choice so far by
    # its margin (score ≤ margin × the choice's score) to replace it.
    choice, chosen = best_other, best_other_score
    for j, ok, margin in ((4, seasonal_ok, SEASONAL_MARGIN), (5, ~intermittent, DAMPED_MARGIN)):
        challenger = np.where(ok & ~np.isnan(scores[:, j]), scores[:, j], np.inf)
        take = np.isfinite(challenger) & (challenger <= margin * chosen)
        choice, chosen = np.where(take, j, choice), np.where(take, challenger, chosen)
    no_score = ~np.isfinite(chosen)
    too_short = (n_valid < MIN_HISTORY_DAYS) | (selling == 0)
    choice = np.where(too_short | no_score, 0, choice)
    allowed[:, 4] = seasonal_ok
    allowed[:, 5] = ~intermittent
    return AutoChoice(method=np.asarray(CANDIDATES, dtype=object)[choice],
                      scores=np.where(allowed, scores, np.nan), adi=adi)


# ---------------------------------------------------------------------------------
# The plan's entry point
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ForecastResult:
    """Per SKU: ``daily`` next-day forecast (Reorder's Daily Demand, units/day);
    ``over_horizon`` Σ of forecasts over the next H = L + R days (units; more than
    d·H for a rising Damped Trend, by the calendar for Seasonal); ``sigma`` σ of
    one-step errors (units/day; for Moving Average the sample σ of daily demand);
    ``method`` the method used (Auto resolved to its choice). With ``fitted_days``:
    ``fitted_rate`` (SKUs × days) the daily rate the method forecast at the start of
    each day from the days before it (NaN where it had none), and ``day_index`` (SKUs ×
    days) each day's seasonal index (1 for flat methods), so the forecast made at the
    start of day t for days t .. t + H − 1 is fitted_rate[t] × Σ day_index[t .. t+H−1]."""

    daily: np.ndarray
    over_horizon: np.ndarray
    sigma: np.ndarray
    method: np.ndarray
    fitted_rate: np.ndarray | None = None
    day_index: np.ndarray | None = None


def _param(params: Any, name: str, default: float) -> float:
    if params is None:
        return default
    if isinstance(params, dict):
        return float(params.get(name, default))
    return float(getattr(params, name, default))


def forecast(method_per_sku: Any, matrix: Any, mask: Any, days: Sequence[Any] | None = None,
             category_codes: Any = None, params: Any = None, horizon_days: Any = 0.0,
             fitted_days: int = 0,
             season_history: tuple[np.ndarray, np.ndarray] | None = None) -> ForecastResult:
    """Forecast daily demand per SKU with each SKU's method.

    Moving Average: d = window mean, σ = sample standard deviation of the daily series
    (exactly :func:`demand.moving_average`), Σ over H = d·H. Exponential Smoothing,
    Croston, TSB: d = one-step forecast, σ = :func:`forecast_errors_std` of the
    method's one-step errors, Σ over H = d·H (flat forecasts). Damped Trend: d and σ
    likewise, Σ over H = Σ_{k=1..H} max(0, ℓ + (φ + … + φ^k)·b) (:func:`damped_trend`;
    H·ℓ + b·Σ_{k=1..H} Σ_{j=1..k} φ^j when no day is clipped). Seasonal: d = ℓ·s(next
    day), Σ over H = ℓ·Σ s over the actual next H calendar days. Auto: :func:`auto`'s
    choice, then as that method.

    Parameters
    ----------
    method_per_sku : str or array-like of str
        One of :data:`METHODS` per SKU (or one for all); blank means Auto.
    matrix, mask : as for :func:`ses`.
    days : sequence of dates, optional
        Calendar day of each column; needed when a SKU's method is Seasonal or Auto.
    category_codes : array-like, optional
        Category per SKU, for pooled seasonal profiles.
    params : Settings-like or dict, optional
        ``smoothing_alpha`` (α, default 0.1), ``tsb_alpha_demand`` (α_d, 0.1),
        ``tsb_alpha_probability`` (α_p, 0.1).
    horizon_days : float or array-like, per SKU
        H = L + R, days of the protection interval (NaN counts as 0).
    fitted_days : int, default 0
        Also return the fitted rate of the last this many days (NaN before them) and
        each day's seasonal index, for the empirical safety stock (:mod:`.safety`).
    season_history : (matrix, mask), optional
        A longer daily history of the same SKUs, ending on the same day, that the
        seasonal profiles are learnt from (the plan passes up to 730 days when the Sales
        sheet has them); the levels and every other method use ``matrix``.

    Returns
    -------
    ForecastResult.

    Raises
    ------
    ValueError
        For an unknown method name, or Seasonal/Auto without ``days``.

    Source: see each method; the protection interval L + R as in Silver, Pyke & Thomas
    (2017), ch. 6.

    Sales 1, 2, 3 with Damped Trend (α 0.1, β 0.02, φ 0.98): ℓ = 1.291764, b = 0.00575608;
    the next 2 days: (ℓ + 0.98·b) + (ℓ + (0.98 + 0.98²)·b) = 2.6003.

    >>> r = forecast("Damped Trend", np.array([[1.0, 2.0, 3.0]]), np.ones((1, 3), bool), horizon_days=2)
    >>> round(float(r.over_horizon[0]), 4)
    2.6003

    >>> x = np.array([[2.0, 0.0, 4.0], [1.0, 1.0, 1.0]])
    >>> r = forecast(["Moving Average", "Exponential Smoothing"], x, np.ones_like(x, bool),
    ...              horizon_days=[10, 10])
    >>> r.daily.tolist(), r.sigma.tolist(), r.over_horizon.tolist(), r.method.tolist()
    ([2.0, 1.0], [2.0, 0.0], [20.0, 10.0], ['Moving Average', 'Exponential Smoothing'])
    """
    x, m = _inputs(matrix, mask)
    n_skus = x.shape[0]
    methods = pd.Series(np.broadcast_to(np.asarray(method_per_sku, dtype=object), (n_skus,)))
    methods = methods.fillna("").astype(str).str.strip().replace("", AUTO).to_numpy(dtype=object)
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown forecast method {sorted(unknown)[0]!r}; use one of {', '.join(METHODS)}")
    if days is None and ((methods == SEASONAL) | (methods == AUTO)).any():
        raise ValueError("Seasonal and Auto need the calendar day of each column (days)")
    h = np.broadcast_to(np.nan_to_num(np.asarray(horizon_days, dtype=float), nan=0.0), (n_skus,))
    alpha = _check_alpha("alpha", _param(params, "smoothing_alpha", 0.1))
    alpha_d = _check_alpha("alpha_d", _param(params, "tsb_alpha_demand", 0.1))
    alpha_p = _check_alpha("alpha_p", _param(params, "tsb_alpha_probability", 0.1))

    needed = set(methods)
    first_fitted = max(x.shape[1] - int(fitted_days), 0)
    fits: dict[str, Any] = {}
    if AUTO in needed:
        tr = _Transposed(x, m)
        keep = _first_scored_day(x.shape[1])
        fits = _fits(tr, alpha, alpha_d, alpha_p, keep_from=min(keep, first_fitted) if fitted_days else keep)
        rows = methods == AUTO
        if rows.all():
            chosen = auto(x, m, days, category_codes, alpha, alpha_d, alpha_p, _fits_cache=fits,
                          season_history=season_history).method
        else:
            chosen = auto(x[rows], m[rows], days, None if category_codes is None else np.asarray(
                category_codes, dtype=object)[rows], alpha, alpha_d, alpha_p,
                _fits_cache={k: v.rows(rows) for k, v in fits.items()},
                season_history=None if season_history is None else tuple(a[rows] for a in season_history)).method
        methods = methods.copy()
        methods[rows] = chosen
        needed = set(methods)
    daily = np.zeros(n_skus)
    sigma = np.zeros(n_skus)
    over = np.zeros(n_skus)
    fitted = np.full(x.shape, np.nan) if fitted_days else None
    day_index = None
    for name in needed:
        rows = methods == name
        if name == MOVING_AVERAGE:
            d, sd = moving_average(x[rows], m[rows])
            daily[rows], sigma[rows], over[rows] = d, sd, d * h[rows]
            if fitted_days:
                fitted[rows] = moving_average_fitted(x[rows], m[rows])
            continue
        if name == SEASONAL:
            # Profiles pool over the whole shop; the levels are needed for these rows only.
            prof = _profiles_from(x, m, pd.DatetimeIndex(days), category_codes, None, season_history)[0].rows(rows)
            season = _seasonal_forecast(x[rows], m[rows], prof, pd.DatetimeIndex(days))
            daily[rows] = season.forecast
            over[rows] = season.over_horizon(h[rows])
            sigma[rows] = forecast_errors_std(x[rows], season.fitted, m[rows])
            if fitted_days:
                fitted[rows] = season.fitted_level
                day_index = np.ones(x.shape) if day_index is None else day_index
                day_index[rows] = season.profile[:, season.season_keys(pd.DatetimeIndex(days))]
            continue
        # Exponential Smoothing, Croston, TSB, Damped Trend: Auto's pass, else one for these rows.
        fit = fits[name].rows(rows) if name in fits else _recursions(
            _Transposed(x[rows], m[rows]), (name,), alpha, alpha_d, alpha_p,
            keep_from=first_fitted if fitted_days else x.shape[1])[name]
        daily[rows], over[rows], sigma[rows] = fit.forecast, fit.over_horizon(h[rows]), fit.sigma
        if fitted_days:
            fitted[rows, fit.keep_from:] = fit.fitted_t.T
    return ForecastResult(daily=daily, over_horizon=over, sigma=sigma, method=methods,
                          fitted_rate=fitted, day_index=day_index)
