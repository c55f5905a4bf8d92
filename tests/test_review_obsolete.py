"""review_frame and update_log: the Obsolete Review sheet and the Review Log.

Rules checked on small frames written by hand; the owner's Decision/Notes carry-over
and the log's idempotence checked on reruns of a generated shop.
"""

from __future__ import annotations

import datetime as dt
import doctest
import inspect

import numpy as np
import pandas as pd
import pytest

from jit_workbook import contract
from jit_workbook.demo import SHOPS, make_shop
from jit_workbook.planning import plan_reorder
from jit_workbook.review import obsolete
from jit_workbook.review.obsolete import markdown_price, month_text, review_frame, review_month, update_log
from jit_workbook.settings import Settings

AS_OF = dt.date(2026, 11, 27)
NAN = float("nan")
SETTINGS = Settings(as_of_date=AS_OF)

REORDER_DEFAULTS = dict(sku="", description="", supplier="Acme", category="", on_hand=10.0, unit_cost=4.0,
                        unit_price=10.0, consignment=False, last_sale=None, days_of_cover=NAN,
                        stock_flag="OBSOLETE", status="NO DEMAND")


def reorder_rows(*rows: dict) -> pd.DataFrame:
    """A Reorder plan with just the columns the review reads (types as plan_reorder's)."""
    frame = pd.DataFrame([{**REORDER_DEFAULTS, **r} for r in rows], columns=list(REORDER_DEFAULTS))
    frame["last_sale"] = pd.to_datetime(frame["last_sale"]).astype("datetime64[ns]")
    frame["consignment"] = frame["consignment"].astype(bool)
    for col in ("on_hand", "unit_cost", "unit_price", "days_of_cover"):
        frame[col] = frame[col].astype(float)
    return frame


def log_rows(*rows: tuple) -> pd.DataFrame:
    """Review Log rows as (month, sku, decision[, on_hand, stock_value])."""
    out = [(r[0], r[1], "OBSOLETE", r[3] if len(r) > 3 else 5.0, r[4] if len(r) > 4 else 20.0, r[2])
           for r in rows]
    return pd.DataFrame(out, columns=contract.REVIEW_LOG.fields)


def action(**row) -> str:
    return review_frame(reorder_rows(dict(sku="X", **row)), SETTINGS, None, None).loc[0, "suggested_action"]


# ---------------------------------------------------------------------------------
# Columns, selection and order
# ---------------------------------------------------------------------------------
def test_only_flagged_skus_largest_stock_value_first():
    reorder = reorder_rows(
        dict(sku="ok", stock_flag="", status="OK"),
        dict(sku="small", on_hand=2.0, unit_cost=3.0),                           # 6
        dict(sku="nocost", unit_cost=NAN),                                       # NaN: last
        dict(sku="big", on_hand=50.0, unit_cost=2.0, stock_flag="SLOW", status="OK", days_of_cover=800.0),
        dict(sku="tie-1", on_hand=5.0, unit_cost=4.0),                           # 20
        dict(sku="consigned", on_hand=500.0, consignment=True),                  # 0
        dict(sku="tie-2", on_hand=10.0, unit_cost=2.0),                          # 20
    )
    out = review_frame(reorder, SETTINGS, None, None)
    assert list(out.columns) == contract.OBSOLETE_REVIEW.fields
    assert out["sku"].tolist() == ["big", "tie-1", "tie-2", "small", "consigned", "nocost"]
    np.testing.assert_array_equal(out["stock_value"], [100.0, 20.0, 20.0, 6.0, 0.0, NAN])
    assert out["stock_flag"].tolist() == ["SLOW"] + ["OBSOLETE"] * 5
    assert out["decision"].tolist() == [""] * 6 and out["notes"].tolist() == [""] * 6


def test_days_since_sale_and_months_of_cover():
    reorder = reorder_rows(
        dict(sku="sold", last_sale="2026-05-01", on_hand=30.0),
        dict(sku="never", last_sale=None, on_hand=20.0),
        dict(sku="slow", last_sale="2026-11-27", days_of_cover=608.0, stock_flag="SLOW", status="OK", on_hand=10.0),
    )
    out = review_frame(reorder, SETTINGS, None, None).set_index("sku")
    assert out.loc["sold", "days_since_sale"] == (AS_OF - dt.date(2026, 5, 1)).days == 210
    assert np.isnan(out.loc["never", "days_since_sale"])
    assert out.loc["slow", "days_since_sale"] == 0
    assert out.loc["slow", "months_of_cover"] == pytest.approx(608 / 30.4)
    assert np.isnan(out.loc["sold", "months_of_cover"])
    assert out.loc["sold", "last_sale"] == pd.Timestamp("2026-05-01")
    assert pd.isna(out.loc["never", "last_sale"])


