"""The output-part patcher: write the tool's sheets into an .xlsx without re-saving it.

Re-saving the owner's workbook through openpyxl would drop cached formula results,
charts, images, sparklines and more. Instead :func:`patch_sheets` rewrites only

- the worksheet part of each output sheet (its data rows, from row 2 down, and its
  ``<dimension>``; row 1 and every other element are kept byte for byte),
- the table part of that sheet (``ref`` and ``autoFilter ref`` resized),
- the workbook part (``<calcPr fullCalcOnLoad="1"/>`` so Excel recalculates formulas
  that refer to our sheets), and
- ``xl/calcChain.xml`` when it lists cells of a patched sheet (those entries go; the
  part, its relationship and its content type go too when nothing is left),
- with a ``look`` (the Settings the sheets follow): ``xl/styles.xml`` only when a cell
  needs a style it lacks (money in another Currency: a style is appended, none is
  changed), the printed footer's business name inside the patched sheet part, and the
  range text of the Dashboard's charts (only the rows holding data, see
  :mod:`jit_workbook.io.xlsx_charts`),

and copies every other zip entry unchanged: same name, same order, same bytes, same
compression. Strings are written as inline strings, so ``sharedStrings.xml`` is never
touched (a ``link`` column, the Orders sheet's Order File, is our own ``HYPERLINK``
formula around the quoted file name, with the name as its cached value). Cell styles come from the sheet's own formatted row 2, so number formats set in
the template (or by the owner) carry over to every written row; a row whose wrapped
text takes several lines is written that tall.

Example::

    patch_sheets(Path("JIT_Inventory.xlsx"), Path("JIT_Inventory.xlsx"),
                 {"Reorder": reorder_frame, "Data Issues": issues_frame})
"""

from __future__ import annotations

import io
import os
import re
import struct
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from jit_workbook import contract
from jit_workbook.errors import MissingSheetError, WorkbookError
from jit_workbook.safe_text import hyperlink_formulas
from jit_workbook.io.xlsx_charts import fit_chart_ranges, sheet_charts
from jit_workbook.io.xlsx_styles import StyleBook
from jit_workbook.io.text_fit import MAX_ROW_HEIGHT, ROW_HEIGHT, wrapped_lines
from jit_workbook.io.xlsx_parts import (
    REL_CALC_CHAIN,
    tag_attrs,
    existing_name,
    read_rels,
    rels_part,
    split_ref,
    table_parts,
    workbook_part,
    workbook_sheets,
)

MAX_ROWS = 1_048_576  # Excel's last row
MAX_TEXT = 32_767  # Excel's longest cell text, in characters

TEXT_KINDS = frozenset({"text", "choice"})
LINK_KINDS = frozenset({"link"})  # a file name that opens the file: HYPERLINK formula, name cached
NUMBER_KINDS = frozenset({"number", "integer", "money", "percent"})
DATE_KINDS = frozenset({"date"})

# Workbook children that come after <calcPr> in the schema (CT_Workbook sequence).
_AFTER_CALC_PR = (
    b"oleSize|customWorkbookViews|pivotCaches|smartTagPr|smartTagTypes|webPublishing"
    b"|fileRecoveryPr|webPublishObjects|extLst"
)


# ---------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------
def open_package(src: Path) -> tuple[bytes, zipfile.ZipFile]:
    """One in-memory snapshot of the workbook and a zip reader over it.

    Reading it whole also frees ``src`` for ``os.replace`` on Windows. Raises
    WorkbookError with a plain message for a missing file or one that is not an .xlsx.
    """
    try:
        package = Path(src).read_bytes()
    except FileNotFoundError as exc:
        raise WorkbookError(f"The workbook {src} does not exist. Check the file name and folder.") from exc
    try:
        return package, zipfile.ZipFile(io.BytesIO(package))
    except zipfile.BadZipFile as exc:
        raise WorkbookError(
            f"{Path(src).name} is not an Excel workbook (.xlsx). Open it in Excel and save it as "
            "'Excel Workbook (*.xlsx)'."
        ) from exc


def patch_sheets(
    src: Path,
    dst: Path,
    sheets: Mapping[str, pd.DataFrame],
    *,
    contract_sheets: Mapping[str, contract.Sheet] | None = None,
    package: bytes | None = None,
    before_replace: Callable[[], None] | None = None,
    look: contract.Look | None = None,
) -> None:
    """Replace the data rows of worksheets and save the result to ``dst`` atomically.

    src: the workbook to read (never modified, even when ``dst`` is the same file).
    dst: where to write; written through a temp file in its folder and ``os.replace``,
        so it is either the old file or the complete new one, never half written.
    sheets: sheet name -> DataFrame whose columns include the sheet's contract
        ``fields``; row ``i`` (zero-based) of the frame becomes sheet row ``i + 2``.
        Extra columns are ignored; the index is ignored.
    contract_sheets: sheet name -> contract ``Sheet`` to use instead of
        ``contract.sheet(name)`` (tests and the template builder use their own).
    package: the bytes of ``src`` when the caller has already read them (the result is
        then made from exactly what was read, even if ``src`` has changed since).
    before_replace: passed to :func:`atomic_replace`.
    look: what follows the Settings (see :func:`plan_patch`); None leaves every format
        and footer as the sheet has it.

    Raises MissingSheetError when a sheet is not in the workbook, WorkbookError when
    the file is not a usable .xlsx, ValueError when a frame does not fit its contract
    (missing column, text in a number column, more rows than Excel has). Nothing is
    written in any of those cases.
    """
    src, dst = Path(src), Path(dst)
    if package is None:
        package, zin = open_package(src)
    else:
        zin = zipfile.ZipFile(io.BytesIO(package))
    with zin:
        replaced, removed = plan_patch(zin, sheets, contract_sheets=contract_sheets, book_name=src.name,
                                       look=look)
        atomic_replace(
            dst, lambda out: copy_package(zin, out, replaced=replaced, removed=removed, package=package),
            before_replace=before_replace,
        )


