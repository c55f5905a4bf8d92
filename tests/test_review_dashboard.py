"""kpis: the Dashboard's numbers and its fixed layout.

The KPIs of generated shops are compared with a plain-Python reference written out
here, one SKU and one sales line at a time.
"""

from __future__ import annotations

import datetime as dt
import doctest
import inspect
import math

import numpy as np
import pandas as pd
import pytest

from jit_workbook import contract as K
from jit_workbook.planning import plan_reorder, summarise
from jit_workbook.review import dashboard, kpis, review_frame, update_log
from jit_workbook.review.dashboard import KPI_NOTES, cost_of_goods_sold, history_covered_days
from jit_workbook.settings import Settings

from test_review_obsolete import shop_inputs

NAN = float("nan")
BLOCK_SIZES = {"kpis": len(K.DASHBOARD_KPIS), "flags": len(K.DASHBOARD_FLAG_ROWS), "top": K.DASHBOARD_TOP_ITEMS,
               "months": K.DASHBOARD_LOG_MONTHS}


def block(out: pd.DataFrame, name: str) -> pd.DataFrame:
    """The rows of one Dashboard block, by the sheet rows dashboard_rows() gives (data from row 2)."""
    first, last = K.dashboard_rows()[name]
    return out.iloc[first - 2:last - 1].reset_index(drop=True)


def reorder_rows(*rows: dict) -> pd.DataFrame:
    defaults = dict(sku="", description="", on_hand=10.0, unit_cost=1.0, consignment=False, stock_flag="",
                    order_qty=0, order_value=0.0, status="OK")
    frame = pd.DataFrame([{**defaults, **r} for r in rows], columns=list(defaults))
    return frame.astype({"on_hand": float, "unit_cost": float, "consignment": bool, "order_qty": np.int64,
                         "order_value": float})


NO_SALES = pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"), "sku": pd.Series(dtype="str"),
                         "quantity": pd.Series(dtype=float)})


# ---------------------------------------------------------------------------------
# A plain-Python reference
# ---------------------------------------------------------------------------------
def reference(reorder: pd.DataFrame, sales: pd.DataFrame, s: Settings, log: pd.DataFrame | None) -> list[tuple]:
    """(measure, value) per Dashboard row, computed one row at a time."""
    as_of = s.plan_date()
    rows = reorder.to_dict("records")
    own_cost = {}
    stock_value = consignment_value = 0.0
    by_flag = {"OBSOLETE": 0.0, "SLOW": 0.0, "": 0.0}
    counts = {"OBSOLETE": 0, "SLOW": 0}
    to_order, order_value = 0, 0.0
    items = []
    for i, r in enumerate(rows):
        have = not math.isnan(r["on_hand"]) and not math.isnan(r["unit_cost"])
        value = r["on_hand"] * r["unit_cost"] if have else 0.0
        if r["stock_flag"] in counts:
            counts[r["stock_flag"]] += 1
        if r["consignment"]:
            consignment_value += value
        elif not math.isnan(r["unit_cost"]):
            own_cost[r["sku"]] = r["unit_cost"]
            stock_value += value
            by_flag[r["stock_flag"]] += value
            if r["stock_flag"] and value > 0:
                items.append((-value, i, r))
        if r["order_qty"] > 0 and r["status"] != "DO NOT REORDER":
            to_order += 1
            order_value += r["order_value"]

    start = as_of - dt.timedelta(days=s.history_days - 1)
    cogs, earliest = 0.0, None
    for date, sku, qty in zip(sales["date"], sales["sku"], sales["quantity"]):
        day = date.date()
        if day > as_of:
            continue
        earliest = day if earliest is None or day < earliest else earliest
        if day >= start and sku in own_cost:
            cogs += qty * own_cost[sku]
    covered = min(s.history_days, (as_of - earliest).days + 1) if earliest else 0
    yearly = max(cogs, 0) * 365 / covered if covered else NAN
    turns = yearly / stock_value if stock_value > 0 else NAN
    cover = stock_value * 365 / yearly if yearly > 0 else NAN

    out = [("Stock value (cash tied up)", stock_value), ("Consignment stock value", consignment_value),
           ("Yearly holding cost", stock_value * s.holding_cost_rate), ("Stock turns per year", turns),
           ("Average days of cover", cover), ("SKUs to reorder", to_order), ("Value to reorder", order_value),
           ("Obsolete SKUs", counts["OBSOLETE"]), ("Obsolete stock value", by_flag["OBSOLETE"]),
           ("Slow SKUs", counts["SLOW"]), ("Slow stock value", by_flag["SLOW"]),
           ("Service level kept (backtest)", NAN),  # no backtest given
           ("Stock value: obsolete", by_flag["OBSOLETE"]), ("Stock value: slow", by_flag["SLOW"]),
           ("Stock value: other", by_flag[""])]
    top = []
    for neg, _, r in sorted(items)[:10]:
        top.append((f"{r['sku']} — {r['description']}" if r["description"].strip() else r["sku"], -neg))
    out += top + [("", NAN)] * (10 - len(top))
    months = {}
    if log is not None:
        for month, value in zip(log["month"], log["stock_value"]):
            months[month] = months.get(month, 0.0) + (0.0 if math.isnan(value) else value)
    last = sorted(months.items())[-12:]
    return out + [("", NAN)] * (12 - len(last)) + last


