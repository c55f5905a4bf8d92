"""Wiring the buttons: the runner module xlwings imports, and the macro workbook with real buttons.

The chain a click follows is checked piece by piece against the installed xlwings (its
VBA, read with oletools' olevba, and its ``prepare_sys_path``), then run end to end on
the openpyxl test engine. Excel itself is not here: see the module docstring of
jit_workbook/excel_setup.py for what only a real Excel can confirm.
"""

from __future__ import annotations

import re
import shutil
import sys
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw
from lxml import etree

from jit_workbook import actions, demo, excel
from jit_workbook import contract as K
from jit_workbook.errors import WorkbookError
from jit_workbook.excel_setup import (MACRO, build_macro_workbook, runner_module_name, write_runner_module,
                                      xlwings_vba_project)
from jit_workbook.io.file_book import FileBook
from jit_workbook.io.xlsx_parts import read_rels, sheet_parts, workbook_part
from jit_workbook.io.xlsx_patch import patch_sheets

with warnings.catch_warnings():  # oletools' pyparsing grammar warns on import
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser

try:
    from conftest import lo_convert
    from xlwings_engine import xl_engine  # noqa: F401
except ImportError:  # tests/ became a package
    from tests.conftest import lo_convert
    from tests.xlwings_engine import xl_engine  # noqa: F401

XLWINGS = Path(xw.__file__).parent
# How xlwings turns a workbook name into the module it imports (both button paths).
MODULE_FROM_NAME = re.compile(r'mymodule = Left\((\w+)\.Name, \(InStrRev\(\1\.Name, "\.", -1, vbTextCompare\) - 1\)\)')
IMPORT_AND_MAIN = 'RunPython "import " & mymodule & ";" & mymodule & ".main()"'


