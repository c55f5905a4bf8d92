"""Add missing output sheets to a workbook, part by part (``jit-workbook upgrade``).

A workbook made from an older template, or one whose owner deleted an output sheet,
lacks a sheet the tool writes to, and ``recalc`` stops. :func:`add_missing_sheets`
copies each missing output sheet from the template (exactly as
:func:`jit_workbook.template.build_template` makes it) into the workbook without
re-saving it, the way the output-part patcher works. It adds

- the worksheet part and every part it relates to (its table; the Dashboard's
  drawing and charts) under part names the package does not use yet (Excel and
  LibreOffice renumber parts, so ``sheet10.xml`` may be taken by something else),
  their relationship parts pointing at the new names, and an ``Override`` in
  ``[Content_Types].xml`` for each new part;
- a ``<sheet>`` at the end of the workbook's ``<sheets>`` and its relationship;
- the cell formats the new sheet uses, appended to ``styles.xml``;

and copies every other part unchanged: same name, order, bytes and compression.

Why at the end of the tabs: a sheet's tab position is referred to by
``definedName/@localSheetId``, ``workbookView/@activeTab`` and ``@firstSheet``, and by
some writers' calculation chains. Appending leaves every one of those valid; inserting
in contract order would mean renumbering them.

``docProps/app.xml`` is left alone: its ``TitlesOfParts`` lists the sheet names as the
saving program last saw them, but Excel does not check it against the workbook (it
rewrites it on its next save), so the extra sheet does not need to be listed there.

Styles: the template sheet's ``s`` indices point into the *template's* ``styles.xml``.
Each cell format used (``cellXfs`` entry) is appended to the workbook's ``styles.xml``
with the font, fill, border and custom number format it needs; nothing existing is
renumbered or changed, only the ``count`` attributes. Reused instead of appended: an
existing custom number format with the same code; an existing entry that is identical
(so a sheet deleted and upgraded again does not grow ``styles.xml``); and the
workbook defaults (font 0, fill 0 "none", fill 1 "gray125", border 0, the Normal cell
style), so the new sheet uses the workbook's own default font like its other sheets.
Differential formats (``dxfs``) referenced by the new table or sheet are appended the
same way (built-in table styles, as the template uses, need none).

Not copied: sheet-scoped defined names and cell styles other than Normal (the
template has neither), and custom table styles (it uses built-in ones); a template
that grows any of these makes the copy raise rather than produce a wrong file.

Example::

    add_missing_sheets(Path("JIT_Inventory.xlsx"), Path("JIT_Inventory.xlsx"))
    # ["added sheet 'Data Issues' (table DataIssuesTable)"]
"""

from __future__ import annotations

import functools
import io
import os
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import python_calamine
from lxml import etree

from jit_workbook import contract
from jit_workbook.errors import WorkbookError
from jit_workbook.io.xlsx_parts import (
    REL_TABLE,
    _parse,
    existing_name,
    read_rels,
    rels_part,
    sheet_parts,
    table_parts,
    tag_attrs,
    workbook_part,
    workbook_sheets,
)
from jit_workbook.io.xlsx_patch import atomic_replace, copy_package, open_package
from jit_workbook.template import build_template

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_WORKSHEET_TYPE = REL_NS + "/worksheet"
REL_STYLES = "/styles"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CONTENT_TYPES = "[Content_Types].xml"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
FIRST_CUSTOM_NUM_FMT = 164  # ids below are Excel's built-in number formats

# Children of <styleSheet>, in schema order (CT_Stylesheet).
STYLE_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
               "dxfs", "tableStyles", "colors", "extLst")
# Collections this module appends to: container -> entry tag.
ENTRY_TAG = {"numFmts": "numFmt", "fonts": "font", "fills": "fill", "borders": "border",
             "cellXfs": "xf", "dxfs": "dxf"}


