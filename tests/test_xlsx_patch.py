"""The output-part patcher: new rows in the tool's sheets, every other byte as it was.

Fixtures are built in tmp_path with openpyxl (an input sheet, an output sheet with a
styled header and a styled empty row 2 inside a table, a real contract sheet, an owner
sheet with formulas, a chart, an image, comments, data validation, conditional
formatting and a defined name), then re-saved by LibreOffice so part names, styles and
cached formula results are a real spreadsheet program's own. Results are read back
from disk with openpyxl, python-calamine and LibreOffice.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from python_calamine import CalamineWorkbook

from jit_workbook import contract
from jit_workbook.errors import MissingSheetError, WorkbookError
from jit_workbook.io import xlsx_patch
from jit_workbook.io.xlsx_parts import (
    error_cells,
    parse_error_cells,
    read_rels,
    resolve_target,
    sheet_parts,
    table_parts,
    workbook_part,
)
from jit_workbook.io.xlsx_patch import (
    atomic_replace,
    date_serials,
    drop_calc_cells,
    format_numbers,
    patch_sheets,
    patch_worksheet,
    resize_table,
    set_full_calc_on_load,
    text_values,
)

from xlsx_compare import assert_same_parts, read_parts

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# conftest.py skips "libreoffice" tests without soffice; this file also says so itself.
NO_SOFFICE = "LibreOffice (soffice) is not installed"
libreoffice = [pytest.mark.libreoffice, pytest.mark.skipif(not SOFFICE, reason=NO_SOFFICE)]

C = contract.Column
OUT = contract.Sheet(
    "Out", "output", "OutTable",
    (
        C("SKU", "sku", number_format=contract.FMT_TEXT),
        C("Qty", "qty", "number", number_format=contract.FMT_QTY),
        C("Last Sale", "last_sale", "date", number_format=contract.FMT_DATE),
        C("Value", "value", "money", number_format=contract.FMT_MONEY),
        C("Lines", "lines", "integer", number_format=contract.FMT_INT),
        C("Status", "status", "choice", choices=("OK", "REORDER")),  # General: no cell style
    ),
)
CONTRACTS = {"Out": OUT}
OUT_TABLE = "xl/tables/table2.xml"  # openpyxl's and LibreOffice's name for the Out table in our fixture


# ---------------------------------------------------------------------------------
# Fixture workbooks
# ---------------------------------------------------------------------------------
def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """A red PNG, written by hand so the test needs no Pillow."""
    rows = b"".join(b"\x00" + b"\xc8\x1e\x1e" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class PngImage(Image):
    """openpyxl's Image without Pillow: the bytes and size are given."""

    def __init__(self, data: bytes, width: int, height: int):
        self.ref, self._png = None, data
        self.width, self.height, self.format = width, height, "png"

    def _data(self) -> bytes:
        return self._png


def add_output_sheet(wb: openpyxl.Workbook, spec: contract.Sheet) -> None:
    """A tool sheet as the template makes it: styled header, styled empty row 2, a table."""
    ws = wb.create_sheet(spec.name)
    for i, col in enumerate(spec.columns, start=1):
        head = ws.cell(1, i, col.name)
        head.font = Font(bold=True, color="FFFFFF")
        head.fill = PatternFill("solid", fgColor="70AD47")
        if col.number_format != contract.FMT_GENERAL:
            ws.cell(2, i).number_format = col.number_format
        ws.column_dimensions[contract.column_letter(i)].width = col.width
    last = contract.column_letter(len(spec.columns))
    table = Table(displayName=spec.table, ref=f"A1:{last}2")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium7", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"


def build_book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    sales = wb.active
    sales.title = "Sales"
    sales.append(["Date", "SKU", "Quantity", "Unit Price"])
    sold = [(1, "A-1", 3, 2.5), (2, "B-2", 1, 10), (3, "A-1", -1, 2.5), (4, "C-3", 7, 1.25), (5, "B-2", 2, 10)]
    for day, sku, qty, price in sold:
        sales.append([dt.date(2024, 3, day), sku, qty, price])
    for row in sales.iter_rows(min_row=2, max_col=1):
        row[0].number_format = contract.FMT_DATE
    sales.add_table(Table(displayName="SalesTable", ref="A1:D6"))
    sales["A1"].comment = Comment("Day of the sale", "Owner")
    qty_rule = DataValidation(type="decimal", operator="between", formula1="-1000", formula2="1000")
    qty_rule.add("C2:C1000")
    sales.add_data_validation(qty_rule)
    negative = CellIsRule(operator="lessThan", formula=["0"], font=Font(color="FF0000"))
    sales.conditional_formatting.add("C2:C1000", negative)

    add_output_sheet(wb, OUT)
    out = wb["Out"]
    status_rule = DataValidation(type="list", formula1='"OK,REORDER"', allow_blank=True)
    status_rule.add("F2:F1048576")
    out.add_data_validation(status_rule)
    out.conditional_formatting.add("B2:B1048576", negative)
    out["A1"].comment = Comment("Item code", "jit-workbook")

    add_output_sheet(wb, contract.DASHBOARD)

    summary = wb.create_sheet("Summary")
    summary["A1"] = "=SUM(Out!B:B)"
    summary["A2"] = "=COUNTA(Out!A:A)"
    summary["A3"] = "=Sales!C2*2"
    summary["A4"] = "=NA()"
    summary["A5"] = "=1/0"
    summary["A6"] = "=SUM(TotalQty)"
    summary["B1"] = "#N/A"  # an error value typed in (openpyxl writes t="e")
    chart = BarChart()
    chart.add_data(Reference(sales, min_col=3, min_row=1, max_row=6), titles_from_data=True)
    summary.add_chart(chart, "D2")
    summary.add_image(PngImage(tiny_png(), 40, 30), "D20")
    wb.defined_names["TotalQty"] = DefinedName("TotalQty", attr_text="Sales!$C$2:$C$6")
    wb.save(path)
    return path


