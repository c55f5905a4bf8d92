"""End to end: the `jit-workbook` command on real files, results re-opened from disk.

Each test checks the exit code, the saved workbook (through openpyxl, an independent
reader) and the exact message the owner sees.
"""

import datetime as dt
import math
import stat
from pathlib import Path
from statistics import NormalDist

import openpyxl
import pandas as pd
import pytest

from jit_workbook import contract as K
from jit_workbook.demo import SHOPS
from jit_workbook.io.file_book import backup_path

from conftest import run_cli as run, sheet_frame as sheet_rows
from test_planning_shop_trend import trend_in


def edit(path: Path, sheet: str, cells: dict, as_text: bool = False) -> None:
    """Change cells like an owner would (openpyxl stands in for Excel here).

    as_text: store strings as text even when they start with "=" (like typing '= in Excel).
    """
    wb = openpyxl.load_workbook(path)
    for addr, value in cells.items():
        wb[sheet][addr] = value
        if as_text:
            wb[sheet][addr].data_type = "s"
    wb.save(path)


def daily_series(sales: pd.DataFrame, sku: str, as_of: pd.Timestamp) -> list[float]:
    """Units sold per day over the last 365 days (from the first sale if later), from
    the saved Sales sheet; days without a sale are 0 and returns never take a day below 0."""
    mine = sales[sales["SKU"] == sku]
    dates = pd.to_datetime(mine["Date"])
    window_start = max(as_of - pd.Timedelta(days=364), dates.min()) if len(mine) else as_of
    per_day = mine.assign(d=dates).groupby("d")["Quantity"].sum().clip(lower=0)
    return per_day.reindex(pd.date_range(window_start, as_of), fill_value=0.0).tolist()


def assert_levels(row: pd.Series, item: pd.Series, suppliers: pd.DataFrame, d: float, sigma: float) -> None:
    """README's Normal Safety Stock, Reorder Point and Order Up To (R = 7) for this Reorder row."""
    supplier = suppliers.loc[item["Supplier"]]
    lead = item["Lead Time Days"] if pd.notna(item["Lead Time Days"]) else supplier["Lead Time Days"]
    lead_sd = item["Lead Time Std Days"] if pd.notna(item["Lead Time Std Days"]) else supplier["Lead Time Std Days"]
    z = NormalDist().inv_cdf(row["Service Level"])
    ss = z * math.sqrt((lead + 7) * sigma ** 2 + d ** 2 * lead_sd ** 2)
    assert row["Daily Demand"] == pytest.approx(d, rel=1e-9), row.name
    assert row["Demand Std"] == pytest.approx(sigma, rel=1e-9), row.name
    assert row["Safety Stock"] == pytest.approx(ss, rel=1e-9), row.name
    assert row["Reorder Point"] == pytest.approx(d * (lead + 7) + ss, rel=1e-9), row.name
    assert row["Order Up To"] == pytest.approx(row["Reorder Point"], rel=1e-12), row.name


def test_recalc_plans_every_sku_and_matches_an_independent_calculation(shop):
    # The foundation's formulas, under the Moving Average (Auto is the default).
    set_setting(shop, "Forecast Method", "Moving Average")
    set_setting(shop, "Safety Stock Method", "Normal")
    result = run("recalc", shop)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("40 SKUs: ")
    reorder = sheet_rows(shop, "Reorder")
    stock = sheet_rows(shop, "Stock")
    sales = sheet_rows(shop, "Sales")
    suppliers = sheet_rows(shop, "Suppliers").set_index("Supplier")
    assert list(reorder.columns) == K.REORDER.names
    assert sorted(reorder["SKU"]) == sorted(stock["SKU"])  # every SKU once (in to-do order, see test_sheets_look)
    as_of = pd.Timestamp(2026, 11, 20)
    # Independent arithmetic for a few active SKUs, straight from the saved Sales sheet.
    checked = 0
    for _, item in stock[stock["Status"].isna() & stock["Case Pack"].notna()].head(8).iterrows():
        series = pd.Series(daily_series(sales, item["SKU"], as_of))
        d, sd = series.mean(), series.std(ddof=1)
        assert_levels(reorder.set_index("SKU").loc[item["SKU"]], item, suppliers, d, sd)
        checked += 1
    assert checked == 8
    assert backup_path(shop).exists()


