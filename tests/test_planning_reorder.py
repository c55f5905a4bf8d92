"""plan_reorder, keep_owner_edits and summarise.

Small shops computed by hand, and a random shop compared with a plain-Python,
one-SKU-at-a-time reference implementation of the rules written out in this file.
"""

from __future__ import annotations

import datetime as dt
import doctest
import math
import statistics
from collections import defaultdict
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from jit_workbook import contract
from jit_workbook.planning import EXTRA_FIELDS, keep_owner_edits, plan_reorder, reorder, summarise
from jit_workbook.settings import Settings

AS_OF = dt.date(2026, 11, 27)
NAN = float("nan")
Z95 = 1.6448536269514722  # Φ⁻¹(0.95)

STOCK_TEXT = ["sku", "description", "supplier", "barcode", "category", "status", "check_data", "forecast_method"]
STOCK_DEFAULTS = dict(
    sku="", description="", supplier="Acme", barcode="", category="", on_hand=0.0, on_order=0.0,
    unit_cost=2.0, unit_price=5.0, lead_time_days=NAN, lead_time_std_days=NAN, moq=NAN, case_pack=NAN,
    service_level=NAN, consignment=False, status="Active", check_data="", forecast_method="",
)


def make_stock(*rows: dict) -> pd.DataFrame:
    """Stock rows as the reader produces them (Excel rows from 2)."""
    frame = pd.DataFrame([{**STOCK_DEFAULTS, **r} for r in rows],
                         columns=list(STOCK_DEFAULTS)) if rows else pd.DataFrame(columns=list(STOCK_DEFAULTS))
    frame["row"] = np.arange(2, len(frame) + 2)
    for col in STOCK_TEXT:
        frame[col] = frame[col].astype("str")
    for col in set(contract.STOCK.fields) - set(STOCK_TEXT) - {"consignment"}:
        frame[col] = frame[col].astype(float)
    frame["consignment"] = frame["consignment"].astype(bool)
    return frame[contract.STOCK.fields + ["row", "check_data"]]


def make_sales(*lines) -> pd.DataFrame:
    """Sales lines as (date, sku, quantity[, unit_price])."""
    rows = [(pd.Timestamp(x[0]), x[1], float(x[2]), float(x[3]) if len(x) > 3 else NAN) for x in lines]
    frame = pd.DataFrame(rows, columns=["date", "sku", "quantity", "unit_price"])
    frame["date"] = frame["date"].astype("datetime64[ns]")
    frame["sku"] = frame["sku"].astype("str")
    frame["row"] = np.arange(2, len(frame) + 2)
    return frame


def make_suppliers(*rows: tuple) -> pd.DataFrame:
    """Suppliers as (name, lead_time_days, lead_time_std_days)."""
    frame = pd.DataFrame(list(rows), columns=["supplier", "lead_time_days", "lead_time_std_days"])
    frame["supplier"] = frame["supplier"].astype("str")
    for col in ("contact", "email", "notes"):
        frame[col] = ""
    frame["min_order_value"] = NAN
    frame["row"] = np.arange(2, len(frame) + 2)
    return frame[contract.SUPPLIERS.fields + ["row"]]


ACME = make_suppliers(("Acme", 10.0, 2.0))


def settings(**kw) -> Settings:
    """Settings for the foundation's formulas: Moving Average unless a test says otherwise
    (Auto, the default, is tested in test_planning_forecast and test_cli)."""
    kw.setdefault("forecast_method", "Moving Average")
    kw.setdefault("safety_stock_method", "Normal")
    kw.setdefault("new_item_days", 1)  # these short made-up histories test other rules; the new-item rule has its own
    return Settings(as_of_date=AS_OF, **kw)


def plan(stock, sales=None, suppliers=ACME, **kw):
    return plan_reorder(stock, make_sales() if sales is None else sales, suppliers, settings(**kw))


def daily(sku: str, quantities: list[float], end: dt.date = AS_OF) -> list[tuple]:
    """One sales line per day, the last on ``end`` (zeros are left out)."""
    start = end - dt.timedelta(days=len(quantities) - 1)
    return [(start + dt.timedelta(days=i), sku, q) for i, q in enumerate(quantities) if q]


# ---------------------------------------------------------------------------------
# A shop by hand
# ---------------------------------------------------------------------------------
def test_reorder_row_by_hand():
    # 10-day window (Nov 18..27); P was first sold long ago, so all 10 days count.
    series = [2, 0, 4, 0, 2, 0, 4, 0, 2, 6]
    sales = make_sales(("2025-01-01", "P", 1), *daily("P", series))
    stock = make_stock(dict(sku="P", on_hand=20, on_order=5, lead_time_days=5, case_pack=12,
                            service_level=0.95, unit_cost=3.0))
    out, issues = plan(stock, sales, make_suppliers(("Acme", 10.0, 1.0)), history_days=10)
    row = out.iloc[0]
    # d = 20 / 10 = 2;  deviations 0,-2,2,-2,0,-2,2,-2,0,4 -> Σ² = 40 -> σd² = 40/9
    assert row["daily_demand"] == pytest.approx(2.0)
    assert row["demand_std"] == pytest.approx(math.sqrt(40 / 9))
    # L = 5 (Stock beats Acme's 10), σL = 1 (Acme), R = 7, z = 1.644854
    # SS = z·√((5+7)·40/9 + 2²·1²) = z·√(53.333 + 4) = 12.4548
    ss = Z95 * math.sqrt(12 * 40 / 9 + 4 * 1)
    assert row["lead_time_days"] == 5.0
    assert row["safety_stock"] == pytest.approx(ss)
    # s = 2·12 + SS = 36.4548;  S = s (order up to the reorder point)
    assert row["reorder_point"] == pytest.approx(24 + ss)
    assert row["order_up_to"] == pytest.approx(24 + ss)
    # IP = 20 + 5 = 25 ≤ 36.45: need 36.45 - 25 = 11.45 -> 0.95 cases -> 1 case = 12
    assert row["inventory_position"] == 25.0
    assert (row["suggested_qty"], row["order_qty"]) == (12, 12)
    assert row["order_value"] == pytest.approx(12 * 3.0)
    assert row["days_of_cover"] == pytest.approx(20 / 2)
    assert row["status"] == "REORDER"
    assert row["reason"] == ("20 on hand + 5 on order is at or below the reorder point of 36.5; "
                             "ordering 12 (1 case of 12). Safety stock by the normal formula.")
    assert row["abc"] == "A"
    assert row["forecast_method"] == "Moving Average"
    assert row["last_sale"] == pd.Timestamp("2026-11-27")
    assert issues == []


