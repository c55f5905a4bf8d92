"""The online-retail reference shop, built from the real parquet (skipped when the file is absent).

Every expected figure is recomputed here from the parquet with plain pandas, with the
non-stock rule spelled out again rather than imported.
"""

import datetime as dt
import re
import zlib

import numpy as np
import pandas as pd
import pytest

from jit_workbook import real_shop
from jit_workbook.demo import make_shop, write_shop

NOT_STOCK = {"POST", "DOT", "M", "C2", "C3", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS", "GIFT"}
NOT_STOCK_START = re.compile(r"^(gift_|test|adjust)", re.IGNORECASE)


@pytest.fixture(scope="module")
def lines() -> pd.DataFrame:
    try:
        path = real_shop.data_path()
    except real_shop.RealShopDataMissing as e:
        pytest.skip(f"real shop data absent: {e}")
    return pd.read_parquet(path)


@pytest.fixture(scope="module")
def shop(lines) -> dict:
    return make_shop("online-retail")


def expected_items(lines: pd.DataFrame) -> pd.DataFrame:
    """The selling lines of item codes (code stripped), by the rule in real_shop's docstring."""
    code = lines["StockCode"].str.strip()
    item = ~(code.str.upper().isin(NOT_STOCK) | code.str.match(NOT_STOCK_START))
    selling = item & (lines["Quantity"] > 0) & (lines["Price"] > 0)
    return lines[selling].assign(code=code[selling])


def test_one_stock_row_per_item_code_that_sold(lines, shop):
    stock = shop["Stock"]
    expected = expected_items(lines)["code"].unique()
    assert len(stock) == len(expected) == stock["sku"].nunique()
    assert set(stock["sku"]) == set(expected)
    codes = lines["StockCode"].str.strip()
    assert not stock["sku"].isin(codes[codes.str.upper().isin(NOT_STOCK)]).any()
    assert not stock["sku"].str.contains("gift_", case=False).any()


def test_sales_are_every_line_as_pasted(lines, shop):
    sales = shop["Sales"]
    assert len(sales) == len(lines)
    assert (sales["sku"].to_numpy() == lines["StockCode"].to_numpy()).all()
    assert (sales["date"].to_numpy() == lines["InvoiceDate"].dt.floor("D").to_numpy()).all()
    assert np.array_equal(sales["unit_price"].to_numpy(), lines["Price"].to_numpy())
    assert (sales["quantity"] < 0).sum() == (lines["Quantity"] < 0).sum()  # cancellations kept


def test_sales_quantities_of_stock_skus_sum_as_in_the_parquet(lines, shop):
    skus = set(shop["Stock"]["sku"])
    got = shop["Sales"].assign(sku=shop["Sales"]["sku"].str.strip()).groupby("sku")["quantity"].sum()
    want = lines.assign(code=lines["StockCode"].str.strip()).groupby("code")["Quantity"].sum()
    got, want = got[got.index.isin(skus)], want[want.index.isin(skus)]
    assert len(got) == len(skus)
    pd.testing.assert_series_equal(got, want.astype(float), check_names=False)


def test_suppliers_by_crc32_and_lead_times_three_to_three_weeks(shop):
    stock, suppliers = shop["Stock"], shop["Suppliers"]
    names = suppliers["supplier"].tolist()
    assert len(names) == 8
    expected = [names[zlib.crc32(s.encode("utf-8")) % 8] for s in stock["sku"]]
    assert stock["supplier"].tolist() == expected
    assert suppliers["lead_time_days"].between(3, 21).all()
    assert suppliers["lead_time_days"].min() == 3 and suppliers["lead_time_days"].max() == 21
    assert suppliers["lead_time_std_days"].between(0, 3).all()
    assert stock["supplier"].value_counts().min() > len(stock) / 8 * 0.8  # the hash spreads the codes


def test_costs_prices_descriptions_and_on_hand_by_the_plain_rules(lines, shop):
    items = expected_items(lines)
    stock = shop["Stock"].set_index("sku")
    median = items.groupby("code")["Price"].median()
    assert np.allclose(stock["unit_price"], median[stock.index])
    assert np.allclose(stock["unit_cost"], (median[stock.index] * 0.5).round(2))
    days = (lines["InvoiceDate"].max().date() - lines["InvoiceDate"].min().date()).days + 1
    units = items.groupby("code")["Quantity"].sum()[stock.index]
    assert np.array_equal(stock["on_hand"], (units / days * 21).round())
    assert (stock["on_order"] == 0).all() and stock["service_level"].isna().all()
    counts = items.groupby(["code", "Description"]).size()
    for sku in ("85123A", "22423", "84879"):
        top = counts[sku]
        assert top[stock.loc[sku, "description"]] == top.max()
        assert stock.loc[sku, "category"] == stock.loc[sku, "description"].split()[-1]


def test_codes_stay_distinct_text(shop):
    skus = set(shop["Stock"]["sku"])
    assert all(isinstance(s, str) for s in skus)
    twins = {(t.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"), t) for t in skus}
    twins = {(s, t) for s, t in twins if s != t and s in skus}  # an all-digit code beside a lettered one
    assert {("10002", "10002R"), ("90135", "90135A")} <= twins
    assert {"85123A", "85123a"} <= skus  # the tool matches SKUs case by case, so these stay two


def test_the_same_shop_every_time(shop):
    again = make_shop("online-retail")
    for name, frame in shop.items():
        pd.testing.assert_frame_equal(frame, again[name])


def test_missing_file_is_a_plain_error(monkeypatch, tmp_path):
    monkeypatch.setenv(real_shop.ENV_VAR, str(tmp_path / "nowhere.parquet"))
    with pytest.raises(real_shop.RealShopDataMissing, match="JIT_REAL_SHOP_DATA is set to .*no such file"):
        make_shop("online-retail")


@pytest.mark.slow
def test_workbook_reads_back_with_non_stock_lines_reported(lines, shop, tmp_path):
    from jit_workbook import contract as K
    from jit_workbook.io.parse import parse_inputs
    from jit_workbook.io.read_file import read_grids

    path = write_shop("online-retail", tmp_path / "shop.xlsx")
    inputs = parse_inputs(read_grids(path, [s.name for s in K.INPUT_SHEETS], K.OPTIONAL_INPUT_SHEETS))
    assert inputs.settings.as_of_date == dt.date(2010, 12, 9) == lines["InvoiceDate"].max().date()
    assert (inputs.settings.history_days, inputs.settings.backtest_days, inputs.settings.review_period_days) == (
        365, 180, 7)
    assert inputs.stock["sku"].tolist() == shop["Stock"]["sku"].tolist()
    codes, stock_codes = lines["StockCode"].str.strip(), shop["Stock"]["sku"]
    folded = stock_codes.str.casefold().value_counts()  # README: capitals don't matter when one SKU fits
    not_on_stock = ~codes.isin(set(stock_codes)) & ~codes.str.casefold().isin(set(folded[folded == 1].index))
    assert len(inputs.sales) == len(lines) - not_on_stock.sum()
    unknown = [i for i in inputs.issues if "is not on the Stock sheet" in i.problem]
    assert len(unknown) == not_on_stock.sum()
    assert {"POST", "DOT", "M"} <= {i.sku for i in unknown}