def test_no_flagged_skus_gives_an_empty_sheet_with_the_contract_columns():
    for reorder in (reorder_rows(dict(sku="A", stock_flag="", status="OK")), reorder_rows()):
        out = review_frame(reorder, SETTINGS, None, None)
        assert list(out.columns) == contract.OBSOLETE_REVIEW.fields and len(out) == 0


def test_missing_reorder_column_is_named():
    with pytest.raises(ValueError, match="reorder lacks the column.*unit_price"):
        review_frame(reorder_rows(dict(sku="A")).drop(columns="unit_price"), SETTINGS, None, None)


def test_inputs_are_not_changed():
    reorder = reorder_rows(dict(sku="A"), dict(sku="B", stock_flag="SLOW", days_of_cover=900.0))
    prev = pd.DataFrame({"sku": ["A"], "decision": ["Keep"], "notes": ["n"]})
    log = log_rows(("2026-10", "A", "Dispose"))
    copies = [f.copy() for f in (reorder, prev, log)]
    review = review_frame(reorder, SETTINGS, prev, log)
    update_log(log, review, "2026-11")
    for before, after in zip(copies, (reorder, prev, log)):
        pd.testing.assert_frame_equal(before, after)


# ---------------------------------------------------------------------------------
# Suggested Action rules
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("price, cost, exp", [
    (10.0, 4.0, "mark down to 6.00 (40% off 10.00), bundle or dispose"),       # 40% off, above cost
    (10.0, 6.0, "mark down to 6.00 (40% off 10.00), bundle or dispose"),       # 40% off lands on cost
    (10.0, 7.0, "mark down to 7.00 (your cost: 40% off 10.00 would sell below cost), bundle or dispose"),
    (6.0, 6.0, "the price 6.00 is already at or below cost 6.00: bundle or dispose"),
    (5.0, 6.0, "the price 5.00 is already at or below cost 6.00: bundle or dispose"),
    (NAN, 6.0, "markdown, bundle or dispose (no Unit Price to base a price on)"),
    (0.0, 6.0, "markdown, bundle or dispose (no Unit Price to base a price on)"),
    (10.0, NAN, "mark down to 6.00 (40% off 10.00; no Unit Cost to check it against), bundle or dispose"),
    (2500.0, 1000.0, "mark down to 1,500.00 (40% off 2,500.00), bundle or dispose"),
])
def test_markdown_price_rule_in_the_obsolete_action(price, cost, exp):
    got = action(unit_price=price, unit_cost=cost, last_sale="2026-03-01")
    assert got == f"Clear: no sale for 271 days; {exp}."


@pytest.mark.parametrize("price, cost, exp", [
    (10.0, 4.0, 6.0), (10.0, 7.0, 7.0), (10.0, 6.0, 6.0), (6.0, 6.0, NAN), (5.0, 6.0, NAN),
    (NAN, 1.0, NAN), (0.0, 1.0, NAN), (-3.0, 1.0, NAN), (10.0, NAN, 6.0), (NAN, NAN, NAN),
])
def test_markdown_price(price, cost, exp):
    got = markdown_price([price], [cost])[0]
    assert got == pytest.approx(exp, nan_ok=True)
    if not np.isnan(got) and not np.isnan(cost):
        assert got >= cost  # a clearance never sells below what it cost


def test_markdown_price_rate_is_checked():
    assert markdown_price(10.0, 1.0, rate=0.5).tolist() == [5.0]
    with pytest.raises(ValueError, match="rate must be"):
        markdown_price(10.0, 1.0, rate=1.0)