def test_owner_order_qty_survives_a_rerun(shop):
    assert run("recalc", shop).exit_code == 0
    reorder = sheet_rows(shop, "Reorder")
    row = reorder.index[reorder["Status"] == "REORDER"][0]
    sku, suggested = reorder.loc[row, "SKU"], reorder.loc[row, "Suggested Qty"]
    col = K.REORDER.letter("order_qty")
    edit(shop, "Reorder", {f"{col}{row + 2}": suggested + 5})
    assert run("recalc", shop).exit_code == 0
    again = sheet_rows(shop, "Reorder").set_index("SKU")
    assert again.loc[sku, "Order Qty"] == suggested + 5
    assert f"Order Qty {suggested + 5} is yours (suggested {suggested})" in again.loc[sku, "Reason"]


def test_output_leaves_the_source_untouched(shop, tmp_path):
    before = shop.read_bytes()
    out = tmp_path / "result.xlsx"
    assert run("recalc", shop, "--output", out).exit_code == 0
    assert shop.read_bytes() == before
    assert len(sheet_rows(out, "Reorder")) == 40


def test_bad_rows_go_to_data_issues_and_the_rest_is_planned(shop):
    edit(shop, "Sales", {"C5": "abc", "B6": "NOT-A-SKU", "A7": "yesterday"})
    active = sheet_rows(shop, "Stock")["Status"].isna()
    row = int(active.idxmax()) + 2
    edit(shop, "Stock", {f"F{row}": -4})
    result = run("recalc", shop)
    assert result.exit_code == 0
    issues = sheet_rows(shop, "Data Issues")
    got = set(issues["Sheet"] + "!" + issues["Cell"] + ": " + issues["Problem"])
    assert 'Sales!C5: quantity "abc" is not a number; sale skipped' in got
    assert 'Sales!B6: SKU "NOT-A-SKU" is not on the Stock sheet; sale skipped' in got
    assert 'Sales!A7: date "yesterday" is not a date (type a date, or YYYY-MM-DD); sale skipped' in got
    assert f'Stock!F{row}: on hand "-4" is negative; the SKU is marked CHECK DATA' in got
    reorder = sheet_rows(shop, "Reorder").set_index("SKU")
    sku = sheet_rows(shop, "Stock").loc[row - 2, "SKU"]
    assert reorder.loc[sku, "Status"] == "CHECK DATA"
    assert reorder.loc[sku, "Reason"].startswith(f"On Hand at Stock!F{row} needs a valid number.")
    assert "3 data issues" in result.output or "data issues — see 'Data Issues'" in result.output


def test_missing_sheet_exits_2_and_changes_nothing(shop):
    wb = openpyxl.load_workbook(shop)
    del wb["Suppliers"]
    wb.save(shop)
    before = shop.read_bytes()
    result = run("recalc", shop)
    assert result.exit_code == 2
    assert "sheet 'Suppliers' not found" in result.output
    assert shop.read_bytes() == before
    assert not backup_path(shop).exists()


def test_missing_output_sheet_suggests_upgrade(shop):
    wb = openpyxl.load_workbook(shop)
    del wb["Data Issues"]
    wb.save(shop)
    before = shop.read_bytes()
    result = run("recalc", shop)
    assert result.exit_code == 2
    assert "sheet 'Data Issues' not found" in result.output and "jit-workbook upgrade" in result.output
    assert shop.read_bytes() == before


def test_missing_column_exits_2_and_names_it(shop):
    edit(shop, "Sales", {"C1": "Qty"})
    before = shop.read_bytes()
    result = run("recalc", shop)
    assert result.exit_code == 2
    assert "Sales: column 'Quantity' is missing" in result.output
    assert shop.read_bytes() == before


