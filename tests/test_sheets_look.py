"""The output sheets as an owner reads and prints them (issue 13), checked in the XML that
carries each rule, on workbooks saved by the CLI and re-opened from disk."""

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from jit_workbook import contract as K
from jit_workbook.io.text_fit import wrapped_lines
from jit_workbook.io.xlsx_parts import sheet_parts
from jit_workbook.io.xlsx_styles import StyleBook, same_format

from conftest import lo_convert, run_cli, sheet_frame

pytestmark = pytest.mark.slow  # one shop worked through four commands (~40 s), shared by the module

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
      "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
EMU_PER_PX, PT_EMU = 9525, 12700


@pytest.fixture(scope="module")
def worked(tiny_workbook, tmp_path_factory) -> Path:
    """The tiny shop after review, orders and backtest, then recalc (which reads the backtest)."""
    path = tmp_path_factory.mktemp("look") / "JIT_Inventory.xlsx"
    shutil.copyfile(tiny_workbook, path)
    for command in ("review", "orders", "backtest", "recalc"):
        result = run_cli(command, path)
        assert result.exit_code == 0, result.output
    return path


def sheet_xml(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(sheet_parts(z)[name]))


# ---------------------------------------------------------------------------------
# Reorder: the week's to-do list
# ---------------------------------------------------------------------------------
def test_reorder_rows_to_act_on_come_first_by_supplier_then_the_rest_by_sku(worked):
    frame = sheet_frame(worked, "Reorder")
    status = frame["Status"].fillna("").tolist()
    group = [0 if s == "REORDER" else 1 if s == "CHECK DATA" else 2 for s in status]
    assert group == sorted(group) and group.count(0) > 3 and group.count(2) > 3
    acted = frame[[g < 2 for g in group]]
    keys = list(zip([0 if s == "REORDER" else 1 for s in acted["Status"]],
                    acted["Supplier"].str.casefold(), acted["SKU"].str.casefold()))
    assert keys == sorted(keys)
    rest = frame[[g == 2 for g in group]]["SKU"].str.casefold().tolist()
    assert rest == sorted(rest)
    with zipfile.ZipFile(worked) as z:  # still one Table over every row: the owner's sort and filter work
        tables = [n for n in z.namelist() if n.startswith("xl/tables/")]
        refs = [re.search(rb'<table\b[^>]*\bref="([^"]+)"', z.read(n)).group(1) for n in tables]
    assert f"A1:{K.column_letter(len(K.REORDER.columns))}{len(frame) + 1}".encode() in refs


def test_status_and_stock_flag_are_coloured_down_to_the_last_row(worked):
    root = sheet_xml(worked, "Reorder")
    rules = {cf.get("sqref"): sorted(f.text for f in cf.iterfind(".//m:formula", NS))
             for cf in root.iterfind("m:conditionalFormatting", NS)}
    status, flag = K.REORDER.letter("status"), K.REORDER.letter("stock_flag")
    assert rules[f"{status}2:{status}1048576"] == ['"CHECK DATA"', '"REORDER"']
    assert rules[f"{flag}2:{flag}1048576"] == ['"OBSOLETE"', '"SLOW"']
    review = {cf.get("sqref") for cf in sheet_xml(worked, "Obsolete Review").iterfind("m:conditionalFormatting", NS)}
    flag = K.OBSOLETE_REVIEW.letter("stock_flag")
    assert review == {f"{flag}2:{flag}1048576"}
    with zipfile.ZipFile(worked) as z:  # the fills the rules point at
        dxfs = etree.fromstring(z.read("xl/styles.xml")).find("m:dxfs", NS)
    colours = {d.find(".//m:bgColor", NS).get("rgb")[-6:] for d in dxfs}
    assert {back for back, _ in K.HIGHLIGHTS.values()} <= colours


def test_sku_and_description_and_the_header_row_stay_in_view(worked):
    pane = sheet_xml(worked, "Reorder").find(".//m:pane", NS)
    assert (pane.get("xSplit"), pane.get("ySplit"), pane.get("topLeftCell"), pane.get("state")) == \
        ("2", "1", "C2", "frozen")
    assert sheet_xml(worked, "Orders").find(".//m:pane", NS).get("xSplit") is None  # no SKU there


