"""Wire the Excel buttons to Python: the runner module, and a workbook with real buttons.

How a click reaches our code (xlwings open source only; checked in the installed
xlwings' own VBA, ``xlwings.bas`` / ``addin/Main.bas`` / ``addin/RibbonXlwings.bas``, and
the VBA inside ``quickstart_standalone.xlsm``, read with oletools' ``olevba``):

1. A button on the sheet runs the VBA macro :data:`MACRO` (``SampleCall``, module
   ``Module1`` of the standalone quickstart), or the owner clicks the xlwings add-in's
   "Run main" (``RunMain``). Both compute the module name the same way::

       mymodule = Left(wb.Name, InStrRev(wb.Name, ".") - 1)   ' the file name without its extension
       RunPython "import " & mymodule & ";" & mymodule & ".main()"

2. ``RunPython`` starts ``python -B -c "import xlwings.utils;
   xlwings.utils.prepare_sys_path(...); import <module>;<module>.main()" --wb=<name> ...``
   (``ExecuteWindows``; with "Use UDF Server" the same command runs in the COM server).
   ``prepare_sys_path`` puts the workbook's folder first on ``sys.path``
   (``ADD_WORKBOOK_TO_PYTHONPATH``, default true).
3. So ``<module>.py`` beside the workbook is imported; :func:`write_runner_module`
   writes it, and its ``main()`` calls :func:`jit_workbook.excel.main`, which finds the
   workbook with ``xw.Book.caller()`` and runs the action of the active sheet.

Nothing in that chain renames anything: no setting (``UDF_MODULES``, ``xlwings.conf``)
changes the module ``RunMain``/``SampleCall`` import, so the workbook's name must itself
be an importable module name — see :func:`runner_module_name`.

No VBA compiler exists here, so :func:`build_macro_workbook` takes the compiled VBA
project (``xl/vbaProject.bin``) from the installed xlwings' ``quickstart_standalone.xlsm``
at run time (it is never copied into this repository) and joins it to our template at
the zip-part level, with one form-control button (VML legacy drawing) per button sheet.
"""

from __future__ import annotations

import importlib.util
import io
import keyword
import posixpath
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from . import contract as K
from .errors import WorkbookError
from .io.xlsx_parts import read_rels, rels_part, sheet_parts, workbook_part

# The macro of xlwings' standalone quickstart VBA that runs "import <workbook name>; <...>.main()".
MACRO = "SampleCall"
VBA_SOURCE = "quickstart_standalone.xlsm"
RUNNER_MARK = "# Written by jit-workbook"

CT_MACRO_WORKBOOK = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CT_VBA_PROJECT = "application/vnd.ms-office.vbaProject"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
REL_VBA_PROJECT = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
REL_VML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing"
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
# Worksheet children that come after <legacyDrawing> (CT_Worksheet sequence, ECMA-376 §18.3.1.99).
_AFTER_LEGACY_DRAWING = ("legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
                         "webPublishItems", "tableParts", "extLst")

_RUNNER = '''"""Runs the jit-workbook buttons of {workbook}.

xlwings imports this module when a button (or the add-in's "Run main") is clicked
in {workbook}: it runs "import {module}; {module}.main()". Keep it beside the
workbook, named like it. Rewrite it with jit_workbook.excel_setup.write_runner_module.
"""
{mark}: jit_workbook.excel_setup.write_runner_module

import xlwings as xw

from jit_workbook import excel


def main():
    """The action of the sheet the owner is on (see jit_workbook.excel.ACTIONS_BY_SHEET)."""
    return excel.main()


if __name__ == "__main__":  # python {module}.py: run against the workbook open in Excel
    xw.Book({workbook!r}).set_mock_caller()
    main()
'''


