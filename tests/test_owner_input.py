"""The owner's input read as meant (issue 11, items 3, 4, 6, 7, 12), through the command
line on saved workbooks: text dates, settings typed as people type them, SKUs as Excel
makes them, an unusable Sales sheet, and a Data Issues sheet an owner can read."""

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from jit_workbook.io.file_book import backup_path

from conftest import run_cli as run, sheet_frame as sheet_rows

PLAN_COLUMNS = ["SKU", "Daily Demand", "Demand Std", "Reorder Point", "Suggested Qty"]


def rewrite(path: Path, sheet: str, change) -> None:
    """Apply ``change(worksheet)`` and save, as an owner editing in Excel would."""
    wb = openpyxl.load_workbook(path)
    change(wb[sheet])
    wb.save(path)


def set_setting(path: Path, label: str, value=None, **more) -> None:
    """Type one setting (label, value), or several: set_setting(path, **{"Currency": "USD"})."""
    values = ({label: value} if label else {}) | more

    def change(ws):
        for row in ws.iter_rows(min_row=2):
            if row[0].value in values:
                row[1].value = values.pop(row[0].value)
        assert not values, f"no setting {values}"
    rewrite(path, "Settings", change)


def dates_as_text(path: Path, fmt) -> None:
    """Every Sales date cell replaced by text, as a till export pastes it: fmt(date, row) -> str."""
    def change(ws):
        for (cell,) in ws.iter_rows(min_row=2, max_col=1):
            if isinstance(cell.value, dt.datetime):
                cell.value = fmt(cell.value, cell.row)
                cell.number_format = "@"
    rewrite(path, "Sales", change)


def plan_of(path: Path) -> pd.DataFrame:
    return sheet_rows(path, "Reorder")[PLAN_COLUMNS].set_index("SKU")


def problems(path: Path) -> list[str]:
    issues = sheet_rows(path, "Data Issues")
    return (issues["Sheet"] + "!" + issues["Cell"].fillna("") + ": " + issues["Problem"]).tolist()


# ---------------------------------------------------------------------------------
# Item 3: text dates
# ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_text_dates_day_first_with_month_names_plan_as_date_cells(shop, tmp_path):
    reference = tmp_path / "dates.xlsx"
    reference.write_bytes(shop.read_bytes())
    assert run("recalc", reference).exit_code == 0
    # Three till formats mixed; 29/11-style values in the column show it is day first.
    shapes = ("{d:%d/%m/%Y}", "{d.day} {d:%b} {d:%Y}", "{d:%d.%m.%Y}", "{d:%Y-%m-%d}")
    dates_as_text(shop, lambda d, r: shapes[r % 4].format(d=d))
    result = run("recalc", shop)
    assert result.exit_code == 0, result.output
    assert not any("is not a date" in p for p in problems(shop))
    pd.testing.assert_frame_equal(plan_of(shop), plan_of(reference))


@pytest.mark.slow
def test_ambiguous_text_dates_follow_date_order_then_currency(shop):
    # 11/12/2026 is 11 December day first (after the As Of Date 2026-11-20: reported and
    # ignored) and November 12 month first (a sale like any other).
    sku = openpyxl.load_workbook(shop)["Stock"]["A2"].value

    def one_text_date(ws):
        ws["A2"], ws["B2"] = "11/12/2026", sku
        for row in range(3, ws.max_row + 1):  # no other text in the column to show the order
            if isinstance(ws.cell(row, 1).value, str):
                ws.cell(row, 1).value = None
    rewrite(shop, "Sales", one_text_date)
    future = "sale dated 2026-12-11 is after the As Of Date 2026-11-20"

    assert run("recalc", shop).exit_code == 0  # GBP: day first
    assert any(p.startswith("Sales!A2: " + future) for p in problems(shop))

    set_setting(shop, "Currency", "USD")  # USD: month first
    assert run("recalc", shop).exit_code == 0
    assert not any(p.startswith("Sales!A2:") for p in problems(shop))

    set_setting(shop, "Date Order", "Day First")  # the setting wins over the currency
    assert run("recalc", shop).exit_code == 0
    assert any(p.startswith("Sales!A2: " + future) for p in problems(shop))


def test_a_column_showing_month_first_is_read_month_first_whatever_the_setting(shop, tmp_path):
    reference = tmp_path / "dates.xlsx"
    reference.write_bytes(shop.read_bytes())
    assert run("recalc", reference).exit_code == 0
    dates_as_text(shop, lambda d, r: f"{d.month}/{d.day}/{d.year}")  # 11/29/2025 shows month first
    set_setting(shop, "Date Order", "Day First")
    assert run("recalc", shop).exit_code == 0
    pd.testing.assert_frame_equal(plan_of(shop), plan_of(reference))


