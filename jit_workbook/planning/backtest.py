"""The backtest: what the reorder policy would have achieved on the shop's own history.

:func:`backtest` replays the last ``days`` days of the Sales sheet. Every review day it
calls :func:`.reorder.plan_reorder` — the very function ``recalc`` uses, no second
implementation of the policy — with the sales known before that day and the simulated
stock, orders the plan's Suggested Qty, receives each order after the SKU's lead time
and serves that day's actual sales from the simulated shelf. Beside it runs a simple
"just-in-case" rule an owner might follow instead, on the same days, sales and lead
times, so the two can be compared.

Rules of the replay (symbols as in :mod:`.policy`):

* **Window.** Day 1 is ``As Of Date − days + 1``, the last day is the As Of Date.
* **Reviews** on days 1, 1 + r, 1 + 2r, … with r = R rounded to whole days
  (R = 0, continuous review, is replayed as a daily review). A review on day t plans
  with As Of Date = t − 1 and the Sales lines dated before t, and with On Hand and On
  Order set to the simulated stock of the policy. Settings are otherwise unchanged.
* **A day** runs: review (on review days) and place the orders; receive what is due
  today (an order placed on day t with lead time L arrives at the start of day
  t + L, L = the plan's Lead Time Days rounded to whole days, no lead-time
  variability); serve the day's demand.
* **Demand** is each day's sum of positive Sales quantities. Returns are ignored:
  they neither lower demand nor go back on the shelf.
* **Lost sales.** Demand that finds the shelf empty is lost, not back-ordered.
* **Starting stock** (both policies): the Order Up To level S of a plan made the day
  before the window, rounded up to a whole unit (0 when S is blank, e.g. no lead time).
* **Just-in-case baseline.** At the same reviews, when Inventory Position < 30 × d,
  order 90 × d − Inventory Position (MOQ and case pack applied as for the plan), with d
  the plan's Daily Demand at that review. It never orders SKUs the plan would not
  order at all (DO NOT REORDER, CHECK DATA, d = 0).

Measures, per SKU and policy:

* **Replenishment cycle**: from the day an order arrives to the day before the next
  order arrives. Only cycles closed by a next arrival inside the window count (days
  served from the starting stock and the open last cycle do not). A cycle is a
  **stock-out cycle** when some demand in it went unserved.
  **Cycle service level** = cycles without a stock-out ÷ cycles (blank when no cycle).
* **Fill rate** = units served ÷ units demanded (blank when nothing was demanded).
* **Average stock** = mean over the window's days of the on-hand units at the end of
  the day; **average stock value** = that × Unit Cost (0 for consignment stock, as the
  Reorder sheet's Stock Value).
* **Orders**: orders placed in the window (including those still on their way).
* **Stock-out days**: days with unserved demand.
* **Target service level**: the plan's Service Level, averaged over the reviews.

Overall figures pool the SKUs: cycle service level = Σ cycles without stock-out ÷
Σ cycles, fill rate = Σ served ÷ Σ demanded, average stock value = Σ over SKUs, orders
and stock-out days are sums; the overall target is the cycle-weighted mean of the SKU
targets (of the just-in-time cycles).

Source: Silver, Pyke & Thomas (2017), ch. 6 (cycle service level and fill rate,
lost-sales periodic review); Axsäter (2006), ch. 5 (simulating an inventory policy).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..settings import Settings
from .demand import day_number
from .policy import order_qty_parts
from .reorder import CHECK_DATA, DO_NOT_REORDER, plan_reorder

POLICIES = ("jit",)  # policies backtest can replay beside the baseline
BASELINE_TRIGGER_DAYS = 30  # just-in-case: order when the position is below this many days of demand
BASELINE_UP_TO_DAYS = 90  # ... up to this many days of demand
MAX_DAYS = 3660
PREFIXES = ("jit", "jic")  # column prefixes: just in time (the plan), just in case (the baseline)
MEASURES = ("cycles", "cycle_service_level", "fill_rate", "served_units", "lost_units", "avg_stock_units",
            "avg_stock_value", "orders", "ordered_units", "stockout_days")
_TINY = 1e-9


@dataclass(frozen=True)
class BacktestResult:
    """What :func:`backtest` found.

    per_sku: one row per Stock SKU, in Stock order: ``sku``, ``description``,
        ``supplier``, ``status`` and ``abc`` (of the last review's plan),
        ``lead_time_days`` (L used, whole days, NaN when none), ``target_service_level``
        (fraction), ``demand_units``, then for each policy prefix ``jit_`` (the plan)
        and ``jic_`` (the just-in-case baseline) the :data:`MEASURES`: ``cycles``,
        ``cycle_service_level`` and ``fill_rate`` (fractions, NaN when undefined),
        ``served_units``, ``lost_units``, ``avg_stock_units``, ``avg_stock_value``
        (money), ``orders``, ``ordered_units``, ``stockout_days``.
    overall: the same measures for all SKUs together (see the module docstring), plus
        ``skus``, ``days``, ``start``, ``end`` (dates), ``reviews`` and
        ``target_service_level``.
    reviews: review days replayed (calls of ``plan_reorder`` = reviews + 1, the extra
        one sizing the starting stock).
    review_days: the review days' dates.
    seconds: wall-clock time the backtest took.
    """

    per_sku: pd.DataFrame
    overall: dict[str, Any]
    reviews: int
    review_days: tuple = field(default=())
    seconds: float = 0.0

    def table(self) -> pd.DataFrame:
        """``per_sku`` with a last row "All SKUs" holding the overall figures.

        >>> r = BacktestResult(pd.DataFrame({"sku": ["A"], "jit_orders": [2]}),
        ...                    {"jit_orders": 2, "skus": 1}, reviews=1)
        >>> r.table()["sku"].tolist()
        ['A', 'All SKUs']
        """
        row = {k: v for k, v in self.overall.items() if k in self.per_sku.columns}
        row["sku"] = "All SKUs"
        return pd.concat([self.per_sku, pd.DataFrame([row])], ignore_index=True)


def review_step(review_period_days: float) -> int:
    """Days between replayed reviews: R rounded to whole days (halves up), at least 1.

    >>> [review_step(r) for r in (0, 0.4, 1, 3.5, 7)]
    [1, 1, 1, 4, 7]
    """
    return max(1, int(np.floor(float(review_period_days) + 0.5)))


def _whole_days(x: np.ndarray) -> np.ndarray:
    """Lead times rounded to whole days (halves up); -1 where blank."""
    return np.where(np.isfinite(x), np.floor(np.nan_to_num(x) + 0.5), -1).astype(np.int64)


def _demand_matrix(sales: pd.DataFrame, skus: pd.Index, first_day: int, days: int) -> np.ndarray:
    """Units demanded per SKU per window day: the sum of positive quantities (returns ignored)."""
    out = np.zeros(len(skus) * days)
    if len(sales):
        pos = skus.get_indexer(sales["sku"].astype("str"))
        day = sales["date"].to_numpy().astype("datetime64[D]").astype(np.int64) - first_day
        qty = np.nan_to_num(sales["quantity"].to_numpy(dtype=float, na_value=np.nan), nan=0.0)
        keep = (pos >= 0) & (day >= 0) & (day < days) & (qty > 0)
        out = np.bincount(pos[keep] * days + day[keep], weights=qty[keep], minlength=len(skus) * days)
    return out.reshape(len(skus), days)


class _Shelf:
    """One policy's simulated stock for all SKUs: on hand, pipeline and the day's records."""

    def __init__(self, start: np.ndarray, days: int, horizon: int):
        n = len(start)
        self.on_hand = start.astype(float).copy()
        self.on_order = np.zeros(n)
        self.arrivals = np.zeros((n, days + horizon + 1))
        self.received = np.zeros((n, days), dtype=bool)
        self.unmet = np.zeros((n, days), dtype=bool)
        self.end_stock = np.zeros((n, days))
        self.served = np.zeros(n)
        self.lost = np.zeros(n)
        self.orders = np.zeros(n, dtype=np.int64)
        self.ordered = np.zeros(n)

    def order(self, t: int, qty: np.ndarray, lead: np.ndarray) -> None:
        placed = (qty > 0) & (lead >= 0)
        rows = np.flatnonzero(placed)
        self.arrivals[rows, t + lead[rows]] += qty[rows]
        self.on_order[rows] += qty[rows]
        self.orders[rows] += 1
        self.ordered[rows] += qty[rows]

    def day(self, t: int, demand: np.ndarray) -> None:
        due = self.arrivals[:, t]
        self.received[:, t] = due > 0
        self.on_hand += due
        self.on_order -= due
        served = np.minimum(self.on_hand, demand)
        self.on_hand -= served
        self.served += served
        short = demand - served
        self.unmet[:, t] = short > _TINY
        self.lost += short
        self.end_stock[:, t] = self.on_hand

    def measures(self, demand_units: np.ndarray, value_per_unit: np.ndarray) -> dict[str, np.ndarray]:
        n, days = self.received.shape
        arrivals = self.received.sum(axis=1)
        cycle = np.cumsum(self.received, axis=1)  # cycle k = days after the k-th arrival
        closed = (cycle >= 1) & (cycle < arrivals[:, None])
        hit = np.zeros((n, days + 1), dtype=bool)
        rows, cols = np.nonzero(self.unmet & closed)
        hit[rows, cycle[rows, cols]] = True
        cycles = np.maximum(arrivals - 1, 0)
        stockout_cycles = hit.sum(axis=1)
        avg_units = self.end_stock.mean(axis=1)
        return {
            "cycles": cycles,
            "stockout_cycles": stockout_cycles,
            "cycle_service_level": np.divide(cycles - stockout_cycles, cycles, out=np.full(n, np.nan),
                                             where=cycles > 0),
            "fill_rate": np.divide(self.served, demand_units, out=np.full(n, np.nan), where=demand_units > _TINY),
            "served_units": self.served.copy(),
            "lost_units": self.lost.copy(),
            "avg_stock_units": avg_units,
            "avg_stock_value": avg_units * value_per_unit,
            "orders": self.orders.copy(),
            "ordered_units": self.ordered.copy(),
            "stockout_days": self.unmet.sum(axis=1),
        }


def backtest(stock: pd.DataFrame, sales: pd.DataFrame, suppliers: pd.DataFrame, settings: Settings,
             days: int = 180, policy: str = "jit") -> BacktestResult:
    """Replay the reorder policy over the last ``days`` days of sales, beside a
    just-in-case baseline; the rules and measures are in the module docstring.

    Parameters
    ----------
    stock, sales, suppliers : DataFrame
        As for :func:`.reorder.plan_reorder` (typed frames from the reader). Stock's
        On Hand and On Order are replaced by the simulated stock.
    settings : Settings
        As for ``plan_reorder``; the As Of Date is the window's last day, R (Review
        Period Days) sets the review days.
    days : int
        Days replayed (the window), 1 to 3660; the Sales sheet should reach back
        further than that, or early reviews plan from little history.
    policy : str
        The policy replayed beside the baseline; only ``"jit"`` (the Reorder sheet's
        policy) for now.

    Returns
    -------
    BacktestResult
        ``per_sku`` (one row per SKU, Stock order) and ``overall``; ``reviews`` counts
        the reviews replayed (one ``plan_reorder`` call each, plus one for the starting
        stock).

    Raises
    ------
    ValueError
        If ``days`` is outside 1–3660, ``policy`` is unknown, or Stock repeats a SKU.

    Source: Silver, Pyke & Thomas (2017), ch. 6; Axsäter (2006), ch. 5.

    One SKU selling 2 a day, lead time 3 days, weekly review, 95%:

    >>> import datetime as dt
    >>> stock = pd.DataFrame({
    ...     "sku": ["P1"], "description": ["Paint"], "supplier": ["Acme"], "barcode": [""],
    ...     "category": [""], "on_hand": [0.0], "on_order": [0.0], "unit_cost": [4.0],
    ...     "unit_price": [9.0], "lead_time_days": [3.0], "lead_time_std_days": [float("nan")],
    ...     "moq": [float("nan")], "case_pack": [float("nan")], "service_level": [0.95],
    ...     "consignment": [False], "status": ["Active"], "row": [2], "check_data": [""]})
    >>> sales = pd.DataFrame({"date": pd.date_range("2026-01-01", periods=120),
    ...                       "sku": ["P1"] * 120, "quantity": [2.0] * 120,
    ...                       "unit_price": [float("nan")] * 120, "row": range(2, 122)})
    >>> suppliers = pd.DataFrame({"supplier": ["Acme"], "lead_time_days": [3.0],
    ...                           "lead_time_std_days": [0.0]})
    >>> result = backtest(stock, sales, suppliers, Settings(as_of_date=dt.date(2026, 4, 30)), days=56)
    >>> result.reviews, int(result.overall["jit_orders"]), result.overall["jit_fill_rate"]
    (8, 7, 1.0)
    """
    if isinstance(days, bool) or int(days) != days or not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be a whole number from 1 to {MAX_DAYS}, got {days!r}")
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(POLICIES)}, got {policy!r}")
    began = time.perf_counter()
    days = int(days)
    st = stock.reset_index(drop=True)
    skus = pd.Index(st["sku"].astype("str"))
    if not skus.is_unique:
        raise ValueError(f"Stock repeats SKU {skus[skus.duplicated()][0]!r}")
    n = len(st)
    last_day = day_number(settings.plan_date())
    first_day = last_day - days + 1
    dates = pd.to_datetime(np.arange(first_day, last_day + 1).astype("datetime64[D]"))

    # Sales sorted by date once, so "known before day t" is a prefix of the rows.
    known = sales.sort_values("date", kind="stable") if len(sales) else sales
    known_days = (known["date"].to_numpy().astype("datetime64[D]").astype(np.int64) if len(known)
                  else np.empty(0, dtype=np.int64))
    demand = _demand_matrix(sales, skus, first_day, days)
    unit_cost = np.nan_to_num(pd.to_numeric(st["unit_cost"], errors="coerce").to_numpy(dtype=float), nan=0.0)
    consignment = st["consignment"].fillna(False).astype(bool).to_numpy()
    value_per_unit = np.where(consignment, 0.0, np.maximum(unit_cost, 0.0))
    moq = pd.to_numeric(st["moq"], errors="coerce").to_numpy(dtype=float)
    case_pack = pd.to_numeric(st["case_pack"], errors="coerce").to_numpy(dtype=float)

    def plan_on(day: int, on_hand: np.ndarray, on_order: np.ndarray) -> pd.DataFrame:
        """plan_reorder as it would have run on the morning of ``day`` (As Of = day − 1)."""
        as_of = (np.datetime64(day - 1, "D")).astype(object)
        frame = st.copy()
        frame["on_hand"] = on_hand
        frame["on_order"] = on_order
        past = known.iloc[: int(np.searchsorted(known_days, day, side="left"))]
        plan, _ = plan_reorder(frame, past, suppliers, settings.model_copy(update={"as_of_date": as_of}))
        return plan

    start_plan = plan_on(first_day, np.zeros(n), np.zeros(n))
    up_to = start_plan["order_up_to"].to_numpy(dtype=float)
    start = np.where(np.isfinite(up_to), np.ceil(np.nan_to_num(up_to) - _TINY), 0.0)
    start = np.maximum(start, 0.0)
    lead = _whole_days(start_plan["lead_time_days"].to_numpy(dtype=float))
    horizon = int(max(lead.max(initial=0), 0))
    shelves = {"jit": _Shelf(start, days, horizon), "jic": _Shelf(start, days, horizon)}

    step = review_step(settings.review_period_days)
    review_at = range(0, days, step)
    target_sum = np.zeros(n)
    plan = start_plan
    for t in range(days):
        if t % step == 0:
            jit, jic = shelves["jit"], shelves["jic"]
            plan = plan_on(first_day + t, jit.on_hand, jit.on_order)
            target_sum += plan["service_level"].to_numpy(dtype=float)
            lead_now = _whole_days(plan["lead_time_days"].to_numpy(dtype=float))
            jit.order(t, plan["suggested_qty"].to_numpy(dtype=float), lead_now)
            d = plan["daily_demand"].to_numpy(dtype=float)
            may_order = ~plan["status"].isin([DO_NOT_REORDER, CHECK_DATA]).to_numpy() & (d > 0)
            position = jic.on_hand + jic.on_order
            trigger = may_order & (position < BASELINE_TRIGGER_DAYS * d - _TINY)
            need = np.where(trigger, BASELINE_UP_TO_DAYS * d - position, 0.0)
            qty, _, _ = order_qty_parts(need, moq, case_pack)
            jic.order(t, qty.astype(float), lead_now)
        for shelf in shelves.values():
            shelf.day(t, demand[:, t])

    reviews = len(review_at)
    demand_units = demand.sum(axis=1)
    target = target_sum / reviews
    per_sku = pd.DataFrame({
        "sku": skus.astype("str"),
        "description": plan["description"].to_numpy(),
        "supplier": plan["supplier"].to_numpy(),
        "status": plan["status"].to_numpy(),
        "abc": plan["abc"].to_numpy(),
        "lead_time_days": np.where(lead >= 0, lead, np.nan).astype(float),
        "target_service_level": target,
        "demand_units": demand_units,
    })
    overall: dict[str, Any] = {
        "skus": n, "days": days, "start": dates[0].date(), "end": dates[-1].date(), "reviews": reviews,
        "demand_units": float(demand_units.sum()),
    }
    for prefix, shelf in shelves.items():
        m = shelf.measures(demand_units, value_per_unit)
        for name in MEASURES:
            per_sku[f"{prefix}_{name}"] = m[name]
        cycles, bad = int(m["cycles"].sum()), int(m["stockout_cycles"].sum())
        served = float(m["served_units"].sum())
        overall.update({
            f"{prefix}_cycles": cycles,
            f"{prefix}_cycle_service_level": (cycles - bad) / cycles if cycles else float("nan"),
            f"{prefix}_fill_rate": served / overall["demand_units"] if overall["demand_units"] > 0 else float("nan"),
            f"{prefix}_served_units": served,
            f"{prefix}_lost_units": float(m["lost_units"].sum()),
            f"{prefix}_avg_stock_units": float(m["avg_stock_units"].sum()),
            f"{prefix}_avg_stock_value": float(m["avg_stock_value"].sum()),
            f"{prefix}_orders": int(m["orders"].sum()),
            f"{prefix}_ordered_units": float(m["ordered_units"].sum()),
            f"{prefix}_stockout_days": int(m["stockout_days"].sum()),
        })
    jit_cycles = per_sku["jit_cycles"].to_numpy(dtype=float)
    overall["target_service_level"] = (float((target * jit_cycles).sum() / jit_cycles.sum())
                                       if jit_cycles.sum() > 0 else float(np.nanmean(target)) if n else float("nan"))
    return BacktestResult(per_sku, overall, reviews, tuple(dates[list(review_at)].date),
                          time.perf_counter() - began)
