"""``add_missing_sheets``: output sheets put back from the template, every other byte as it was.

Fixtures are demo workbooks whose owner deleted output sheets (openpyxl deletes them,
then LibreOffice re-saves the file, so part names, numbering and styles are a real
spreadsheet program's own, not the template's). Results are read back from disk with
openpyxl, python-calamine and LibreOffice, and the parts nobody should touch are
compared byte for byte.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from lxml import etree
from openpyxl.chart import BarChart
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.table import Table
from python_calamine import CalamineWorkbook

from jit_workbook import contract
from jit_workbook.cli import cli
from jit_workbook.demo import write_shop
from jit_workbook.errors import WorkbookError
from jit_workbook.io.xlsx_parts import sheet_parts, table_parts
from jit_workbook.io.xlsx_patch import patch_sheets
from jit_workbook.io.xlsx_upgrade import StyleCopier, add_missing_sheets
from jit_workbook.template import build_template

from conftest import lo_convert
from xlsx_compare import assert_same_parts, read_parts

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DELETED = ("Orders", "Dashboard", "Data Issues")  # Dashboard brings a drawing with three charts
SHARED = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}
ADDED = [
    "added sheet 'Orders' (table OrdersTable)",
    "added sheet 'Dashboard' (table DashboardTable, 3 charts)",
    "added sheet 'Data Issues' (table DataIssuesTable)",
]


def owner_edit(path: Path, delete=(), edit=None) -> Path:
    """Delete sheets (and make other edits) the way an owner's program would: load, change, save."""
    wb = openpyxl.load_workbook(path)
    for name in delete:
        del wb[name]
    if edit:
        edit(wb)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def lo_missing(tmp_path_factory) -> Path:
    """The tiny shop without Orders, Dashboard and Data Issues, as LibreOffice saves it."""
    work = tmp_path_factory.mktemp("missing")
    path = owner_edit(write_shop("tiny", work / "JIT_Inventory.xlsx"), DELETED)
    return lo_convert(path, "xlsx", work / "saved")


@pytest.fixture(scope="module")
def lo_clash(tmp_path_factory) -> Path:
    """Data Issues deleted, and an owner sheet whose table is called DataIssuesTable."""
    work = tmp_path_factory.mktemp("clash")

    def own_table(wb):
        ws = wb.create_sheet("My Notes")
        ws.append(["Note", "When"])
        ws.append(["ring the supplier", "Monday"])
        ws.add_table(Table(displayName="DataIssuesTable", ref="A1:B2"))

    path = owner_edit(write_shop("tiny", work / "JIT_Inventory.xlsx"), ["Data Issues"], own_table)
    return lo_convert(path, "xlsx", work / "saved")


@pytest.fixture
def book(tmp_path) -> Path:
    """A tiny shop straight from the template (no LibreOffice)."""
    return write_shop("tiny", tmp_path / "JIT_Inventory.xlsx")


def copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "JIT_Inventory.xlsx"
    shutil.copyfile(src, dst)
    return dst


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