@pytest.fixture(scope="session")
def lo_profile(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lo-profile")


def lo_run(path: Path, fmt: str, outdir: Path, profile: Path) -> subprocess.CompletedProcess:
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
           "--convert-to", fmt, "--outdir", str(outdir), str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=240)


def lo_convert(path: Path, ext: str, outdir: Path, profile: Path) -> Path:
    done = lo_run(path, ext, outdir, profile)
    out = outdir / f"{path.stem}.{ext}"
    assert done.returncode == 0 and out.exists(), f"LibreOffice failed: {done.stdout} {done.stderr}"
    return out


def lo_csv(path: Path, sheet: str, outdir: Path, profile: Path) -> list[list[str]]:
    """One sheet as LibreOffice shows it (formatted values), via its CSV export of all sheets."""
    # comma, double quote, UTF-8, from line 1, ..., "save cell contents as shown", all sheets
    fmt = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
    done = lo_run(path, fmt, outdir, profile)
    out = outdir / f"{path.stem}-{sheet}.csv"
    assert done.returncode == 0 and out.exists(), f"LibreOffice failed: {done.stdout} {done.stderr}"
    import csv

    with out.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="session")
def openpyxl_book(tmp_path_factory) -> Path:
    return build_book(tmp_path_factory.mktemp("openpyxl") / "book.xlsx")


@pytest.fixture(scope="session")
def lo_book(tmp_path_factory, openpyxl_book, lo_profile) -> Path:
    if not SOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed")
    return lo_convert(openpyxl_book, "xlsx", tmp_path_factory.mktemp("libreoffice"), lo_profile)


@pytest.fixture(params=["openpyxl", pytest.param("libreoffice", marks=libreoffice)])
def book(request, tmp_path) -> Path:
    """The fixture workbook as saved by openpyxl or by LibreOffice, copied to tmp_path."""
    source = request.getfixturevalue("openpyxl_book" if request.param == "openpyxl" else "lo_book")
    return Path(shutil.copy(source, tmp_path / "src.xlsx"))


def out_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "sku": ["A-1", "=SUM(A1)", "+1", "  padded ", 'bell\x07 & <tag> "q"\ufffe', "0042"],
        "qty": [1, 2.5, np.nan, np.inf, -3, 0.1],
        "last_sale": pd.to_datetime(
            ["2024-03-01", "2024-03-02 18:00", None, "2023-12-31", "2024-02-29", "1900-01-01"], format="ISO8601"
        ),
        "value": [10.25, 0, 1e-05, 123456789.125, np.nan, -7.5],
        "lines": [1, 2, 3, None, 5, 6],
        "status": ["REORDER", "OK", None, "", "OK", "OK"],
        "not_in_contract": [1, 2, 3, 4, 5, 6],  # extra columns are ignored
    })


EXP_ROWS = [  # what each sheet row holds after patching with out_frame()
    ["A-1", 1, dt.datetime(2024, 3, 1), 10.25, 1, "REORDER"],
    ["=SUM(A1)", 2.5, dt.datetime(2024, 3, 2, 18), 0, 2, "OK"],
    ["+1", None, None, 1e-05, 3, None],
    ["  padded ", None, dt.datetime(2023, 12, 31), 123456789.125, None, None],
    ['bell & <tag> "q"', -3, dt.datetime(2024, 2, 29), None, 5, "OK"],
    ["0042", 0.1, dt.datetime(1900, 1, 1), -7.5, 6, "OK"],
]


def patched(book: Path, tmp_path: Path, frame: pd.DataFrame | None = None) -> Path:
    dst = tmp_path / "dst.xlsx"
    patch_sheets(book, dst, {"Out": out_frame() if frame is None else frame}, contract_sheets=CONTRACTS)
    return dst