def generated_shop(seed: int, history_days: int = 365, sales_from_day: int | None = None):
    """The tiny reference shop with some consignment, blank costs and future sales mixed in."""
    stock, sales, suppliers, s = shop_inputs("tiny")
    rng = np.random.default_rng(seed)
    stock["consignment"] = rng.random(len(stock)) < 0.2
    stock.loc[rng.random(len(stock)) < 0.08, "unit_cost"] = NAN
    stock.loc[rng.random(len(stock)) < 0.15, "on_hand"] = stock["on_hand"] * 8 + 50  # more slow movers
    stock.loc[rng.random(len(stock)) < 0.05, "on_hand"] = NAN
    future = sales.sample(5, random_state=seed).assign(date=pd.Timestamp(s.plan_date()) + pd.Timedelta(days=3))
    sales = pd.concat([sales, future], ignore_index=True)
    if sales_from_day is not None:
        sales = sales[sales["date"] >= pd.Timestamp(s.plan_date()) - pd.Timedelta(days=sales_from_day)]
    update = {"history_days": history_days, "holding_cost_rate": 0.3}
    if sales_from_day is not None:  # a young Sales sheet: flag dead stock sooner so there is some
        update["obsolete_after_days"] = sales_from_day // 2
    s = s.model_copy(update=update)
    reorder = plan_reorder(stock, sales, suppliers, s)[0]
    return reorder, sales.reset_index(drop=True), s


def month_log(n_months: int, seed: int) -> pd.DataFrame:
    """A Review Log of n_months monthly reviews with random stock values."""
    rng = np.random.default_rng(seed)
    log = None
    for m in range(n_months):
        month = f"{2025 + (m + 3) // 12}-{(m + 3) % 12 + 1:02d}"
        n = int(rng.integers(1, 6))
        review = pd.DataFrame({"sku": [f"S{i}" for i in range(n)], "stock_flag": "SLOW",
                               "on_hand": rng.integers(1, 50, n).astype(float),
                               "stock_value": np.where(rng.random(n) < .1, NAN, rng.uniform(1, 500, n).round(2)),
                               "decision": ""})
        log = update_log(log, review, month)
    return log


@pytest.mark.parametrize("seed, history_days, sales_from_day, n_months", [
    (1, 365, None, 3), (2, 120, None, 14), (3, 365, 90, 12), (4, 60, 30, 0),
])
def test_kpis_match_a_plain_python_reference(seed, history_days, sales_from_day, n_months):
    reorder, sales, s = generated_shop(seed, history_days, sales_from_day)
    log = month_log(n_months, seed) if n_months else None
    out = kpis(reorder, sales, s, log)
    exp = reference(reorder, sales, s, log)
    assert out["measure"].tolist() == [m for m, _ in exp]
    np.testing.assert_allclose(out["value"].to_numpy(), [v for _, v in exp], rtol=1e-12, equal_nan=True)
    # the data exercise what the reference checks
    assert reorder["consignment"].any() and reorder["unit_cost"].isna().any()
    assert {"OBSOLETE", "SLOW"} <= set(reorder["stock_flag"]) and (reorder["order_qty"] > 0).any()
    kpi = out.set_index("measure")["value"]
    assert kpi["Stock turns per year"] * kpi["Average days of cover"] == pytest.approx(365)


def test_consignment_is_left_out_of_the_cash_tied_up():
    reorder = reorder_rows(
        dict(sku="own", on_hand=10.0, unit_cost=2.0),
        dict(sku="consigned", on_hand=100.0, unit_cost=5.0, consignment=True, stock_flag="OBSOLETE"),
        dict(sku="consigned-slow", on_hand=10.0, unit_cost=1.0, consignment=True, stock_flag="SLOW"),
        dict(sku="no-cost", on_hand=7.0, unit_cost=NAN, stock_flag="OBSOLETE"),
    )
    out = kpis(reorder, NO_SALES, Settings(as_of_date=dt.date(2026, 11, 27)), None).set_index("measure")["value"]
    assert out["Stock value (cash tied up)"] == 20.0
    assert out["Consignment stock value"] == 510.0
    assert out["Yearly holding cost"] == 20.0 * 0.25
    assert (out["Obsolete SKUs"], out["Obsolete stock value"]) == (2, 0.0)  # counted, but no cash of yours
    assert (out["Slow SKUs"], out["Slow stock value"]) == (1, 0.0)
    assert (out["Stock value: obsolete"], out["Stock value: slow"], out["Stock value: other"]) == (0.0, 0.0, 20.0)
    assert np.isnan(out["Stock turns per year"]) and np.isnan(out["Average days of cover"])  # no sales at all
    assert len(block(out.reset_index(), "top")["measure"].replace("", np.nan).dropna()) == 0