# ---------------------------------------------------------------------------------
# The added sheets look exactly like the template's
# ---------------------------------------------------------------------------------
@pytest.mark.libreoffice
def test_added_sheets_match_the_contract_and_the_template(lo_missing, tmp_path):
    path = copy(lo_missing, tmp_path)
    assert add_missing_sheets(path, path) == ADDED

    wb = openpyxl.load_workbook(path)
    template = openpyxl.load_workbook(io.BytesIO(build_template()))
    assert wb.sheetnames[-3:] == list(DELETED)  # appended after the owner's last tab
    calamine = CalamineWorkbook.from_path(str(path))
    for name in DELETED:
        spec, ws, exp = contract.sheet(name), wb[name], template[name]
        assert [c.value or "" for c in ws[1]] == spec.header
        assert calamine.get_sheet_by_name(name).to_python(skip_empty_area=False)[0] == spec.header
        assert ws.freeze_panes == f"{contract.column_letter(contract.frozen_columns(spec) + 1)}2"
        for j, col in enumerate(spec.columns, start=1):
            letter = contract.column_letter(j)
            assert ws.column_dimensions[letter].width == contract.display_width(col), (name, col.name)
            wanted = contract.number_formats(spec, "GBP").get(col.field, col.number_format)
            wanted = wanted[0] if isinstance(wanted, tuple) else wanted
            assert ws.cell(2, j).number_format == wanted, (name, col.name)
        assert all(c.font.b and c.alignment.wrap_text for c in ws[1] if c.value)
        # Every cell of the template sheet: same value, format, fill and boldness.
        for row in exp.iter_rows():
            for cell in row:
                got = ws[cell.coordinate]
                assert (got.value, got.number_format, got.fill.fgColor.rgb, bool(got.font.b)) == (
                    cell.value, cell.number_format, cell.fill.fgColor.rgb, bool(cell.font.b)), cell.coordinate
        (table,) = ws.tables.values()
        (exp_table,) = exp.tables.values()
        assert table.name == spec.table and table.ref == exp_table.ref
        assert [c.name for c in table.tableColumns] == spec.names
        assert table.tableStyleInfo.name == exp_table.tableStyleInfo.name
        assert [(str(dv.sqref), dv.formula1) for dv in ws.data_validations.dataValidation] == [
            (str(dv.sqref), dv.formula1) for dv in exp.data_validations.dataValidation]
    assert len(wb["Dashboard"]._charts) == 3


@pytest.mark.libreoffice
def test_only_the_shared_parts_change_and_only_by_insertion(lo_missing, tmp_path):
    path = copy(lo_missing, tmp_path)
    before = read_parts(path, strip_volatile=False)
    add_missing_sheets(path, path)
    after = read_parts(path, strip_volatile=False)

    # Every existing part: same name, same place; all but four byte for byte.
    assert_same_parts({n: data for n, data in after.items() if n in before}, before, ignore=SHARED)
    new = [n for n in after if n not in before]
    assert list(after)[len(before):] == new  # new parts come after all existing ones
    assert sum(n.startswith("xl/worksheets/sheet") for n in new) == 3
    assert sum(n.startswith("xl/charts/chart") for n in new) == 3

    # workbook.xml, its rels and the content types: the originals plus appended elements.
    added_sheets = re.findall(rb'<sheet name="[^"]*" sheetId="\d+" r:id="rId\d+"/>', after["xl/workbook.xml"])
    assert len(added_sheets) == 3
    assert after["xl/workbook.xml"].replace(b"".join(added_sheets), b"") == before["xl/workbook.xml"]
    for part, tag in (("xl/_rels/workbook.xml.rels", rb"Relationship"), ("[Content_Types].xml", rb"Override")):
        closing = b"</" + (b"Relationships" if tag == b"Relationship" else b"Types") + b">"
        head, tail = before[part].rsplit(closing, 1)
        assert after[part].startswith(head) and after[part].endswith(closing + tail)
        inserted = after[part][len(head):-len(closing + tail)]
        assert re.fullmatch(rb"(?:<" + tag + rb' [^>]*/>)+', inserted), inserted
    overrides = re.findall(rb'PartName="([^"]+)"', after["[Content_Types].xml"])
    assert len(overrides) == len(set(overrides))
    assert {"/" + n for n in new if not n.endswith(".rels")} <= {o.decode() for o in overrides}

    # styles.xml: every existing entry kept in place, new ones appended, counts right.
    old, got = etree.fromstring(before["xl/styles.xml"]), etree.fromstring(after["xl/styles.xml"])
    for box in ("numFmts", "fonts", "fills", "borders", "cellXfs", "dxfs"):
        exp_entries = [etree.tostring(e) for e in old.find(MAIN + box)]
        got_entries = [etree.tostring(e) for e in got.find(MAIN + box)]
        assert got_entries[: len(exp_entries)] == exp_entries, box
        assert int(got.find(MAIN + box).get("count")) == len(got_entries), box
    for box in ("cellStyleXfs", "cellStyles", "colors"):
        assert etree.tostring(got.find(MAIN + box)) == etree.tostring(old.find(MAIN + box)), box
    assert len(got.find(MAIN + "cellXfs")) > len(old.find(MAIN + "cellXfs"))


