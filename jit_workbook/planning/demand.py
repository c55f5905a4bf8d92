"""Daily demand from the Sales sheet: the SKU × day matrix and what is measured from it.

The history window is the ``history_days`` calendar days ending on the As Of Date,
inclusive. Each SKU's daily series holds the units sold per day in that window, with
days without sales counted as 0. A SKU first sold inside the window (a new line) starts
its series on that first sale, so the days before it existed do not dilute its demand.
Each day's quantities are netted (returns lower that day's demand) and the day is then
clipped at 0. An exceptional line — more than ``EXCEPTIONAL_LINE_FACTOR`` (K) times the
SKU's typical line — counts as K × typical in the series (:func:`cap_exceptional_lines`);
sales value, last sale and the Sales sheet itself keep the real quantity. Days the item
was out of stock can be left out of its series (``unavailable``; see
:mod:`.availability`), so the rate is measured over the days it could be bought.

Everything is vectorised: sales lines are turned into (SKU position, day) integer pairs
once and summed with ``numpy.bincount``; there is no Python loop per SKU or per day.
"""

from __future__ import annotations

import datetime as dt  # noqa: F401  (used by the doctest examples)
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..contract import SALES
from ..errors import Issue
from .skus import sku_positions

# Day totals are rounded to this many decimals before clipping, so 0.1 + 0.2 - 0.3
# counts as no demand rather than 5.6e-17 units.
_DAY_DECIMALS = 9
_NO_DAY = np.iinfo(np.int64).max  # "no such sale" in integer day arrays
# Exceptional lines (see cap_exceptional_lines). K = 20 was chosen on a real shop's year
# of sales (Online Retail II, 2009-10; README, "The formulas", item 1): it caps 1.2% of
# the lines and gives (about) the lowest 14-day forecast error of K = 5, 10, 20, 50, 100,
# while K = 10 already caps regular case-size orders (half of its capped lines belong to
# items that sell that big at least monthly).
EXCEPTIONAL_LINE_FACTOR = 20.0  # K: a line above K × the SKU's typical line is capped there
MIN_LINES_FOR_TYPICAL = 5  # N: a SKU needs this many positive lines in the window to be judged


def day_number(date: Any) -> int:
    """Days since 1970-01-01 of a date, Timestamp, numpy datetime64 or ISO string.

    >>> day_number(dt.date(1970, 1, 31))
    30
    """
    return int(np.datetime64(pd.Timestamp(date), "D").astype(np.int64))


def days_to_datetimes(days: np.ndarray) -> np.ndarray:
    """Integer day numbers back to ``datetime64[ns]`` at midnight; ``_NO_DAY`` and the
    minimum int64 become NaT.

    >>> days_to_datetimes(np.array([30]))
    array(['1970-01-31T00:00:00.000000000'], dtype='datetime64[ns]')
    """
    days = np.asarray(days, dtype=np.int64)
    missing = (days == _NO_DAY) | (days == np.iinfo(np.int64).min)
    out = np.where(missing, 0, days).astype("datetime64[D]").astype("datetime64[ns]")
    out[missing] = np.datetime64("NaT")
    return out


@dataclass(frozen=True)
class EncodedSales:
    """Sales lines dated on or before the As Of Date, as parallel numpy arrays.

    sku_pos: position of the line's SKU in the SKU list (0-based).
    day: the sale's date as days since 1970-01-01.
    quantity: units (negative for returns, NaN read as 0).
    unit_price: price charged per unit, NaN when blank.
    row: the line's Excel row on the Sales sheet (the frame's ``row``; -1 when absent).
    """

    sku_pos: np.ndarray
    day: np.ndarray
    quantity: np.ndarray
    unit_price: np.ndarray
    row: np.ndarray