def part_of(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as zf:
        return sheet_parts(zf)[sheet]


def read_part(path: Path, part: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(part)


def row_xml(sheet_xml: bytes, row: int) -> bytes:
    m = re.search(rb'<row r="%d"[^>]*?(?:/>|>.*?</row>)' % row, sheet_xml, re.S)
    return m.group(0) if m else b""


def data_formats(path: Path, sheet: str = "Out") -> list[str]:
    """Number format of each row-2 cell (what every data row must carry)."""
    ws = openpyxl.load_workbook(path)[sheet]
    return [ws.cell(2, c).number_format for c in range(1, ws.max_column + 1)]


# ---------------------------------------------------------------------------------
# The whole patch, read back from disk
# ---------------------------------------------------------------------------------
def test_the_fixture_holds_what_an_owner_adds(book):
    """Otherwise "every other part is byte-identical" would prove little."""
    with zipfile.ZipFile(book) as zf:
        names = zf.namelist()
        wb = zf.read(workbook_part(zf))
    for pattern in (r"xl/charts/chart\d+\.xml", r"xl/media/image\d+\.png", r"xl/comments.*\.xml",
                    r"xl/drawings/drawing\d+\.xml", r"xl/drawings/.*\.vml", r"xl/tables/table\d+\.xml"):
        assert any(re.fullmatch(pattern, n) for n in names), pattern
    assert b"TotalQty" in wb


def test_untouched_parts_are_byte_identical_in_the_same_order(book, tmp_path):
    dst = patched(book, tmp_path)
    sheet = part_of(book, "Out")
    with zipfile.ZipFile(book) as zf:
        wb = workbook_part(zf)
        tables = table_parts(zf, sheet)
    exp, got = read_parts(book, strip_volatile=False), read_parts(dst, strip_volatile=False)
    assert list(got) == list(exp)
    assert_same_parts(got, exp, ignore={sheet, *tables, wb})
    with zipfile.ZipFile(book) as a, zipfile.ZipFile(dst) as b:
        assert [i.compress_type for i in b.infolist()] == [i.compress_type for i in a.infolist()]
        assert b.testzip() is None


def test_worksheet_keeps_row_1_and_everything_outside_the_rows(book, tmp_path):
    dst = patched(book, tmp_path)
    part = part_of(book, "Out")
    before, after = read_part(book, part), read_part(dst, part)
    assert row_xml(after, 1) == row_xml(before, 1) != b""
    outside = re.compile(rb"<sheetData>.*</sheetData>", re.S)
    dimension = re.compile(rb'<dimension ref="[^"]*"/>')
    assert dimension.sub(b"", outside.sub(b"", after)) == dimension.sub(b"", outside.sub(b"", before))
    assert b'<dimension ref="A1:F7"/>' in after
    for feature in (b"<dataValidations", b"<conditionalFormatting", b"<tableParts", b"<legacyDrawing"):
        assert after.count(feature) == before.count(feature)


def test_workbook_part_changes_only_by_full_calc_on_load(book, tmp_path):
    dst = patched(book, tmp_path)
    with zipfile.ZipFile(book) as zf:
        wb = workbook_part(zf)
    before, after = read_part(book, wb), read_part(dst, wb)
    assert re.search(rb'<calcPr\b[^>]*fullCalcOnLoad="1"', after)
    assert after.replace(b' fullCalcOnLoad="1"', b"") == before.replace(b' fullCalcOnLoad="1"', b"")


def test_values_and_formats_read_back_with_openpyxl(book, tmp_path):
    exp_formats = data_formats(book)
    dst = patched(book, tmp_path)
    ws = openpyxl.load_workbook(dst)["Out"]
    assert ws.max_row == 7
    for r, exp_row in enumerate(EXP_ROWS, start=2):
        got_row = [ws.cell(r, c).value for c in range(1, 7)]
        assert got_row == exp_row, f"row {r}"
        assert [ws.cell(r, c).number_format for c in range(1, 7)] == exp_formats, f"row {r}"
    for r in range(2, 8):  # text is never a formula
        assert ws.cell(r, 1).data_type == "s"
    assert [c.value for c in ws[1]] == OUT.names
    assert ws.tables["OutTable"].ref == "A1:F7"
    assert ws.tables["OutTable"].autoFilter.ref == "A1:F7"


def test_number_formats_are_the_templates(openpyxl_book, tmp_path):
    """Straight from openpyxl the formats are the contract's own (LibreOffice may respell them)."""
    dst = patched(Path(shutil.copy(openpyxl_book, tmp_path / "src.xlsx")), tmp_path)
    ws = openpyxl.load_workbook(dst)["Out"]
    for r in range(2, 8):
        assert [ws.cell(r, c).number_format for c in range(1, 7)] == [c.number_format for c in OUT.columns]


def test_values_read_back_with_calamine(book, tmp_path):
    dst = patched(book, tmp_path)
    rows = CalamineWorkbook.from_path(str(dst)).get_sheet_by_name("Out").to_python(skip_empty_area=False)
    assert rows[0] == OUT.names
    assert len(rows) == 7
    got = rows[1:]
    assert [r[0] for r in got] == [r[0] for r in EXP_ROWS]  # all strings, "=SUM(A1)" included
    assert [r[1] for r in got] == [1.0, 2.5, "", "", -3.0, 0.1]  # NaN and inf are empty cells
    assert [r[2] for r in got] == [
        dt.date(2024, 3, 1), dt.datetime(2024, 3, 2, 18), "",
        dt.date(2023, 12, 31), dt.date(2024, 2, 29), dt.date(1900, 1, 1),
    ]
    assert [r[3] for r in got] == [10.25, 0.0, 1e-05, 123456789.125, "", -7.5]
    assert [r[5] for r in got] == ["REORDER", "OK", "", "", "OK", "OK"]


@pytest.mark.libreoffice
@pytest.mark.skipif(not SOFFICE, reason=NO_SOFFICE)
def test_libreoffice_converts_the_patched_file_to_pdf_and_csv(lo_book, tmp_path, lo_profile):
    src = Path(shutil.copy(lo_book, tmp_path / "src.xlsx"))
    dst = patched(src, tmp_path)
    pdf = lo_convert(dst, "pdf", tmp_path / "pdf", lo_profile)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 1000
    rows = lo_csv(dst, "Out", tmp_path / "csv", lo_profile)
    assert rows == [
        OUT.names,
        ["A-1", "1", "2024-03-01", "10.25", "1", "REORDER"],
        ["=SUM(A1)", "2.5", "2024-03-02", "0.00", "2", "OK"],
        ["+1", "", "", "0.00", "3", ""],
        ["  padded ", "", "2023-12-31", "123,456,789.13", "", ""],
        ['bell & <tag> "q"', "-3", "2024-02-29", "", "5", "OK"],
        # LibreOffice has no phantom 1900-02-29, so it reads serial 1 (Excel's 1900-01-01) a day early
        ["0042", "0.1", "1899-12-31", "-7.50", "6", "OK"],
    ]
    # LibreOffice can still re-save it as xlsx (it parses every part, ours included)
    assert lo_convert(dst, "xlsx", tmp_path / "again", lo_profile).exists()


# ---------------------------------------------------------------------------------
# Files: atomic, src untouched, in place, failures
# ---------------------------------------------------------------------------------
def test_src_untouched_when_dst_differs(openpyxl_book, tmp_path):
    src = Path(shutil.copy(openpyxl_book, tmp_path / "src.xlsx"))
    before = src.read_bytes()
    patched(src, tmp_path)
    assert src.read_bytes() == before


def test_src_equal_to_dst_patches_in_place(openpyxl_book, tmp_path):
    src = Path(shutil.copy(openpyxl_book, tmp_path / "book.xlsx"))
    patch_sheets(src, src, {"Out": out_frame()}, contract_sheets=CONTRACTS)
    patch_sheets(src, src, {"Out": out_frame().head(2)}, contract_sheets=CONTRACTS)
    ws = openpyxl.load_workbook(src)["Out"]
    assert [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)] == ["SKU", "A-1", "=SUM(A1)"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]  # no temp file left


def test_a_frame_that_does_not_fit_writes_nothing(openpyxl_book, tmp_path):
    src = Path(shutil.copy(openpyxl_book, tmp_path / "src.xlsx"))
    dst = Path(shutil.copy(openpyxl_book, tmp_path / "dst.xlsx"))
    before = dst.read_bytes()
    with pytest.raises(ValueError, match="lacks columns \\['lines'\\]"):
        patch_sheets(src, dst, {"Out": out_frame().drop(columns="lines")}, contract_sheets=CONTRACTS)
    bad = out_frame().assign(qty=["1", "two", "3", "4", "5", "6"])
    with pytest.raises(ValueError, match="'Qty' of sheet 'Out'"):
        patch_sheets(src, dst, {"Out": bad}, contract_sheets=CONTRACTS)
    assert dst.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dst.xlsx", "src.xlsx"]


def test_a_failure_while_writing_leaves_dst_as_it_was(openpyxl_book, tmp_path, monkeypatch):
    src = Path(shutil.copy(openpyxl_book, tmp_path / "book.xlsx"))
    before = src.read_bytes()
    real_write_raw = xlsx_patch._write_raw
    calls = []

    def failing_write_raw(zout, info, raw):  # fail after some entries are already in the temp file
        calls.append(info.filename)
        if len(calls) == 3:
            raise OSError("disk full")
        real_write_raw(zout, info, raw)

    monkeypatch.setattr(xlsx_patch, "_write_raw", failing_write_raw)
    with pytest.raises(OSError, match="disk full"):
        patch_sheets(src, src, {"Out": out_frame()}, contract_sheets=CONTRACTS)
    assert src.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_missing_sheet_raises_and_writes_nothing(openpyxl_book, tmp_path):
    src = Path(shutil.copy(openpyxl_book, tmp_path / "src.xlsx"))
    before = src.read_bytes()
    with pytest.raises(MissingSheetError, match="sheet 'Reorder' not found"):
        frames = {"Out": out_frame(), "Reorder": pd.DataFrame()}
        patch_sheets(src, tmp_path / "dst.xlsx", frames, contract_sheets=CONTRACTS)
    with pytest.raises(MissingSheetError, match="src.xlsx: sheets 'Nope', 'Reorder' not found"):
        patch_sheets(src, src, {"Nope": pd.DataFrame(), "Reorder": pd.DataFrame()})
    assert not (tmp_path / "dst.xlsx").exists()
    assert src.read_bytes() == before
    assert issubclass(MissingSheetError, WorkbookError)


def test_not_a_workbook_is_a_workbook_error(tmp_path):
    bad = tmp_path / "notes.xlsx"
    bad.write_text("not a zip")
    with pytest.raises(WorkbookError, match="not an Excel workbook"):
        patch_sheets(bad, bad, {"Out": out_frame()}, contract_sheets=CONTRACTS)
    with pytest.raises(WorkbookError, match="does not exist"):
        patch_sheets(tmp_path / "gone.xlsx", bad, {"Out": out_frame()}, contract_sheets=CONTRACTS)


def test_atomic_replace_keeps_permissions_and_cleans_up(tmp_path):
    dst = tmp_path / "file.bin"
    dst.write_bytes(b"old")
    os.chmod(dst, 0o640)
    atomic_replace(dst, lambda fh: fh.write(b"new"))
    assert dst.read_bytes() == b"new"
    assert dst.stat().st_mode & 0o777 == 0o640

    def boom(fh):
        fh.write(b"half")
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        atomic_replace(dst, boom)
    assert dst.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]


