"""The Obsolete Review sheet and the Review Log: dead and slow stock, decided on once a month.

:func:`review_frame` lists every SKU the plan flagged ``OBSOLETE`` or ``SLOW``, largest
stock value first, with a suggested action and the owner's Decision and Notes carried
over from the previous review. :func:`update_log` files the review in the Review Log as
that month's block. Both are pure functions over DataFrames, vectorised over SKUs.

Suggested Action — the first rule that applies:

1. **Consignment** stock (the supplier owns it until it sells):
   ``Return to supplier (consignment: not your cash).`` Its Stock Value is 0, because
   the cash tied up is the supplier's, not yours.
2. **Discontinued or Do Not Reorder** (Reorder status ``DO NOT REORDER``) with stock:
   ``Clear: no longer reordered, <why it is flagged>; <markdown>.``
3. **OBSOLETE** (no sale for ``Obsolete After Days``):
   ``Clear: no sale for 200 days; <markdown>.`` (``no sale on record`` when it never sold).
4. **SLOW** (more than ``Slow Mover Months`` of cover):
   ``Stop reordering and sell down (18.4 months of cover).``

*<markdown>* suggests a clearance price that still recovers what the item cost you:
the suggested price is the Unit Price less 40% (``MARKDOWN_RATE``), but never below the
Unit Cost (:func:`markdown_price`).

- Unit Price above Unit Cost, 40% off still at or above cost:
  ``mark down to 6.00 (40% off 10.00), bundle or dispose``.
- Unit Price above Unit Cost, 40% off would be below cost: the price is the Unit Cost,
  ``mark down to 7.00 (your cost: 40% off 10.00 would sell below cost), bundle or dispose``.
- Unit Price at or below Unit Cost: no markdown can recover the cost,
  ``the price 5.00 is already at or below cost 6.00: bundle or dispose``.
- No Unit Price (blank or 0): ``markdown, bundle or dispose (no Unit Price to base a price on)``.
- No Unit Cost: ``mark down to 6.00 (40% off 10.00; no Unit Cost to check it against),
  bundle or dispose``.

Call-out: when the SKU's Decision in the previous review month's block of the Review
Log (the latest month before the As Of Date's month) was ``Dispose`` or ``Return`` and
it still has stock, the action starts with ``Still 12 on hand after 'Dispose' in
2026-10: act on it.``

Decision and Notes are the owner's: each SKU keeps the Decision and Notes it had on the
previous Obsolete Review sheet, whatever SKUs were added or removed since; a SKU new to
the review starts blank.

Source: Silver, Pyke & Thomas (2017), ch. 8 (slow-moving and dead inventory: stop
replenishing, then mark down, return, bundle or dispose).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ..contract import OBSOLETE_REVIEW, REVIEW_LOG, STOCK_FLAGS
from ..planning.classify import DAYS_PER_MONTH
from ..planning.reorder import DO_NOT_REORDER, fmt_one_decimal, fmt_qty
from ..settings import Settings

MARKDOWN_RATE = 0.40  # suggested clearance discount off the Unit Price
CALL_OUT_DECISIONS = ("Dispose", "Return")  # decisions that should leave no stock behind
CONSIGNMENT_ACTION = "Return to supplier (consignment: not your cash)."
REVIEW_INPUT_FIELDS = ("sku", "description", "supplier", "category", "on_hand", "unit_cost", "unit_price",
                       "consignment", "last_sale", "days_of_cover", "stock_flag", "status")
_MONTH = re.compile(r"^\s*(\d{4})-(\d{2})")


# ---------------------------------------------------------------------------------
# Small vectorised helpers
# ---------------------------------------------------------------------------------
def _text(values: Any, index: pd.Index | None = None) -> pd.Series:
    """A str Series ("" for NaN/None) from an array or Series, on ``index`` (default 0..n-1)."""
    arr = np.asarray(values, dtype=object)
    return pd.Series(arr, index=index).fillna("").astype("str")


def _money(values: Any) -> pd.Series:
    """Money as text with two decimals and thousands separators: 1,234.50."""
    return pd.Series(np.asarray(values, dtype=float)).map("{:,.2f}".format).astype("str")


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _select(conditions: list[Any], choices: list[Any], default: Any) -> pd.Series:
    """np.select over text, returning a str Series."""
    conds = [np.asarray(c, dtype=bool) for c in conditions]
    vals = [np.asarray(v, dtype=object) for v in choices]
    return _text(np.select(conds, vals, default=np.asarray(default, dtype=object)))


def _require(frame: pd.DataFrame, fields: Any, name: str) -> None:
    missing = [f for f in fields if f not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {', '.join(missing)}")


def month_text(values: Any) -> pd.Series:
    """Review months as ``YYYY-MM`` text, whatever the cell held.

    Text ``2026-10`` stays as it is; a date (Excel may turn a typed ``2026-10`` into
    1 October 2026) or text starting with ``YYYY-MM`` becomes ``YYYY-MM``; anything
    else, blank included, becomes "".

    >>> month_text(["2026-10", pd.Timestamp("2026-09-01"), "2026-08-01 00:00:00", "", None]).tolist()
    ['2026-10', '2026-09', '2026-08', '', '']
    """
    s = pd.Series(np.asarray(values, dtype=object))
    plain = pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")  # the usual case: text only
    is_date = pd.Series(False, index=s.index) if plain else s.map(lambda v: hasattr(v, "strftime"))
    if is_date.any():
        s = s.where(~is_date, pd.to_datetime(s[is_date].astype(object), errors="coerce").dt.strftime("%Y-%m"))
    text = s.fillna("").astype("str")
    found = text.str.extract(_MONTH)
    ok = found[0].notna() & found[1].isin([f"{m:02d}" for m in range(1, 13)])
    return (found[0] + "-" + found[1]).where(ok, "").astype("str")


def review_month(settings: Settings) -> str:
    """The review month for a run: the As Of Date's year and month, ``YYYY-MM``.

    >>> import datetime as dt
    >>> review_month(Settings(as_of_date=dt.date(2026, 11, 27)))
    '2026-11'
    """
    return settings.plan_date().strftime("%Y-%m")


# ---------------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------------
def markdown_price(unit_price: Any, unit_cost: Any, rate: float = MARKDOWN_RATE) -> np.ndarray:
    """Suggested clearance price: the Unit Price less ``rate``, never below the Unit Cost.

    price = max(unit_price × (1 − rate), unit_cost) when unit_price > unit_cost;
    unit_price × (1 − rate) when the cost is unknown (NaN); NaN (no markdown can
    recover the cost: bundle or dispose instead) when unit_price ≤ unit_cost, and NaN
    when the price is unknown (NaN or ≤ 0).

    Parameters
    ----------
    unit_price : float or array-like
        What one unit sells for (money).
    unit_cost : float or array-like
        What one unit cost you (money).
    rate : float
        The discount as a fraction of the price, 0 ≤ rate < 1 (default 0.40).

    Returns
    -------
    ndarray of float (money per unit).

    Raises
    ------
    ValueError
        If ``rate`` is not in [0, 1).

    Source: Silver, Pyke & Thomas (2017), ch. 8 (clearing excess stock by markdown);
    the cost floor is this tool's rule, so a clearance never sells below cost.

    >>> markdown_price([10.0, 10.0, 5.0, float("nan"), 10.0], [4.0, 7.0, 6.0, 1.0, float("nan")]).tolist()
    [6.0, 7.0, nan, nan, 6.0]
    """
    if not 0 <= rate < 1:
        raise ValueError(f"rate must be at least 0 and below 1, got {rate}")
    price = np.asarray(unit_price, dtype=float)
    cost = np.asarray(unit_cost, dtype=float)
    price = np.where(price > 0, price, np.nan)
    off = price * (1 - rate)
    out = np.where(np.isnan(cost), off, np.where(price > cost, np.fmax(off, cost), np.nan))
    return np.atleast_1d(out).astype(float)


def _markdown_text(unit_price: np.ndarray, unit_cost: np.ndarray, rate: float) -> pd.Series:
    """The <markdown> part of a Clear action, one per SKU (see the module docstring)."""
    price = np.where(unit_price > 0, unit_price, np.nan)
    suggested = markdown_price(price, unit_cost, rate)
    off = price * (1 - rate)
    pct = f"{rate * 100:g}% off "
    to = "mark down to " + _money(suggested)
    return _select(
        [np.isnan(price), np.isnan(unit_cost), price <= unit_cost, off < unit_cost],
        ["markdown, bundle or dispose (no Unit Price to base a price on)",
         to + " (" + pct + _money(price) + "; no Unit Cost to check it against), bundle or dispose",
         "the price " + _money(price) + " is already at or below cost " + _money(unit_cost)
         + ": bundle or dispose",
         to + " (your cost: " + pct + _money(price) + " would sell below cost), bundle or dispose"],
        to + " (" + pct + _money(price) + "), bundle or dispose")


def _previous_decisions(review_log: pd.DataFrame, month: str, sku: pd.Series) -> tuple[pd.Series, str]:
    """Each SKU's Decision in the latest log block before ``month`` ("" when none), and that month."""
    if len(review_log) == 0 or not {"month", "sku", "decision"} <= set(review_log.columns):
        return _text([""] * len(sku)), ""
    months = month_text(review_log["month"])
    earlier = months[(months != "") & (months < month)]
    if earlier.empty:
        return _text([""] * len(sku)), ""
    prev_month = earlier.max()
    block = pd.DataFrame({"sku": _text(review_log["sku"]).str.strip().to_numpy(),
                          "decision": _text(review_log["decision"]).str.strip().to_numpy()})[
        (months == prev_month).to_numpy()].drop_duplicates("sku")
    found = pd.DataFrame({"sku": sku.to_numpy()}).merge(block, on="sku", how="left")["decision"]
    return _text(found), prev_month