def plan_patch(
    zin: zipfile.ZipFile,
    sheets: Mapping[str, pd.DataFrame],
    *,
    contract_sheets: Mapping[str, contract.Sheet] | None = None,
    book_name: str = "The workbook",
    look: contract.Look | None = None,
) -> tuple[dict[str, bytes], set[str]]:
    """The new bytes of every part that changes, and the parts to drop; writes nothing.

    book_name: how error messages name the workbook (its file name).
    look: the Settings the sheets follow. Money cells show ``look.currency`` and the
        Dashboard's Value cells their row's format (``contract.number_formats``): a cell
        style like the column's, with that format, from ``xl/styles.xml`` or appended to
        it (see :mod:`jit_workbook.io.xlsx_styles`); the printed footer the template set
        gets ``look.business_name`` (an owner's own footer is kept).
    Returns ``(replaced, removed)``: part name -> new bytes, and part names to leave out.
    Raises like :func:`patch_sheets`.
    """
    wb_part = workbook_part(zin)
    listed = workbook_sheets(zin)
    found: dict[str, tuple[str, str, int]] = {}  # name -> (part, sheetId, tab position)
    missing = []
    for name in sheets:
        hit = _find_sheet(listed, name)
        if hit is None:
            missing.append(name)
        else:
            found[name] = hit
    if missing:
        plural = "s" if len(missing) > 1 else ""
        names = ", ".join(f"'{n}'" for n in missing)
        raise MissingSheetError(
            f"{book_name}: sheet{plural} {names} not found, so the results have nowhere to go. "
            "Undo the rename, or copy the sheet back from a fresh template (jit-workbook new), "
            "then run again. Nothing was written."
        )

    wb_xml = zin.read(wb_part)
    date1904 = bool(re.search(rb"<(?:[\w.-]+:)?workbookPr\b[^>]*\bdate1904\s*=\s*[\"'](?:1|true)[\"']", wb_xml))
    replaced: dict[str, bytes] = {}
    styles_part = _styles_part(zin, wb_part) if look is not None else None
    style_book = StyleBook(zin.read(styles_part)) if styles_part else None
    for name, frame in sheets.items():
        spec = (contract_sheets or {}).get(name) or _contract_sheet(name)
        part = found[name][0]
        formats = contract.number_formats(spec, look.currency) if style_book is not None else None
        new_xml, last_row = patch_worksheet(zin.read(part), frame, spec, date1904=date1904,
                                            formats=formats, style_book=style_book,
                                            link_folder=look.order_folder if look is not None else None)
        if look is not None:
            new_xml = set_footer_name(new_xml, look.business_name)
        replaced[part] = new_xml
        if spec.name == contract.DASHBOARD.name:
            _fit_dashboard_charts(zin, part, frame, replaced)
        for table in table_parts(zin, part):
            new_table = resize_table(zin.read(table), last_row, table_name=table, sheet_name=name)
            if new_table is not None:
                replaced[table] = new_table

    if style_book is not None and style_book.xml() is not None:
        replaced[styles_part] = style_book.xml()
    removed: set[str] = set()
    if sheets:
        replaced[wb_part] = set_full_calc_on_load(wb_xml)
        sheet_ids = {found[n][1] for n in sheets} | {str(found[n][2]) for n in sheets}
        _drop_calc_chain_cells(zin, wb_part, sheet_ids, replaced, removed)
    return replaced, removed


def atomic_replace(dst: Path, write: Callable[[BinaryIO], None], *,
                   before_replace: Callable[[], None] | None = None) -> None:
    """Write a file all-or-nothing: ``write(f)`` into a temp file next to ``dst``, then swap.

    The temp file is flushed and fsynced before ``os.replace``, so after a crash ``dst``
    is the old file or the new one, never a mix. On any exception (in ``write`` or
    after) the temp file is removed, ``dst`` is untouched, and the exception propagates.
    A symlinked ``dst`` is written through the link; an existing file's permission
    bits are kept. ``before_replace()``, when given, runs last before the swap; it raises
    to keep ``dst`` as it is (the owner saved it meanwhile).
    """
    dst = Path(os.path.realpath(dst))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        _copy_mode(dst, tmp)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(dst.parent)


def copy_package(
    zin: zipfile.ZipFile,
    out: BinaryIO,
    *,
    replaced: Mapping[str, bytes] | None = None,
    removed: set[str] | frozenset[str] = frozenset(),
    package: bytes | None = None,
) -> None:
    """Write ``zin`` to ``out`` entry by entry: same names, order, compression and dates.

    Entries named in ``replaced`` get the new bytes; entries in ``removed`` are left out;
    every other entry is copied with its uncompressed bytes unchanged. When ``package``
    (the bytes ``zin`` reads) is given, untouched entries are copied still compressed,
    which saves recompressing a large Sales sheet on every run.
    """
    replaced = replaced or {}
    with zipfile.ZipFile(out, "w") as zout:
        zout.comment = zin.comment
        raw_ok = package is not None and all(hasattr(zout, a) for a in ("fp", "start_dir", "filelist", "NameToInfo"))
        for info in zin.infolist():
            if info.filename in removed:
                continue
            data = replaced.get(info.filename)
            if data is None and raw_ok:
                raw = _raw_entry(package, info)
                if raw is not None:
                    _write_raw(zout, info, raw)
                    continue
            if data is None:
                data = zin.read(info)
            zout.writestr(_clone_info(info), data)


_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zip local file header, APPNOTE 4.3.7