def test_output_columns_types_and_stock_order():
    stock = make_stock(dict(sku="Z9", consignment=True, on_hand=4, unit_cost=2.5), dict(sku="A1"), dict(sku="M5"))
    out, _ = plan(stock, make_sales(("2026-11-27", "A1", 1)))
    assert list(out.columns) == contract.REORDER.fields + list(EXTRA_FIELDS)
    assert out["sku"].tolist() == ["Z9", "A1", "M5"]
    assert out["suggested_qty"].dtype == np.int64 and out["order_qty"].dtype == np.int64
    assert str(out["last_sale"].dtype) == "datetime64[ns]"
    for col in ("sku", "description", "supplier", "abc", "forecast_method", "stock_flag", "status", "reason",
                "category", "barcode"):
        assert pd.api.types.is_string_dtype(out[col]), col
    for col in ("on_hand", "daily_demand", "safety_stock", "reorder_point", "order_value", "stock_value"):
        assert out[col].dtype == np.float64, col
    assert out["consignment"].tolist() == [True, False, False]
    # consignment stock is the supplier's: no stock value; others on hand × unit cost
    assert out["stock_value"].tolist() == [0.0, 0.0, 0.0]


def test_stock_value_and_consignment_is_replenished_like_any_other():
    sales = make_sales(*daily("C", [3] * 30))
    stock = make_stock(dict(sku="C", on_hand=2, consignment=True, unit_cost=4.0),
                       dict(sku="D", on_hand=2, consignment=False, unit_cost=4.0))
    out, _ = plan(stock, pd.concat([sales, make_sales(*daily("D", [3] * 30))], ignore_index=True))
    assert out["status"].tolist() == ["REORDER", "REORDER"]
    assert out["suggested_qty"].iloc[0] == out["suggested_qty"].iloc[1] > 0
    assert out["stock_value"].tolist() == [0.0, 8.0]


def test_inputs_are_not_changed():
    stock = make_stock(dict(sku="A", on_order=NAN))
    sales = make_sales(("2026-11-27", "A", 1), ("2026-12-01", "A", 1))
    before = (stock.copy(), sales.copy(), ACME.copy())
    plan(stock, sales)
    pd.testing.assert_frame_equal(stock, before[0])
    pd.testing.assert_frame_equal(sales, before[1])
    pd.testing.assert_frame_equal(ACME, before[2])


def test_empty_stock_and_empty_sales():
    out, issues = plan(make_stock())
    assert out.empty and list(out.columns) == contract.REORDER.fields + list(EXTRA_FIELDS)
    assert issues == []
    out, issues = plan(make_stock(dict(sku="A", on_hand=3)))
    assert out.loc[0, "status"] == "NO DEMAND" and issues == []


# ---------------------------------------------------------------------------------
# Lead time and service level
# ---------------------------------------------------------------------------------
def test_lead_time_falls_back_to_supplier():
    sales = make_sales(*daily("A", [1] * 10), *daily("B", [1] * 10))
    stock = make_stock(dict(sku="A", lead_time_days=3.0, lead_time_std_days=NAN),
                       dict(sku="B", lead_time_days=NAN, lead_time_std_days=0.5))
    out, issues = plan(stock, sales)
    assert out["lead_time_days"].tolist() == [3.0, 10.0]
    # A: σL from Acme (2); B: its own 0.5. d = 1, σd = 0, so SS = z·d·σL
    z = NormalDist().inv_cdf(out["service_level"].iloc[0])
    assert out["safety_stock"].iloc[0] == pytest.approx(z * 1 * 2.0)
    assert out["safety_stock"].iloc[1] == pytest.approx(z * 1 * 0.5)
    assert issues == []


def test_lead_time_spread_defaults_to_zero():
    sales = make_sales(*daily("A", [1] * 10))
    out, _ = plan(make_stock(dict(sku="A", supplier="Bolt")), sales, make_suppliers(("Bolt", 4.0, NAN)))
    assert out["lead_time_days"].iloc[0] == 4.0
    assert out["safety_stock"].iloc[0] == 0.0  # σd = 0 and σL = 0


@pytest.mark.parametrize(
    "supplier, suppliers, exp",
    [
        ("Acme", make_suppliers(("Acme", NAN, NAN)),
         'no lead time: fill Stock!J2 or Lead Time Days for supplier "Acme" on Suppliers'),
        ("Nobody", ACME,
         'no lead time: fill Stock!J2 or add supplier "Nobody" with its Lead Time Days to Suppliers'),
        ("", ACME,
         "no lead time: fill Stock!J2 or name a supplier with a Lead Time Days in Stock!C2"),
        ("Acme", make_suppliers(), 'no lead time: fill Stock!J2 or add supplier "Acme" with its Lead Time Days '
                                   "to Suppliers"),
    ],
)
def test_missing_lead_time_is_check_data_with_an_issue(supplier, suppliers, exp):
    sales = make_sales(*daily("A", [1] * 10))
    out, issues = plan(make_stock(dict(sku="A", supplier=supplier, on_hand=0)), sales, suppliers)
    row = out.iloc[0]
    assert row["status"] == "CHECK DATA"
    assert row["suggested_qty"] == 0 and row["order_qty"] == 0
    assert math.isnan(row["lead_time_days"]) and math.isnan(row["reorder_point"])
    assert row["reason"] == exp[0].upper() + exp[1:] + "."
    assert [(i.sheet, i.cell, i.sku, i.problem) for i in issues] == [("Stock", "J2", "A", exp)]


def test_missing_lead_time_on_a_discontinued_sku_is_not_an_issue():
    out, issues = plan(make_stock(dict(sku="A", supplier="Nobody", status="Discontinued")))
    assert out.loc[0, "status"] == "DO NOT REORDER"
    assert issues == []


def test_service_level_precedence():
    # three SKUs with sales values 80, 15, 5 -> A, B, C (shares before: 0, 80%, 95%)
    sales = make_sales(("2026-11-27", "A", 80, 1.0), ("2026-11-27", "B", 15, 1.0), ("2026-11-27", "C", 5, 1.0),
                       ("2026-11-27", "D", 80, 0.0))
    stock = make_stock(dict(sku="A"), dict(sku="B"), dict(sku="C"), dict(sku="D", service_level=0.8))
    out, _ = plan(stock, sales, service_level_a=0.99, service_level_b=0.9, service_level_c=0.75)
    assert out["abc"].tolist() == ["A", "B", "C", "C"]
    # A, B, C take their class settings; D's own 80% beats its class (C, 75%)
    assert out["service_level"].tolist() == [0.99, 0.9, 0.75, 0.8]
    assert out["sales_value"].tolist() == [80.0, 15.0, 5.0, 0.0]


def test_service_level_outside_zero_and_one_is_check_data():
    sales = make_sales(*daily("A", [1] * 10))
    out, issues = plan(make_stock(dict(sku="A", service_level=1.2)), sales)
    assert out.loc[0, "status"] == "CHECK DATA"
    assert out.loc[0, "reason"] == "Service level 120% must be above 0% and below 100%: fix Stock!N2."
    assert [(i.cell, i.problem) for i in issues] == [
        ("N2", "service level 120% must be above 0% and below 100%: fix Stock!N2")]


