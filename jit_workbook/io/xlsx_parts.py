"""Find the parts of an .xlsx package: the workbook, its sheets, their tables and error cells.

An .xlsx file is a zip of XML *parts* tied together by *relationships* (``_rels/*.rels``).
Part names are never assumed: ``sheet3.xml`` in our template may be ``sheet7.xml`` after
Excel or LibreOffice saved the file, so every lookup goes package -> workbook -> sheet
through the relationship parts, the way Excel itself does.

Part names in this module are zip entry names without a leading slash
(``"xl/worksheets/sheet1.xml"``). Cell positions are one-based ``(row, column)`` tuples,
Excel style: ``A1`` is ``(1, 1)``.

Example::

    with zipfile.ZipFile("JIT_Inventory.xlsx") as zf:
        sheet_parts(zf)["Reorder"]          # 'xl/worksheets/sheet6.xml'
        error_cells(zf, sheet_parts(zf)["Sales"])  # {(14, 3): '#N/A'}
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass
from urllib.parse import unquote
from xml.sax.saxutils import unescape

from lxml import etree

from jit_workbook.errors import WorkbookError

# Relationship types end the same way in transitional and strict OOXML; match the ending.
REL_OFFICE_DOCUMENT = "/officeDocument"
REL_WORKSHEET = "/worksheet"
REL_TABLE = "/table"
REL_CALC_CHAIN = "/calcChain"

_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


@dataclass(frozen=True)
class Relationship:
    """One ``<Relationship>`` of a ``.rels`` part.

    id: the ``Id`` attribute (``rId3``).
    type: the full relationship type URI.
    target: the target resolved to a part name (no leading slash), or the raw
        target for external relationships.
    external: ``TargetMode="External"`` (a URL or a file outside the package).
    """

    id: str
    type: str
    target: str
    external: bool = False


def rels_part(part: str) -> str:
    """The relationship part of a part: ``xl/workbook.xml`` -> ``xl/_rels/workbook.xml.rels``.

    The package itself is the empty part name ``""`` -> ``_rels/.rels``.
    """
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def resolve_target(source_part: str, target: str) -> str:
    """Resolve a relationship target against the part that owns the relationship.

    ``("xl/workbook.xml", "worksheets/sheet1.xml")`` -> ``"xl/worksheets/sheet1.xml"``;
    absolute targets (``"/xl/worksheets/sheet1.xml"``) are taken from the package root;
    ``..`` segments are collapsed.
    """
    if target.startswith("/"):
        path = target.lstrip("/")
    else:
        path = posixpath.join(posixpath.dirname(source_part), target)
    path = posixpath.normpath(path)
    return "" if path == "." else path


def existing_name(zf: zipfile.ZipFile, part: str) -> str | None:
    """The zip entry name of a part, or None when the package has no such part.

    OPC part names are case-insensitive and may be percent-encoded in relationship
    targets, so an exact miss is retried case-insensitively and unquoted.
    """
    names = _name_index(zf)
    for candidate in (part, unquote(part)):
        if candidate in names["exact"]:
            return candidate
        found = names["folded"].get(candidate.casefold())
        if found is not None:
            return found
    return None


def read_rels(zf: zipfile.ZipFile, part: str) -> list[Relationship]:
    """Relationships of a part (empty list when the part has no ``.rels``), in file order."""
    name = existing_name(zf, rels_part(part))
    if name is None:
        return []
    root = _parse(zf.read(name), name)
    rels = []
    for el in root:
        if not isinstance(el.tag, str) or etree.QName(el).localname != "Relationship":
            continue
        external = el.get("TargetMode", "Internal") == "External"
        raw = el.get("Target", "")
        target = raw if external else resolve_target(part, raw)
        if not external:
            target = existing_name(zf, target) or target
        rels.append(Relationship(el.get("Id", ""), el.get("Type", ""), target, external))
    return rels


def workbook_part(zf: zipfile.ZipFile) -> str:
    """The workbook part name, found through the package's officeDocument relationship.

    Raises WorkbookError when the file is a zip but not a spreadsheet package.
    """
    for rel in read_rels(zf, ""):
        if rel.type.endswith(REL_OFFICE_DOCUMENT) and not rel.external:
            if existing_name(zf, rel.target) is not None:
                return rel.target
    raise WorkbookError(
        "This file is not an Excel workbook (.xlsx): it has no workbook part. "
        "Open it in Excel and save it as 'Excel Workbook (*.xlsx)'."
    )


def workbook_sheets(zf: zipfile.ZipFile) -> list[tuple[str, str, str]]:
    """Every sheet of ``<sheets>`` in tab order: ``(name, sheetId, part)``.

    Only worksheets are listed (chart sheets and dialog sheets have no cells).
    ``part`` is resolved through the workbook's relationships.
    """
    wb = workbook_part(zf)
    rels = {r.id: r for r in read_rels(zf, wb)}
    root = _parse(zf.read(wb), wb)
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).localname != "sheet":
            continue
        rid = _rel_id(el)
        rel = rels.get(rid) if rid else None
        if rel is None or rel.external or not rel.type.endswith(REL_WORKSHEET):
            continue
        out.append((el.get("name", ""), el.get("sheetId", ""), rel.target))
    return out


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part name, in tab order.

    >>> sheet_parts(zf)            # doctest: +SKIP
    {'Settings': 'xl/worksheets/sheet1.xml', 'Reorder': 'xl/worksheets/sheet6.xml'}
    """
    return {name: part for name, _sheet_id, part in workbook_sheets(zf)}


