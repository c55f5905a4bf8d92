"""The live engine: a workbook open in Excel, read and written through xlwings ranges.

The number of round trips to Excel does not grow with the number of SKUs: each sheet
is read with one ``Range.value`` call (xlwings splits very large blocks into chunks)
and each output block is written with one call, plus a fixed number of calls per
column for number formats and one to resize the table. Screen updating is off while
writing and always restored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .. import contract as K
from ..errors import MissingSheetError
from .parse import Grid

# Rows per xlwings chunk for very large blocks (Excel's COM interface struggles with
# single transfers of millions of cells).
CHUNK_ROWS = 100_000
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


class LiveBook:
    """A workbook open in Excel, as the actions see it (see :mod:`jit_workbook.actions`).

    book: an ``xlwings.Book``.
    """

    def __init__(self, book: Any):
        self.book = book
        self.app = book.app
        self.name = book.name
        self._sheet_names: list[str] | None = None

    def status(self, message: str) -> None:
        """Show progress in Excel's status bar: ``JIT: reading Sales (48,211 rows)…``."""
        self.app.status_bar = f"JIT: {message}…"

    # -- reading --------------------------------------------------------------------
    def sheet_names(self) -> list[str]:
        if self._sheet_names is None:
            self._sheet_names = [s.name for s in self.book.sheets]
        return self._sheet_names

    def read(self, names: list[str], optional: frozenset[str] = frozenset()) -> dict[str, Grid]:
        present = set(self.sheet_names())
        missing = [n for n in names if n not in present and n not in optional]
        if missing:
            listed = ", ".join(f"'{m}'" for m in missing)
            raise MissingSheetError(
                f"{self.name}: sheet{'s' if len(missing) > 1 else ''} {listed} not found. Sheet names must be "
                "exactly as in the template; output sheets can be added back with: jit-workbook upgrade")
        grids = {}
        for name in names:
            if name in present:
                grids[name] = self._read_sheet(name)
        return grids

    def _read_sheet(self, name: str) -> Grid:
        sheet = self.book.sheets[name]
        last = sheet.used_range.last_cell
        rows, cols = last.row, last.column
        self.status(f"reading {name} ({max(rows - 1, 0):,} rows)")
        block = sheet.range((1, 1), (rows, cols))
        options = {"ndim": 2, "err_to_str": True}
        if rows > CHUNK_ROWS:
            options["chunksize"] = CHUNK_ROWS
        values = block.options(**options).value
        return Grid([list(r) for r in values])

    # -- writing --------------------------------------------------------------------
    def write(self, sheets: dict[str, pd.DataFrame]) -> None:
        present = set(self.sheet_names())
        missing = [n for n in sheets if n not in present]
        if missing:
            raise MissingSheetError(f"{self.name}: sheet '{missing[0]}' not found; add it with jit-workbook upgrade")
        was_updating = self.app.screen_updating
        self.app.screen_updating = False
        try:
            for name, frame in sheets.items():
                self.status(f"writing {name} ({len(frame):,} rows)")
                self._write_sheet(K.sheet(name), frame)
        finally:
            self.app.screen_updating = was_updating

    def _write_sheet(self, sheet: K.Sheet, frame: pd.DataFrame) -> None:
        ws = self.book.sheets[sheet.name]
        width = len(sheet.columns)
        old_last = max(ws.used_range.last_cell.row, 2)
        ws.range((2, 1), (old_last, width)).clear_contents()
        n = len(frame)
        if n:
            body = ws.range((2, 1), (n + 1, width))
            opts = {"ndim": 2}
            if n > CHUNK_ROWS:
                opts["chunksize"] = CHUNK_ROWS
            body.options(**opts).value = cell_values(sheet, frame)
        last_row = max(n + 1, 2)
        for j, col in enumerate(sheet.columns, start=1):
            ws.range((2, j), (last_row, j)).number_format = col.number_format
        for table in ws.tables:
            if table.name == sheet.table:
                table.resize(ws.range((1, 1), (last_row, width)))


def cell_values(sheet: K.Sheet, frame: pd.DataFrame) -> list[list[Any]]:
    """The frame as a 2-D list Excel takes in one ``Range.value`` assignment.

    Text goes in with Excel's quote prefix (``'``), so Excel stores it as typed: a
    description ``=HYPERLINK(...)`` is never a formula, a SKU ``00123`` never the number
    123 and ``2026-03`` never a date. Numbers that are not finite become empty cells;
    dates become ``datetime``. Vectorised per column.
    """
    columns = []
    for col in sheet.columns:
        s = frame[col.field]
        if col.kind in ("text", "choice"):
            text = s.astype(object).where(s.notna(), "").astype(str)
            columns.append(np.where(text.eq("").to_numpy(), None, ("'" + text).to_numpy(dtype=object)))
        elif col.kind == "date":
            stamps = pd.to_datetime(s, errors="coerce")
            columns.append(np.where(stamps.isna().to_numpy(), None, stamps.dt.to_pydatetime().astype(object)
                                    if len(stamps) else np.empty(0, dtype=object)))
        else:
            num = pd.to_numeric(s, errors="coerce").astype("float64")
            arr = num.to_numpy(dtype=object)
            arr[~np.isfinite(num.to_numpy())] = None
            columns.append(arr)
    return np.column_stack(columns).tolist() if columns and len(frame) else []
