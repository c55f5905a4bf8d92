"""Forecast methods: statsforecast parity, Auto's choices, seasonal horizons, MA path."""

from __future__ import annotations

import doctest
import os

import numpy as np
import pandas as pd
import pytest

from jit_workbook.planning import forecast as fc
from jit_workbook.planning.demand import moving_average
from jit_workbook.planning.forecast import (
    METHODS,
    auto,
    croston_sba,
    forecast,
    forecast_errors_std,
    seasonal,
    ses,
    tsb,
)


def series_set(seed: int = 7, n_days: int = 120):
    """Generated series: smooth, intermittent, lumpy, all-zero, leading zeros, a late
    start (mask), a single sale and a one-day series."""
    rng = np.random.default_rng(seed)
    rows = [
        rng.poisson(6, n_days),
        rng.poisson(4, n_days) * (rng.random(n_days) < 0.2),
        np.round(rng.gamma(0.5, 8, n_days)) * (rng.random(n_days) < 0.05),
        np.zeros(n_days),
        np.r_[np.zeros(30), rng.poisson(2, n_days - 30)],
        rng.poisson(3, n_days) * (rng.random(n_days) < 0.5),
        np.r_[np.zeros(60), [5.0], np.zeros(n_days - 61)],
        rng.random(n_days) * 3.7,
    ]
    x = np.vstack(rows).astype(float)
    starts = np.array([0, 0, 0, 0, 0, 50, 10, n_days - 1])
    mask = np.arange(n_days)[None, :] >= starts[:, None]
    return x, mask


def statsforecast_fcst(model, x, mask):
    out = []
    for row, m in zip(x, mask):
        y = row[m]
        out.append(model.forecast(y=y, h=1, fitted=True))
    return out