# ---------------------------------------------------------------------------------
# Status, order size and reasons
# ---------------------------------------------------------------------------------
def test_status_precedence():
    sales = make_sales(*[line for s in "ABCDE" for line in daily(s, [5] * 10)], *daily("G", [1] * 10))
    stock = make_stock(
        dict(sku="A", status="Discontinued", check_data="Unit Cost \"x\" is not a number"),  # DNR beats CHECK DATA
        dict(sku="B", check_data="Unit Cost \"x\" is not a number."),  # CHECK DATA beats REORDER
        dict(sku="C", on_hand=NAN, check_data="On Hand is blank: fill Stock!F4."),
        dict(sku="D", on_hand=NAN),  # blank On Hand the reader did not mention
        dict(sku="E", on_hand=0, status="Do Not Reorder"),
        dict(sku="F", on_hand=0, supplier="Nobody"),  # no demand but no lead time: CHECK DATA
        dict(sku="G", on_hand=1000),
        dict(sku="H", on_hand=0),  # no sales: NO DEMAND
        dict(sku="I", on_hand=0, status=""),  # blank status is Active
    )
    out, issues = plan(stock, sales)
    assert out["status"].tolist() == ["DO NOT REORDER", "CHECK DATA", "CHECK DATA", "CHECK DATA",
                                      "DO NOT REORDER", "CHECK DATA", "OK", "NO DEMAND", "NO DEMAND"]
    assert out["suggested_qty"].tolist() == [0] * 9
    assert out["reason"].tolist()[:6] == [
        "Status is Discontinued; never reordered.",
        'Unit Cost "x" is not a number.',
        "On Hand is blank: fill Stock!F4.",
        "On Hand is blank: fill Stock!F5.",
        "Status is Do Not Reorder; never reordered.",
        'No lead time: fill Stock!J7 or add supplier "Nobody" with its Lead Time Days to Suppliers.',
    ]
    assert [(i.cell, i.sku) for i in issues] == [("F5", "D"), ("J7", "F")]


def test_check_data_joins_reader_text_and_missing_lead_time():
    stock = make_stock(dict(sku="A", supplier="Nobody", check_data="unit cost is blank: fill Stock!H2"))
    out, _ = plan(stock)
    assert out.loc[0, "reason"] == ("Unit cost is blank: fill Stock!H2. No lead time: fill Stock!J2 or add "
                                    'supplier "Nobody" with its Lead Time Days to Suppliers.')


@pytest.mark.parametrize(
    "extra, on_hand, exp_qty, exp_detail",
    [
        # d = 2/day, σd = 0, σL = 2 (Acme), L = 10, R = 7: SS = z·2·2 = 6.58; s = 34 + 6.58 = 40.58;
        # S = s
        (dict(), 12, 29, ""),  # need 40.58 - 12 = 28.58 -> 29
        (dict(case_pack=12), 12, 36, " (3 cases of 12)"),  # 2.38 cases -> 3
        (dict(case_pack=50), 12, 50, " (1 case of 50)"),
        (dict(moq=100), 12, 100, " (raised to the minimum order of 100)"),
        (dict(moq=100, case_pack=24), 12, 120, " (raised to the minimum order of 100, in 5 cases of 24)"),
        (dict(moq=10), 12, 29, ""),  # MOQ below the need: no effect
        (dict(case_pack=2.5), 12.5, 30, " (12 cases of 2.5)"),  # 28.08 / 2.5 = 11.23 -> 12 × 2.5 = 30
        (dict(case_pack=1), 12, 29, ""),  # a case of 1 is a single unit: not worth saying
        (dict(moq=100, case_pack=1), 12, 100, " (raised to the minimum order of 100)"),
    ],
)
def test_reorder_quantities_and_reasons(extra, on_hand, exp_qty, exp_detail):
    sales = make_sales(("2025-01-01", "A", 2), *daily("A", [2] * 30))
    out, _ = plan(make_stock(dict(sku="A", on_hand=on_hand, service_level=0.95, **extra)), sales, history_days=30)
    rop = 2 * 17 + Z95 * 2 * 2
    assert out.loc[0, "reorder_point"] == pytest.approx(rop)
    assert out.loc[0, "suggested_qty"] == exp_qty
    oh = "12" if on_hand == 12 else "12.5"
    assert out.loc[0, "reason"] == (f"{oh} on hand + 0 on order is at or below the reorder point of 40.6; "
                                    f"ordering {exp_qty}{exp_detail}. Safety stock by the normal formula.")


def test_blank_on_order_counts_as_zero():
    sales = make_sales(*daily("A", [2] * 30))
    out, _ = plan(make_stock(dict(sku="A", on_hand=12, on_order=NAN)), sales)
    assert out.loc[0, "on_order"] == 0.0 and out.loc[0, "inventory_position"] == 12.0


def test_ok_reason_and_position_at_reorder_point():
    # d = 1, σd = 0, σL = 0, L = 3, R = 2: s = S = 5
    suppliers = make_suppliers(("Acme", 3.0, 0.0))
    sales = make_sales(("2025-01-01", "A", 1), *daily("A", [1] * 10))
    out, _ = plan(make_stock(dict(sku="A", on_hand=6)), sales, suppliers, history_days=10, review_period_days=2)
    assert out.loc[0, "status"] == "OK"
    assert out.loc[0, "reason"] == ("6 on hand + 0 on order is above the reorder point of 5.0; no order needed. "
                                    "Safety stock by the normal formula.")
    # below the reorder point: order S - IP = 5 - 4 = 1
    out, _ = plan(make_stock(dict(sku="A", on_hand=3, on_order=1)), sales, suppliers, history_days=10,
                  review_period_days=2)
    assert (out.loc[0, "status"], out.loc[0, "suggested_qty"]) == ("REORDER", 1)


def test_continuous_review_at_the_reorder_point_orders_nothing():
    # R = 0: S = s, so an inventory position exactly at s needs nothing
    suppliers = make_suppliers(("Acme", 3.0, 0.0))
    sales = make_sales(("2025-01-01", "A", 1), *daily("A", [1] * 10))
    out, _ = plan(make_stock(dict(sku="A", on_hand=3)), sales, suppliers, history_days=10, review_period_days=0)
    assert (out.loc[0, "status"], out.loc[0, "suggested_qty"]) == ("OK", 0)
    assert out.loc[0, "reason"] == ("3 on hand + 0 on order is at the order-up-to level of 3.0; "
                                    "no order needed. Safety stock by the normal formula.")


def test_no_demand_reasons():
    sales = make_sales(("2026-11-20", "R", 2), ("2026-11-20", "R", -2), ("2025-01-01", "S", 5))
    out, _ = plan(make_stock(dict(sku="R", on_hand=0), dict(sku="S", on_hand=0), dict(sku="T", on_hand=0)), sales)
    assert out["status"].tolist() == ["NO DEMAND"] * 3
    assert out["reason"].tolist() == [
        "Sales in the last 365 days were cancelled out by returns; nothing to reorder.",
        "No sales in the last 365 days; nothing to reorder.",
        "No sales in the last 365 days; nothing to reorder.",
    ]