def test_file_open_in_excel_is_not_written(shop):
    (shop.parent / ("~$" + shop.name)).write_bytes(b"lock")
    before = shop.read_bytes()
    result = run("recalc", shop)
    assert result.exit_code == 2 and "is open in Excel" in result.output
    assert shop.read_bytes() == before


def test_read_only_file_is_not_written(shop):
    shop.chmod(stat.S_IREAD)
    try:
        result = run("recalc", shop)
        assert result.exit_code == 2 and "read-only" in result.output
    finally:
        shop.chmod(stat.S_IREAD | stat.S_IWRITE)


@pytest.mark.parametrize("content, name", [(b"not a zip at all", "JIT_Inventory.xlsx"), (None, "nothing.xlsx")])
def test_not_a_workbook_or_missing_file(tmp_path, content, name):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = run("recalc", path)
    assert result.exit_code == 2
    assert ("is not an Excel workbook" in result.output) if content else ("no such file" in result.output)
    if content is not None:
        assert path.read_bytes() == content


def test_new_makes_the_template_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "Mine.xlsx"
    assert run("new", path).exit_code == 0
    assert openpyxl.load_workbook(path).sheetnames == [s.name for s in K.ALL_SHEETS]
    again = run("new", path)
    assert again.exit_code == 2 and "already exists" in again.output


def test_empty_new_workbook_recalculates(tmp_path):
    path = tmp_path / "Mine.xlsx"
    run("new", path)
    result = run("recalc", path)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("0 SKUs: 0 to reorder (£0.00)")


def test_text_that_looks_like_a_formula_stays_text(shop):
    edit(shop, "Stock", {"B2": '=HYPERLINK("http://evil")', "B3": "+44 cable", "B4": "@risk"}, as_text=True)
    assert run("recalc", shop).exit_code == 0
    stock = openpyxl.load_workbook(shop)["Stock"]
    ws = openpyxl.load_workbook(shop)["Reorder"]  # rows in to-do order: found by SKU
    row_of = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    rows = [row_of[stock[f"A{r}"].value] for r in (2, 3, 4)]
    assert [ws[f"B{r}"].value for r in rows] == ['=HYPERLINK("http://evil")', "+44 cable", "@risk"]
    assert all(ws[f"B{r}"].data_type == "s" for r in rows)


def test_demo_command(tmp_path):
    result = run("demo", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("300 SKUs: ")
    reorder = sheet_rows(tmp_path / "demo" / "JIT_Inventory.xlsx", "Reorder")
    assert set(reorder["Status"]) >= {"REORDER", "OK", "DO NOT REORDER"}
    assert set(reorder["Stock Flag"].dropna()) == {"OBSOLETE", "SLOW"}
    assert result.output.splitlines()[1].startswith("Review 2026-11: ")
    log = sheet_rows(tmp_path / "demo" / "JIT_Inventory.xlsx", "Review Log")
    assert sorted(set(log["Month"])) == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]


def test_demo_refuses_to_overwrite_a_workbook_without_force(tmp_path):
    """A second `demo` into the same folder keeps the owner's changes there, and its backup."""
    folder = tmp_path / "demo"
    assert run("demo", folder, "--shop", "tiny").exit_code == 0
    path = folder / "JIT_Inventory.xlsx"
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("My Notes")["A1"] = "ring the supplier"
    wb.save(path)
    before, backup = path.read_bytes(), backup_path(path).read_bytes()
    again = run("demo", folder, "--shop", "tiny")
    assert again.exit_code == 2
    assert "already exists; use --force to replace it" in again.output
    assert path.read_bytes() == before and backup_path(path).read_bytes() == backup
    forced = run("demo", folder, "--shop", "tiny", "--force")
    assert forced.exit_code == 0, forced.output
    assert "My Notes" not in openpyxl.load_workbook(path).sheetnames