def encode_sales(sales: pd.DataFrame, skus: Sequence[str] | pd.Series, as_of: Any) -> EncodedSales:
    """Turn the sales frame into integer SKU positions and day numbers, once.

    Lines after ``as_of``, lines without a date and lines whose SKU is not in ``skus``
    are dropped (see :func:`future_sales_issues` for reporting the first kind).

    Parameters
    ----------
    sales : DataFrame
        Columns ``date`` (datetime64), ``sku`` (str), ``quantity`` (float) and
        optionally ``unit_price`` (float).
    skus : sequence of str
        The SKUs, unique, in the order results are wanted (Stock order).
    as_of : date-like
        The As Of Date.

    Raises
    ------
    ValueError
        If ``skus`` holds a SKU twice.

    >>> sales = pd.DataFrame({"date": pd.to_datetime(["2026-01-01", "2026-01-09"]),
    ...                       "sku": ["B", "A"], "quantity": [2.0, 1.0]})
    >>> enc = encode_sales(sales, ["A", "B"], "2026-01-05")
    >>> enc.sku_pos.tolist(), enc.quantity.tolist()
    ([1], [2.0])
    """
    index = pd.Index(np.asarray(skus, dtype=object))
    if not index.is_unique:
        raise ValueError(f"skus must be unique; repeated: {index[index.duplicated()][0]!r}")
    if len(sales) == 0:
        empty_i, empty_f = np.empty(0, dtype=np.int64), np.empty(0, dtype=float)
        return EncodedSales(empty_i, empty_i, empty_f, empty_f, empty_i)
    dates = sales["date"].to_numpy()
    day = dates.astype("datetime64[D]").astype(np.int64)
    pos = sku_positions(sales, index)  # the tool's one SKU-matching rule (see .skus)
    quantity = np.nan_to_num(sales["quantity"].to_numpy(dtype=float, na_value=np.nan), nan=0.0)
    if "unit_price" in sales:
        price = sales["unit_price"].to_numpy(dtype=float, na_value=np.nan)
    else:
        price = np.full(len(sales), np.nan)
    row = (pd.to_numeric(sales["row"], errors="coerce").fillna(-1).to_numpy(dtype=np.int64) if "row" in sales
           else np.full(len(sales), -1, dtype=np.int64))
    keep = ~np.isnat(dates) & (pos >= 0) & (day <= day_number(as_of))
    if not keep.all():
        pos, day, quantity, price, row = pos[keep], day[keep], quantity[keep], price[keep], row[keep]
    return EncodedSales(pos.astype(np.int64), day, quantity, price, row)


def future_sales_issues(sales: pd.DataFrame, as_of: Any) -> list[Issue]:
    """Issues for sales dated after the As Of Date, which the plan ignores.

    One :class:`~jit_workbook.errors.Issue` per such line, on sheet Sales, pointing at
    the line's Date cell (the frame's ``row`` column is the Excel row).

    >>> sales = pd.DataFrame({"date": pd.to_datetime(["2026-12-01"]), "sku": ["A"],
    ...                       "quantity": [1.0], "row": [5]})
    >>> print(future_sales_issues(sales, dt.date(2026, 11, 27))[0])
    Sales!A5: sale dated 2026-12-01 is after the As Of Date 2026-11-27; ignored
    """
    if len(sales) == 0:
        return []
    as_of_ts = pd.Timestamp(as_of).normalize()
    late = sales.loc[sales["date"] >= as_of_ts + pd.Timedelta(days=1), ["date", "sku", "row"]]
    if late.empty:
        return []
    shown = late["date"].dt.strftime("%Y-%m-%d")
    as_of_text = as_of_ts.strftime("%Y-%m-%d")
    return [
        Issue(SALES.name, SALES.cell("date", int(row)), str(sku),
              f"sale dated {date} is after the As Of Date {as_of_text}; ignored")
        for date, sku, row in zip(shown, late["sku"], late["row"])
    ]


def _first_sale_days(enc: EncodedSales, n_skus: int) -> np.ndarray:
    """Day number of each SKU's first sales line of any kind (``_NO_DAY`` if none)."""
    first = np.full(n_skus, _NO_DAY, dtype=np.int64)
    np.minimum.at(first, enc.sku_pos, enc.day)
    return first