@pytest.mark.parametrize("row, exp", [
    (dict(consignment=True), "Return to supplier (consignment: not your cash)."),
    (dict(consignment=True, status="DO NOT REORDER"), "Return to supplier (consignment: not your cash)."),
    (dict(consignment=True, stock_flag="SLOW", days_of_cover=500.0, status="OK"),
     "Return to supplier (consignment: not your cash)."),
    (dict(status="DO NOT REORDER", last_sale="2026-05-01"),
     "Clear: no longer reordered, no sale for 210 days; mark down to 6.00 (40% off 10.00), bundle or dispose."),
    (dict(status="DO NOT REORDER", stock_flag="SLOW", days_of_cover=608.0, last_sale="2026-11-20"),
     "Clear: no longer reordered, 20.0 months of cover; mark down to 6.00 (40% off 10.00), bundle or dispose."),
    (dict(last_sale=None), "Clear: no sale on record; mark down to 6.00 (40% off 10.00), bundle or dispose."),
    (dict(stock_flag="SLOW", status="OK", days_of_cover=1000.0),
     "Stop reordering and sell down (32.9 months of cover)."),
    (dict(stock_flag="SLOW", status="REORDER", days_of_cover=400.0),
     "Stop reordering and sell down (13.2 months of cover)."),
])
def test_suggested_action_rules_first_match_wins(row, exp):
    assert action(**row) == exp


def test_every_rule_is_written_in_the_module_docstring():
    doc = obsolete.__doc__
    for text in ("Return to supplier (consignment: not your cash).", "Clear: no longer reordered",
                 "Clear: no sale for 200 days", "no sale on record", "Stop reordering and sell down",
                 "mark down to 6.00 (40% off 10.00), bundle or dispose",
                 "your cost: 40% off 10.00 would sell below cost",
                 "is already at or below cost", "no Unit Price to base a price on",
                 "no Unit Cost to check it against", "Still 12 on hand after 'Dispose' in\n2026-10: act on it."):
        assert text in doc, text


# ---------------------------------------------------------------------------------
# The Dispose / Return call-out
# ---------------------------------------------------------------------------------
def test_dispose_or_return_in_the_previous_review_month_is_called_out():
    reorder = reorder_rows(
        dict(sku="disposed", on_hand=12.0, last_sale="2026-05-01"),
        dict(sku="returned", on_hand=3.5, stock_flag="SLOW", status="OK", days_of_cover=500.0),
        dict(sku="kept", on_hand=8.0),
        dict(sku="older", on_hand=6.0),         # Dispose two months ago, nothing last month
        dict(sku="this-month", on_hand=4.0),    # Dispose logged by an earlier run this month
        dict(sku="consigned", on_hand=2.0, consignment=True),
    )
    log = log_rows(("2026-08", "older", "Dispose"), ("2026-09", "kept", "Keep"),
                   ("2026-10", "disposed", "Dispose"), ("2026-10", "returned", "return "),
                   ("2026-10", "kept", "Keep"), ("2026-10", "consigned", "Return"),
                   ("2026-11", "this-month", "Dispose"))
    out = review_frame(reorder, SETTINGS, None, log).set_index("sku")["suggested_action"]
    assert out["disposed"] == ("Still 12 on hand after 'Dispose' in 2026-10: act on it. Clear: no sale for 210 days; "
                               "mark down to 6.00 (40% off 10.00), bundle or dispose.")
    assert out["returned"] == ("Still 3.5 on hand after 'Return' in 2026-10: act on it. "
                               "Stop reordering and sell down (16.4 months of cover).")
    assert out["consigned"] == ("Still 2 on hand after 'Return' in 2026-10: act on it. "
                                "Return to supplier (consignment: not your cash).")
    for sku in ("kept", "older", "this-month"):
        assert not out[sku].startswith("Still"), sku


def test_call_out_uses_the_latest_logged_month_before_this_one():
    reorder = reorder_rows(dict(sku="A", on_hand=5.0))
    log = log_rows(("2026-07", "A", "Keep"), ("2026-08", "A", "Dispose"))  # no review in Sep or Oct
    got = review_frame(reorder, SETTINGS, None, log).loc[0, "suggested_action"]
    assert got.startswith("Still 5 on hand after 'Dispose' in 2026-08: act on it. Clear:")
    # a month Excel turned into a date still counts as that month
    log_dates = log.assign(month=[pd.Timestamp("2026-07-01"), pd.Timestamp("2026-08-01")])
    assert review_frame(reorder, SETTINGS, None, log_dates).loc[0, "suggested_action"] == got