def runner_module_name(workbook: Path | str) -> str:
    """The Python module xlwings imports for ``workbook``: its file name without extension.

    xlwings' ``RunMain`` (add-in ribbon) and the standalone ``SampleCall`` macro both
    build ``"import " & <name> & ";" & <name> & ".main()"`` from the workbook's name
    with no replacement of any character, so ``JIT Inventory 2026.xlsm`` would run
    ``import JIT Inventory 2026; ...`` — a SyntaxError before any of our code runs — and
    ``2026-stock.xlsm`` or ``import.xlsm`` likewise. xlwings offers no setting to
    change that module name (``UDF_MODULES`` in ``xlwings.conf`` only names the modules
    *Import Functions* scans for UDFs), and its own ``quickstart`` refuses such project
    names. A name already taken by another module (``json``, ``pandas``, ``xlwings``,
    ``jit_workbook`` ...) would import that module instead of ours.

    Raises WorkbookError naming a usable file name (``JIT_Inventory_2026.xlsm``).

    >>> runner_module_name(Path("shop/JIT_Inventory.xlsm"))
    'JIT_Inventory'
    """
    workbook = Path(workbook)
    name = workbook.stem
    if not name.isidentifier() or keyword.iskeyword(name):
        better = re.sub(r"\W+", "_", name).strip("_") or "JIT_Inventory"
        if better[0].isdigit() or keyword.iskeyword(better):
            better = "JIT_" + better
        raise WorkbookError(
            f'"{workbook.name}" cannot have Excel buttons: xlwings runs "import {name}" for them, and '
            f'"{name}" is not a Python module name (letters, digits and _ only, not starting with a '
            f'digit). Rename the workbook, e.g. to "{better}{workbook.suffix}", and run again.')
    taken = _existing_module(name, workbook.with_name(f"{name}.py"))
    if taken:
        raise WorkbookError(
            f'"{workbook.name}" cannot have Excel buttons: xlwings would run "import {name}", which '
            f"is {taken}. Rename the workbook, e.g. to \"{name}_stock{workbook.suffix}\", and run again.")
    return name


def _existing_module(name: str, ours: Path) -> str | None:
    """What else ``import name`` would find first, described for the owner; None when nothing."""
    if name in sys.builtin_module_names or name in getattr(sys, "stdlib_module_names", ()):
        return f"Python's own {name} module"
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) != str(ours):
        return f"the installed {name} module"
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or (spec.origin and Path(spec.origin).resolve() == ours.resolve()):
        return None
    return f"the installed {name} module"


def write_runner_module(workbook: Path | str) -> Path:
    """Write ``<workbook stem>.py`` beside ``workbook``; its ``main()`` runs :func:`jit_workbook.excel.main`.

    This is the module the xlwings add-in's "Run main" and our buttons import (see the
    module docstring for the chain and :func:`runner_module_name` for names that cannot
    work). An existing file is replaced only when jit-workbook wrote it.

    Returns the path written. Raises WorkbookError for an unusable workbook name or
    when a file of the owner's already has the module's name.

    Example::

        write_runner_module(Path("JIT_Inventory.xlsm"))   # -> Path("JIT_Inventory.py")
    """
    workbook = Path(workbook)
    module = runner_module_name(workbook)
    target = workbook.with_name(f"{module}.py")
    if target.exists() and RUNNER_MARK not in target.read_text(encoding="utf-8", errors="replace"):
        raise WorkbookError(
            f"{target} already exists and was not written by jit-workbook. Move it away (the buttons "
            f"of {workbook.name} need that name) and run again.")
    target.write_text(_RUNNER.format(workbook=workbook.name, module=module, mark=RUNNER_MARK), encoding="utf-8")
    return target


def xlwings_vba_project() -> bytes:
    """The compiled VBA project (``xl/vbaProject.bin``) of the installed xlwings'
    standalone quickstart: xlwings' ``RunPython`` plus the :data:`MACRO` button macro."""
    import xlwings

    source = Path(xlwings.__file__).with_name(VBA_SOURCE)
    try:
        with zipfile.ZipFile(source) as zf:
            return zf.read("xl/vbaProject.bin")
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise WorkbookError(
            f"The installed xlwings ({xlwings.__version__}) has no usable {VBA_SOURCE} ({exc}); "
            "reinstall it with: pip install --force-reinstall xlwings") from exc