def test_flags_are_appended_to_the_reason():
    sales = make_sales(("2025-06-01", "X", 1), ("2026-03-02", "O", 1), *daily("W", [1] * 30))
    stock = make_stock(dict(sku="O", on_hand=4), dict(sku="N", on_hand=2), dict(sku="W", on_hand=432))
    out, _ = plan(stock, sales, history_days=30)
    assert out["stock_flag"].tolist() == ["OBSOLETE", "OBSOLETE", "SLOW"]
    # O: last sale 2026-03-02 is 270 days before 2026-11-27
    assert out.loc[0, "reason"] == ("No sales in the last 30 days; nothing to reorder. "
                                    "No sale since 2026-03-02 (270 days): obsolete stock.")
    assert out.loc[1, "reason"].endswith("nothing to reorder. No sale on record: obsolete stock.")
    # W: 432 on hand / 1 a day = 432 days = 14.2 months (432 / 30.4 = 14.21).
    # W is the only seller, so class A (98%): s = 1·(10 + 7) + 2.0537·1·2 = 21.1
    assert out.loc[2, "days_of_cover"] == pytest.approx(432.0)
    assert out.loc[2, "reorder_point"] == pytest.approx(17 + NormalDist().inv_cdf(0.98) * 2)
    assert out.loc[2, "reason"] == ("432 on hand + 0 on order is above the reorder point of 21.1; no order needed. "
                                    "14.2 months of cover: slow mover. Safety stock by the normal formula.")


def test_new_shop_gets_no_obsolete_flags():
    # sales only since Nov 1: the history does not reach back 180 days
    sales = make_sales(("2026-11-01", "A", 1))
    out, _ = plan(make_stock(dict(sku="A", on_hand=5), dict(sku="B", on_hand=5)), sales)
    assert out["stock_flag"].tolist() == ["", ""]


def test_future_dated_sales_are_ignored_and_reported():
    sales = make_sales(*daily("A", [2] * 10), ("2026-12-01", "A", 500))
    out, issues = plan(make_stock(dict(sku="A", on_hand=5)), sales, history_days=10)
    assert out.loc[0, "daily_demand"] == pytest.approx(2.0)
    assert out.loc[0, "last_sale"] == pd.Timestamp(AS_OF)
    assert [(i.sheet, i.cell, i.sku, i.problem) for i in issues] == [
        ("Sales", "A12", "A", "sale dated 2026-12-01 is after the As Of Date 2026-11-27; ignored")]


def test_fractional_quantities_and_on_hand_text():
    # fabric in metres: 1.5 m a day for 10 days; 7.5 m on hand
    sales = make_sales(("2025-01-01", "F", 1.5), *daily("F", [1.5] * 10))
    out, _ = plan(make_stock(dict(sku="F", on_hand=7.5, lead_time_days=4)), sales, history_days=10)
    # d = 1.5, σd = 0, σL = 2: SS = z·1.5·2 (z for a lone A item, 98%)
    z = NormalDist().inv_cdf(0.98)
    assert out.loc[0, "safety_stock"] == pytest.approx(z * 3.0)
    # s = S = 1.5·11 + SS = 22.66; need 22.66 - 7.5 = 15.16 -> 16
    assert out.loc[0, "suggested_qty"] == math.ceil(1.5 * 11 + z * 3.0 - 7.5)
    assert out.loc[0, "reason"].startswith("7.5 on hand + 0 on order is at or below the reorder point of 22.7;")


def test_a_one_off_wholesale_line_is_capped_and_named_in_the_reason():
    # Ten days of 12 (Nov 18..27) and a 4,800 wholesale line on Nov 20: median 12, so the
    # 4,800 counts as 20 × 12 = 240. d = (10 × 12 + 240) / 10 = 36 (Moving Average).
    lines = daily("P", [12.0] * 10) + [(dt.date(2026, 11, 20), "P", 4800.0)]
    out, _ = plan(make_stock(dict(sku="P", on_hand=10_000.0, lead_time_days=5.0)), make_sales(*lines))
    assert out.loc[0, "daily_demand"] == pytest.approx(36.0)
    assert out.loc[0, "reason"].endswith(" 1 exceptional sale capped (Sales!C12: 4,800 counted as 240). "
                                         "Safety stock by the normal formula.")
    assert out.loc[0, "sales_value"] == pytest.approx(4920 * 5.0)  # money really taken (Stock price 5)


def test_large_numbers_use_thousands_separators():
    sales = make_sales(("2025-01-01", "A", 1), *daily("A", [1000] * 10))
    out, _ = plan(make_stock(dict(sku="A", on_hand=1500)), sales, make_suppliers(("Acme", 3.0, 0.0)),
                  history_days=10)
    # d = 1000, σ = 0: s = S = 1000·10 = 10,000; need 10,000 - 1,500 = 8,500
    assert out.loc[0, "reason"] == ("1,500 on hand + 0 on order is at or below the reorder point of 10,000.0; "
                                    "ordering 8,500. Safety stock by the normal formula.")


