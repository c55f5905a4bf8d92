"""The typed column reader (fastexcel, io/typed_read.py) gives exactly what the cell-by-cell
reader gives: the same frames, dtypes, row numbers and Data Issues, frame for frame and
issue for issue, on clean workbooks (where it is used) and messy ones (where it steps
aside for the cells)."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from jit_workbook import contract as K
from jit_workbook.errors import JitError
from jit_workbook.io.parse import Grid, LazyGrid, parse_inputs, parse_sheet
from jit_workbook.io.read_file import read_grids
from jit_workbook.io.typed_read import load_typed, open_reader
from jit_workbook.io.xlsx_parts import scan_sheet, sheet_parts

D = dt.date
INPUTS = [s.name for s in K.INPUT_SHEETS]


def stock_row(sku="S1", supplier="Acme", on_hand=10.0, **kw):
    row = dict(sku=sku, description="Thing", supplier=supplier, barcode="5012345678900", category="Paint",
               on_hand=on_hand, on_order=0.0, unit_cost=2.0, unit_price=4.0, lead_time_days=None,
               lead_time_std_days=None, moq=None, case_pack=None, service_level=None, consignment=None,
               status=None, forecast_method=None)
    row.update(kw)
    return [row[f] for f in K.STOCK.fields]


SETTINGS = [["As Of Date", D(2026, 3, 31)], ["Currency", "GBP"]]
SUPPLIERS = [["Acme", "Ann", "a@x.example", 5.0, 1.0, 0.0, None], ["Beta Ltd", None, None, 10.0, None, None, "x"]]


def sales_rows(n=300):
    skus = ["S1", "S2", " s3 ", "S4"]
    rows = []
    for i in range(n):
        day = D(2025, 10, 1) + dt.timedelta(days=i % 150)
        when = dt.datetime.combine(day, dt.time(15, 30)) if i % 17 == 0 else day  # datetime and date cells
        rows.append([when, skus[i % 4], float(i % 5 - 1), 4.5 if i % 3 else None])
        if i % 50 == 7:
            rows.append([None, None, None, None])  # a blank row between pasted blocks
    rows.append([D(2026, 1, 2), "NOPE", 1.0, None])  # not on the Stock sheet
    rows.append([D(2026, 1, 3), "S1", None, 2.0])  # quantity blank
    rows.append([None, "S2", 1.0, None])  # date blank
    rows.append([D(2026, 1, 4), None, 1.0, None])  # SKU blank
    return rows


def clean_sheets():
    stock = [stock_row("S1", service_level=0.95, consignment="yes", status="discontinued"),
             stock_row("S2", supplier="ACME", service_level=97.0, consignment="No", moq=6.0, case_pack=6.0),
             stock_row("S3", supplier="Beta Ltd", description="  spaced  ", forecast_method="croston"),
             stock_row("S4", supplier="Ghost", on_order=None, lead_time_days=4.0),
             stock_row(None, on_hand=None, description=None, supplier=None, barcode=None, category=None,
                       on_order=None, unit_cost=None, unit_price=None),  # a blank row
             stock_row("S1", on_hand=3.0)]  # a duplicate
    receipts = [["PO-1", "Acme", "S1", D(2026, 1, 1), D(2026, 1, 6), 12.0],
                ["PO-2", "Acme", "s2", D(2026, 2, 1), D(2026, 2, 5), 6.0],
                [None, None, None, None, None, None]]
    return {
        "Settings": [K.SETTINGS.names, *[[k, v, ""] for k, v in SETTINGS]],
        "Stock": [K.STOCK.names, *stock],
        "Sales": [K.SALES.names, *sales_rows()],
        "Suppliers": [K.SUPPLIERS.names, *SUPPLIERS],
        "Receipts": [K.RECEIPTS.names, *receipts],
        "Count": [K.COUNT.names],
    }


def write_book(path: Path, sheets: dict[str, list[list]], text: dict[str, set[tuple[int, int]]] | None = None,
               start: dict[str, tuple[int, int]] | None = None) -> Path:
    """A workbook of the given cells (openpyxl turns a string such as "#N/A" into an error
    cell, unless its position is listed in ``text``); ``start`` moves a sheet's cells."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        r0, c0 = (start or {}).get(name, (1, 1))
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if v is None:
                    continue
                cell = ws.cell(r0 + i, c0 + j, v)
                if isinstance(v, dt.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(v, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                if (r0 + i, c0 + j) in (text or {}).get(name, set()):
                    cell.data_type = "s"
    wb.save(path)
    return path


def outcome(grids):
    try:
        return parse_inputs(grids)
    except JitError as exc:
        return type(exc), str(exc)


def both_ways(path: Path, names=INPUTS):
    """(parsed through the typed reader, parsed cell by cell, the typed reader's grids)."""
    typed = read_grids(path, names, K.OPTIONAL_INPUT_SHEETS)
    cells = {n: Grid(g.rows, g.errors) for n, g in read_grids(path, names, K.OPTIONAL_INPUT_SHEETS).items()}
    return outcome(typed), outcome(cells), typed


def assert_same(new, old):
    if isinstance(old, tuple):
        assert new == old
        return
    assert not isinstance(new, tuple), new
    for f in ("stock", "sales", "suppliers", "receipts"):
        pd.testing.assert_frame_equal(getattr(new, f), getattr(old, f))
    assert new.settings == old.settings
    assert [str(i) for i in new.issues] == [str(i) for i in old.issues]
    assert new.issues == old.issues


def read_cell_by_cell(grid) -> bool:
    return not isinstance(grid, LazyGrid) or grid._load_rows is None


def test_clean_workbook_is_read_as_typed_columns_and_parses_the_same(tmp_path):
    path = write_book(tmp_path / "clean.xlsx", clean_sheets())
    new, old, grids = both_ways(path)
    assert_same(new, old)
    for name in ("Stock", "Sales", "Suppliers", "Receipts"):
        assert grids[name].typed is not None, name
        assert not read_cell_by_cell(grids[name]), name  # the typed columns served the parser
    # what the shop's data holds, through the typed path
    assert new.sales["date"].dtype == "datetime64[ns]" and (new.sales["date"] == new.sales["date"].dt.normalize()).all()
    assert (new.sales["quantity"] < 0).any()
    assert set(new.sales["sku"]) == {"S1", "S2", "S3", "S4"}  # " s3 " stripped and matched by capitals
    assert any("is not on the Stock sheet" in i.problem for i in new.issues)
    assert any("quantity is blank" in i.problem for i in new.issues)


def test_a_table_that_starts_right_of_column_a_is_read_typed_with_the_same_cells(tmp_path):
    sheets = clean_sheets()
    path = write_book(tmp_path / "b.xlsx", sheets, start={"Sales": (1, 3), "Stock": (1, 2)})
    new, old, grids = both_ways(path)
    assert_same(new, old)
    assert not read_cell_by_cell(grids["Sales"]) and not read_cell_by_cell(grids["Stock"])
    assert new.sales["row"].iloc[0] == 2


def test_columns_in_another_order_with_loose_headers_and_extra_mixed_columns(tmp_path):
    sheets = clean_sheets()
    sales = sheets["Sales"]
    header = ["  quantity", "Notes", "SKU ", "date", "Unit Price", "sku"]  # a second SKU column: the first counts
    sheets["Sales"] = [header] + [[r[2], "note" if i % 2 else 3.0, r[1], r[0], r[3], "X"]
                                  for i, r in enumerate(sales[1:])]
    path = write_book(tmp_path / "o.xlsx", sheets)
    new, old, grids = both_ways(path)
    assert_same(new, old)
    assert not read_cell_by_cell(grids["Sales"])


MESSY = {
    "text in a number column": ("Sales", 40, 2, "abc"),
    "TRUE in a number column": ("Sales", 41, 2, True),
    "an error cell": ("Sales", 42, 2, "#N/A"),
    "error text in a text column": ("Sales", 43, 1, "#REF!"),
    "a date typed as text": ("Sales", 44, 0, "03/09/2025"),
    "a date out of range": ("Sales", 45, 0, D(2300, 1, 1)),
    "an Excel serial number as a date": ("Sales", 46, 0, 45900.0),
    "a negative price": ("Sales", 47, 3, -2.5),
    "a number as SKU": ("Sales", 48, 1, 1001.0),
    "a huge quantity": ("Sales", 49, 2, 1e15),
    "spaces only as SKU": ("Sales", 50, 1, "   "),
    "text on hand": ("Stock", 2, 5, "lots"),
    "negative on hand": ("Stock", 2, 5, -3.0),
    "a service level out of range": ("Stock", 3, 13, 0.2),
    "a choice not on the list": ("Stock", 1, 14, "maybe"),
    "a number as Stock SKU": ("Stock", 4, 0, 123.0),
    "a text received date": ("Receipts", 1, 4, "yesterday"),
    "an error in an unused column": ("Stock", 1, 17, "#DIV/0!"),
}


@pytest.mark.parametrize("case", list(MESSY))
def test_messy_workbooks_parse_exactly_as_cell_by_cell(tmp_path, case):
    sheet, r, c, value = MESSY[case]
    sheets = clean_sheets()
    row = sheets[sheet][r]
    while len(row) <= c:
        row.append(None)
    row[c] = value
    text = {sheet: {(r + 1, c + 1)}} if case == "error text in a text column" else None
    path = write_book(tmp_path / "m.xlsx", sheets, text=text)
    new, old, _grids = both_ways(path)
    assert_same(new, old)
    assert old.issues or case in ("an Excel serial number as a date", "an error in an unused column")


def test_header_not_in_row_1_stops_the_same_way(tmp_path):
    path = write_book(tmp_path / "h.xlsx", clean_sheets(), start={"Sales": (3, 1)})
    new, old, grids = both_ways(path)
    assert isinstance(old, tuple) and "column" in old[1]
    assert new == old


def test_no_usable_sale_stops_the_same_way(tmp_path):
    sheets = clean_sheets()
    sheets["Sales"] = [K.SALES.names, [D(2026, 1, 2), "NOPE", 1.0, None]]
    new, old, _ = both_ways(write_book(tmp_path / "n.xlsx", sheets))
    assert isinstance(old, tuple)
    assert new == old


def test_trailing_rows_of_formatting_only_fall_back_to_the_cells(tmp_path):
    path = write_book(tmp_path / "t.xlsx", clean_sheets())
    wb = openpyxl.load_workbook(path)
    wb["Sales"].cell(wb["Sales"].max_row + 5, 1).number_format = "yyyy-mm-dd"  # an empty, formatted cell
    wb.save(path)
    new, old, _ = both_ways(path)
    assert_same(new, old)


def test_error_cells_and_last_row_come_from_one_pass(tmp_path):
    path = write_book(tmp_path / "e.xlsx", {"Sales": [K.SALES.names, [D(2026, 1, 1), "S1", "#N/A", None],
                                                      [D(2026, 1, 2), "S1", 2.0, None]]})
    with zipfile.ZipFile(path) as zf:
        assert scan_sheet(zf, sheet_parts(zf)["Sales"]) == ({(2, 3): "#N/A"}, 3)
        assert scan_sheet(zf, sheet_parts(zf)["Sales"], chunk=64) == ({(2, 3): "#N/A"}, 3)


def test_load_typed_refuses_what_it_cannot_place(tmp_path):
    path = write_book(tmp_path / "l.xlsx", {"Sales": [K.SALES.names, [D(2026, 1, 1), "S1", 1.0, None]],
                                            "Mixed": [K.SALES.names, [D(2026, 1, 1), "S1", 1.0, None],
                                                      [D(2026, 1, 1), "S1", "x", None]]})
    reader = open_reader(path.read_bytes())
    assert load_typed(reader, "Sales", K.SALES.names, 2) is not None
    assert load_typed(reader, "Sales", K.SALES.names, 3) is None  # rows not where they seem
    assert load_typed(reader, "Sales", K.SALES.names, None) is None
    assert load_typed(reader, "Mixed", K.SALES.names, 3) is None  # a number and text in Quantity
    assert load_typed(reader, "Nowhere", K.SALES.names, 3) is None


def test_every_sheet_of_a_recalculated_shop_parses_the_same_both_ways(tiny_workbook, tmp_path):
    from conftest import run_cli

    path = tmp_path / "shop.xlsx"
    shutil.copyfile(tiny_workbook, path)
    assert run_cli("recalc", path).exit_code == 0
    assert run_cli("review", path).exit_code == 0
    with zipfile.ZipFile(path) as zf:
        names = [n for n in sheet_parts(zf) if n in K.SHEETS_BY_NAME]
    new, old, grids = both_ways(path, names)
    assert_same(new, old)
    plain = {n: Grid(g.rows, g.errors) for n, g in read_grids(path, names).items()}
    for name in names:
        for sheet in (K.sheet(name), K.sheet(name).block) if K.sheet(name).beside else (K.sheet(name),):
            if name == K.SETTINGS.name:
                continue
            try:
                a = parse_sheet(sheet, grids[name], {f: "ignored" for f in sheet.fields})
            except JitError as exc:
                with pytest.raises(type(exc), match=None):
                    parse_sheet(sheet, plain[name], {f: "ignored" for f in sheet.fields})
                continue
            b = parse_sheet(sheet, plain[name], {f: "ignored" for f in sheet.fields})
            pd.testing.assert_frame_equal(a.frame, b.frame)
            pd.testing.assert_frame_equal(a.bad, b.bad)
            assert a.issues == b.issues, name
    assert grids[K.REORDER.name].typed is not None


@pytest.mark.slow
def test_the_demo_shop_parses_the_same_both_ways(tmp_path):
    from jit_workbook.demo import write_shop

    path = write_shop("demo", tmp_path / "demo.xlsx")
    new, old, grids = both_ways(path)
    assert_same(new, old)
    assert not read_cell_by_cell(grids["Sales"])


def test_edge_values_read_the_same(tmp_path):
    """Times a moment before midnight, Excel's 1900 leap-year days, escaped control
    characters and non-breaking spaces in text: the same through either reader."""
    sheets = clean_sheets()
    serials = [45947.9999999, 45947.99999999, 45947.999999999, 59.5, 60.0, 61.25, 45947.5]
    path = tmp_path / "edge.xlsx"
    write_book(path, sheets)
    wb = openpyxl.load_workbook(path)
    ws = wb["Sales"]
    for i, serial in enumerate(serials):
        r = ws.max_row + 1
        ws.cell(r, 1, serial).number_format = "yyyy-mm-dd hh:mm" if i % 2 else "yyyy-mm-dd"
        ws.cell(r, 2, ["S1", "S1_x000D_", "S2\u00a0", " S4\t", "é"][i % 5])
        ws.cell(r, 3, 1.0)
    wb.save(path)
    new, old, grids = both_ways(path)
    assert_same(new, old)


@pytest.mark.parametrize("case", ["a negative price", "a huge quantity", "negative on hand",
                                  "a service level out of range", "a choice not on the list"])
def test_an_unusable_value_of_the_columns_own_kind_stays_on_the_typed_path(tmp_path, case):
    # A negative price is still a number: the column stays typed, and the rows holding it get
    # the cells' own Data Issue (same words, same cell, same order) without reading any cell.
    sheet, r, c, value = MESSY[case]
    sheets = clean_sheets()
    sheets[sheet][r][c] = value
    path = write_book(tmp_path / "m.xlsx", sheets)
    new, old, grids = both_ways(path)
    assert_same(new, old)
    assert any(i.sheet == sheet for i in old.issues)
    assert grids[sheet].typed is not None and not read_cell_by_cell(grids[sheet]), case
