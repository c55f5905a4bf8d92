"""What was on the shelf: the shop's real stock rebuilt from On Hand, Sales and Receipts.

Used twice: the backtest's ``actual_`` columns (what the shop held), and the plan, which
leaves the days an item was out of stock out of its demand series (a day the item could
not be bought says nothing about how much would have sold).

The rules (README, "Backtest", and "The formulas", item 1):

* **Rebuilt stock.** On Hand is the count at the end of the last day. For a day t,
  end-of-day on hand(t) = On Hand + Σ Sales Quantity dated after t − Σ Receipts
  Quantity received after t (lines after the last day are left out). Sales count with
  their sign (a return went back on the shelf); a delivery arrives at the start of its
  Received day.
* **When Receipts allow** (``covered``): Receipts has a delivery (any SKU) received
  inside the window; On Hand is known; the SKU has Receipts rows, or did not sell in
  the window, or its supplier's deliveries were logged in the window; each of its
  Receipts rows has a Received date and a Quantity; and the rebuilt stock never goes
  below zero.
* **Out of stock** (:func:`out_of_stock_days`): a day of a covered SKU that started
  with no stock (after that morning's deliveries) and on which nothing sold.

Everything is vectorised over SKUs and days (``numpy.bincount`` over the lines).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .demand import day_number
from .skus import sku_positions  # the one SKU-matching rule (re-exported for the backtest)

STOCK_TOL = 1e-6  # units: rebuilt stock within this of 0 is empty, below −this is negative
_TINY = 1e-9


def day_numbers(dates: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 of a date column; the int64 minimum where blank (NaT).

    >>> day_numbers(pd.Series(pd.to_datetime(["1970-01-03", None]))).tolist()[0]
    2
    """
    return pd.to_datetime(dates, errors="coerce").to_numpy().astype("datetime64[D]").astype(np.int64)


def daily_units(frame: pd.DataFrame | None, date_col: str, skus: pd.Index, first_day: int, days: int,
                positive: bool = False) -> np.ndarray:
    """Σ Quantity per SKU and day of the ``days`` days from day number ``first_day``.

    Rows of other SKUs, outside those days, or without a date or a Quantity are left
    out; with ``positive`` only rows with Quantity > 0 count (units demanded: returns
    ignored).

    Returns
    -------
    ndarray, shape (len(skus), days), units.

    >>> sales = pd.DataFrame({"date": pd.to_datetime(["1970-01-02", "1970-01-02", "1970-01-03"]),
    ...                       "sku": ["A", "A", "A"], "quantity": [3.0, -1.0, 2.0]})
    >>> daily_units(sales, "date", pd.Index(["A"]), 1, 2).tolist(), \
daily_units(sales, "date", pd.Index(["A"]), 1, 2, positive=True).tolist()
    ([[2.0, 2.0]], [[3.0, 2.0]])
    """
    return _per_day(_lines(frame, date_col, skus, first_day, days), len(skus), days, positive)