# ---------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------
def add_missing_sheets(src: Path, dst: Path, *, template: bytes | None = None) -> list[str]:
    """Add every missing output sheet (``contract.OUTPUT_SHEETS``) and newer input sheet
    (``contract.UPGRADE_INPUT_SHEETS``: Count, empty) from the template.

    src: the workbook to read (never modified when ``dst`` is another file).
    dst: where to write, atomically (temp file + ``os.replace``); may be ``src``.
    template: the template package to copy sheets from; default
        ``build_template()`` (tests pass their own).

    Returns one line per thing worth telling the owner, in this order:

    - ``added sheet 'Data Issues' (table DataIssuesTable)`` for each sheet added
      (the table gets another name, said in the line, when its name is taken);
    - ``sheet 'Reorder' exists but its header differs from the contract; not changed``;
    - a line ending ``not added`` for a missing sheet that cannot be added because a
      sheet of nearly that name is in the way (other capitals, or a chart sheet).

    Only lines starting with ``added`` are changes. When nothing was added, ``dst``
    is not written if it is ``src``, and is an exact copy of ``src`` otherwise; the
    result is ``[]`` when, in addition, every output sheet's header is as the
    contract says.

    Raises WorkbookError when ``src`` is missing, not an .xlsx, damaged, saved as
    Strict Open XML, or lacks a sheet while its structure is protected. Nothing is
    written then.
    """
    src, dst = Path(src), Path(dst)
    package, zin = open_package(src)
    with zin:
        plan = plan_upgrade(zin, template=template, book_name=src.name)
        lines = plan.lines + _header_notes(package, plan.present, src.name) + plan.blocked
        if plan.added:
            atomic_replace(dst, lambda out: write_upgraded(zin, out, plan, package=package))
        elif not _same_file(src, dst):
            atomic_replace(dst, lambda out: out.write(package))
    return lines


@dataclass
class UpgradePlan:
    """What :func:`plan_upgrade` found and would change.

    replaced: existing part name -> its new bytes.
    added: new part name -> bytes, in the order they are appended to the zip.
    lines: one ``added sheet ...`` line per sheet added.
    blocked: one ``... not added`` line per missing sheet that cannot be added.
    present: output sheets already in the workbook under their exact name.
    workbook: the workbook part name (new zip entries copy its date and attributes).
    """

    replaced: dict[str, bytes] = field(default_factory=dict)
    added: dict[str, bytes] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    workbook: str = ""


def plan_upgrade(zin: zipfile.ZipFile, *, template: bytes | None = None,
                 book_name: str = "The workbook") -> UpgradePlan:
    """The parts :func:`add_missing_sheets` would add and replace; writes nothing."""
    wb_part = workbook_part(zin)
    wb_xml = zin.read(wb_part)
    wb_root = _parse(wb_xml, wb_part)
    if etree.QName(wb_root).namespace != MAIN_NS:
        raise WorkbookError(
            f"{book_name} is saved as 'Strict Open XML Spreadsheet', which this tool cannot update. "
            "Open it in Excel, save it as 'Excel Workbook (*.xlsx)', and run again."
        )
    protection = wb_root.find(f"{{{MAIN_NS}}}workbookProtection")
    locked = protection is not None and protection.get("lockStructure") in ("1", "true")
    listed = [el.get("name", "") for el in wb_root.iter(f"{{{MAIN_NS}}}sheet")]
    worksheets = {name for name, _sheet_id, _part in workbook_sheets(zin)}
    plan = UpgradePlan(workbook=wb_part)
    missing = []
    for spec in contract.OUTPUT_SHEETS + contract.UPGRADE_INPUT_SHEETS:  # Count: newer than old templates
        if spec.name in listed:
            if spec.name in worksheets:
                plan.present.append(spec.name)
            else:
                plan.blocked.append(f"sheet '{spec.name}' is not a worksheet (a chart sheet?); rename it, "
                                  "then run upgrade again; not added")
            continue
        other = next((n for n in listed if n.casefold() == spec.name.casefold()), None)
        if other is not None:  # Excel sheet names are unique regardless of capitals
            plan.blocked.append(f"sheet '{other}' should be named '{spec.name}'; rename it, "
                              "then run upgrade again; not added")
            continue
        missing.append(spec)
    if missing and locked:  # adding a sheet would go round the owner's protection
        raise WorkbookError(
            f"{book_name}: the workbook's structure is protected, so sheets cannot be added. "
            "Unprotect it (Review > Protect Workbook), save, close, and run upgrade again."
        )
    if missing:
        _Upgrade(zin, wb_part, wb_xml, wb_root, _template_zip(template), book_name).run(missing, plan)
    return plan