def test_rows_pasted_below_the_table_are_read(shop):
    """Excel does not always extend a table over pasted rows; those rows still count."""
    wb = openpyxl.load_workbook(shop)
    sales = wb["Sales"]
    table_end = int(sales.tables["SalesTable"].ref.split(":")[1][1:])
    sku = wb["Stock"]["A2"].value
    sales.append([dt.datetime(2026, 11, 20), sku, 1000, None])
    assert sales.max_row == table_end + 1
    wb.save(shop)
    assert run("recalc", shop).exit_code == 0
    row = sheet_rows(shop, "Reorder").set_index("SKU").loc[sku]
    assert row["Last Sale"] == dt.datetime(2026, 11, 20)
    # 1,000 is far above this item's usual line, so the series caps it and names its cell
    assert f"1 exceptional sale capped (Sales!C{table_end + 1}: 1,000 counted as " in row["Reason"]


def test_recalc_leaves_days_out_of_stock_out_of_the_rate(shop):
    """A new item whose Receipts show it sat on an empty shelf: those days do not count."""
    wb = openpyxl.load_workbook(shop)
    supplier = wb["Suppliers"]["A2"].value
    day = [dt.datetime.combine(SHOPS["tiny"].as_of, dt.time()) - dt.timedelta(days=9 - k) for k in range(10)]
    stock_row = dict.fromkeys(K.STOCK.fields) | dict(sku="ZZ-OUT", description="Test item", supplier=supplier,
                                                       on_hand=2, unit_cost=1, lead_time_days=5, consignment="No",
                                                       status="Active", forecast_method="Moving Average")
    wb["Stock"].append([stock_row[f] for f in K.STOCK.fields])
    # 5 arrive on day 0 and sell 2 + 3; days 2-4 on an empty shelf; 6 arrive on day 5; 1, 2, 1 sold
    for k, qty in ((0, 2), (1, 3), (5, 1), (7, 2), (9, 1)):
        wb["Sales"].append([day[k], "ZZ-OUT", qty, None])
    for k, qty in ((0, 5), (5, 6)):
        wb["Receipts"].append([f"ZZ-{k}", supplier, "ZZ-OUT", None, day[k], qty])
    wb.save(shop)
    assert run("recalc", shop).exit_code == 0
    row = sheet_rows(shop, "Reorder").set_index("SKU").loc["ZZ-OUT"]
    # New Item Days (14) starts its series 4 days before its first sale; the shelf was empty
    # then too (nothing had arrived), so those 4 and days 2-4 are left out: 9 sold over 7 days.
    # (times the shop's trend when the demo shop is outselling its forecasts, README formula 2)
    assert row["Daily Demand"] == pytest.approx(9 / 7 * trend_in(row["Reason"]), rel=0.005)
    assert " 7 days out of stock left out of the rate." in row["Reason"]


def test_excel_error_values_in_inputs_are_named(shop):
    edit(shop, "Sales", {"C4": "#N/A", "A9": "#DIV/0!"})  # openpyxl stores these as error cells
    assert run("recalc", shop).exit_code == 0
    issues = sheet_rows(shop, "Data Issues")
    got = set(issues["Sheet"] + "!" + issues["Cell"] + ": " + issues["Problem"])
    assert "Sales!C4: Quantity is the error value #N/A; sale skipped" in got
    assert "Sales!A9: Date is the error value #DIV/0!; sale skipped" in got


def test_sales_after_the_as_of_date_are_ignored_and_reported(shop):
    sku = openpyxl.load_workbook(shop)["Stock"]["A2"].value
    edit(shop, "Sales", {"A2": dt.datetime(2026, 12, 25), "B2": sku})
    assert run("recalc", shop).exit_code == 0
    issues = sheet_rows(shop, "Data Issues")
    hit = issues[issues["Cell"] == "A2"]
    assert hit["Problem"].iloc[0].startswith("sale dated 2026-12-25 is after the As Of Date 2026-11-20")