def _lines(frame: pd.DataFrame | None, date_col: str, skus: pd.Index, first_day: int,
           days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(SKU position, window day, quantity) of the rows that count (see daily_units)."""
    if frame is None or not len(frame):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0)
    pos = sku_positions(frame, skus)
    day = day_numbers(frame[date_col]) - first_day
    qty = pd.to_numeric(frame["quantity"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    keep = (pos >= 0) & (day >= 0) & (day < days) & np.isfinite(qty)
    return pos[keep], day[keep], qty[keep]


def _per_day(lines: tuple[np.ndarray, np.ndarray, np.ndarray], n: int, days: int,
             positive: bool = False) -> np.ndarray:
    """Σ quantity per SKU and day (SKUs × days) of encoded rows; only Quantity > 0 with ``positive``."""
    pos, day, qty = lines
    if positive:
        pos, day, qty = pos[qty > 0], day[qty > 0], qty[qty > 0]
    return np.bincount(pos * days + day, weights=qty, minlength=n * days).astype(float).reshape(n, days)


def rebuild_stock(on_hand: np.ndarray, skus: pd.Index, sales: pd.DataFrame, receipts: pd.DataFrame | None,
                  start: Any, end: Any) -> np.ndarray:
    """The shop's real end-of-day on-hand per SKU, rebuilt backwards from today's count.

    on hand(end of day t) = On Hand + Σ Sales Quantity dated t+1 … ``end``
    − Σ Receipts Quantity received t+1 … ``end``: undo, from the newest day back, what
    was sold (returns, negative, with their sign) and what was delivered. Lines dated
    after ``end`` are left out; Receipts rows without a Received date or Quantity too
    (such SKUs are not ``covered`` by :func:`rebuild`).

    Parameters
    ----------
    on_hand : array of float, one per SKU
        The stock count at the end of ``end`` (units); NaN gives NaN rows.
    skus : Index
        The SKUs, in the order of ``on_hand``; lines of other SKUs are ignored.
    sales : DataFrame
        ``date``, ``sku``, ``quantity`` (units; returns negative).
    receipts : DataFrame or None
        ``sku``, ``received`` (date), ``quantity`` (units); None = no deliveries.
    start, end : date
        The first and last day of the window (inclusive).

    Returns
    -------
    ndarray, shape (SKUs, days + 1), units
        Column 0 is the opening stock (end of the day before ``start``); column k
        (one-based) is the end of window day k, so the last column equals ``on_hand``.

    Source: the perpetual-inventory identity, stock(t) = stock(t − 1) + received −
    sold (Silver, Pyke & Thomas 2017, ch. 1), run backwards from a count.

    Shop counted 10 today (day 5); sold 3 on day 2 and 4 on day 5, 6 arrived on day 4:

    >>> day = lambda k: pd.Timestamp(2026, 3, k)
    >>> sales = pd.DataFrame({"date": [day(2), day(5)], "sku": ["A", "A"], "quantity": [3.0, 4.0]})
    >>> receipts = pd.DataFrame({"sku": ["A"], "received": [day(4)], "quantity": [6.0]})
    >>> rebuild_stock(np.array([10.0]), pd.Index(["A"]), sales, receipts, day(1), day(5)).tolist()
    [[11.0, 11.0, 8.0, 8.0, 14.0, 10.0]]
    """
    first, last = day_number(start), day_number(end)
    if last < first:
        raise ValueError(f"end must not be before start, got {start} to {end}")
    days = last - first + 1
    # units leaving the shelf per SKU and window day (sales − receipts)
    flow = daily_units(sales, "date", skus, first, days) - daily_units(receipts, "received", skus, first, days)
    return _levels(np.asarray(on_hand, dtype=float), flow)


def _levels(on_hand: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Opening and end-of-day stock from the count at the end and each day's outflow."""
    later = flow.sum(axis=1)[:, None] - np.cumsum(flow, axis=1)  # Σ over the days after each day
    return on_hand[:, None] + np.column_stack([flow.sum(axis=1), later])


def _supplier_key(names: pd.Series) -> np.ndarray:
    """Supplier names as matched across sheets: case and spacing do not matter."""
    return names.fillna("").astype("str").str.split().str.join(" ").str.casefold().to_numpy(dtype=object)


def _receipts_frame(receipts: pd.DataFrame | None) -> pd.DataFrame:
    """The Receipts frame, or an empty one with its columns."""
    if receipts is not None and len(receipts):
        return receipts
    return pd.DataFrame({"po_number": pd.Series(dtype=object), "sku": pd.Series(dtype=object),
                         "received": pd.Series(dtype="datetime64[ns]"), "quantity": pd.Series(dtype=float)})


@dataclass(frozen=True)
class Rebuilt:
    """The real stock of every SKU over a window, and whether Receipts allow it.

    level: SKUs × (days + 1) units, column 0 the opening stock, column k the end of day k.
    sold: SKUs × days, units demanded per day (Σ positive Sales quantities).
    received: SKUs × days, units received per day.
    kept: Receipts has a delivery (any SKU) received inside the window.
    known, recorded, incomplete, negative: per SKU (negative: SKUs × (days + 1)), the
        rules of the module docstring: On Hand known; deliveries recorded (or none
        needed); a Receipts row without Received date or Quantity; rebuilt stock below 0.
    covered: per SKU, all rules hold: the rebuilt stock is the shop's.
    receipts, pos, rday, in_window: the Receipts rows, their SKU positions, Received
        day numbers and whether received inside the window (for counting deliveries).
    """

    level: np.ndarray
    sold: np.ndarray
    received: np.ndarray
    kept: bool
    known: np.ndarray
    recorded: np.ndarray
    incomplete: np.ndarray
    negative: np.ndarray
    covered: np.ndarray
    receipts: pd.DataFrame
    pos: np.ndarray
    rday: np.ndarray
    in_window: np.ndarray

    @property
    def out_of_stock(self) -> np.ndarray:
        """SKUs × days: a covered SKU's day that started with no stock (after that
        morning's deliveries) and on which nothing sold."""
        start_of_day = self.level[:, :-1] + self.received
        return self.covered[:, None] & (start_of_day <= STOCK_TOL) & (self.sold <= _TINY)


def rebuild(on_hand: np.ndarray, skus: pd.Index, supplier: pd.Series, sales: pd.DataFrame,
            receipts: pd.DataFrame | None, first_day: int, days: int) -> Rebuilt:
    """Rebuild every SKU's real stock over ``days`` days from day number ``first_day``
    and say which SKUs Receipts allow (rules in the module docstring).

    Parameters
    ----------
    on_hand : array of float, one per SKU
        Stock count at the end of the window's last day (units; NaN = blank).
    skus : Index
        SKUs in the order of ``on_hand``.
    supplier : Series
        Each SKU's supplier (Stock's Supplier), matched with Receipts' ``supplier``
        ignoring case and spacing.
    sales : DataFrame
        ``date``, ``sku``, ``quantity``.
    receipts : DataFrame or None
        ``sku``, ``received``, ``quantity``, optionally ``po_number`` and ``supplier``.
    first_day, days : int
        The window: its first day (days since 1970-01-01) and length.

    Returns
    -------
    Rebuilt

    Source: as :func:`rebuild_stock`.

    Counted 1 at the end of day 3; sold 1 on day 1 and 2 on day 3; 3 arrived on day 3
    (its supplier's delivery is logged). Day 2 started with no stock and sold nothing:

    >>> d = lambda k: pd.Timestamp(1970, 1, k + 1)
    >>> sales = pd.DataFrame({"date": [d(1), d(3)], "sku": ["A", "A"], "quantity": [1.0, 2.0]})
    >>> receipts = pd.DataFrame({"sku": ["A"], "received": [d(3)], "quantity": [3.0]})
    >>> rb = rebuild(np.array([1.0]), pd.Index(["A"]), pd.Series(["Acme"]), sales, receipts, 1, 3)
    >>> rb.level.tolist(), rb.covered.tolist(), rb.out_of_stock.tolist()
    ([[1.0, 0.0, 0.0, 1.0]], [True], [[False, True, False]])
    """
    n, last_day = len(skus), first_day + days - 1
    rc = _receipts_frame(receipts)
    pos = sku_positions(rc, skus)
    rday = day_numbers(rc["received"])
    dated = pd.notna(pd.to_datetime(rc["received"], errors="coerce")).to_numpy()
    counted = np.isfinite(pd.to_numeric(rc["quantity"], errors="coerce").to_numpy(dtype=float, na_value=np.nan))
    in_window = dated & (rday >= first_day) & (rday <= last_day)
    kept = bool(in_window.any())
    ours = pos >= 0
    has_rows = np.bincount(pos[ours], minlength=n) > 0
    # Suppliers whose deliveries the shop logged in the window: named on the row, or the row's SKU's.
    own = _supplier_key(supplier)
    named = _supplier_key(rc["supplier"]) if "supplier" in rc else np.full(len(rc), "", dtype=object)
    logged = set(named[in_window]) | set(own[pos[ours & in_window]])
    supplier_logged = np.isin(own, list(logged - {""}))
    incomplete = np.bincount(pos[ours & ~(dated & counted)], minlength=n) > 0
    sales_lines = _lines(sales, "date", skus, first_day, days)  # encoded once: the Sales sheet is long
    sold = _per_day(sales_lines, n, days, positive=True)
    received = daily_units(rc, "received", skus, first_day, days)
    on_hand = np.asarray(on_hand, dtype=float)
    level = _levels(on_hand, _per_day(sales_lines, n, days) - received)
    known = np.isfinite(on_hand)
    negative = np.isfinite(level) & (level < -STOCK_TOL)
    recorded = has_rows | supplier_logged | (sold.sum(axis=1) <= _TINY)
    covered = kept & known & recorded & ~incomplete & ~negative.any(axis=1)
    return Rebuilt(level, sold, received, kept, known, recorded, incomplete, negative, covered, rc, pos, rday,
                   in_window)


def out_of_stock_days(stock: pd.DataFrame, sales: pd.DataFrame, receipts: pd.DataFrame | None, as_of: Any,
                      history_days: int) -> np.ndarray | None:
    """The days each SKU was out of stock, over the plan's history window.

    A day counts when Receipts allow the SKU's stock to be rebuilt (:func:`rebuild`,
    On Hand being the count at the end of ``as_of``), the day started with no stock and
    nothing sold. :func:`.reorder.plan_reorder` leaves these days out of the SKU's
    demand series (its ``unavailable`` argument).

    Parameters
    ----------
    stock : DataFrame
        ``sku``, ``on_hand`` (units, NaN = blank), ``supplier``; rows in the plan's order.
    sales, receipts : DataFrame
        As for :func:`rebuild` (Receipts may be None or empty).
    as_of : date
        The As Of Date, the window's last day.
    history_days : int
        The window's length (days).

    Returns
    -------
    ndarray of bool, SKUs × history_days (column j = day as_of − history_days + 1 + j),
    or None when no day is out of stock (then the plan is as without Receipts).

    Source: Nahmias (1994), "Demand estimation in lost sales inventory systems", Naval
    Research Logistics 41(6): demand observed while stock is out is censored, so those
    periods are left out of the estimate.

    >>> d = lambda k: pd.Timestamp(1970, 1, k + 1)
    >>> stock = pd.DataFrame({"sku": ["A"], "on_hand": [1.0], "supplier": ["Acme"]})
    >>> sales = pd.DataFrame({"date": [d(1), d(3)], "sku": ["A", "A"], "quantity": [1.0, 2.0]})
    >>> receipts = pd.DataFrame({"sku": ["A"], "received": [d(3)], "quantity": [3.0]})
    >>> out_of_stock_days(stock, sales, receipts, d(3).date(), 3).tolist()
    [[False, True, False]]
    """
    if receipts is None or not len(receipts) or not len(stock):
        return None
    skus = pd.Index(stock["sku"].astype("str"))
    on_hand = pd.to_numeric(stock["on_hand"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    history_days = int(history_days)
    first_day = day_number(as_of) - history_days + 1
    unavailable = rebuild(on_hand, skus, stock["supplier"], sales, receipts, first_day, history_days).out_of_stock
    return unavailable if unavailable.any() else None
