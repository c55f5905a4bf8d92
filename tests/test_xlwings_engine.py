"""The openpyxl test engine, driven only through the real xlwings API."""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlwings as xw
from openpyxl.styles.numbers import is_date_format

try:
    from xlwings_engine import saved_rows, use_engine, xl_engine  # noqa: F401
except ImportError:  # tests/ became a package
    from tests.xlwings_engine import saved_rows, use_engine, xl_engine  # noqa: F401

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "JIT_Inventory.xlsx"
HEADER = ["SKU", "Description", "On Hand", "Last Sale", "Active"]


def _cache_formula_results(path, sheet_xml, results):
    """Store the result Excel would have cached with each formula (openpyxl can't):
    ``results`` maps a cell to its cached value, e.g. {"A3": ("n", "3")}."""
    with zipfile.ZipFile(path) as z:
        files = {name: z.read(name) for name in z.namelist()}
    xml = files[sheet_xml].decode()
    for ref, (kind, value) in results.items():
        xml, n = re.subn(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v></v></c>',
                         rf'<c r="{ref}"\1 t="{kind}"><f>\2</f><v>{value}</v></c>', xml)
        assert n == 1, ref
    files[sheet_xml] = xml.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)


@pytest.fixture
def stock_xlsx(tmp_path):
    """A small workbook like the planner's: a Stock table with a text-formatted SKU
    column, dates, blanks, an error and a formula with a cached result."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Stock"
    ws.append(HEADER)
    ws.append(["00123", "Bolt", 12, dt.datetime(2024, 1, 15), True])
    ws.append(["A-7", None, 0, None, False])
    ws.append(["B-9", "Nut", 3.5, dt.datetime(2024, 2, 29), True])
    for row in range(2, 5):
        ws.cell(row, 1).number_format = "@"
        ws.cell(row, 4).number_format = "yyyy-mm-dd"
    ws.add_table(openpyxl.worksheet.table.Table(displayName="StockTable", ref="A1:E4"))
    calc = wb.create_sheet("Calc")
    calc["A1"], calc["A2"], calc["A3"] = 1, 2, "=SUM(A1:A2)"
    calc["B1"], calc["C1"] = "=1/0", "#N/A"
    wb.create_sheet("Empty")
    path = tmp_path / "stock.xlsx"
    wb.save(path)
    _cache_formula_results(path, "xl/worksheets/sheet2.xml",  # the Calc sheet
                           {"A3": ("n", "3"), "B1": ("e", "#DIV/0!")})
    return path


# -- opening, sheets, registry ------------------------------------------------


def test_xw_book_opens_the_file_once(xl_engine, stock_xlsx):
    book = xw.Book(stock_xlsx)
    assert book.name == "stock.xlsx"
    assert book.fullname == os.path.realpath(stock_xlsx)
    assert book.sheet_names == ["Stock", "Calc", "Empty"]
    assert xw.Book(str(stock_xlsx)) == book  # already open: the same book, as in Excel
    assert xl_engine.count("Books", "open") == 1
    assert xl_engine.open(stock_xlsx) == book


def test_sheets_active_and_activate(xl_engine, stock_xlsx):
    book = xl_engine.open(stock_xlsx)
    assert book.sheets.active.name == "Stock"
    book.sheets["calc"].activate()  # names are case-insensitive, as in Excel
    assert book.sheets.active.name == "Calc"
    added = book.sheets.add("Plan", after=book.sheets[-1])
    assert book.sheet_names[-1] == "Plan" and book.sheets.active == added
    with pytest.raises(KeyError):
        book.sheets["Nope"]


def test_membership_in_sheets_is_always_false_like_xlwings_on_windows(xl_engine, stock_xlsx):
    # xlwings' Windows engine has no Sheets.__contains__: `in` compares the name to
    # sheet objects and is never True there. Code must use book.sheet_names.
    book = xl_engine.open(stock_xlsx)
    assert "Stock" not in book.sheets
    assert "Stock" in book.sheet_names


def test_use_engine_restores_the_previous_engine():
    before = xw.engines.active
    with use_engine() as engine:
        assert xw.engines.active is engine.xw
        assert xw.apps.active.books.add().name == "Book1"
    assert xw.engines.active is before
    assert engine.xw not in list(xw.engines)
    assert "openpyxl" not in xw.engines.engines_by_name


def test_unsupported_members_say_so(xl_engine):
    sheet = xl_engine.new_book().sheets[0]
    with pytest.raises(NotImplementedError, match="openpyxl test engine"):
        sheet["A1"].font
    with pytest.raises(NotImplementedError, match="Sheet.charts"):
        sheet.charts


# -- reading ------------------------------------------------------------------


def test_read_table_into_dataframe(xl_engine, stock_xlsx):
    sheet = xw.Book(stock_xlsx).sheets["Stock"]
    df = sheet["A1"].options(pd.DataFrame, index=False, expand="table").value
    assert list(df.columns) == HEADER
    assert df["SKU"].tolist() == ["00123", "A-7", "B-9"]
    assert df["On Hand"].tolist() == [12.0, 0.0, 3.5]
    assert df["Last Sale"][0] == dt.datetime(2024, 1, 15)
    assert pd.isna(df["Last Sale"][1]) and pd.isna(df["Description"][1])  # empty cells
    assert df["Active"].tolist() == [True, False, True]


def test_values_have_excel_types(xl_engine, stock_xlsx):
    sheet = xw.Book(stock_xlsx).sheets["Stock"]
    assert sheet["C2"].value == 12.0 and isinstance(sheet["C2"].value, float)
    assert sheet["A2:C2"].value == ["00123", "Bolt", 12.0]  # one row: a flat list
    assert sheet["C2:C4"].value == [12.0, 0.0, 3.5]
    assert sheet["A3:B4"].value == [["A-7", None], ["B-9", "Nut"]]
    assert sheet["C2"].raw_value == 12.0 and sheet["A3:B3"].raw_value == (("A-7", None),)
    assert sheet["D2"].options(dates=dt.date).value == dt.date(2024, 1, 15)
    assert sheet["C2"].options(numbers=int).value == 12
    assert sheet["Z100"].value is None


def test_error_cells_are_none_unless_err_to_str(xl_engine, stock_xlsx):
    calc = xw.Book(stock_xlsx).sheets["Calc"]
    assert calc["B1:C1"].value == [None, None]
    assert calc["B1:C1"].options(err_to_str=True).value == ["#DIV/0!", "#N/A"]
    assert calc["C1"].raw_value == -2146826246  # what pywin32 delivers for #N/A
    df = calc["A1:C3"].options(pd.DataFrame, index=False, header=False, err_to_str=True).value
    assert df.iloc[0].tolist()[1:] == ["#DIV/0!", "#N/A"]


def test_loaded_formulas_show_their_cached_result(xl_engine, stock_xlsx):
    calc = xw.Book(stock_xlsx).sheets["Calc"]
    assert calc["A3"].value == 3.0
    assert calc["A3"].formula == "=SUM(A1:A2)"
    assert calc["A1"].formula == "1"


# -- writing ------------------------------------------------------------------


def test_write_dataframe_and_reopen_saved_file(xl_engine, tmp_path):
    book = xl_engine.new_book()
    sheet = book.sheets[0]
    df = pd.DataFrame({
        "SKU": ["X1", "X2", None],
        "Qty": [1, 2.5, np.nan],
        "Due": pd.to_datetime(["2024-05-01", None, "2024-06-30"]),
        "Rush": [True, False, True],
    })
    sheet["A1"].options(index=False).value = df
    assert xl_engine.value_writes == [("Sheet1!$A$1:$D$4", (4, 4))]
    out = tmp_path / "out.xlsx"
    book.save(out)
    assert book.fullname == os.path.realpath(out) and book.name == "out.xlsx"
    assert saved_rows(out, "Sheet1") == [
        ["SKU", "Qty", "Due", "Rush"],
        ["X1", 1, dt.datetime(2024, 5, 1), True],
        ["X2", 2.5, None, False],
        [None, None, dt.datetime(2024, 6, 30), True],
    ]
    assert openpyxl.load_workbook(out)["Sheet1"]["C2"].is_date
    # and back through xlwings: the empty SKU cell stops expand="table" like in Excel
    again = sheet["A1"].options(pd.DataFrame, index=False, expand="table").value
    assert again.shape == (2, 4) and again["Qty"].tolist() == [1.0, 2.5]


def test_dates_round_trip(xl_engine):
    sheet = xl_engine.new_book().sheets[0]
    sheet["A1"].value = [[dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 14, 30)]]
    assert sheet["A1:B1"].value == [dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 1, 14, 30)]
    assert is_date_format(sheet["A1"].number_format)
    assert sheet["A1"].options(dates=dt.date).value == dt.date(2024, 3, 1)
    sheet["C1"].value = pd.Timestamp("2024-03-02 00:00", tz="Europe/London")
    assert sheet["C1"].value == dt.datetime(2024, 3, 2)  # tz cut off, as on Windows


def test_none_and_empty_string_clear_cells(xl_engine, tmp_path):
    book = xl_engine.new_book()
    sheet = book.sheets[0]
    sheet["A1"].value = [[1, 2, 3], [4, 5, 6]]
    assert sheet.used_range.address == "$A$1:$C$2"
    sheet["A1"].value = [[None, "", 7]]
    assert sheet["A1:C1"].value == [None, None, 7.0]
    sheet["B2"].number_format = "0.00"
    sheet["A2:C2"].clear_contents()
    assert sheet["A2:C2"].value == [None, None, None]
    assert sheet["B2"].number_format == "0.00"  # clear_contents keeps formats
    book.save(tmp_path / "cleared.xlsx")
    assert saved_rows(tmp_path / "cleared.xlsx", "Sheet1") == [[None, None, 7], [None, None, None]]


def test_scalar_fills_the_range(xl_engine):
    sheet = xl_engine.new_book().sheets[0]
    sheet["A1:B2"].value = 0
    assert sheet["A1:B2"].value == [[0.0, 0.0], [0.0, 0.0]]


def test_text_starting_with_equals_is_a_formula(xl_engine, tmp_path):
    book = xl_engine.new_book()
    sheet = book.sheets[0]
    sheet["A1"].value = [["=cmd", "'=cmd", "=cmd"]]
    sheet["D1"].number_format = "@"
    sheet["D1"].value = "=cmd"
    sheet["C1"].number_format = "@"  # too late: C1 already holds a formula
    assert sheet["A1"].formula == "=cmd"
    assert sheet["A1"].value is None  # not calculated by this engine
    assert sheet["B1"].value == "=cmd"  # the quote prefix makes it text
    assert sheet["D1"].value == "=cmd"  # so does a text (@) number format
    book.save(tmp_path / "f.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "f.xlsx")["Sheet1"]
    assert [ws[c].data_type for c in ("A1", "B1", "C1", "D1")] == ["f", "s", "f", "s"]
    assert ws["B1"].quotePrefix and ws["B1"].value == "=cmd"


def test_excel_parses_text_like_typed_input(xl_engine, stock_xlsx):
    sheet = xw.Book(stock_xlsx).sheets["Stock"]
    sheet["A5"].value = [["00456", "00456", "12%", "TRUE", "2024-07-01"]]
    # row 5 is new, so no "@" format: Excel turns "00456" into the number 456
    assert sheet["A5:E5"].value == [456.0, 456.0, 0.12, True, dt.datetime(2024, 7, 1)]
    sheet["A4"].value = "00456"  # A4 is formatted "@": stays text
    assert sheet["A4"].value == "00456"
    xl_engine.parse_strings = False
    sheet["B5"].value = "00456"
    assert sheet["B5"].value == "00456"


# -- app state, alerts, caller --------------------------------------------------


def test_screen_updating_status_bar_and_calculation_are_recorded(xl_engine):
    app = xl_engine.new_book().app
    assert app.screen_updating is True and app.status_bar is False
    app.screen_updating = False
    app.status_bar = "Planning 1 of 3..."
    with app.properties(calculation="manual"):
        app.status_bar = "Planning 2 of 3..."
    app.status_bar = False
    app.screen_updating = True
    assert xl_engine.screen_updating_history == [False, True]
    assert xl_engine.status_bar_history == ["Planning 1 of 3...", "Planning 2 of 3...", False]
    assert xl_engine.calculation_history == ["manual", "automatic"]
    with pytest.raises(KeyError):
        app.calculation = "sometimes"


def test_alert_is_recorded(xl_engine):
    app = xl_engine.new_book().app
    assert app.alert("Plan done", title="JIT") == "ok"
    assert app.alert("Overwrite?", buttons="yes_no", mode="critical") == "yes"
    xl_engine.alert_responses.append("no")
    assert app.alert("Really?", buttons="yes_no") == "no"
    assert [(a["prompt"], a["title"], a["buttons"], a["answer"]) for a in xl_engine.alerts] == [
        ("Plan done", "JIT", "ok", "ok"),
        ("Overwrite?", None, "yes_no", "yes"),
        ("Really?", None, "yes_no", "no"),
    ]
    assert xl_engine.count("App", "alert") == 3


def test_book_caller_returns_the_book_set_as_caller(stock_xlsx):
    with use_engine() as engine:
        other = engine.new_book()
        book = xw.Book(stock_xlsx)
        engine.set_caller(book)
        assert xw.Book.caller() == book != other
        assert xw.Book.caller().sheets["Stock"]["A1"].value == "SKU"
    assert not hasattr(xw.Book, "_mock_caller")


# -- round trips ---------------------------------------------------------------


def test_reading_a_10000_by_4_block_is_one_round_trip(xl_engine):
    sheet = xl_engine.new_book().sheets[0]
    data = np.arange(40_000, dtype=float).reshape(10_000, 4)
    sheet["A1"].value = data
    assert len(xl_engine.value_writes) == 1  # below xlwings' 100,000-cell write chunk
    xl_engine.reset_calls()
    values = sheet["A1:D10000"].value
    assert xl_engine.value_reads == ["Sheet1!$A$1:$D$10000"]
    assert values[9_999] == [39_996.0, 39_997.0, 39_998.0, 39_999.0]
    xl_engine.reset_calls()
    df = sheet["A1:D10000"].options(pd.DataFrame, index=False, header=False).value
    assert df.shape == (10_000, 4) and xl_engine.count("Range", "raw_value.get") == 1


def test_expand_costs_single_cell_probes_like_excel(xl_engine):
    sheet = xl_engine.new_book().sheets[0]
    sheet["A1"].value = [["a", "b", "c", "d"]] + [[1, 2, 3, 4]] * 9_999
    xl_engine.reset_calls()
    df = sheet["A1"].options(pd.DataFrame, index=False, expand="table").value
    assert df.shape == (9_999, 4)
    reads = xl_engine.value_reads
    assert reads[-1] == "Sheet1!$A$1:$D$10000" and reads.count(reads[-1]) == 1
    assert all(":" not in address for address in reads[:-1])  # expander probes
    assert xl_engine.count("Range", "end") == 2


def test_big_writes_are_chunked_like_xlwings(xl_engine):
    sheet = xl_engine.new_book().sheets[0]
    sheet["A1"].value = [[1.0, 2.0, 3.0, 4.0]] * 30_000  # 120,000 cells
    assert [w[1] for w in xl_engine.value_writes] == [(25_000, 4), (5_000, 4)]
    assert sheet["A30000:D30000"].value == [1.0, 2.0, 3.0, 4.0]


# -- ranges --------------------------------------------------------------------


def test_range_navigation(xl_engine, stock_xlsx):
    sheet = xw.Book(stock_xlsx).sheets["Stock"]
    rng = sheet["A1"].expand()
    assert rng.address == "$A$1:$E$4" and rng.shape == (4, 5)
    assert sheet["A1"].expand("down").address == "$A$1:$A$4"
    assert sheet["A1"].expand("right").address == "$A$1:$E$1"
    assert sheet.used_range.address == "$A$1:$E$4"
    assert sheet.cells.last_cell.address == "$XFD$1048576"
    assert sheet.range((sheet.cells.last_cell.row, 1)).end("up").row == 4
    assert sheet["A1"].end("down").row == 4 and sheet["A4"].end("down").row == 1_048_576
    assert sheet["B2"].resize(2, 3).address == "$B$2:$D$3"
    assert sheet["B2"].offset(1, 2).address == "$D$3"
    assert (rng.row, rng.column, rng.last_cell.address) == (1, 1, "$E$4")
    assert sheet["A2"].number_format == "@" and sheet["D2"].number_format == "yyyy-mm-dd"
    assert sheet["A2:D2"].number_format is None  # mixed, as in Excel
    assert sheet["A2"].get_address(include_sheetname=True) == "Stock!$A$2"
    assert sheet.book.sheets["Empty"].used_range.address == "$A$1"


# -- tables --------------------------------------------------------------------


def test_tables(xl_engine, stock_xlsx):
    sheet = xw.Book(stock_xlsx).sheets["Stock"]
    assert [t.name for t in sheet.tables] == ["StockTable"]
    table = sheet.tables["StockTable"]
    assert table.range.address == "$A$1:$E$4"
    assert table.header_row_range.value == HEADER
    assert table.data_body_range.address == "$A$2:$E$4"
    assert table.totals_row_range is None
    assert sheet["C3"].table == table


def test_table_resize_is_visible_in_saved_file(xl_engine, stock_xlsx, tmp_path):
    book = xw.Book(stock_xlsx)
    sheet = book.sheets["Stock"]
    table = sheet.tables["StockTable"]
    sheet["A5"].value = [["C-1", "Washer", 40, dt.date(2024, 3, 3), True],
                         ["C-2", "Pin", 5, None, False]]
    table.resize(sheet["A1:F6"])
    sheet["F1"].value = "Note"
    book.save(tmp_path / "resized.xlsx")
    saved = openpyxl.load_workbook(tmp_path / "resized.xlsx")["Stock"].tables["StockTable"]
    assert saved.ref == "A1:F6" and saved.autoFilter.ref == "A1:F6"
    assert [c.name for c in saved.tableColumns] == HEADER + ["Note"]
    assert saved_rows(tmp_path / "resized.xlsx", "Stock")[5][:3] == ["C-2", "Pin", 5]


def test_xlwings_table_update_writes_a_dataframe(xl_engine, stock_xlsx, tmp_path):
    book = xw.Book(stock_xlsx)
    table = book.sheets["Stock"].tables["StockTable"]
    df = pd.DataFrame({"SKU": ["Z-1"], "Description": ["Only"], "On Hand": [1],
                       "Last Sale": [pd.NaT], "Active": [True]})
    table.update(df, index=False)
    assert table.range.address == "$A$1:$E$2"
    assert book.sheets["Stock"]["A3:E4"].value == [[None] * 5] * 2
    book.save(tmp_path / "updated.xlsx")
    saved = openpyxl.load_workbook(tmp_path / "updated.xlsx")["Stock"]
    assert saved.tables["StockTable"].ref == "A1:E2"


def test_read_only_book_cannot_be_saved_over(xl_engine, stock_xlsx, tmp_path):
    book = xw.Book(stock_xlsx, read_only=True)
    book.sheets["Stock"]["A2"].value = "changed"
    with pytest.raises(PermissionError):
        book.save()
    book.save(tmp_path / "copy.xlsx")  # save-as elsewhere is fine
    assert saved_rows(stock_xlsx, "Stock")[1][0] == "00123"


def test_template_opens_read_only(xl_engine):
    if not TEMPLATE.exists():
        pytest.skip("no template")
    book = xw.Book(TEMPLATE, read_only=True)
    for sheet in book.sheets:
        for table in sheet.tables:
            assert table.header_row_range.value  # headers readable
    book.close()
    assert len(xl_engine.app.books) == 0