@pytest.mark.libreoffice
def test_recalc_and_the_patcher_write_the_added_sheets_and_libreoffice_renders_them(lo_missing, tmp_path):
    path = copy(lo_missing, tmp_path)
    refused = run("recalc", path)
    assert refused.exit_code == 2 and "jit-workbook upgrade" in refused.output
    add_missing_sheets(path, path)

    issues = pd.DataFrame({"sheet": ["Sales"], "cell": ["C14"], "sku": ["SKU-1"], "problem": ["not a number"]})
    orders = pd.DataFrame({f: [None] for f in contract.ORDERS.fields} | {"po_number": ["PO-1"], "order_value": [12.5]})
    patch_sheets(path, path, {"Data Issues": issues, "Orders": orders})
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Data Issues").to_python()
    assert rows == [contract.DATA_ISSUES.names, ["Sales", "C14", "SKU-1", "not a number"]]
    ws = openpyxl.load_workbook(path)["Orders"]
    assert (ws["A2"].value, ws["E2"].value, ws["E2"].number_format) == ("PO-1", 12.5, contract.money_format("GBP"))
    assert ws.tables["OrdersTable"].ref == "A1:J2"

    done = run("recalc", path)
    assert done.exit_code == 0, done.output
    pdf = lo_convert(path, "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    again = openpyxl.load_workbook(lo_convert(path, "xlsx", tmp_path / "resaved"))
    assert {"Orders", "Dashboard", "Data Issues"} <= set(again.sheetnames)
    assert len(again["Dashboard"]._charts) == 3


@pytest.mark.libreoffice
def test_second_run_changes_nothing(lo_missing, tmp_path):
    path = copy(lo_missing, tmp_path)
    add_missing_sheets(path, path)
    before, stamp = path.read_bytes(), path.stat().st_mtime_ns
    assert add_missing_sheets(path, path) == []
    assert path.read_bytes() == before and path.stat().st_mtime_ns == stamp


@pytest.mark.libreoffice
def test_taken_table_name_is_made_unique_and_reported(lo_clash, tmp_path):
    path = copy(lo_clash, tmp_path)
    assert add_missing_sheets(path, path) == [
        "added sheet 'Data Issues' (table DataIssuesTable2, as DataIssuesTable is taken)"]
    wb = openpyxl.load_workbook(path)
    assert list(wb["Data Issues"].tables) == ["DataIssuesTable2"]
    assert list(wb["My Notes"].tables) == ["DataIssuesTable"]
    with zipfile.ZipFile(path) as zf:
        ids = [re.search(rb'<table [^>]*\bid="(\d+)"', zf.read(t)).group(1)
               for part in sheet_parts(zf).values() for t in table_parts(zf, part)]
    assert len(ids) == len(set(ids)) == len(contract.ALL_SHEETS) + 1
    assert run("recalc", path).exit_code == 0
    assert openpyxl.load_workbook(path)["Data Issues"].tables["DataIssuesTable2"].ref == "A1:D2"


# ---------------------------------------------------------------------------------
# Nothing to add, and what is reported instead of changed
# ---------------------------------------------------------------------------------
def test_complete_workbook_is_left_alone(book, tmp_path):
    before, stamp = book.read_bytes(), book.stat().st_mtime_ns
    assert add_missing_sheets(book, book) == []
    assert book.read_bytes() == before and book.stat().st_mtime_ns == stamp
    other = tmp_path / "copy.xlsx"
    assert add_missing_sheets(book, other) == []
    assert other.read_bytes() == before


def test_other_destination_leaves_the_source_alone(book, tmp_path):
    owner_edit(book, ["Data Issues"])
    before = book.read_bytes()
    out = tmp_path / "upgraded.xlsx"
    assert add_missing_sheets(book, out) == ["added sheet 'Data Issues' (table DataIssuesTable)"]
    assert book.read_bytes() == before
    assert openpyxl.load_workbook(out).sheetnames[-1] == "Data Issues"


def test_header_that_differs_is_reported_not_changed(book):
    owner_edit(book, ["Data Issues"], lambda wb: wb["Reorder"].cell(1, 1, "Item"))
    reorder = _part_bytes(book, "Reorder")
    assert add_missing_sheets(book, book) == [
        "added sheet 'Data Issues' (table DataIssuesTable)",
        "sheet 'Reorder' exists but its header differs from the contract; not changed",
    ]
    assert _part_bytes(book, "Reorder") == reorder
    # Nothing missing: only the report, and the file is not rewritten.
    before = book.read_bytes()
    assert add_missing_sheets(book, book) == [
        "sheet 'Reorder' exists but its header differs from the contract; not changed"]
    assert book.read_bytes() == before


def test_sheet_named_in_other_capitals_is_not_doubled(book):
    # openpyxl will not rename a sheet to other capitals of its own name; edit workbook.xml.
    with zipfile.ZipFile(book) as zf:
        parts = {i: zf.read(i) for i in zf.infolist()}
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts.items():
            zf.writestr(info, data.replace(b'name="Data Issues"', b'name="data issues"'))
    before = book.read_bytes()
    assert add_missing_sheets(book, book) == [
        "sheet 'data issues' should be named 'Data Issues'; rename it, then run upgrade again; not added"]
    assert book.read_bytes() == before


def test_chart_sheet_in_the_way_is_reported(book):
    def chart_sheet(wb):
        wb.create_chartsheet("Dashboard").add_chart(BarChart())

    owner_edit(book, ["Dashboard"], chart_sheet)
    before = book.read_bytes()
    assert add_missing_sheets(book, book) == [
        "sheet 'Dashboard' is not a worksheet (a chart sheet?); rename it, then run upgrade again; not added"]
    assert book.read_bytes() == before


def test_protected_structure_is_not_gone_round(book):
    def protect(wb):
        wb.security = WorkbookProtection(lockStructure=True)

    owner_edit(book, ["Data Issues"], protect)
    before = book.read_bytes()
    with pytest.raises(WorkbookError, match=r"structure is protected.*Review > Protect Workbook"):
        add_missing_sheets(book, book)
    assert book.read_bytes() == before


@pytest.mark.libreoffice
def test_workbook_saved_by_openpyxl_opens_in_libreoffice(book, tmp_path):
    """openpyxl declares the relationships prefix on each <sheet>, not on <workbook>."""
    owner_edit(book, ["Orders", "Data Issues"])
    assert "r" not in etree.fromstring(zipfile.ZipFile(book).read("xl/workbook.xml")).nsmap
    add_missing_sheets(book, book)
    assert CalamineWorkbook.from_path(str(book)).sheet_names[-2:] == ["Orders", "Data Issues"]
    resaved = openpyxl.load_workbook(lo_convert(book, "xlsx", tmp_path / "lo"))
    assert resaved.sheetnames[-2:] == ["Orders", "Data Issues"]
    assert [c.value or "" for c in resaved["Orders"][1]] == contract.ORDERS.header


@pytest.mark.parametrize("content, message", [(b"not a zip", "is not an Excel workbook"), (None, "does not exist")])
def test_not_a_workbook(tmp_path, content, message):
    path = tmp_path / "JIT_Inventory.xlsx"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(WorkbookError, match=message):
        add_missing_sheets(path, path)
    assert content is None or path.read_bytes() == content


# ---------------------------------------------------------------------------------
# StyleCopier on its own
# ---------------------------------------------------------------------------------
PREFIXED_STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<x:styleSheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<x:fonts count="1"><x:font><x:sz val="10"/><x:name val="Arial"/></x:font></x:fonts>'
    b'<x:fills count="2"><x:fill><x:patternFill patternType="none"/></x:fill>'
    b'<x:fill><x:patternFill patternType="gray125"/></x:fill></x:fills>'
    b'<x:borders count="1"><x:border/></x:borders>'
    b'<x:cellStyleXfs count="1"><x:xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></x:cellStyleXfs>'
    b'<x:cellXfs count="1"><x:xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></x:cellXfs>'
    b'<x:cellStyles count="1"><x:cellStyle name="Normal" xfId="0" builtinId="0"/></x:cellStyles>'
    b'<x:tableStyles count="0"/></x:styleSheet>'
)