def write_upgraded(zin: zipfile.ZipFile, out, plan: UpgradePlan, *, package: bytes | None = None) -> None:
    """Write the upgraded package to the binary file ``out``.

    Every existing entry is copied by :func:`~jit_workbook.io.xlsx_patch.copy_package`
    (raw when ``package`` is given); the new parts are appended after them, deflated,
    with the workbook entry's date and attributes.
    """
    buf = io.BytesIO()
    copy_package(zin, buf, replaced=plan.replaced, package=package)
    like = zin.getinfo(plan.workbook)
    with zipfile.ZipFile(buf, "a") as zout:
        for name, data in plan.added.items():
            info = zipfile.ZipInfo(name, date_time=like.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = like.create_system
            info.external_attr = like.external_attr
            zout.writestr(info, data)
    out.write(buf.getvalue())


# ---------------------------------------------------------------------------------
# Adding sheets
# ---------------------------------------------------------------------------------
_TABLE_TAG = re.compile(rb"<(?:[\w.-]+:)?table\b[^>]*>")
_ROOT_PREFIX = re.compile(rb"<((?:[\w.-]+:)?)(?:workbook|Types|Relationships|styleSheet)\b")
_STYLED_TAG = re.compile(rb"<(?:[\w.-]+:)?(c|row|col)\b[^>]*>")
_DXF_ATTR = re.compile(rb"""(\s(?:dxfId|\w+DxfId)\s*=\s*)(["'])(\d+)\2""")
_TABLE_STYLE = re.compile(rb"""<(?:[\w.-]+:)?tableStyleInfo\b[^>]*?\bname\s*=\s*(["'])([^"']*)\1""")


class _Upgrade:
    """One upgrade: the names taken so far, the new parts, and the edits to the shared parts."""

    def __init__(self, zin: zipfile.ZipFile, wb_part: str, wb_xml: bytes, wb_root, tz: zipfile.ZipFile,
                 book_name: str) -> None:
        self.zin, self.wb_part, self.wb_xml, self.wb_root, self.tz = zin, wb_part, wb_xml, wb_root, tz
        wb_rels = read_rels(zin, wb_part)
        self.rel_ids = {r.id for r in wb_rels}
        self.sheet_rel_type = next((r.type for r in wb_rels if r.type.endswith("/worksheet")), REL_WORKSHEET_TYPE)
        styles = next((r.target for r in wb_rels if r.type.endswith(REL_STYLES) and not r.external), None)
        self.styles_part = existing_name(zin, styles) if styles else None
        if self.styles_part is None:
            raise WorkbookError(f"{book_name} has no styles part, so formatted sheets cannot be added. "
                                "Open it in Excel, save it, and run upgrade again.")
        self.types_part = existing_name(zin, CONTENT_TYPES)
        if self.types_part is None:
            raise WorkbookError(f"The workbook {book_name} is damaged: it has no {CONTENT_TYPES}.")
        types_root = _parse(zin.read(self.types_part), self.types_part)

        # Part names in use: zip entries and Overrides (a stale Override must not be doubled).
        self.taken = {n.casefold() for n in zin.namelist()}
        self.taken |= {el.get("PartName", "").lstrip("/").casefold()
                       for el in types_root if _local(el) == "Override"}
        self.defaults = _content_type_defaults(types_root)

        listed = workbook_sheets(zin)
        sheet_ids = [int(el.get("sheetId")) for el in wb_root.iter(f"{{{MAIN_NS}}}sheet")
                     if (el.get("sheetId") or "").isdigit()]
        self.next_sheet_id = max(sheet_ids, default=0) + 1
        tables = {t for _n, _i, part in listed for t in table_parts(zin, part)}
        tables |= {existing_name(zin, el.get("PartName", "").lstrip("/")) for el in types_root
                   if _local(el) == "Override" and el.get("ContentType") == CT_TABLE} - {None}
        # Table names share one namespace with defined names, regardless of capitals.
        self.table_names = {el.get("name", "").casefold() for el in wb_root.iter(f"{{{MAIN_NS}}}definedName")}
        table_ids = []
        for part in tables:
            m = _TABLE_TAG.search(zin.read(part))
            attrs = tag_attrs(m.group(0)) if m else {}
            table_ids += [int(attrs["id"])] if attrs.get("id", "").isdigit() else []
            self.table_names |= {attrs.get(a, "").casefold() for a in ("name", "displayName")}
        self.next_table_id = max(table_ids, default=0) + 1

        wb_dir = posixpath.dirname(wb_part)
        self.folders = {  # where new worksheets and tables go: beside the workbook's own
            "/worksheet": posixpath.dirname(listed[0][2]) if listed else posixpath.join(wb_dir, "worksheets"),
            REL_TABLE: posixpath.dirname(min(tables)) if tables else posixpath.join(wb_dir, "tables"),
        }

        t_wb = workbook_part(tz)
        # The template's only sheet-scoped names are the print titles (header row repeated on
        # every printed page); an added sheet goes without them rather than stop the upgrade.
        if any(el.get("localSheetId") is not None and el.get("name") != "_xlnm.Print_Titles"
               for el in _parse(tz.read(t_wb), t_wb).iter(f"{{{MAIN_NS}}}definedName")):
            raise RuntimeError("the template has sheet-scoped defined names; add_missing_sheets cannot copy them")
        t_wb_rels = read_rels(tz, t_wb)
        self.t_sheets = sheet_parts(tz)
        self.t_shared = {t_wb} | {r.target for r in t_wb_rels if not r.external} - set(self.t_sheets.values())
        t_types = _parse(tz.read(CONTENT_TYPES), CONTENT_TYPES)
        self.t_overrides = {el.get("PartName", "").lstrip("/").casefold(): el.get("ContentType", "")
                            for el in t_types if _local(el) == "Override"}
        self.t_defaults = _content_type_defaults(t_types)
        t_styles = next(r.target for r in t_wb_rels if r.type.endswith(REL_STYLES))
        self.styles = StyleCopier(tz.read(t_styles), zin.read(self.styles_part))
        self.sheet_tags: list[str] = []
        self.rel_tags: list[str] = []
        self.type_tags: list[str] = []

    def run(self, missing: list[contract.Sheet], plan: UpgradePlan) -> None:
        for spec in missing:
            plan.lines.append(self.add_sheet(spec, plan.added))
        plan.replaced[self.wb_part] = _append_children(
            self.wb_xml, _root_prefix(self.wb_xml), b"sheets", "".join(self.sheet_tags).encode("utf-8"))
        rels = existing_name(self.zin, rels_part(self.wb_part))
        plan.replaced[rels] = _append_children(
            self.zin.read(rels), _root_prefix(self.zin.read(rels)), b"Relationships",
            "".join(self.rel_tags).encode("utf-8"))
        types = self.zin.read(self.types_part)
        plan.replaced[self.types_part] = _append_children(
            types, _root_prefix(types), b"Types", "".join(self.type_tags).encode("utf-8"))
        plan.replaced[self.styles_part] = self.styles.result()

    def add_sheet(self, spec: contract.Sheet, added: dict[str, bytes]) -> str:
        """Copy one sheet with every part it relates to; returns the ``added sheet ...`` line."""
        notes: list[str] = []
        sheet_part = self.copy_part(self.t_sheets[spec.name], self.sheet_rel_type, added, notes, {})
        rid = self.fresh_rel_id()
        target = posixpath.relpath(sheet_part, posixpath.dirname(self.wb_part) or ".")
        self.rel_tags.append(f'<Relationship Id="{rid}" Type="{_attr(self.sheet_rel_type)}" Target="{_attr(target)}"/>')
        self.sheet_tags.append(self.sheet_tag(spec.name, rid))
        charts = sum(n == "chart" for n in notes)
        details = [n for n in notes if n != "chart"] + ([f"{charts} chart{'s' * (charts > 1)}"] if charts else [])
        return f"added sheet '{spec.name}' ({', '.join(details) or 'no table'})"

    def copy_part(self, t_part: str, rel_type: str, added: dict[str, bytes], notes: list[str],
                  copied: dict[str, str]) -> str:
        """Copy a template part and, through its relationships, the parts it uses; returns its new name.

        Worksheets get their styles mapped, tables a workbook-unique id and name; other
        parts (drawings, charts, images) are copied as they are. ``copied`` maps template
        part -> new part, so a part used twice is copied once.
        """
        if t_part in copied:
            return copied[t_part]
        if t_part in self.t_shared:
            raise RuntimeError(f"the template's {t_part} is shared by the whole workbook; it cannot be copied")
        folder, base = posixpath.split(t_part)
        kind = next((k for k in self.folders if rel_type.endswith(k)), None)
        new = self.fresh(self.folders.get(kind, folder), base)
        copied[t_part] = new
        added[new] = b""  # placeholder: a part comes before the parts it uses
        rels = []
        for rel in read_rels(self.tz, t_part):
            if rel.external:
                rels.append(f'<Relationship Id="{_attr(rel.id)}" Type="{_attr(rel.type)}" '
                            f'Target="{_attr(rel.target)}" TargetMode="External"/>')
                continue
            child = self.copy_part(rel.target, rel.type, added, notes, copied)
            target = posixpath.relpath(child, posixpath.dirname(new))
            rels.append(f'<Relationship Id="{_attr(rel.id)}" Type="{_attr(rel.type)}" Target="{_attr(target)}"/>')
        data = self.tz.read(t_part)
        if kind == "/worksheet":
            data = self.restyle(data)
        elif kind == REL_TABLE:
            data, note = self.table(data)
            notes.append(note)
        elif rel_type.endswith("/chart"):
            notes.append("chart")
        added[new] = data
        self.content_type(t_part, new)
        if rels:
            rels_name = rels_part(new)
            added[rels_name] = XML_DECLARATION + (
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                + "".join(rels) + "</Relationships>").encode("utf-8")
            self.taken.add(rels_name.casefold())
            self.content_type(rels_part(t_part), rels_name)
        return new

    def content_type(self, t_part: str, new: str) -> None:
        """Give ``new`` the template part's content type: an Override unless a Default already says it."""
        ext = posixpath.splitext(t_part)[1].lstrip(".").casefold()
        wanted = self.t_overrides.get(t_part.casefold()) or self.t_defaults.get(ext)
        if wanted is None:
            raise RuntimeError(f"the template's {t_part} has no content type")
        if self.defaults.get(ext) != wanted or t_part.casefold() in self.t_overrides:
            self.type_tags.append(f'<Override PartName="/{_attr(new)}" ContentType="{_attr(wanted)}"/>')

    def table(self, xml: bytes) -> tuple[bytes, str]:
        """A template table part with a workbook-unique id and name; and how to report it."""
        m = _TABLE_TAG.search(xml)
        name = tag_attrs(m.group(0)).get("name", "Table")
        unique, k = name, 2
        while unique.casefold() in self.table_names:
            unique, k = f"{name}{k}", k + 1
        self.table_names.add(unique.casefold())
        tag = m.group(0)
        for attr, value in (("id", str(self.next_table_id)), ("name", unique), ("displayName", unique)):
            tag = _set_attr(tag, attr, value)
        self.next_table_id += 1
        style = _TABLE_STYLE.search(xml)
        if style and style.group(2).decode() in self.styles.source_table_styles:
            raise RuntimeError(f"table style {style.group(2).decode()} is defined in the template; "
                               "add_missing_sheets copies only built-in table styles")
        xml = self.redxf(xml[: m.start()] + tag + xml[m.end():])
        note = f"table {unique}" if unique == name else f"table {unique}, as {name} is taken"
        return xml, note

    def restyle(self, xml: bytes) -> bytes:
        """The template worksheet with cell, row and column styles pointing into the workbook's styles."""
        def fix(m: re.Match) -> bytes:
            attr = b"style" if m.group(1) == b"col" else b"s"
            return _map_attr(m.group(0), attr, self.styles.xf)
        return self.redxf(_STYLED_TAG.sub(fix, xml))

    def redxf(self, xml: bytes) -> bytes:
        return _DXF_ATTR.sub(lambda d: d.group(1) + d.group(2) + str(self.styles.dxf(int(d.group(3)))).encode()
                             + d.group(2), xml)

    def fresh(self, folder: str, base: str) -> str:
        """``folder/base`` with the first number (1, 2, ...) that no part, nor its rels part, uses.

        ``base`` is the template's name for the part (``chart3.xml`` -> ``chart1.xml``, ``chart2.xml``, ...).
        """
        m = re.match(r"^(.*?)\d*(\.[^.]*)?$", base)
        stem, ext = m.group(1), m.group(2) or ""
        n = 1
        while True:
            name = posixpath.join(folder, f"{stem}{n}{ext}")
            if name.casefold() not in self.taken and rels_part(name).casefold() not in self.taken:
                self.taken.add(name.casefold())
                return name
            n += 1

    def fresh_rel_id(self) -> str:
        numbers = [int(i[3:]) for i in self.rel_ids if i.startswith("rId") and i[3:].isdigit()]
        rid = f"rId{max(numbers, default=0) + 1}"
        while rid in self.rel_ids:
            rid += "x"
        self.rel_ids.add(rid)
        return rid

    def sheet_tag(self, name: str, rid: str) -> str:
        prefix = _root_prefix(self.wb_xml).decode()
        r = next((p for p, uri in self.wb_root.nsmap.items() if p and uri == REL_NS), None)
        declare = "" if r else f' xmlns:r="{REL_NS}"'
        sheet_id = self.next_sheet_id
        self.next_sheet_id += 1
        return f'<{prefix}sheet{declare} name="{_attr(name)}" sheetId="{sheet_id}" {r or "r"}:id="{rid}"/>'


def _content_type_defaults(types_root) -> dict[str, str]:
    """Extension (lower case) -> content type, from the ``Default`` elements of ``[Content_Types].xml``."""
    return {el.get("Extension", "").casefold(): el.get("ContentType", "")
            for el in types_root if _local(el) == "Default"}


# ---------------------------------------------------------------------------------
# Styles
# ---------------------------------------------------------------------------------
class StyleCopier:
    """Copy cell formats and differential formats from one ``styles.xml`` into another.

    source: the styles part the indices refer to (the template's).
    target: the styles part to extend (the workbook's).

    :meth:`xf` and :meth:`dxf` take a zero-based index into the source's ``cellXfs`` /
    ``dxfs`` and return the index of the same format in the target, appending it
    (with the fonts, fills, borders and number formats it uses) when needed.
    :meth:`result` is the target part with everything appended: existing entries keep
    their index and bytes; only ``count`` attributes change.

    >>> copier = StyleCopier(template_styles, workbook_styles)   # doctest: +SKIP
    >>> copier.xf(8), copier.result()                            # doctest: +SKIP
    (12, b'<?xml ...')
    """

    def __init__(self, source: bytes, target: bytes) -> None:
        src = _parse(source, "template styles.xml")
        dst = _parse(target, "styles.xml")
        self.target = target
        self.prefix = _root_prefix(target).decode()
        self.source_entries = {c: _entries(src, c) for c in ENTRY_TAG}
        target_entries = {c: _entries(dst, c) for c in ENTRY_TAG}
        self.count = {c: len(entries) for c, entries in target_entries.items()}
        # Identical entries already in the target are reused, not appended again.
        self.known: dict[str, dict[str, int]] = {c: {} for c in ENTRY_TAG}
        for c, entries in target_entries.items():
            for i, el in enumerate(entries):
                try:
                    self.known[c].setdefault(self.serialize(el), i)
                except ValueError:  # holds another namespace's markup: never identical to ours
                    pass
        self.appended: dict[str, list[str]] = {c: [] for c in ENTRY_TAG}
        self.memo: dict[tuple[str, int], int] = {}
        self.source_formats = {int(el.get("numFmtId")): el.get("formatCode", "")
                               for el in self.source_entries["numFmts"]}
        self.target_formats: dict[str, int] = {}
        for el in target_entries["numFmts"]:
            self.target_formats.setdefault(el.get("formatCode", ""), int(el.get("numFmtId")))
        self.source_normal = _normal_style(src)
        self.target_normal = _normal_style(dst)
        self.source_table_styles = {el.get("name") for el in src.iter(f"{{{MAIN_NS}}}tableStyle")}

    def xf(self, index: int) -> int:
        """Target index of the source's ``cellXfs`` entry ``index``."""
        def make(el) -> str:
            attrs = dict(el.attrib)
            for attr, copy in (("numFmtId", self.num_fmt), ("fontId", self.font),
                               ("fillId", self.fill), ("borderId", self.border)):
                if attr in attrs:
                    attrs[attr] = str(copy(int(attrs[attr])))
            if "xfId" in attrs:
                if int(attrs["xfId"]) != self.source_normal:
                    raise NotImplementedError("only formats based on the Normal cell style can be copied")
                attrs["xfId"] = str(self.target_normal)
            return self.serialize(el, attrs)
        return self._copy("cellXfs", index, make)

    def dxf(self, index: int) -> int:
        """Target index of the source's ``dxfs`` entry ``index``."""
        return self._copy("dxfs", index, self.serialize)

    def font(self, index: int) -> int:
        return 0 if index == 0 else self._copy("fonts", index, self.serialize)

    def fill(self, index: int) -> int:
        return index if index in (0, 1) else self._copy("fills", index, self.serialize)  # none, gray125

    def border(self, index: int) -> int:
        return 0 if index == 0 else self._copy("borders", index, self.serialize)

    def num_fmt(self, num_fmt_id: int) -> int:
        if num_fmt_id not in self.source_formats:
            return num_fmt_id  # built in: the same in every workbook
        code = self.source_formats[num_fmt_id]
        if code not in self.target_formats:
            used = list(self.target_formats.values()) + [FIRST_CUSTOM_NUM_FMT - 1]
            new_id = max(used) + 1
            self.target_formats[code] = new_id
            self.appended["numFmts"].append(
                f'<{self.prefix}numFmt numFmtId="{new_id}" formatCode="{_attr(code)}"/>')
        return self.target_formats[code]

    def result(self) -> bytes:
        """The target styles part with the appended entries (the input bytes when none)."""
        xml = self.target
        prefix = self.prefix.encode()
        for container in STYLE_ORDER:
            entries = self.appended.get(container)
            if not entries:
                continue
            total = self.count[container] + len(entries)
            children = "".join(entries).encode("utf-8")
            new = _append_children(xml, prefix, container.encode(), children, count=total)
            if new is None:  # no such element yet: insert it where the schema wants it
                element = b"<%s%s count=\"%d\">%s</%s%s>" % (prefix, container.encode(), total, children,
                                                            prefix, container.encode())
                later = b"|".join(c.encode() for c in STYLE_ORDER[STYLE_ORDER.index(container) + 1:])
                nxt = re.compile(rb"<" + re.escape(prefix) + rb"(?:" + later + rb")\b").search(xml)
                at = nxt.start() if nxt else xml.rfind(b"</" + prefix + b"styleSheet>")
                new = xml[:at] + element + xml[at:]
            xml = new
        return xml

    def serialize(self, el, attrs: dict[str, str] | None = None) -> str:
        """One entry as XML in the target's prefix (the same text for identical entries)."""
        return _element_xml(el, self.prefix, attrs)

    def _copy(self, container: str, index: int, make: Callable) -> int:
        key = (container, index)
        if key in self.memo:
            return self.memo[key]
        entries = self.source_entries[container]
        if not 0 <= index < len(entries):
            raise ValueError(f"the template's styles have no {ENTRY_TAG[container]} number {index}")
        xml = make(entries[index])
        found = self.known[container].get(xml)
        if found is None:
            found = self.count[container] + len(self.appended[container])
            self.appended[container].append(xml)
            self.known[container][xml] = found
        self.memo[key] = found
        return found


def _entries(root, container: str) -> list:
    box = root.find(f"{{{MAIN_NS}}}{container}")
    return [] if box is None else [el for el in box if _local(el) == ENTRY_TAG[container]]


def _normal_style(root) -> int:
    """Index into cellStyleXfs of the Normal cell style (builtinId 0); 0 when not said."""
    for el in root.iter(f"{{{MAIN_NS}}}cellStyle"):
        if el.get("builtinId") == "0" and (el.get("xfId") or "").isdigit():
            return int(el.get("xfId"))
    return 0


# ---------------------------------------------------------------------------------
# Small XML helpers
# ---------------------------------------------------------------------------------
_ATTR_ESCAPES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def _attr(value: str) -> str:
    return escape(value, _ATTR_ESCAPES)


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _element_xml(el, prefix: str, attrs: dict[str, str] | None = None) -> str:
    """An element of the spreadsheetml namespace as text, tags written with ``prefix``."""
    if etree.QName(el).namespace != MAIN_NS:
        raise ValueError(f"cannot copy {el.tag}: not in the spreadsheetml namespace")
    tag = prefix + etree.QName(el).localname
    out = [f"<{tag}"]
    for key, value in (el.attrib if attrs is None else attrs).items():
        if etree.QName(key).namespace:
            raise ValueError(f"cannot copy the namespaced attribute {key} of {tag}")
        out.append(f' {key}="{_attr(value)}"')
    children = [c for c in el if isinstance(c.tag, str)]
    text = escape(el.text or "")
    if not children and not text:
        return "".join(out) + "/>"
    inner = text + "".join(_element_xml(c, prefix) + escape(c.tail or "") for c in children)
    return "".join(out) + f">{inner}</{tag}>"


def _root_prefix(xml: bytes) -> bytes:
    """The namespace prefix of a part's root element (``b""`` or ``b"x:"``)."""
    m = _ROOT_PREFIX.search(xml)
    return m.group(1) if m else b""


def _append_children(xml: bytes, prefix: bytes, tag: bytes, children: bytes, *, count: int | None = None) -> bytes | None:
    """``xml`` with ``children`` added at the end of the first ``<prefix:tag>`` element.

    count: the new number of children, set on the element's ``count`` attribute if it
    has one. A self-closing ``<tag/>`` is opened up. None when there is no such element.
    """
    m = re.compile(rb"<" + re.escape(prefix) + tag + rb"\b[^>]*?(/?)>").search(xml)
    if m is None:
        return None
    start = m.group(0)
    if count is not None and re.search(rb"\scount\s*=", start):
        start = _set_attr(start, "count", str(count))
    close = b"</" + prefix + tag + b">"
    if m.group(1):
        return xml[: m.start()] + start[:-2].rstrip() + b">" + children + close + xml[m.end():]
    end = xml.find(close, m.end())
    if end < 0:
        raise WorkbookError(f"The workbook is damaged: a <{tag.decode()}> element never ends.")
    return xml[: m.start()] + start + xml[m.end(): end] + children + xml[end:]


def _set_attr(tag: bytes, name: str, value: str) -> bytes:
    """A start tag with attribute ``name`` set to ``value`` (added before the end when absent)."""
    pattern = re.compile(rb"""(\s""" + re.escape(name.encode()) + rb"""\s*=\s*)(["'])[^"']*\2""")
    encoded = _attr(value).encode("utf-8")
    if pattern.search(tag):
        return pattern.sub(lambda a: a.group(1) + a.group(2) + encoded + a.group(2), tag, count=1)
    end = len(tag) - (2 if tag.endswith(b"/>") else 1)
    return tag[:end] + b" " + name.encode() + b'="' + encoded + b'"' + tag[end:]


def _map_attr(tag: bytes, name: bytes, mapping: Callable[[int], int]) -> bytes:
    """A start tag with the integer attribute ``name`` passed through ``mapping`` (unchanged when absent)."""
    pattern = re.compile(rb"""(\s""" + re.escape(name) + rb"""\s*=\s*)(["'])(\d+)\2""")
    return pattern.sub(lambda a: a.group(1) + a.group(2) + str(mapping(int(a.group(3)))).encode() + a.group(2),
                       tag, count=1)


# ---------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _built_template() -> bytes:
    return build_template()  # deterministic: the same bytes on every call


def _template_zip(template: bytes | None) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(template if template is not None else _built_template()))


def _header_notes(package: bytes, names: list[str], book_name: str) -> list[str]:
    """``sheet 'X' exists but its header differs ...`` for each sheet whose row 1 is not the contract's."""
    if not names:
        return []
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(package))
        rows = {n: book.get_sheet_by_name(n).to_python(skip_empty_area=False, nrows=1) for n in names}
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise WorkbookError(f"{book_name} cannot be read as a workbook ({exc}); is it damaged?") from exc
    lines = []
    for name in names:
        header = list(rows[name][0]) if rows[name] else []
        while header and header[-1] in ("", None):
            header.pop()
        if header != contract.sheet(name).header:
            lines.append(f"sheet '{name}' exists but its header differs from the contract; not changed")
    return lines


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