def build_macro_workbook(path: Path | str) -> Path:
    """Write a fresh macro-enabled workbook (``.xlsm``) with buttons, for ``jit-workbook new PATH.xlsm --macros``.

    The template's sheets, plus xlwings' VBA project (:func:`xlwings_vba_project`) and one
    form-control button on each sheet of :data:`jit_workbook.excel.BUTTON_SHEETS`, captioned
    with that sheet's action and bound to :data:`MACRO`. The buttons need the runner module
    beside the workbook: call :func:`write_runner_module` too. Excel asks the owner to
    enable macros on first opening.

    Returns ``path``. Raises WorkbookError when ``path`` does not end in ``.xlsm`` or its
    name cannot be a module name (see :func:`runner_module_name`); nothing is written then.
    """
    from .excel import BUTTON_SHEETS, action_for
    from .io.xlsx_patch import atomic_replace
    from .template import build_template

    path = Path(path)
    if path.suffix.lower() != ".xlsm":
        raise WorkbookError(f"{path}: a workbook with buttons must be a macro-enabled workbook ending in .xlsm")
    runner_module_name(path)
    captions = {name: action_for(name).label for name in BUTTON_SHEETS}
    data = add_macros(build_template(), xlwings_vba_project(), captions)
    atomic_replace(path, lambda fh: fh.write(data))
    return path


# ---------------------------------------------------------------------------------
# The zip-part work
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Button:
    """Where a button sits, in pixels on the sheet (zero-based column and row, as VML anchors count)."""

    col: int
    left: int    # pixels from the column's left edge
    right: int   # pixels from the column's left edge
    top: int     # pixels from the top of row 1
    height: int
    x: int       # pixels from the sheet's left edge, for the VML style


def add_macros(xlsx: bytes, vba: bytes, buttons: dict[str, str], macro: str = MACRO) -> bytes:
    """An ``.xlsx`` package turned macro-enabled: ``vba`` added as ``xl/vbaProject.bin``, the
    workbook's content type switched, VBA code names set (``ThisWorkbook``, ``Sheet1``...,
    in tab order, as in the VBA project's document modules), and a form-control button on
    each sheet of ``buttons`` (sheet name -> caption) that runs ``macro``.

    Every other part is copied unchanged. Raises KeyError for a button sheet the
    package does not have.
    """
    zin = zipfile.ZipFile(io.BytesIO(xlsx))
    parts = {info.filename: zin.read(info.filename) for info in zin.infolist()}
    wb = workbook_part(zin)
    sheets = sheet_parts(zin)
    missing = [name for name in buttons if name not in sheets]
    if missing:
        raise KeyError(f"the workbook has no sheet {missing[0]!r} for a button")

    vba_part = posixpath.join(posixpath.dirname(wb), "vbaProject.bin")
    parts[vba_part] = vba
    _add_relationship(parts, zin, wb, REL_VBA_PROJECT, posixpath.basename(vba_part))
    parts[wb] = _set_code_name(parts[wb], "workbookPr", "ThisWorkbook")
    overrides = {"/" + wb: CT_MACRO_WORKBOOK, "/" + vba_part: CT_VBA_PROJECT}
    k = 0  # drawings made so far
    for i, (name, part) in enumerate(sheets.items(), start=1):
        xml = _set_code_name(parts[part], "sheetPr", f"Sheet{i}")
        if name in buttons:
            k += 1
            vml_part = _free_name(parts, f"xl/drawings/vmlDrawing{k}.vml")
            spot = _place_button(xml, K.sheet(name) if name in K.SHEETS_BY_NAME else None, buttons[name])
            parts[vml_part] = _button_vml(k, spot, buttons[name], macro)
            rid = _add_relationship(parts, zin, part, REL_VML, posixpath.relpath(vml_part, posixpath.dirname(part)))
            xml = _add_legacy_drawing(xml, rid)
        parts[part] = xml
    parts["[Content_Types].xml"] = _content_types(parts["[Content_Types].xml"], overrides, {"vml": CT_VML})

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            _write_part(zout, info.filename, parts.pop(info.filename), info.date_time)
        for name, body in parts.items():  # the new parts, after the template's
            _write_part(zout, name, body, zin.infolist()[0].date_time)
    return out.getvalue()


