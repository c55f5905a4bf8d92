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
    assert [c for c in sheet.columns if not str(c).startswith("_")] == [n for n in K.BACKTEST.header if n]
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
    assert list(seen.columns[:len(K.BACKTEST.columns)]) == K.BACKTEST.names and len(seen) == len(saved) == 41
    assert list(seen.columns[len(K.BACKTEST.columns) + 1:]) == [c.name for c in K.BACKTEST.beside]
    def number(text) -> float:  # LibreOffice keeps the % of a percentage cell
        text = str(text)
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)

    for name in ("JIT Cycle Service Level", "JIT Avg Stock Value", "Just In Case Avg Stock Value",
                 "Actual Avg Stock Value", "Actual SKUs"):
        assert number(seen[name].iloc[0]) == pytest.approx(float(saved[name].iloc[0]), rel=1e-9), name
    assert seen["SKU"].tolist() == saved["SKU"].tolist()
    kept = seen.dropna(subset=["Service Kept"]).set_index("Service Kept")  # the block beside the table
    assert kept.index.tolist() == list(K.SERVICE_KEPT_GROUPS)
    saved_kept = _service_kept_block(shop)
    for name in ("Target", "JIT Achieved", "Stock Value: JIT"):
        assert number(kept.loc["All SKUs", name]) == pytest.approx(float(saved_kept.loc["All SKUs", name]), rel=1e-9)


def _pooled_by_class(sheet: pd.DataFrame, fill_rate: bool) -> dict[str, dict[str, float]]:
    """The Service Kept figures by a plain loop over the sheet's own SKU rows (All SKUs row left out)."""
    groups: dict[str, dict[str, float]] = {}
    for _, r in sheet.iloc[1:].iterrows():
        for name in ("All SKUs", r["ABC"]):
            g = groups.setdefault(name, {k: 0.0 for k in ("cycles", "kept", "weight", "target_sum", "demand",
                                                          "jit_served", "jic_served", "jit_value", "jic_value",
                                                          "skus")})
            cycles = float(r["JIT Cycles"] or 0)
            kept = round(cycles * float(r["JIT Cycle Service Level"])) if cycles else 0.0
            demand = float(r["Demand Units"])
            weight = demand if fill_rate else cycles
            g["cycles"] += cycles
            g["kept"] += kept
            g["weight"] += weight
            g["target_sum"] += weight * float(r["Target Service Level"])
            g["demand"] += demand
            g["jit_served"] += demand - float(r["JIT Lost Units"])
            g["jic_served"] += demand - float(r["Just In Case Lost Units"])
            g["jit_value"] += float(r["JIT Avg Stock Value"])
            g["jic_value"] += float(r["Just In Case Avg Stock Value"])
            g["skus"] += 1
    out = {}
    for name, g in groups.items():
        jit_fill = g["jit_served"] / g["demand"]
        out[name] = {"Target": g["target_sum"] / g["weight"], "JIT Fill": jit_fill,
                     "JIC Fill": g["jic_served"] / g["demand"],
                     "JIT": jit_fill if fill_rate else g["kept"] / g["cycles"],
                     "JIT Value": g["jit_value"], "JIC Value": g["jic_value"], "SKUs": g["skus"]}
    return out


def _service_kept_block(path) -> pd.DataFrame:
    """The Service Kept block as saved (openpyxl, re-opened from disk), rows by group."""
    import openpyxl

    ws = openpyxl.load_workbook(path, data_only=True)["Backtest"]
    first = len(K.BACKTEST.columns) + 2
    width = len(K.BACKTEST.beside)
    header = [c.value for c in ws[1][first - 1:first - 1 + width]]
    assert header == [c.name for c in K.BACKTEST.beside]
    body = [[c.value for c in row[first - 1:first - 1 + width]]
            for row in ws.iter_rows(min_row=2, max_row=1 + len(K.SERVICE_KEPT_GROUPS))]
    assert ws.cell(row=2 + len(K.SERVICE_KEPT_GROUPS), column=first).value is None  # nothing below the block
    return pd.DataFrame(body, columns=header).set_index("Service Kept")