def _template_styles() -> bytes:
    with zipfile.ZipFile(io.BytesIO(build_template())) as zf:
        return zf.read("xl/styles.xml")


def test_style_copier_appends_in_the_targets_prefix_and_creates_missing_lists():
    source = _template_styles()
    src = etree.fromstring(source)
    xfs = src.find(MAIN + "cellXfs")
    formats = {int(e.get("numFmtId")): e.get("formatCode") for e in src.find(MAIN + "numFmts")}
    copier = StyleCopier(source, PREFIXED_STYLES)
    got_index = {i: copier.xf(i) for i in range(len(xfs))}
    result = copier.result()

    root = etree.fromstring(result)  # still well-formed, every element in the main namespace
    assert b"<xf " not in result and b"<numFmt " not in result  # written with the x: prefix
    assert [etree.QName(c).localname for c in root] == [
        "numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "tableStyles"]
    got_xfs = root.find(MAIN + "cellXfs")
    assert int(got_xfs.get("count")) == len(got_xfs) and got_xfs[0].get("numFmtId") == "0"  # kept first
    got_formats = {int(e.get("numFmtId")): e.get("formatCode") for e in root.find(MAIN + "numFmts")}
    assert min(got_formats) >= 164 and int(root.find(MAIN + "numFmts").get("count")) == len(got_formats)
    for i, xf in enumerate(xfs):  # every template format means the same in the target
        got = got_xfs[got_index[i]]
        exp_fmt = int(xf.get("numFmtId"))
        assert got_formats.get(int(got.get("numFmtId")), int(got.get("numFmtId"))) == formats.get(exp_fmt, exp_fmt)
        for attr, box, defaults in (("fontId", "fonts", 1), ("fillId", "fills", 2), ("borderId", "borders", 1)):
            if int(xf.get(attr)) < defaults:  # the workbook's defaults stand for the template's
                assert got.get(attr) == xf.get(attr)
                continue
            exp = src.find(MAIN + box)[int(xf.get(attr))]
            assert _shape(root.find(MAIN + box)[int(got.get(attr))]) == _shape(exp)

    # Copying into the result again finds every entry already there: nothing appended.
    again = StyleCopier(source, result)
    assert {i: again.xf(i) for i in range(len(xfs))} == got_index
    assert again.result() == result


def test_style_copier_reuses_a_number_format_code_and_copies_dxfs():
    source = _template_styles().replace(
        b'<tableStyles', b'<dxfs count="1"><dxf><font><b val="1"/></font></dxf></dxfs><tableStyles')
    target = PREFIXED_STYLES.replace(
        b"<x:fonts", b'<x:numFmts count="1"><x:numFmt numFmtId="200" formatCode="0.0%"/></x:numFmts><x:fonts')
    src = etree.fromstring(source)
    percent = next(i for i, xf in enumerate(src.find(MAIN + "cellXfs"))
                   if any(f.get("formatCode") == "0.0%" and f.get("numFmtId") == xf.get("numFmtId")
                          for f in src.find(MAIN + "numFmts")))
    copier = StyleCopier(source, target)
    assert copier.dxf(0) == 0
    index = copier.xf(percent)
    root = etree.fromstring(copier.result())
    assert root.find(MAIN + "cellXfs")[index].get("numFmtId") == "200"
    assert len(root.find(MAIN + "numFmts")) == 1  # reused, not appended
    dxfs = root.find(MAIN + "dxfs")
    assert dxfs.get("count") == "1" and dxfs[0][0][0].tag == MAIN + "b"
    assert [etree.QName(c).localname for c in root][-2:] == ["dxfs", "tableStyles"]


def _shape(el) -> tuple:
    """An element's name, attributes and children, whatever its namespace prefix."""
    return etree.QName(el).localname, dict(el.attrib), [_shape(c) for c in el]


def _part_bytes(path: Path, sheet: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(sheet_parts(zf)[sheet])