def _owner_columns(previous_review: pd.DataFrame, sku: pd.Series) -> pd.DataFrame:
    """Decision and Notes from the previous sheet by SKU ("" for SKUs not on it)."""
    prev = pd.DataFrame({"sku": pd.Series(dtype="str"), "decision": pd.Series(dtype="str"),
                         "notes": pd.Series(dtype="str")})
    if previous_review is not None and len(previous_review) and "sku" in previous_review:
        cols = {"sku": _text(previous_review["sku"]).str.strip().to_numpy()}
        for field in ("decision", "notes"):
            cols[field] = (_text(previous_review[field]).to_numpy() if field in previous_review
                           else np.full(len(previous_review), "", dtype=object))
        prev = pd.DataFrame(cols)
        prev = prev[prev["sku"] != ""].drop_duplicates("sku")
    merged = pd.DataFrame({"sku": sku.to_numpy()}).merge(prev, on="sku", how="left")
    return pd.DataFrame({"decision": _text(merged["decision"]), "notes": _text(merged["notes"])})


def review_frame(reorder: pd.DataFrame, settings: Settings, previous_review: pd.DataFrame | None,
                 review_log: pd.DataFrame | None) -> pd.DataFrame:
    """The Obsolete Review sheet: every OBSOLETE or SLOW SKU, largest stock value first.

    Columns (``contract.OBSOLETE_REVIEW.fields``):

    - ``stock_value`` = On Hand × Unit Cost (money), 0 for consignment stock, NaN when
      the Unit Cost is blank;
    - ``days_since_sale`` = As Of Date − Last Sale in days (NaN when never sold);
    - ``months_of_cover`` = Days Of Cover ÷ 30.4 (NaN when nothing sells);
    - ``suggested_action`` by the rules in this module's docstring;
    - ``decision``, ``notes``: the owner's, carried over by SKU from ``previous_review``.

    Rows are sorted by stock value, largest first (blank values last); equal values
    keep the Reorder (Stock) order.

    Parameters
    ----------
    reorder : DataFrame
        The result of :func:`jit_workbook.planning.plan_reorder` (needs sku,
        description, supplier, category, on_hand, unit_cost, unit_price, consignment,
        last_sale, days_of_cover, stock_flag, status).
    settings : Settings
        The As Of Date (``plan_date()``) for Days Since Sale and the review month.
    previous_review : DataFrame or None
        The Obsolete Review sheet as it is now: sku, decision, notes (text, blank as ""
        or NaN). May be empty or None, miss SKUs or hold SKUs no longer flagged.
    review_log : DataFrame or None
        The Review Log (``contract.REVIEW_LOG.fields``), for the Dispose/Return call-out.

    Returns
    -------
    DataFrame with exactly ``contract.OBSOLETE_REVIEW.fields``; numbers float64
    (days_since_sale whole days), last_sale datetime64[ns], text str ("" for blank).

    Raises
    ------
    ValueError
        If ``reorder`` lacks one of the columns above.

    Source: Silver, Pyke & Thomas (2017), ch. 8 (dead and slow-moving stock).

    >>> import datetime as dt
    >>> reorder = pd.DataFrame({
    ...     "sku": ["A", "B", "C"], "description": ["Vase", "Rope", "Glue"], "supplier": ["S"] * 3,
    ...     "category": [""] * 3, "on_hand": [10.0, 400.0, 5.0], "unit_cost": [4.0, 1.0, 2.0],
    ...     "unit_price": [10.0, 2.5, 4.0], "consignment": [False, False, False],
    ...     "last_sale": pd.to_datetime([None, "2026-11-20", "2026-11-25"]),
    ...     "days_of_cover": [float("nan"), 560.0, 5.0], "stock_flag": ["OBSOLETE", "SLOW", ""],
    ...     "status": ["NO DEMAND", "OK", "OK"]})
    >>> out = review_frame(reorder, Settings(as_of_date=dt.date(2026, 11, 27)), None, None)
    >>> out[["sku", "stock_value", "days_since_sale"]].values.tolist()
    [['B', 400.0, 7.0], ['A', 40.0, nan]]
    >>> for text in out["suggested_action"]:
    ...     print(text)
    Stop reordering and sell down (18.4 months of cover).
    Clear: no sale on record; mark down to 6.00 (40% off 10.00), bundle or dispose.
    """
    _require(reorder, REVIEW_INPUT_FIELDS, "reorder")
    as_of = pd.Timestamp(settings.plan_date())
    flagged = reorder[_text(reorder["stock_flag"], reorder.index).isin(STOCK_FLAGS)].reset_index(drop=True)

    sku = _text(flagged["sku"]).str.strip()
    on_hand = _numbers(flagged, "on_hand")
    unit_cost = _numbers(flagged, "unit_cost")
    unit_price = _numbers(flagged, "unit_price")
    consignment = flagged["consignment"].fillna(False).astype(bool).to_numpy()
    flag = _text(flagged["stock_flag"]).to_numpy(dtype=object)
    never_reordered = _text(flagged["status"]).eq(DO_NOT_REORDER).to_numpy()
    last_sale = pd.to_datetime(flagged["last_sale"]).astype("datetime64[ns]").reset_index(drop=True)
    days_since = ((as_of - last_sale).dt.days).to_numpy(dtype=float, na_value=np.nan)
    months = _numbers(flagged, "days_of_cover") / DAYS_PER_MONTH
    stock_value = np.where(consignment, 0.0, on_hand * unit_cost)

    # Why a Clear item is flagged, then the action by rule (first match wins).
    since_text = _text(np.where(np.isnan(days_since), "", "no sale for " + fmt_qty(days_since) + " days"))
    dead = _select([np.isnan(days_since)], ["no sale on record"], since_text)
    cover = fmt_one_decimal(months) + " months of cover"
    why = _select([flag == "OBSOLETE", flag == "SLOW"], [dead, cover], "")
    clear_tail = "; " + _markdown_text(unit_price, unit_cost, MARKDOWN_RATE) + "."
    action = _select(
        [consignment, never_reordered, flag == "OBSOLETE"],
        [CONSIGNMENT_ACTION,
         "Clear: no longer reordered" + _text(np.where(why == "", "", ", " + why)) + clear_tail,
         "Clear: " + dead + clear_tail],
        "Stop reordering and sell down (" + cover + ").")

    prev_decision, prev_month = _previous_decisions(
        review_log if review_log is not None else pd.DataFrame(), as_of.strftime("%Y-%m"), sku)
    call_out = prev_decision.str.lower().isin([d.lower() for d in CALL_OUT_DECISIONS]).to_numpy() & (on_hand > 0)
    decided = prev_decision.str[:1].str.upper() + prev_decision.str[1:].str.lower()
    prefix = _text(np.where(call_out, "Still " + fmt_qty(on_hand) + " on hand after '" + decided + "' in "
                            + prev_month + ": act on it. ", ""))

    owner = _owner_columns(previous_review, sku)
    out = pd.DataFrame({
        "sku": sku,
        "description": _text(flagged["description"]),
        "supplier": _text(flagged["supplier"]),
        "category": _text(flagged["category"]),
        "on_hand": on_hand,
        "stock_value": stock_value,
        "last_sale": last_sale,
        "days_since_sale": days_since,
        "months_of_cover": months,
        "stock_flag": _text(flag),
        "suggested_action": prefix + action,
        "decision": owner["decision"],
        "notes": owner["notes"],
    }, columns=OBSOLETE_REVIEW.fields)
    order = np.argsort(-np.nan_to_num(stock_value, nan=-np.inf), kind="stable")
    return out.iloc[order].reset_index(drop=True)