@pytest.mark.slow
@pytest.mark.parametrize("measure", ["Cycle", "Fill Rate"])
def test_service_kept_block_pools_the_sheets_own_sku_rows_by_abc(shop, measure):
    import openpyxl

    if measure != "Cycle":
        wb = openpyxl.load_workbook(shop)
        ws = wb["Settings"]
        row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "Service Measure")
        row[1].value = measure
        wb.save(shop)
    result = run("backtest", shop)
    assert result.exit_code == 0, result.output
    sheet = rows(shop, "Backtest")
    block = _service_kept_block(shop)
    assert block.index.tolist() == list(K.SERVICE_KEPT_GROUPS)
    fill = measure == "Fill Rate"
    expected = _pooled_by_class(sheet, fill)
    assert set(expected) <= set(block.index)
    inputs = parse_inputs(FileBook(shop).read([s.name for s in K.INPUT_SHEETS], K.OPTIONAL_INPUT_SHEETS))
    for name in K.SERVICE_KEPT_GROUPS:
        got = block.loc[name]
        assert got["Measure"] == ("Fill rate" if fill else "Cycle service level")
        assert got["Backtest Of"].date() == inputs.settings.plan_date()
        if name not in expected:  # a class with no SKU in the tiny shop
            assert got["SKUs"] == 0 and got["JIT Achieved"] is None
            continue
        e = expected[name]
        assert got["SKUs"] == e["SKUs"]
        assert got["Target"] == pytest.approx(e["Target"], rel=1e-9)
        assert got["JIT Achieved"] == pytest.approx(e["JIT"], rel=1e-9)
        assert got["JIT − Target Points"] == pytest.approx((e["JIT"] - e["Target"]) * 100, abs=1e-9)
        assert got["Fill Rate: JIT"] == pytest.approx(e["JIT Fill"], rel=1e-9)
        assert got["Fill Rate: Just In Case"] == pytest.approx(e["JIC Fill"], rel=1e-9)
        assert got["Stock Value: JIT"] == pytest.approx(e["JIT Value"], rel=1e-9)
        assert got["Stock Value: Just In Case"] == pytest.approx(e["JIC Value"], rel=1e-9)
        assert got["Stock: JIT ÷ Just In Case"] == pytest.approx(e["JIT Value"] / e["JIC Value"], rel=1e-9)
        if fill:  # with Fill Rate the achieved figure is the fill rate, just in case's too
            assert got["Just In Case Achieved"] == pytest.approx(e["JIC Fill"], rel=1e-9)
    # All SKUs: the same as the table's own All SKUs row (pooled by the backtest itself).
    overall, total = sheet.iloc[0], block.loc["All SKUs"]
    achieved = "Fill Rate" if fill else "Cycle Service Level"
    assert total["JIT Achieved"] == pytest.approx(overall[f"JIT {achieved}"], rel=1e-9)
    assert total["Just In Case Achieved"] == pytest.approx(overall[f"Just In Case {achieved}"], rel=1e-9)
    if not fill:
        assert total["Target"] == pytest.approx(overall["Target Service Level"], rel=1e-9)


@pytest.mark.slow
def test_dashboard_shows_the_service_kept_by_the_last_backtest_after_recalc(shop):
    kpi = "Service level kept (backtest)"
    assert run("recalc", shop).exit_code == 0
    before = rows(shop, "Dashboard").set_index("Measure").loc[kpi]
    assert pd.isna(before["Value"]) and "run Backtest to measure" in before["Notes"]

    assert run("backtest", shop).exit_code == 0
    assert run("recalc", shop).exit_code == 0
    dash = rows(shop, "Dashboard")
    assert dash["Measure"].iloc[len(K.DASHBOARD_KPIS) - 1] == kpi  # its fixed row
    row = dash.set_index("Measure").loc[kpi]
    block = _service_kept_block(shop).loc["All SKUs"]  # what the Backtest sheet holds
    assert row["Value"] == pytest.approx(block["JIT Achieved"] * 100, rel=1e-12)
    inputs = parse_inputs(FileBook(shop).read([s.name for s in K.INPUT_SHEETS], K.OPTIONAL_INPUT_SHEETS))
    assert row["Notes"] == (f"Cycle service level {block['JIT Achieved']:.1%}: target {block['Target']:.1%}, just in case "
                            f"{block['Just In Case Achieved']:.1%}, backtest of {inputs.settings.plan_date()}.")
    # The Dashboard's charts still point at the blocks below the KPIs, now one row lower.
    first, last = K.dashboard_rows()["flags"]
    assert dash["Measure"].iloc[first - 2:last - 1].tolist() == list(K.DASHBOARD_FLAG_ROWS)
    with zipfile.ZipFile(shop) as zf:
        charts = b" ".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/charts/")).replace(b"'", b"")
    assert f"Dashboard!$B${first}:$B${last}".encode() in charts


@pytest.mark.slow
def test_a_workbook_without_a_backtest_sheet_still_recalculates(shop):
    import openpyxl

    wb = openpyxl.load_workbook(shop)
    del wb["Backtest"]
    wb.save(shop)
    result = run("recalc", shop)
    assert result.exit_code == 0, result.output
    row = rows(shop, "Dashboard").set_index("Measure").loc["Service level kept (backtest)"]
    assert pd.isna(row["Value"]) and "run Backtest to measure" in row["Notes"]


@pytest.mark.slow
def test_a_recalc_after_a_backtest_finds_no_problem_in_the_backtest_sheet(shop):
    """The Dashboard reads the Backtest sheet back: its fill rates (100%) and stock ratio
    (0.29) are percentages, not service levels, and must not come back as Data Issues."""
    assert run("backtest", shop).exit_code == 0
    kept = rows(shop, "Backtest")
    ratio = pd.to_numeric(kept["Stock: JIT ÷ Just In Case"], errors="coerce").dropna()
    fills = pd.to_numeric(kept["JIT Fill Rate"], errors="coerce").dropna()
    assert (ratio < 0.5).any() and (fills >= 1).any()  # values a service-level range would refuse
    assert run("recalc", shop).exit_code == 0
    issues = rows(shop, "Data Issues")
    assert not issues["Sheet"].eq("Backtest").any(), issues[issues["Sheet"].eq("Backtest")].to_string()