# ---------------------------------------------------------------------------------
# The owner's Decision and Notes
# ---------------------------------------------------------------------------------
def test_decision_and_notes_carry_over_by_sku():
    reorder = reorder_rows(dict(sku="A", on_hand=1.0), dict(sku="B", on_hand=2.0), dict(sku="C", on_hand=3.0))
    prev = pd.DataFrame({"sku": ["C", "gone", "A", "A"], "decision": ["Markdown", "Dispose", np.nan, "Keep"],
                         "notes": ["half price in Dec", "x", "ask Tom", "dup"]})
    out = review_frame(reorder, SETTINGS, prev, None).set_index("sku")
    assert out.loc[["C", "B", "A"], "decision"].tolist() == ["Markdown", "", ""]
    assert out.loc[["C", "B", "A"], "notes"].tolist() == ["half price in Dec", "", "ask Tom"]
    assert "gone" not in out.index
    # a previous sheet without the owner's columns, or none at all, leaves them blank
    for empty in (pd.DataFrame({"sku": ["A"]}), pd.DataFrame(), None):
        got = review_frame(reorder, SETTINGS, empty, None)
        assert got["decision"].tolist() == [""] * 3 and got["notes"].tolist() == [""] * 3


def shop_inputs(name: str = "tiny"):
    """A reference shop's sheets as the typed frames plan_reorder takes."""
    shop = make_shop(name)
    stock = shop["Stock"].copy()
    stock["consignment"] = stock["consignment"].eq("Yes")
    stock["status"] = stock["status"].replace("", "Active")
    for col in ("on_hand", "on_order", "unit_cost", "unit_price", "lead_time_days", "lead_time_std_days", "moq",
                "case_pack", "service_level"):
        stock[col] = stock[col].astype(float)
    stock["row"] = np.arange(2, len(stock) + 2)
    stock["check_data"] = ""
    sales = shop["Sales"].copy()
    sales["date"] = pd.to_datetime(sales["date"]).astype("datetime64[ns]")
    sales["row"] = np.arange(2, len(sales) + 2)
    suppliers = shop["Suppliers"].copy()
    suppliers["row"] = np.arange(2, len(suppliers) + 2)
    return stock, sales, suppliers, Settings(as_of_date=SHOPS[name].as_of)


def test_decisions_survive_reruns_when_skus_are_added_and_removed():
    stock, sales, suppliers, s = shop_inputs()
    rng = np.random.default_rng(5)
    first = review_frame(plan_reorder(stock, sales, suppliers, s)[0], s, None, None)
    assert len(first) >= 6
    sheet = first[["sku", "decision", "notes"]].copy()  # the owner works through the sheet
    sheet["decision"] = rng.choice(["Keep", "Markdown", "Return", "Dispose", "Bundle", ""], len(sheet))
    sheet["notes"] = [f"note {i}" if i % 3 else "" for i in range(len(sheet))]

    # next run: two reviewed SKUs sold out, two new dead lines arrived
    gone = first["sku"].iloc[[0, 3]].tolist()
    stock2 = stock.copy()
    stock2.loc[stock2["sku"].isin(gone), "on_hand"] = 0.0
    new = stock2.iloc[[0, 1]].copy()
    new["sku"] = ["NEW-1", "NEW-2"]
    new["on_hand"] = [40.0, 60.0]
    stock2 = pd.concat([new, stock2], ignore_index=True)
    second = review_frame(plan_reorder(stock2, sales, suppliers, s)[0], s, sheet, None)

    assert {"NEW-1", "NEW-2"} <= set(second["sku"]) and not set(gone) & set(second["sku"])
    owner = {sku: (d, n) for sku, d, n in zip(sheet["sku"], sheet["decision"], sheet["notes"])}
    for sku, d, n in zip(second["sku"], second["decision"], second["notes"]):
        assert (d, n) == owner.get(sku, ("", "")), sku
    # and a third run on the second sheet changes nothing of the owner's
    third = review_frame(plan_reorder(stock2, sales, suppliers, s)[0], s, second[["sku", "decision", "notes"]], None)
    pd.testing.assert_frame_equal(third, second)


# ---------------------------------------------------------------------------------
# The Review Log
# ---------------------------------------------------------------------------------
def review_of(*rows: tuple) -> pd.DataFrame:
    """A review frame from (sku, flag, on_hand, stock_value, decision)."""
    frame = pd.DataFrame(rows, columns=["sku", "stock_flag", "on_hand", "stock_value", "decision"])
    for col in contract.OBSOLETE_REVIEW.fields:
        if col not in frame:
            frame[col] = ""
    return frame[contract.OBSOLETE_REVIEW.fields]