def _write_part(zout: zipfile.ZipFile, name: str, body: bytes, when: tuple) -> None:
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    zout.writestr(info, body)


def _free_name(parts: dict, wanted: str) -> str:
    stem, ext = posixpath.splitext(wanted)
    name, n = wanted, 1
    while name in parts:
        n += 1
        name = f"{stem}_{n}{ext}"
    return name


def _xml(body: bytes) -> etree._Element:
    return etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))


def _dump(root: etree._Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + etree.tostring(root, encoding="UTF-8",
                                                                                       xml_declaration=False)


def _add_relationship(parts: dict, zin: zipfile.ZipFile, source: str, rel_type: str, target: str) -> str:
    """Add a relationship to ``source``'s .rels part (created if absent); returns its new Id."""
    name = rels_part(source)
    taken = {r.id for r in read_rels(zin, source)}
    if name in parts:
        root = _xml(parts[name])
        taken |= {el.get("Id") for el in root}
    else:
        root = etree.Element(f"{{{NS_PR}}}Relationships", nsmap={None: NS_PR})
    rid = next(f"rId{n}" for n in range(1, len(taken) + 2) if f"rId{n}" not in taken)
    etree.SubElement(root, f"{{{NS_PR}}}Relationship", Id=rid, Type=rel_type, Target=target)
    parts[name] = _dump(root)
    return rid


def _set_code_name(body: bytes, tag: str, code_name: str) -> bytes:
    """``<workbookPr codeName=...>`` / ``<sheetPr codeName=...>``, created as the right child if absent."""
    root = _xml(body)
    el = root.find(f"{{{NS_MAIN}}}{tag}")
    if el is None:
        el = etree.Element(f"{{{NS_MAIN}}}{tag}")
        if tag == "sheetPr":  # first child of <worksheet>
            root.insert(0, el)
        else:  # after <fileVersion>/<fileSharing> in <workbook>
            before = [i for i, c in enumerate(root) if etree.QName(c).localname in ("fileVersion", "fileSharing")]
            root.insert(before[-1] + 1 if before else 0, el)
    el.set("codeName", code_name)
    return _dump(root)


def _add_legacy_drawing(body: bytes, rid: str) -> bytes:
    root = _xml(body)
    el = etree.Element(f"{{{NS_MAIN}}}legacyDrawing", nsmap={"r": NS_R})
    el.set(f"{{{NS_R}}}id", rid)
    after = [i for i, c in enumerate(root) if etree.QName(c).localname in _AFTER_LEGACY_DRAWING]
    root.insert(after[0] if after else len(root), el)
    return _dump(root)


def _content_types(body: bytes, overrides: dict[str, str], defaults: dict[str, str]) -> bytes:
    root = _xml(body)
    for el in root.findall(f"{{{NS_CT}}}Override"):
        if el.get("PartName") in overrides:
            el.set("ContentType", overrides.pop(el.get("PartName")))
    have = {el.get("Extension", "").lower() for el in root.findall(f"{{{NS_CT}}}Default")}
    for ext, ctype in defaults.items():
        if ext not in have:
            root.insert(0, etree.Element(f"{{{NS_CT}}}Default", Extension=ext, ContentType=ctype))
    for part, ctype in overrides.items():
        etree.SubElement(root, f"{{{NS_CT}}}Override", PartName=part, ContentType=ctype)
    return _dump(root)


# -- button geometry and drawing --------------------------------------------------------
def _column_pixels(width_chars: float) -> int:
    """Pixel width of a column whose ``<col width>`` is ``width_chars`` (Calibri 11: 7-pixel digits;
    ECMA-376 §18.3.1.13)."""
    return int(((256 * width_chars + 128 // 7) / 256) * 7)


def _place_button(sheet_xml: bytes, spec: K.Sheet | None, caption: str) -> Button:
    """A spot in header row 1 that hides nothing: the right part of the first header cell
    wide enough to hold the button beside its header text and left of its filter arrow;
    else just right of the table. Sizes in pixels, estimated for bold Calibri 11."""
    root = _xml(sheet_xml)
    widths: dict[int, float] = {}
    for col in root.iter(f"{{{NS_MAIN}}}col"):
        for c in range(int(col.get("min", "1")), int(col.get("max", "1")) + 1):
            widths[c] = float(col.get("width", "8.43"))
    names = spec.names if spec else []
    ncols = max([len(names), *widths.keys()] or [1])
    px = [_column_pixels(widths.get(c, 8.43)) for c in range(1, ncols + 2)]
    width = max(90, 7 * len(caption) + 24)
    height, top, arrow = 28, 6, 22  # row 1 is 30 pt = 40 px high in the template
    for j, name in enumerate(names):
        text = 7 * len(name) + 8
        if px[j] - text - arrow >= width:
            return Button(j, px[j] - arrow - width, px[j] - arrow, top, height, sum(px[:j]) + px[j] - arrow - width)
    j = ncols  # no room in any header cell: the first column right of the table
    return Button(j, 8, 8 + width, top, height, sum(px[:j]) + 8)


def _button_vml(k: int, b: Button, caption: str, macro: str) -> bytes:
    """A VML legacy drawing with one form-control button (the markup Excel writes for
    Developer > Insert > Button; shape ids start at 1024 × k + 1 for the k-th drawing)."""
    pt = 0.75  # points per pixel
    style = (f"position:absolute;margin-left:{b.x * pt:g}pt;margin-top:{b.top * pt:g}pt;"
             f"width:{(b.right - b.left) * pt:g}pt;height:{b.height * pt:g}pt;z-index:1;mso-wrap-style:tight")
    anchor = f"{b.col}, {b.left}, 0, {b.top}, {b.col}, {b.right}, 0, {b.top + b.height}"
    return f"""<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" \
xmlns:x="urn:schemas-microsoft-com:office:excel">
 <o:shapelayout v:ext="edit">
  <o:idmap v:ext="edit" data="{k}"/>
 </o:shapelayout>
 <v:shapetype id="_x0000_t201" coordsize="21600,21600" o:spt="201" path="m,l,21600r21600,l21600,xe">
  <v:stroke joinstyle="miter"/>
  <v:path shadowok="f" o:extrusionok="f" strokeok="f" fillok="f" o:connecttype="rect"/>
  <o:lock v:ext="edit" shapetype="t"/>
 </v:shapetype>
 <v:shape id="_x0000_s{1024 * k + 1}" type="#_x0000_t201" style="{style}" o:button="t" \
fillcolor="buttonFace [67]" strokecolor="windowText [64]" o:insetmode="auto">
  <v:fill color2="buttonFace [67]" o:detectmouseclick="t"/>
  <o:lock v:ext="edit" rotation="t"/>
  <v:textbox style="mso-direction-alt:auto" o:singleclick="f">
   <div style="text-align:center"><font face="Calibri" size="220" color="#000000">{escape(caption)}</font></div>
  </v:textbox>
  <x:ClientData ObjectType="Button">
   <x:Anchor>{anchor}</x:Anchor>
   <x:PrintObject>False</x:PrintObject>
   <x:AutoFill>False</x:AutoFill>
   <x:FmlaMacro>[0]!{escape(macro)}</x:FmlaMacro>
   <x:TextHAlign>Center</x:TextHAlign>
   <x:TextVAlign>Center</x:TextVAlign>
  </x:ClientData>
 </v:shape>
</xml>
""".encode()