# ---------------------------------------------------------------------------------
# Row counts: shrink, empty
# ---------------------------------------------------------------------------------
def test_shrinking_from_100_rows_to_3_leaves_no_stale_rows(book, tmp_path):
    big = pd.concat([out_frame()] * 17, ignore_index=True).head(100)
    mid = tmp_path / "mid.xlsx"
    patch_sheets(book, mid, {"Out": big}, contract_sheets=CONTRACTS)
    assert openpyxl.load_workbook(mid)["Out"].max_row == 101
    dst = patched(mid, tmp_path, out_frame().head(3))
    ws = openpyxl.load_workbook(dst)["Out"]
    assert ws.max_row == 4
    assert [[ws.cell(r, c).value for c in range(1, 7)] for r in range(2, 5)] == EXP_ROWS[:3]
    assert ws.tables["OutTable"].ref == "A1:F4"
    rows = CalamineWorkbook.from_path(str(dst)).get_sheet_by_name("Out").to_python()
    assert len(rows) == 4
    assert b'<dimension ref="A1:F4"/>' in read_part(dst, part_of(dst, "Out"))


def test_an_empty_frame_keeps_one_styled_empty_row_2(book, tmp_path):
    exp_formats = data_formats(book)
    full = patched(book, tmp_path)
    dst = tmp_path / "empty.xlsx"
    patch_sheets(full, dst, {"Out": out_frame().iloc[0:0]}, contract_sheets=CONTRACTS)
    ws = openpyxl.load_workbook(dst)["Out"]
    assert ws.tables["OutTable"].ref == "A1:F2"
    assert ws.tables["OutTable"].autoFilter.ref == "A1:F2"
    assert [ws.cell(2, c).value for c in range(1, 7)] == [None] * 6
    assert [ws.cell(2, c).number_format for c in range(1, 7)] == exp_formats
    assert ws.max_row == 2
    row2 = row_xml(read_part(dst, part_of(dst, "Out")), 2)
    assert re.fullmatch(rb'<row r="2">(<c r="[A-F]2" s="\d+"/>)+</row>', row2), row2
    # and the next write still finds the styles in row 2
    again = tmp_path / "again.xlsx"
    patch_sheets(dst, again, {"Out": out_frame()}, contract_sheets=CONTRACTS)
    ws = openpyxl.load_workbook(again)["Out"]
    assert [ws.cell(7, c).number_format for c in range(1, 7)] == exp_formats