def update_log(review_log: pd.DataFrame | None, review: pd.DataFrame, month: str) -> pd.DataFrame:
    """The Review Log with ``month``'s block replaced by this review.

    Every other month's rows are kept exactly as they were; the block for ``month``
    (if any) is dropped and the review's rows (month, sku, stock_flag, on_hand,
    stock_value, decision), in the review's order, take its place. Blocks are ordered
    by month (oldest first); rows without a readable month come first, as they were.
    Running it twice for the same month gives the same log (idempotent); a new month
    only adds rows (append-only).

    Parameters
    ----------
    review_log : DataFrame or None
        The Review Log as it is now (``contract.REVIEW_LOG.fields``); may be empty.
        Months are compared as ``YYYY-MM`` (:func:`month_text`).
    review : DataFrame
        The result of :func:`review_frame`.
    month : str
        The review month, ``YYYY-MM`` (see :func:`review_month`).

    Returns
    -------
    DataFrame with exactly ``contract.REVIEW_LOG.fields``; on_hand and stock_value
    float64, the rest str.

    Raises
    ------
    ValueError
        If ``month`` is not ``YYYY-MM`` or ``review`` lacks a column it needs.

    >>> log = pd.DataFrame({"month": ["2026-10"], "sku": ["A"], "stock_flag": ["SLOW"],
    ...                     "on_hand": [5.0], "stock_value": [20.0], "decision": ["Keep"]})
    >>> review = pd.DataFrame({"sku": ["A", "B"], "stock_flag": ["SLOW", "OBSOLETE"],
    ...                        "on_hand": [4.0, 2.0], "stock_value": [16.0, 8.0], "decision": ["Keep", ""]})
    >>> update_log(update_log(log, review, "2026-11"), review, "2026-11")[["month", "sku"]].values.tolist()
    [['2026-10', 'A'], ['2026-11', 'A'], ['2026-11', 'B']]
    """
    if not isinstance(month, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ValueError(f"month must be YYYY-MM, e.g. 2026-11; got {month!r}")
    _require(review, ("sku", "stock_flag", "on_hand", "stock_value", "decision"), "review")
    fields = REVIEW_LOG.fields
    numbers = ("on_hand", "stock_value")

    def typed(frame: pd.DataFrame) -> pd.DataFrame:
        cols = {}
        for field in fields:
            if field in numbers:
                cols[field] = (_numbers(frame, field) if field in frame else np.full(len(frame), np.nan))
            else:
                cols[field] = (_text(frame[field]).to_numpy() if field in frame
                               else np.full(len(frame), "", dtype=object))
        return pd.DataFrame(cols, columns=fields).astype({f: "str" for f in fields if f not in numbers})

    old = typed(review_log.reset_index(drop=True) if review_log is not None else pd.DataFrame())
    old["month"] = month_text(old["month"]).to_numpy()
    old = old[old["month"] != month]
    new = typed(review.reset_index(drop=True).assign(month=month))
    log = pd.concat([old, new], ignore_index=True) if len(old) else new
    order = np.argsort(log["month"].to_numpy(dtype=str), kind="stable")
    return log.iloc[order].reset_index(drop=True)[fields]
