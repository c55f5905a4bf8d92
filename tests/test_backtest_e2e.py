"""`jit-workbook backtest` end to end: the Backtest sheet in the saved file matches the library."""

import zipfile

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
