"""Read a sheet's contract columns as typed columns: fastexcel, through calamine into Arrow.

python-calamine's ``to_python`` makes a Python object of every cell (half a second for
a Sales sheet of 500,000 lines) and the parser then builds columns from them again.
fastexcel reads through the same calamine straight into one Arrow array per column;
the parser (:func:`~.parse.parse_sheet`) then converts only each column's distinct
values — a few thousand SKUs, a few hundred days, the prices — with the very functions
it uses cell by cell, and spreads the results over the rows.

A sheet is read this way only when that is plainly safe, else :func:`load_typed`
returns None and the sheet is read cell by cell as before:

* its cells start at row 1 (fastexcel counts rows from the first one holding a value;
  the sheet's last ``<row>`` number, from the package check's pass over the part, must be
  the header plus fastexcel's rows);
* each contract column holds one kind of value throughout (``dtype_coercion="strict"``
  over every row): a Quantity column holding a number and the text "abc" is refused.

Which kinds a column may hold, and what happens when a value is unusable, is decided by
the parser (:func:`~.parse._parse_typed`), which falls back to the cells on any doubt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from .parse import header_key

# fastexcel says through Python logging when an empty column's type is unknown ("falling
# back to string"): not news to the owner.
logging.getLogger("fastexcel").setLevel(logging.ERROR)


@dataclass
class TypedSheet:
    """A sheet's contract columns as Arrow arrays (body rows 2 .. ``height`` + 1).

    header: row 1 by zero-based column position; ``""`` where no column was read.
    loaded: the header keys (:func:`header_key`) of the columns that were asked for:
        a column asked for but not found is not in the sheet.
    columns: zero-based column position -> its body cells (a ``pyarrow.Array``).
    """

    header: list[str]
    loaded: frozenset[str]
    height: int
    columns: dict[int, Any]

    def distinct(self, idx: int, date: bool) -> tuple[np.ndarray, list] | None:
        """(codes, values): row ``i + 2`` holds ``values[codes[i]]``, an empty cell ``-1``.

        ``values`` are the Python objects the cell-by-cell reader would give (str,
        float, bool, datetime). None when the column holds a kind this path does not
        take (date columns: date cells only; others: text, numbers or TRUE/FALSE).
        """
        import pyarrow as pa

        arr = self.columns[idx]
        t = arr.type
        if pa.types.is_null(t) or arr.null_count == len(arr):
            return np.full(len(arr), -1, dtype=np.int64), []
        if date:
            ok = pa.types.is_timestamp(t) and t.tz is None
        else:
            ok = pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_float64(t) or \
                pa.types.is_boolean(t)
        if not ok:
            return None
        enc = arr.dictionary_encode()
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        try:
            values = enc.dictionary.to_pylist()
        except (ValueError, OverflowError):  # a date Python cannot hold
            return None
        return codes, values


def open_reader(data: bytes) -> Any | None:
    """A fastexcel reader of the package's bytes, or None when fastexcel cannot open it.

    Only call this after :func:`~.package_check.check_package` has passed.
    """
    try:
        import fastexcel
    except ImportError:  # pragma: no cover  (a dependency; the cell reader still works)
        return None
    try:
        return fastexcel.read_excel(data)
    except BaseException as exc:  # noqa: B036  fastexcel's errors, or calamine's panic
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        return None


def load_typed(reader: Any, name: str, wanted: list[str], last_row: int | None) -> TypedSheet | None:
    """The ``wanted`` columns (header names) of sheet ``name`` as typed arrays, or None.

    last_row: the number of the sheet's last ``<row>`` (see
        :func:`~.xlsx_parts.scan_sheet`); None or 0 (unknown, or no rows) gives None.
    """
    if reader is None or not last_row:
        return None
    keys = frozenset(header_key(n) for n in wanted)
    try:
        sheet = reader.load_sheet(name, header_row=0, dtype_coercion="strict", schema_sample_rows=None,
                                  use_columns=lambda c: header_key(c.name) in keys)
        batch = sheet.to_arrow()
        infos = list(sheet.selected_columns)
    except BaseException as exc:  # noqa: B036  mixed kinds in a column, a sheet it refuses, a panic
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        return None
    if batch.num_rows + 1 != last_row or batch.num_columns != len(infos):
        return None  # the cells do not start at row 1 (or rows are not where they seem)
    header: list[str] = [""] * (max((c.absolute_index for c in infos), default=-1) + 1)
    columns = {}
    for i, info in enumerate(infos):
        if info.column_name_from != "looked_up" or batch.schema.names[i] != info.name:
            return None
        header[info.absolute_index] = info.name
        columns[info.absolute_index] = batch.column(i)
    return TypedSheet(header, keys, batch.num_rows, columns)
