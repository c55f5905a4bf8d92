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
  they neither lower demand nor go back on the shelf. An exceptional line (above
  K × the SKU's typical line, the rule the plan's demand series uses) asks the shelf
  for K × typical only; the rest is a **special order**, bought in for that customer,
  and is reported as ``special_order_units`` rather than replayed.
* **Lost sales.** Demand that finds the shelf empty is lost, not back-ordered.
* **Days out of stock.** A window day on which the simulated shelf was empty at the
  start (after that morning's deliveries) is left out of the demand series of the
  later reviews' plans (``plan_reorder``'s ``unavailable``), as the plan leaves out
  days out of stock in the shop's own records. A day on which the shelf ran out part
  way is kept, with its recorded sales: stock-outs happen on the busiest days, so
  leaving those out would bias the rate down (measured on the real shop: 86% → 78%
  cycle service). Days before the window are not censored.
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

**What the shop actually held** (columns ``actual_``), when Receipts allow. The
shop's real stock is rebuilt backwards from today's count, with no simulation:

* **Rebuilt stock.** On Hand is the count at the end of the As Of Date (the window's
  last day). For a window day t, end-of-day on hand(t) = On Hand + Σ Sales Quantity
  dated after t − Σ Receipts Quantity with Received date after t (lines dated after
  the As Of Date are left out). Sales count **with their sign**: a return (negative
  quantity) went back on the shelf, so the stock before it was lower. A delivery
  arrives at the start of its Received day, as in the replay. The **opening stock**
  (end of the day before the window) is the same sum over the whole window.