def table_parts(zf: zipfile.ZipFile, sheet_part: str) -> list[str]:
    """Table part names of a worksheet (``xl/tables/table2.xml``), through the sheet's rels."""
    return [
        r.target
        for r in read_rels(zf, sheet_part)
        if r.type.endswith(REL_TABLE) and not r.external and existing_name(zf, r.target)
    ]


# ---------------------------------------------------------------------------------
# Error cells
# ---------------------------------------------------------------------------------
_ERROR_MARKERS = (b't="e"', b"t='e'")
# Either marker in one pass (re looks for the literal "t=" fast): a third of the time of
# two substring searches over a 94 MB Sales part.
_ERROR_MARKER = re.compile(rb"""t=(?:"e"|'e')""")
_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_CLOSE = re.compile(rb"</(?:[\w.-]+:)?c>")
_ROW_CLOSE = re.compile(rb"</(?:[\w.-]+:)?row>")
_VALUE = re.compile(rb"<((?:[\w.-]+:)?)v>([^<]*)</\1v>")
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]+)$")


def error_cells(zf: zipfile.ZipFile, sheet_part: str, chunk: int = 1 << 20) -> dict[tuple[int, int], str]:
    """Cells holding an Excel error: ``{(row, col): '#N/A'}``, one-based.

    python-calamine reads error cells as ``''``; this finds them so the reader can
    report ``#N/A`` instead of a blank. The part is streamed a chunk of whole rows at a
    time, so a huge sheet never sits in memory; reading it to the end also checks the
    part's checksum and declared size (zipfile raises BadZipFile when they are wrong).
    Cheap: a chunk without ``t="e"`` is not parsed.
    """
    return scan_sheet(zf, sheet_part, chunk)[0]


def scan_sheet(zf: zipfile.ZipFile, sheet_part: str, chunk: int = 1 << 20, fh=None,
               head: bytes = b"") -> tuple[dict[tuple[int, int], str], int | None]:
    """One streamed pass over a worksheet part: its error cells (see :func:`error_cells`)
    and the number of its last ``<row>`` (0 without rows; None when a last row of a
    chunk has no ``r`` address, so the number is not known).

    The last row number tells the typed reader (:mod:`.typed_read`) whether the sheet's
    cells start at row 1: its reader counts rows from the first one holding a value.
    fh, head: the part already open, and the bytes already read from it (the package
        check reads a part's head first), so that no byte is inflated twice.
    """
    if fh is None:
        with zf.open(sheet_part) as fh:
            return scan_sheet(zf, sheet_part, chunk, fh, head)
    found: dict[tuple[int, int], str] = {}
    last_row: int | None = 0
    tail = head
    while True:
        data = fh.read(chunk)
        buf = tail + data
        cut = len(buf) if not data else _last_row_end(buf)
        piece, tail = buf[:cut], buf[cut:]
        if last_row is not None:
            got_row = _last_row_number(piece)
            if got_row is None or got_row > 0:
                last_row = got_row if got_row is None else max(last_row, got_row)
        if _ERROR_MARKER.search(piece):
            got = _scan_error_cells(piece)
            if got is None:  # a cell without r="": positions need a full (streamed) parse
                with zf.open(sheet_part) as again:
                    return _error_cells_full(again), None
            found.update(got)
        if not data:
            return found, last_row


_ROW_OPEN = re.compile(rb"<(?:[\w.-]+:)?row[\s>/]")


def _last_row_number(piece: bytes) -> int | None:
    """The ``r`` of the last ``<row>`` start tag in ``piece``: 0 when it has none, None
    when that tag has no (numeric) ``r``."""
    at = len(piece)
    while True:
        at = piece.rfind(b"row", 0, at)
        if at < 0:
            return 0
        start = piece.rfind(b"<", 0, at)
        m = _ROW_OPEN.match(piece, start) if start >= 0 else None
        if m and m.end() == at + 4:
            end = piece.find(b">", at)
            r = tag_attrs(piece[start:end if end >= 0 else len(piece)]).get("r", "")
            return int(r) if r.isdigit() else None


