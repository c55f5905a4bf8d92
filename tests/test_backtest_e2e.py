"""`jit-workbook backtest` end to end: the Backtest sheet in the saved file matches the library."""

import zipfile

import pandas as pd
import pytest

from jit_workbook import contract as K
from jit_workbook.io.file_book import FileBook
from jit_workbook.io.parse import parse_inputs
from jit_workbook.planning.backtest import backtest

from conftest import run_cli as run, sheet_frame as rows


def test_backtest_sheet_matches_the_library_and_has_its_charts(shop):
    result = run("backtest", shop)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Backtest of 180 days: JIT cycle service level ")
    sheet = rows(shop, "Backtest")
    assert list(sheet.columns) == K.BACKTEST.names
    assert sheet["SKU"].iloc[0] == "All SKUs" and len(sheet) == 41
    inputs = parse_inputs(FileBook(shop).read([s.name for s in K.INPUT_SHEETS], K.OPTIONAL_INPUT_SHEETS))
    expected = backtest(inputs.stock, inputs.sales, inputs.suppliers, inputs.settings, days=180)
    overall = sheet.iloc[0]
    for name, field in (("JIT Fill Rate", "jit_fill_rate"), ("JIT Avg Stock Value", "jit_avg_stock_value"),
                        ("Just In Case Avg Stock Value", "jic_avg_stock_value"), ("JIT Orders", "jit_orders")):
        assert overall[name] == pytest.approx(expected.overall[field], rel=1e-9)
    per_sku = sheet.iloc[1:].set_index("SKU")
    exp = expected.per_sku.set_index("sku")
    assert per_sku["JIT Stockout Days"].tolist() == exp["jit_stockout_days"].tolist()
    assert overall["JIT Avg Stock Value"] < overall["Just In Case Avg Stock Value"]
    with zipfile.ZipFile(shop) as zf:
        charts = b" ".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/charts/"))
    letter = K.BACKTEST.letter("jic_avg_stock_value").encode()
    assert b"Backtest!$" + letter + b"$2" in charts.replace(b"'", b"")  # just-in-case stock value, All SKUs


def test_backtest_sheet_has_what_the_shop_actually_held_and_blanks_a_sku_receipts_contradict(shop):
    import numpy as np
    import openpyxl

    # The tiny shop logs its deliveries on Receipts. Type one of them in twice, a big one,
    # early in the window: its SKU's rebuilt stock goes below zero there.
    inputs = parse_inputs(FileBook(shop).read([s.name for s in K.INPUT_SHEETS], K.OPTIONAL_INPUT_SHEETS))
    start = pd.Timestamp(inputs.settings.plan_date()) - pd.Timedelta(days=179)
    receipts = inputs.receipts
    early = receipts[receipts["received"].between(start + pd.Timedelta(days=5), start + pd.Timedelta(days=40))]
    twice = early.sort_values("quantity", kind="stable").iloc[-1]
    wb = openpyxl.load_workbook(shop)
    wb["Receipts"].append([twice["po_number"], twice["supplier"], twice["sku"], None,
                           twice["received"].to_pydatetime(), float(twice["quantity"])])
    wb.save(shop)

    result = run("backtest", shop)
    assert result.exit_code == 0, result.output
    assert " SKUs Receipts allow (JIT £" in result.output

    sheet = rows(shop, "Backtest")  # re-opened from disk
    inputs = parse_inputs(FileBook(shop).read([s.name for s in K.INPUT_SHEETS], K.OPTIONAL_INPUT_SHEETS))
    expected = backtest(inputs.stock, inputs.sales, inputs.suppliers, inputs.settings, days=180,
                        receipts=inputs.receipts)
    assert len(inputs.receipts) == len(receipts) + 1
    overall, exp = sheet.iloc[0], expected.overall
    assert overall["Actual SKUs"] == exp["actual_skus"] == 39
    assert overall["Actual Avg Stock Value"] == pytest.approx(exp["actual_avg_stock_value"], rel=1e-9)
    assert overall["Actual Orders"] == exp["actual_orders"] > 0
    assert overall["Actual Note"].startswith("actual stock rebuilt for 39 of 40 SKUs; on those, ")
    per_sku = sheet.iloc[1:].set_index("SKU")
    exp_sku = expected.per_sku.set_index("sku")
    assert per_sku["Actual SKUs"].tolist() == exp_sku["actual_skus"].tolist()
    rebuilt = exp_sku.index[exp_sku["actual_skus"] == 1]
    np.testing.assert_allclose(per_sku.loc[rebuilt, "Actual Avg Stock Value"].astype(float),
                               exp_sku.loc[rebuilt, "actual_avg_stock_value"], rtol=1e-9)
    assert per_sku.loc[rebuilt, "Actual Empty Shelf Days"].tolist() == exp_sku.loc[
        rebuilt, "actual_empty_shelf_days"].tolist()
    # The SKU with the doubled receipt: blank Actual figures and the reason beside them.
    bad = per_sku.loc[twice["sku"]]
    assert bad["Actual SKUs"] == 0
    assert bad[["Actual Avg Stock Value", "Actual Orders", "Actual Empty Shelf Days"]].isna().all()
    day = (twice["received"] - pd.Timedelta(days=1)).date()
    assert bad["Actual Note"].startswith("rebuilt stock would be -") and f"at the end of {day}" in bad["Actual Note"]
    # The stock value chart shows the actual figure beside the two policies (All SKUs row).
    with zipfile.ZipFile(shop) as zf:
        charts = b" ".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/charts/"))
    letter = K.BACKTEST.letter("actual_avg_stock_value").encode()
    assert b"Backtest!$" + letter + b"$2" in charts.replace(b"'", b"")


@pytest.mark.libreoffice
def test_libreoffice_opens_the_backtest_sheet_with_its_figures(shop, tmp_path, soffice):
    from conftest import lo_convert

    assert run("backtest", shop).exit_code == 0
    number = [s.name for s in K.ALL_SHEETS].index(K.BACKTEST.name) + 1
    csv = lo_convert(shop, f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,{number}",
                     tmp_path / "lo")
    assert csv.name == f"{shop.stem}-{K.BACKTEST.name}.csv"
    seen = pd.read_csv(csv)  # LibreOffice's values, unformatted
    saved = rows(shop, "Backtest")
    assert list(seen.columns) == K.BACKTEST.names and len(seen) == len(saved) == 41
    def number(text) -> float:  # LibreOffice keeps the % of a percentage cell
        text = str(text)
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)

    for name in ("JIT Cycle Service Level", "JIT Avg Stock Value", "Just In Case Avg Stock Value",
                 "Actual Avg Stock Value", "Actual SKUs"):
        assert number(seen[name].iloc[0]) == pytest.approx(float(saved[name].iloc[0]), rel=1e-9), name
    assert seen["SKU"].tolist() == saved["SKU"].tolist()
