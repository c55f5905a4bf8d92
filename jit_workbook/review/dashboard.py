"""The Dashboard: the shop's stock at a glance, as one Measure/Value/Notes table.

:func:`kpis` returns the rows in the fixed layout of ``contract.dashboard_rows()`` so
the template's charts can point at fixed ranges:

1. the KPIs, in the order of ``contract.DASHBOARD_KPIS`` (definitions below);
2. stock value by flag (``contract.DASHBOARD_FLAG_ROWS``): obsolete, slow and other,
   consignment left out; the three add up to the stock value (cash tied up);
3. the ``DASHBOARD_TOP_ITEMS`` (10) largest OBSOLETE/SLOW items by stock value,
   consignment left out: Measure ``SKU — Description``, Value the stock value; blank
   rows (blank Measure, blank Value) fill the block when there are fewer;
4. the total stock value of the flagged SKUs per review month from the Review Log, the
   last ``DASHBOARD_LOG_MONTHS`` (12) months, newest last: Measure ``YYYY-MM``; blank
   rows at the top of the block when the log holds fewer months.

KPI definitions (each one is also the row's Notes, see ``KPI_NOTES``). *Own stock* means
SKUs that are not consignment and have a Unit Cost; the history window is the
``History Days`` days ending on the As Of Date, inclusive.

- **Stock value (cash tied up)** = Σ On Hand × Unit Cost over own stock.
- **Consignment stock value** = Σ On Hand × Unit Cost over consignment SKUs; the
  supplier's money, shown apart and never part of the cash tied up.
- **Yearly holding cost** = stock value × ``Holding Cost Rate`` (Silver, Pyke & Thomas
  2017, ch. 2: the carrying cost as a yearly share of the stock's value).
- **Stock turns per year** = yearly cost of goods sold ÷ stock value, where the cost of
  goods sold (COGS) = Σ net units sold (returns subtract) × Unit Cost over own stock in
  the history window, made yearly by × 365 ÷ the days of history actually covered
  (the window, or fewer days when the Sales sheet starts later); a COGS below 0 counts
  as 0. Blank when there is no sales history or no stock value (Silver, Pyke & Thomas
  2017, ch. 2: turnover = annual COGS ÷ inventory value; the stock value now stands in
  for the average inventory).
- **Average days of cover** = stock value ÷ (yearly COGS ÷ 365) = 365 ÷ stock turns:
  days the stock would last at the current rate of sale, weighted by value, so a few
  dead items with a big value show. Blank when nothing sold (same source: days of
  supply).
- **SKUs to reorder** = SKUs with Order Qty > 0 whose Status is not DO NOT REORDER;
  **Value to reorder** = Σ their Order Value.
- **Obsolete SKUs** / **Slow SKUs** = SKUs flagged OBSOLETE / SLOW (consignment
  included, as on the Obsolete Review sheet); **Obsolete stock value** / **Slow stock
  value** = their stock value, consignment left out.
- **Service level kept (backtest)** = the service level the plan achieved for all SKUs
  in the last backtest, in % (the Backtest sheet's Service Kept block, All SKUs row:
  JIT Achieved, the cycle service level or, with Service Measure Fill Rate, the fill
  rate); its Notes give the target, just in case's figure and the backtest's date.
  Blank until a backtest has been run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import contract as K
from ..planning.reorder import DO_NOT_REORDER, fmt_qty
from ..settings import Settings
from .obsolete import _numbers, _require, _text, month_text

DAYS_PER_YEAR = 365
KPI_NOTES = {
    "Stock value (cash tied up)": "Σ On Hand × Unit Cost over the SKUs you own (consignment and blank Unit Cost "
                                  "left out): the cash sitting on your shelves.",
    "Consignment stock value": "Σ On Hand × Unit Cost over consignment SKUs: the supplier's money, not part of "
                               "the cash tied up.",
    "Yearly holding cost": "Stock value × Holding Cost Rate: what keeping this stock costs you a year.",
    "Stock turns per year": "Cost of goods sold in the History Days window (Σ net units sold × Unit Cost, own "
                            "stock) × 365 ÷ days of sales history covered, ÷ stock value.",
    "Average days of cover": "Stock value ÷ (yearly cost of goods sold ÷ 365) = 365 ÷ stock turns: days the "
                             "stock lasts at the current rate of sale, weighted by value.",
    "SKUs to reorder": "SKUs with an Order Qty above 0 whose Status is not DO NOT REORDER.",
    "Value to reorder": "Σ Order Value of the SKUs to reorder.",
    "Obsolete SKUs": "SKUs flagged OBSOLETE: no sale in the last Obsolete After Days (consignment included).",
    "Obsolete stock value": "Σ On Hand × Unit Cost of the OBSOLETE SKUs, consignment left out.",
    "Slow SKUs": "SKUs flagged SLOW: more than Slow Mover Months of cover (consignment included).",
    "Slow stock value": "Σ On Hand × Unit Cost of the SLOW SKUs, consignment left out.",
    "Service level kept (backtest)": "JIT's service level for all SKUs in the last backtest, in %; blank: "
                                     "run Backtest to measure (shown here from the next Recalculate).",
}
BACKTEST_KPI = "Service level kept (backtest)"
FLAG_NOTES = {
    "Stock value: obsolete": "Cash tied up in OBSOLETE SKUs.",
    "Stock value: slow": "Cash tied up in SLOW SKUs.",
    "Stock value: other": "Cash tied up in all other SKUs; the three add up to the stock value.",
}
KPI_INPUT_FIELDS = ("sku", "description", "on_hand", "unit_cost", "consignment", "stock_flag", "order_qty",
                    "order_value", "status")


def history_covered_days(sales: pd.DataFrame, as_of: Any, history_days: int) -> int:
    """Days of the history window the Sales sheet actually covers.

    covered = min(``history_days``, As Of Date − earliest sale + 1 day), counting only
    sales dated on or before the As Of Date; 0 when there are none.

    Parameters
    ----------
    sales : DataFrame
        Column ``date`` (datetime64; NaT ignored).
    as_of : date-like
        The As Of Date, the window's last day (inclusive).
    history_days : int
        The window's length in days (≥ 1).

    Raises
    ------
    ValueError
        If ``history_days`` < 1.

    >>> sales = pd.DataFrame({"date": pd.to_datetime(["2026-11-01", "2026-11-20", "2026-12-05"])})
    >>> history_covered_days(sales, "2026-11-27", 365), history_covered_days(sales, "2026-11-27", 10)
    (27, 10)
    """
    if history_days < 1:
        raise ValueError(f"history_days must be 1 or more, got {history_days}")
    as_of = pd.Timestamp(as_of)
    dates = pd.to_datetime(sales["date"]) if len(sales) else pd.Series(dtype="datetime64[ns]")
    dates = dates[dates.notna() & (dates <= as_of)]
    if dates.empty:
        return 0
    return int(min(history_days, (as_of.normalize() - dates.min().normalize()).days + 1))


def cost_of_goods_sold(sales: pd.DataFrame, unit_cost: pd.Series, as_of: Any, history_days: int) -> float:
    """COGS over the history window: Σ quantity × Unit Cost, returns (negative) netted.

    Parameters
    ----------
    sales : DataFrame
        Columns ``date`` (datetime64), ``sku``, ``quantity`` (units; NaN counts as 0).
    unit_cost : Series
        Unit Cost (money) indexed by SKU; sales of SKUs not in it (or with NaN cost)
        are left out.
    as_of : date-like
        The As Of Date, the window's last day (inclusive).
    history_days : int
        Window length in days.

    Returns
    -------
    float (money).

    Source: Silver, Pyke & Thomas (2017), ch. 2 (cost of goods sold as the numerator
    of inventory turnover).

    >>> sales = pd.DataFrame({"date": pd.to_datetime(["2026-11-01", "2026-11-20", "2026-11-21"]),
    ...                       "sku": ["A", "A", "B"], "quantity": [3.0, -1.0, 2.0]})
    >>> cost_of_goods_sold(sales, pd.Series({"A": 2.0}), "2026-11-27", 30)
    4.0
    """
    if len(sales) == 0:
        return 0.0
    as_of = pd.Timestamp(as_of).normalize()
    dates = pd.to_datetime(sales["date"]).dt.normalize()
    start = as_of - pd.Timedelta(days=int(history_days) - 1)
    window = (dates >= start) & (dates <= as_of)
    costs = unit_cost[~unit_cost.index.duplicated()]
    inside = sales.loc[window.to_numpy()]
    # Units per SKU first (one groupby), then one price per SKU: not a lookup per sale line.
    qty = pd.to_numeric(inside["quantity"], errors="coerce").fillna(0.0)
    units = qty.groupby(inside["sku"].astype(object).fillna("").to_numpy()).sum()
    units.index = pd.Index(units.index.astype(str)).str.strip()
    units = units.groupby(level=0).sum()
    cost = units.index.map(costs).to_numpy(dtype=float, na_value=np.nan)
    return float(np.nansum(units.to_numpy(dtype=float) * cost))


def backtest_kpi(kept: pd.DataFrame | None) -> tuple[float, str]:
    """The "Service level kept (backtest)" value (in %) and notes, from the Backtest sheet's
    Service Kept block as read back (fields of ``contract.BACKTEST.beside``); NaN and
    the KPI's definition when there is no All SKUs row with a figure.

    >>> kept = pd.DataFrame({"sk_group": ["All SKUs"], "sk_measure": ["Cycle service level"],
    ...     "sk_target": [0.948], "sk_jit": [0.967], "sk_jic": [0.646], "sk_end": [pd.Timestamp("2026-11-20")]})
    >>> value, notes = backtest_kpi(kept)
    >>> round(value, 1), notes
    (96.7, 'Cycle service level 96.7%: target 94.8%, just in case 64.6%, backtest of 2026-11-20.')
    >>> backtest_kpi(None)[1] == KPI_NOTES[BACKTEST_KPI]
    True
    """
    rows = kept[kept["sk_group"].astype(str).str.strip() == "All SKUs"] if kept is not None and len(kept) else []
    if not len(rows) or pd.isna(rows["sk_jit"].iloc[0]):
        return float("nan"), KPI_NOTES[BACKTEST_KPI]
    row = rows.iloc[0]

    def pct(x: Any) -> str:
        return "blank" if pd.isna(x) else f"{float(x):.1%}"

    when = "" if pd.isna(row.get("sk_end")) else f", backtest of {pd.Timestamp(row['sk_end']).date()}"
    measure = str(row.get("sk_measure") or "Service level")
    return (float(row["sk_jit"]) * 100, f"{measure} {pct(row['sk_jit'])}: target {pct(row['sk_target'])}, "
                                         f"just in case {pct(row['sk_jic'])}{when}.")


def kpis(reorder: pd.DataFrame, sales: pd.DataFrame, settings: Settings,
         review_log: pd.DataFrame | None, backtest: pd.DataFrame | None = None) -> pd.DataFrame:
    """The Dashboard table in the fixed layout of ``contract.dashboard_rows()``.

    Definitions: this module's docstring (and ``KPI_NOTES``, which become the Notes).

    Parameters
    ----------
    reorder : DataFrame
        The Reorder plan (:func:`jit_workbook.planning.plan_reorder`, after
        ``keep_owner_edits``): sku, description, on_hand, unit_cost, consignment,
        stock_flag, order_qty, order_value, status.
    sales : DataFrame
        The parsed Sales: date (datetime64), sku, quantity (units, returns negative).
    settings : Settings
        As Of Date, History Days, Holding Cost Rate.
    review_log : DataFrame or None
        The Review Log (``contract.REVIEW_LOG.fields``); may be empty.
    backtest : DataFrame or None
        The Backtest sheet's Service Kept block as read back (see :func:`backtest_kpi`);
        None or empty when no backtest has been run.

    Returns
    -------
    DataFrame with ``contract.DASHBOARD.fields`` (measure str, value float64 — money,
    counts, turns per year or days; NaN when blank —, notes str), one row per sheet row:
    ``len == sum of the block sizes`` of ``contract.dashboard_rows()``.

    Raises
    ------
    ValueError
        If ``reorder`` or ``sales`` lacks a column it needs.

    Source: Silver, Pyke & Thomas (2017), ch. 2 (carrying cost, inventory turnover,
    days of supply).

    >>> import datetime as dt
    >>> reorder = pd.DataFrame({"sku": ["A", "B"], "description": ["Vase", "Rope"], "on_hand": [10.0, 20.0],
    ...     "unit_cost": [4.0, 1.0], "consignment": [False, True], "stock_flag": ["OBSOLETE", ""],
    ...     "order_qty": [0, 5], "order_value": [0.0, 5.0], "status": ["NO DEMAND", "REORDER"]})
    >>> sales = pd.DataFrame({"date": pd.to_datetime(["2025-11-28"]), "sku": ["A"], "quantity": [20.0]})
    >>> out = kpis(reorder, sales, Settings(as_of_date=dt.date(2026, 11, 27)), None)
    >>> out.set_index("measure")["value"].iloc[:5].to_dict()
    {'Stock value (cash tied up)': 40.0, 'Consignment stock value': 20.0, 'Yearly holding cost': 10.0, \
'Stock turns per year': 2.0, 'Average days of cover': 182.5}
    >>> len(out), out.loc[15, "measure"], float(out.loc[15, "value"])
    (37, 'A — Vase', 40.0)
    """
    _require(reorder, KPI_INPUT_FIELDS, "reorder")
    _require(sales, ("date", "sku", "quantity"), "sales")
    as_of = settings.plan_date()
    on_hand = _numbers(reorder, "on_hand")
    unit_cost = _numbers(reorder, "unit_cost")
    consignment = reorder["consignment"].fillna(False).astype(bool).to_numpy()
    flag = _text(reorder["stock_flag"]).to_numpy(dtype=object)
    sku = _text(reorder["sku"]).str.strip()
    value = on_hand * unit_cost  # NaN when either is blank: left out of every sum
    own = ~consignment & ~np.isnan(unit_cost)
    own_value = np.where(own, value, np.nan)

    stock_value = float(np.nansum(own_value))
    consignment_value = float(np.nansum(np.where(consignment, value, np.nan)))
    days = history_covered_days(sales, as_of, settings.history_days)
    cogs = cost_of_goods_sold(sales, pd.Series(np.where(own, unit_cost, np.nan), index=sku.to_numpy()), as_of,
                              settings.history_days)
    yearly_cogs = max(cogs, 0.0) * DAYS_PER_YEAR / days if days else np.nan
    turns = yearly_cogs / stock_value if stock_value > 0 else np.nan
    cover = stock_value / (yearly_cogs / DAYS_PER_YEAR) if yearly_cogs > 0 else np.nan
    ordering = (pd.to_numeric(reorder["order_qty"], errors="coerce").fillna(0).to_numpy() > 0) \
        & (_text(reorder["status"]).to_numpy(dtype=object) != DO_NOT_REORDER)
    is_obsolete, is_slow = flag == "OBSOLETE", flag == "SLOW"
    obsolete_value = float(np.nansum(np.where(is_obsolete, own_value, np.nan)))
    slow_value = float(np.nansum(np.where(is_slow, own_value, np.nan)))
    other_value = float(np.nansum(np.where(is_obsolete | is_slow, np.nan, own_value)))

    kpi_values = {
        "Stock value (cash tied up)": stock_value,
        "Consignment stock value": consignment_value,
        "Yearly holding cost": stock_value * settings.holding_cost_rate,
        "Stock turns per year": turns,
        "Average days of cover": cover,
        "SKUs to reorder": float(ordering.sum()),
        "Value to reorder": float(np.nansum(np.where(ordering, _numbers(reorder, "order_value"), np.nan))),
        "Obsolete SKUs": float(is_obsolete.sum()),
        "Obsolete stock value": obsolete_value,
        "Slow SKUs": float(is_slow.sum()),
        "Slow stock value": slow_value,
    }
    notes = dict(KPI_NOTES)
    kpi_values[BACKTEST_KPI], notes[BACKTEST_KPI] = backtest_kpi(backtest)
    blocks = [
        pd.DataFrame({"measure": list(K.DASHBOARD_KPIS), "value": [kpi_values[m] for m in K.DASHBOARD_KPIS],
                      "notes": [notes[m] for m in K.DASHBOARD_KPIS]}),
        pd.DataFrame({"measure": list(K.DASHBOARD_FLAG_ROWS),
                      "value": [obsolete_value, slow_value, other_value],
                      "notes": [FLAG_NOTES[m] for m in K.DASHBOARD_FLAG_ROWS]}),
        _top_items(reorder, sku, on_hand, own_value, flag),
        _log_months(review_log),
    ]
    out = pd.concat(blocks, ignore_index=True)
    out = out.assign(measure=_text(out["measure"]), value=out["value"].astype("float64"),
                     notes=_text(out["notes"]))[K.DASHBOARD.fields]
    rows = K.dashboard_rows()
    expected = rows["months"][1] - rows["kpis"][0] + 1
    if len(out) != expected:  # pragma: no cover - a guard for future edits of the layout
        raise AssertionError(f"Dashboard has {len(out)} rows, the layout needs {expected}")
    return out


def _blank_rows(n: int) -> pd.DataFrame:
    return pd.DataFrame({"measure": [""] * n, "value": np.full(n, np.nan), "notes": [""] * n})


def _top_items(reorder: pd.DataFrame, sku: pd.Series, on_hand: np.ndarray, own_value: np.ndarray,
               flag: np.ndarray) -> pd.DataFrame:
    """The largest OBSOLETE/SLOW items by stock value (> 0), padded with blank rows at the end."""
    n = K.DASHBOARD_TOP_ITEMS
    keep = np.isin(flag, K.STOCK_FLAGS) & (np.nan_to_num(own_value, nan=0.0) > 0)
    idx = np.flatnonzero(keep)
    idx = idx[np.argsort(-own_value[idx], kind="stable")][:n]
    description = _text(reorder["description"]).str.strip().to_numpy(dtype=object)[idx]
    name = sku.to_numpy(dtype=object)[idx]
    measure = np.where(description == "", name, name + " — " + description)
    notes = pd.Series(flag[idx], dtype="str") + ": " + fmt_qty(on_hand[idx]) + " on hand"
    top = pd.DataFrame({"measure": measure, "value": own_value[idx], "notes": notes.to_numpy()})
    return pd.concat([top, _blank_rows(n - len(top))], ignore_index=True)


def _log_months(review_log: pd.DataFrame | None) -> pd.DataFrame:
    """Flagged stock value per review month, the last DASHBOARD_LOG_MONTHS months, newest
    last, padded with blank rows at the top."""
    n = K.DASHBOARD_LOG_MONTHS
    if review_log is None or len(review_log) == 0 or "month" not in review_log:
        return _blank_rows(n)
    log = pd.DataFrame({
        "month": month_text(review_log["month"]).to_numpy(),
        "value": (_numbers(review_log, "stock_value") if "stock_value" in review_log
                  else np.full(len(review_log), np.nan)),
    })
    log = log[log["month"] != ""]
    per = log.groupby("month", sort=True)["value"].agg(["sum", "size"]).tail(n)
    months = pd.DataFrame({"measure": per.index.to_numpy(dtype=object), "value": per["sum"].to_numpy(dtype=float),
                           "notes": (per["size"].astype("str") + np.where(per["size"] == 1, " SKU", " SKUs")
                                     + " reviewed").to_numpy()})
    return pd.concat([_blank_rows(n - len(months)), months], ignore_index=True)
