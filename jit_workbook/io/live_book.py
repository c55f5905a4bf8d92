"""The live engine: a workbook open in Excel, read and written through xlwings ranges.

Round trips: the number of calls into Excel does not grow with the number of SKUs or
sales lines. A sheet is read with one ``Range.value`` of the block from A1 to the used
range's last cell, plus a handful of calls to find that cell; an output sheet is written
with one ``Range.value`` for the whole block plus a fixed set of calls set by the
contract: the table resize, one clear of the rows left from a longer previous run, one
number format per run of equally formatted columns, one fill per editable column.
tests/test_excel_live.py counts every call for 100 and for 2,000 SKUs: the same.

The one exception is xlwings' own chunking: classic xlwings splits a ``Range.value``
transfer into several calls above 4,000,000 cells read or 100,000 cells written
(``DEFAULT_MAX_CELLS_PER_READ`` / ``_WRITE`` in ``xlwings/base_classes.py``), so a
Reorder sheet of more than 4,347 SKUs (23 columns) is written in
``ceil(rows / 4,347)`` calls. That guard against COM failures on huge transfers is kept.

Values read are made to look like the file reader's (python-calamine): a date cell at
midnight is a ``date``, a time-only cell a ``time``, and every Excel error value is
its text (``#N/A``, also the newer ``#SPILL!``/``#CALC!`` that xlwings on Windows
hands over as bare COM error numbers), so both engines report the same Data Issues
with the same words.

Written text always stays text: columns formatted ``@`` get the format before the
values, and every other text cell is written with Excel's quote prefix (``'``), so a
description ``=HYPERLINK("x")`` is never a formula, ``2026-03`` never a date and
``00123`` never the number 123. Screen updating is off while writing and restored
afterwards, also when writing fails.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from dataclasses import dataclass
from itertools import chain, groupby
from typing import Any

import numpy as np
import pandas as pd

from .. import contract as K
from ..errors import JitError, MissingSheetError, WorkbookError
from ..safe_text import hyperlink_formulas
from ..template import EDITABLE_FILL
from .parse import Grid

# Excel's longest cell text, in characters (the file writer cuts at the same length).
MAX_TEXT = 32_767
# The yellow of the owner's columns, as the template paints them.
EDITABLE_COLOR = "#" + EDITABLE_FILL.fgColor.rgb[-6:]
# Excel error values as pywin32 hands them over: 0x800A0000 + xlErr code, signed 32-bit.
# xlwings translates only the first seven (``_xlwindows.cell_errors``); the rest would
# reach the parser as numbers (a #SPILL! quantity would read as -2,146,826,243 units).
_XL_ERR = {"#NULL!": 2000, "#DIV/0!": 2007, "#VALUE!": 2015, "#REF!": 2023, "#NAME?": 2029,
           "#NUM!": 2036, "#N/A": 2042, "#GETTING_DATA": 2043, "#SPILL!": 2045, "#CONNECT!": 2046,
           "#BLOCKED!": 2047, "#UNKNOWN!": 2048, "#FIELD!": 2049, "#CALC!": 2050}
COM_ERRORS = {code - 2_146_828_288: text for text, code in _XL_ERR.items()}
_EXCEL_ZERO_DAY = (1899, 12, 30)


class PartialWriteError(JitError):
    """Writing an output sheet failed after some cells had changed (e.g. a protected sheet)."""


def excel_date(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
               microsecond: int = 0, tzinfo: Any = None) -> dt.date | dt.datetime | dt.time:
    """xlwings' ``dates=`` builder that reads cells the way python-calamine does.

    A date cell at midnight is a ``date``, a cell on Excel's day zero (1899-12-30) a
    ``time``, anything else a ``datetime`` (naive).

    >>> excel_date(2026, 3, 1), excel_date(2026, 3, 1, 9, 30), excel_date(1899, 12, 30, 6)
    (datetime.date(2026, 3, 1), datetime.datetime(2026, 3, 1, 9, 30), datetime.time(6, 0))
    """
    if (year, month, day) == _EXCEL_ZERO_DAY:
        return dt.time(hour, minute, second, microsecond)
    if hour == minute == second == microsecond == 0:
        return dt.date(year, month, day)
    return dt.datetime(year, month, day, hour, minute, second, microsecond)


class LiveBook:
    """A workbook open in Excel, as the actions see it (see :mod:`jit_workbook.actions`).

    book: an ``xlwings.Book``.
    changed: names of the output sheets whose cells this object has started to change
        (empty while nothing in the workbook was touched; the Excel entry point says so).
    """

    def __init__(self, book: Any):
        self.book = book
        self.app = book.app
        self.name = book.name
        self.changed: list[str] = []
        self._sheet_names: list[str] | None = None

    @property
    def folder(self) -> Path:
        """The folder the workbook is saved in (order files go beside it)."""
        return Path(self.book.fullname).resolve().parent

    def status(self, message: str) -> None:
        """Show progress in Excel's status bar: ``JIT: reading Sales (48,211 rows)…``."""
        self.app.status_bar = f"JIT: {message}…"

    # -- reading --------------------------------------------------------------------
    def sheet_names(self) -> list[str]:
        if self._sheet_names is None:
            self._sheet_names = [s.name for s in self.book.sheets]
        return self._sheet_names

    def read(self, names: list[str], optional: frozenset[str] = frozenset()) -> dict[str, Grid]:
        """One :class:`Grid` per sheet present; MissingSheetError (worded as the file
        reader's) when a sheet not in ``optional`` is missing."""
        present = set(self.sheet_names())
        missing = [n for n in names if n not in present and n not in optional]
        if missing:
            plural = "s" if len(missing) > 1 else ""
            listed = ", ".join(f"'{m}'" for m in missing)
            outputs = all(K.sheet(m).role == "output" for m in missing if m in K.SHEETS_BY_NAME)
            raise MissingSheetError(
                f"{self.name}: sheet{plural} {listed} not found. "
                + ("Output sheets can be added back with: jit-workbook upgrade " + self.name if outputs
                   else "Sheet names must be exactly as in the template (jit-workbook new makes a fresh one)."))
        return {name: self._read_sheet(name) for name in names if name in present}

    def _read_sheet(self, name: str) -> Grid:
        sheet = self.book.sheets[name]
        last = sheet.used_range.last_cell
        rows, cols = last.row, last.column
        body = max(rows - 1, 0)
        self.status(f"reading {name} ({body:,} row{'' if body == 1 else 's'})")
        # Anchored at A1 so grid positions are sheet positions, whatever the used range's start.
        values = sheet.range((1, 1), (rows, cols)).options(ndim=2, err_to_str=True, dates=excel_date).value
        return Grid(_name_com_errors(values))

    # -- writing --------------------------------------------------------------------
    def write(self, sheets: dict[str, pd.DataFrame], look: K.Look | None = None) -> None:
        """Write each output sheet's frame from row 2, resize its table, format its columns.

        look: the Settings the sheets follow (money in its Currency, the Dashboard's Value
        one format per row, as ``contract.number_formats`` says); None: the contract's.

        Every sheet is checked before anything changes (present; its table, the one
        whose header starts at A1, has no Total Row), raising MissingSheetError or
        WorkbookError with nothing changed. A failure once cells have changed raises
        PartialWriteError naming the sheet.
        """
        targets = [self._target(name) for name in sheets]
        was_updating = self.app.screen_updating
        self.app.screen_updating = False
        try:
            for target, frame in zip(targets, sheets.values()):
                name, n = target.spec.name, len(frame)
                self.status(f"writing {name} ({n:,} row{'' if n == 1 else 's'})")
                self.changed.append(name)
                try:
                    _write_sheet(target, frame, look)
                except Exception as exc:
                    raise PartialWriteError(
                        f"Could not finish writing the '{name}' sheet ({type(exc).__name__}: {exc}). "
                        "If the sheet is protected, unprotect it (Review > Unprotect Sheet), then click "
                        "the button again.") from exc
        finally:
            self.app.screen_updating = was_updating

    def _target(self, name: str) -> _Target:
        """Where a sheet's result goes, checked before any change."""
        if name not in self.sheet_names():
            raise MissingSheetError(
                f"{self.name}: sheet '{name}' not found, so the results have nowhere to go. Undo the "
                "rename, or copy the sheet back from a fresh template (jit-workbook new), then run "
                "again. Nothing was written.")
        table_spec = K.sheet(name)
        spec = table_spec.layout  # the cells written: the table, and any block beside it
        ws = self.book.sheets[name]
        for table in ws.tables:  # the sheet's own table: its header row starts at A1
            rng = table.range
            if (rng.row, rng.column) == (1, 1):
                break
        else:  # no table: the cells are written all the same, as the file writer does
            return _Target(spec, ws, None, len(table_spec.columns))
        if table.show_totals:
            raise WorkbookError(
                f'The table "{table.name}" on the {name} sheet has a Total Row. Turn it off '
                "(Table Design > Total Row) and run again.")
        # Columns the owner added to the table stay in it.
        return _Target(spec, ws, table, max(len(table_spec.columns), rng.shape[1]))