def statsforecast_models():
    """statsforecast.models, which `make test` installs (requirements/statsforecast.txt).

    Missing, the parity tests fail; JIT_ALLOW_NO_STATSFORECAST=1 lets them skip instead.
    """
    if os.environ.get("JIT_ALLOW_NO_STATSFORECAST") == "1":
        return pytest.importorskip("statsforecast.models")
    import statsforecast.models

    return statsforecast.models


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ses_matches_statsforecast(seed):
    models = statsforecast_models()
    x, mask = series_set(seed)
    for alpha in (0.1, 0.3, 1.0):
        got, fitted = ses(x, mask, alpha)
        exp = statsforecast_fcst(models.SimpleExponentialSmoothing(alpha), x, mask)
        np.testing.assert_allclose(got, [e["mean"][0] for e in exp], rtol=0, atol=1e-9)
        for i, e in enumerate(exp):
            np.testing.assert_allclose(fitted[i, mask[i]], e["fitted"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_croston_sba_matches_statsforecast(seed):
    models = statsforecast_models()
    x, mask = series_set(seed)
    got, fitted = croston_sba(x, mask)
    exp = statsforecast_fcst(models.CrostonSBA(), x, mask)
    np.testing.assert_allclose(got, [e["mean"][0] for e in exp], rtol=0, atol=1e-9)
    for i, e in enumerate(exp):
        np.testing.assert_allclose(fitted[i, mask[i]], e["fitted"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("alphas", [(0.1, 0.1), (0.3, 0.05), (0.2, 0.5)])
def test_tsb_matches_statsforecast(seed, alphas):
    models = statsforecast_models()
    x, mask = series_set(seed)
    got, fitted = tsb(x, mask, *alphas)
    exp = statsforecast_fcst(models.TSB(*alphas), x, mask)
    np.testing.assert_allclose(got, [e["mean"][0] for e in exp], rtol=0, atol=1e-9)
    for i, e in enumerate(exp):
        np.testing.assert_allclose(fitted[i, mask[i]], e["fitted"], rtol=0, atol=1e-9)


def test_leading_zeros_count_in_the_first_interval():
    # statsforecast (and we) treat zeros at the start of the series as days without
    # demand: the first interval is counted from the series start. demand.py starts a
    # new SKU's series on its first sale, so only SKUs older than the window have them.
    x = np.array([[0.0, 0.0, 0.0, 6.0], [0.0, 0.0, 0.0, 6.0]])
    mask = np.array([[True] * 4, [False, False, False, True]])
    got, _ = croston_sba(x, mask)
    assert got.tolist() == pytest.approx([0.95 * 6 / 4, 0.95 * 6 / 1])


def test_bad_alpha_is_named():
    with pytest.raises(ValueError, match="alpha_p must be between 0 and 1, got 1.5"):
        tsb(np.zeros((1, 3)), np.ones((1, 3), bool), 0.1, 1.5)


# ---------------------------------------------------------------------------------
# Moving Average path
# ---------------------------------------------------------------------------------
def test_moving_average_path_is_the_foundation():
    x, mask = series_set(4)
    d, sd = moving_average(x, mask)
    h = np.arange(len(x)) + 3.0
    r = forecast("Moving Average", x, mask, horizon_days=h)
    assert np.array_equal(r.daily, d) and np.array_equal(r.sigma, sd)
    assert np.array_equal(r.over_horizon, d * h)
    assert set(r.method) == {"Moving Average"}


def test_errors_std_of_ses_fitted():
    x = np.array([[1.0, 3.0, 1.0, 3.0]])
    _, fitted = ses(x, np.ones_like(x, bool), 1.0)  # naive: errors 2, -2, 2
    assert forecast_errors_std(x, fitted, np.ones_like(x, bool)).tolist() == [2.0]


def test_unknown_method_is_named():
    with pytest.raises(ValueError, match="unknown forecast method 'Holt'"):
        forecast(["Holt"], np.zeros((1, 3)), np.ones((1, 3), bool))


# ---------------------------------------------------------------------------------
# Auto and Seasonal
# ---------------------------------------------------------------------------------
def days_ending(end: str, n: int) -> pd.DatetimeIndex:
    return pd.date_range(end=pd.Timestamp(end), periods=n, freq="D")


def winter_demand(days: pd.DatetimeIndex, rng, rate=4.0) -> np.ndarray:
    """Sells Nov–Feb only."""
    in_season = np.isin(days.month, [11, 12, 1, 2])
    return rng.poisson(rate, len(days)) * in_season


def test_auto_picks_intermittent_methods_on_intermittent_series():
    rng = np.random.default_rng(11)
    days = days_ending("2026-11-27", 730)
    # Sells on ~5% of days, rising to ~12% over the last 130 days (demand drifts, as it
    # does in shops; on a perfectly stationary series the long mean is as good).
    chance = np.where(np.arange(730) < 600, 0.05, 0.12)
    x = (rng.poisson(3, (40, 730)) + 1) * (rng.random((40, 730)) < chance)
    choice = auto(x.astype(float), np.ones(x.shape, bool), days, ["Spares"] * 40)
    assert (choice.adi > fc.ADI_CUTOFF).all()
    assert "Exponential Smoothing" not in set(choice.method)
    assert np.isin(choice.method, ["Croston", "TSB"]).mean() >= 0.6
    assert (choice.method == "Seasonal").mean() <= 0.1  # no season: rarely mistaken for one


def test_auto_picks_seasonal_on_seasonal_series():
    rng = np.random.default_rng(12)
    days = days_ending("2026-11-27", 730)
    level = 5 * (1 + 0.9 * np.cos(2 * np.pi * (days.day_of_year.to_numpy() - 15) / 365.25))
    x = rng.poisson(level, (30, 730)).astype(float)
    choice = auto(x, np.ones(x.shape, bool), days, ["Garden"] * 30)
    assert (choice.method == "Seasonal").mean() >= 0.8


def test_auto_uses_moving_average_for_new_and_unsold_skus():
    days = days_ending("2026-11-27", 365)
    x = np.zeros((2, 365))
    x[0, -10:] = 3
    mask = np.ones_like(x, bool)
    mask[0, :-10] = False
    assert auto(x, mask, days).method.tolist() == ["Moving Average", "Moving Average"]


def test_winter_item_at_end_of_season_is_not_reordered_in_bulk():
    rng = np.random.default_rng(13)
    days = days_ending("2026-03-03", 730)  # two winters, ends early March
    x = winter_demand(days, rng).astype(float)[None, :]
    mask = np.ones_like(x, bool)
    horizon = np.array([21.0])  # L + R
    seas = forecast("Seasonal", x, mask, days, ["Coats"], horizon_days=horizon)
    ma = forecast("Moving Average", x, mask, days, ["Coats"], horizon_days=horizon)
    assert seas.over_horizon[0] < 0.05 * ma.over_horizon[0]
    assert seas.over_horizon[0] < 1.0
    # the same item in late October looks ahead into its season
    early = days_ending("2026-10-25", 730)
    x2 = winter_demand(early, rng).astype(float)[None, :]
    pre = forecast("Seasonal", x2, mask, early, ["Coats"], horizon_days=horizon)
    assert pre.over_horizon[0] > 0.5 * 4 * 14  # 14 of the 21 days are in November


def test_seasonal_uses_the_category_profile_for_a_new_sku():
    rng = np.random.default_rng(14)
    days = days_ending("2026-03-03", 730)
    x = np.vstack([winter_demand(days, rng) for _ in range(5)] + [winter_demand(days, rng, 8)]).astype(float)
    mask = np.ones_like(x, bool)
    mask[-1, :-90] = False  # new this winter: 90 days of its own
    s = seasonal(x, mask, days, ["Coats"] * 6)
    assert s.kind == "yearly"
    assert s.source.tolist() == ["own"] * 5 + ["category"]
    assert s.over_horizon([21.0])[-1] < 1.0
    # in-season level of the new SKU is its own (≈ 8/day on winter days)
    assert 6 < s.level[-1] * s.profile[-1, 0] < 10


def test_weekly_profile_when_less_than_a_year():
    days = days_ending("2026-11-27", 120)
    weekday = days.day_of_week.to_numpy()
    x = np.where(weekday == 5, 10.0, 1.0)[None, :]
    s = seasonal(x, np.ones_like(x, bool), days)
    assert s.kind == "weekly"
    nxt = (days[-1] + pd.Timedelta(days=1)).day_of_week
    assert s.forecast[0] == pytest.approx(10.0 if nxt == 5 else 1.0)
    assert s.over_horizon([7.0])[0] == pytest.approx(16.0)


def test_methods_constant():
    assert METHODS == ("Moving Average", "Exponential Smoothing", "Croston", "TSB", "Seasonal", "Auto")


def test_forecast_resolves_auto_per_sku():
    rng = np.random.default_rng(15)
    days = days_ending("2026-11-27", 400)
    x = np.vstack([rng.poisson(5, 400), (rng.poisson(2, 400) + 1) * (rng.random(400) < 0.05)]).astype(float)
    r = forecast(["Auto", "Auto"], x, np.ones_like(x, bool), days, None, {"smoothing_alpha": 0.2},
                 horizon_days=[14, 14])
    assert r.method[1] in ("Croston", "TSB", "Moving Average")
    assert "Auto" not in set(r.method)
    assert (r.sigma > 0).all() and (r.over_horizon == pytest.approx(r.daily * 14))


def test_seasonal_rows_of_a_mixed_plan_match_seasonal_on_the_whole_shop():
    """forecast() pools the profiles over every SKU but computes levels for its Seasonal
    rows only; the rows must come out as seasonal() on the whole shop gives them."""
    rng = np.random.default_rng(16)
    days = days_ending("2026-03-03", 730)
    x = np.vstack([winter_demand(days, rng) for _ in range(4)] + [rng.poisson(3, 730)]).astype(float)
    mask = np.ones_like(x, bool)
    mask[1, :-120] = False
    cats = ["Coats", "Coats", "Coats", "Hats", "Hats"]
    horizon = np.array([10.0, 21.0, 14.5, 9.0, 30.0])
    whole = seasonal(x, mask, days, cats)
    methods = ["Seasonal", "Seasonal", "Moving Average", "Seasonal", "Exponential Smoothing"]
    r = forecast(methods, x, mask, days, cats, horizon_days=horizon)
    rows = [0, 1, 3]
    np.testing.assert_allclose(r.daily[rows], whole.forecast[rows], rtol=1e-12)
    np.testing.assert_allclose(r.over_horizon[rows], whole.over_horizon(horizon)[rows], rtol=1e-12)
    errors = np.where(mask & ~np.isnan(whole.fitted), x - np.nan_to_num(whole.fitted), 0.0)
    sigma = np.sqrt((errors ** 2).sum(axis=1) / (mask & ~np.isnan(whole.fitted)).sum(axis=1))
    np.testing.assert_allclose(r.sigma[rows], sigma[rows], rtol=1e-12)
    assert r.method.tolist() == methods


@pytest.mark.parametrize("n_days", [1, 5, 13, 14, 15, 27, 28, 30, 41, 42, 70])
def test_auto_on_short_histories(n_days):
    """Histories around the score horizon (14), the minimum (28) and the hold-out edges."""
    rng = np.random.default_rng(n_days)
    x = np.vstack([rng.poisson(3, n_days), rng.poisson(3, n_days) * (rng.random(n_days) < 0.2)]).astype(float)
    days = days_ending("2026-11-27", n_days)
    r = forecast("Auto", x, np.ones_like(x, bool), days, None, horizon_days=[10.0, 10.0])
    assert set(r.method) <= set(METHODS) - {"Auto"}
    if n_days < 28:
        assert r.method.tolist() == ["Moving Average"] * 2
    assert np.isfinite(r.daily).all() and np.isfinite(r.sigma).all()


def one_step_forecasts(y: list[float], method: str) -> list[float]:
    """ŷ_t for each day t of one series (None on the first day), by plain loops from the
    formulas in README: an independent reference for Auto's scores."""
    out: list[float | None] = [None]
    level = size = interval = prob = None
    since = 0
    for t, x in enumerate(y):
        if method == "Exponential Smoothing":
            level = x if level is None else 0.1 * x + 0.9 * level
            forecast_ = level
        elif method == "Moving Average":
            forecast_ = sum(y[:t + 1]) / (t + 1)
        else:
            since += 1
            prob = (1.0 if x > 0 else 0.0) if prob is None else 0.1 * (x > 0) + 0.9 * prob
            if x > 0:
                size = x if size is None else 0.1 * x + 0.9 * size
                interval = since if interval is None else 0.1 * since + 0.9 * interval
                since = 0
            if method == "Croston":
                forecast_ = 0.0 if size is None else 0.95 * size / interval
            else:
                forecast_ = 0.0 if size is None else prob * size
        out.append(forecast_)
    return out[:-1]


def rmsse(y: list[float], method: str, h: int = 14, holdout: int = 56) -> float:
    n = len(y)
    hold_from = n - min(holdout, n - 28)
    total = [sum(y[t:t + h]) for t in range(n - h + 1)]
    fitted = one_step_forecasts(y, method)
    errors = [(total[t] - h * fitted[t]) ** 2 for t in range(hold_from, n - h + 1) if fitted[t] is not None]
    naive = [(total[t] - total[t - h]) ** 2 for t in range(h, min(hold_from, n - h + 1))]
    scale = sum(naive) / len(naive)
    return (sum(errors) / len(errors) / scale) ** 0.5


@pytest.mark.parametrize("late_start", [0, 37])
def test_auto_scores_match_a_plain_calculation(late_start):
    rng = np.random.default_rng(17 + late_start)
    n_days = 200
    x = np.vstack([rng.poisson(5, n_days), rng.poisson(3, n_days) * (rng.random(n_days) < 0.25)]).astype(float)
    mask = np.ones_like(x, bool)
    mask[:, :late_start] = False
    x[~mask] = 0.0
    choice = auto(x, mask)
    assert fc.CANDIDATES == ("Moving Average", "Exponential Smoothing", "Croston", "TSB", "Seasonal")
    for row, allowed in ((0, ("Moving Average", "Exponential Smoothing")), (1, ("Moving Average", "Croston", "TSB"))):
        y = x[row, late_start:].tolist()
        for j, name in enumerate(fc.CANDIDATES):
            if name in allowed:
                assert choice.scores[row, j] == pytest.approx(rmsse(y, name), rel=1e-9), (row, name)
            else:
                assert np.isnan(choice.scores[row, j]), (row, name)
        best = min(allowed, key=lambda name: rmsse(y, name))
        assert choice.method[row] == best


def test_doctests():
    result = doctest.testmod(fc, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 8