# ---------------------------------------------------------------------------------
# Item 6: settings typed the way people type them
# ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_settings_typed_as_text_percentages_and_text_dates_plan_as_meant(shop, tmp_path):
    reference = tmp_path / "typed.xlsx"
    reference.write_bytes(shop.read_bytes())
    set_setting(reference, None, **{"Service Level A": 0.97, "Service Level B": 0.93, "Service Level C": 0.85,
                                    "As Of Date": dt.datetime(2026, 6, 15)})
    assert run("recalc", reference).exit_code == 0
    set_setting(shop, None, **{"Service Level A": "97%",  # text, as typed into a text cell
                               "Service Level B": 93,  # 93 meaning 93%
                               "Service Level C": "0.85", "As Of Date": "15/06/2026"})
    result = run("recalc", shop)
    assert result.exit_code == 0, result.output
    assert not any(p.startswith("Settings!") for p in problems(shop))
    pd.testing.assert_frame_equal(plan_of(shop), plan_of(reference))
    levels = sheet_rows(shop, "Reorder")["Service Level"].round(4)
    assert {0.97, 0.93, 0.85} <= set(levels)  # the A, B and C levels as typed


@pytest.mark.parametrize("label, typed, message", [
    ("Service Level C", "ninety", 'Service Level C "ninety" is not a percentage (e.g. 95%)'),
    ("As Of Date", "the 15th", 'As Of Date "the 15th" is not a date (e.g. 15/06/2026 or 2026-06-15)'),
    ("Review Period Days", "-7", 'Review Period Days "-7" must be between 0 and 365'),
])
def test_a_setting_that_cannot_be_used_stops_the_run_and_changes_nothing(shop, label, typed, message):
    set_setting(shop, label, typed)
    row = next(r for r, (v,) in enumerate(
        openpyxl.load_workbook(shop)["Settings"].iter_rows(max_col=1, values_only=True), 1) if v == label)
    before = shop.read_bytes()
    result = run("recalc", shop)
    assert result.exit_code == 2
    assert f"Settings!B{row}: {message}" in result.output
    assert "Input should" not in result.output and "validation error" not in result.output
    assert shop.read_bytes() == before and not backup_path(shop).exists()


# ---------------------------------------------------------------------------------
# Item 4: no usable sale at all stops the run
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("column, value, message", [
    (1, "sometime", 'Column Date (A): none of its 7,727 rows holds a date that can be read '
                    '(first: Sales!A2: date "sometime" is not a date'),
    (3, "a few", 'Column Quantity (C): none of its 7,727 rows holds a quantity that is a number '
                 '(first: Sales!C2: quantity "a few" is not a number'),
    (2, "ZZZ", 'Column SKU (B): none of its 7,727 rows holds a SKU that is on the Stock sheet '
               '(first: Sales!B2: SKU "ZZZ" is not on the Stock sheet'),
])
def test_a_sales_sheet_with_no_usable_row_stops_the_run(shop, column, value, message):
    def spoil(ws):
        for row in range(2, ws.max_row + 1):
            if ws.cell(row, 1).value is not None:
                ws.cell(row, column).value = value
    rewrite(shop, "Sales", spoil)
    before = shop.read_bytes()
    result = run("recalc", shop)
    assert result.exit_code == 2, result.output
    assert "Sales: no sale can be used, so there is nothing to plan from." in result.output
    assert message in result.output
    assert shop.read_bytes() == before and not backup_path(shop).exists()


# ---------------------------------------------------------------------------------
# Item 7: SKUs as Excel makes them
# ---------------------------------------------------------------------------------
def respell(path: Path, stock_code, typed) -> tuple[str, str, int, int]:
    """Stock A2's SKU becomes ``stock_code`` (text) and its sales are typed as ``typed``;
    Stock A3's sales are typed in small letters. Returns (SKU A2 was, A3's SKU, rows of each)."""
    wb = openpyxl.load_workbook(path)
    stock, sales = wb["Stock"], wb["Sales"]
    old, other = stock["A2"].value, stock["A3"].value
    stock["A2"].value, stock["A2"].number_format = stock_code, "@"
    n_old = n_other = 0
    for (cell,) in sales.iter_rows(min_row=2, min_col=2, max_col=2):
        if cell.value == old:
            cell.value, n_old = typed, n_old + 1
        elif cell.value == other and typed != stock_code:
            cell.value, n_other = other.lower(), n_other + 1
    wb.save(path)
    return old, other, n_old, n_other