def test_turns_and_cover_by_hand():
    # 30 days of sales, window 365: COGS 120 → yearly 120·365/30 = 1460; stock value 200 → 7.3 turns, 50 days
    reorder = reorder_rows(dict(sku="A", on_hand=100.0, unit_cost=2.0), dict(sku="C", on_hand=9.0,
                                                                             consignment=True))
    sales = pd.DataFrame({"date": pd.to_datetime(["2026-10-29", "2026-11-10", "2026-11-20", "2026-11-27",
                                                  "2026-11-15", "2026-12-01"]),
                          "sku": ["A", "A", "A", "A", "C", "A"], "quantity": [40.0, 10.0, 20.0, -10.0, 100.0, 500.0]})
    s = Settings(as_of_date=dt.date(2026, 11, 27))
    assert history_covered_days(sales, s.plan_date(), 365) == 30
    assert cost_of_goods_sold(sales, pd.Series({"A": 2.0}), s.plan_date(), 365) == 120.0
    out = kpis(reorder, sales, s, None).set_index("measure")["value"]
    assert out["Stock turns per year"] == pytest.approx(7.3)
    assert out["Average days of cover"] == pytest.approx(50.0)
    # a window shorter than the history counts only its own days
    out = kpis(reorder, sales, s.model_copy(update={"history_days": 10}), None).set_index("measure")["value"]
    # window Nov 18–27: 20 − 10 = 10 units → COGS 20 → yearly 20·365/10 = 730 → 3.65 turns, 100 days
    assert out["Stock turns per year"] == pytest.approx(3.65)
    assert out["Average days of cover"] == pytest.approx(100.0)
    # net returns above sales count as no cost of goods sold: nothing sells, cover blank
    returns = sales.assign(quantity=-sales["quantity"].abs())
    out = kpis(reorder, returns, s, None).set_index("measure")["value"]
    assert out["Stock turns per year"] == 0.0 and np.isnan(out["Average days of cover"])


def test_reorder_counts_agree_with_the_plan_summary():
    reorder, sales, s = generated_shop(7)
    out = kpis(reorder, sales, s, None).set_index("measure")["value"]
    counts = summarise(reorder)
    assert out["SKUs to reorder"] == counts["to_reorder"] > 0
    assert out["Value to reorder"] == pytest.approx(counts["reorder_value"])
    assert (out["Obsolete SKUs"], out["Slow SKUs"]) == (counts["obsolete"], counts["slow"])


# ---------------------------------------------------------------------------------
# Layout and padding
# ---------------------------------------------------------------------------------
def test_layout_length_and_row_order_follow_dashboard_rows():
    reorder, sales, s = generated_shop(1)
    out = kpis(reorder, sales, s, month_log(5, 1))
    rows = K.dashboard_rows()
    assert list(out.columns) == K.DASHBOARD.fields
    assert len(out) == sum(BLOCK_SIZES.values()) == rows["months"][1] - 1
    assert [rows[b][1] - rows[b][0] + 1 for b in BLOCK_SIZES] == list(BLOCK_SIZES.values())
    assert block(out, "kpis")["measure"].tolist() == list(K.DASHBOARD_KPIS)
    assert block(out, "flags")["measure"].tolist() == list(K.DASHBOARD_FLAG_ROWS)
    assert out["value"].dtype == np.float64
    assert pd.api.types.is_string_dtype(out["measure"]) and pd.api.types.is_string_dtype(out["notes"])
    flags = block(out, "flags")["value"].sum()
    assert flags == pytest.approx(out.loc[0, "value"])  # the three flag rows add up to the cash tied up


