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
    damped_trend,
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
# Damped Trend
# ---------------------------------------------------------------------------------
def falling_and_rising(n_days: int = 60):
    """Small series for Damped Trend: rising, falling to nothing (the forecast of later
    days goes below 0 and is clipped), flat, a late start and a one-day series."""
    t = np.arange(n_days, dtype=float)
    rows = [t * 0.5, np.r_[np.full(30, 20.0), np.zeros(n_days - 30)], np.full(n_days, 3.0),
            (t % 5) * 2.0, np.r_[np.zeros(n_days - 1), 4.0]]
    mask = np.ones((len(rows), n_days), bool)
    mask[3, :17] = False
    mask[4, :-1] = False
    return np.vstack(rows), mask


@pytest.mark.parametrize("params", [(0.1, 0.02, 0.98), (0.5, 0.5, 0.9), (0.3, 0.1, 1.0), (1.0, 0.0, 0.0)])
def test_damped_trend_matches_a_plain_loop(params):
    x, mask = falling_and_rising()
    got, fitted = damped_trend(x, mask, *params)
    for i in range(len(x)):
        y = x[i, mask[i]].tolist()
        states = damped_states(y, *params)
        phi = params[2]
        exp = [np.nan if st is None else max(0.0, st[0] + phi * st[1]) for st in states]
        assert got[i] == pytest.approx(exp[-1], rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(fitted[i, mask[i]], exp[:-1], rtol=1e-12, atol=1e-12)
        assert np.isnan(fitted[i, ~mask[i]]).all()


def test_damped_trend_sigma_and_horizon_totals_match_a_plain_loop():
    """Through forecast(): Daily Demand, σ (RMS of the clipped one-step errors) and the
    total over H days (whole and fractional), with README's defaults 0.1, 0.02, 0.98."""
    x, mask = falling_and_rising()
    horizon = np.array([14.0, 30.0, 10.5, 7.0, 1.0])
    r = forecast("Damped Trend", x, mask, horizon_days=horizon)
    assert r.method.tolist() == ["Damped Trend"] * len(x)
    clipped = False
    for i in range(len(x)):
        y = x[i, mask[i]].tolist()
        states = damped_states(y)
        forecasts = one_step_forecasts(y, "Damped Trend")
        errors = [(v - f) ** 2 for v, f in zip(y, forecasts) if f is not None]
        level, trend = states[-1]
        assert r.daily[i] == pytest.approx(max(0.0, level + 0.98 * trend), abs=1e-12)
        assert r.sigma[i] == pytest.approx(np.sqrt(sum(errors) / len(errors)) if errors else 0.0, abs=1e-12)
        assert r.over_horizon[i] == pytest.approx(damped_total(states[-1], horizon[i]), rel=1e-12, abs=1e-12)
        whole = horizon[i] == int(horizon[i])
        closed = horizon[i] * level + trend * sum(0.98 ** j for k in range(1, int(horizon[i]) + 1)
                                                   for j in range(1, k + 1))
        clipped |= whole and r.over_horizon[i] > closed + 1e-9
        if whole and level + sum(0.98 ** j for j in range(1, int(horizon[i]) + 1)) * trend >= 0:
            assert r.over_horizon[i] == pytest.approx(closed, rel=1e-12)  # H·ℓ + b·ΣΣ φ^j
    assert clipped  # the falling series forecasts below 0 within 30 days: clipped, not negative
    assert r.over_horizon[0] > r.daily[0] * horizon[0]  # a rising item: more than d × H


def test_damped_trend_matches_statsforecast_ets_engine():
    """No statsforecast model takes fixed α, β, φ (Holt and AutoETS fit them), but its ETS
    engine does: ``statsforecast.ets.pegelsresid_C`` (AutoETS's recursion, additive
    error and damped trend, β_ETS = α·β) started from ℓ = first day, b = 0, and
    ``etsforecast`` for the next day. Rising series, so no forecast is clipped.
    (Only the next day: statsforecast 2.1's ``etsforecast`` damps day k of the horizon
    by φ + φ + φ² + … + φ^(k−1), not FPP3's φ + φ² + … + φ^k, so the H-day totals
    are checked against the plain loop above instead.)"""
    statsforecast_models()
    ets = pytest.importorskip("statsforecast.ets")
    rng = np.random.default_rng(5)
    n_days = 150
    x = rng.poisson(np.linspace(2, 12, n_days), (4, n_days)).astype(float)
    mask = np.ones_like(x, bool)
    mask[3, :40] = False
    for alpha, beta, phi in [(0.1, 0.02, 0.98), (0.3, 0.2, 0.9)]:
        got, fitted = damped_trend(x, mask, alpha, beta, phi)
        for i in range(len(x)):
            y = x[i, mask[i]]
            _, e, states, _ = ets.pegelsresid_C(y[1:], 1, np.array([y[0], 0.0]), "A", "A", "N", True,
                                                alpha, alpha * beta, 0.0, phi, 1)
            ahead = np.zeros(1)
            ets.etsforecast(states[-1], 1, ets.switch("A"), ets.switch("N"), phi, 1, ahead)
            np.testing.assert_allclose(fitted[i, mask[i]][1:], y[1:] - e, rtol=0, atol=1e-9)
            assert got[i] == pytest.approx(ahead[0], abs=1e-9)


def rising(n_skus: int, n_days: int, rng, days_rising: int = 120):
    """Poisson sales whose rate rises linearly from 2 to 10 over the last ``days_rising``
    days (2 before), and the true rate of the 21 days after."""
    t = np.arange(n_days + 21)
    rate = np.clip(2 + 8 * (t - (n_days - days_rising)) / days_rising, 2, None)
    return rng.poisson(rate[:n_days], (n_skus, n_days)).astype(float), rate[n_days:]


def test_auto_chooses_damped_trend_on_a_clear_trend_and_it_forecasts_better():
    rng = np.random.default_rng(21)
    x, future = rising(60, 365, rng)
    mask = np.ones_like(x, bool)
    days = days_ending("2026-11-27", 365)
    assert (auto(x, mask, days).method == "Damped Trend").mean() >= 0.8
    # Over the next L + R = 21 days it is closer to the truth than Exponential Smoothing.
    truth = future.sum()
    dt = forecast("Damped Trend", x, mask, horizon_days=21).over_horizon
    es = forecast("Exponential Smoothing", x, mask, horizon_days=21).over_horizon
    assert np.sqrt(np.mean((dt - truth) ** 2)) < 0.85 * np.sqrt(np.mean((es - truth) ** 2))
    assert np.mean(np.abs(dt - truth) < np.abs(es - truth)) >= 0.7


def test_damped_trend_rows_of_a_mixed_plan_match_damped_trend_alone():
    """Under Auto the Damped Trend rows come from Auto's pass over all SKUs (fitted values
    kept for the last weeks only); alone, from a pass over those rows: the same numbers."""
    rng = np.random.default_rng(24)
    x, _ = rising(6, 300, rng)
    x = np.vstack([x, rng.poisson(4, (2, 300))]).astype(float)
    mask = np.ones_like(x, bool)
    mask[1, :100] = False
    x[~mask] = 0.0
    horizon = np.array([10.0, 21.0, 14.5, 7.0, 30.0, 3.0, 12.0, 9.0])
    days = days_ending("2026-11-27", 300)
    methods = ["Auto"] * 6 + ["Damped Trend", "Exponential Smoothing"]
    r = forecast(methods, x, mask, days, horizon_days=horizon)
    alone = forecast("Damped Trend", x, mask, days, horizon_days=horizon)
    rows = r.method == "Damped Trend"
    assert rows[:6].sum() >= 4 and rows[6] and not rows[7]
    np.testing.assert_allclose(r.daily[rows], alone.daily[rows], rtol=1e-12)
    np.testing.assert_allclose(r.sigma[rows], alone.sigma[rows], rtol=1e-12)
    np.testing.assert_allclose(r.over_horizon[rows], alone.over_horizon[rows], rtol=1e-12)
    up = rows & (np.arange(len(x)) < 6)
    assert r.over_horizon[up].sum() > (r.daily[up] * horizon[up]).sum()  # rising: more than d × H


@pytest.mark.parametrize("seed", range(5))
def test_auto_rarely_chooses_damped_trend_on_flat_series(seed):
    rng = np.random.default_rng(100 + seed)
    x = rng.poisson(rng.choice([1, 3, 5, 10, 20], 100)[:, None], (100, 365)).astype(float)
    choice = auto(x, np.ones_like(x, bool), days_ending("2026-11-27", 365))
    assert (choice.method == "Damped Trend").mean() < 0.1


def test_auto_takes_damped_trend_only_when_it_wins_by_the_margin():
    """Rising series put many SKUs' Damped Trend score just under and just over 0.95 ×
    the better of Moving Average and Exponential Smoothing: it is chosen exactly when
    at most 0.95 ×."""
    rng = np.random.default_rng(22)
    x, _ = rising(200, 200, rng, days_rising=200)
    choice = auto(x, np.ones_like(x, bool))
    assert (choice.adi <= fc.ADI_CUTOFF).all()
    j = {name: k for k, name in enumerate(fc.CANDIDATES)}
    simple = np.fmin(choice.scores[:, j["Moving Average"]], choice.scores[:, j["Exponential Smoothing"]])
    ratio = choice.scores[:, j["Damped Trend"]] / simple
    assert ((ratio > 0.94) & (ratio <= 0.95)).sum() >= 3 and ((ratio > 0.95) & (ratio < 0.96)).sum() >= 3
    np.testing.assert_array_equal(choice.method == "Damped Trend", ratio <= 0.95)


def test_auto_never_gives_damped_trend_to_intermittent_items():
    """Items selling on more and more days (2 % → 90 %, still intermittent overall) on
    which Damped Trend would win by the margin over Croston, TSB and Moving Average
    (plain-loop scores): Auto still chooses among those three."""
    rng = np.random.default_rng(23)
    n_days = 150
    x = ((rng.poisson(2, (20, n_days)) + 1) * (rng.random((20, n_days)) < np.linspace(0.02, 0.9, n_days))
         ).astype(float)
    choice = auto(x, np.ones_like(x, bool))
    assert (choice.adi > fc.ADI_CUTOFF).all()
    wins = [rmsse(y, "Damped Trend") <= 0.95 * min(rmsse(y, m) for m in ("Moving Average", "Croston", "TSB"))
            for y in x.tolist()]
    assert sum(wins) >= 3
    assert set(choice.method) <= {"Moving Average", "Croston", "TSB"}
    assert np.isnan(choice.scores[:, fc.CANDIDATES.index("Damped Trend")]).all()


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
    assert METHODS == ("Moving Average", "Exponential Smoothing", "Croston", "TSB", "Seasonal", "Auto",
                       "Damped Trend")


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


def damped_states(y: list[float], alpha: float = 0.1, beta: float = 0.02, phi: float = 0.98) -> list:
    """Damped Trend's (ℓ, b) at the start of each day (None on the first day) and, last,
    after the final day: a plain loop of README's formula (Gardner's form)."""
    states: list = [None]
    level, trend = y[0], 0.0
    for x in y[1:]:
        states.append((level, trend))
        new_level = alpha * x + (1 - alpha) * (level + phi * trend)
        trend = beta * (new_level - level) + (1 - beta) * phi * trend
        level = new_level
    return states + [(level, trend)]


def damped_total(state: tuple[float, float], days: float, phi: float = 0.98) -> float:
    """Σ of the next ``days`` days' forecasts max(0, ℓ + (φ + … + φ^k)·b), the last
    day counting its fraction; plain loops."""
    level, trend = state
    total, k = 0.0, 1
    while k - 1 < days:
        day = max(0.0, level + sum(phi ** j for j in range(1, k + 1)) * trend)
        total += day * min(1.0, days - (k - 1))
        k += 1
    return total


def one_step_forecasts(y: list[float], method: str) -> list[float]:
    """ŷ_t for each day t of one series (None on the first day), by plain loops from the
    formulas in README: an independent reference for Auto's scores."""
    if method == "Damped Trend":
        return [None if st is None else max(0.0, st[0] + 0.98 * st[1]) for st in damped_states(y)[:-1]]
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
    if method == "Damped Trend":  # the h-day total from the level and trend at each origin
        states = damped_states(y)
        forecast_total = [None if st is None else damped_total(st, h) for st in states[:-1]]
    else:
        forecast_total = [None if f is None else h * f for f in fitted]
    errors = [(total[t] - forecast_total[t]) ** 2 for t in range(hold_from, n - h + 1) if fitted[t] is not None]
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
    assert fc.CANDIDATES == ("Moving Average", "Exponential Smoothing", "Croston", "TSB", "Seasonal", "Damped Trend")
    for row, allowed in ((0, ("Moving Average", "Exponential Smoothing", "Damped Trend")),
                         (1, ("Moving Average", "Croston", "TSB"))):
        y = x[row, late_start:].tolist()
        for j, name in enumerate(fc.CANDIDATES):
            if name in allowed:
                assert choice.scores[row, j] == pytest.approx(rmsse(y, name), rel=1e-9), (row, name)
            else:
                assert np.isnan(choice.scores[row, j]), (row, name)
        best = min((a for a in allowed if a != "Damped Trend"), key=lambda name: rmsse(y, name))
        if "Damped Trend" in allowed and rmsse(y, "Damped Trend") <= 0.95 * rmsse(y, best):
            best = "Damped Trend"
        assert choice.method[row] == best


def test_doctests():
    result = doctest.testmod(fc, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 8