def vba_code(path: Path) -> dict[str, str]:
    """VBA module name -> source code, as olevba reads it from a workbook."""
    parser = VBA_Parser(str(path))
    try:
        return {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def buttons(path: Path) -> dict[str, dict]:
    """Sheet name -> {"caption", "macro", "anchor"} of each form-control button in the file."""
    ns = {"v": "urn:schemas-microsoft-com:vml", "x": "urn:schemas-microsoft-com:office:excel"}
    found = {}
    with zipfile.ZipFile(path) as zf:
        for name, part in sheet_parts(zf).items():
            for rel in read_rels(zf, part):
                if not rel.type.endswith("/vmlDrawing"):
                    continue
                root = etree.fromstring(zf.read(rel.target))
                for shape in root.iterfind("v:shape", ns):
                    data = shape.find("x:ClientData", ns)
                    if data is not None and data.get("ObjectType") == "Button":
                        found[name] = {"caption": "".join(shape.find("v:textbox", ns).itertext()).strip(),
                                       "macro": data.findtext("x:FmlaMacro", namespaces=ns),
                                       "anchor": [int(v) for v in data.findtext("x:Anchor", namespaces=ns).split(",")]}
    return found


@pytest.fixture(scope="module")
def macro_book(tmp_path_factory) -> Path:
    return build_macro_workbook(tmp_path_factory.mktemp("macros") / "JIT_Inventory.xlsm")


@pytest.fixture
def macro_shop(macro_book, tmp_path) -> Path:
    """The macro workbook holding the tiny demo shop's inputs, with its runner module beside it."""
    path = tmp_path / "JIT_Inventory.xlsm"
    shutil.copyfile(macro_book, path)
    patch_sheets(path, path, demo.make_shop("tiny"))  # as the demo writes its shops
    write_runner_module(path)
    return path


# -- what xlwings does with the workbook's name --------------------------------------


def test_both_button_paths_import_the_module_named_like_the_workbook():
    """The evidence behind runner_module_name: the add-in's Run main and the standalone macro."""
    ribbon = (XLWINGS / "addin" / "RibbonXlwings.bas").read_text(encoding="latin-1")
    run_main = ribbon[ribbon.index("Sub RunMain("):ribbon.index("End Sub", ribbon.index("Sub RunMain("))]
    assert MODULE_FROM_NAME.search(run_main).group(1) == "wb" and IMPORT_AND_MAIN in run_main
    sample = vba_code(XLWINGS / "quickstart_standalone.xlsm")["Module1"]
    assert f"Sub {MACRO}()" in sample
    assert MODULE_FROM_NAME.search(sample).group(1) == "ThisWorkbook" and IMPORT_AND_MAIN in sample


@pytest.mark.parametrize("name, better", [
    ("JIT Inventory 2026.xlsx", "JIT_Inventory_2026.xlsx"),
    ("jit-inventory.xlsm", "jit_inventory.xlsm"),
    ("2026 stock.xlsm", "JIT_2026_stock.xlsm"),
    ("import.xlsm", "JIT_import.xlsm"),
])
def test_names_xlwings_cannot_import_are_refused_with_a_better_name(tmp_path, name, better):
    stem = Path(name).stem
    with pytest.raises(SyntaxError):  # what RunPython would run for this workbook
        compile(f"import {stem};{stem}.main()", "<RunPython>", "exec")
    with pytest.raises(WorkbookError, match=re.escape(f'e.g. to "{better}"')):
        write_runner_module(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["json.xlsm", "xlwings.xlsm", "jit_workbook.xlsm", "pandas.xlsm"])
def test_names_of_other_modules_are_refused(tmp_path, name):
    with pytest.raises(WorkbookError, match="Rename the workbook"):
        runner_module_name(tmp_path / name)


def test_runner_module_is_named_like_the_workbook_and_never_replaces_the_owners_file(tmp_path):
    book = tmp_path / "JIT_Inventory.xlsm"
    module = write_runner_module(book)
    assert module == tmp_path / "JIT_Inventory.py"
    assert write_runner_module(book) == module  # ours: rewritten
    module.write_text("def main():\n    print('mine')\n")
    with pytest.raises(WorkbookError, match="was not written by jit-workbook"):
        write_runner_module(book)
    assert "mine" in module.read_text()


def test_a_click_runs_main_through_the_runner_module(xl_engine, macro_shop, monkeypatch):
    """What SampleCall/RunMain make Python do, with xlwings' own prepare_sys_path."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(macro_shop.parent.parent)  # not the workbook's folder: prepare_sys_path must find it
    book = xw.Book(macro_shop)
    book.sheets["Reorder"].activate()
    xl_engine.set_caller(book)
    fullname = str(macro_shop)
    xw.utils.prepare_sys_path(f"true;{fullname};{fullname};;;;")
    try:
        exec("import JIT_Inventory;JIT_Inventory.main()", {})
    finally:
        sys.modules.pop("JIT_Inventory", None)
    (alert,) = xl_engine.alerts
    assert alert["prompt"].startswith("40 SKUs: ") and alert["mode"] == "info"
    assert ("Reorder!$A$2:$X$41", (40, 24)) in xl_engine.value_writes


# -- the macro workbook ----------------------------------------------------------------


def test_macro_workbook_is_macro_enabled_with_xlwings_vba(macro_book):
    with zipfile.ZipFile(macro_book) as zf:
        types = etree.fromstring(zf.read("[Content_Types].xml"))
        overrides = {el.get("PartName"): el.get("ContentType") for el in types if el.get("PartName")}
        assert overrides["/" + workbook_part(zf)] == "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
        assert overrides["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
        assert "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml" not in overrides.values()
        assert zf.read("xl/vbaProject.bin") == xlwings_vba_project()  # taken from the installed xlwings
        assert [r.target for r in read_rels(zf, "xl/workbook.xml") if r.type.endswith("/vbaProject")] == [
            "xl/vbaProject.bin"]
        # VBA code names tie the sheets to the VBA project's document modules
        wb = etree.fromstring(zf.read("xl/workbook.xml"))
        assert wb.find("{*}workbookPr").get("codeName") == "ThisWorkbook"
        names = [etree.fromstring(zf.read(p)).find("{*}sheetPr").get("codeName") for p in sheet_parts(zf).values()]
        assert names == [f"Sheet{i}" for i in range(1, len(K.ALL_SHEETS) + 1)]
    wb = openpyxl.load_workbook(macro_book, keep_vba=True)
    assert wb.sheetnames == [s.name for s in K.ALL_SHEETS]


def test_every_button_runs_a_macro_of_the_vba_project(macro_book):
    found = buttons(macro_book)
    assert set(found) == set(excel.BUTTON_SHEETS) == {"Reorder", "Orders", "Obsolete Review", "Backtest"}
    code = vba_code(macro_book)
    for sheet, button in found.items():
        macro = button["macro"].removeprefix("[0]!")
        assert re.search(rf"^Sub {macro}\(\)", "\n".join(code.values()), re.M), (sheet, macro)
        assert button["caption"] == excel.action_for(sheet).label
        col, _, row, _, col2, _, row2, _ = button["anchor"]
        assert (row, row2) == (0, 0) and col == col2 >= 1  # in the header row, not over column A
    assert "RunPython" in code["xlwings"] and "Function RunPython" in code["xlwings"]


def test_captions_follow_the_actions_registry(tmp_path, monkeypatch):
    monkeypatch.setitem(excel.ACTIONS_BY_SHEET, "Orders", excel.Action("Draft Orders", lambda book: None))
    found = buttons(build_macro_workbook(tmp_path / "JIT_Inventory.xlsm"))
    assert {s: b["caption"] for s, b in found.items()} == {
        "Reorder": "Recalculate", "Orders": "Draft Orders", "Obsolete Review": "Monthly Review",
        "Backtest": "Backtest"}


@pytest.mark.parametrize("name, message", [("JIT_Inventory.xlsx", "must be a macro-enabled workbook ending in .xlsm"),
                                           ("JIT Inventory.xlsm", "is not a Python module name")])
def test_macro_workbook_refuses_names_that_cannot_work(tmp_path, name, message):
    with pytest.raises(WorkbookError, match=message):
        build_macro_workbook(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_recalc_on_the_command_line_keeps_the_macros_and_buttons(macro_shop):
    before = zipfile.ZipFile(macro_shop)
    kept = {n: before.read(n) for n in before.namelist() if n.endswith((".bin", ".vml", ".rels"))}
    kept["[Content_Types].xml"] = before.read("[Content_Types].xml")
    actions.recalculate(FileBook(macro_shop))
    after = zipfile.ZipFile(macro_shop)
    assert {n: after.read(n) for n in kept} == kept
    assert set(buttons(macro_shop)) == set(excel.BUTTON_SHEETS)
    assert len(list(openpyxl.load_workbook(macro_shop)["Reorder"].iter_rows(min_row=2))) == 40


@pytest.mark.libreoffice
def test_libreoffice_opens_it_and_binds_the_buttons_to_the_macro(soffice, macro_book, tmp_path):
    assert lo_convert(macro_book, "pdf", tmp_path / "pdf").stat().st_size > 0
    ods = lo_convert(macro_book, "ods", tmp_path / "ods")
    content = zipfile.ZipFile(ods).read("content.xml").decode()
    labels = re.findall(r'<form:button [^>]*form:label="([^"]*)"', content)
    targets = re.findall(r'xlink:href="vnd\.sun\.star\.script:([^?"]*)', content)
    assert sorted(labels) == sorted(excel.action_for(s).label for s in excel.BUTTON_SHEETS)
    assert targets == [f"VBAProject.Module1.{MACRO}"] * len(excel.BUTTON_SHEETS)  # LibreOffice found the macro in the VBA project
