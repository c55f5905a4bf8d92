"""Read a workbook file's sheets as grids, fast, without changing a byte of it.

python-calamine (Rust) reads cell values — for formulas their cached results, as
Excel last calculated them — about ten times faster than openpyxl. It shows Excel
error values (``#N/A``) as empty cells, so those are looked up in the sheet's XML
(only for sheets that contain any). Before calamine reads anything, the package is
checked (:mod:`jit_workbook.io.package_check`): no zip bomb, no damaged part.

The contract's sheets are read through the same calamine by fastexcel, as typed
columns (:mod:`jit_workbook.io.typed_read`): no Python object per cell. Their cells
are read one by one only where the parser needs them to say what is wrong.
"""

from __future__ import annotations

import io
import os
import warnings
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

import python_calamine

from .. import contract as K
from ..errors import MissingSheetError, WorkbookError
from .package_check import check_package
from .parse import Grid, LazyGrid
from .typed_read import load_typed, open_reader
from .xlsx_parts import sheet_parts

# Sheets read cell by cell only: the Settings sheet is a list of labelled values, not columns.
CELLS_ONLY = frozenset({K.SETTINGS.name})


def check_readable(path: Path) -> None:
    """Raise WorkbookError with a plain message if ``path`` is not a workbook we can read."""
    if not path.exists():
        raise WorkbookError(f"{path}: no such file. Check the name, or create one with: jit-workbook new {path}")
    if path.is_dir():
        raise WorkbookError(f"{path} is a folder, not a workbook (.xlsx)")
    if not zipfile.is_zipfile(path):
        raise WorkbookError(
            f"{path} is not an Excel workbook (.xlsx). Save it from Excel or LibreOffice as "
            "'Excel Workbook (.xlsx)' and try again")


def check_writable(path: Path) -> None:
    """Raise WorkbookError if saving over ``path`` would fail or fight with Excel or LibreOffice.

    Excel keeps a lock file ``~$Name.xlsx`` beside a workbook it has open, LibreOffice
    ``.~lock.Name.xlsx#``; writing the file underneath either would lose whichever copy
    saves last.
    """
    for lock, program in ((path.with_name("~$" + path.name), "Excel"),
                          (path.with_name(f".~lock.{path.name}#"), "LibreOffice")):
        if lock.exists():
            raise WorkbookError(
                f"{path.name} is open in {program} (found {lock.name} beside it). Close it in {program}, "
                "then run again" + (" — or use the Recalculate button inside Excel" if program == "Excel" else ""))
    if path.is_dir():
        raise WorkbookError(f"{path} is a folder, not a workbook (.xlsx); give the file's name")
    # The write bits, not only os.access: an administrator can write anywhere, but a file or
    # folder the owner marked read-only is a request to leave it alone.
    if path.exists() and not _writable(path):
        raise WorkbookError(f"{path} is read-only. Make it writable, or write elsewhere with --output")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise WorkbookError(f"the folder {folder} does not exist. Create it, or choose another with --output")
    if not _writable(folder):
        raise WorkbookError(f"cannot write in the folder {folder} (it is read-only). Choose another with --output")


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)


