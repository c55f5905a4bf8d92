"""The committed template is exactly what scripts/build_template.py makes, and it follows the contract."""

from pathlib import Path

import openpyxl
import pytest

from jit_workbook import contract as K
from jit_workbook.settings import Settings
from jit_workbook.template import build_template

from conftest import lo_convert

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "JIT_Inventory.xlsx"


def test_committed_template_matches_the_builder():
    assert TEMPLATE.read_bytes() == build_template(), (
        "templates/JIT_Inventory.xlsx is stale: run `make template` and commit it")


def test_build_is_deterministic():
    assert build_template() == build_template()


def test_every_sheet_and_column_of_the_contract(tmp_path):
    wb = openpyxl.load_workbook(TEMPLATE)
    assert wb.sheetnames == [s.name for s in K.ALL_SHEETS]
    for sheet in K.ALL_SHEETS:
        ws = wb[sheet.name]
        assert [c.value or "" for c in ws[1]] == sheet.header, sheet.name
        assert ws.freeze_panes == f"{K.column_letter(K.frozen_columns(sheet) + 1)}2"
        table = ws.tables[sheet.table]
        last = K.column_letter(len(sheet.columns))
        assert table.ref.startswith("A1:" + last)
        assert [c.name for c in table.tableColumns] == sheet.names
        for j, col in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=2, column=j)
            if sheet is not K.SETTINGS:
                wanted = K.number_formats(sheet, "GBP").get(col.field, col.number_format)
                wanted = wanted[0] if isinstance(wanted, tuple) else wanted
                assert cell.number_format == wanted, (sheet.name, col.name)
            assert ws.column_dimensions[K.column_letter(j)].width == K.display_width(col)


def test_settings_sheet_lists_every_setting_with_its_default():
    ws = openpyxl.load_workbook(TEMPLATE)["Settings"]
    rows = [(r[0].value, r[1].value) for r in ws.iter_rows(min_row=2)]
    assert rows == [(label, None if default == "" else default) for label, default, _ in Settings.rows()]


def test_drop_downs_on_choice_columns():
    wb = openpyxl.load_workbook(TEMPLATE)
    validations = {str(dv.sqref): dv.formula1 for dv in wb["Stock"].data_validations.dataValidation}
    assert validations["O2:O1048576"] == '"Yes,No"'
    assert validations["P2:P1048576"] == '"Active,Discontinued,Do Not Reorder"'
    review = {str(dv.sqref): dv.formula1 for dv in wb["Obsolete Review"].data_validations.dataValidation}
    assert review["L2:L1048576"] == '"Keep,Markdown,Return,Dispose,Bundle"'


@pytest.mark.libreoffice
def test_template_opens_in_libreoffice(tmp_path, soffice):
    pdf = lo_convert(TEMPLATE, "pdf", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000


def test_every_chart_shows_its_axes_and_rates_start_at_zero():
    """openpyxl 3.1 leaves out <c:delete val="0"/>, and Excel then hides the axes."""
    import re
    import zipfile

    with zipfile.ZipFile(TEMPLATE) as zf:
        charts = {n: zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/charts/chart")}
    assert len(charts) == 5  # three on Dashboard, two on Backtest
    for name, xml in charts.items():
        axes = re.findall(r"<(?:c:)?(catAx|valAx)>(.*?)</(?:c:)?\1>", xml)
        assert len(axes) == 2, name
        for _, body in axes:
            assert re.search(r'<(?:c:)?delete val="0"/>', body), name
    rate = [xml for xml in charts.values() if "Fill rate" in xml]
    assert len(rate) == 1 and re.search(r'<(?:c:)?max val="1"/><(?:c:)?min val="0"/>', rate[0])