def test_top_items_are_the_ten_largest_flagged_and_padded_at_the_end():
    many = reorder_rows(*[dict(sku=f"S{i:02d}", description=f"Item {i}", on_hand=float(i + 1), unit_cost=1.0,
                               stock_flag=["OBSOLETE", "SLOW", ""][i % 3]) for i in range(30)],
                        dict(sku="big-consigned", on_hand=1e6, consignment=True, stock_flag="OBSOLETE"),
                        dict(sku="no-desc", description="  ", on_hand=27.5, unit_cost=1.0, stock_flag="SLOW"))
    top = block(kpis(many, NO_SALES, Settings(), None), "top")
    flagged = [(float(i + 1), f"S{i:02d} — Item {i}") for i in range(30) if i % 3 != 2] + [(27.5, "no-desc")]
    exp = sorted(flagged, reverse=True)[:10]
    assert list(zip(top["value"], top["measure"])) == exp
    assert top.loc[0, "notes"] == "SLOW: 29 on hand"

    few = reorder_rows(dict(sku="A", description="Vase", on_hand=3.0, stock_flag="OBSOLETE"),
                       dict(sku="B", description="Rope", on_hand=9.0, stock_flag="SLOW"),
                       dict(sku="Z", on_hand=0.0, stock_flag="SLOW"))  # no value: not charted
    top = block(kpis(few, NO_SALES, Settings(), None), "top")
    assert top["measure"].tolist() == ["B — Rope", "A — Vase"] + [""] * 8
    assert top["value"].iloc[:2].tolist() == [9.0, 3.0] and top["value"].iloc[2:].isna().all()
    assert top["notes"].iloc[2:].tolist() == [""] * 8


@pytest.mark.parametrize("n_months", [0, 1, 5, 12, 13, 20])
def test_months_newest_last_padded_at_the_top(n_months):
    log = month_log(n_months, 3) if n_months else pd.DataFrame(columns=K.REVIEW_LOG.fields)
    months = block(kpis(reorder_rows(dict(sku="A")), NO_SALES, Settings(), log), "months")
    shown = min(n_months, 12)
    pad = 12 - shown
    assert months["measure"].iloc[:pad].tolist() == [""] * pad and months["value"].iloc[:pad].isna().all()
    if shown:
        per = log.groupby("month")["stock_value"].sum()
        assert months["measure"].iloc[pad:].tolist() == per.index[-shown:].tolist()
        np.testing.assert_allclose(months["value"].iloc[pad:], per.to_numpy()[-shown:])
        assert months["measure"].iloc[-1] == log["month"].max()
        n_last = int((log["month"] == log["month"].max()).sum())
        assert months["notes"].iloc[-1] == f"{n_last} SKU{'s' if n_last != 1 else ''} reviewed"


def test_months_from_a_real_review_log():
    stock, sales, suppliers, s = shop_inputs()
    reorder = plan_reorder(stock, sales, suppliers, s)[0]
    review = review_frame(reorder, s, None, None)
    log = update_log(update_log(None, review, "2026-10"), review.iloc[:2], "2026-11")
    months = block(kpis(reorder, sales, s, log), "months")
    assert months["measure"].iloc[-2:].tolist() == ["2026-10", "2026-11"]
    assert months["value"].iloc[-2:].tolist() == pytest.approx([review["stock_value"].sum(),
                                                                review["stock_value"].iloc[:2].sum()])
    # the current flagged stock value is what the latest full review filed
    kpi = kpis(reorder, sales, s, log).set_index("measure")["value"]
    assert kpi["Obsolete stock value"] + kpi["Slow stock value"] == pytest.approx(months["value"].iloc[-2])


# ---------------------------------------------------------------------------------
# Notes, inputs and docs
# ---------------------------------------------------------------------------------
def test_every_kpi_has_a_one_sentence_definition_as_its_notes():
    out = kpis(reorder_rows(dict(sku="A")), NO_SALES, Settings(), None)
    assert set(KPI_NOTES) == set(K.DASHBOARD_KPIS)
    for measure, note in zip(block(out, "kpis")["measure"], block(out, "kpis")["notes"]):
        assert note == KPI_NOTES[measure] and note.endswith(".") and note.count(". ") == 0, measure
    for kpi in K.DASHBOARD_KPIS:  # and the module docstring defines each one
        assert f"**{kpi}**" in dashboard.__doc__.replace("\n  ", " "), kpi


def test_missing_columns_are_named_and_inputs_not_changed():
    reorder, sales, s = generated_shop(1)
    copies = (reorder.copy(), sales.copy())
    kpis(reorder, sales, s, None)
    pd.testing.assert_frame_equal(copies[0], reorder)
    pd.testing.assert_frame_equal(copies[1], sales)
    with pytest.raises(ValueError, match="reorder lacks the column.*order_value"):
        kpis(reorder.drop(columns="order_value"), sales, s, None)
    with pytest.raises(ValueError, match="sales lacks the column.*quantity"):
        kpis(reorder, sales.drop(columns="quantity"), s, None)


def test_every_public_function_documents_an_example_and_docstrings_run():
    for name, obj in vars(dashboard).items():
        if name.startswith("_") or not inspect.isfunction(obj) or obj.__module__ != dashboard.__name__:
            continue
        assert ">>>" in (obj.__doc__ or ""), name
    for name in ("kpis", "cost_of_goods_sold"):
        assert "Source:" in getattr(dashboard, name).__doc__
    import jit_workbook.review as package

    for module in (dashboard, package):
        assert doctest.testmod(module).failed == 0
    assert doctest.testmod(dashboard).attempted > 0