def read_grids(path: Path, names: list[str], optional: frozenset[str] = frozenset(),
               data: bytes | None = None) -> dict[str, Grid]:
    """One :class:`Grid` per sheet name (each sheet read once).

    A contract sheet is read as typed columns (:mod:`.typed_read`) where it can be; its
    cells are then read one by one only if the parser needs them after all (to say
    exactly what is wrong in a column). The Settings sheet, a sheet the contract does
    not describe, and a sheet the typed reader steps aside for are read cell by cell.
    Either way every sheet is read here, so one that cannot be read stops the run now.

    optional: sheets that may be absent (left out of the result).
    data: the file's bytes, when the caller has read them (then ``path`` is only its name
        in messages, and every sheet comes from these same bytes).
    Raises MissingSheetError naming every required sheet that is missing.
    """
    if data is None:
        check_readable(path)
        data = Path(path).read_bytes()
    path = Path(path)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            parts = sheet_parts(zf)
            missing = [n for n in names if n not in parts and n not in optional]
            if missing:
                raise _missing(path, missing)
            wanted = [n for n in names if n in parts]
            # Before calamine inflates anything: no zip bomb, no damaged or hostile part.
            last_rows: dict[str, int | None] = {}
            found = check_package(zf, parts, wanted, path.name, last_rows)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, NotImplementedError, RuntimeError):
        raise WorkbookError(f"{path.name} cannot be read as a workbook: its zip structure is damaged (or it is "
                            "password-protected). Open it in Excel or LibreOffice, save it again, and run "
                            "again; nothing was changed.") from None
    try:
        with _quiet_stderr():
            book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except BaseException as exc:  # noqa: B036  calamine's own errors, or its panic
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise WorkbookError(f"{path.name} cannot be read as a workbook; is it damaged or password-protected? "
                            "Nothing was changed.") from None
    grids: dict[str, Grid] = {}
    readers: list = []  # fastexcel's, opened only now that the package check has passed
    for n in wanted:
        typed = None
        if n in K.SHEETS_BY_NAME and n not in CELLS_ONLY:
            with _quiet_stderr():  # calamine's panic message, on a hostile sheet
                if not readers:
                    readers.append(open_reader(data))
                typed = load_typed(readers[0], n, _typed_columns(n), last_rows.get(n))
        if typed is None:
            grids[n] = Grid(_sheet_rows(book, data, n, path.name), found.get(n, {}))
        else:  # read: its cells, one by one, only if the parser needs them after all
            grids[n] = LazyGrid(lambda n=n: _sheet_rows(book, data, n, path.name), found.get(n, {}), typed)
    return grids


def _typed_columns(name: str) -> list[str]:
    """The header names a contract sheet's parsers may ask for (its table and the block beside it)."""
    return [c.name for c in K.sheet(name).layout.columns if c.name]


def _missing(path: Path, missing: list[str]) -> MissingSheetError:
    plural = "s" if len(missing) > 1 else ""
    listed = ", ".join(f"'{m}'" for m in missing)
    return MissingSheetError(
        f"{path.name}: sheet{plural} {listed} not found. "
        + ("Output sheets can be added back with: jit-workbook upgrade " + str(path)
           if all(K.sheet(m).role == "output" for m in missing if m in K.SHEETS_BY_NAME)
           else "Sheet names must be exactly as in the template (jit-workbook new makes a fresh one)."))


def _sheet_rows(book: python_calamine.CalamineWorkbook, data: bytes, name: str, book_name: str) -> list[list]:
    """A sheet's cells from A1 with calamine; openpyxl for the rare sheet calamine refuses.

    calamine stops on error values newer than it knows (``#SPILL!``, ``#CALC!``, seen
    in Excel 365 files), and panics on a date cell holding an absurd number (−1e308);
    openpyxl reads the first as their text and the second as ``#VALUE!``, which the
    parser reports on that row. A sheet neither can read (its XML cut short or not
    well formed) stops the run with one line naming it.
    """
    rows = _calamine_rows(book, name)
    if rows is not None:
        return rows
    import openpyxl

    with warnings.catch_warnings():  # "outside the limits for dates": the parser says so per cell
        warnings.simplefilter("ignore", UserWarning)
        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return [["" if v is None else v for v in row] for row in wb[name].iter_rows(values_only=True)]
            finally:
                wb.close()
        except Exception:  # noqa: BLE001  (the XML parser's wording means nothing to the owner)
            raise WorkbookError(
                f"{book_name}: the {name} sheet cannot be read: its XML is damaged (cut short, not well "
                "formed, or pointing at text the file lacks). Open the workbook in Excel or LibreOffice, save "
                "it again, and run again; nothing was changed.") from None


def _calamine_rows(book: python_calamine.CalamineWorkbook, name: str) -> list[list] | None:
    """calamine's rows of a sheet, or None when it cannot read them.

    A Rust panic inside calamine reaches Python as ``PanicException``, a BaseException
    that no ``except Exception`` catches, after Rust's panic hook has written its
    message (and a backtrace) to stderr: stderr is silenced while calamine reads.
    """
    with _quiet_stderr():
        try:
            return book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except python_calamine.CalamineError:
            return None
        except BaseException as exc:  # noqa: B036  (only calamine's panic, re-raise the rest)
            if type(exc).__name__ != "PanicException":
                raise
            return None


@contextmanager
def _quiet_stderr():
    """Send file descriptor 2 to /dev/null for the duration (Rust writes there directly)."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