* **When Receipts allow** — a SKU's actual figures are given only when all hold,
  else its actual columns are blank and ``actual_note`` says why:

  1. Receipts are kept: the Receipts sheet has at least one delivery (any SKU)
     received inside the window. An empty or stale Receipts sheet says nothing about
     what arrived, so no SKU is rebuilt.
  2. On Hand is known.
  3. The SKU has Receipts rows (any date), or it never needed one: it had no sale
     (positive quantity) in the window, or the shop logged deliveries from its
     supplier (Stock's Supplier; case and spacing ignored) inside the window, none of
     them of this SKU, so it sold from the stock it had. A SKU that sold while neither
     it nor its supplier appears on Receipts had deliveries nobody logged (a
     consignment supplier refilling its own shelf, say), or none: we cannot tell.
  4. Every Receipts row of the SKU has a Received date and a Quantity.
  5. The rebuilt stock — the opening stock and every end of day in the window — never
     goes below zero. A negative means On Hand is lower than Sales and Receipts
     explain: shrinkage (theft, breakage, unrecorded sales), a miscount, or a receipt
     entered twice or too large. (A *missing* receipt cannot be caught this way: it
     makes the rebuilt history fuller, not negative — which is why rule 3 asks for
     Receipts rows.)

* **Measures** for a rebuilt SKU: ``actual_avg_stock_units`` = mean over the window's
  days of the rebuilt end-of-day stock; ``actual_avg_stock_value`` = that × Unit Cost
  (0 for consignment stock, as for the two policies); ``actual_orders`` = deliveries
  received in the window, one per PO Number (any case, spaces ignored) or, for rows
  without one, per Received date; ``actual_empty_shelf_days`` = window days that
  ended with no stock (≤ 1e-6 units). Lost sales are not recorded anywhere, so the
  shop's actual fill rate and cycle service level cannot be known and are not given;
  empty-shelf days are not the policies' stock-out days (days with unserved demand).
  ``actual_skus`` is 1 for a rebuilt SKU, 0 otherwise.
* **Overall**: ``actual_skus`` = SKUs rebuilt; average stock units and value, orders
  and empty-shelf days are sums over the rebuilt SKUs only (blank when none).
  Because the two policies' overall figures cover every SKU, ``overall`` also gives
  ``covered_jit_avg_stock_value`` and ``covered_jic_avg_stock_value``, the policies'
  average stock value on the same rebuilt SKUs, and the "All SKUs" ``actual_note``
  states that like-for-like comparison.

Source: Silver, Pyke & Thomas (2017), ch. 6 (cycle service level and fill rate,
lost-sales periodic review); Axsäter (2006), ch. 5 (simulating an inventory policy).
"""

from __future__ import annotations

import datetime as dt  # noqa: F401  (used by the doctest examples)
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..settings import Settings
from .availability import STOCK_TOL, daily_units, rebuild, sku_positions
from .availability import rebuild_stock  # noqa: F401  (here since the backtest came first)
from .demand import cap_exceptional_lines, day_number
from .policy import order_qty_parts
from .reorder import CHECK_DATA, DO_NOT_REORDER, plan_reorder
from .safety import WARMUP_DAYS

MIN_REPLAY_DAYS = 28  # fewer days than 4 weeks replay too few reviews to say anything

POLICIES = ("jit",)  # policies backtest can replay beside the baseline
BASELINE_TRIGGER_DAYS = 30  # just-in-case: order when the position is below this many days of demand
BASELINE_UP_TO_DAYS = 90  # ... up to this many days of demand
MAX_DAYS = 3660
PREFIXES = ("jit", "jic")  # column prefixes: just in time (the plan), just in case (the baseline)
MEASURES = ("cycles", "cycle_service_level", "fill_rate", "served_units", "lost_units", "avg_stock_units",
            "avg_stock_value", "orders", "ordered_units", "stockout_days")
ACTUAL_MEASURES = ("avg_stock_units", "avg_stock_value", "orders", "empty_shelf_days")  # prefix actual_
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
        (money), ``orders``, ``ordered_units``, ``stockout_days``; then what the shop
        actually held: ``actual_skus`` (1 when rebuilt from Receipts, else 0), the
        :data:`ACTUAL_MEASURES` ``actual_avg_stock_units``, ``actual_avg_stock_value``
        (money), ``actual_orders``, ``actual_empty_shelf_days`` (NaN when not rebuilt)
        and ``actual_note`` (why not, else "").
    overall: the same measures for all SKUs together (see the module docstring), plus
        ``skus``, ``days``, ``start``, ``end`` (dates), ``reviews``,
        ``target_service_level``, ``covered_jit_avg_stock_value`` and
        ``covered_jic_avg_stock_value`` (the policies on the rebuilt SKUs only).
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


def _actual(on_hand: np.ndarray, skus: pd.Index, supplier: pd.Series, sales: pd.DataFrame,
            receipts: pd.DataFrame | None, first_day: int, days: int,
            value_per_unit: np.ndarray) -> dict[str, Any]:
    """What the shop actually held, per SKU, where Receipts allow (rules in the module docstring)."""
    n = len(skus)
    rb = rebuild(on_hand, skus, supplier, sales, receipts, first_day, days)
    level, covered, kept = rb.level, rb.covered, rb.kept
    start = np.datetime64(first_day, "D")
    end_of_day = np.nan_to_num(level[:, 1:])
    avg_units = np.where(covered, end_of_day.mean(axis=1), np.nan)
    # One delivery per PO Number (any case, spaces ignored), or per Received date without one.
    rc = rb.receipts
    po = (rc["po_number"] if "po_number" in rc else pd.Series("", index=rc.index)).fillna("").astype("str")
    po = po.str.replace(" ", "").str.upper().reset_index(drop=True)
    key = po.where(po.ne(""), "~" + pd.Series(rb.rday).astype("str"))
    took = (rb.pos >= 0) & rb.in_window
    deliveries = pd.DataFrame({"pos": rb.pos[took], "key": key[took].to_numpy()}).drop_duplicates()
    orders = np.bincount(deliveries["pos"].to_numpy(dtype=np.int64), minlength=n).astype(float)
    empty = (end_of_day <= STOCK_TOL).sum(axis=1).astype(float)

    notes = np.full(n, "", dtype=object)
    if not kept:
        notes[:] = "no Receipts row received in the window: the actual stock cannot be rebuilt"
    # The newest day below zero: walking back from the count, where the records first contradict it.
    last_negative = rb.negative.shape[1] - 1 - np.argmax(rb.negative[:, ::-1], axis=1)  # column 0 = day before
    for mask, say in (
            (~rb.known, lambda i: "On Hand is blank"),
            (~rb.recorded, lambda i: "sold in the window, but Receipts has no row of it and no delivery from its "
                                  "supplier in the window: its deliveries are not recorded"),
            (rb.incomplete, lambda i: "a Receipts row of this SKU has no Received date or Quantity"),
            (rb.negative.any(axis=1), lambda i: (
                f"rebuilt stock would be {level[i, last_negative[i]]:,.4g} at the end of "
                f"{(start + np.timedelta64(int(last_negative[i]) - 1, 'D')).astype(object)}: On Hand is "
                "lower than Sales and Receipts explain (shrinkage, a miscount, or a receipt entered twice)"))):
        for i in np.flatnonzero(mask & (notes == "")):  # only the SKUs left blank, for their note
            notes[i] = say(i)
    return {
        "covered": covered, "kept": kept, "note": notes,
        "avg_stock_units": avg_units,
        "avg_stock_value": avg_units * value_per_unit,
        "orders": np.where(covered, orders, np.nan),
        "empty_shelf_days": np.where(covered, empty, np.nan),
    }


def _overall_note(overall: dict[str, Any], n: int, kept: bool) -> str:
    """The "All SKUs" row's note: how many SKUs were rebuilt and the like-for-like comparison."""
    k = overall["actual_skus"]
    if not kept:
        return "no Receipts row received in the window: the actual stock cannot be rebuilt"
    if not k:
        return f"actual stock rebuilt for none of the {n} SKUs (see each SKU's note)"
    return (f"actual stock rebuilt for {k} of {n} SKUs; on those, average stock value: actual "
            f"{overall['actual_avg_stock_value']:,.2f}, JIT {overall['covered_jit_avg_stock_value']:,.2f}, "
            f"just in case {overall['covered_jic_avg_stock_value']:,.2f}")


def _shelf_demand(sales: pd.DataFrame, skus: pd.Index, first_day: int, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Units asked of the shelf per SKU and window day, and each SKU's special-order units.

    Demand is the day's positive Sales quantities (returns ignored), each exceptional
    line counted up to its cap as the plan counts it (:func:`.demand.cap_exceptional_lines`,
    the typical line measured over all lines up to the window's last day); the rest of
    such a line is a special order, bought in for that customer rather than sold from
    the shelf, and is reported, not replayed.

    >>> sales = pd.DataFrame({"date": pd.to_datetime(["1970-01-02"] * 6), "sku": ["A"] * 6,
    ...                       "quantity": [2.0, 3.0, 2.0, 2.0, 2.0, 240.0]})
    >>> demand, special = _shelf_demand(sales, pd.Index(["A"]), 1, 1)
    >>> demand.tolist(), special.tolist()
    ([[51.0]], [200.0])
    """
    if not len(sales):
        return np.zeros((len(skus), days)), np.zeros(len(skus))
    lines = sales[sales["date"] < pd.Timestamp(np.datetime64(first_day + days, "D"))]
    pos = sku_positions(lines, skus)  # as the stock rebuild matches them
    lines = lines[pos >= 0]
    qty = pd.to_numeric(lines["quantity"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    counted, _ = cap_exceptional_lines(qty, pos[pos >= 0], len(skus))
    shelf = lines.assign(quantity=counted)
    demand = daily_units(shelf, "date", skus, first_day, days, positive=True)
    return demand, daily_units(lines, "date", skus, first_day, days, positive=True).sum(axis=1) - demand.sum(axis=1)


class _Shelf:
    """One policy's simulated stock for all SKUs: on hand, pipeline and the day's records."""

    def __init__(self, start: np.ndarray, days: int, horizon: int):
        n = len(start)
        self.on_hand = start.astype(float).copy()
        self.on_order = np.zeros(n)
        self.arrivals = np.zeros((n, days + horizon + 1))
        self.received = np.zeros((n, days), dtype=bool)
        self.unmet = np.zeros((n, days), dtype=bool)
        self.censored = np.zeros((n, days), dtype=bool)  # empty at the start of the day
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
        self.censored[:, t] = self.on_hand <= _TINY
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


@dataclass(frozen=True)
class Window:
    """The days a backtest can replay on the history there is.

    days: days to replay = min(wanted, the days the Sales sheet covers up to the As Of
        Date − the ``WARMUP_DAYS`` (28) the first review needs to plan from); 0 or less
        when there is not even that.
    wanted: the Backtest Days setting.
    first_sale: the first Sales date on or before the As Of Date (None when none).
    covered: days from first_sale to the As Of Date, both counted (0 when no sale).
    """

    days: int
    wanted: int
    first_sale: Any
    covered: int

    @property
    def shortened(self) -> bool:
        return self.days < self.wanted

    @property
    def enough(self) -> bool:
        """Enough history to replay: the days wanted, or at least ``MIN_REPLAY_DAYS`` when
        the Sales sheet cut the window short.

        >>> Window(20, 20, dt.date(2024, 1, 1), 700).enough, Window(27, 180, dt.date(2026, 9, 27), 55).enough
        (True, False)
        """
        return self.days >= min(self.wanted, MIN_REPLAY_DAYS)

    @property
    def note(self) -> str:
        """Why fewer days than wanted are replayed ("" when all are).

        >>> Window(63, 180, dt.date(2026, 8, 22), 91).note
        'Backtest Days 180 shortened to 63: Sales start 2026-08-22 (91 days to the As Of Date), and the plan needs the first 28 of them to plan from.'
        """
        if not self.shortened:
            return ""
        return (f"Backtest Days {self.wanted} shortened to {self.days}: Sales start {self.first_sale.isoformat()} "
                f"({self.covered} days to the As Of Date), and the plan needs the first {WARMUP_DAYS} of them "
                "to plan from.")


def replay_window(sales: pd.DataFrame, as_of: Any, wanted: int) -> Window:
    """How many days the backtest can replay (see :class:`Window`): a window reaching back
    before the first sale would replay reviews planned from no history at all.

    >>> sales = pd.DataFrame({"date": pd.date_range("2026-08-22", "2026-11-20")})
    >>> w = replay_window(sales, dt.date(2026, 11, 20), 180)
    >>> w.days, w.covered, w.shortened
    (63, 91, True)
    """
    dates = pd.to_datetime(sales["date"], errors="coerce") if len(sales) else pd.Series(dtype="datetime64[ns]")
    dates = dates[dates <= pd.Timestamp(as_of)]
    if dates.notna().sum() == 0:
        return Window(0, int(wanted), None, 0)
    first = dates.min().date()
    covered = (as_of - first).days + 1
    return Window(min(int(wanted), covered - WARMUP_DAYS), int(wanted), first, covered)


def backtest(stock: pd.DataFrame, sales: pd.DataFrame, suppliers: pd.DataFrame, settings: Settings,
             days: int = 180, policy: str = "jit", receipts: pd.DataFrame | None = None) -> BacktestResult:
    """Replay the reorder policy over the last ``days`` days of sales, beside a
    just-in-case baseline and what the shop actually held (where Receipts allow); the
    rules and measures are in the module docstring.

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
    receipts : DataFrame, optional
        The Receipts sheet (``po_number``, ``sku``, ``received``, ``quantity``), for the
        ``actual_`` columns; None leaves them blank (no SKU rebuilt). Not used by the
        replay itself.

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
    if len(known):  # categories: each review's plan matches only the distinct SKUs, not every line's text
        known = known.assign(sku=pd.Categorical(known["sku"]))
    known_days = (known["date"].to_numpy().astype("datetime64[D]").astype(np.int64) if len(known)
                  else np.empty(0, dtype=np.int64))
    demand, special = _shelf_demand(sales, skus, first_day, days)
    unit_cost = np.nan_to_num(pd.to_numeric(st["unit_cost"], errors="coerce").to_numpy(dtype=float), nan=0.0)
    consignment = st["consignment"].fillna(False).astype(bool).to_numpy()
    value_per_unit = np.where(consignment, 0.0, np.maximum(unit_cost, 0.0))
    moq = pd.to_numeric(st["moq"], errors="coerce").to_numpy(dtype=float)
    case_pack = pd.to_numeric(st["case_pack"], errors="coerce").to_numpy(dtype=float)

    history = int(settings.history_days)

    def plan_on(day: int, on_hand: np.ndarray, on_order: np.ndarray,
                censored: np.ndarray | None = None) -> pd.DataFrame:
        """plan_reorder as it would have run on the morning of ``day`` (As Of = day − 1);
        ``censored``: the window days replayed so far on which the shelf started empty,
        left out of the demand series."""
        as_of = (np.datetime64(day - 1, "D")).astype(object)
        frame = st.copy()
        frame["on_hand"] = on_hand
        frame["on_order"] = on_order
        past = known.iloc[: int(np.searchsorted(known_days, day, side="left"))]
        extra = {}
        if censored is not None and censored.any():  # the last `history` replayed days, aligned to the window
            k = min(censored.shape[1], history)
            extra["unavailable"] = np.zeros((n, history), dtype=bool)
            extra["unavailable"][:, history - k:] = censored[:, censored.shape[1] - k:]
        plan, _ = plan_reorder(frame, past, suppliers, settings.model_copy(update={"as_of_date": as_of}),
                               explain=False, **extra)
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
            plan = plan_on(first_day + t, jit.on_hand, jit.on_order, jit.censored[:, :t])
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
        "special_order_units": special,
    })
    overall: dict[str, Any] = {
        "skus": n, "days": days, "start": dates[0].date(), "end": dates[-1].date(), "reviews": reviews,
        "demand_units": float(demand_units.sum()),
        "special_order_units": float(special.sum()),
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
    actual = _actual(pd.to_numeric(st["on_hand"], errors="coerce").to_numpy(dtype=float, na_value=np.nan), skus,
                     st["supplier"], sales, receipts, first_day, days, value_per_unit)
    covered = actual["covered"]
    per_sku["actual_skus"] = covered.astype(np.int64)
    for name in ACTUAL_MEASURES:
        per_sku[f"actual_{name}"] = actual[name]
    per_sku["actual_note"] = actual["note"]
    k = int(covered.sum())
    overall["actual_skus"] = k
    for name in ACTUAL_MEASURES:
        overall[f"actual_{name}"] = float(np.sum(actual[name][covered])) if k else float("nan")
    for prefix in PREFIXES:
        overall[f"covered_{prefix}_avg_stock_value"] = (
            float(per_sku[f"{prefix}_avg_stock_value"].to_numpy()[covered].sum()) if k else float("nan"))
    overall["actual_note"] = _overall_note(overall, n, actual["kept"])
    jit_cycles = per_sku["jit_cycles"].to_numpy(dtype=float)
    overall["target_service_level"] = (float((target * jit_cycles).sum() / jit_cycles.sum())
                                       if jit_cycles.sum() > 0 else float(np.nanmean(target)) if n else float("nan"))
    return BacktestResult(per_sku, overall, reviews, tuple(dates[list(review_at)].date),
                          time.perf_counter() - began)