def _name_com_errors(values: list[list[Any]]) -> list[list[Any]]:
    """Replace the COM error numbers xlwings leaves untranslated by their text.

    On Windows every number arrives as a float and an error as an int, so an int equal
    to a known code is an error. One hash lookup per cell in C (``isdisjoint``) when
    there is none, which is nearly always.
    """
    if COM_ERRORS.keys().isdisjoint(chain.from_iterable(values)):
        return values
    return [[COM_ERRORS.get(v, v) if type(v) is int else v for v in row] for row in values]


@dataclass
class _Target:
    """An output sheet ready to be written: its contract, xlwings sheet, table (or None)
    and the table's width in columns (at least the contract's)."""

    spec: K.Sheet
    ws: Any
    table: Any
    width: int


def _write_sheet(target: _Target, frame: pd.DataFrame, look: K.Look | None = None) -> None:
    """The fixed sequence of calls that writes one output sheet (see the module docstring)."""
    spec, ws = target.spec, target.ws
    formats = K.number_formats(spec, look.currency) if look is not None else {}
    width = len(spec.columns)
    n = len(frame)
    last_row = max(n + 1, 2)  # an empty result keeps one empty data row, like the file writer
    old_last = ws.used_range.last_cell.row
    if target.table is not None:
        target.table.resize(ws.range((1, 1), (last_row, target.width)))
    if old_last > last_row:  # rows of a longer previous run: values and formats go
        ws.range((last_row + 1, 1), (old_last, max(target.width, width))).clear()
    def column_format(jc: tuple[int, K.Column]) -> str | tuple[str, ...]:
        return formats.get(jc[1].field, jc[1].number_format)

    for fmt, run in groupby(enumerate(spec.columns, start=1), key=column_format):
        cols = [j for j, _ in run]
        if isinstance(fmt, tuple):  # one per row (the Dashboard's Value): one call per run of rows
            for row_fmt, rows in groupby(enumerate(fmt[: last_row - 1], start=2), key=lambda rf: rf[1]):
                at = [r for r, _ in rows]
                ws.range((at[0], cols[0]), (at[-1], cols[-1])).number_format = row_fmt
            continue
        ws.range((2, cols[0]), (last_row, cols[-1])).number_format = fmt
    for j, col in enumerate(spec.columns, start=1):
        if col.editable:
            ws.range((2, j), (last_row, j)).color = EDITABLE_COLOR
    header = ws.range((1, 1), (1, width)).value
    header = header if isinstance(header, list) else [header]
    filled = max((j for j, h in enumerate(header, start=1) if h not in (None, "")), default=0)
    if 0 < filled < width:  # columns the contract added since the workbook was made (Reorder's Planned For)
        ws.range((1, filled + 1)).value = [[c.name for c in spec.columns[filled:]]]
    if n:
        ws.range((2, 1)).value = cell_values(spec, frame, look.order_folder if look is not None else None)
    else:
        ws.range((2, 1), (2, width)).clear_contents()