def test_upgrade_adds_a_deleted_output_sheet_then_recalc_works(shop):
    wb = openpyxl.load_workbook(shop)
    del wb["Data Issues"]
    wb.save(shop)
    assert run("recalc", shop).exit_code == 2
    result = run("upgrade", shop)
    assert result.exit_code == 0, result.output
    assert "added sheet 'Data Issues' (table DataIssuesTable)" in result.output
    assert backup_path(shop).exists()
    assert run("recalc", shop).exit_code == 0
    assert list(sheet_rows(shop, "Data Issues").columns) == K.DATA_ISSUES.names
    again = run("upgrade", shop)
    assert again.exit_code == 0 and "Nothing to add" in again.output


def test_progress_bar_on_large_workbooks_in_a_terminal(shop, monkeypatch, capsys):
    import io
    import sys

    import jit_workbook.cli as cli_module

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(cli_module, "PROGRESS_BYTES", 1000)  # the tiny shop counts as large here
    with cli_module._progress(shop, quiet=False) as step:
        step("reading the workbook")
        step("planning 40 SKUs")
    shown = terminal.getvalue()
    assert "reading the workbook" in shown and "planning 40 SKUs" in shown


def test_newer_excel_error_values_are_reported_not_fatal(shop, tmp_path):
    """Excel 365 writes errors such as #SPILL! that python-calamine does not know."""
    import zipfile

    from jit_workbook.io.xlsx_parts import sheet_parts

    edit(shop, "Sales", {"C4": "#N/A"})
    with zipfile.ZipFile(shop) as zin:
        part = sheet_parts(zin)["Sales"]
        items = [(i, zin.read(i.filename)) for i in zin.infolist()]
    spilled = tmp_path / "spill.xlsx"
    with zipfile.ZipFile(spilled, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            zout.writestr(info, data.replace(b"<v>#N/A</v>", b"<v>#SPILL!</v>") if info.filename == part else data)
    result = run("recalc", spilled)
    assert result.exit_code == 0, result.output
    issues = sheet_rows(spilled, "Data Issues")
    assert "Sales!C4: Quantity is the error value #SPILL!; sale skipped" in set(
        issues["Sheet"] + "!" + issues["Cell"] + ": " + issues["Problem"])


def set_setting(path: Path, label: str, value) -> None:
    wb = openpyxl.load_workbook(path)
    for row in wb["Settings"].iter_rows(min_row=2):
        if row[0].value == label:
            row[1].value = value
    wb.save(path)


def test_auto_forecast_picks_a_method_per_sku_and_a_stock_row_overrides_it(shop):
    settings = sheet_rows(shop, "Settings").set_index("Setting")
    assert settings.loc["Forecast Method"].iloc[0] == "Auto"  # the default
    sku = openpyxl.load_workbook(shop)["Stock"]["A2"].value
    edit(shop, "Stock", {f"{K.STOCK.letter('forecast_method')}2": "Croston"})
    result = run("recalc", shop)
    assert result.exit_code == 0, result.output
    reorder = sheet_rows(shop, "Reorder").set_index("SKU")
    methods = set(reorder["Forecast Method"])
    assert "Auto" not in methods and methods <= set(K.FORECAST_METHODS)
    assert reorder.loc[sku, "Forecast Method"] == "Croston"
    # Reorder Point = forecast over L + R + Safety Stock, whatever the method.
    ok = reorder[reorder["Status"].isin(["OK", "REORDER"])]
    assert (ok["Reorder Point"] >= ok["Safety Stock"] - 1e-9).all()


def test_auto_numbers_match_an_independent_calculation(shop):
    """Under Auto (the default) and the Normal safety stock, each smoothing-method SKU's Daily Demand, Demand Std,
    Safety Stock and Reorder Point follow README's formulas, recomputed here with plain
    loops from the saved Sales sheet."""
    from test_planning_forecast import one_step_forecasts

    set_setting(shop, "Safety Stock Method", "Normal")
    assert run("recalc", shop).exit_code == 0
    reorder = sheet_rows(shop, "Reorder").set_index("SKU")
    stock = sheet_rows(shop, "Stock").set_index("SKU")
    sales = sheet_rows(shop, "Sales")
    suppliers = sheet_rows(shop, "Suppliers").set_index("Supplier")
    as_of = pd.Timestamp(2026, 11, 20)
    smoothing = reorder[reorder["Forecast Method"].isin(["Exponential Smoothing", "Croston", "TSB"])
                        & reorder["Status"].isin(["OK", "REORDER"])]
    assert len(smoothing) >= 5
    for sku, row in smoothing.iterrows():
        y = daily_series(sales, sku, as_of)
        fitted = one_step_forecasts(y + [0.0], row["Forecast Method"])
        d = fitted[-1]  # the forecast for the day after As Of Date
        errors = [(x - f) ** 2 for x, f in zip(y, fitted[:-1]) if f is not None]
        assert_levels(row, stock.loc[sku], suppliers, d, math.sqrt(sum(errors) / len(errors)))


def test_a_reader_that_stops_early_gets_no_false_nothing_was_saved(shop):
    """`jit-workbook recalc FILE | head -0`: the summary cannot be printed, but the run saved;
    the message must not claim that nothing was saved, and no traceback is shown."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "jit_workbook.cli", "recalc", str(shop)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).parents[1])
    proc.stdout.close()  # the reader goes away before the summary is printed
    err = proc.stderr.read().decode()
    assert proc.wait() == 1
    assert "Nothing was saved" not in err and "Traceback" not in err
    assert "could not be printed" in err
    assert len(sheet_rows(shop, "Reorder")) == 40  # the recalculation itself was saved


def test_dates_out_of_range_are_row_issues_not_a_crash(shop):
    """A typo'd year (9999-12-31, 1066-10-14) as a date cell or as ISO text is one Data
    Issue naming the cell; the rest of the shop is planned."""
    edit(shop, "Sales", {"A9": dt.datetime(9999, 12, 31), "A10": "9999-12-31", "A11": "1066-10-14",
                         "A12": 2958465})
    wb = openpyxl.load_workbook(shop)
    wb["Receipts"]["E2"] = dt.datetime(9999, 12, 31)
    wb.save(shop)
    result = run("recalc", shop)
    assert result.exit_code == 0, result.output
    issues = sheet_rows(shop, "Data Issues")
    got = set(issues["Sheet"] + "!" + issues["Cell"] + ": " + issues["Problem"])
    span = "(the tool plans with dates from 1900-01-01 to 2262-04-11)"
    # A12's serial 2958465 in the date-formatted column is 9999-12-31 too
    assert f'Sales!A11: date "1066-10-14" is out of range {span}; sale skipped' in got
    # The same problem on three rows is one row naming them (README, Data Issues).
    assert f'Sales!A9: date "9999-12-31" is out of range {span}: 3 sales skipped (Sales!A9, A10, A12)' in got
    assert any(g.startswith("Receipts!E2: ") for g in got), got
    assert len(sheet_rows(shop, "Reorder")) == 40


def test_a_number_no_date_can_hold_in_a_date_cell_is_a_row_issue(shop):
    """−1e308 in a date-formatted Sales cell makes python-calamine panic (a Rust panic, a
    BaseException); the run reads that sheet another way and reports the cell."""
    import subprocess
    import sys

    wb = openpyxl.load_workbook(shop)
    wb["Sales"]["A7"] = -1e308
    wb["Sales"]["A7"].number_format = "yyyy-mm-dd"
    wb.save(shop)
    proc = subprocess.run([sys.executable, "-m", "jit_workbook.cli", "recalc", str(shop)], capture_output=True,
                          text=True, cwd=Path(__file__).parents[1])
    assert proc.returncode == 0, proc.stderr
    assert "panicked" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    issues = sheet_rows(shop, "Data Issues")
    got = set(issues["Sheet"] + "!" + issues["Cell"] + ": " + issues["Problem"])
    assert any(g.startswith("Sales!A7: ") and g.endswith("sale skipped") for g in got), got
    assert len(sheet_rows(shop, "Reorder")) == 40
