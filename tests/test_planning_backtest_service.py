"""The backtest's cycle service level against an independent simulation with the true demand.

Generated shops have Poisson daily demand with a known rate λ per SKU and fixed lead
times, so the policy's numbers with perfect knowledge are known: d = λ, σd = √λ. This
file replays the same days with a small simulator of its own (numpy, no jit_workbook
planning code) and compares:

* the textbook periodic-review rule, order up to S = d·(L + R) + z·σd·√(L + R) at every
  review, achieves its target within sampling error — this checks the simulator, the
  cycle bookkeeping and the tolerance;
* the shop's rule (order up to the Reorder Point when the position is at or below it)
  is that rule; the real ``backtest`` — estimating d and σ from history, with the
  default settings (Auto forecast, Empirical safety stock) and with the textbook ones
  (Moving Average, Normal) — lands within a few points of what the simulator achieves
  with the true demand, and holds about the same stock.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from jit_workbook.planning.backtest import backtest
from jit_workbook.settings import Settings
from test_planning_backtest import AS_OF, poisson_shop

pytestmark = pytest.mark.slow

R = 7
DAYS = 365
HISTORY = 730
TARGET = 0.90


def true_demand(seed: int, n: int = 120):
    """The poisson_shop's rates, lead times and the window's daily demand (SKUs × days)."""
    rng = np.random.default_rng(seed)
    rate = rng.uniform(1, 10, n)
    lead = rng.choice((3.0, 5.0, 10.0), n)
    counts = rng.poisson(rate[:, None], (n, HISTORY))
    return rate, lead.astype(int), counts[:, HISTORY - DAYS:].astype(float)


def simulate(rate, lead, demand, reorder_point, order_up_to):
    """Periodic review with lost sales, as the backtest's module docstring describes it:
    review every R days from day 0 (order ⌈S − IP⌉ when IP ≤ s), receive what is due at
    the start of a day, serve the day's demand; a cycle runs from one arrival to the day
    before the next. Returns (cycles, stock-out cycles, mean end-of-day stock) per SKU."""
    n, days = demand.shape
    on_hand = np.ceil(order_up_to)
    on_order = np.zeros(n)
    arrivals = np.zeros((n, days + lead.max() + 1))
    arrived = np.zeros((n, days), bool)
    short = np.zeros((n, days), bool)
    end_stock = np.zeros((n, days))
    for t in range(days):
        if t % R == 0:
            position = on_hand + on_order
            qty = np.where(position <= reorder_point, np.ceil(order_up_to - position), 0.0)
            arrivals[np.arange(n), t + lead] += qty
            on_order += qty
        due = arrivals[:, t]
        arrived[:, t] = due > 0
        on_hand += due
        on_order -= due
        served = np.minimum(on_hand, demand[:, t])
        on_hand -= served
        short[:, t] = demand[:, t] - served > 1e-9
        end_stock[:, t] = on_hand
    cycles = np.zeros(n, int)
    stockouts = np.zeros(n, int)
    for i in range(n):  # per-SKU bookkeeping in plain Python: independent of backtest's cumsum trick
        days_of_arrival = np.flatnonzero(arrived[i])
        for a, b in zip(days_of_arrival[:-1], days_of_arrival[1:]):
            cycles[i] += 1
            stockouts[i] += bool(short[i, a:b].any())
    return cycles, stockouts, end_stock.mean(axis=1)


def levels(rate, lead, p):
    """The textbook reorder point (= order-up-to level) with the true d = λ and σd = √λ."""
    z = NormalDist().inv_cdf(p)
    protection = lead + R
    return rate * protection + z * np.sqrt(protection * rate)


def service(cycles, stockouts) -> float:
    return 1 - stockouts.sum() / cycles.sum()


def sampling_tolerance(p: float, cycles: int) -> float:
    """Three standard errors of a proportion near p over this many cycles."""
    return 3 * math.sqrt(p * (1 - p) / cycles)


SETTINGS = {"default": {}, "textbook": {"forecast_method": "Moving Average", "safety_stock_method": "Normal"}}


@pytest.fixture(scope="module")
def runs():
    out = {}
    for seed in (1, 2, 3):
        rate, lead, demand = true_demand(seed)
        up_to = levels(rate, lead, TARGET)
        # The textbook rule orders at every review (position ≤ S always after a review's demand).
        textbook = simulate(rate, lead, demand, up_to, up_to)
        stock, sales, suppliers = poisson_shop(seed, p=TARGET)
        replays = {name: backtest(stock, sales, suppliers,
                                  Settings(as_of_date=AS_OF, review_period_days=R, **extra), days=DAYS)
                   for name, extra in SETTINGS.items()}
        out[seed] = dict(demand=demand, textbook=textbook, replays=replays)
    return out


def poisson_cdf(k: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """P(Poisson(mean) ≤ k) per element, summed from the probabilities (k ≤ a few hundred)."""
    out = np.zeros(len(k))
    for i, (ki, mu) in enumerate(zip(k.astype(int), mean)):
        out[i] = sum(math.exp(j * math.log(mu) - mu - math.lgamma(j + 1)) for j in range(ki + 1))
    return out


def test_the_simulator_reproduces_the_target_for_the_textbook_rule(runs):
    """With back-orders the textbook rule runs out in a cycle exactly when the L + R days'
    demand exceeds the whole-unit order-up-to level ⌈S⌉, so its cycle service level is
    mean P(D ≤ ⌈S⌉) — a little above the target because orders are whole units (and
    Poisson demand is discrete). Lost sales can only raise it: a shortfall is not
    carried into the next cycle."""
    cycles = stockouts = 0
    predicted = []
    for seed, r in runs.items():
        rate, lead, _ = true_demand(seed)
        up_to = levels(rate, lead, TARGET)
        predicted.append(poisson_cdf(np.ceil(up_to), rate * (lead + R)).mean())
        cycles += r["textbook"][0].sum()
        stockouts += r["textbook"][1].sum()
    predicted = float(np.mean(predicted))
    achieved = 1 - stockouts / cycles
    assert TARGET <= predicted <= TARGET + 0.03, predicted  # within a few points of the target
    tolerance = sampling_tolerance(predicted, cycles)
    assert predicted - tolerance <= achieved <= predicted + tolerance + 0.015, (achieved, predicted)


@pytest.mark.parametrize("settings", sorted(SETTINGS))
def test_the_replay_lands_within_a_few_points_of_the_textbook_rule(runs, settings):
    for seed, r in runs.items():
        cycles, stockouts, _ = r["textbook"]
        achieved_with_truth = service(cycles, stockouts)
        o = r["replays"][settings].overall
        # The replay estimates d and σ from 365 days of history instead of knowing λ:
        # the relative error of d is about 1/√(365·λ), worth about a point of service here.
        tolerance = sampling_tolerance(achieved_with_truth, o["jit_cycles"]) + 0.02
        got = o["jit_cycle_service_level"]
        assert abs(got - achieved_with_truth) <= tolerance, (seed, settings, got, achieved_with_truth)
        assert abs(got - TARGET) <= 0.05, (seed, settings, got)


@pytest.mark.parametrize("settings", sorted(SETTINGS))
def test_the_replay_holds_about_the_stock_the_textbook_rule_needs(runs, settings):
    for seed, r in runs.items():
        per = r["replays"][settings].per_sku
        simulated_units = r["textbook"][2]
        ratio = per["jit_avg_stock_units"].sum() / simulated_units.sum()
        assert 0.93 <= ratio <= 1.07, (seed, settings, ratio)