def cap_exceptional_lines(quantity: np.ndarray, sku_pos: np.ndarray, n_skus: int,
                          factor: float = EXCEPTIONAL_LINE_FACTOR,
                          min_lines: int = MIN_LINES_FOR_TYPICAL) -> tuple[np.ndarray, np.ndarray]:
    """Sales lines as the demand series counts them: an exceptional line is capped.

    typical_i = median of SKU i's positive line quantities, when it has at least N of
    them; a line with quantity q > K × typical_i counts as K × typical_i. Lines of a
    SKU with fewer than N positive lines, and returns, count as they are.

    Parameters
    ----------
    quantity : array of float, one per line
        Units of each line (the lines of the history window; negative = return).
    sku_pos : array of int, one per line
        Position of the line's SKU (0 .. n_skus − 1).
    n_skus : int
        Number of SKUs.
    factor : float, default EXCEPTIONAL_LINE_FACTOR (20)
        K, how many typical lines a line may hold before it is capped.
    min_lines : int, default MIN_LINES_FOR_TYPICAL (5)
        N, positive lines a SKU needs before its lines are judged.

    Returns
    -------
    (counted, capped)
        ``counted``: units per line as counted in the series; ``capped``: True on the
        lines that were capped.

    Source: a robust outlier rule (the median, not the mean, as the typical size, so the
    outlier cannot hide itself): Hyndman & Athanasopoulos, "Forecasting: Principles and
    Practice", 3rd ed. (2021), section 13.8 (outliers); Silver, Pyke & Thomas (2017),
    ch. 3 (removing abnormal demand before forecasting).

    Lines 2, 3, 2, 2, 2, 240 of one SKU: typical = 2, so 240 > 20 × 2 counts as 40.

    >>> counted, capped = cap_exceptional_lines(np.array([2, 3, 2, 2, 2, 240.0]), np.zeros(6, int), 1)
    >>> counted.tolist(), capped.tolist()
    ([2.0, 3.0, 2.0, 2.0, 2.0, 40.0], [False, False, False, False, False, True])
    """
    quantity = np.asarray(quantity, dtype=float)
    sku_pos = np.asarray(sku_pos, dtype=np.int64)
    positive = quantity > 0
    by_sku = pd.Series(quantity[positive]).groupby(sku_pos[positive])
    stats = by_sku.agg(["median", "size"])
    judged = stats[stats["size"] >= int(min_lines)]
    typical = np.full(n_skus, np.nan)
    typical[judged.index.to_numpy(dtype=np.int64)] = judged["median"].to_numpy(dtype=float)
    limit = float(factor) * typical[sku_pos]
    capped = positive & (quantity > limit)  # NaN limit (not judged) compares False
    return np.where(capped, limit, quantity), capped


