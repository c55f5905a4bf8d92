"""The Count sheet: scans saved in a workbook set On Hand on recalc, review and backtest.

Scans are typed into the saved workbook with openpyxl (standing in for Excel and a USB
scanner), the command runs in-process, and the result is read back from disk.
"""

from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import pandas as pd
import pytest

from jit_workbook import contract as K
from jit_workbook.barcodes import barcode_problem, check_digit, code_key, retail_barcode
from jit_workbook.io.counts import counted_stock
from jit_workbook.io.parse import Grid
from jit_workbook.io.xlsx_parts import sheet_parts
from jit_workbook.io.xlsx_upgrade import add_missing_sheets

from conftest import SOFFICE, lo_convert, run_cli, sheet_frame

try:
    from xlwings_engine import xl_engine  # noqa: F401  (the fixture)
except ImportError:  # tests/ became a package
    from tests.xlwings_engine import xl_engine  # noqa: F401


def as_of(path) -> dt.date:
    ws = openpyxl.load_workbook(path)["Settings"]
    for label, value, *_ in ws.iter_rows(min_row=2, values_only=True):
        if label == "As Of Date":
            return value.date() if isinstance(value, dt.datetime) else value
    raise AssertionError("no As Of Date")


def scan(path, rows, stock_cells=None):
    """Append Count rows (code, quantity, date) and set Stock cells, as the owner would."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Count"]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(r, c, value)
    for addr, value in (stock_cells or {}).items():
        wb["Stock"][addr] = value
    wb.save(path)


def count_part(path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(sheet_parts(zf)["Count"])


@pytest.fixture
def counted(shop):
    """The tiny shop with a morning's scans: by barcode, by SKU, by a number-cell barcode, an old count,
    an unknown code and a date after the As Of Date."""
    day = as_of(shop)
    stock = sheet_frame(shop, "Stock")
    first, second, third = stock["SKU"].iloc[0], stock["SKU"].iloc[2], stock["SKU"].iloc[4]
    barcode = str(stock["Barcode"].iloc[0])
    rows = [
        (barcode, None, None), (barcode, None, None), (barcode, None, None),  # 3 single scans today
        (first, 2, None),                                   # the same item by its SKU: adds up
        (first, 50, day - dt.timedelta(days=5)),            # an older count: not the latest
        (second, 7, day - dt.timedelta(days=3)),            # counted three days ago only
        ("5012345678900", 4, day),                          # scanned text; Stock holds it as a number
        ("NOPE-123", None, None),                           # matches nothing
        (second, 99, day + dt.timedelta(days=1)),           # after the As Of Date
        (second.lower(), 1, day - dt.timedelta(days=3)),    # Caps Lock on: still the SKU
    ]
    scan(shop, rows, {"D6": 5012345678900})  # Stock row 6 is the fifth SKU (third above)
    was = dict(zip(stock["SKU"], stock["On Hand"]))
    return shop, day, {first: 5.0, second: 8.0, third: 4.0}, was


@pytest.mark.slow
def test_scans_set_on_hand_and_reason_on_recalc(counted):
    path, day, expected, was = counted
    before = count_part(path)
    result = run_cli("recalc", path)
    assert result.exit_code == 0, result.output
    reorder = sheet_frame(path, "Reorder").set_index("SKU")
    for sku, on_hand in expected.items():
        assert reorder.loc[sku, "On Hand"] == on_hand, sku
        assert reorder.loc[sku, "Inventory Position"] == on_hand + reorder.loc[sku, "On Order"]
    first, second, _ = expected
    assert f"On Hand 5 from the count of {day:%Y-%m-%d} (Stock says {was[first]:g})." in reorder.loc[first, "Reason"]
    assert f"from the count of {day - dt.timedelta(days=3):%Y-%m-%d}" in reorder.loc[second, "Reason"]
    others = [s for s in was if s not in expected]
    assert (reorder.loc[others, "On Hand"] == pd.Series(was)[others]).all()
    assert not reorder.loc[others, "Reason"].str.contains("from the count").any()

    issues = sheet_frame(path, "Data Issues")
    on_count = issues[issues["Sheet"] == "Count"].set_index("Cell")["Problem"].to_dict()
    assert on_count == {
        "A9": 'code "NOPE-123" matches no SKU or Barcode on the Stock sheet; add the barcode to its Stock row; '
              "scan not used",
        "C10": f"date {day + dt.timedelta(days=1):%Y-%m-%d} is after the As Of Date {day:%Y-%m-%d}; scan not used",
    }
    assert count_part(path) == before  # an input sheet: never rewritten


@pytest.mark.slow
def test_review_and_backtest_use_the_count(counted):
    path, _, expected, _ = counted
    assert run_cli("review", path).exit_code == 0
    reorder = sheet_frame(path, "Reorder").set_index("SKU")
    assert all(reorder.loc[s, "On Hand"] == n for s, n in expected.items())

    from jit_workbook import actions
    from jit_workbook.io.file_book import FileBook

    planned = actions.plan(FileBook(path), lambda _: None, (K.BACKTEST,))  # the path backtest plans on
    stock = planned.inputs.stock.set_index("sku")
    assert all(stock.loc[s, "on_hand"] == n for s, n in expected.items())


@pytest.mark.slow
def test_a_workbook_without_count_still_plans_and_upgrade_adds_it(shop, tmp_path):
    wb = openpyxl.load_workbook(shop)
    del wb["Count"]
    wb.save(shop)
    assert run_cli("recalc", shop).exit_code == 0
    lines = add_missing_sheets(shop, shop)
    assert lines == ["added sheet 'Count' (table CountTable)"]
    wb = openpyxl.load_workbook(shop)
    assert [c.value for c in wb["Count"][1]] == K.COUNT.names
    assert wb["Count"]["A2"].number_format == "@"  # scanned digits stay text
    first = sheet_frame(shop, "Stock")["SKU"].iloc[0]
    scan(shop, [(first, 3, None)])
    assert run_cli("recalc", shop).exit_code == 0
    assert sheet_frame(shop, "Reorder").set_index("SKU").loc[first, "On Hand"] == 3
    if SOFFICE:  # a second spreadsheet program opens the upgraded, recalculated file
        assert lo_convert(shop, "pdf", tmp_path / "lo").stat().st_size > 0


# ---------------------------------------------------------------------------------
# The matching rules, on frames
# ---------------------------------------------------------------------------------
def stock_frame(**cols):
    n = len(cols["sku"])
    base = {"barcode": [""] * n, "on_hand": [10.0] * n, "check_data": [""] * n, "row": list(range(2, n + 2))}
    return pd.DataFrame(base | cols)


def grid(*rows):
    return Grid([K.COUNT.names] + [list(r) for r in rows])


def test_a_barcode_on_two_stock_rows_is_reported_not_guessed():
    stock = stock_frame(sku=["A", "B"], barcode=["5012345678900", "5012345678900"])
    out, notes, issues = counted_stock(stock, grid(("5012345678900", 1, None)), dt.date(2026, 11, 30))
    assert out["on_hand"].tolist() == [10.0, 10.0] and notes.empty
    assert [(i.cell, i.problem.split(";")[0]) for i in issues] == [
        ("A2", 'code "5012345678900" is the Barcode of more than one Stock row')]


def test_a_count_fixes_a_blank_on_hand():
    stock = stock_frame(sku=["A"], on_hand=[float("nan")], check_data=["On Hand at Stock!F2 needs a valid number."])
    out, notes, issues = counted_stock(stock, grid(("A", 0, None)), dt.date(2026, 11, 30))
    assert out["on_hand"].tolist() == [0.0] and out["check_data"].tolist() == [""] and not issues
    assert notes["A"] == "On Hand 0 from the count of 2026-11-30 (Stock says blank)."


def test_a_quantity_that_is_not_a_number_names_its_cell():
    out, _, issues = counted_stock(stock_frame(sku=["A"]), grid(("A", "lots", None)), dt.date(2026, 11, 30))
    assert out["on_hand"].tolist() == [10.0]
    assert [str(i) for i in issues] == ['Count!B2: quantity "lots" is not a number; scan not used']


@pytest.mark.parametrize("text, exp", [
    ("5012345678900", ("EAN-13", "5012345678900")),
    ("036000291452", ("UPC-A", "036000291452")),
    ("36000291452", ("UPC-A", "036000291452")),   # a number cell ate the leading zero
    ("5012345678901", None),                      # wrong check digit
    ("501234567891", None),                       # 12 digits: a UPC-A whose check digit is wrong
    ("ABC", None),
])
def test_retail_barcodes(text, exp):
    assert retail_barcode(text) == exp


def test_check_digit_and_problems_by_hand():
    # 5012345678900: 0·3+9·1+8·3+7·1+6·3+5·1+4·3+3·1+2·3+1·1+0·3+5·1 = 90 -> check digit 0
    assert check_digit("501234567890") == 0
    assert barcode_problem("5012345678907").endswith("should be 0")
    assert barcode_problem("12-34") == 'barcode "12-34" is not an EAN-13 (13 digits) or UPC-A (12 digits)'
    assert code_key("0036000291452") == code_key("36000291452") != code_key("360002914520")


def test_a_code_excel_turned_into_a_number_matches_the_barcode_text():
    stock = stock_frame(sku=["A", "B"], barcode=["5012345678900", "036000291452"])
    scans = grid((5012345678900.0, 2, None), (36000291452.0, None, None), ("A", 1, None))
    out, notes, issues = counted_stock(stock, scans, dt.date(2026, 11, 30))
    assert not issues and out["on_hand"].tolist() == [3.0, 1.0]
    assert notes["B"] == "On Hand 1 from the count of 2026-11-30 (Stock says 10)."


def test_only_filled_invalid_stock_barcodes_are_data_issues():
    from jit_workbook.barcodes import stock_barcode_issues

    stock = stock_frame(sku=list("ABCDEFG"), barcode=["5012345678900", "5012345678901", "036000291452",
                                                       "36000291452", "", "abc", "0360-0029-1452"])
    got = [(i.cell, i.sku, i.problem.split(";")[0]) for i in stock_barcode_issues(stock)]
    assert got == [("D3", "B", 'barcode "5012345678901" is not a valid EAN-13: its last digit (the check digit) '
                                "should be 0"),
                   ("D7", "F", 'barcode "abc" is not an EAN-13 (13 digits) or UPC-A (12 digits)')]


@pytest.mark.slow
def test_scans_typed_in_excel_set_on_hand_on_the_recalculate_button(shop, xl_engine):
    """The live path: scans typed through xlwings (below row 2 Excel makes the digits a number)."""
    import xlwings as xw

    from jit_workbook import excel

    stock = sheet_frame(shop, "Stock")
    first, barcode = stock["SKU"].iloc[0], str(stock["Barcode"].iloc[0])
    book = xw.Book(shop)
    book.sheets["Count"].range("A2").value = [[barcode, None, None], [barcode, None, None], [first, 3, None]]
    assert isinstance(book.sheets["Count"].range("A3").value, float)  # what Excel does to typed digits
    summary = excel.recalculate(book)
    assert summary.startswith("40 SKUs: ")
    values = book.sheets["Reorder"].range("A1").expand().value
    header = values[0]
    row = next(r for r in values[1:] if r[0] == first)
    assert row[header.index("On Hand")] == 5
    assert "On Hand 5 from the count of" in row[header.index("Reason")]
