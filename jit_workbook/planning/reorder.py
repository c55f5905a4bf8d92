"""The Reorder sheet: what to order, how much, and why, for every SKU at once.

:func:`plan_reorder` joins the pieces: daily demand (:mod:`.demand`), lead times from
Stock or Suppliers, service levels by ABC class (:mod:`.classify`), the periodic-review
order-up-to policy (:mod:`.policy`), a status and a plain-English reason per SKU.
:func:`keep_owner_edits` carries the owner's typed Order Qty over from the previous
run, and :func:`summarise` counts the result for the Dashboard and the CLI.

All of it is vectorised over SKUs: the reasons are assembled with numpy/pandas string
operations, never in a Python loop per SKU.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..contract import REORDER, SALES, STOCK
from ..errors import Issue
from ..settings import Settings
from .classify import DAYS_PER_MONTH, abc_class, days_of_cover, stock_flags
from .demand import day_number, future_sales_issues, sales_summary_series_and_season
from .forecast import forecast
from .policy import order_qty_parts, reorder_point, safety_stock, z_for_service_level
from .shop_trend import TREND_DAYS, shop_trend
from .safety import ERROR_DAYS, POOL_MIN_WINDOWS, empirical_factor, fill_rate_safety_factor, window_errors

DO_NOT_REORDER_STATUSES = ("Discontinued", "Do Not Reorder")  # Stock statuses never reordered
EXTRA_FIELDS = ("unit_cost", "unit_price", "consignment", "category", "barcode", "stock_value", "sales_value")
OUTPUT_FIELDS = tuple(REORDER.fields) + EXTRA_FIELDS
REORDER_STATUS = "REORDER"
OK_STATUS = "OK"
NO_DEMAND = "NO DEMAND"
DO_NOT_REORDER = "DO NOT REORDER"
CHECK_DATA = "CHECK DATA"
SEASON_HISTORY_DAYS = 730  # seasonal profiles learn from up to two years of Sales, whatever History Days says


# ---------------------------------------------------------------------------------
# Text helpers (vectorised: each returns a str Series, one entry per SKU)
# ---------------------------------------------------------------------------------
def _text(values: Any) -> pd.Series:
    """A str Series from an array or Series, NaN/None as ""."""
    s = pd.Series(np.asarray(values, dtype=object)).fillna("")
    return s.astype("str")


def _formatted(values: Any, spec: str) -> pd.Series:
    """Numbers as a str Series through a format spec. Formatting is one ``str.format``
    call per distinct number (a column of quantities repeats a few hundred values over
    thousands of SKUs); everything around it (the sentences) is whole-column string work.

    >>> _formatted([2.0, -0.0, 2.0, float("nan")], "{:.1f}").tolist()
    ['2.0', '-0.0', '2.0', 'nan']
    """
    v = np.ascontiguousarray(values, dtype=float).ravel()
    # Distinct by bit pattern: -0.0 stays apart from 0.0, as str.format tells them apart.
    _, first, at = np.unique(v.view(np.int64), return_index=True, return_inverse=True)
    text = np.array([spec.format(x) for x in v[first].tolist()], dtype=object)
    return pd.Series(text[at.ravel()], dtype=object).astype("str")


def fmt_qty(values: Any) -> pd.Series:
    """Quantities as the sheet shows them (``#,##0.##``): 12, 12.5, 1,234.

    >>> fmt_qty([12.0, 12.5, 1234.0, 0.25]).tolist()
    ['12', '12.5', '1,234', '0.25']
    """
    return _formatted(values, "{:,.2f}").str.rstrip("0").str.rstrip(".")


def fmt_one_decimal(values: Any) -> pd.Series:
    """Points and levels as the sheet shows them (``#,##0.0``): 15.3, 1,204.0.

    >>> fmt_one_decimal([15.26, 1204.0]).tolist()
    ['15.3', '1,204.0']
    """
    return _formatted(values, "{:,.1f}")


def _sentences(*parts: pd.Series) -> pd.Series:
    """Join text parts into sentences: each non-empty part starts with a capital, ends
    with a full stop, and is separated from the next by one space."""
    out = None
    for part in parts:
        p = part.fillna("").astype("str").str.strip()
        p = p.str[:1].str.upper() + p.str[1:]
        p = p.where(p.eq("") | p.str[-1:].isin([".", "!", "?"]), p + ".")
        if out is None:
            out = p
        else:
            out = out.where(p.eq(""), out.where(out.eq(""), out + " ") + p)
    return out if out is not None else pd.Series(dtype="str")


def _choose(conditions: list[Any], choices: list[Any], default: Any) -> pd.Series:
    """np.select over text Series/arrays, returning a str Series."""
    conds = [np.asarray(c, dtype=bool) for c in conditions]
    vals = [np.asarray(v, dtype=object) for v in choices]
    return _text(np.select(conds, vals, default=np.asarray(default, dtype=object)))


# ---------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------
def _number(frame: pd.DataFrame, column: str, *, allow_negative: bool = False) -> np.ndarray:
    """A float column as an array; negative values count as blank unless allowed
    (the reader has already reported them on the Data Issues sheet)."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return values if allow_negative else np.where(values < 0, np.nan, values)


def lead_times(stock: pd.DataFrame, suppliers: pd.DataFrame) -> pd.DataFrame:
    """Lead time L and its spread σL per SKU: Stock's value, else the supplier's.

    Parameters
    ----------
    stock : DataFrame
        Columns ``supplier``, ``lead_time_days``, ``lead_time_std_days`` (days).
    suppliers : DataFrame
        Columns ``supplier``, ``lead_time_days``, ``lead_time_std_days`` (days);
        supplier names unique (matched exactly).

    Returns
    -------
    DataFrame aligned with ``stock`` (same index) with ``lead_time_days`` (L, days, NaN
    when neither sheet gives one), ``lead_time_std_days`` (σL, days, 0 when neither
    gives one) and ``supplier_listed`` (bool: the supplier is on Suppliers).

    Source: Silver, Pyke & Thomas (2017), ch. 6 (L and σL as inputs of the safety stock).

    >>> stock = pd.DataFrame({"supplier": ["Acme", "Acme", "Zed"], "lead_time_days": [3.0, None, None],
    ...                       "lead_time_std_days": [None, None, None]})
    >>> suppliers = pd.DataFrame({"supplier": ["Acme"], "lead_time_days": [10.0], "lead_time_std_days": [2.0]})
    >>> lead_times(stock, suppliers).to_dict("list")
    {'lead_time_days': [3.0, 10.0, nan], 'lead_time_std_days': [2.0, 2.0, 0.0], 'supplier_listed': [True, True, False]}
    """
    names = stock["supplier"].fillna("").astype("str").str.strip()
    table = None
    if len(suppliers):
        table = suppliers.assign(supplier=suppliers["supplier"].fillna("").astype("str").str.strip())
        table = table.drop_duplicates("supplier").set_index("supplier")
    out = {}
    for field in ("lead_time_days", "lead_time_std_days"):
        own = _number(stock, field)
        if table is not None and field in table:
            theirs = _number(table, field)
            from_supplier = names.map(pd.Series(theirs, index=table.index)).to_numpy(dtype=float, na_value=np.nan)
        else:
            from_supplier = np.full(len(stock), np.nan)
        out[field] = np.where(np.isnan(own), from_supplier, own)
    out["lead_time_std_days"] = np.nan_to_num(out["lead_time_std_days"], nan=0.0)
    listed = names.isin(table.index) if table is not None else pd.Series(False, index=stock.index)
    out["supplier_listed"] = listed.to_numpy(dtype=bool)
    return pd.DataFrame(out, index=stock.index)


# ---------------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------------
def _forecast_methods(st: pd.DataFrame, settings: Settings) -> np.ndarray:
    """Each SKU's forecast method: the Stock row's, else the Forecast Method setting."""
    own = _text(st["forecast_method"]).str.strip() if "forecast_method" in st else pd.Series("", index=st.index)
    return own.where(own.ne(""), settings.forecast_method).to_numpy(dtype=object)


def plan_reorder(stock: pd.DataFrame, sales: pd.DataFrame, suppliers: pd.DataFrame,
                 settings: Settings, *, unavailable: np.ndarray | None = None,
                 explain: bool = True) -> tuple[pd.DataFrame, list[Issue]]:
    """The Reorder sheet: one row per Stock SKU, in Stock order, and the data issues found.

    For each SKU (symbols as in :mod:`.policy`):

    1. d, σd: mean and sample standard deviation of units sold per day over the
       ``history_days`` ending on the As Of Date (:func:`.demand.sales_summary`;
       exceptional lines capped, days in ``unavailable`` left out).
    2. ABC class from the window's sales value (:func:`.classify.abc_class`).
    3. L, σL from Stock, else the SKU's supplier (:func:`lead_times`); σL defaults to 0.
    4. p from Stock's Service Level, else the ABC class's setting; z = Φ⁻¹(p).
    5. SS by the Safety Stock Method and Service Measure settings (:func:`_safety_stocks`;
       Normal, Cycle: z·√((L+R)·σd² + d²·σL²)); s = forecast over L + R + SS; S = s (order
       up to the reorder point), with R the review period (:mod:`.policy`, :mod:`.safety`).
    6. IP = on hand + on order (blank on order = 0). If IP ≤ s and d > 0, order S − IP,
       raised to the MOQ and rounded up to whole cases and units
       (:func:`.policy.round_order_qty`).
    7. Status, first match wins: DO NOT REORDER (Stock status Discontinued or Do Not
       Reorder), CHECK DATA (the reader's check text, no lead time, blank On Hand or a
       service level outside 0–100%), NO DEMAND (d = 0), REORDER (quantity > 0), OK.
       Only REORDER rows get a suggested quantity.
    8. Stock flag OBSOLETE / SLOW (:func:`.classify.stock_flags`) and a reason sentence.

    Parameters
    ----------
    stock : DataFrame
        ``contract.STOCK.fields`` plus ``row`` (Excel row) and ``check_data`` ("" or
        the reader's sentence). Numbers are float with NaN for blank; service level is
        a fraction. Negative numbers count as blank.
    sales : DataFrame
        ``date`` (datetime64), ``sku``, ``quantity`` (negative = return),
        ``unit_price`` (NaN when blank), ``row``. May be empty.
    suppliers : DataFrame
        ``contract.SUPPLIERS.fields`` plus ``row``.
    settings : Settings
        As Of Date (``plan_date()``), review period, history days, service levels,
        obsolete and slow-mover limits, forecast method.
    unavailable : ndarray of bool, optional
        SKUs (Stock order) × ``history_days`` (column j = As Of − history_days + 1 + j):
        days the item could not be bought (out of stock), left out of its demand series
        (:func:`.demand.sales_summary_and_series`; :func:`.availability.out_of_stock_days`
        finds them from Receipts). None: every day counts.
    explain : bool, default True
        Write the Reason sentences; the backtest, which never shows them, passes False
        (the reasons are a fifth of a plan's time) and gets "" instead.

    Returns
    -------
    (reorder, issues)
        ``reorder`` has the columns ``contract.REORDER.fields`` then ``EXTRA_FIELDS``
        (unit_cost, unit_price, consignment, category, barcode, stock_value = on hand ×
        unit cost (0 for consignment, NaN when either is blank), sales_value).
        Numbers are unrounded float64; suggested_qty and order_qty are int64; last_sale
        is datetime64[ns]. ``issues`` lists sales dated after the As Of Date and SKUs
        the plan could not size (no lead time, blank On Hand, bad service level).

    Source: Silver, Pyke & Thomas, "Inventory and Production Management in Supply
    Chains", 4th ed. (2017), ch. 6 (periodic-review order-up-to policy; safety stock
    with lead-time variability) and ch. 2 (ABC classification).

    >>> import datetime as dt
    >>> stock = pd.DataFrame({
    ...     "sku": ["P1"], "description": ["Paint"], "supplier": ["Acme"], "barcode": [""],
    ...     "category": [""], "on_hand": [12.0], "on_order": [0.0], "unit_cost": [4.0],
    ...     "unit_price": [9.0], "lead_time_days": [7.0], "lead_time_std_days": [float("nan")],
    ...     "moq": [float("nan")], "case_pack": [12.0], "service_level": [0.95],
    ...     "consignment": [False], "status": ["Active"], "row": [2], "check_data": [""]})
    >>> sales = pd.DataFrame({"date": pd.date_range("2026-11-18", periods=10),
    ...                       "sku": ["P1"] * 10, "quantity": [1.0, 3.0] * 5,
    ...                       "unit_price": [float("nan")] * 10, "row": range(2, 12)})
    >>> suppliers = pd.DataFrame({"supplier": ["Acme"], "lead_time_days": [10.0],
    ...                           "lead_time_std_days": [1.0]})
    >>> reorder, issues = plan_reorder(stock, sales, suppliers,
    ...                                Settings(as_of_date=dt.date(2026, 11, 27), new_item_days=7))
    >>> print(reorder.loc[0, "reason"])
    12 on hand + 0 on order is at or below the reorder point of 35.3; ordering 24 (2 cases of 12). \
Safety stock by the normal formula (too little history for its own errors).

    First sold on Nov 18, so the series is 10 days (New Item Days 7 is fewer) of 1, 3, 1, 3, ...: d = 2,
    σd² = 10/9. L = 7 (Stock), σL = 1 (Acme), R = 7, z = 1.644854:
    SS = 1.644854·√(14·10/9 + 4·1) = 7.27 (10 days are too few for the Empirical method's
    windows); s = S = 2·14 + 7.27 = 35.27; need = 35.27 − 12 = 23.27 → 2 cases of 12 = 24.
    """
    as_of = settings.plan_date()
    review = float(settings.review_period_days)
    history = int(settings.history_days)
    st = stock.reset_index(drop=True)
    sku = _text(st["sku"])
    rows = pd.to_numeric(st["row"], errors="coerce").fillna(0).astype(np.int64).astype("str")
    on_hand = _number(st, "on_hand")
    on_order = np.nan_to_num(_number(st, "on_order"), nan=0.0)
    unit_cost = _number(st, "unit_cost")
    unit_price = _number(st, "unit_price")
    moq = _number(st, "moq")
    case_pack = _number(st, "case_pack")
    consignment = st["consignment"].fillna(False).astype(bool).to_numpy()
    stock_status = _text(st["status"]).str.strip()
    check_text = _text(st["check_data"])

    # 1-2. Demand and ABC.
    methods = _forecast_methods(st, settings)
    seasonal_use = np.isin(methods, ("Seasonal", "Auto")).any()
    summary, matrix, mask, season_history = sales_summary_series_and_season(
        sales, sku, as_of, history, fallback_price=np.where(np.isnan(unit_price), unit_cost, unit_price),
        unavailable=unavailable, season_days=SEASON_HISTORY_DAYS if seasonal_use else 0,
        min_days=int(settings.new_item_days))
    d = summary["daily_demand"].to_numpy()
    sd = summary["demand_std"].to_numpy()
    d_window = d  # the series mean: NO DEMAND, days of cover and SLOW stay on it, not on the forecast
    sales_value = summary["sales_value"].to_numpy()
    abc = abc_class(sales_value)

    # 3. Lead time.
    lt = lead_times(st, suppliers)
    lead = lt["lead_time_days"].to_numpy()
    lead_std = lt["lead_time_std_days"].to_numpy()
    no_lead = np.isnan(lead)

    # 1b. The forecast: Daily Demand and σ become the method's; the reorder point covers
    # the forecast over the protection interval L + R (Moving Average: exactly d and σd).
    protect = np.nan_to_num(lead) + review  # the protection interval L + R, days
    over_lr = d * protect
    empirical = settings.safety_stock_method == "Empirical"
    fr = None
    if (methods != "Moving Average").any() or empirical:
        days = pd.date_range(end=pd.Timestamp(as_of).normalize(), periods=history, freq="D")
        fr = forecast(methods, matrix, mask, days, _text(st["category"]).to_numpy(), settings,
                      horizon_days=protect, fitted_days=ERROR_DAYS if empirical else 0,
                      season_history=season_history)
        d, sd, over_lr, methods = fr.daily, fr.sigma, fr.over_horizon, np.asarray(fr.method, dtype=object)
    # 1c. The shop's trend: raise every forecast when the whole shop outsells them (Empirical,
    # whose fitted rates show what was forecast).
    trend = 1.0 if fr is None or fr.fitted_rate is None else shop_trend(matrix, mask, fr.fitted_rate, fr.day_index)
    d, over_lr = d * trend, over_lr * trend

    # 4. Service level: Stock's, else the class setting (z once per distinct level).
    own_p = _number(st, "service_level")
    bad_p = ~np.isnan(own_p) & ((own_p <= 0) | (own_p >= 1))
    class_p = pd.Series(abc).map({c: settings.service_level_for_class(c) for c in "ABC"}).to_numpy(dtype=float)
    p = np.where(np.isnan(own_p) | bad_p, class_p, own_p)
    z = z_for_service_level(p)

    # 5-6. Policy and order size: order up to the reorder point (the (R, S) policy).
    ss, windows, shop_floor, short_windows = _safety_stocks(settings, matrix, mask, fr, p, z, d / trend, sd, lead,
                                                            lead_std, review, abc)
    # Raised with the forecast: an item's errors were measured at its old level, and errors
    # grow with the level (on the real shop +0.6 point of cycle service over raising d alone).
    ss = ss * trend
    d_protect = np.divide(over_lr, protect, out=np.asarray(d, dtype=float).copy(), where=protect > 0)
    rop = reorder_point(d_protect, lead, review, ss)  # = forecast over L + R + SS
    up_to = rop.copy()
    position = on_hand + on_order
    trigger = (position <= rop) & (d_window > 0)
    qty, cases, raised = order_qty_parts(np.where(trigger, up_to - position, 0.0), moq, case_pack)
    # An item whose whole history is one sale (one line with a positive Quantity), and that sale.
    one_sale = summary["sale_lines"].to_numpy() == 1
    one_qty = np.where(one_sale, summary["largest_sale"].to_numpy(), np.nan)
    qty, cases, raised, capped = cap_first_orders(qty, cases, raised, one_sale, one_qty, moq, case_pack)

    # 7. Status.
    do_not_reorder = stock_status.isin(DO_NOT_REORDER_STATUSES).to_numpy()
    blank_on_hand = np.isnan(on_hand)
    reader_said = check_text.str.strip().ne("").to_numpy()
    check = reader_said | no_lead | blank_on_hand | bad_p
    status = np.select([do_not_reorder, check, d_window == 0, qty > 0],
                       [DO_NOT_REORDER, CHECK_DATA, NO_DEMAND, REORDER_STATUS], default=OK_STATUS)
    suggested = np.where(status == REORDER_STATUS, qty, 0).astype(np.int64)

    # 8. Flags.
    last_sale = summary["last_sale"].to_numpy()
    flags = stock_flags(on_hand, d_window, last_sale, as_of, settings.obsolete_after_days,
                        settings.slow_mover_months, earliest_sale=summary["first_sale"].min())
    cover = days_of_cover(on_hand, d_window)

    # Check-data sentences and issues (not for rows that are never reordered).
    names = _text(st["supplier"]).str.strip()
    lead_cell = "Stock!" + STOCK.letter("lead_time_days") + rows
    lead_problem = "no lead time: fill " + lead_cell + _choose(
        [names.eq(""), ~lt["supplier_listed"].to_numpy()],
        [" or name a supplier with a Lead Time Days in Stock!" + STOCK.letter("supplier") + rows,
         ' or add supplier "' + names + '" with its Lead Time Days to Suppliers'],
        ' or Lead Time Days for supplier "' + names + '" on Suppliers')
    on_hand_problem = "On Hand is blank: fill Stock!" + STOCK.letter("on_hand") + rows
    p_problem = ("service level " + _formatted(own_p * 100, "{:g}") + "% must be above 0% and below 100%:"
                 " fix Stock!" + STOCK.letter("service_level") + rows)
    problems = pd.DataFrame({
        "lead_time_days": lead_problem.where(no_lead, ""),
        "on_hand": on_hand_problem.where(blank_on_hand & ~reader_said, ""),
        "service_level": p_problem.where(bad_p, ""),
    })

    reasons = pd.Series("", index=range(len(st)), dtype="str") if not explain else _reasons(
        status=status, stock_status=stock_status, check_text=check_text, problems=problems,
        on_hand=on_hand, on_order=on_order, position=position, rop=rop, up_to=up_to,
        qty=suggested, cases=cases, raised=raised, moq=moq, case_pack=case_pack,
        sold_in_window=summary["sold_in_window"].to_numpy(), history=history, flags=flags,
        last_sale=last_sale, as_of_day=day_number(as_of), cover=cover) + _series_notes(summary) \
        + _trend_reasons(status, trend) \
        + _safety_reasons(status, settings, windows, shop_floor, protect, abc, short_windows) \
        + _new_item_notes(summary, int(settings.new_item_days), capped, one_qty, qty)

    order_value = suggested * np.nan_to_num(unit_cost, nan=0.0)
    reorder = pd.DataFrame({
        "sku": sku,
        "description": _text(st["description"]),
        "supplier": _text(st["supplier"]),
        "abc": _text(abc),
        "on_hand": on_hand,
        "on_order": on_order,
        "inventory_position": position,
        "daily_demand": d,
        "demand_std": sd,
        "forecast_method": _text(methods),
        "lead_time_days": lead,
        "service_level": p,
        "safety_stock": ss,
        "reorder_point": rop,
        "order_up_to": up_to,
        "suggested_qty": suggested,
        "order_qty": suggested.copy(),
        "order_value": order_value,
        "days_of_cover": cover,
        "last_sale": last_sale,
        "stock_flag": _text(flags),
        "status": _text(status),
        "reason": reasons,
        "planned_for": pd.Series(pd.Timestamp(as_of), index=range(len(st)), dtype="datetime64[ns]"),
        "unit_cost": unit_cost,
        "unit_price": unit_price,
        "consignment": consignment,
        "category": _text(st["category"]),
        "barcode": _text(st["barcode"]),
        "stock_value": np.where(consignment, 0.0, on_hand * unit_cost),
        "sales_value": sales_value,
    }, columns=list(OUTPUT_FIELDS))

    issues = _stock_issues(problems, sku, rows, do_not_reorder) + future_sales_issues(sales, as_of)
    return reorder, issues


def _safety_stocks(settings: Settings, matrix: np.ndarray, mask: np.ndarray, fr: Any, p: np.ndarray,
                   z: np.ndarray, d: np.ndarray, sd: np.ndarray, lead: np.ndarray, lead_std: np.ndarray,
                   review: float, abc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Safety Stock per SKU by the Safety Stock Method and Service Measure settings, the
    number of forecast-error windows behind it (0 where the Normal formula was used),
    whether the shop's errors set it (the item's own were calmer) and how many of those
    windows had days out of stock (counted at their open days' pace).

    Normal, Cycle: z·σ_H with σ_H = √((L + R)·σd² + d²·σL²) (:func:`.policy.safety_stock`).
    Normal, Fill Rate: k·σ_H with σ_H·G(k) = (1 − β)·d·R (:func:`.safety.fill_rate_safety_factor`).
    Empirical: k·√(σ_e² + d²·σL²) with k and σ_e from the item's own window errors and
    the shop's (:func:`.safety.empirical_factor`); the Normal figure where the item has
    no window and no pooled figure exists. Never below 0.
    """
    protect = np.nan_to_num(lead) + review
    cycle_demand = d * max(review, 1.0)
    allowed = (1 - p) * cycle_demand
    fill_rate = settings.service_measure == "Fill Rate"
    if fill_rate:
        sigma = safety_stock(1.0, d, sd, lead, lead_std, review)  # σ_H: the Normal formula with z = 1
        normal = np.maximum(fill_rate_safety_factor(allowed, sigma), 0.0) * sigma
    else:
        normal = safety_stock(z, d, sd, lead, lead_std, review)
    windows = np.zeros(len(d), dtype=np.int64)
    if settings.safety_stock_method != "Empirical" or fr is None or fr.fitted_rate is None:
        return normal, windows, np.zeros(len(d), dtype=bool), windows
    # Cycle: only the windows after which the plan would order (a sale on the first R days).
    errors, short = window_errors(matrix, mask, fr.fitted_rate, protect, fr.day_index,
                                  sold_first_days=None if fill_rate else review, with_short=True)
    k, sigma_e, windows, shop_floor = empirical_factor(errors, p, settings.service_measure, allowed, abc)
    own = np.maximum(k, 0.0) * np.sqrt(sigma_e ** 2 + np.asarray(d, dtype=float) ** 2 * lead_std ** 2)
    use = np.isfinite(own) & ~np.isnan(lead)
    return (np.where(use, own, normal), np.where(use, windows, 0), use & shop_floor,
            np.where(use, short.sum(axis=1), 0))


def _trend_reasons(status: np.ndarray, trend: float) -> pd.Series:
    """The sentence saying the forecast was raised by the shop's trend (REORDER, OK rows)."""
    shown = (status == REORDER_STATUS) | (status == OK_STATUS)
    if trend <= 1.0:
        return pd.Series("", index=range(len(status)), dtype="str")
    said = (f" Forecast and safety stock raised {trend:.2f}×: the whole shop sold {trend - 1:.0%} more than forecast over the "
            f"last {TREND_DAYS} days.")
    return _choose([shown], [said], "")


def _safety_reasons(status: np.ndarray, settings: Settings, windows: np.ndarray, shop_floor: np.ndarray,
                    protect: np.ndarray, abc: np.ndarray, short_windows: np.ndarray) -> pd.Series:
    """The sentence saying how the safety stock was set, for the rows where it matters
    (REORDER, OK)."""
    shown = (status == REORDER_STATUS) | (status == OK_STATUS)
    days = fmt_qty(np.maximum(np.ceil(protect - 1e-9), 1))
    over = fmt_qty(windows) + " windows of " + days + " days"
    few = windows < POOL_MIN_WINDOWS
    if settings.service_measure == "Cycle":
        lean = _choose([few], [", leaning on the shop's typical errors"], "")
    else:
        lean = _choose([few], [", blended with class " + _text(abc) + "'s"], "")
    own = " Safety stock from its own forecast errors over " + over + lean + "."
    shop = " Safety stock from the shop's typical forecast errors (its own over " + over + " were calmer)."
    normal = " Safety stock by the normal formula" + ("" if settings.safety_stock_method == "Normal" else
                                                      " (too little history for its own errors)") + "."
    empty_days = (" " + fmt_qty(short_windows) + " of those windows had days out of stock, counted at the pace of "
                  "their open days.")
    return _choose([shown & (windows > 0) & shop_floor, shown & (windows > 0), shown], [shop, own, normal], "") \
        + _choose([shown & (windows > 0) & (short_windows > 0)], [empty_days], "")


def _stock_issues(problems: pd.DataFrame, sku: pd.Series, rows: pd.Series,
                  do_not_reorder: np.ndarray) -> list[Issue]:
    """One Issue per (SKU, problem) on sheet Stock, in Stock order, skipping rows that
    are never reordered (the plan does not need their lead time)."""
    long = problems.assign(sku=sku, row=rows)[~do_not_reorder].melt(
        id_vars=["sku", "row"], var_name="field", value_name="problem", ignore_index=False)
    long = long[long["problem"].ne("")].sort_index(kind="stable")  # Stock order, then column order
    return [Issue(STOCK.name, STOCK.cell(field, int(row)), sku_, problem)
            for sku_, row, field, problem in zip(long["sku"], long["row"], long["field"], long["problem"])]


def _reasons(*, status: np.ndarray, stock_status: pd.Series, check_text: pd.Series, problems: pd.DataFrame,
             on_hand: np.ndarray, on_order: np.ndarray, position: np.ndarray, rop: np.ndarray,
             up_to: np.ndarray, qty: np.ndarray, cases: np.ndarray, raised: np.ndarray, moq: np.ndarray,
             case_pack: np.ndarray, sold_in_window: np.ndarray, history: int, flags: Any,
             last_sale: np.ndarray, as_of_day: int, cover: np.ndarray) -> pd.Series:
    """One sentence per SKU saying why its status is what it is (vectorised)."""
    stock_line = fmt_qty(on_hand) + " on hand + " + fmt_qty(on_order) + " on order is "
    rop_text = fmt_one_decimal(rop)
    has_cases = (cases > 0) & (case_pack != 1)  # "29 cases of 1" says nothing
    case_text = (fmt_qty(cases) + np.where(cases == 1, " case of ", " cases of ").astype(object)
                 + fmt_qty(case_pack))
    minimum = "raised to the minimum order of " + fmt_qty(moq)
    detail = _choose([raised & has_cases, raised, has_cases],
                     [" (" + minimum + ", in " + case_text + ")", " (" + minimum + ")", " (" + case_text + ")"], "")
    reorder = stock_line + "at or below the reorder point of " + rop_text + "; ordering " + fmt_qty(qty) \
        + detail + "."
    ok = _choose([position > rop],
                 [stock_line + "above the reorder point of " + rop_text + "; no order needed."],
                 stock_line + "at the order-up-to level of " + fmt_one_decimal(up_to) + "; no order needed.")
    no_demand = _choose([sold_in_window],
                        [f"Sales in the last {history} days were cancelled out by returns; nothing to reorder."],
                        f"No sales in the last {history} days; nothing to reorder.")
    never = "Status is " + stock_status + "; never reordered."
    check = _sentences(check_text, problems["lead_time_days"], problems["on_hand"], problems["service_level"])
    base = _choose([status == DO_NOT_REORDER, status == CHECK_DATA, status == NO_DEMAND, status == REORDER_STATUS],
                   [never, check, no_demand, reorder], ok)

    last_day = last_sale.astype("datetime64[D]")
    since = as_of_day - np.where(np.isnat(last_day), as_of_day, last_day.astype(np.int64))
    flags = np.asarray(flags, dtype=object)
    obsolete = _choose([np.isnat(last_day)], [" No sale on record: obsolete stock."],
                       " No sale since " + _text(np.datetime_as_string(last_day)) + " ("
                       + _text(since.astype(str)) + " days): obsolete stock.")
    slow = " " + fmt_one_decimal(cover / DAYS_PER_MONTH) + " months of cover: slow mover."
    return base + _choose([flags == "OBSOLETE", flags == "SLOW"], [obsolete, slow], "")


def cap_first_orders(qty: np.ndarray, cases: np.ndarray, raised: np.ndarray, one_sale: np.ndarray,
                     one_qty: np.ndarray, moq: np.ndarray, case_pack: np.ndarray):
    """An item whose whole history is one sale is never ordered more than twice that sale:
    the order comes down to the most whole case packs (whole units without one) within
    2 × the sale, and to 0 when that is below the MOQ.

    Returns ``(qty, cases, raised, capped)``; ``capped`` marks the orders brought down.

    >>> [a.tolist() for a in cap_first_orders(np.array([77, 24]), np.array([0, 2]), np.array([False, False]),
    ...     np.array([True, True]), np.array([6.0, 5.0]), np.array([np.nan, np.nan]), np.array([np.nan, 12.0]))]
    [[12, 0], [0, 0], [False, False], [True, True]]
    """
    over = one_sale & (qty > 2.0 * np.nan_to_num(one_qty) + 1e-9)
    if not over.any():
        return qty, cases, raised, over
    has_pack = case_pack > 0
    pack = np.where(has_pack, case_pack, 1.0)
    fit = np.floor(2.0 * np.nan_to_num(one_qty) / pack + 1e-9) * pack
    fit = np.floor(np.where(~np.isnan(moq) & (fit < moq), 0.0, fit) + 1e-9)
    qty = np.where(over, fit, qty).astype(np.int64)
    cases = np.where(over, np.where(has_pack, fit / pack, 0.0), cases).astype(np.int64)
    return qty, cases, raised & ~over, over


def _new_item_notes(summary: pd.DataFrame, min_days: int, capped: np.ndarray, one_qty: np.ndarray,
                    qty: np.ndarray) -> pd.Series:
    """Sentences for new items: a short history spread over New Item Days, and a first
    order held to twice the one sale so far."""
    days = summary["sold_days"].to_numpy()
    spread = summary["spread"].to_numpy(dtype=bool)
    spread_text = (" New item, first sold " + fmt_qty(days) + np.where(days == 1, " day", " days").astype(object)
                   + f" ago (counting the As Of Date): its sales are spread over {min_days} days (New Item Days), "
                     "not read as a daily rate.")
    twice = fmt_qty(2 * np.nan_to_num(one_qty))
    sale = fmt_qty(np.nan_to_num(one_qty))
    capped_text = np.where(
        qty > 0,
        (" One sale so far (" + sale + "): ordering no more than twice it, " + twice + ".").to_numpy(dtype=object),
        (" One sale so far (" + sale + "): nothing ordered, as the case pack or MOQ is more than twice it ("
         + twice + "); type an Order Qty to order anyway.").to_numpy(dtype=object))
    return _choose([spread], [spread_text], "") + _choose([capped], [capped_text], "")


def _series_notes(summary: pd.DataFrame) -> pd.Series:
    """What the daily demand series left out or capped, as sentences to append to the
    reason ("" when nothing): the exceptional sales capped (naming the largest line's
    Quantity cell on Sales) and the days out of stock left out."""
    n = summary["capped_lines"].to_numpy()
    cell = "Sales!" + SALES.letter("quantity") + _text(summary["capped_row"].to_numpy().astype(str))
    largest = np.where(n == 1, " exceptional sale capped (", " exceptional sales capped (largest ").astype(object)
    capped = (" " + fmt_qty(n) + largest + cell + ": " + fmt_qty(summary["capped_quantity"]) + " counted as "
              + fmt_qty(summary["capped_counted"]) + ").")
    days = summary["censored_days"].to_numpy()
    out = (" " + fmt_qty(days) + np.where(days == 1, " day", " days").astype(object)
           + " out of stock left out of the rate.")
    return _choose([n > 0], [capped], "") + _choose([days > 0], [out], "")


# ---------------------------------------------------------------------------------
# After the plan
# ---------------------------------------------------------------------------------
def keep_owner_edits(new: pd.DataFrame, previous: pd.DataFrame | None, *, review_days: float = 7.0,
                     drafted: pd.DataFrame | None = None) -> pd.DataFrame:
    """Keep the Order Qty the owner typed on the previous Reorder sheet, for as long as
    it is meant for: the review it was typed in.

    A previous row's Order Qty counts as the owner's when it is a number (≥ 0) that
    differs from that row's Suggested Qty (a blank Suggested Qty differs from every
    number). It was typed for that row's ``planned_for`` date (the As Of Date of the
    plan the owner typed it on; blank, as on a sheet from before this column, counts
    as this plan's date). It is **kept** — as ``order_qty`` (rounded up to a whole
    unit), with ``order_value`` = order_qty × unit_cost, ``planned_for`` carried over
    and `` Order Qty 30 is yours (suggested 24).`` appended to the reason — unless

    * orders were drafted from it: ``drafted`` holds a line for the SKU with that
      quantity, dated on or after the date it was typed for and before this plan's
      date (a rerun of ``orders`` on the same As Of Date redrafts the same order, so
      the number stays for it); or
    * the As Of Date has moved on by the review period: this plan's date − the date it
      was typed for ≥ ``review_days`` (at least 1 day).

    Then the new suggestion is used and the reason says why. A blank Order Qty, or one
    equal to the Suggested Qty, takes the new suggestion. On a DO NOT REORDER row the
    owner's quantity is not kept: order_qty is 0 and the reason says so.

    Parameters
    ----------
    new : DataFrame
        The result of :func:`plan_reorder` (needs sku, suggested_qty, order_qty,
        order_value, unit_cost, status, reason, planned_for = this plan's As Of Date).
    previous : DataFrame or None
        What the Reorder sheet held before this run: sku, suggested_qty, order_qty
        (floats, NaN when blank), planned_for (dates, NaT when blank; may be absent).
        May be empty, miss SKUs or hold SKUs no longer stocked.
    review_days : float
        The Review Period Days setting (R).
    drafted : DataFrame or None
        The order-lines record (``contract.ORDER_LINES``): po_number, order_date, sku,
        quantity.

    Returns
    -------
    A copy of ``new`` with order_qty, order_value, planned_for and reason updated.

    Source: the editable-column rule of ``contract.REORDER`` (Order Qty survives a rerun
    of the same review).

    >>> day = pd.Timestamp("2026-11-20")
    >>> new = pd.DataFrame({"sku": ["A", "B"], "suggested_qty": [24, 12], "order_qty": [24, 12],
    ...                     "order_value": [48.0, 12.0], "unit_cost": [2.0, 1.0], "status": ["REORDER"] * 2,
    ...                     "reason": ["Ordering 24.", "Ordering 12."], "planned_for": [day, day]})
    >>> previous = pd.DataFrame({"sku": ["A", "B"], "suggested_qty": [20.0, 10.0], "order_qty": [30.0, 10.0],
    ...                          "planned_for": [day - pd.Timedelta(days=2)] * 2})
    >>> out = keep_owner_edits(new, previous)
    >>> out["order_qty"].tolist(), out["order_value"].tolist(), out.loc[0, "planned_for"].date()
    ([30, 12], [60.0, 12.0], datetime.date(2026, 11, 18))
    >>> out.loc[0, "reason"]
    'Ordering 24. Order Qty 30 is yours (suggested 24).'
    >>> print(keep_owner_edits(new, previous, review_days=2).loc[0, "reason"])
    Ordering 24. Your Order Qty 30, typed for 2026-11-18, is dropped: the As Of Date has moved on by the 2-day review period, so the suggestion is used.
    """
    out = new.copy()
    if previous is None or len(previous) == 0 or len(out) == 0:
        return out
    today = pd.to_datetime(out["planned_for"]).to_numpy(dtype="datetime64[ns]") if "planned_for" in out \
        else np.full(len(out), np.datetime64("NaT"), dtype="datetime64[ns]")
    prev = pd.DataFrame({
        "sku": _text(previous["sku"]).str.strip(),
        "prev_suggested": pd.to_numeric(previous["suggested_qty"], errors="coerce").astype(float),
        "prev_order": pd.to_numeric(previous["order_qty"], errors="coerce").astype(float),
        "prev_for": pd.to_datetime(previous["planned_for"], errors="coerce") if "planned_for" in previous
        else pd.Series(pd.NaT, index=previous.index, dtype="datetime64[ns]"),
    }).drop_duplicates("sku")
    merged = pd.DataFrame({"sku": _text(out["sku"])}).merge(prev, on="sku", how="left")
    typed_qty = merged["prev_order"].to_numpy()
    prev_suggested = merged["prev_suggested"].to_numpy()
    typed = (typed_qty >= 0) & ~(np.abs(typed_qty - prev_suggested) <= 1e-9)
    owner_qty = np.ceil(np.where(typed, typed_qty, 0.0) - 1e-9).astype(np.int64)
    typed_for = merged["prev_for"].to_numpy(dtype="datetime64[ns]")
    typed_for = np.where(np.isnat(typed_for), today, typed_for)
    age = (today - typed_for) / np.timedelta64(1, "D")
    period = max(float(review_days), 1.0)
    expired = typed & (age >= period - 1e-9)
    po = _drafted_from(merged["sku"], owner_qty, typed_for, today, drafted)
    was_drafted = typed & ~expired & po.ne("").to_numpy()
    never = out["status"].to_numpy(dtype=object) == DO_NOT_REORDER
    keep = typed & ~never & ~expired & ~was_drafted
    cleared = typed & never & (owner_qty > 0)

    order_qty = np.select([keep, cleared], [owner_qty, 0], out["order_qty"].to_numpy()).astype(np.int64)
    out["order_qty"] = order_qty
    unit_cost = pd.to_numeric(out["unit_cost"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    out["order_value"] = order_qty * np.nan_to_num(unit_cost, nan=0.0)
    if "planned_for" in out:
        out["planned_for"] = pd.Series(np.where(keep, typed_for, today), index=out.index, dtype="datetime64[ns]")
    owner_text = fmt_qty(owner_qty)
    typed_day = pd.Series(pd.to_datetime(typed_for)).dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    dropped = " Your Order Qty " + owner_text + ", typed for " + typed_day + ", is dropped: "
    note = _choose(
        [keep, cleared, expired & ~never, was_drafted & ~never],
        [" Order Qty " + owner_text + " is yours (suggested " + fmt_qty(out["suggested_qty"]) + ").",
         " Your Order Qty " + owner_text + " was set to 0: this item is never reordered.",
         dropped + f"the As Of Date has moved on by the {period:g}-day review period, so the suggestion is used.",
         dropped + "it was drafted on " + po + ", so the suggestion is used (mark that order SENT once it "
                   "has gone)."],
        "")
    out["reason"] = pd.Series((_text(out["reason"]) + note).to_numpy(), index=out.index, dtype="str")
    return out


def _drafted_from(sku: pd.Series, qty: np.ndarray, typed_for: np.ndarray, today: np.ndarray,
                  drafted: pd.DataFrame | None) -> pd.Series:
    """Per row, the PO number an order line for this SKU and quantity was drafted on,
    from the date the quantity was typed for up to (not including) this plan's date; "" when none."""
    found = pd.Series("", index=range(len(sku)), dtype="str")
    if drafted is None or len(drafted) == 0:
        return found
    lines = pd.DataFrame({
        "sku": _text(drafted["sku"]).str.strip().to_numpy(),
        "line_qty": pd.to_numeric(drafted["quantity"], errors="coerce").to_numpy(dtype=float),
        "order_date": pd.to_datetime(drafted["order_date"], errors="coerce").to_numpy(),
        "po": _text(drafted["po_number"]).str.strip().to_numpy(),
    })
    rows = pd.DataFrame({"sku": _text(sku).to_numpy(), "qty": qty.astype(float), "typed_for": typed_for,
                         "today": today, "i": np.arange(len(sku))})
    hits = rows.merge(lines, on="sku")
    hits = hits[(np.abs(hits["line_qty"] - hits["qty"]) <= 1e-9) & (hits["order_date"] >= hits["typed_for"])
                & (hits["order_date"] < hits["today"])]
    if len(hits):
        first = hits.sort_values("order_date").drop_duplicates("i")
        found.iloc[first["i"].to_numpy()] = first["po"].to_numpy()
    return found


def summarise(reorder: pd.DataFrame) -> dict[str, Any]:
    """Counts for the Dashboard and the command line.

    Returns ``{"skus", "to_reorder", "reorder_value", "obsolete", "slow"}``:
    SKUs planned; SKUs with an order (order_qty > 0, status not DO NOT REORDER); the
    value of those orders (sum of order_value, money); SKUs flagged OBSOLETE; SLOW.

    >>> summarise(pd.DataFrame({"order_qty": [24, 0, 5], "order_value": [48.0, 0.0, 10.0],
    ...                         "status": ["REORDER", "OK", "DO NOT REORDER"],
    ...                         "stock_flag": ["", "SLOW", "OBSOLETE"]}))
    {'skus': 3, 'to_reorder': 1, 'reorder_value': 48.0, 'obsolete': 1, 'slow': 1}
    """
    ordering = (reorder["order_qty"] > 0) & reorder["status"].ne(DO_NOT_REORDER)
    return {
        "skus": int(len(reorder)),
        "to_reorder": int(ordering.sum()),
        "reorder_value": float(reorder.loc[ordering, "order_value"].sum()),
        "obsolete": int(reorder["stock_flag"].eq("OBSOLETE").sum()),
        "slow": int(reorder["stock_flag"].eq("SLOW").sum()),
    }


def to_do_order(reorder: pd.DataFrame) -> pd.DataFrame:
    """The Reorder rows as the week's to-do list: REORDER rows first, then CHECK DATA,
    each by Supplier (then SKU), then every other row by SKU. The index is reset.

    Supplier and SKU compare without case, so "acme" sits beside "Acme". The sort is
    stable, so rows equal on all keys keep the plan's order.

    >>> frame = pd.DataFrame({"sku": ["C1", "B2", "A3", "D4"], "supplier": ["Zed", "Acme", "Zed", "Acme"],
    ...                       "status": ["OK", "REORDER", "CHECK DATA", "REORDER"]})
    >>> to_do_order(frame)["sku"].tolist()
    ['B2', 'D4', 'A3', 'C1']
    """
    status = _text(reorder["status"]).to_numpy(dtype=object)
    group = np.select([status == REORDER_STATUS, status == CHECK_DATA], [0, 1], 2)
    acted = group < 2
    supplier = np.where(acted, _text(reorder["supplier"]).str.casefold().to_numpy(dtype=object), "")
    keys = pd.DataFrame({"group": group, "supplier": supplier,
                         "sku": _text(reorder["sku"]).str.casefold().to_numpy(dtype=object)})
    order = keys.sort_values(["group", "supplier", "sku"], kind="stable").index.to_numpy()
    return reorder.iloc[order].reset_index(drop=True)