def test_log_block_is_replaced_and_idempotent():
    r1 = review_of(("B", "SLOW", 10.0, 100.0, ""), ("A", "OBSOLETE", 5.0, 20.0, "Keep"))
    log = update_log(None, r1, "2026-10")
    assert list(log.columns) == contract.REVIEW_LOG.fields
    assert log.values.tolist() == [["2026-10", "B", "SLOW", 10.0, 100.0, ""],
                                   ["2026-10", "A", "OBSOLETE", 5.0, 20.0, "Keep"]]
    r2 = review_of(("A", "OBSOLETE", 5.0, 20.0, "Dispose"))
    once = update_log(log, r2, "2026-10")
    assert once.values.tolist() == [["2026-10", "A", "OBSOLETE", 5.0, 20.0, "Dispose"]]
    pd.testing.assert_frame_equal(update_log(once, r2, "2026-10"), once)


def test_log_is_append_only_across_months():
    stock, sales, suppliers, s = shop_inputs()
    reorder = plan_reorder(stock, sales, suppliers, s)[0]
    log = None
    snapshots = {}
    for i, month in enumerate(["2026-08", "2026-09", "2026-10"]):
        review = review_frame(reorder, s, None, log)
        review["stock_value"] = review["stock_value"] * (1 + i / 3)  # values that differ by month
        review["decision"] = ["Keep", "Dispose"][i % 2]
        log = update_log(log, review, month)
        snapshots[month] = log.copy()
    # each month's rows stay exactly what they were when it was filed
    for month, snap in snapshots.items():
        block = snap[snap["month"] == month].reset_index(drop=True)
        pd.testing.assert_frame_equal(log[log["month"] == month].reset_index(drop=True), block, check_exact=True)
    # rerunning October with new decisions touches only October
    review = review_frame(reorder, s, None, log).assign(decision="Bundle")
    again = update_log(log, review, "2026-10")
    earlier = log["month"] < "2026-10"
    pd.testing.assert_frame_equal(again[again["month"] < "2026-10"], log[earlier], check_exact=True)
    assert set(again.loc[again["month"] == "2026-10", "decision"]) == {"Bundle"}
    assert again["month"].tolist() == sorted(again["month"])
    assert len(again) == len(log)


def test_log_blocks_are_ordered_by_month_and_keep_the_review_order():
    log = log_rows(("2026-09", "Z", ""), ("2026-09", "A", ""), ("2026-11", "M", ""))
    out = update_log(log, review_of(("Q", "SLOW", 1.0, 2.0, ""), ("B", "SLOW", 1.0, 3.0, "")), "2026-10")
    assert out[["month", "sku"]].values.tolist() == [["2026-09", "Z"], ["2026-09", "A"], ["2026-10", "Q"],
                                                     ["2026-10", "B"], ["2026-11", "M"]]
    # an empty review leaves that month with no rows, and the rest as they were
    emptied = update_log(out, review_of(), "2026-10")
    assert emptied[["month", "sku"]].values.tolist() == [["2026-09", "Z"], ["2026-09", "A"], ["2026-11", "M"]]


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "Nov 2026", "", None, "2026-11-01"])
def test_log_month_must_be_yyyy_mm(month):
    with pytest.raises(ValueError, match="month must be YYYY-MM"):
        update_log(None, review_of(), month)


def test_review_month_and_month_text():
    assert review_month(SETTINGS) == "2026-11"
    got = month_text(["2026-10", dt.date(2026, 9, 3), pd.Timestamp("2026-08-01"), "2026-07-01 00:00:00",
                      "2026-13", "junk", NAN, None])
    assert got.tolist() == ["2026-10", "2026-09", "2026-08", "2026-07", "", "", "", ""]


# ---------------------------------------------------------------------------------
# Docs
# ---------------------------------------------------------------------------------
def test_every_public_function_documents_an_example():
    for name, obj in vars(obsolete).items():
        if name.startswith("_") or not inspect.isfunction(obj) or obj.__module__ != obsolete.__name__:
            continue
        assert ">>>" in (obj.__doc__ or ""), name
    for name in ("review_frame", "markdown_price"):
        assert "Source:" in getattr(obsolete, name).__doc__


def test_docstring_examples_run():
    result = doctest.testmod(obsolete)
    assert result.failed == 0 and result.attempted > 0