def _raw_entry(package: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """The still-compressed bytes of an entry, or None when it cannot be copied raw."""
    if info.flag_bits & 0x1:  # encrypted: never in an .xlsx, but do not guess
        return None
    start = info.header_offset
    header = package[start : start + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size:
        return None
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        return None
    data_at = start + _LOCAL_HEADER.size + fields[10] + fields[11]
    stored_name = package[start + _LOCAL_HEADER.size : start + _LOCAL_HEADER.size + fields[10]]
    if stored_name not in (info.orig_filename.encode("utf-8"), info.orig_filename.encode("cp437", "replace")):
        return None
    raw = package[data_at : data_at + info.compress_size]
    return raw if len(raw) == info.compress_size else None


def _write_raw(zout: zipfile.ZipFile, info: zipfile.ZipInfo, raw: bytes) -> None:
    """Append an already-compressed entry to ``zout``.

    zipfile has no public call for this; it mirrors what ``ZipFile.writestr`` does
    after compressing (local header, data, then the entry is listed for the central
    directory that ``close()`` writes). Sizes and CRC go in the local header, so the
    data-descriptor flag of the source entry is dropped.
    """
    clone = _clone_info(info)
    clone.CRC = info.CRC
    clone.compress_size = info.compress_size
    clone.file_size = info.file_size
    clone.flag_bits = info.flag_bits & ~0x08
    zip64 = clone.file_size > zipfile.ZIP64_LIMIT or clone.compress_size > zipfile.ZIP64_LIMIT
    zout.fp.seek(zout.start_dir)
    clone.header_offset = zout.fp.tell()
    zout.fp.write(clone.FileHeader(zip64))
    zout.fp.write(raw)
    zout.start_dir = zout.fp.tell()
    zout.filelist.append(clone)
    zout.NameToInfo[clone.filename] = clone


# ---------------------------------------------------------------------------------
# Worksheet
# ---------------------------------------------------------------------------------
_SHEET_DATA = re.compile(rb"<((?:[\w.-]+:)?)sheetData\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb"(<(?:[\w.-]+:)?dimension\b[^>]*?\bref\s*=\s*)([\"'])[^\"']*\2")


@dataclass(frozen=True)
class _Layout:
    """What a worksheet tells us before its rows are replaced."""

    header: bytes  # row 1 element, verbatim (b"" when the sheet has no row 1)
    header_last_col: int  # last column used in row 1 (0 when none)
    styles: dict[int, str]  # one-based column -> style index for the data cells


def patch_worksheet(
    xml: bytes, frame: pd.DataFrame, spec: contract.Sheet, *, date1904: bool = False,
    formats: Mapping[str, str | tuple[str, ...]] | None = None, style_book: StyleBook | None = None,
    link_folder: str | None = None,
) -> tuple[bytes, int]:
    """A worksheet part with rows 2+ replaced by ``frame``; returns ``(xml, last_row)``.

    last_row: the last row written, one-based: ``max(2, len(frame) + 1)`` (an empty
    frame keeps one empty, styled row 2 so the table keeps a data row).
    Row 1 and every element outside ``<sheetData>`` are kept byte for byte, except the
    ``<dimension ref>``, which is set to the written range.
    formats, style_book: field -> a number format for the column, or one per row from
        row 2 (rows past the end keep the column's); cells get a style like the column's
        with that format, from ``style_book`` (which records any style it must add).
    link_folder: where ``link`` columns' file names are (see ``rows_xml``).
    """
    if xml[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise WorkbookError(
            f"The {spec.name} sheet is saved in UTF-16, which this tool cannot update. "
            "Open the workbook in Excel, save it, and run again."
        )
    fields = spec.fields
    absent = [f for f in fields if f not in frame.columns]
    if absent:
        raise ValueError(f"the frame for sheet {spec.name!r} lacks columns {absent}")
    if len(frame) + 1 > MAX_ROWS:
        raise ValueError(f"{len(frame)} rows do not fit on sheet {spec.name!r} (Excel stops at {MAX_ROWS:,})")

    m = _SHEET_DATA.search(xml)
    if m is None:
        raise WorkbookError(
            f"The {spec.name} sheet is damaged (it has no cell data part). "
            "Copy the sheet back from a fresh template and run again."
        )
    prefix = m.group(1).decode()
    close_tag = f"</{prefix}sheetData>".encode()
    if m.group(2):  # <sheetData/>
        inner, tail_at = b"", m.end()
        open_tag = m.group(0)[:-2].rstrip() + b">"
    else:
        end = xml.find(close_tag, m.end())
        if end < 0:
            raise WorkbookError(f"The {spec.name} sheet is damaged (its cell data never ends).")
        inner, tail_at = xml[m.end() : end], end + len(close_tag)
        open_tag = m.group(0)
    head = xml[: m.start()]
    layout = _read_layout(head, inner, len(fields))

    styles: dict[int, str | list[str]] = dict(layout.styles)
    for field, code in (formats or {}).items() if style_book is not None else ():
        col = fields.index(field) + 1 if field in fields else 0
        if not col:
            continue
        base = layout.styles.get(col)
        if isinstance(code, tuple):  # one per row: start from each cell's own style
            own = _column_cell_styles(inner, col)
            per_row = [style_book.with_format(own.get(r, base), c) for r, c in enumerate(code[: len(frame)], start=2)]
            styles[col] = per_row + [base] * (len(frame) - len(per_row)) if len(frame) else base
        else:
            styles[col] = style_book.with_format(base, code)
    widths = {c: w for c, w in _column_widths(head, spec).items() if contract.wraps(spec.columns[c - 1])}
    body = rows_xml(frame, spec, styles, prefix=prefix, date1904=date1904, widths=widths, link_folder=link_folder)
    last_row = max(2, len(frame) + 1)
    last_col = max(len(fields), layout.header_last_col)
    dimension = f"A1:{contract.column_letter(last_col)}{last_row}".encode()
    head = _DIMENSION.sub(lambda d: d.group(1) + d.group(2) + dimension + d.group(2), head, count=1)
    tail = with_choice_lists(xml[tail_at:], spec, prefix)
    header = with_new_headers(layout.header, spec, prefix)
    return b"".join((head, open_tag, header, body.encode("utf-8"), close_tag, tail)), last_row


_HEADER_CELL = re.compile(rb"<(?:[\w.-]+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:[\w.-]+:)?c>)", re.S)


def with_new_headers(header: bytes, spec: contract.Sheet, prefix: str) -> bytes:
    """Row 1 with the header of each column the contract added at the end of the sheet
    after the workbook was made (Reorder's Planned For), so the next run reads it back.

    Only columns right of row 1's last filled cell are added, styled as that cell (empty,
    merely formatted cells there give way); row 1 is otherwise kept byte for byte, and
    left as it is when it has no filled cell at all.
    """
    names = spec.header
    if not header or header.rstrip().endswith(b"/>"):
        return header
    cells, col = [], 0
    for m in _HEADER_CELL.finditer(header):
        a = tag_attrs(m.group(1))
        ref = split_ref(a.get("r", ""))
        col = ref[1] if ref else col + 1
        filled = bool(m.group(2)) and re.search(rb"<(?:[\w.-]+:)?(?:v|is)\b", m.group(2)) is not None
        cells.append((col, filled, a.get("s"), m.start(), m.end()))
    last = max((c for c, filled, *_ in cells if filled), default=0)
    if last == 0 or last >= len(names):
        return header
    style = next(s for c, filled, s, *_ in cells if c == last)
    s_attr = f' s="{style}"' if style is not None else ""
    added = "".join(f'<{prefix}c r="{contract.column_letter(j)}1"{s_attr} t="inlineStr"><{prefix}is><{prefix}t>'
                    f"{_xml_attr(names[j - 1])}</{prefix}t></{prefix}is></{prefix}c>"
                    for j in range(last + 1, len(names) + 1) if names[j - 1]).encode()
    close = f"</{prefix}row>".encode()
    at = header.rfind(close)
    if at < 0 or not added:
        return header
    keep_to = next((start for c, _, _, start, _ in cells if c > last), at)  # trailing empty cells give way
    row = header[:keep_to] + added + header[at:]
    return re.sub(rb'(<(?:[\w.-]+:)?row\b[^>]*?\bspans\s*=\s*["\'])(\d+):\d+(["\'])',
                  lambda m: m.group(1) + m.group(2) + b":%d" % len(names) + m.group(3), row, count=1)


# Worksheet children that come after <dataValidations> (CT_Worksheet sequence).
_AFTER_VALIDATIONS = re.compile(
    rb"<(?:[\w.-]+:)?(?:hyperlinks|printOptions|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks"
    rb"|customProperties|cellWatches|ignoredErrors|smartTags|drawing|legacyDrawing|legacyDrawingHF|drawingHF"
    rb"|picture|oleObjects|controls|webPublishItems|tableParts|extLst)\b|</(?:[\w.-]+:)?worksheet>")
_VALIDATIONS = re.compile(rb"<((?:[\w.-]+:)?)dataValidations\b([^>]*?)(/?)>")
_SQREF = re.compile(rb"<(?:[\w.-]+:)?dataValidation\b[^>]*?\bsqref\s*=\s*[\"']([^\"']*)[\"']")


def with_choice_lists(tail: bytes, spec: contract.Sheet, prefix: str) -> bytes:
    """The part after ``</sheetData>``, with a drop-down on each of the owner's columns
    that offers choices (Orders' Status) when the sheet has none there yet.

    A workbook made from an older template lacks them; the template's own (and any the
    owner made on that column) are left as they are.
    """
    wanted = [(j, col) for j, col in enumerate(spec.columns, start=1) if col.editable and col.choices]
    if not wanted:
        return tail
    covered = set()
    for m in _SQREF.finditer(tail):
        for ref in m.group(1).decode().split():
            covered.add(re.sub(r"[^A-Z]", "", ref.split(":")[0].upper()))
    added = []
    for j, col in wanted:
        letter = contract.column_letter(j)
        if letter in covered:
            continue
        style = "stop" if col.kind == "choice" else "warning"
        choices = _xml_attr(",".join(col.choices))
        added.append(
            f'<{prefix}dataValidation type="list" errorStyle="{style}" allowBlank="1" showErrorMessage="1" '
            f'errorTitle="{_xml_attr(col.name)}" error="Choose one of: {_xml_attr(", ".join(col.choices))}" '
            f'sqref="{letter}2:{letter}{MAX_ROWS}"><{prefix}formula1>&quot;{choices}&quot;</{prefix}formula1>'
            f'</{prefix}dataValidation>'.encode())
    if not added:
        return tail
    ext = re.search(rb"<(?:[\w.-]+:)?extLst\b", tail)  # Excel's x14 validations live in there: not ours
    block = _VALIDATIONS.search(tail, 0, ext.start() if ext else len(tail))
    if block and not block.group(3):
        count = re.search(rb'\bcount\s*=\s*["\'](\d+)["\']', block.group(2))
        attrs = block.group(2)
        if count:
            attrs = attrs.replace(count.group(0), b'count="%d"' % (int(count.group(1)) + len(added)))
        opened = b"<" + block.group(1) + b"dataValidations" + attrs + b">"
        return tail[:block.start()] + opened + b"".join(added) + tail[block.end():]
    if block:  # <dataValidations/>: replace the empty element
        where, end = block.start(), block.end()
    else:
        where = end = _AFTER_VALIDATIONS.search(tail).start()
    new = (f'<{prefix}dataValidations count="{len(added)}">'.encode() + b"".join(added)
           + f"</{prefix}dataValidations>".encode())
    return tail[:where] + new + tail[end:]


def _xml_attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


_ROW_TAG = re.compile(rb"<((?:[\w.-]+:)?)row\b([^>]*?)(/?)>")
_CELL_OPEN = re.compile(rb"<(?:[\w.-]+:)?c\b([^>]*?)/?>")
_COL_TAG = re.compile(rb"<(?:[\w.-]+:)?col\b([^>]*?)/?>")
_COLS = re.compile(rb"<((?:[\w.-]+:)?)cols\b[^>]*>(.*?)</\1cols>", re.S)


def _read_layout(head: bytes, inner: bytes, ncols: int) -> _Layout:
    """Row 1 (verbatim), its last column, and the style of each data column.

    A column's style is its row-2 cell's ``s``; else row 2's own style (a formatted
    row, ``customFormat``); else the ``<col style>`` covering the column; else none.
    Only the first two ``<row>`` elements are looked at, however long the sheet is.
    """
    rows: dict[int, tuple[bytes, dict[str, str]]] = {}
    pos, row_no = 0, 0
    while len(rows) < 2:
        match = _ROW_TAG.search(inner, pos)
        if match is None:
            break
        attrs = tag_attrs(match.group(2))
        row_no = int(attrs.get("r", row_no + 1))
        if row_no > 2:
            break
        if match.group(3):
            end = match.end()
        else:
            close = b"</" + match.group(1) + b"row>"
            found = inner.find(close, match.end())
            end = len(inner) if found < 0 else found + len(close)
        rows[row_no] = (inner[match.start() : end], attrs)
        pos = end

    header = rows.get(1, (b"", {}))[0]
    row2, row2_attrs = rows.get(2, (b"", {}))
    col_styles: dict[int, str] = {}
    cols = _COLS.search(head)
    if cols:
        for col in _COL_TAG.finditer(cols.group(2)):
            a = tag_attrs(col.group(1))
            if "style" in a and "min" in a and "max" in a:
                for c in range(int(a["min"]), min(int(a["max"]), ncols) + 1):
                    col_styles[c] = a["style"]
    row_style = row2_attrs.get("s") if row2_attrs.get("customFormat") in ("1", "true") else None
    cell_styles = _cell_styles(row2)
    styles = {}
    for c in range(1, ncols + 1):
        style = cell_styles.get(c) or row_style or col_styles.get(c)
        if style is not None:
            styles[c] = style
    return _Layout(header, max(_cell_columns(header) or [0]), styles)


def _column_cell_styles(inner: bytes, col: int) -> dict[int, str]:
    """Row -> style index of the cells of one column (for short, fixed-layout sheets)."""
    letter = contract.column_letter(col).encode()
    found = re.finditer(rb'<(?:[\w.-]+:)?c\b[^>]*?\br="' + letter + rb'(\d+)"[^>]*?\bs="(\d+)"', inner)
    return {int(m.group(1)): m.group(2).decode() for m in found}


def _column_widths(head: bytes, spec: contract.Sheet) -> dict[int, float]:
    """One-based column -> width in characters: the sheet's ``<col width>`` (the owner
    may have widened it), else the contract's."""
    widths = {j: float(contract.display_width(c)) for j, c in enumerate(spec.columns, start=1) if c.name}
    cols = _COLS.search(head)
    for col in _COL_TAG.finditer(cols.group(2) if cols else b""):
        a = tag_attrs(col.group(1))
        if "width" in a and "min" in a and "max" in a:
            for c in range(int(a["min"]), min(int(a["max"]), len(spec.columns)) + 1):
                widths[c] = float(a["width"])
    return widths


def _cell_columns(row: bytes) -> list[int]:
    cols, col = [], 0
    for m in _CELL_OPEN.finditer(row):
        ref = split_ref(tag_attrs(m.group(1)).get("r", ""))
        col = ref[1] if ref else col + 1
        cols.append(col)
    return cols


def _cell_styles(row: bytes) -> dict[int, str]:
    styles, col = {}, 0
    for m in _CELL_OPEN.finditer(row):
        a = tag_attrs(m.group(1))
        ref = split_ref(a.get("r", ""))
        col = ref[1] if ref else col + 1
        if "s" in a:
            styles[col] = a["s"]
    return styles


# ---------------------------------------------------------------------------------
# Rows: one join over pieces, built column by column (no Python loop per cell)
# ---------------------------------------------------------------------------------
def rows_xml(
    frame: pd.DataFrame,
    spec: contract.Sheet,
    styles: Mapping[int, str],
    *,
    prefix: str = "",
    date1904: bool = False,
    widths: Mapping[int, float] | None = None,
    link_folder: str | None = None,
) -> str:
    """``<row>`` elements for sheet rows 2.. from ``frame`` (the inside of ``<sheetData>``).

    widths: one-based column -> width (characters) of the columns whose text wraps; a
        row whose text takes more than one line there is written as tall as it needs
        (:func:`row_heights`), since neither Excel nor LibreOffice fits a row to wrapped
        text written by another program.
    link_folder: ``link`` columns become ``HYPERLINK("<link_folder>/<name>","<name>")``
        formulas with the name as cached value (:func:`~jit_workbook.safe_text.hyperlink_formulas`);
        None writes them as plain text.
    styles: one-based column -> cell style index (``s``), or a list of one per row;
        columns without one get no ``s``.
    Each cell is ``<c r="B5" s="3">...</c>``; blank values become ``<c r="B5" s="3"/>`` so
    the cell keeps its format, and are left out when the column has no style.
    An empty frame gives one row 2 of empty styled cells.
    """
    n = len(frame)
    p = prefix
    if n == 0:
        cells = "".join(
            f'<{p}c r="{contract.column_letter(i)}2" s="{styles.get(i)}"/>'
            for i in range(1, len(spec.columns) + 1)
            if styles.get(i) is not None
        )
        return f'<{p}row r="2">{cells}</{p}row>' if cells else f'<{p}row r="2"/>'

    rows = np.array(list(map(str, range(2, n + 2))), dtype=object)
    width = 3 + 5 * len(spec.columns) + 1
    pieces = np.empty((n, width), dtype=object)
    pieces[:, 0] = f'<{p}row r="'
    pieces[:, 1] = rows
    pieces[:, 2] = '">'
    if widths:
        heights = row_heights(frame, spec, widths)
        tall = heights > ROW_HEIGHT
        if tall.any():
            pieces[tall, 2] = np.char.add(np.char.add('" ht="', heights[tall].astype(int).astype(str)),
                                          '" customHeight="1">').astype(object)
    for j, column in enumerate(spec.columns):
        col_no = j + 1
        style = styles.get(col_no)
        if isinstance(style, list):  # one style per row (the Dashboard's Value column)
            s_attr = np.array([f' s="{x}"' for x in style], dtype=object)
        else:
            s_attr = f' s="{style}"' if style is not None else ""
        base = 3 + 5 * j
        values = frame[column.field]
        pieces[:, base] = f'<{p}c r="{contract.column_letter(col_no)}'
        pieces[:, base + 1] = rows
        if column.kind in LINK_KINDS and link_folder is not None:
            text, blank, keep_space = text_values(values)
            formula, _, _ = text_values(hyperlink_formulas(link_folder, values))
            linked = formula != ""  # else (a name too long for a link): plain text
            plain = '"' + s_attr + f' t="inlineStr"><{p}is><{p}t>'
            spaced = '"' + s_attr + f' t="inlineStr"><{p}is><{p}t xml:space="preserve">'
            link = '"' + s_attr + f' t="str"><{p}f>' + formula + f'</{p}f><{p}v>'
            pieces[:, base + 2] = np.where(linked, link, np.where(keep_space, spaced, plain))
            pieces[:, base + 3] = text
            pieces[:, base + 4] = np.where(linked, f"</{p}v></{p}c>", f"</{p}t></{p}is></{p}c>")
        elif column.kind in TEXT_KINDS or column.kind in LINK_KINDS:
            text, blank, keep_space = text_values(values)
            plain = '"' + s_attr + f' t="inlineStr"><{p}is><{p}t>'
            spaced = '"' + s_attr + f' t="inlineStr"><{p}is><{p}t xml:space="preserve">'
            pieces[:, base + 2] = np.where(keep_space, spaced, plain)
            pieces[:, base + 3] = text
            pieces[:, base + 4] = f"</{p}t></{p}is></{p}c>"
        elif column.kind in NUMBER_KINDS or column.kind in DATE_KINDS:
            if column.kind in DATE_KINDS:
                numbers, fallback = date_serials(values, date1904=date1904)
            else:
                numbers, fallback = number_values(values, spec.name, column.name), None
            text, blank = format_numbers(numbers)
            pieces[:, base + 2] = '"' + s_attr + f'><{p}v>'
            pieces[:, base + 3] = text
            pieces[:, base + 4] = f"</{p}v></{p}c>"
            if fallback is not None and fallback[0].any():  # dates Excel cannot hold: ISO text
                where, iso = fallback
                blank = blank & ~where
                pieces[where, base + 2] = _at('"' + s_attr + f' t="inlineStr"><{p}is><{p}t>', where)
                pieces[where, base + 3] = iso[where]
                pieces[where, base + 4] = f"</{p}t></{p}is></{p}c>"
        else:
            raise ValueError(f"column {column.name!r} of sheet {spec.name!r} has unknown kind {column.kind!r}")
        if blank.any():
            if style is None:
                pieces[blank, base : base + 5] = ""
            else:
                pieces[blank, base + 2] = _at('"' + s_attr + "/>", blank)
                pieces[blank, base + 3] = ""
                pieces[blank, base + 4] = ""
    pieces[:, width - 1] = f"</{p}row>"
    return "".join(pieces.ravel().tolist())


def row_heights(frame: pd.DataFrame, spec: contract.Sheet, widths: Mapping[int, float]) -> np.ndarray:
    """Each row's height in points: one line, or as many as its longest wrapped text takes
    (:func:`.text_fit.wrapped_lines`: Calibri 11's glyph widths, lines broken between
    words); ``ROW_HEIGHT`` per line, at most Excel's 409 points.
    """
    lines = np.ones(len(frame))
    for col, width in widths.items():
        lines = np.maximum(lines, wrapped_lines(frame[spec.columns[col - 1].field].to_numpy(dtype=object), width))
    return np.minimum(lines * ROW_HEIGHT, MAX_ROW_HEIGHT)


def _at(piece: str | np.ndarray, mask: np.ndarray) -> str | np.ndarray:
    """A piece for the rows of ``mask``: the same text for all, or each row's own."""
    return piece[mask] if isinstance(piece, np.ndarray) else piece


# Characters XML 1.0 forbids (C0 controls except tab/LF/CR, surrogates, U+FFFE/FFFF),
# and the ones that must be escaped in element text. CR is kept as a reference so a
# parser does not turn it into LF.
_FORBIDDEN = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_SPECIAL = re.compile(f"[&<>\"\r{_FORBIDDEN}]")
_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;"}
    | {c: None for c in [*map(chr, range(0x00, 0x09)), "\x0b", "\x0c", *map(chr, range(0x0E, 0x20))]}
    | {c: None for c in map(chr, range(0xD800, 0xE000))}
    | {"\ufffe": None, "\uffff": None}
)
# Excel reads "_x0041_" in cell text as "A"; a literal one is written "_x005F_x0041_".
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
# Leading or trailing whitespace, on escaped text joined with \x00 (so CR is "&#13;").
_EDGE_SPACE = re.compile(r"(?<=\x00)(?:[ \t\n]|&#13;)|(?:[ \t\n]|&#13;)(?=\x00)")
_QUICK = {
    _EXCEL_ESCAPE: ("_x",),
    _EDGE_SPACE: ("\x00 ", " \x00", "\x00\t", "\t\x00", "\x00\n", "\n\x00", "\x00&#13;", "&#13;\x00"),
}


def text_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Escaped cell text, blank mask and keep-spaces mask for a text/choice column.

    Text is always text: ``"=SUM(A1)"`` or ``"+1"`` is written as a string, never a
    formula. Missing values and empty strings are blank. Numbers are written as
    their text (an integral float ``12.0`` as ``"12"``). Characters XML 1.0 forbids are
    removed; ``& < > "`` are escaped; text longer than Excel's 32,767 characters is cut.
    """
    n = len(values)
    missing = pd.isna(values).to_numpy(dtype=bool)
    present = values[~missing]
    if pd.api.types.is_float_dtype(present.dtype):
        strings = format_numbers(present.to_numpy(dtype="float64"))[0].tolist()
    else:
        # numpy's str conversion, not pandas': with pyarrow installed pandas makes Arrow
        # strings, which refuse the lone surrogates we are about to remove.
        strings = list(map(str, present.to_numpy(dtype=object)))
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    for i in np.flatnonzero(lengths > MAX_TEXT).tolist():
        strings[i] = strings[i][:MAX_TEXT]
    # Scan the whole column as one string; touch only the rows a match falls in.
    for i in _matching_rows(strings, "\t", _SPECIAL, _EXCEL_ESCAPE).tolist():
        strings[i] = _EXCEL_ESCAPE.sub(r"_x005F_\1", strings[i].translate(_ESCAPES))
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    space = np.zeros(len(strings), dtype=bool)
    space[_matching_rows(strings, "\x00", _EDGE_SPACE)] = True

    text = np.full(n, "", dtype=object)
    text[~missing] = np.array(strings, dtype=object) if strings else []
    keep = np.zeros(n, dtype=bool)
    keep[~missing] = space
    blank = missing.copy()
    blank[~missing] = lengths == 0
    return text, blank, keep


def _matching_rows(strings: list[str], sep: str, *patterns: re.Pattern) -> np.ndarray:
    """Indices of the strings in which any of ``patterns`` matches (sorted, unique).

    The strings are joined with ``sep`` (which no pattern may match or match across)
    and wrapped in ``sep``, so a few C-speed scans replace a regex search per row;
    each pattern's ``quick`` substrings (see ``_QUICK``) skip the regex when absent.
    """
    joined = sep + sep.join(strings) + sep
    starts = []
    for pattern in patterns:
        quick = _QUICK.get(pattern)
        if quick is not None and not any(q in joined for q in quick):
            continue
        starts.extend(m.start() for m in pattern.finditer(joined))
    if not starts:
        return np.zeros(0, dtype=np.int64)
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    row_starts = np.concatenate(([len(sep)], len(sep) + np.cumsum(lengths[:-1] + len(sep))))
    rows = np.searchsorted(row_starts, np.array(starts), side="right") - 1
    return np.unique(rows)


def number_values(values: pd.Series, sheet: str = "", column: str = "") -> np.ndarray:
    """A numeric column as float64 (NaN for blanks); text that is not a number raises ValueError."""
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    try:
        numbers = pd.to_numeric(values, errors="raise")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"column {column!r} of sheet {sheet!r} holds a value that is not a number: {exc}") from exc
    return pd.Series(numbers).to_numpy(dtype="float64", na_value=np.nan)


def format_numbers(numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numbers as ``<v>`` text and a blank mask (NaN, inf: not finite, written blank).

    Whole numbers below 2**53 are written without a decimal point (``3``, not ``3.0``);
    others with Python's shortest round-trip repr (``0.1``, ``1e-05``), which reads
    back to the same double.
    """
    numbers = np.asarray(numbers, dtype="float64")
    finite = np.isfinite(numbers)
    whole = finite & (np.floor(numbers) == numbers) & (np.abs(numbers) < 2.0**53)
    frac = finite & ~whole
    text = np.full(len(numbers), "", dtype=object)
    if whole.any():
        text[whole] = np.array(list(map(str, numbers[whole].astype(np.int64).tolist())), dtype=object)
    if frac.any():
        text[frac] = np.array(list(map(repr, numbers[frac].tolist())), dtype=object)
    return text, ~finite


_EPOCH_1900 = pd.Timestamp("1899-12-30")
_EPOCH_1904 = pd.Timestamp("1904-01-01")
_DAY = pd.Timedelta(days=1)


def date_serials(values: pd.Series, *, date1904: bool = False) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Dates as Excel serial numbers (days, fraction for the time of day), NaN for NaT.

    1900 date system: 1900-01-01 is 1; Excel's phantom 1900-02-29 means serials before
    1900-03-01 are one lower than the day count from 1899-12-30. 1904 system (Mac
    workbooks with ``date1904``): 1904-01-01 is 0. Time zones are dropped (wall time kept).
    Returns ``(serials, (too_early_mask, iso_text))``: dates Excel cannot hold (before
    its first day) are left NaN and given as ISO text, to be written as text.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = values
    else:
        stamps = pd.to_datetime(values, errors="raise", format="ISO8601")
    stamps = pd.Series(stamps).reset_index(drop=True)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
    serials = ((stamps - epoch) / _DAY).to_numpy(dtype="float64", na_value=np.nan)
    if not date1904:
        serials = np.where(serials < 61, serials - 1, serials)
    early = np.isfinite(serials) & (serials < (0 if date1904 else 1))
    iso = np.full(len(serials), "", dtype=object)
    if early.any():
        text = stamps[early].dt.strftime("%Y-%m-%d %H:%M:%S").str.removesuffix(" 00:00:00")
        iso[early] = text.to_numpy(dtype=object)
        serials = np.where(early, np.nan, serials)
    return serials, (early, iso)


# ---------------------------------------------------------------------------------
# Table, workbook, calc chain
# ---------------------------------------------------------------------------------
_TABLE_TAG = re.compile(rb"<((?:[\w.-]+:)?)table\b([^>]*)>")
_REF_ATTR = re.compile(rb"""(\bref\s*=\s*)(["'])([^"']*)\2""")
_AUTO_FILTER = re.compile(rb"<(?:[\w.-]+:)?autoFilter\b[^>]*>")
_SORT_REFS = re.compile(rb"<(?:[\w.-]+:)?sort(?:State|Condition)\b[^>]*>")
_RANGE = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?$")


def resize_table(xml: bytes, last_row: int, *, table_name: str = "", sheet_name: str = "") -> bytes | None:
    """A table part with ``ref`` and ``autoFilter ref`` set to rows 1..last_row.

    Only the sheet's own table (its ``ref`` starts at A1) is resized; its columns stay
    as they are. Returns None for any other table (left untouched). Sort state refs,
    which point at data rows, follow the new row count. Raises WorkbookError for a
    table with a totals row (this tool writes every row below the header as data).
    """
    m = _TABLE_TAG.search(xml)
    if m is None:
        return None
    attrs = tag_attrs(m.group(2))
    ref = _RANGE.match(attrs.get("ref", ""))
    if ref is None or ref.group(1).upper() != "A" or ref.group(2) != "1":
        return None
    if int(attrs.get("totalsRowCount", "0") or 0) > 0:
        raise WorkbookError(
            f'The table "{attrs.get("displayName") or attrs.get("name") or table_name}" on the '
            f"{sheet_name} sheet has a Total Row. Turn it off (Table Design > Total Row) and run again."
        )
    last_col = (ref.group(3) or ref.group(1)).upper()
    new_ref = f"A1:{last_col}{last_row}".encode()

    def set_ref(tag: bytes, value: bytes) -> bytes:
        return _REF_ATTR.sub(lambda r: r.group(1) + r.group(2) + value + r.group(2), tag, count=1)

    def data_rows(tag: bytes) -> bytes:
        def fix(r: re.Match) -> bytes:
            rng = _RANGE.match(r.group(3).decode())
            if rng is None:
                return r.group(0)
            first, last = rng.group(1), rng.group(3) or rng.group(1)
            return r.group(1) + r.group(2) + f"{first}2:{last}{last_row}".encode() + r.group(2)
        return _REF_ATTR.sub(fix, tag, count=1)

    head = xml[: m.start()] + set_ref(m.group(0), new_ref)
    rest = xml[m.end() :]
    rest = _AUTO_FILTER.sub(lambda a: set_ref(a.group(0), new_ref), rest, count=1)
    rest = _SORT_REFS.sub(lambda s: data_rows(s.group(0)), rest)
    return head + rest


_CALC_PR = re.compile(rb"<(?:[\w.-]+:)?calcPr\b([^>]*?)(/?)>")
_FULL_CALC = re.compile(rb"""(\bfullCalcOnLoad\s*=\s*)(["'])([^"']*)\2""")
_WORKBOOK_TAG = re.compile(rb"<((?:[\w.-]+:)?)workbook\b")
_SHEETS_END = re.compile(rb"</(?:[\w.-]+:)?sheets>|<(?:[\w.-]+:)?sheets\b[^>]*/>")


def set_full_calc_on_load(xml: bytes) -> bytes:
    """The workbook part with ``<calcPr fullCalcOnLoad="1"/>``; unchanged when already set.

    An existing calcPr gets the attribute (other attributes kept); otherwise a calcPr is
    inserted where the schema wants it: after definedNames (and sheets), before oleSize,
    customWorkbookViews, pivotCaches, ..., extLst.
    """
    m = _CALC_PR.search(xml)
    if m is not None:
        attrs = m.group(1)
        full = _FULL_CALC.search(attrs)
        if full is not None:
            if full.group(3) in (b"1", b"true"):
                return xml
            start = m.start(1) + full.start(3)
            return xml[:start] + b"1" + xml[m.start(1) + full.end(3) :]
        at = m.end(1)
        return xml[:at] + b' fullCalcOnLoad="1"' + xml[at:]

    root = _WORKBOOK_TAG.search(xml)
    if root is None:
        raise WorkbookError("The workbook is damaged: its workbook part has no <workbook> element.")
    prefix = root.group(1)
    sheets_end = _SHEETS_END.search(xml)
    after = sheets_end.end() if sheets_end else root.end()
    nxt = re.compile(rb"<" + re.escape(prefix) + rb"(?:" + _AFTER_CALC_PR + rb")\b").search(xml, after)
    at = nxt.start() if nxt else xml.rfind(b"</" + prefix + b"workbook>")
    if at < 0:
        raise WorkbookError("The workbook is damaged: its workbook part never ends.")
    return xml[:at] + b"<" + prefix + b'calcPr fullCalcOnLoad="1"/>' + xml[at:]


_CALC_CELL = re.compile(rb"<(?:[\w.-]+:)?c\b([^>]*?)(?:/>|>\s*</(?:[\w.-]+:)?c>)")  # <c .../> or <c ...></c>


def drop_calc_cells(xml: bytes, sheet_ids: set[str] | frozenset[str]) -> tuple[bytes, int]:
    """A calc chain without entries for rows 2+ of the given sheets; returns ``(xml, kept)``.

    An entry's sheet ``i`` is sticky (omitted means the previous entry's), so every
    kept entry whose predecessor was dropped gets an explicit ``i``.
    Returns the input bytes unchanged when nothing is dropped.
    """
    out, pos, current, dropped_any, kept = [], 0, "", False, 0
    need_i = False
    for m in _CALC_CELL.finditer(xml):
        a = tag_attrs(m.group(1))
        current = a.get("i", current)
        ref = split_ref(a.get("r", ""))
        if current in sheet_ids and ref is not None and ref[0] >= 2:
            out.append(xml[pos : m.start()])
            pos = m.end()
            dropped_any = need_i = True
            continue
        kept += 1
        if need_i and "i" not in a:
            out.append(xml[pos : m.start(1)])
            out.append(f' i="{current}"'.encode())
            pos = m.start(1)
        need_i = False
    if not dropped_any:
        return xml, kept
    out.append(xml[pos:])
    return b"".join(out), kept


def _drop_calc_chain_cells(
    zin: zipfile.ZipFile, wb_part: str, sheet_ids: set[str], replaced: dict[str, bytes], removed: set[str]
) -> None:
    """Drop calc chain entries on the patched sheets; drop the part when it is left empty.

    ECMA-376 says a calc cell's ``i`` is the sheet's ``sheetId`` (Apache POI agrees);
    some writers use the tab position. ``sheet_ids`` holds both: dropping an entry of
    another sheet only makes Excel rebuild that bit of the chain (fullCalcOnLoad is set
    anyway), while keeping an entry that points at a cell we emptied makes Excel
    "repair" the file.
    """
    for rel in read_rels(zin, wb_part):
        if rel.external or not rel.type.endswith(REL_CALC_CHAIN):
            continue
        part = existing_name(zin, rel.target)
        if part is None:
            continue
        original = zin.read(part)
        xml, kept = drop_calc_cells(original, sheet_ids)
        if kept:
            if xml is not original:
                replaced[part] = xml
            continue
        removed.add(part)
        rels_name = existing_name(zin, rels_part(wb_part))
        if rels_name is not None:
            replaced[rels_name] = _remove_element(zin.read(rels_name), b"Relationship", b"Id", rel.id.encode())
        types = existing_name(zin, "[Content_Types].xml")
        if types is not None:
            replaced[types] = _remove_element(
                zin.read(types), b"Override", b"PartName", b"/" + part.encode(), casefold=True
            )


def _remove_element(xml: bytes, tag: bytes, attr: bytes, value: bytes, *, casefold: bool = False) -> bytes:
    """``xml`` without the empty elements ``<tag .../>`` whose ``attr`` equals ``value``."""
    pattern = re.compile(rb"<(?:[\w.-]+:)?" + tag + rb"\b([^>]*?)/>\s*")

    def drop(m: re.Match) -> bytes:
        got = tag_attrs(m.group(1)).get(attr.decode(), "").encode()
        same = got.lower() == value.lower() if casefold else got == value
        return b"" if same else m.group(0)

    return pattern.sub(drop, xml)


# ---------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------
def _find_sheet(listed: list[tuple[str, str, str]], name: str) -> tuple[str, str, int] | None:
    """(part, sheetId, one-based tab position) of a sheet; Excel names are case-insensitive."""
    for exact in (True, False):
        for pos, (sheet_name, sheet_id, part) in enumerate(listed, start=1):
            if sheet_name == name if exact else sheet_name.casefold() == name.casefold():
                return part, sheet_id, pos
    return None


def _fit_dashboard_charts(zin: zipfile.ZipFile, part: str, frame: pd.DataFrame, replaced: dict[str, bytes]) -> None:
    """Point the Dashboard's top-item and month charts at the rows that hold data."""
    blocks = {}
    for name in ("top", "months"):
        first, last = contract.dashboard_rows()[name]
        measures = frame["measure"].iloc[first - 2 : last - 1] if "measure" in frame else pd.Series(dtype=object)
        filled = [first + i for i, m in enumerate(measures.tolist()) if isinstance(m, str) and m.strip()]
        blocks[(first, last)] = (filled[0], filled[-1]) if filled else (first, last)
    for chart in sheet_charts(zin, part):
        xml = zin.read(chart)
        new = fit_chart_ranges(xml, contract.DASHBOARD.name, blocks)
        if new is not xml:
            replaced[chart] = new


def _styles_part(zin: zipfile.ZipFile, wb_part: str) -> str | None:
    """The workbook's styles part (``xl/styles.xml``), or None when it has none."""
    for rel in read_rels(zin, wb_part):
        if not rel.external and rel.type.endswith("/styles"):
            return existing_name(zin, rel.target)
    return None


_OUR_FOOTER = contract.footer("")  # "&L&C&A&RPage &P of &N": the template's, with no name
_FOOTER = re.compile(
    rb"(<(?:[\w.-]+:)?oddFooter>)&amp;L(.*?)("
    + re.escape(_OUR_FOOTER[2:].replace("&", "&amp;").encode()) + rb"</(?:[\w.-]+:)?oddFooter>)", re.S)


_SAFE_FOOTER = re.compile(f"[{_FORBIDDEN}\\r\\n]")


def set_footer_name(xml: bytes, business_name: str) -> bytes:
    """A worksheet part whose printed footer shows ``business_name`` on the left.

    Only the footer the template set (its centre and right part as ``contract.footer``
    makes them) is changed; a sheet without one, or with the owner's own, is returned
    as it is.
    """
    name = _SAFE_FOOTER.sub("", business_name).replace("&", "&&")  # "&&" prints one "&"
    text = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode("utf-8")
    return _FOOTER.sub(lambda m: m.group(1) + b"&amp;L" + text + m.group(3), xml, count=1)


def _contract_sheet(name: str) -> contract.Sheet:
    try:
        return contract.sheet(name)
    except KeyError:
        raise ValueError(f"{name!r} is not a sheet of the workbook contract; pass contract_sheets") from None


def _clone_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A fresh ZipInfo with the entry's name, date, compression and attributes.

    Extra fields are not copied (a stale zip64 field would be written twice).
    """
    clone = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    clone.compress_type = info.compress_type
    clone.comment = info.comment
    clone.create_system = info.create_system
    clone.external_attr = info.external_attr
    clone.internal_attr = info.internal_attr
    return clone


def _copy_mode(existing: Path, tmp: Path) -> None:
    try:
        mode = existing.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