def test_damped_trend_row_by_hand_and_chosen_by_auto_for_a_rising_item():
    """T (Stock: Damped Trend) and U (Auto, sales rising every day): Daily Demand, Demand
    Std, Reorder Point and Order Up To from README's Damped Trend formula, written out
    as a plain loop (α 0.1, β 0.02, φ 0.98)."""
    series = [3, 5, 4, 6, 7, 6, 8, 9, 9, 11]
    rising = [2 + i // 10 for i in range(120)]  # 2 rising to 13 a day
    sales = make_sales(*daily("T", series), *daily("U", rising))
    stock = make_stock(dict(sku="T", on_hand=10, lead_time_days=5, service_level=0.95, forecast_method="Damped Trend"),
                       dict(sku="U", on_hand=10, lead_time_days=5, service_level=0.95))
    out, _ = plan(stock, sales, make_suppliers(("Acme", 10.0, 1.0)), history_days=120, forecast_method="Auto")
    out = out.set_index("sku")
    assert out["forecast_method"].tolist() == ["Damped Trend", "Damped Trend"]
    for sku, y in (("T", series), ("U", rising)):
        level, trend, errors = y[0], 0.0, []
        for x in y[1:]:
            errors.append((x - max(0.0, level + 0.98 * trend)) ** 2)
            new_level = 0.1 * x + 0.9 * (level + 0.98 * trend)
            trend = 0.02 * (new_level - level) + 0.98 * 0.98 * trend
            level = new_level
        d, sd = level + 0.98 * trend, math.sqrt(sum(errors) / len(errors))
        # L + R = 5 + 7 = 12 days: Σ_{k=1..12} (ℓ + (0.98 + … + 0.98^k)·b)
        over = sum(level + sum(0.98 ** j for j in range(1, k + 1)) * trend for k in range(1, 13))
        ss = Z95 * math.sqrt(12 * sd ** 2 + d ** 2 * 1.0 ** 2)
        row = out.loc[sku]
        assert row["daily_demand"] == pytest.approx(d, rel=1e-12)
        assert row["demand_std"] == pytest.approx(sd, rel=1e-12)
        assert row["safety_stock"] == pytest.approx(ss, rel=1e-12)
        assert row["reorder_point"] == pytest.approx(over + ss, rel=1e-12)
        assert row["order_up_to"] == pytest.approx(over + ss, rel=1e-12)  # order up to the reorder point
        assert over > 12 * d  # the rising trend is carried into the next 12 days


def test_seasonal_profiles_learn_from_two_years_of_sales_when_history_days_is_one():
    """History Days 365, two years on Sales: the monthly indices come from all 730 days
    (README formula 2, Seasonal), the level from the last 365. One SKU, so the pooled
    profile is its own and the shrinkage changes nothing. Plain loops from the lines."""
    start = AS_OF - dt.timedelta(days=729)
    days = [start + dt.timedelta(days=k) for k in range(730)]
    # the first year's peak is higher, so a profile from the last 365 days alone differs
    qty = [2 + ((10 if k < 365 else 6) if d.month in (10, 11, 12) else 0) + (k % 3) for k, d in enumerate(days)]
    sales = make_sales(*[(d, "W", q) for d, q in zip(days, qty)])
    stock = make_stock(dict(sku="W", on_hand=0, lead_time_days=5, service_level=0.95, forecast_method="Seasonal"))
    out, _ = plan(stock, sales, make_suppliers(("Acme", 5.0, 0.0)), history_days=365)
    by_month = defaultdict(list)
    for d, q in zip(days, qty):
        by_month[d.month].append(q)
    means = {mo: sum(v) / len(v) for mo, v in by_month.items()}
    avg = sum(means.values()) / 12
    index = {mo: means[mo] / avg for mo in means}
    last = list(zip(days, qty))[-365:]
    level = sum(q for _, q in last) / sum(index[d.month] for d, _ in last)
    tomorrow = AS_OF + dt.timedelta(days=1)
    assert out.loc[0, "forecast_method"] == "Seasonal"
    assert out.loc[0, "daily_demand"] == pytest.approx(level * index[tomorrow.month], rel=1e-9)
    # the same sum from the last 365 days' months only (what History Days alone would give)
    year = defaultdict(list)
    for d, q in last:
        year[d.month].append(q)
    short_index = {mo: (sum(v) / len(v)) / (sum(sum(w) / len(w) for w in year.values()) / 12) for mo, v in year.items()}
    short_level = sum(q for _, q in last) / sum(short_index[d.month] for d, _ in last)
    assert out.loc[0, "daily_demand"] != pytest.approx(short_level * short_index[tomorrow.month], rel=1e-3)


# ---------------------------------------------------------------------------------
# The random shop against a one-SKU-at-a-time reference
# ---------------------------------------------------------------------------------
def reference_plan(stock: pd.DataFrame, sales: pd.DataFrame, suppliers: pd.DataFrame, s: Settings) -> dict:
    """The rules, written out again one SKU at a time in plain Python."""
    as_of = s.plan_date()
    h = s.history_days
    window_start = as_of - dt.timedelta(days=h - 1)
    lines = defaultdict(list)
    for date, sku, qty, price, row in zip(sales["date"], sales["sku"], sales["quantity"], sales["unit_price"],
                                          sales["row"]):
        day = date.date()
        if day <= as_of:
            lines[sku].append((day, qty, price, row))
    all_days = [day for ls in lines.values() for day, *_ in ls]
    earliest = min(all_days) if all_days else None
    sup = {r.supplier: r for r in suppliers.itertuples()}

    rec = {}
    for r in stock.itertuples():
        ls = lines[r.sku]
        first = min((day for day, *_ in ls), default=None)
        start = first if first is not None and first > window_start else window_start
        if first is not None and (as_of - first).days + 1 < s.new_item_days:  # a new item: spread over N days
            start = max(window_start, as_of - dt.timedelta(days=s.new_item_days - 1))
        n = (as_of - start).days + 1
        # exceptional lines: above 20 × the median positive line of the window (from 5 such lines)
        sizes = [qty for day, qty, _, _ in ls if day >= window_start and qty > 0]
        cap = 20 * statistics.median(sizes) if len(sizes) >= 5 else math.inf
        capped = [(qty, row) for day, qty, _, row in ls if day >= window_start and qty > cap]
        per_day = defaultdict(float)
        for day, qty, _, _ in ls:
            if day >= window_start:
                per_day[day] += min(qty, cap)
        series = [max(0.0, per_day[start + dt.timedelta(days=i)]) for i in range(n)]
        d = sum(series) / n
        sd = statistics.stdev(series) if n >= 2 else 0.0
        fallback = r.unit_price if not math.isnan(r.unit_price) else r.unit_cost
        value = 0.0
        for day, qty, price, _ in ls:
            if day >= window_start:
                p = price if not math.isnan(price) else fallback
                value += 0.0 if math.isnan(p) else qty * p
        last = max((day for day, qty, *_ in ls if qty > 0), default=None)
        sold_in_window = any(qty > 0 and day >= window_start for day, qty, *_ in ls)
        lead, lead_std = r.lead_time_days, r.lead_time_std_days
        if r.supplier in sup:
            if math.isnan(lead):
                lead = sup[r.supplier].lead_time_days
            if math.isnan(lead_std):
                lead_std = sup[r.supplier].lead_time_std_days
        if math.isnan(lead_std):
            lead_std = 0.0
        rec[r.sku] = dict(r=r, d=d, sd=sd, value=value, last=last, lead=lead, lead_std=lead_std,
                          sold_in_window=sold_in_window, listed=r.supplier in sup, cap=cap, capped=capped)

    ranked = sorted(rec, key=lambda k: -rec[k]["value"])  # stable: ties keep Stock order
    total = sum(v["value"] for v in rec.values() if v["value"] > 0)
    before = 0.0
    for k in ranked:
        v = rec[k]
        if v["value"] <= 0:
            v["abc"] = "C"
            continue
        v["abc"] = "A" if before / total < 0.8 else "B" if before / total < 0.95 else "C"
        before += v["value"]

    R = s.review_period_days
    cutoff = as_of - dt.timedelta(days=s.obsolete_after_days - 1)
    for k, v in rec.items():
        r = v["r"]
        p = r.service_level if not math.isnan(r.service_level) else {
            "A": s.service_level_a, "B": s.service_level_b, "C": s.service_level_c}[v["abc"]]
        z = NormalDist().inv_cdf(p)
        d, L = v["d"], v["lead"]
        ss = z * math.sqrt((L + R) * v["sd"] ** 2 + d ** 2 * v["lead_std"] ** 2)
        rop = d * (L + R) + ss
        up_to = rop  # order up to the reorder point
        on_order = 0.0 if math.isnan(r.on_order) else r.on_order
        ip = r.on_hand + on_order
        qty, need, raised, cases = 0, NAN, False, 0
        if ip <= rop and d > 0:
            q = need = up_to - ip
            if not math.isnan(r.moq) and r.moq > q:
                q, raised = r.moq, True
            if r.case_pack > 0:
                cases = math.ceil(q / r.case_pack - 1e-9)
                q = cases * r.case_pack
            qty = math.ceil(q - 1e-9)
        sold = [q for _, q, *_ in lines[r.sku] if q > 0]
        v["one_sale"] = sold[0] if len(sold) == 1 and qty > 2 * sold[0] else None
        if v["one_sale"] is not None:  # never more than twice the one sale so far
            pack = r.case_pack if r.case_pack > 0 else 1.0
            fit = math.floor(2 * sold[0] / pack + 1e-9) * pack
            qty = 0 if not math.isnan(r.moq) and fit < r.moq else math.floor(fit + 1e-9)
            raised, cases = False, (qty // pack if r.case_pack > 0 else 0)
        if r.status in ("Discontinued", "Do Not Reorder"):
            status = "DO NOT REORDER"
        elif r.check_data or math.isnan(L) or math.isnan(r.on_hand):
            status = "CHECK DATA"
        elif d == 0:
            status = "NO DEMAND"
        elif qty > 0:
            status = "REORDER"
        else:
            status = "OK"
        cover = r.on_hand / d if d > 0 else NAN
        if (earliest is not None and earliest <= cutoff and r.on_hand > 0
                and (v["last"] is None or v["last"] < cutoff)):
            flag = "OBSOLETE"
        elif d > 0 and cover > s.slow_mover_months * 30.4:
            flag = "SLOW"
        else:
            flag = ""
        v.update(p=p, ss=ss, rop=rop, up_to=up_to, ip=ip, on_order=on_order, status=status, cover=cover,
                 flag=flag, suggested=qty if status == "REORDER" else 0, raised=raised, cases=cases)
        v["reason"], v["issues"] = reference_reason(v, s, as_of)
    return rec


def _q(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def reference_reason(v: dict, s: Settings, as_of: dt.date) -> tuple[str, list[tuple]]:
    """The reason sentence and the Stock issues (cell, sku, problem) for one SKU."""
    r, status, issues = v["r"], v["status"], []
    if status == "DO NOT REORDER":
        text = f"Status is {r.status}; never reordered."
    elif status == "CHECK DATA":
        parts = [r.check_data] if r.check_data else []
        if math.isnan(v["lead"]):
            if not r.supplier:
                other = f"name a supplier with a Lead Time Days in Stock!C{r.row}"
            elif not v["listed"]:
                other = f'add supplier "{r.supplier}" with its Lead Time Days to Suppliers'
            else:
                other = f'Lead Time Days for supplier "{r.supplier}" on Suppliers'
            problem = f"no lead time: fill Stock!J{r.row} or {other}"
            parts.append("N" + problem[1:] + ".")
            issues.append((f"J{r.row}", r.sku, problem))
        if math.isnan(r.on_hand) and not r.check_data:
            parts.append(f"On Hand is blank: fill Stock!F{r.row}.")
            issues.append((f"F{r.row}", r.sku, f"On Hand is blank: fill Stock!F{r.row}"))
        text = " ".join(parts)
    elif status == "NO DEMAND":
        if v["sold_in_window"]:
            text = f"Sales in the last {s.history_days} days were cancelled out by returns; nothing to reorder."
        else:
            text = f"No sales in the last {s.history_days} days; nothing to reorder."
    else:
        head = f"{_q(r.on_hand)} on hand + {_q(v['on_order'])} on order is "
        if status == "REORDER":
            parts = []
            if v["raised"]:
                parts.append(f"raised to the minimum order of {_q(r.moq)}")
            if v["cases"] and r.case_pack != 1:
                n = v["cases"]
                parts.append(f"{'in ' if v['raised'] else ''}{n:,} case{'s' if n != 1 else ''} of {_q(r.case_pack)}")
            detail = f" ({', '.join(parts)})" if parts else ""
            text = f"{head}at or below the reorder point of {v['rop']:,.1f}; ordering {v['suggested']:,}{detail}."
        elif v["ip"] > v["rop"]:
            text = f"{head}above the reorder point of {v['rop']:,.1f}; no order needed."
        else:
            text = f"{head}at the order-up-to level of {v['up_to']:,.1f}; no order needed."
    if v["flag"] == "OBSOLETE":
        if v["last"] is None:
            text += " No sale on record: obsolete stock."
        else:
            text += f" No sale since {v['last']:%Y-%m-%d} ({(as_of - v['last']).days} days): obsolete stock."
    elif v["flag"] == "SLOW":
        text += f" {v['cover'] / 30.4:,.1f} months of cover: slow mover."
    if v["capped"]:
        qty, row = max(v["capped"], key=lambda line: line[0])  # the first of equals
        n = len(v["capped"])
        text += (f" {n} exceptional sale{'s' if n > 1 else ''} capped ({'largest ' if n > 1 else ''}"
                 f"Sales!C{row}: {_q(qty)} counted as {_q(v['cap'])}).")
    if status in ("REORDER", "OK"):
        text += " Safety stock by the normal formula."
    if v["one_sale"] is not None:
        sale = _q(v["one_sale"])
        text += (f" One sale so far ({sale}): ordering no more than twice it, {_q(2 * v['one_sale'])}."
                 if v["suggested"] > 0 else f" One sale so far ({sale}): nothing ordered, as the case pack or "
                 f"MOQ is more than twice it ({_q(2 * v['one_sale'])}); type an Order Qty to order anyway.")
    return text, issues if status != "DO NOT REORDER" else []


def random_shop(seed: int, n_skus: int = 80, n_lines: int = 4000, new_shop: bool = False,
                exceptional: int = 0):
    """A random shop; ``exceptional`` one-off wholesale lines (100 to 2,000 units) are added
    to random SKUs inside the last 120 days."""
    rng = np.random.default_rng(seed)
    sup_names = ["Acme", "Bolt", "Crane", "Dray", "Elm"]
    suppliers = make_suppliers(*[(name, float(rng.integers(2, 20)), float(rng.choice([0.0, 1.0, 2.5, NAN])))
                                 for name in sup_names], ("Fog", NAN, NAN))
    rows = []
    for i in range(n_skus):
        rows.append(dict(
            sku=f"S{i:03d}",
            supplier=str(rng.choice(sup_names + ["Fog", "Gone", ""], p=[.17] * 5 + [.05, .05, .05])),
            on_hand=float(rng.choice([rng.integers(0, 80), rng.integers(0, 80) + 0.5, NAN, 0], p=[.7, .15, .05, .1])),
            on_order=float(rng.choice([0.0, 10.0, NAN])),
            unit_cost=float(rng.choice([rng.uniform(1, 20), NAN], p=[.95, .05])),
            unit_price=float(rng.choice([rng.uniform(5, 40), NAN], p=[.8, .2])),
            lead_time_days=float(rng.choice([NAN, rng.integers(1, 15)])),
            lead_time_std_days=float(rng.choice([NAN, 0.0, 1.5])),
            moq=float(rng.choice([NAN, 20.0, 50.0], p=[.7, .15, .15])),
            case_pack=float(rng.choice([NAN, 6.0, 12.0, 2.5, 1.0], p=[.45, .2, .2, .1, .05])),
            service_level=float(rng.choice([NAN, 0.9, 0.99], p=[.7, .15, .15])),
            consignment=bool(rng.random() < .1),
            status=str(rng.choice(["Active", "", "Discontinued", "Do Not Reorder"], p=[.8, .1, .05, .05])),
            check_data=str(rng.choice(["", 'Unit Cost "abc" is not a number.'], p=[.95, .05])),
        ))
    stock = make_stock(*rows)
    # kinds of SKU: steady sellers, new lines, dead lines, never sold
    kind = rng.choice(["steady", "new", "dead", "none"], size=n_skus, p=[.6, .15, .15, .1])
    sku = rng.integers(0, n_skus, n_lines)
    sku = sku[kind[sku] != "none"]
    age = np.where(kind[sku] == "new", rng.integers(0, 60, len(sku)),
                   np.where(kind[sku] == "dead", rng.integers(250, 500, len(sku)), rng.integers(-5, 500, len(sku))))
    if new_shop:
        age = rng.integers(-3, 40, len(sku))
    qty = rng.integers(1, 13, len(sku)) * 0.25 * rng.choice([1, 4], len(sku))
    qty = np.where(rng.random(len(sku)) < .08, -qty, qty)
    price = np.where(rng.random(len(sku)) < .4, NAN, rng.uniform(5, 40, len(sku)).round(2))
    lines = [(pd.Timestamp(AS_OF) - pd.Timedelta(days=int(a)), f"S{s:03d}", q, p)
             for a, s, q, p in zip(age, sku, qty, price)]
    big = np.random.default_rng(seed + 100)  # its own stream: the shops without them stay as they were
    for s in big.integers(0, n_skus, exceptional):
        lines.append((pd.Timestamp(AS_OF) - pd.Timedelta(days=int(big.integers(0, 120))), f"S{s:03d}",
                      float(big.integers(100, 2000)), NAN))
    sales = make_sales(*lines)
    return stock, sales, suppliers


@pytest.mark.parametrize("seed, new_shop, exceptional", [(1, False, 0), (2, False, 0), (3, True, 0), (4, False, 40)])
def test_random_shop_matches_reference(seed, new_shop, exceptional):
    stock, sales, suppliers = random_shop(seed, new_shop=new_shop, exceptional=exceptional)
    s = settings(history_days=120, obsolete_after_days=90, slow_mover_months=2)
    out, issues = plan_reorder(stock, sales, suppliers, s)
    ref = reference_plan(stock, sales, suppliers, s)
    exp = pd.DataFrame.from_dict(ref, orient="index").loc[out["sku"]]

    assert out["sku"].tolist() == stock["sku"].tolist()
    np.testing.assert_allclose(out["daily_demand"], exp["d"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out["demand_std"], exp["sd"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out["sales_value"], exp["value"], rtol=1e-9, atol=1e-9)
    assert out["abc"].tolist() == exp["abc"].tolist()
    np.testing.assert_allclose(out["lead_time_days"], exp["lead"].astype(float), rtol=0, equal_nan=True)
    np.testing.assert_allclose(out["service_level"], exp["p"], rtol=0)
    for col, ref_col in [("safety_stock", "ss"), ("reorder_point", "rop"), ("order_up_to", "up_to"),
                         ("inventory_position", "ip"), ("days_of_cover", "cover")]:
        np.testing.assert_allclose(out[col], exp[ref_col].astype(float), rtol=1e-9, equal_nan=True, err_msg=col)
    assert out["status"].tolist() == exp["status"].tolist()
    assert out["suggested_qty"].tolist() == exp["suggested"].tolist()
    assert out["stock_flag"].tolist() == exp["flag"].tolist()
    exp_last = [pd.Timestamp(x) if x is not None else pd.NaT for x in exp["last"]]
    assert [x if not pd.isna(x) else pd.NaT for x in out["last_sale"]] == exp_last

    for got, want in zip(out["reason"], exp["reason"]):
        assert got == want
    stock_issues = [(i.cell, i.sku, i.problem) for i in issues if i.sheet == "Stock"]
    assert stock_issues == [issue for issues_ in exp["issues"] for issue in issues_]

    # the data covers every status, flag and class, so the comparison means something
    statuses = set(out["status"])
    assert {"REORDER", "OK", "NO DEMAND", "CHECK DATA", "DO NOT REORDER"} <= statuses
    assert {"A", "B", "C"} <= set(out["abc"])
    if new_shop:
        assert "OBSOLETE" not in set(out["stock_flag"])
    else:
        assert {"OBSOLETE", "SLOW"} <= set(out["stock_flag"])
    future = int((sales["date"] > pd.Timestamp(AS_OF)).sum())
    assert sum(i.sheet == "Sales" for i in issues) == future > 0
    capped = out["reason"].str.contains("exceptional sale")
    assert capped.any() == bool(exceptional)  # the exceptional lines are capped, and only they
    if exceptional:
        assert out["reason"].str.contains("exceptional sales capped \\(largest ").any()


# ---------------------------------------------------------------------------------
# Owner edits and the summary
# ---------------------------------------------------------------------------------
def planned(*rows: tuple) -> pd.DataFrame:
    """A minimal plan: (sku, suggested_qty, status, unit_cost)."""
    frame = pd.DataFrame(rows, columns=["sku", "suggested_qty", "status", "unit_cost"])
    frame["order_qty"] = frame["suggested_qty"].astype(np.int64)
    frame["suggested_qty"] = frame["suggested_qty"].astype(np.int64)
    frame["order_value"] = frame["order_qty"] * frame["unit_cost"].fillna(0)
    frame["reason"] = "Planned."
    frame["stock_flag"] = ""
    return frame.astype({"sku": "str", "status": "str", "reason": "str", "stock_flag": "str"})


def previous(*rows: tuple) -> pd.DataFrame:
    """What the Reorder sheet held: (sku, suggested_qty, order_qty) as floats."""
    return pd.DataFrame(rows, columns=["sku", "suggested_qty", "order_qty"]).astype(
        {"suggested_qty": float, "order_qty": float})


def test_keep_owner_edits_cases():
    new = planned(("typed", 24, "REORDER", 2.0), ("same", 24, "REORDER", 2.0), ("blank", 24, "REORDER", 2.0),
                  ("absent", 24, "REORDER", 2.0), ("zeroed", 24, "REORDER", 2.0), ("on-ok", 0, "OK", 2.0),
                  ("never", 0, "DO NOT REORDER", 2.0), ("nocost", 6, "REORDER", NAN))
    prev = previous(("typed", 20, 30), ("same", 20, 20), ("blank", 20, NAN), ("zeroed", 20, 0),
                    ("on-ok", 0, 12), ("never", 0, 40), ("nocost", 5, 9), ("gone", 1, 5))
    out = keep_owner_edits(new, prev)
    assert out["order_qty"].tolist() == [30, 24, 24, 24, 0, 12, 0, 9]
    assert out["order_qty"].dtype == np.int64
    assert out["order_value"].tolist() == [60.0, 48.0, 48.0, 48.0, 0.0, 24.0, 0.0, 0.0]
    assert out["reason"].tolist() == [
        "Planned. Order Qty 30 is yours (suggested 24).",
        "Planned.",
        "Planned.",
        "Planned.",
        "Planned. Order Qty 0 is yours (suggested 24).",
        "Planned. Order Qty 12 is yours (suggested 0).",
        "Planned. Your Order Qty 40 was set to 0: this item is never reordered.",
        "Planned. Order Qty 9 is yours (suggested 6).",
    ]
    assert out["suggested_qty"].tolist() == new["suggested_qty"].tolist()
    assert new["order_qty"].tolist() == [24, 24, 24, 24, 24, 0, 0, 6]  # input untouched


def test_keep_owner_edits_blank_previous_suggestion_counts_as_typed():
    out = keep_owner_edits(planned(("A", 10, "REORDER", 1.0)), previous(("A", NAN, 7)))
    assert out["order_qty"].tolist() == [7]


def test_keep_owner_edits_with_no_previous_sheet():
    new = planned(("A", 10, "REORDER", 1.0))
    for prev in (None, previous()):
        pd.testing.assert_frame_equal(keep_owner_edits(new, prev), new)


def test_keep_owner_edits_on_a_real_plan():
    sales = make_sales(*daily("A", [2] * 30))
    new, _ = plan(make_stock(dict(sku="A", on_hand=12, unit_cost=1.5)), sales)
    suggested = int(new.loc[0, "suggested_qty"])
    out = keep_owner_edits(new, previous(("A", suggested - 4, suggested + 6)))
    assert out.loc[0, "order_qty"] == suggested + 6
    assert out.loc[0, "order_value"] == pytest.approx((suggested + 6) * 1.5)
    assert out.loc[0, "reason"].endswith(f"; ordering {suggested}. Safety stock by the normal formula. "
                                         f"Order Qty {suggested + 6} is yours "
                                         f"(suggested {suggested}).")
    assert list(out.columns) == list(new.columns)
    assert pd.api.types.is_string_dtype(out["reason"])


def test_summarise():
    frame = planned(("A", 24, "REORDER", 2.0), ("B", 0, "OK", 2.0), ("C", 0, "DO NOT REORDER", 2.0),
                    ("D", 0, "OK", 3.0))
    frame = keep_owner_edits(frame, previous(("D", 0, 5)))  # the owner orders 5 of D anyway
    frame["stock_flag"] = ["", "SLOW", "OBSOLETE", "SLOW"]
    assert summarise(frame) == {"skus": 4, "to_reorder": 2, "reorder_value": 48.0 + 15.0, "obsolete": 1, "slow": 2}


def test_every_public_function_documents_an_example_and_formulas_a_source():
    import inspect

    from jit_workbook.planning import classify, demand, policy

    formulas = {"daily_demand_matrix", "moving_average", "sales_summary", "lead_times", "plan_reorder"}
    for module in (demand, policy, classify, reorder):
        for name, obj in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(obj) or obj.__module__ != module.__name__:
                continue
            doc = obj.__doc__ or ""
            assert ">>>" in doc, f"{module.__name__}.{name} has no example"
            if module in (policy, classify) or name in formulas:
                assert "Source:" in doc, f"{module.__name__}.{name} cites no source"


def test_docstring_examples_run():
    import jit_workbook.planning as package

    for module in (reorder, package):
        result = doctest.testmod(module)
        assert result.failed == 0
    assert doctest.testmod(reorder).attempted > 0


def test_fill_rate_target_with_the_normal_formula_by_hand():
    """Service Measure Fill Rate, Normal: σ_H·G(k) = (1 − β)·d·R, G the normal loss
    function (README formula 5), solved here by bisection."""
    series = [2, 0, 4, 0, 2, 0, 4, 0, 2, 6]
    sales = make_sales(("2025-01-01", "P", 1), *daily("P", series))
    stock = make_stock(dict(sku="P", on_hand=20, lead_time_days=5, service_level=0.95))
    out, _ = plan(stock, sales, make_suppliers(("Acme", 10.0, 1.0)), history_days=10, service_measure="Fill Rate")
    d, var = 2.0, 40 / 9
    sigma = math.sqrt(12 * var + d ** 2 * 1.0)
    nd = NormalDist()
    loss = lambda k: nd.pdf(k) - k * (1 - nd.cdf(k))  # noqa: E731
    lo, hi = -4.0, 6.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if sigma * loss(mid) > 0.05 * d * 7 else (lo, mid)
    assert out.loc[0, "safety_stock"] == pytest.approx(max(lo, 0) * sigma, abs=1e-3)
    assert out.loc[0, "reorder_point"] == pytest.approx(d * 12 + max(lo, 0) * sigma, abs=1e-3)


def test_one_sale_is_counted_by_the_sales_sku_rule_across_capitals():
    # Sales typed "new-1" for Stock's "NEW-1" are the item's sales (planning/skus.py), so its
    # one sale of 6 caps the order at 12 however the SKU was typed; a second line lifts the cap.
    stock = make_stock(dict(sku="NEW-1", on_hand=0.0, lead_time_days=30.0, service_level=0.95))
    one = make_sales((AS_OF - dt.timedelta(days=1), "new-1", 6.0))
    plan, _ = plan_reorder(stock, one, ACME, settings())
    assert plan.loc[0, "suggested_qty"] == 12
    assert "One sale so far (6): ordering no more than twice it, 12." in plan.loc[0, "reason"]
    two = make_sales((AS_OF - dt.timedelta(days=2), "NEW-1", 6.0), (AS_OF - dt.timedelta(days=1), "new-1", 6.0))
    plan, _ = plan_reorder(stock, two, ACME, settings())
    assert plan.loc[0, "suggested_qty"] > 12 and "One sale so far" not in plan.loc[0, "reason"]
