"""The Empirical safety stock and the fill-rate target against plain loops written from
README's formula 5 (window errors, the ⌈p·n⌉-th error, the expected shortage, the blend
with the shop's errors as a floor, or for Fill Rate the class's typical factor)."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from jit_workbook.planning import safety
from jit_workbook.planning.safety import (
    POOL_MIN_WINDOWS, SHRINK_WINDOWS, WARMUP_DAYS, empirical_factor, fill_rate_safety_factor,
    quantile_safety_stock, shortage_safety_stock, window_errors)


def loop_window_errors(x, valid, rate, h, index=None, warmup=WARMUP_DAYS):
    """README: for each day t with ≥ warmup valid days before it, whose H days fit in the
    history, whose first day is valid and at least a quarter of whose days are valid,
    e = units sold on the valid days of t..t+H-1, scaled up to all H days by their
    weights (1, or the day's index), − rate_t × (the weight of all H days)."""
    out = []
    for t in range(len(x)):
        window = range(t, t + h)
        if t + h > len(x) or not valid[t] or sum(valid[:t]) < warmup:
            out.append(None)
            continue
        open_days = [u for u in window if valid[u]]
        if len(open_days) < math.ceil(h / 4) or rate[t] is None or math.isnan(rate[t]):
            out.append(None)
            continue
        w = [1.0] * len(x) if index is None else index
        weight = sum(w[u] for u in window)
        sold = sum(x[u] for u in open_days) * weight / sum(w[u] for u in open_days)
        out.append(sold - rate[t] * weight)
    return out


def loop_quantile(errors, p):
    e = sorted(v for v in errors if v is not None)
    return e[math.ceil(p * len(e) - 1e-9) - 1]


def loop_shortage_level(errors, allowed):
    """The smallest s with mean(max(e − s, 0)) ≤ allowed, by bisection on s."""
    e = [v for v in errors if v is not None]
    lo, hi = min(e) - allowed - 1, max(e)
    for _ in range(200):
        mid = (lo + hi) / 2
        if sum(max(v - mid, 0) for v in e) / len(e) <= allowed:
            hi = mid
        else:
            lo = mid
    return hi


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_window_errors_match_a_plain_loop(seed):
    rng = np.random.default_rng(seed)
    n, days = 4, 90
    x = rng.poisson(3, (n, days)).astype(float)
    valid = np.ones((n, days), bool)
    valid[1, :20] = False  # a late start
    valid[2, 50:53] = False  # three stock-out days left out
    rate = rng.uniform(1, 5, (n, days))
    rate[:, 0] = np.nan
    index = rng.uniform(0.5, 1.5, (n, days))
    h = np.array([7, 10, 14, 3])
    for use_index in (False, True):
        got = window_errors(x, valid, rate, h, index if use_index else None)
        for i in range(n):
            exp = loop_window_errors(x[i].tolist(), valid[i].tolist(), rate[i].tolist(), int(h[i]),
                                     index[i].tolist() if use_index else None)
            for t, e in enumerate(exp):
                if e is None:
                    assert np.isnan(got[i, t]), (i, t)
                else:
                    assert got[i, t] == pytest.approx(e, rel=1e-12, abs=1e-9), (i, t)
    # a window starting on a day out of stock is left out; one that only covers such days
    # counts, its open days' sales scaled up to all its days
    got = window_errors(x, valid, rate, h)
    assert np.isnan(got[2, 50:53]).all()
    t = 45  # days 45-58 (H = 14), three of them out of stock
    assert got[2, t] == pytest.approx(x[2, [u for u in range(t, t + 14) if valid[2, u]]].sum() * 14 / 11
                                      - rate[2, t] * 14)
    sparse = np.ones((1, 60), bool)
    sparse[0, 31:45] = False  # only the first of days 30-44 open: under a quarter of H = 14
    assert np.isnan(window_errors(np.ones((1, 60)), sparse, np.ones((1, 60)), [14])[0, 30])
    sparse[0, 31:34] = True  # 4 of 14 open
    assert window_errors(np.ones((1, 60)), sparse, np.ones((1, 60)), [14])[0, 30] == pytest.approx(0.0)


def test_horizon_is_rounded_up_to_whole_days():
    x = np.ones((1, 40))
    got = window_errors(x, np.ones_like(x, bool), np.zeros_like(x), [2.2], warmup_days=0)
    assert got[0, 0] == 3.0  # 2.2 days -> 3 whole days of sales


@pytest.mark.parametrize("seed", [4, 5])
def test_quantile_and_shortage_match_plain_loops(seed):
    rng = np.random.default_rng(seed)
    errors = rng.normal(0, 5, (6, 50))
    errors[rng.random(errors.shape) < 0.3] = np.nan
    errors[5] = np.nan  # no window at all
    desc, n_w = safety._sorted_desc(errors)
    p = np.array([0.5, 0.9, 0.95, 0.98, 0.999, 0.9])
    allowed = np.array([0.1, 0.5, 1.0, 2.0, 5.0, 1.0])
    q = quantile_safety_stock(desc, n_w, p)
    s = shortage_safety_stock(desc, n_w, allowed)
    for i in range(5):
        row = [None if np.isnan(v) else float(v) for v in errors[i]]
        assert q[i] == loop_quantile(row, p[i])
        assert s[i] == pytest.approx(loop_shortage_level(row, allowed[i]), abs=1e-9)
    assert np.isnan(q[5]) and np.isnan(s[5])


def test_fill_rate_factor_inverts_the_normal_loss_function():
    nd = NormalDist()
    for k in (-1.0, 0.0, 0.5, 1.2816, 2.0, 3.0):
        loss = nd.pdf(k) - k * (1 - nd.cdf(k))
        assert fill_rate_safety_factor([loss * 4.0], [4.0])[0] == pytest.approx(k, abs=1e-4)


def _own_factor(row, p):
    """(k_item, σ_H, n) of one item's errors by plain loops."""
    row = [float(v) for v in row if not np.isnan(v)]
    s = math.sqrt(sum(v * v for v in row) / len(row))
    return loop_quantile(row, p) / s, s, len(row)


def test_cycle_factor_never_below_the_shops_by_hand():
    rng = np.random.default_rng(7)
    # three items with a long history (together they set the shop's factor; the third's
    # errors have heavy tails), a new item with 10 windows and one more at 90%.
    long = np.vstack([rng.normal(0, 3, (2, 200)), rng.standard_t(2, (1, 200)) * 3])
    short = np.full((2, 200), np.nan)
    short[:, :10] = rng.normal(1, 2, (2, 10))
    errors = np.vstack([long, short])
    p = np.array([0.95, 0.95, 0.95, 0.95, 0.9])
    k, sigma, n, floor = empirical_factor(errors, p, "Cycle", np.zeros(5), ["A", "A", "A", "A", "C"])

    owns = [_own_factor(errors[i], p[i]) for i in range(5)]
    assert all(o[2] >= POOL_MIN_WINDOWS for o in owns[:3]) and owns[3][2] == owns[4][2] == 10
    # the shop's factor: every long item's errors ÷ its own σ_H, pooled, at position ⌈p·N⌉
    pooled = sorted(v / owns[i][1] for i in range(3) for v in errors[i])
    shop = {q: pooled[math.ceil(q * len(pooled) - 1e-9) - 1] for q in (0.95, 0.9)}
    for i in range(5):
        k_own, s, windows = owns[i]
        w = windows / (windows + SHRINK_WINDOWS)
        expected = shop[p[i]] + w * (k_own - shop[p[i]]) if k_own > shop[p[i]] else shop[p[i]]
        assert k[i] == pytest.approx(expected, rel=1e-12)
        assert bool(floor[i]) == (k_own <= shop[p[i]])
        assert sigma[i] == pytest.approx(s, rel=1e-12) and n[i] == windows
    assert floor.any() and not floor.all()  # both branches of the rule are exercised


def test_cycle_factor_is_the_items_own_when_no_item_has_enough_windows():
    errors = np.array([[3.0, -1.0, 2.0, 0.0, -2.0, 1.0, 5.0, -3.0]])
    k, _, _, floor = empirical_factor(errors, [0.875], "Cycle", [0.0], ["A"])
    assert k[0] == pytest.approx(_own_factor(errors[0], 0.875)[0], rel=1e-12) and not floor[0]


def test_fill_rate_blend_with_the_class_factor_by_hand():
    rng = np.random.default_rng(7)
    # three A items with a long history (their own k sets the class's), one new A item
    # with 10 windows, one C item alone in its class with 10 windows.
    long = rng.normal(0, 3, (3, 200))
    short = np.full((2, 200), np.nan)
    short[:, :10] = rng.normal(1, 2, (2, 10))
    errors = np.vstack([long, short])
    allowed = np.array([0.2, 0.3, 0.25, 0.2, 0.4])
    k, sigma, n, floor = empirical_factor(errors, np.full(5, 0.95), "Fill Rate", allowed, ["A", "A", "A", "A", "C"])

    def own(i):
        row = [float(v) for v in errors[i] if not np.isnan(v)]
        s = math.sqrt(sum(v * v for v in row) / len(row))
        return loop_shortage_level(row, allowed[i]) / s, s, len(row)

    owns = [own(i) for i in range(5)]
    class_a = sorted(o[0] for o in owns[:3])[1]  # the median of three
    for i in range(4):
        k_own, s, windows = owns[i]
        w = windows / (windows + SHRINK_WINDOWS)
        assert k[i] == pytest.approx(w * k_own + (1 - w) * class_a, rel=1e-7)
        assert sigma[i] == pytest.approx(s, rel=1e-12) and n[i] == windows
    # class C has no item with enough windows: the item keeps its own factor
    assert k[4] == pytest.approx(owns[4][0], rel=1e-7)
    assert not floor.any()


def test_only_the_last_error_days_count():
    rng = np.random.default_rng(9)
    x = rng.poisson(2, (3, 120)).astype(float)
    valid = np.ones_like(x, bool)
    rate = np.full_like(x, 2.0)
    full = window_errors(x, valid, rate, [5, 7, 9])
    last = window_errors(x, valid, rate, [5, 7, 9], error_days=30)
    assert full.shape == (3, 120) and last.shape == (3, 30)
    np.testing.assert_array_equal(last, full[:, -30:])


@pytest.mark.parametrize("seed", [4, 5])
def test_cycle_windows_need_a_sale_on_their_first_review_days(seed):
    # README formula 5, rule 1: with Service Measure Cycle only the windows with a sale on
    # their first R days count, checked against the plain loop's windows.
    rng = np.random.default_rng(seed)
    n, days = 3, 120
    x = (rng.poisson(4, (n, days)) * (rng.random((n, days)) < 0.2)).astype(float)  # intermittent
    valid = np.ones((n, days), bool)
    valid[0, 60:64] = False
    rate = rng.uniform(0.2, 1.5, (n, days))
    h, review = np.array([10, 14, 5]), 7
    got = window_errors(x, valid, rate, h, sold_first_days=review)
    for i in range(n):
        exp = loop_window_errors(x[i].tolist(), valid[i].tolist(), rate[i].tolist(), int(h[i]))
        for t, e in enumerate(exp):
            sold_first = sum(x[i, t:t + min(review, int(h[i]))]) > 0
            if e is None or not sold_first:
                assert np.isnan(got[i, t]), (i, t)
            else:
                assert got[i, t] == pytest.approx(e, rel=1e-12, abs=1e-9), (i, t)
    kept = np.isfinite(got).sum()
    assert 0 < kept < np.isfinite(window_errors(x, valid, rate, h)).sum()  # some windows really left out
    # R = 0 (continuous review) counts the windows that start with a sale
    got0 = window_errors(x, valid, rate, h, sold_first_days=0)
    assert np.array_equal(np.isfinite(got0), np.isfinite(window_errors(x, valid, rate, h)) & (x > 0))