def test_contract_sheet_found_by_name(book, tmp_path):
    frame = pd.DataFrame(
        {"measure": ["Stock value", "SKUs to reorder"], "value": [1234.5, 7], "notes": ["", "see Reorder"]}
    )
    dst = tmp_path / "dst.xlsx"
    patch_sheets(book, dst, {"Dashboard": frame, "Out": out_frame()}, contract_sheets=CONTRACTS)
    ws = openpyxl.load_workbook(dst)["Dashboard"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=2)] == [
        ["Stock value", 1234.5, None], ["SKUs to reorder", 7, "see Reorder"]
    ]
    assert ws.tables["DashboardTable"].ref == "A1:C3"


def test_floats_round_trip_exactly(openpyxl_book, tmp_path):
    rng = np.random.default_rng(7)
    awkward = [0.1, 1 / 3, 2.0**53 + 2, 1e-300, 5e-324, 1.7976931348623157e308]
    values = np.concatenate([rng.normal(0, 1e6, 200), rng.random(200), awkward])
    frame = pd.DataFrame({c.field: pd.Series([None] * len(values), dtype=object) for c in OUT.columns})
    frame["value"] = values
    dst = patched(Path(shutil.copy(openpyxl_book, tmp_path / "src.xlsx")), tmp_path, frame)
    ws = openpyxl.load_workbook(dst)["Out"]
    got = [ws.cell(r, 4).value for r in range(2, len(values) + 2)]
    assert [float(g) for g in got] == values.tolist()
    rows = CalamineWorkbook.from_path(str(dst)).get_sheet_by_name("Out").to_python()
    assert [r[3] for r in rows[1:]] == values.tolist()


def test_1904_date_system(openpyxl_book, tmp_path):
    src = tmp_path / "mac.xlsx"
    with zipfile.ZipFile(openpyxl_book) as zin, zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"<workbookPr/>", b'<workbookPr date1904="1"/>')
            zout.writestr(info, data)
    dst = patched(src, tmp_path)
    ws = openpyxl.load_workbook(dst)["Out"]
    assert openpyxl.load_workbook(dst).epoch == dt.datetime(1904, 1, 1)
    assert [ws.cell(r, 3).value for r in (2, 3)] == [dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 2, 18)]
    assert ws.cell(7, 3).value == "1900-01-01"  # before 1904: Excel cannot hold it, kept as text