def _last_row_end(buf: bytes) -> int:
    """Offset just after the last ``</row>`` (any prefix) in ``buf``; 0 when there is none."""
    at = buf.rfind(b"row>")
    while at >= 0:
        m = _ROW_CLOSE.match(buf, buf.rfind(b"<", 0, at) if at else 0)
        if m and m.end() == at + 4:
            return m.end()
        at = buf.rfind(b"row>", 0, at)
    return 0


def parse_error_cells(xml: bytes) -> dict[tuple[int, int], str]:
    """:func:`error_cells` on the bytes of a worksheet part."""
    found = _scan_error_cells(xml)
    return found if found is not None else _error_cells_full(io.BytesIO(xml))


def _scan_error_cells(xml: bytes) -> dict[tuple[int, int], str] | None:
    """Error cells of whole rows of worksheet XML; None when a cell has no ``r`` address."""
    if not _ERROR_MARKER.search(xml):
        return {}
    found: dict[tuple[int, int], str] = {}
    pos = 0
    while True:
        hits = [i for i in (xml.find(m, pos) for m in _ERROR_MARKERS) if i >= 0]
        if not hits:
            return found
        at = min(hits)
        pos = at + 5
        start = xml.rfind(b"<", 0, at)
        if start < 0 or not _CELL_TAG.match(xml, start):
            continue  # t="e" on something that is not a cell
        tag_end = xml.find(b">", at)
        if tag_end < 0:
            break
        attrs = tag_attrs(xml[start:tag_end])
        ref = split_ref(attrs.get("r", ""))
        if ref is None:
            return None
        if xml[tag_end - 1 : tag_end] == b"/":
            continue  # <c t="e"/> holds no value
        close = _cell_close(xml, tag_end)
        match = _VALUE.search(xml, tag_end, close)
        if match:
            found[ref] = unescape(match.group(2).decode("utf-8"), {"&quot;": '"', "&apos;": "'"})
    return found


def _cell_close(xml: bytes, after: int) -> int:
    """Offset of the ``</c>`` (any prefix) closing the cell opened before ``after``."""
    m = _CELL_CLOSE.search(xml, after)
    return m.start() if m else len(xml)


def _error_cells_full(source) -> dict[tuple[int, int], str]:
    """Slow path for cells without ``r`` attributes: walk every row and cell of a stream.

    Each row is dropped once read, so memory stays one row deep.
    """
    found: dict[tuple[int, int], str] = {}
    row_no = 0
    try:
        for _event, row in etree.iterparse(source, events=("end",), tag="{*}row", resolve_entities=False,
                                           no_network=True, huge_tree=True):
            row_no = int(row.get("r", row_no + 1))
            col_no = 0
            for cell in row:
                if not isinstance(cell.tag, str) or etree.QName(cell).localname != "c":
                    continue
                ref = split_ref(cell.get("r", ""))
                col_no = ref[1] if ref else col_no + 1
                if cell.get("t") != "e":
                    continue
                for child in cell:
                    if isinstance(child.tag, str) and etree.QName(child).localname == "v":
                        found[(row_no, col_no)] = child.text or ""
            row.clear()
    except etree.XMLSyntaxError as exc:
        raise WorkbookError(
            f"The workbook is damaged: a sheet is not valid XML ({exc}). "
            "Open it in Excel, let Excel repair it, save it, and run again."
        ) from exc
    return found


# ---------------------------------------------------------------------------------
# Small shared helpers (also used by xlsx_patch)
# ---------------------------------------------------------------------------------
def column_index(letters: str) -> int:
    """One-based column number of column letters: ``A`` -> 1, ``AA`` -> 27."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def split_ref(ref: str) -> tuple[int, int] | None:
    """``"B12"`` -> ``(12, 2)`` (one-based row, column); None when not a cell address."""
    m = _CELL_REF.match(ref)
    if not m:
        return None
    return int(m.group(2)), column_index(m.group(1))


def tag_attrs(tag: bytes) -> dict[str, str]:
    """Attributes of one start tag, from its bytes: ``b'<c r="B2" s="3">'`` -> ``{"r": "B2", "s": "3"}``.

    Entities in values are left as written (the attributes read here never hold any).
    """
    return {m.group(1).decode(): (m.group(2) if m.group(2) is not None else m.group(3)).decode()
            for m in _ATTR.finditer(tag)}


def _rel_id(el: etree._Element) -> str | None:
    for key, value in el.attrib.items():
        q = etree.QName(key)
        if q.localname == "id" and q.namespace and q.namespace.endswith("relationships"):
            return value
    return None


def _parse(xml: bytes, name: str) -> etree._Element:
    try:
        return etree.fromstring(xml, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise WorkbookError(
            f"The workbook is damaged: part {name} is not valid XML ({exc}). "
            "Open it in Excel, let Excel repair it, save it, and run again."
        ) from exc


def _name_index(zf: zipfile.ZipFile) -> dict[str, dict[str, str] | set[str]]:
    exact = set(zf.namelist())
    return {"exact": exact, "folded": {n.casefold(): n for n in exact}}