def _matrix(enc: EncodedSales, first: np.ndarray, as_of_day: int,
            history_days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The SKU × day matrix and valid-day mask from encoded sales and each SKU's first
    sale day (see daily_demand_matrix), and each line of ``enc`` as the series counts
    it (below its quantity where capped; lines before the window as they are)."""
    n_skus = len(first)
    start = as_of_day - history_days + 1
    in_window = enc.day >= start
    counted = enc.quantity.copy()
    counted[in_window] = cap_exceptional_lines(enc.quantity[in_window], enc.sku_pos[in_window], n_skus)[0]
    flat = enc.sku_pos[in_window] * history_days + (enc.day[in_window] - start)
    matrix = np.bincount(flat, weights=counted[in_window], minlength=n_skus * history_days)
    matrix = matrix.astype(float, copy=False).reshape(n_skus, history_days)
    np.round(matrix, _DAY_DECIMALS, out=matrix)
    np.maximum(matrix, 0.0, out=matrix)
    offset = np.where(first == _NO_DAY, 0, np.clip(first - start, 0, None))
    mask = np.arange(history_days)[None, :] >= offset[:, None]
    return matrix, mask, counted


def daily_demand_matrix(sales: pd.DataFrame, skus: Sequence[str] | pd.Series, as_of: Any,
                        history_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Units sold per SKU per calendar day over the history window.

    Parameters
    ----------
    sales : DataFrame
        Columns ``date``, ``sku``, ``quantity`` (see :func:`encode_sales`).
    skus : sequence of str
        SKUs, unique; row i of the result is ``skus[i]``.
    as_of : date-like
        The As Of Date, the window's last day (inclusive).
    history_days : int
        Window length in days (≥ 1); column j is day ``as_of − history_days + 1 + j``.

    Returns
    -------
    matrix : ndarray, shape (len(skus), history_days), float64
        Net units per day (returns subtracted), clipped at 0, each exceptional line
        counted as K × the SKU's typical line (:func:`cap_exceptional_lines`).
    mask : ndarray of bool, same shape
        True on the days that belong to the SKU's series: from the window start, or from
        the SKU's first sale ever (any line, on or before As Of) when that is later.

    Raises
    ------
    ValueError
        If ``history_days`` < 1 or ``skus`` repeats a SKU.

    Source: Silver, Pyke & Thomas (2017), ch. 3 (forecasting from the history of demand
    per period); Axsäter (2006), ch. 2 (forecasting).

    Window Jan 1–4. A was first sold before the window, so its series has all 4 days;
    its return on Jan 3 (−2) nets against that day's sale (1) and clips to 0. B's
    series starts at its first sale on Jan 3:

    >>> sales = pd.DataFrame({"date": pd.to_datetime(["2025-12-30", "2026-01-02", "2026-01-03",
    ...                                               "2026-01-03", "2026-01-03"]),
    ...                       "sku": ["A", "A", "A", "A", "B"], "quantity": [1, 4, 1, -2, 5.5]})
    >>> matrix, mask = daily_demand_matrix(sales, ["A", "B"], "2026-01-04", history_days=4)
    >>> matrix.tolist()
    [[0.0, 4.0, 0.0, 0.0], [0.0, 0.0, 5.5, 0.0]]
    >>> mask.tolist()
    [[True, True, True, True], [False, False, True, True]]
    """
    if history_days < 1:
        raise ValueError(f"history_days must be 1 or more, got {history_days}")
    enc = encode_sales(sales, skus, as_of)
    matrix, mask, _ = _matrix(enc, _first_sale_days(enc, len(skus)), day_number(as_of), int(history_days))
    return matrix, mask


def moving_average(matrix: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean daily demand d and its sample standard deviation σd over each SKU's series.

    d = Σ x_t / n;  σd = √(Σ (x_t − d)² / (n − 1)), and σd = 0 when n < 2,
    where the sums run over the n days where ``mask`` is True.

    Parameters
    ----------
    matrix : ndarray (SKUs × days)
        Units per day, as from :func:`daily_demand_matrix`.
    mask : ndarray of bool, same shape
        Days that belong to each SKU's series.

    Returns
    -------
    (d, σd) : two float arrays, units/day. A SKU with no valid day gets 0 and 0.

    Source: Silver, Pyke & Thomas (2017), ch. 3 (the simple moving average as the
    level forecast; the spread of demand per period); Axsäter, "Inventory Control",
    2nd ed. (2006), ch. 2 (moving average).

    >>> d, sd = moving_average(np.array([[2.0, 0.0, 4.0], [0.0, 0.0, 3.0]]),
    ...                        np.array([[True, True, True], [False, False, True]]))
    >>> d.tolist(), sd.tolist()
    ([2.0, 3.0], [2.0, 0.0])
    """
    matrix = np.asarray(matrix, dtype=float)
    mask = np.asarray(mask, dtype=bool)
    n = mask.sum(axis=1)
    total = matrix.sum(axis=1, where=mask)
    d = np.divide(total, n, out=np.zeros(len(n)), where=n > 0)
    squares = matrix - d[:, None]  # the only SKU × day temporary
    np.square(squares, out=squares)
    ss = squares.sum(axis=1, where=mask)
    var = np.divide(ss, n - 1, out=np.zeros(len(n)), where=n > 1)
    return d, np.sqrt(var)


def sales_summary(sales: pd.DataFrame, skus: Sequence[str] | pd.Series, as_of: Any, history_days: int,
                  fallback_price: Any = None) -> pd.DataFrame:
    """Everything the plan measures from sales, per SKU, from one pass over the lines.

    Parameters
    ----------
    sales : DataFrame
        Columns ``date``, ``sku``, ``quantity``, optionally ``unit_price``.
    skus : sequence of str
        SKUs, unique, in the order wanted.
    as_of : date-like
        The As Of Date; later lines are ignored.
    history_days : int
        Window length in days, ending on ``as_of`` inclusive.
    fallback_price : array-like of float, optional
        Price per unit used for a line whose ``unit_price`` is blank, one per SKU
        (the plan passes Stock's Unit Price, else Unit Cost). NaN values count as 0.

    Returns
    -------
    DataFrame indexed by SKU with columns:
        ``daily_demand`` (d, units/day), ``demand_std`` (σd, units/day),
        ``series_days`` (n, days in the SKU's series), ``sales_value`` (Σ quantity ×
        price over the window, returns netted, money), ``sold_in_window`` (bool: a line
        with positive quantity in the window), ``first_sale`` (first line of any kind,
        any history) and ``last_sale`` (last line with positive quantity, any history;
        both datetime64[ns], NaT when none); the exceptional lines capped in the
        series (:func:`cap_exceptional_lines`): ``capped_lines`` (how many) and the
        largest of them: ``capped_row`` (its Excel row on Sales, -1 when none),
        ``capped_quantity`` (its units) and ``capped_counted`` (units counted; both
        NaN when none). Sales value, sold in window and last sale use the real
        quantities. ``censored_days``: days left out as out of stock (see
        :func:`sales_summary_and_series`).

    Source: Silver, Pyke & Thomas (2017), ch. 3 (moving-average demand estimate)
    and ch. 2 (annual dollar usage for the ABC classification).

    >>> sales = pd.DataFrame({"date": pd.to_datetime(["2026-01-02", "2026-01-04"]),
    ...                       "sku": ["A", "A"], "quantity": [3.0, 1.0],
    ...                       "unit_price": [2.0, float("nan")]})
    >>> s = sales_summary(sales, ["A", "B"], "2026-01-04", 4, fallback_price=[5.0, 1.0])
    >>> s[["daily_demand", "sales_value", "series_days"]].to_dict("index")
    {'A': {'daily_demand': 1.3333333333333333, 'sales_value': 11.0, 'series_days': 3}, \
'B': {'daily_demand': 0.0, 'sales_value': 0.0, 'series_days': 4}}
    """
    return sales_summary_and_series(sales, skus, as_of, history_days, fallback_price)[0]


def sales_summary_and_series(sales: pd.DataFrame, skus: Sequence[str] | pd.Series, as_of: Any,
                             history_days: int, fallback_price: Any = None, unavailable: Any = None
                             ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """:func:`sales_summary`, plus the demand matrix and valid-day mask (see
    :func:`sales_summary_series_and_season`, which this is without the longer series).

    >>> sales = pd.DataFrame({"date": pd.to_datetime(["2026-01-01", "2026-01-04"]),
    ...                       "sku": ["A", "A"], "quantity": [3.0, 1.0], "unit_price": [2.0, 2.0]})
    >>> summary, matrix, mask = sales_summary_and_series(sales, ["A"], "2026-01-04", 2)
    >>> matrix.tolist(), sales_summary_series_and_season(sales, ["A"], "2026-01-04", 2, season_days=4)[3][0].tolist()
    ([[0.0, 1.0]], [[3.0, 0.0, 0.0, 1.0]])
    """
    return sales_summary_series_and_season(sales, skus, as_of, history_days, fallback_price, unavailable)[:3]


def sales_summary_series_and_season(sales: pd.DataFrame, skus: Sequence[str] | pd.Series, as_of: Any,
                                    history_days: int, fallback_price: Any = None, unavailable: Any = None,
                                    season_days: int = 0, min_days: int = 1,
                                    ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, Any]:
    """:func:`sales_summary`, plus the SKUs × days demand matrix and valid-day mask it was
    computed from, and — when ``season_days`` is longer than ``history_days`` and the
    sales reach back before the window — the same series over ``season_days`` days as
    ``(matrix, mask)`` for learning seasonal profiles (else None), from one encoding of
    the lines. The matrix and mask are as :func:`daily_demand_matrix` gives them, so a
    forecast method uses the very same series without building it again.

    ``unavailable`` (optional, bool, SKUs × ``history_days``, aligned with the matrix)
    marks days the item could not be bought (out of stock): they are left out of its
    series (mask False), so d and σd are measured over the days it was available —
    unless that would leave the SKU no day at all. The summary's ``censored_days``
    counts the days so left out (0 without ``unavailable``).

    ``min_days``: a new item first sold fewer than this many days before the As Of Date
    (both counted) has its series start ``min_days`` days back all the same, the days
    before its first sale counting 0, so one early sale is spread over ``min_days`` days
    instead of read as a daily rate. The summary's ``sold_days`` is the real count of
    days from the first sale (0 when none), ``spread`` marks the items so treated.
    ``sale_lines`` counts the lines with a positive Quantity up to the As Of Date (on any
    date, not only the window's) and ``largest_sale`` is the largest of them (NaN when none).

    Source: Nahmias (1994), "Demand estimation in lost sales inventory systems", Naval
    Research Logistics 41(6) (sales during a stock-out understate demand).

    >>> sales = pd.DataFrame({"date": pd.to_datetime(["2026-01-02", "2026-01-04"]),
    ...                       "sku": ["A", "A"], "quantity": [3.0, 1.0], "unit_price": [2.0, 2.0]})
    >>> summary, matrix, mask = sales_summary_and_series(sales, ["A"], "2026-01-04", 4)
    >>> matrix.tolist(), mask.tolist(), float(summary.loc["A", "daily_demand"])
    ([[0.0, 3.0, 0.0, 1.0]], [[False, True, True, True]], 1.3333333333333333)
    """
    if history_days < 1:
        raise ValueError(f"history_days must be 1 or more, got {history_days}")
    n_skus = len(skus)
    enc = encode_sales(sales, skus, as_of)
    as_of_day = day_number(as_of)
    first = _first_sale_days(enc, n_skus)
    sold_days = np.where(first == _NO_DAY, 0, as_of_day - np.minimum(first, as_of_day) + 1)
    spread = (first != _NO_DAY) & (sold_days < min_days)
    series_first = np.where(spread, as_of_day - int(min_days) + 1, first)  # a new item's 0s before its first sale
    matrix, mask, counted = _matrix(enc, series_first, as_of_day, int(history_days))
    censored = np.zeros(n_skus, dtype=np.int64)
    if unavailable is not None:
        unavailable = np.asarray(unavailable, dtype=bool)
        if unavailable.shape != mask.shape:
            raise ValueError(f"unavailable must be SKUs × history_days {mask.shape}, got {unavailable.shape}")
        kept = mask & ~unavailable
        kept[~kept.any(axis=1)] = mask[~kept.any(axis=1)]  # never leave a SKU without a day
        censored = (mask & ~kept).sum(axis=1)
        mask = kept
    d, sd = moving_average(matrix, mask)
    capped = _largest_capped_lines(enc, counted, n_skus)

    in_window = enc.day >= as_of_day - history_days + 1
    price = enc.unit_price
    if fallback_price is not None:
        fallback = np.asarray(fallback_price, dtype=float)
        price = np.where(np.isnan(price), fallback[enc.sku_pos], price)
    line_value = np.nan_to_num(enc.quantity * price, nan=0.0)
    value = np.bincount(enc.sku_pos[in_window], weights=line_value[in_window], minlength=n_skus).astype(float)
    sold = enc.quantity > 0
    sold_in_window = np.bincount(enc.sku_pos[in_window & sold], minlength=n_skus) > 0

    last = np.full(n_skus, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, enc.sku_pos[sold], enc.day[sold])
    largest = np.full(n_skus, np.nan)
    np.fmax.at(largest, enc.sku_pos[sold], enc.quantity[sold])
    summary = pd.DataFrame(
        {
            "daily_demand": d,
            "demand_std": sd,
            "series_days": mask.sum(axis=1),
            "sales_value": value,
            "sold_in_window": sold_in_window,
            "first_sale": days_to_datetimes(first),
            "last_sale": days_to_datetimes(last),
            **capped,
            "censored_days": censored,
            "sold_days": sold_days,
            "spread": spread,
            # every line up to the As Of Date, not only the window's: "its whole history is one sale"
            "sale_lines": np.bincount(enc.sku_pos[sold], minlength=n_skus),
            "largest_sale": largest,
        },
        index=pd.Index(np.asarray(skus, dtype=object), dtype="str", name="sku"),
    )
    season = None
    if season_days > history_days and (first != _NO_DAY).any() and first.min() < as_of_day - history_days + 1:
        season = _matrix(enc, series_first, as_of_day, int(season_days))[:2]  # same rules, no stock-out days known
    return summary, matrix, mask, season


def _largest_capped_lines(enc: EncodedSales, counted: np.ndarray, n_skus: int) -> dict[str, np.ndarray]:
    """Per SKU: lines capped, and the Excel row, quantity and counted units of the
    largest (the first on the sheet among equals)."""
    lines = np.flatnonzero(counted < enc.quantity)
    lines = lines[np.lexsort((-enc.quantity[lines], enc.sku_pos[lines]))]  # by SKU, largest first
    skus, first = np.unique(enc.sku_pos[lines], return_index=True)
    out = {"capped_lines": np.bincount(enc.sku_pos[lines], minlength=n_skus),
           "capped_row": np.full(n_skus, -1, dtype=np.int64),
           "capped_quantity": np.full(n_skus, np.nan), "capped_counted": np.full(n_skus, np.nan)}
    out["capped_row"][skus] = enc.row[lines[first]]
    out["capped_quantity"][skus] = enc.quantity[lines[first]]
    out["capped_counted"][skus] = counted[lines[first]]
    return out