# ---------------------------------------------------------------------------------
# Widths, wrapping, row heights
# ---------------------------------------------------------------------------------
def test_long_text_wraps_inside_capped_columns_and_rows_are_as_tall_as_it(worked):
    wb = openpyxl.load_workbook(worked)
    ws = wb["Reorder"]
    reason = K.REORDER.letter("reason")
    assert ws.column_dimensions[reason].width == K.WIDTH_CAP
    assert all(ws.column_dimensions[K.column_letter(j)].width <= K.WIDTH_CAP
               for s in K.OUTPUT_SHEETS for j in range(1, len(s.layout.columns) + 1))
    assert ws.row_dimensions[1].height == K.HEADER_HEIGHT and ws["A1"].alignment.wrap_text
    wrapped = [j for j, col in enumerate(K.REORDER.columns, start=1) if K.wraps(col)]
    for row in range(2, ws.max_row + 1):
        assert ws[f"{reason}{row}"].alignment.wrap_text
        # as many lines as its longest text takes, wrapped as text_fit wraps it (checked
        # against LibreOffice's own wrapping in test_text_fit.py)
        lines = max(wrapped_lines([ws.cell(row, j).value], ws.column_dimensions[K.column_letter(j)].width)[0]
                    for j in wrapped)
        assert (ws.row_dimensions[row].height or 15) == 15 * lines, (row, ws[f"{reason}{row}"].value)
    assert ws.row_dimensions[2].height >= 30  # the demo's reasons run over two lines
    assert ws[f"{K.REORDER.letter('supplier')}2"].alignment.wrap_text  # "Local Crafts (consignment)"
    assert not ws[f"{K.REORDER.letter('on_hand')}2"].alignment.wrap_text


# ---------------------------------------------------------------------------------
# Number formats
# ---------------------------------------------------------------------------------
def test_number_formats_per_column_show_what_they_are(worked):
    wb = openpyxl.load_workbook(worked)
    money = '"£"#,##0.00'
    checks = {
        "Reorder": {"On Hand": "General", "On Order": "General", "Order Qty": "#,##0", "Order Value": money,
                    "Service Level": "0.0%", "Daily Demand": "#,##0.0", "Last Sale": "yyyy-mm-dd"},
        "Obsolete Review": {"On Hand": "General", "Stock Value": money},
        "Orders": {"Order Value": money, "Min Order Value": money, "Lines": "#,##0"},
        "Backtest": {"JIT Avg Stock Value": money, "JIT Fill Rate": "0.0%", "Demand Units": "General"},
    }
    for name, columns in checks.items():
        ws = wb[name]
        header = [c.value for c in ws[1]]
        for column, fmt in columns.items():
            j = header.index(column) + 1
            got = {ws.cell(row=r, column=j).number_format for r in range(2, ws.max_row + 1)}
            assert got == {fmt}, (name, column, got)
    assert K.FMT_QTY == "General" and "." not in K.FMT_INT


def test_dashboard_counts_are_integers_money_has_the_currency_percent_is_percent(worked):
    ws = openpyxl.load_workbook(worked)["Dashboard"]
    formats = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).number_format for r in range(2, 15)}
    assert formats["SKUs to reorder"] == formats["Obsolete SKUs"] == formats["Slow SKUs"] == "#,##0"
    assert formats["Stock value (cash tied up)"] == formats["Value to reorder"] == '"£"#,##0.00'
    assert formats["Service level kept (backtest)"] == '0.0"%"'
    assert formats["Stock value: obsolete"] == '"£"#,##0.00'


@pytest.mark.slow
def test_money_follows_the_currency_setting_and_the_footer_the_business_name(worked, tmp_path):
    path = tmp_path / "JIT_Inventory.xlsx"
    shutil.copyfile(worked, path)
    wb = openpyxl.load_workbook(path)  # the owner edits Settings in their spreadsheet program
    for row in wb["Settings"].iter_rows(min_row=2):
        if row[0].value == "Currency":
            row[1].value = "EUR"
        if row[0].value == "Business Name":
            row[1].value = "Smith & Daughters <Ltd>"
    wb.save(path)
    before = zipfile.ZipFile(path).read("xl/styles.xml")
    assert run_cli("recalc", path).exit_code == 0
    wb = openpyxl.load_workbook(path)
    value = K.REORDER.letter("order_value")
    assert {wb["Reorder"][f"{value}{r}"].number_format for r in range(2, wb["Reorder"].max_row + 1)} == {'"€"#,##0.00'}
    assert wb["Dashboard"]["B2"].number_format == '"€"#,##0.00' and wb["Dashboard"]["B7"].number_format == "#,##0"
    assert zipfile.ZipFile(path).read("xl/styles.xml") != before  # a style was added, none changed
    footer = sheet_xml(path, "Reorder").find(".//m:oddFooter", NS).text
    assert footer == "&LSmith && Daughters <Ltd>&C&A&RPage &P of &N"
    assert run_cli("recalc", path).exit_code == 0  # a second run adds nothing more
    again = zipfile.ZipFile(path).read("xl/styles.xml")
    assert again.count(b"<xf ") == zipfile.ZipFile(path).read("xl/styles.xml").count(b"<xf ")