# ---------------------------------------------------------------------------------
# Part discovery
# ---------------------------------------------------------------------------------
def renumber(src: Path, dst: Path) -> dict[str, str]:
    """Rename every sheet part so numbers run backwards, one target absolute (as after moving tabs)."""
    with zipfile.ZipFile(src) as zin:
        olds = sorted(n for n in zin.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
        mapping = {old: f"xl/worksheets/sheet{len(olds) + 10 - i}.xml" for i, old in enumerate(olds)}
        base = {posixpath.basename(o).encode(): posixpath.basename(n).encode() for o, n in mapping.items()}

        def rename(m: re.Match) -> bytes:
            return m.group(1) + base[m.group(2)]

        def new_name(name: str) -> str:
            m = re.fullmatch(r"(xl/worksheets/(?:_rels/)?)(sheet\d+\.xml)(\.rels)?", name)
            return m.group(1) + base[m.group(2).encode()].decode() + (m.group(3) or "") if m else name

        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                name, data = new_name(info.filename), zin.read(info)
                if name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                    data = re.sub(rb"(worksheets/)(sheet\d+\.xml)", rename, data)
                if name == "xl/_rels/workbook.xml.rels":  # one absolute target, as some writers use
                    first = b"worksheets/" + base[posixpath.basename(olds[0]).encode()]
                    data = data.replace(b'Target="' + first, b'Target="/xl/' + first)
                zout.writestr(zipfile.ZipInfo(name, info.date_time), data)
    return mapping


def test_sheet_parts_follow_relationships_not_numbers(book, tmp_path):
    with zipfile.ZipFile(book) as zf:
        original = sheet_parts(zf)
    mapping = renumber(book, tmp_path / "renumbered.xlsx")
    with zipfile.ZipFile(tmp_path / "renumbered.xlsx") as zf:
        got = sheet_parts(zf)
        assert list(got) == ["Sales", "Out", "Dashboard", "Summary"]
        assert got == {name: mapping[part] for name, part in original.items()}
        assert got["Sales"] == "xl/worksheets/sheet14.xml"  # reached through an absolute target
        assert b'Target="/xl/worksheets/sheet14.xml"' in zf.read("xl/_rels/workbook.xml.rels")
        assert table_parts(zf, got["Out"]) == table_parts(zipfile.ZipFile(book), original["Out"])
    dst = patched(tmp_path / "renumbered.xlsx", tmp_path)
    ws = openpyxl.load_workbook(dst)["Out"]
    assert [ws.cell(r, 1).value for r in range(2, 8)] == [r[0] for r in EXP_ROWS]
    rows = CalamineWorkbook.from_path(str(dst)).get_sheet_by_name("Out").to_python()
    assert rows[1][0] == "A-1"


@pytest.mark.libreoffice
@pytest.mark.skipif(not SOFFICE, reason=NO_SOFFICE)
def test_libreoffice_reads_a_renumbered_patched_book(lo_book, tmp_path, lo_profile):
    renumber(lo_book, tmp_path / "renumbered.xlsx")
    dst = patched(tmp_path / "renumbered.xlsx", tmp_path)
    rows = lo_csv(dst, "Out", tmp_path / "csv", lo_profile)
    assert [r[0] for r in rows] == ["SKU"] + [r[0] for r in EXP_ROWS]


def test_resolve_targets():
    assert resolve_target("xl/workbook.xml", "worksheets/sheet1.xml") == "xl/worksheets/sheet1.xml"
    assert resolve_target("xl/workbook.xml", "/xl/worksheets/sheet1.xml") == "xl/worksheets/sheet1.xml"
    assert resolve_target("xl/worksheets/sheet1.xml", "../tables/table1.xml") == "xl/tables/table1.xml"
    assert resolve_target("", "xl/workbook.xml") == "xl/workbook.xml"


def test_workbook_part_found_through_package_rels(openpyxl_book, tmp_path):
    """A workbook part that is not xl/workbook.xml (some generators use other names)."""
    src = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(openpyxl_book) as zin, zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data, name = zin.read(info), info.filename
            name = name.replace("workbook.xml", "book.xml")
            if info.filename in ("_rels/.rels", "[Content_Types].xml"):
                data = data.replace(b"xl/workbook.xml", b"xl/book.xml")
            zout.writestr(zipfile.ZipInfo(name, info.date_time), data)
    with zipfile.ZipFile(src) as zf:
        assert workbook_part(zf) == "xl/book.xml"
        assert list(sheet_parts(zf)) == ["Sales", "Out", "Dashboard", "Summary"]
    dst = patched(src, tmp_path)
    assert b'fullCalcOnLoad="1"' in read_part(dst, "xl/book.xml")
    assert openpyxl.load_workbook(dst)["Out"]["A2"].value == "A-1"


# ---------------------------------------------------------------------------------
# Error cells
# ---------------------------------------------------------------------------------
def test_error_cells_written_by_openpyxl(openpyxl_book):
    with zipfile.ZipFile(openpyxl_book) as zf:
        parts = sheet_parts(zf)
        assert error_cells(zf, parts["Summary"]) == {(1, 2): "#N/A"}
        assert error_cells(zf, parts["Sales"]) == {}


@pytest.mark.libreoffice
@pytest.mark.skipif(not SOFFICE, reason=NO_SOFFICE)
def test_error_cells_written_by_libreoffice(lo_book):
    """LibreOffice stores the cached results of =NA() and =1/0 as error cells."""
    with zipfile.ZipFile(lo_book) as zf:
        got = error_cells(zf, sheet_parts(zf)["Summary"])
    assert got == {(1, 2): "#N/A", (4, 1): "#N/A", (5, 1): "#DIV/0!"}


@pytest.mark.parametrize(
    "xml, exp",
    [
        (b'<sheetData><row r="3"><c r="B3" t="n"><v>1</v></c></row></sheetData>', {}),
        (b'<row r="3"><c r="AB3" s="2" t="e"><f>NA()</f><v>#N/A</v></c></row>', {(3, 28): "#N/A"}),
        (b"<x:row r='9'><x:c t='e' r='C9'><x:v>#REF!</x:v></x:c></x:row>", {(9, 3): "#REF!"}),
        (b'<row r="2"><c t="e"><v>#NAME?</v></c><c t="e"><v>#NUM!</v></c></row>', {(2, 1): "#NAME?", (2, 2): "#NUM!"}),
        (b'<row r="2"><c r="A2" t="e"/><c r="B2" t="s"><v>0</v></c></row>', {}),
    ],
)
def test_parse_error_cells(xml, exp):
    wrapped = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' \
              b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + \
              xml.replace(b"<sheetData>", b"").replace(b"</sheetData>", b"") + b"</sheetData></worksheet>"
    assert parse_error_cells(wrapped) == exp


# ---------------------------------------------------------------------------------
# Calc chain
# ---------------------------------------------------------------------------------
def with_calc_chain(src: Path, dst: Path, chain: bytes) -> Path:
    """Add xl/calcChain.xml (with its relationship and content type), as Excel writes one."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/calcChain" Target="calcChain.xml"/></Relationships>',
                )
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/calcChain.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>',
                )
            zout.writestr(info, data)
        zout.writestr("xl/calcChain.xml", chain)
    return dst


CHAIN_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def test_calc_chain_loses_only_the_patched_sheets_cells(openpyxl_book, tmp_path):
    # sheetIds: Sales 1, Out 2, Dashboard 3, Summary 4
    summary = b'<c r="A3" i="4"/><c r="A4"/><c r="A5"/><c r="A6"/>'
    chain = CHAIN_HEAD + b'<c r="A1" i="4"/><c r="A2"/><c r="B2" i="2" l="1"/><c r="B3"/>' + summary + b"</calcChain>"
    src = with_calc_chain(openpyxl_book, tmp_path / "src.xlsx", chain)
    dst = patched(src, tmp_path)
    got = read_part(dst, "xl/calcChain.xml")
    assert got == CHAIN_HEAD + b'<c r="A1" i="4"/><c r="A2"/>' + summary + b"</calcChain>"
    assert b"calcChain" in read_part(dst, "xl/_rels/workbook.xml.rels")
    openpyxl.load_workbook(dst)


def test_calc_chain_left_empty_is_removed_with_its_rel_and_content_type(openpyxl_book, tmp_path):
    chain = CHAIN_HEAD + b'<c r="B2" i="2"/><c r="C5"/></calcChain>'
    src = with_calc_chain(openpyxl_book, tmp_path / "src.xlsx", chain)
    dst = patched(src, tmp_path)
    with zipfile.ZipFile(dst) as zf:
        assert "xl/calcChain.xml" not in zf.namelist()
        assert all(not r.type.endswith("/calcChain") for r in read_rels(zf, "xl/workbook.xml"))
        assert b"calcChain" not in zf.read("[Content_Types].xml")
        assert zf.testzip() is None
    assert_same_parts(
        read_parts(dst, strip_volatile=False),
        {k: v for k, v in read_parts(src, strip_volatile=False).items() if k != "xl/calcChain.xml"},
        ignore={"xl/worksheets/sheet2.xml", OUT_TABLE, "xl/workbook.xml"}
        | {"xl/_rels/workbook.xml.rels", "[Content_Types].xml"},
    )
    openpyxl.load_workbook(dst)


@pytest.mark.parametrize(
    "chain, ids, exp",
    [
        (b'<c r="A1" i="1"/><c r="A2"/>', {"2"}, b'<c r="A1" i="1"/><c r="A2"/>'),  # other sheet: unchanged
        (b'<c r="A1" i="2"/><c r="A2"/><c r="A3" i="1"/>', {"2"}, b'<c r="A1" i="2"/><c r="A3" i="1"/>'),  # row 1 stays
        (b'<c r="A5" i="2"/><c r="A6" i="3"/><c r="A7"/>', {"2"}, b'<c r="A6" i="3"/><c r="A7"/>'),
        (b'<c r="A5" i="3"/><c r="A6" i="2"/><c r="A7" i="3"/>', {"2"}, b'<c r="A5" i="3"/><c r="A7" i="3"/>'),
        (b'<c r="A5" i="3"/><c r="B2" i="2"/><c r="B3"/>', {"2"}, b'<c r="A5" i="3"/>'),
        (b'<c r="B2" i="2"></c><c r="B3"></c><c r="A1" i="3"></c>', {"2"}, b'<c r="A1" i="3"></c>'),
    ],
)
def test_drop_calc_cells(chain, ids, exp):
    got, _kept = drop_calc_cells(b"<calcChain>" + chain + b"</calcChain>", ids)
    assert got == b"<calcChain>" + exp + b"</calcChain>"


# ---------------------------------------------------------------------------------
# Small conversions (table-driven, exp/got)
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, exp",
    [
        (1.0, "1"), (-3.0, "-3"), (-0.0, "0"), (2.5, "2.5"), (0.1, "0.1"), (1 / 3, "0.3333333333333333"),
        (1e-05, "1e-05"), (123456789.125, "123456789.125"), (2.0**53, "9007199254740992.0"),
        (1e20, "1e+20"), (float("nan"), ""), (float("inf"), ""), (float("-inf"), ""),
    ],
)
def test_format_numbers(value, exp):
    text, blank = format_numbers(np.array([value]))
    assert text[0] == exp
    assert blank[0] == (exp == "")


@pytest.mark.parametrize(
    "when, exp",
    [
        ("1900-01-01", 1), ("1900-02-28", 59), ("1900-03-01", 61), ("2024-01-01", 45292),
        ("2024-01-01T12:00", 45292.5), ("2024-01-01T06:00", 45292.25),
    ],
)
def test_date_serials(when, exp):
    serials, (early, _iso) = date_serials(pd.Series(pd.to_datetime([when])))
    assert serials[0] == exp and not early[0]


def test_date_serials_accept_dates_timestamps_and_blanks():
    values = pd.Series(
        [dt.date(2024, 1, 1), pd.Timestamp("2024-01-02"), None, pd.NaT, dt.datetime(2024, 1, 3, 6)], dtype=object
    )
    serials, _ = date_serials(values)
    assert serials[:2].tolist() == [45292, 45293] and np.isnan(serials[2:4]).all() and serials[4] == 45294.25
    aware = pd.Series(pd.to_datetime(["2024-01-01 10:00"]).tz_localize("Europe/Paris"))
    assert date_serials(aware)[0][0] == 45292 + 10 / 24  # wall time kept
    assert date_serials(pd.Series(pd.to_datetime(["1904-01-01"])), date1904=True)[0][0] == 0


@pytest.mark.parametrize(
    "value, exp_text, exp_blank, exp_space",
    [
        ("plain", "plain", False, False),
        ("=SUM(A1)", "=SUM(A1)", False, False),
        ("a & b < c > d \"e\" 'f'", "a &amp; b &lt; c &gt; d &quot;e&quot; 'f'", False, False),
        ("bell\x07\x00\x1f\ufffe\uffff", "bell", False, False),
        ("lone \ud800 surrogate", "lone  surrogate", False, False),
        ("tab\tand\nnewline", "tab\tand\nnewline", False, False),
        ("cr\r\n", "cr&#13;\n", False, True),
        (" lead", " lead", False, True),
        ("trail\t", "trail\t", False, True),
        ("_x0041_", "_x005F_x0041_", False, False),
        ("", "", True, False),
        ("\x01", "", True, False),
        (None, "", True, False),
        (float("nan"), "", True, False),
        (12345, "12345", False, False),
        ("ünïcødé €", "ünïcødé €", False, False),
    ],
)
def test_text_values(value, exp_text, exp_blank, exp_space):
    text, blank, space = text_values(pd.Series(["x", value, "y"], dtype=object))
    assert (text[1], bool(blank[1]), bool(space[1])) == (exp_text, exp_blank, exp_space)
    assert (text[0], text[2]) == ("x", "y")


def test_text_values_of_a_float_column_and_long_text():
    text, blank, _ = text_values(pd.Series([12.0, np.nan, 2.5]))
    assert text.tolist() == ["12", "", "2.5"] and blank.tolist() == [False, True, False]
    text, _, _ = text_values(pd.Series(["x" * 40_000]))
    assert len(text[0]) == 32_767


CALC = b'<calcPr fullCalcOnLoad="1"/>'
VIEWS = b"<workbook><bookViews><workbookView><extLst/></workbookView></bookViews>"


@pytest.mark.parametrize(
    "xml, exp",
    [
        (b'<workbook><sheets/><calcPr calcId="191029"/></workbook>',
         b'<workbook><sheets/><calcPr calcId="191029" fullCalcOnLoad="1"/></workbook>'),
        (b'<workbook><sheets/><calcPr fullCalcOnLoad="0"/></workbook>', b"<workbook><sheets/>" + CALC + b"</workbook>"),
        (b"<workbook>" + CALC + b"</workbook>", b"<workbook>" + CALC + b"</workbook>"),
        (b'<workbook><calcPr calcId="1"></calcPr></workbook>',
         b'<workbook><calcPr calcId="1" fullCalcOnLoad="1"></calcPr></workbook>'),
        # no calcPr: after sheets and definedNames ...
        (b"<workbook><sheets><sheet/></sheets><definedNames><definedName/></definedNames></workbook>",
         b"<workbook><sheets><sheet/></sheets><definedNames><definedName/></definedNames>" + CALC + b"</workbook>"),
        # ... before pivotCaches and the workbook's extLst, not a workbookView's extLst
        (VIEWS + b"<sheets/><pivotCaches/><extLst/></workbook>",
         VIEWS + b"<sheets/>" + CALC + b"<pivotCaches/><extLst/></workbook>"),
        (b'<x:workbook xmlns:x="m"><x:sheets/><x:oleSize ref="A1"/></x:workbook>',
         b'<x:workbook xmlns:x="m"><x:sheets/><x:calcPr fullCalcOnLoad="1"/><x:oleSize ref="A1"/></x:workbook>'),
    ],
)
def test_set_full_calc_on_load(xml, exp):
    assert set_full_calc_on_load(xml) == exp


NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def table(ref: str, inside: str = "", attrs: str = "") -> bytes:
    auto_filter = f'<autoFilter ref="{ref}">{inside}</autoFilter>' if inside else f'<autoFilter ref="{ref}"/>'
    return f'<table ref="{ref}"{attrs}>{auto_filter}</table>'.encode()


@pytest.mark.parametrize(
    "xml, last_row, exp",
    [
        (table("A1:F2"), 9, table("A1:F9")),
        (table("A1:C5", attrs=' totalsRowShown="0"'), 2, table("A1:C2", attrs=' totalsRowShown="0"')),
        # a sort state points at data rows: it follows them
        (table("A1:F40", '<sortState ref="A2:F40"><sortCondition ref="C2:C40"/></sortState>'), 3,
         table("A1:F3", '<sortState ref="A2:F3"><sortCondition ref="C2:C3"/></sortState>')),
        (table("H1:J5"), 9, None),  # not the sheet's own table: left alone
        (table("A3:C5"), 9, None),
    ],
)
def test_resize_table(xml, last_row, exp):
    assert resize_table(xml, last_row) == exp


def test_a_table_with_a_totals_row_is_refused():
    with pytest.raises(WorkbookError, match="Total Row"):
        resize_table(table("A1:F4", attrs=' displayName="OutTable" totalsRowCount="1"'), 9, sheet_name="Out")


def row2(k_style: str, x_style: str, n_style: str) -> bytes:
    """The expected row 2 for the frame {"k": ["k"], "x": ["x"], "n": [7]} with these styles."""
    s = [f' s="{style}"' if style else "" for style in (k_style, x_style, n_style)]
    return (f'<row r="2"><c r="A2"{s[0]} t="inlineStr"><is><t>k</t></is></c>'
            f'<c r="B2"{s[1]} t="inlineStr"><is><t>x</t></is></c><c r="C2"{s[2]}><v>7</v></c></row>').encode()


@pytest.mark.parametrize(
    "sheet, exp_row2",
    [
        # style from row-2 cells; General columns without a style get none
        (b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" s="4"/><c r="C2" s="5"/></row>'
         b"</sheetData>", row2("4", "", "5")),
        # else from <col style>
        (b'<cols><col min="1" max="3" width="9" style="6"/></cols><sheetData><row r="1"><c r="A1"/></row></sheetData>',
         row2("6", "6", "6")),
        # a formatted row 2 (customFormat) beats <col>; its cells beat the row
        (b'<cols><col min="1" max="3" style="6"/></cols><sheetData><row r="1"/>'
         b'<row r="2" s="8" customFormat="1"><c r="C2" s="5"/></row></sheetData>', row2("8", "8", "5")),
        # an empty sheet: no header row, no styles
        (b"<sheetData/>", row2("", "", "")),
    ],
)
def test_patch_worksheet_styles(sheet, exp_row2):
    spec = contract.Sheet("T", "output", "TTable", (C("K", "k"), C("X", "x"), C("N", "n", "number")))
    xml = b"<worksheet " + NS + b'><dimension ref="A1"/>' + sheet + b"<pageMargins/></worksheet>"
    got, last_row = patch_worksheet(xml, pd.DataFrame({"k": ["k"], "x": ["x"], "n": [7]}), spec)
    assert last_row == 2
    assert row_xml(got, 2) == exp_row2
    assert b'<dimension ref="A1:C2"/>' in got and got.endswith(b"<pageMargins/></worksheet>")


def test_patch_worksheet_with_a_namespace_prefix():
    spec = contract.Sheet("T", "output", "TTable", (C("K", "k"), C("N", "n", "number")))
    main = b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    xml = (b"<x:worksheet " + main + b'><x:dimension ref="A1:B9"/><x:sheetData>'
           b'<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c></x:row><x:row r="2"><x:c r="B2" s="3"/></x:row>'
           b'<x:row r="9"><x:c r="A9"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>')
    got, _ = patch_worksheet(xml, pd.DataFrame({"k": [" a"], "n": [np.nan]}), spec)
    assert got == (
        b"<x:worksheet " + main + b'><x:dimension ref="A1:B2"/>'
        # row 1 lacked the header of column B: it is added, with the sheet's prefix
        b'<x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c>'
        b'<x:c r="B1" t="inlineStr"><x:is><x:t>N</x:t></x:is></x:c></x:row><x:row r="2"><x:c r="A2" t="inlineStr">'
        b'<x:is><x:t xml:space="preserve"> a</x:t></x:is></x:c><x:c r="B2" s="3"/></x:row></x:sheetData></x:worksheet>'
    )
