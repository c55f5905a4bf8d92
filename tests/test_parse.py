"""Parsing raw grids: typed values, and a plain-English problem naming the cell for each bad one."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from jit_workbook import contract as K
from jit_workbook.errors import MissingColumnError, SettingsError, WorkbookError
from jit_workbook.io.parse import Grid, parse_inputs, parse_settings, parse_sheet


def stock_row(sku="S1", supplier="Acme", on_hand=10, **kw):
    row = dict(sku=sku, description="Thing", supplier=supplier, barcode="", category="", on_hand=on_hand,
               on_order=0, unit_cost=2.0, unit_price=4.0, lead_time_days=None, lead_time_std_days=None,
               moq=None, case_pack=None, service_level=None, consignment="", status="", forecast_method="")
    row.update(kw)
    return [row[f] for f in K.STOCK.fields]


def shop(stock_rows, sales_rows, settings_rows=(), supplier_rows=(("Acme", "", "a@x.example", 5, 1, 0, ""),),
         errors=None):
    return {
        "Settings": Grid([K.SETTINGS.names, *[[k, v, ""] for k, v in settings_rows]]),
        "Suppliers": Grid([K.SUPPLIERS.names, *map(list, supplier_rows)]),
        "Stock": Grid([K.STOCK.names, *stock_rows], errors.get("Stock", {}) if errors else {}),
        "Sales": Grid([K.SALES.names, *sales_rows], errors.get("Sales", {}) if errors else {}),
    }


GOOD_SALE = [dt.date(2026, 1, 6), "S1", 1, None]  # beside a bad one: a sheet with no usable sale stops the run


def problems(issues):
    return [str(i) for i in issues]


@pytest.mark.parametrize("value, exp", [
    (3, 3.0), (2.5, 2.5), ("4", 4.0), (" 7 ", 7.0), (-2, -2.0),
])
def test_sales_quantity_numbers(value, exp):
    got = parse_inputs(shop([stock_row()], [[dt.date(2026, 1, 5), "S1", value, None]]))
    assert got.sales["quantity"].tolist() == [exp]
    assert got.issues == []


@pytest.mark.parametrize("value, exp_problem", [
    ("abc", 'Sales!C2: quantity "abc" is not a number; sale skipped'),
    (True, 'Sales!C2: quantity "True" is not a number; sale skipped'),
    ("1,200", 'Sales!C2: quantity "1,200" is not a number; sale skipped'),
    (None, "Sales!C2: quantity is blank; sale skipped"),
])
def test_bad_sales_quantity_is_reported_and_skipped(value, exp_problem):
    got = parse_inputs(shop([stock_row()], [[dt.date(2026, 1, 5), "S1", value, None],
                                            [dt.date(2026, 1, 6), "S1", 1, None]]))
    assert problems(got.issues) == [exp_problem]
    assert got.sales["row"].tolist() == [3]  # the good row is still read


@pytest.mark.parametrize("value, exp", [
    (dt.date(2026, 3, 1), "2026-03-01"),
    (dt.datetime(2026, 3, 1, 15, 30), "2026-03-01"),
    (46082.0, "2026-03-01"),  # an Excel serial number in an unformatted cell
    ("2026-03-01", "2026-03-01"),
])
def test_dates(value, exp):
    got = parse_inputs(shop([stock_row()], [[value, "S1", 1, None]]))
    assert got.sales["date"].dt.strftime("%Y-%m-%d").tolist() == [exp]


def test_date_that_is_not_a_date():
    got = parse_inputs(shop([stock_row()], [["31/02/2026", "S1", 1, None], GOOD_SALE]))
    assert problems(got.issues) == [
        'Sales!A2: date "31/02/2026" is not a date (type a date, or YYYY-MM-DD); sale skipped']
    assert got.sales["row"].tolist() == [3]


def test_excel_error_values_are_reported_with_their_text():
    got = parse_inputs(shop([stock_row()], [[dt.date(2026, 1, 5), "S1", None, None], GOOD_SALE],
                            errors={"Sales": {(2, 3): "#N/A"}}))
    assert problems(got.issues) == ["Sales!C2: Quantity is the error value #N/A; sale skipped"]


def test_unknown_sku_in_sales():
    got = parse_inputs(shop([stock_row()], [[dt.date(2026, 1, 5), "NOPE", 1, None], GOOD_SALE]))
    assert problems(got.issues) == ['Sales!B2: SKU "NOPE" is not on the Stock sheet; sale skipped']
    assert got.issues[0].sku == "NOPE"


def test_numeric_sku_matches_text_sku():
    got = parse_inputs(shop([stock_row(sku=1001.0)], [[dt.date(2026, 1, 5), "1001", 1, None]]))
    assert got.stock["sku"].tolist() == ["1001"] and got.sales["sku"].tolist() == ["1001"]


def test_duplicate_sku_in_stock_keeps_the_first():
    got = parse_inputs(shop([stock_row(on_hand=1), stock_row(on_hand=2)], []))
    assert got.stock["on_hand"].tolist() == [1.0]
    assert problems(got.issues) == ['Stock!A3: SKU "S1" is a duplicate of row 2; this row is skipped']


def test_negative_and_text_on_hand_mark_check_data():
    got = parse_inputs(shop([stock_row("S1", on_hand=-3), stock_row("S2", on_hand="lots")], []))
    assert got.stock["check_data"].tolist() == ["On Hand at Stock!F2 needs a valid number.",
                                                "On Hand at Stock!F3 needs a valid number."]
    assert problems(got.issues) == ['Stock!F2: on hand "-3" is negative; the SKU is marked CHECK DATA',
                                    'Stock!F3: on hand "lots" is not a number; the SKU is marked CHECK DATA']


def test_supplier_missing_from_suppliers_sheet():
    got = parse_inputs(shop([stock_row(supplier="Ghost Ltd"), stock_row("S2", supplier="ACME")], []))
    assert problems(got.issues) == [
        'Stock!C2: supplier "Ghost Ltd" is not on the Suppliers sheet; add it there so its lead time and '
        "email can be used"]
    assert got.stock["supplier"].tolist() == ["Ghost Ltd", "Acme"]  # case-insensitive match, canonical name


def test_blank_rows_between_data_are_skipped_without_a_problem():
    blank = [None] * 4
    got = parse_inputs(shop([stock_row()], [[dt.date(2026, 1, 5), "S1", 1, None], blank, blank,
                                            [dt.date(2026, 1, 6), "S1", 2, None], blank]))
    assert problems(got.issues) == []
    assert got.sales["quantity"].tolist() == [1.0, 2.0]


def test_choices_are_case_insensitive_and_yes_no_accepts_common_words():
    got = parse_inputs(shop([stock_row("S1", consignment="yes", status="discontinued"),
                             stock_row("S2", consignment="N", status=""),
                             stock_row("S3", consignment="maybe", status="gone")], []))
    assert got.stock["consignment"].tolist() == [True, False, False]
    assert got.stock["status"].tolist() == ["Discontinued", "Active", "Active"]
    assert problems(got.issues) == [
        'Stock!O4: consignment "maybe" is not one of Yes, No; read as blank',
        'Stock!P4: status "gone" is not one of Active, Discontinued, Do Not Reorder; read as blank']


def test_missing_required_column_names_it():
    grids = shop([stock_row()], [])
    grids["Sales"] = Grid([["Date", "SKU", "Qty"]])
    with pytest.raises(MissingColumnError, match="Sales: column 'Quantity' is missing"):
        parse_inputs(grids)


def test_missing_optional_column_reads_blank_and_headers_match_loosely():
    grids = shop([], [])
    grids["Sales"] = Grid([["date", " SKU ", "QUANTITY"], [dt.date(2026, 1, 5), "S1", 2]])
    grids["Stock"] = Grid([K.STOCK.names, stock_row()])
    got = parse_inputs(grids)
    assert got.sales["quantity"].tolist() == [2.0]
    assert np.isnan(got.sales["unit_price"].iloc[0])


def test_settings_are_read_as_typed_and_97_means_97_percent():
    settings, issues = parse_settings(Grid([K.SETTINGS.names, ["Service Level", 95, ""],
                                            ["As Of Date", dt.datetime(2026, 3, 1), ""],
                                            ["Review Period Days", 0, ""], ["Something Else", "x", ""]]))
    assert settings.service_level == 0.95 and settings.as_of_date == dt.date(2026, 3, 1)
    assert settings.review_period_days == 0
    assert issues == []


@pytest.mark.parametrize("label, typed, field, exp", [
    ("Service Level A", "97%", "service_level_a", 0.97),
    ("Service Level A", " 97 % ", "service_level_a", 0.97),
    ("Service Level A", 97, "service_level_a", 0.97),
    ("Service Level A", "97", "service_level_a", 0.97),
    ("Service Level A", 0.97, "service_level_a", 0.97),
    ("Service Level A", "0.97", "service_level_a", 0.97),
    ("Service Level A", 99.5, "service_level_a", 0.995),
    ("Holding Cost Rate", "25%", "holding_cost_rate", 0.25),
    ("As Of Date", "15/06/2026", "as_of_date", dt.date(2026, 6, 15)),
    ("As Of Date", "15 Jun 2026", "as_of_date", dt.date(2026, 6, 15)),
    ("As Of Date", "2026-06-15", "as_of_date", dt.date(2026, 6, 15)),
    ("As Of Date", "03/09/2026", "as_of_date", dt.date(2026, 9, 3)),  # GBP: day first
    ("Date Order", "month first", "date_order", "Month First"),
    ("Backtest Days", " 90 ", "backtest_days", 90),
])
def test_settings_typed_the_way_people_type_them(label, typed, field, exp):
    settings, _ = parse_settings(Grid([K.SETTINGS.names, [label, typed, ""]]))
    assert getattr(settings, field) == pytest.approx(exp) if isinstance(exp, float) else getattr(settings, field) == exp


@pytest.mark.parametrize("rows, exp", [
    ([["Currency", "USD", ""]], dt.date(2026, 3, 9)),
    ([["Currency", "USD", ""], ["Date Order", "Day First", ""]], dt.date(2026, 9, 3)),
    ([["Currency", "EUR", ""], ["Date Order", "Month First", ""]], dt.date(2026, 3, 9)),
])
def test_as_of_date_text_follows_date_order_and_currency(rows, exp):
    settings, _ = parse_settings(Grid([K.SETTINGS.names, *rows, ["As Of Date", "03/09/2026", ""]]))
    assert settings.as_of_date == exp


@pytest.mark.parametrize("label, typed, exp", [
    ("Service Level C", "ninety", 'Settings!B2: Service Level C "ninety" is not a percentage (e.g. 95%)'),
    ("Service Level C", "45%", 'Settings!B2: Service Level C "45%" must be more than 50% and less than 100% '
                               "(e.g. 95%)"),
    ("As Of Date", "next week", 'Settings!B2: As Of Date "next week" is not a date (e.g. 15/06/2026 or 2026-06-15)'),
    ("As Of Date", "31/02/2026", 'Settings!B2: As Of Date "31/02/2026" is not a date (e.g. 15/06/2026 or 2026-06-15)'),
    ("Review Period Days", "weekly", 'Settings!B2: Review Period Days "weekly" is not a number'),
    ("Backtest Days", 3, 'Settings!B2: Backtest Days "3" must be between 7 and 3660'),
    ("Backtest Days", 90.5, 'Settings!B2: Backtest Days "90.5" is not a whole number'),
    ("Smoothing Alpha", 0, 'Settings!B2: Smoothing Alpha "0" must be more than 0 and at most 1'),
    ("Forecast Method", "Magic", 'Settings!B2: Forecast Method "Magic" is not one of Moving Average, '
                                 "Exponential Smoothing, Croston, TSB, Seasonal, Auto, Damped Trend"),
    ("Date Order", "sideways", 'Settings!B2: Date Order "sideways" is not one of Day First, Month First'),
    ("Currency", "pounds", 'Settings!B2: Currency "pounds" must be a three-letter ISO code such as GBP'),
])
def test_a_setting_that_cannot_be_read_stops_with_the_cell_in_plain_words(label, typed, exp):
    with pytest.raises(SettingsError) as err:
        parse_settings(Grid([K.SETTINGS.names, [label, typed, ""]]))
    assert str(err.value).splitlines()[0] == exp
    assert "Input should" not in str(err.value) and "pydantic" not in str(err.value)


def test_parse_sheet_is_vectorised_on_a_big_sheet():
    n = 200_000
    rows = [K.SALES.names] + [[46000.0 + (i % 300), f"S{i % 50}", float(i % 7), None] for i in range(n)]
    got = parse_sheet(K.SALES, Grid(rows))
    assert len(got.frame) == n and got.issues == []
    assert got.frame["date"].min() == pd.Timestamp("1899-12-30") + pd.Timedelta(days=46000)


def test_error_values_shown_as_text_are_errors_too():
    # The live Excel reader gets errors as their text (xlwings err_to_str=True).
    got = parse_inputs(shop([stock_row()], [[dt.date(2026, 1, 5), "S1", "#DIV/0!", None], GOOD_SALE]))
    assert problems(got.issues) == ["Sales!C2: Quantity is the error value #DIV/0!; sale skipped"]


def test_a_sales_sheet_without_one_usable_row_stops_naming_the_column():
    with pytest.raises(WorkbookError, match=r"Column Date \(A\): none of its 2 rows holds a date"):
        parse_inputs(shop([stock_row()], [["31/02/2026", "S1", 1, None], ["soon", "S1", 2, None]]))
    assert parse_inputs(shop([stock_row()], [])).sales.empty  # no sales at all: a new shop, not an error


def test_stock_service_level_typed_as_97_percent_or_97_reads_as_meant():
    got = parse_inputs(shop([stock_row("S1", service_level="97%"), stock_row("S2", service_level=97),
                             stock_row("S3", service_level=0.97), stock_row("S4", service_level="ninety")], []))
    assert got.stock["service_level"].tolist()[:3] == pytest.approx([0.97] * 3)
    assert problems(got.issues) == [
        'Stock!N5: service level "ninety" is not a service level between 50% and 99.9%; read as blank']


def test_receipts_text_dates_and_skus_follow_the_same_rules():
    grids = shop([stock_row("HAM-01"), stock_row("00123")], [GOOD_SALE[:1] + ["HAM-01", 1, None]],
                 settings_rows=[("Currency", "USD")])  # USD: month first unless a column shows otherwise
    grids["Receipts"] = Grid([K.RECEIPTS.names, ["PO-1", "Acme", "ham-01", "11/02/2026", "29.11.2026", 5],
                              ["PO-2", "Acme", 123, "Nov 3, 2026", "12/03/2026", 7]])
    got = parse_inputs(grids)
    r = got.receipts
    assert r["sku"].tolist() == ["HAM-01", "00123"]
    assert r["ordered"].dt.strftime("%Y-%m-%d").tolist() == ["2026-11-02", "2026-11-03"]  # month first (USD)
    assert r["received"].dt.strftime("%Y-%m-%d").tolist() == ["2026-11-29", "2026-03-12"]  # 29.11 shows day first
    assert [str(i) for i in got.issues if i.sheet == "Receipts"] == [
        "Receipts!C2: Receipts SKU ham-01 read as Stock's HAM-01, 1 row (capitals differ)",
        "Receipts!C3: Receipts SKU 123 read as Stock's 00123, 1 row (Excel drops the leading zeros of a code "
        "it takes for a number; format the SKU column as Text to keep them)"]


def test_an_error_value_in_settings_stops_the_run_naming_the_cell():
    grid = Grid([K.SETTINGS.names, ["Service Level", None, ""]], {(2, 2): "#REF!"})
    with pytest.raises(SettingsError, match=r"^Settings!B2: Service Level is the error value #REF!\n"):
        parse_settings(grid)


@pytest.mark.parametrize("text", ["31/12/9999", "31 Dec 9999", "9999-12-31", "00/00/0000", "29 Feb 2025"])
def test_text_dates_no_calendar_holds_are_row_issues_not_a_crash(text):
    got = parse_inputs(shop([stock_row()], [[text, "S1", 1, None], GOOD_SALE]))
    assert [i.cell for i in got.issues] == ["A2"] and got.sales["row"].tolist() == [3]