@pytest.mark.slow
def test_skus_match_stock_ignoring_capitals_and_lost_leading_zeros(shop, tmp_path):
    reference = tmp_path / "exact.xlsx"
    reference.write_bytes(shop.read_bytes())
    respell(reference, "00123", "00123")
    assert run("recalc", reference).exit_code == 0
    _, other, n_old, n_other = respell(shop, "00123", 123)
    assert n_old and n_other and other.lower() != other
    result = run("recalc", shop)
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(plan_of(shop), plan_of(reference))
    said = problems(shop)
    assert [p for p in said if "read as Stock's" in p] == [
        f"Sales!B{first}: Sales SKU {typed} read as Stock's {code}, {n:,} rows ({why})"
        for first, typed, code, n, why in sorted([
            (min_row(shop, 123), "123", "00123", n_old,
             "Excel drops the leading zeros of a code it takes for a number; format the SKU column as Text "
             "to keep them"),
            (min_row(shop, other.lower()), other.lower(), other, n_other, "capitals differ")])]
    assert not any("is not on the Stock sheet" in p for p in said)
    # The backtest replays the same matched sales.
    assert run("backtest", shop).exit_code == 0 and run("backtest", reference).exit_code == 0
    pd.testing.assert_frame_equal(sheet_rows(shop, "Backtest"), sheet_rows(reference, "Backtest"))


def min_row(path: Path, typed) -> int:
    ws = openpyxl.load_workbook(path, read_only=True)["Sales"]
    return next(i for i, (v,) in enumerate(ws.iter_rows(min_row=2, min_col=2, max_col=2, values_only=True), 2)
                if v == typed)


def test_two_stock_skus_differing_only_in_capitals_are_a_data_issue(shop):
    wb = openpyxl.load_workbook(shop)
    code = wb["Stock"]["A2"].value
    wb["Stock"]["A3"].value = code.lower()
    wb.save(shop)
    assert run("recalc", shop).exit_code == 0
    assert (f'Stock!A3: SKU "{code.lower()}" differs from row 2\'s "{code}" only in capitals; Sales and '
            "Receipts lines count for each only when typed exactly as it is") in problems(shop)
    assert code.lower() in set(sheet_rows(shop, "Reorder")["SKU"])  # still planned, as its own SKU


@pytest.mark.parametrize("typed, stock, exp_pos, exp_how", [
    (["HAM-01"], ["HAM-01", "ham-01"], [0], ["exact"]),  # the exact spelling first
    (["Ham-01"], ["HAM-01", "ham-01"], [-1], [""]),  # two Stock SKUs fit: ambiguous, not matched
    (["ham-01", " HAM-01 "], ["HAM-01"], [0, 0], ["capitals", "exact"]),
    (["123"], ["00123"], [0], ["leading zeros"]),
    (["123"], ["00123", "0123"], [-1], [""]),  # two zero-padded codes of value 123
    (["123"], ["123", "00123"], [0], ["exact"]),
    (["00123"], ["123"], [-1], [""]),  # Excel never adds zeros: only a number loses them
    (["12A"], ["0012A"], [-1], [""]),
])
def test_the_one_sku_matching_rule(typed, stock, exp_pos, exp_how):
    from jit_workbook.planning.skus import stock_positions

    pos, how = stock_positions(pd.Index(typed), pd.Index(stock))
    assert pos.tolist() == exp_pos and how.tolist() == exp_how


# ---------------------------------------------------------------------------------
# Item 12: Data Issues grouped, in sheet and row order, blank rows left out
# ---------------------------------------------------------------------------------
def test_data_issues_group_repeated_problems_in_sheet_and_row_order(shop):
    post_rows = list(range(400, 1600, 37))  # 33 postage lines scattered down the sheet

    def paste(ws):
        for r in post_rows:
            ws.cell(r, 2).value = "POST"
        for c in range(1, 5):
            ws.cell(300, c).value = None  # a blank row between two pasted blocks
        ws.cell(900, 3).value = "abc"  # one bad quantity, below the first postage line
        ws.cell(50, 2).value = "FEE"  # one other non-stock code, above them
    rewrite(shop, "Sales", paste)
    wb = openpyxl.load_workbook(shop)
    wb["Stock"]["F3"].value = "lots"
    wb.save(shop)
    result = run("recalc", shop)
    assert result.exit_code == 0, result.output
    post = [r for r in post_rows if r != 900]
    expected = [
        'Stock!F3: on hand "lots" is not a number; the SKU is marked CHECK DATA',
        'Sales!B50: SKU "FEE" is not on the Stock sheet; sale skipped',
        f'Sales!B{post[0]}: SKU "POST" is not on the Stock sheet: {len(post)} sales skipped '
        f'(Sales!B{post[0]}, B{post[1]}, B{post[2]}, …)',
        'Sales!C900: quantity "abc" is not a number; sale skipped',
    ]
    got = problems(shop)
    assert [p for p in got if not p.startswith("Sales!A")] == expected  # sales after As Of Date aside
    assert not any("blank" in p for p in got)
    issues = sheet_rows(shop, "Data Issues")
    assert issues.loc[issues["Cell"] == f"B{post[0]}", "SKU"].tolist() == ["POST"]
    assert f"{len(got)} data issues" in result.output