def test_style_book_adds_a_style_once_and_knows_libreoffice_spellings():
    xml = (b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<numFmts count="1"><numFmt numFmtId="164" formatCode="\\&#163;#,##0.00"/></numFmts>'
           b'<cellXfs count="2"><xf numFmtId="0" fontId="0"/><xf numFmtId="164" fontId="1" applyNumberFormat="1">'
           b'<alignment wrapText="1"/></xf></cellXfs></styleSheet>')
    book = StyleBook(xml)
    assert book.with_format("1", '"£"#,##0.00') == "1" and book.xml() is None
    euro = book.with_format("1", '"€"#,##0.00')
    assert euro == "2" and book.with_format("1", '"€"#,##0.00') == "2"
    root = etree.fromstring(book.xml())
    xfs = root.find("m:cellXfs", NS)
    assert xfs.get("count") == "3" and len(xfs) == 3
    assert xfs[2].get("numFmtId") == "165" and xfs[2].get("fontId") == "1" and xfs[2][0].get("wrapText") == "1"
    assert root.find("m:numFmts", NS)[1].get("formatCode") == '"€"#,##0.00'
    assert same_format("0.0%", "0.0%") and not same_format('0.0"%"', "0.0%")


# ---------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------
def chart_parts(path: Path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(path) as z:
        return {n: etree.fromstring(z.read(n)) for n in z.namelist() if re.match(r"xl/charts/chart\d+\.xml$", n)}


def test_every_value_axis_starts_at_zero_and_every_category_is_labelled(worked):
    charts = chart_parts(worked)
    assert len(charts) >= 5
    for name, root in charts.items():
        for axis in root.iterfind(".//c:valAx", NS):
            assert axis.find("c:scaling/c:min", NS).get("val") == "0", name
        for axis in root.iterfind(".//c:catAx", NS):
            assert axis.find("c:tickLblSkip", NS).get("val") == "1", name


def test_month_chart_shows_only_months_with_data(worked):
    log = sheet_frame(worked, "Review Log")
    months = sorted(set(log["Month"]))
    first, last = K.dashboard_rows()["months"]
    ws = openpyxl.load_workbook(worked)["Dashboard"]
    filled = [r for r in range(first, last + 1) if ws.cell(row=r, column=1).value]
    assert len(filled) == len(months) >= 1
    refs = {f.text for root in chart_parts(worked).values() for f in root.iterfind(".//c:f", NS)}
    assert f"'Dashboard'!$A${filled[0]}:$A${last}" in refs and f"'Dashboard'!$B${filled[0]}:$B${last}" in refs
    assert not any(f"${first}:" in r for r in refs if "$A$" in r and first != filled[0])


def _col_px(widths: dict[int, float], col: int) -> int:
    return int(widths.get(col, 8.43) * 7 + 5)


def covered_cells(path: Path, sheet: str) -> list[tuple[str, int, int, int, int]]:
    """(chart, first col, first row, last col, last row), zero-based, of every chart on a sheet."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    widths = {j: ws.column_dimensions[K.column_letter(j)].width or 8.43 for j in range(1, 200)}
    heights = {r: ws.row_dimensions[r].height or 15 for r in range(1, ws.max_row + 400)}

    def col_at(x_emu: int) -> int:
        col, left = 0, 0
        while left + _col_px(widths, col + 1) * EMU_PER_PX <= x_emu:
            left += _col_px(widths, col + 1) * EMU_PER_PX
            col += 1
        return col

    def row_at(y_emu: int) -> int:
        row, top = 0, 0
        while top + heights.get(row + 1, 15) * PT_EMU <= y_emu:
            top += heights.get(row + 1, 15) * PT_EMU
            row += 1
        return row

    def left_of(col: int) -> int:
        return sum(_col_px(widths, j) for j in range(1, col + 1)) * EMU_PER_PX

    def top_of(row: int) -> int:
        return int(sum(heights.get(r, 15) for r in range(1, row + 1)) * PT_EMU)

    with zipfile.ZipFile(path) as z:
        part = sheet_parts(z)[sheet]
        rels = z.read(part.replace("worksheets/", "worksheets/_rels/") + ".rels").decode()
        drawing = re.search(r'Target="/?(xl/drawings/drawing\d+\.xml)"', rels) or \
            re.search(r'Target="\.\./(drawings/drawing\d+\.xml)"', rels)
        name = drawing.group(1) if drawing.group(1).startswith("xl/") else "xl/" + drawing.group(1)
        root = etree.fromstring(z.read(name))
    out = []
    for i, anchor in enumerate(root):
        tag = etree.QName(anchor).localname
        if tag == "absoluteAnchor":
            pos, ext = anchor.find("xdr:pos", NS), anchor.find("xdr:ext", NS)
            x, y = int(pos.get("x")), int(pos.get("y"))
        else:
            frm = anchor.find("xdr:from", NS)
            c, r = int(frm.find("xdr:col", NS).text), int(frm.find("xdr:row", NS).text)
            x = left_of(c) + int(frm.find("xdr:colOff", NS).text)
            y = top_of(r) + int(frm.find("xdr:rowOff", NS).text)
            ext = anchor.find("xdr:ext", NS)
        cx, cy = int(ext.get("cx")), int(ext.get("cy"))
        out.append((f"chart {i + 1}", col_at(x), row_at(y), col_at(x + cx - 1), row_at(y + cy - 1)))
    return out


@pytest.mark.parametrize("sheet", ["Dashboard", "Backtest"])
def test_no_chart_covers_a_filled_cell(worked, sheet):
    ws = openpyxl.load_workbook(worked)[sheet]
    filled = {(c.column - 1, c.row - 1) for row in ws.iter_rows() for c in row if c.value not in (None, "")}
    charts = covered_cells(worked, sheet)
    assert len(charts) >= 2
    for name, c1, r1, c2, r2 in charts:
        hit = [(c, r) for c, r in filled if c1 <= c <= c2 and r1 <= r <= r2]
        assert not hit, (sheet, name, hit[:5])


# ---------------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("sheet", ["Reorder", "Orders", "Obsolete Review", "Dashboard"])
def test_printed_landscape_one_page_wide_header_repeated_footer(worked, sheet):
    root = sheet_xml(worked, sheet)
    setup = root.find("m:pageSetup", NS)
    assert (setup.get("orientation"), setup.get("fitToWidth"), setup.get("fitToHeight")) == ("landscape", "1", "0")
    assert root.find("m:sheetPr/m:pageSetUpPr", NS).get("fitToPage") == "1"
    assert root.find("m:printOptions", NS) is not None
    assert root.find(".//m:oddFooter", NS).text == "&LTiny Test Shop&C&A&RPage &P of &N" or \
        "&C&A&RPage &P of &N" in root.find(".//m:oddFooter", NS).text
    with zipfile.ZipFile(worked) as z:
        book = etree.fromstring(z.read("xl/workbook.xml"))
    names = [s.get("name") for s in book.iterfind(".//m:sheet", NS)]
    titles = {d.get("localSheetId"): d.text for d in book.iterfind(".//m:definedName", NS)
              if d.get("name") == "_xlnm.Print_Titles"}
    assert titles[str(names.index(sheet))] == f"'{sheet}'!$1:$1"


def test_footer_names_the_business_from_the_settings(worked):
    ws = openpyxl.load_workbook(worked, data_only=True)["Settings"]
    business = next(r[1].value for r in ws.iter_rows(min_row=2) if r[0].value == "Business Name")
    footer = sheet_xml(worked, "Reorder").find(".//m:oddFooter", NS).text
    assert footer == f"&L{business.replace('&', '&&')}&C&A&RPage &P of &N"


@pytest.mark.slow
@pytest.mark.libreoffice
def test_libreoffice_opens_and_prints_the_worked_book(worked, tmp_path):
    """LibreOffice converts the result; Reorder prints one page wide with its footer."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    from render_sheets import only_sheets

    copy = tmp_path / "Reorder.xlsx"
    only_sheets(worked, copy, ("Reorder",))
    pdf = lo_convert(copy, "pdf", tmp_path / "pdf")
    from pypdf import PdfReader

    pages = PdfReader(pdf).pages
    text = pages[0].extract_text()
    assert "Reorder" in text and f"Page 1 of {len(pages)}" in text
    assert float(pages[0].mediabox.width) > float(pages[0].mediabox.height)  # landscape
    assert "Reason" in text and "Status" in text  # every column on the one page wide


# ---------------------------------------------------------------------------------
# Orders: file names relative to the Order Folder, as links that open the file
# ---------------------------------------------------------------------------------
def test_orders_show_the_file_name_relative_to_the_order_folder_as_a_link(worked):
    root = sheet_xml(worked, "Orders")
    col = K.ORDERS.letter("order_file")
    cells = [c for c in root.iterfind(".//m:c", NS) if re.fullmatch(f"{col}\\d+", c.get("r")) and c.get("r") != f"{col}1"]
    assert cells
    for cell in cells:
        name = cell.find("m:v", NS).text
        assert not Path(name).is_absolute() and re.fullmatch(r"\d{4}-\d\d-\d\d/PO-[^/]+\.xlsx", name)
        link = re.fullmatch(r'HYPERLINK\("([^"]+)","([^"]+)"\)', cell.find("m:f", NS).text)
        assert link.group(2) == name and link.group(1) == f"orders/{name}"
        assert (worked.parent / link.group(1)).is_file()  # the link opens the order sheet beside the workbook
    drafts = sheet_frame(worked, "Orders")["Email Draft"].dropna()
    assert len(drafts) and all(not Path(d).is_absolute() and d.endswith(".eml") for d in drafts)
