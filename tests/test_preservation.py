"""File mode changes only the tool's own sheets: everything else stays byte for byte.

The owner's workbook here is saved by a real spreadsheet program (LibreOffice) after
the owner added a sheet with formulas and their cached results, a chart, an image,
comments, data validation, conditional formatting and a defined name.
"""

import io
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from jit_workbook.cli import cli
from jit_workbook.demo import write_shop
from jit_workbook.io.xlsx_parts import sheet_parts, table_parts

from conftest import lo_convert

pytestmark = pytest.mark.libreoffice


def add_owner_things(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("My Notes")
    ws["A1"], ws["B1"] = "Item", "Value"
    for r in range(2, 7):
        ws[f"A{r}"] = f"Line {r}"
        ws[f"B{r}"] = r * 10
    ws["C1"] = "=SUM(B2:B6)"
    ws["C2"] = "=Stock!F2*2"
    ws["C3"] = '=COUNTIF(Reorder!V:V,"REORDER")'
    ws["A8"].comment = Comment("Ask Jo about this", "Owner")
    dv = DataValidation(type="list", formula1='"a,b,c"')
    dv.add("D2:D10")
    ws.add_data_validation(dv)
    ws.conditional_formatting.add("B2:B6", CellIsRule(operator="greaterThan", formula=["30"], fill=None))
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=6), titles_from_data=True)
    ws.add_chart(chart, "F2")
    try:
        from PIL import Image as PILImage
        from openpyxl.drawing.image import Image

        buf = io.BytesIO()
        PILImage.new("RGB", (20, 20), (200, 30, 30)).save(buf, "PNG")
        ws.add_image(Image(buf), "F20")
    except ImportError:
        pass
    wb.defined_names["OwnerRange"] = DefinedName("OwnerRange", attr_text="'My Notes'!$B$2:$B$6")
    wb["Stock"]["F2"] = "=3+4"  # an input that is a formula: its calculated value is read
    wb["Stock"]["B5"].comment = Comment("check supplier", "Owner")
    wb.save(path)


@pytest.fixture(scope="module")
def owner_book(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("owner")
    raw = work / "raw"
    raw.mkdir()
    path = write_shop("tiny", raw / "JIT_Inventory.xlsx")
    add_owner_things(path)
    return lo_convert(path, "xlsx", work / "saved")  # LibreOffice re-saves it, as the owner's program would


def tool_parts(zf: zipfile.ZipFile) -> set[str]:
    parts = sheet_parts(zf)
    own = {"xl/workbook.xml", "xl/calcChain.xml"}
    for name in ("Reorder", "Dashboard", "Data Issues"):
        own.add(parts[name])
        own.update(table_parts(zf, parts[name]))
    return own


def test_recalc_changes_only_the_tool_sheets(owner_book, tmp_path):
    path = tmp_path / "JIT_Inventory.xlsx"
    shutil.copyfile(owner_book, path)
    result = CliRunner().invoke(cli, ["recalc", str(path)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(owner_book) as before, zipfile.ZipFile(path) as after:
        assert [i.filename for i in after.infolist()] == [i.filename for i in before.infolist()]
        own = tool_parts(before)
        kinds = {n.split("/")[1] for n in before.namelist() if n.startswith("xl/") and "/" in n[3:]}
        assert {"charts", "drawings", "media"} <= kinds  # the owner's things really are in the file
        for name in before.namelist():
            if name not in own:
                assert after.read(name) == before.read(name), f"{name} changed"
        assert b"fullCalcOnLoad=\"1\"" in after.read("xl/workbook.xml")

    values = openpyxl.load_workbook(path, data_only=True)
    notes = values["My Notes"]
    assert notes["C1"].value == 200 and notes["C2"].value == 14  # cached results kept
    reorder = values["Reorder"]
    stock_sku = values["Stock"]["A2"].value
    row = next(r for r in reorder.iter_rows(min_row=2, values_only=True) if r[0] == stock_sku)
    assert row[4] == 7  # On Hand came from the formula's calculated value


def test_recalculated_file_opens_in_libreoffice(owner_book, tmp_path):
    path = tmp_path / "JIT_Inventory.xlsx"
    shutil.copyfile(owner_book, path)
    assert CliRunner().invoke(cli, ["recalc", str(path)]).exit_code == 0
    pdf = lo_convert(path, "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    again = lo_convert(path, "xlsx", tmp_path / "resaved")
    reorder = openpyxl.load_workbook(again, data_only=True)["Reorder"]
    assert reorder.max_row == 41  # 40 SKUs + header, as LibreOffice reads it