def cell_values(sheet: K.Sheet, frame: pd.DataFrame, link_folder: str | None = None) -> list[list[Any]]:
    """The frame as a 2-D list Excel takes in one ``Range.value`` assignment.

    ``link`` columns become ``=HYPERLINK(...)`` formulas opening the file in
    ``link_folder`` (our own formula around quoted text, see
    :func:`~jit_workbook.safe_text.hyperlink_formulas`); without a folder, plain text.

    Text in a column formatted ``@`` goes in as it is (the format, set first, keeps it
    text); other text goes in with Excel's quote prefix (``'``) so Excel stores it as
    typed. Text longer than Excel's 32,767 characters is cut. Numbers that are not
    finite become empty cells; dates become ``datetime``. Vectorised per column.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"sheet": ["Stock"], "cell": ["=A1"], "sku": ["00123"], "problem": [None]})
    >>> cell_values(K.DATA_ISSUES, frame)
    [["'Stock", "'=A1", '00123', None]]
    """
    if not len(frame):
        return []
    columns = []
    for col in sheet.columns:
        s = frame[col.field]
        if col.kind == "link" and link_folder is not None:
            formulas = hyperlink_formulas(link_folder, s)
            text = _text_column(s, quote=True)
            columns.append(np.where(formulas.ne("").to_numpy(), ("=" + formulas).to_numpy(dtype=object), text))
        elif col.kind in ("text", "choice", "link"):
            columns.append(_text_column(s, quote=col.number_format != K.FMT_TEXT))
        elif col.kind == "date":
            stamps = pd.to_datetime(s, errors="coerce")
            out = np.full(len(s), None, dtype=object)
            ok = stamps.notna().to_numpy()
            out[ok] = stamps[ok].dt.to_pydatetime()
            columns.append(out)
        else:
            num = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64")
            out = num.astype(object)  # a copy: safe to write into
            out[~np.isfinite(num)] = None
            columns.append(out)
    return np.column_stack(columns).tolist()


def _text_column(s: pd.Series, quote: bool) -> np.ndarray:
    """Cell text for one column: None for blanks, whole floats as integers (12.0 -> "12")."""
    blank = s.isna().to_numpy()
    if pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        text = s.where(~blank, "").astype(str)
    else:  # the planner only makes text here; numbers are a rare guest, done one by one
        text = s.map(lambda v: "" if pd.isna(v) else
                     str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)).astype(str)
    text = text.str.slice(0, MAX_TEXT)
    blank = blank | text.eq("").to_numpy()
    out = np.array((("'" + text) if quote else text).to_numpy(), dtype=object)  # a writable copy
    out[blank] = None
    return out
