"""Check a workbook's zip package before anything inflates it: no zip bomb, no damaged part.

An .xlsx is a zip. A hostile or broken one can declare parts that inflate to gigabytes
(a "zip bomb": 14 MB on disk, 3.2 GB of Sales XML), carry a part whose checksum is
wrong, or a sheet whose XML declares a DOCTYPE (which Excel never writes, and which
is how XML entity attacks begin). Each is refused here with one line naming the
sheet, before python-calamine reads a byte: calamine inflates a part to its real end
whatever size the package declares, so every part it will read is first streamed
through Python's zipfile, which stops at the declared size and checks the checksum.

The limits are far beyond real data: Excel's sheet ends at row 1,048,576, and a Sales
sheet filled to that row with all its columns typed is about 0.3 GB of XML.
"""

from __future__ import annotations

import re
import zipfile
import zlib

from ..errors import WorkbookError
from .xlsx_parts import scan_sheet

MAX_PART_BYTES = 1 << 30        # 1 GB of XML in one part
MAX_PACKAGE_BYTES = 2 << 30     # 2 GB of XML in the whole workbook
# Real sheets inflate 5–20 times (the demo's Sales sheet: 8.6). Deflate's most is
# about 1,000; a bomb sits near it. Small parts may inflate any amount: they are small.
MAX_RATIO = 150
RATIO_FROM_BYTES = 32 << 20
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_HEAD_BYTES = 64 << 10
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError)


def check_package(zf: zipfile.ZipFile, sheets: dict[str, str], wanted: list[str],
                  book_name: str, last_rows: dict[str, int | None] | None = None,
                  ) -> dict[str, dict[tuple[int, int], str]]:
    """Refuse a bomb or a damaged part; return the error cells of the ``wanted`` sheets.

    sheets: every sheet's name -> part (to name the sheet in messages).
    last_rows: filled with each wanted sheet's last row number (see
        :func:`~.xlsx_parts.scan_sheet`), when given.
    Every XML part (sheets, shared strings, styles, relationships) is streamed to its end
    once; the wanted sheets' error cells (and last rows) are found on that same pass.
    Raises WorkbookError naming the sheet (or part) and saying that nothing was changed.
    """
    by_part = {part: name for name, part in sheets.items()}
    scan = {sheets[n]: n for n in wanted if n in sheets}
    infos = [i for i in zf.infolist() if not i.is_dir()]
    for info in infos:
        _check_size(info, _where(info.filename, by_part), book_name)
    total = sum(i.file_size for i in infos)
    if total > MAX_PACKAGE_BYTES:
        raise WorkbookError(
            f"{book_name} unpacks to {total / 1e9:.1f} GB, more than the {MAX_PACKAGE_BYTES / 2**30:.0f} GB "
            "this tool reads. The file is damaged or built to overload; nothing was changed.")
    found = {}
    for info in infos:
        if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue  # images and the like: calamine never reads them
        where = _where(info.filename, by_part)
        try:
            with zf.open(info) as fh:  # one pass: the head, then on from there
                head = fh.read(_HEAD_BYTES)
                doctype = bool(_DOCTYPE.search(head))
                if doctype:
                    pass
                elif info.filename in scan:
                    name = scan[info.filename]
                    found[name], last = scan_sheet(zf, info.filename, fh=fh, head=head)
                    if last_rows is not None:
                        last_rows[name] = last
                else:
                    _drain(fh)
        except WorkbookError:  # the streamed XML parse of a sheet whose cells lack addresses
            raise WorkbookError(_damaged(book_name, where, "is not valid XML")) from None
        except _DAMAGED as exc:
            reason = "fails its checksum" if "CRC" in str(exc) else "is cut short or unreadable"
            raise WorkbookError(_damaged(book_name, where, reason)) from None
        if doctype:
            raise WorkbookError(
                f"{book_name}: {where} declares a DOCTYPE, which Excel and LibreOffice never write; the "
                "file may be hostile and is not read. Nothing was changed.")
    return found


def _check_size(info: zipfile.ZipInfo, where: str, book_name: str) -> None:
    if info.file_size > MAX_PART_BYTES:
        raise WorkbookError(
            f"{book_name}: {where} unpacks to {info.file_size / 1e9:.1f} GB, more than the "
            f"{MAX_PART_BYTES / 2**30:.0f} GB this tool reads (a sheet filled to Excel's last row takes "
            "about 0.3 GB). The file is damaged or built to overload; nothing was changed.")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > RATIO_FROM_BYTES and ratio > MAX_RATIO:
        raise WorkbookError(
            f"{book_name}: {where} unpacks to {ratio:,.0f} times its size in the file (real sheets: "
            f"under {MAX_RATIO}). The file looks built to overload the computer (a zip bomb); "
            "nothing was changed.")


def _drain(fh) -> None:
    """Inflate an open part to its end and forget it (zipfile checks size and checksum at the end)."""
    while fh.read(1 << 20):
        pass


def _where(part: str, by_part: dict[str, str]) -> str:
    return f"the {by_part[part]} sheet" if part in by_part else f"its part {part}"


def _damaged(book_name: str, where: str, reason: str) -> str:
    return (f"{book_name}: {where} is damaged (its data {reason}). Open the workbook in Excel or LibreOffice, "
            "save it again, and run again; nothing was changed.")
