"""Turn raw sheet grids into typed DataFrames and a list of row-level problems.

Both engines feed this module: the file reader (python-calamine) and the live
reader (xlwings) each produce a :class:`Grid` per sheet — the cell values as the
spreadsheet shows them, starting at A1 — and everything after that is shared, so
both paths report the same problems with the same words.

Parsing is vectorised per column (pandas), never per cell in Python: a Sales sheet
of a million lines is parsed in well under a second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from .. import contract as K
from ..errors import Issue, MissingColumnError, SettingsError, WorkbookError
from ..settings import Settings, day_first_for, settings_from_sheet
from ..planning.skus import CAPITALS, LEADING_ZEROS, stock_positions
from .text_dates import parse_text_dates

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Dates the tool can plan with: Excel's first day to the last one pandas holds in
# nanoseconds. A date outside (9999-12-31, a typo'd year) is a row-level problem.
FIRST_DATE, LAST_DATE = pd.Timestamp("1900-01-01"), pd.Timestamp("2262-04-11")
# Stock columns whose bad value makes the SKU's plan impossible to trust (CHECK DATA);
# a bad value elsewhere is reported and read as blank.
STOCK_CRITICAL = ("on_hand", "on_order", "lead_time_days", "lead_time_std_days", "moq", "case_pack")
EXCEL_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                "#SPILL!", "#CONNECT!", "#BLOCKED!", "#UNKNOWN!", "#FIELD!", "#CALC!")
TRUE_WORDS = {"yes", "y", "true", "1", "1.0"}
FALSE_WORDS = {"no", "n", "false", "0", "0.0"}


@dataclass
class Grid:
    """The cells of one sheet from A1: ``rows[0]`` is row 1 (the header).

    rows: cell values as Python objects (str, float, int, bool, date, datetime;
        ``""`` or ``None`` for empty cells).
    errors: ``{(row, col): '#N/A'}``, one-based, for cells holding Excel error values
        (readers that show errors as blanks report them here).
    """

    rows: list[list[Any]]
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    # The same cells as typed columns (:class:`~.typed_read.TypedSheet`), when the reader
    # could read them so; the parser falls back to ``rows`` whenever in doubt.
    typed: Any = None


class LazyGrid(Grid):
    """A :class:`Grid` read as typed columns, whose cells are read when first asked for.

    rows: called once, on the first use of ``rows`` (the parser needs the cells only
        when the typed columns cannot say exactly what is wrong in a column).
    typed: the sheet's columns (a :class:`~.typed_read.TypedSheet`).
    """

    def __init__(self, rows: Callable[[], list[list[Any]]], errors: dict[tuple[int, int], str], typed: Any):
        self._load_rows: Callable[[], list[list[Any]]] | None = rows
        self._rows: list[list[Any]] | None = None
        self.errors = errors
        self.typed = typed

    @property
    def rows(self) -> list[list[Any]]:  # type: ignore[override]
        if self._load_rows is not None:
            self._rows, self._load_rows = self._load_rows(), None
        return self._rows


@dataclass
class ShopInputs:
    """Everything the planning core needs, typed, plus the problems found reading it."""

    settings: Settings
    stock: pd.DataFrame
    sales: pd.DataFrame
    suppliers: pd.DataFrame
    receipts: pd.DataFrame
    issues: list[Issue]


@dataclass
class Parsed:
    """One sheet parsed: typed columns (by field) + ``row``; ``bad`` marks invalid cells."""

    frame: pd.DataFrame
    bad: pd.DataFrame  # same index, bool per field: the cell held something unusable
    issues: list[Issue]


def _is_blank(s: pd.Series) -> pd.Series:
    # Readers give None or "" for empty cells; text of only spaces is caught per column type.
    return s.isna() | s.eq("")


def _kind(s: pd.Series) -> str:
    """pandas' one-pass guess of what a column holds ('string', 'floating', 'date', 'mixed', ...)."""
    return pd.api.types.infer_dtype(s, skipna=True)


def _quote(v: Any) -> str:
    text = str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
    if len(text) > 40:
        text = text[:37] + "..."
    return f'"{text}"'


def header_key(name: Any) -> str:
    """A header as the sheets are matched by it: single-spaced, lower case ("" for none)."""
    return " ".join(str(name).split()).lower() if name is not None else ""


def header_map(sheet: K.Sheet, header: list[Any]) -> dict[str, int]:
    """Field -> zero-based column index, matching header names case- and space-insensitively.

    Raises MissingColumnError naming every missing required column and the fix.
    """
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        key = header_key(h)
        if key and key not in seen:
            seen[key] = i
    found: dict[str, int] = {}
    missing = []
    for col in sheet.columns:
        idx = seen.get(col.name.lower())
        if idx is None:
            if col.required:
                missing.append(col.name)
        else:
            found[col.field] = idx
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        raise MissingColumnError(
            f"{sheet.name}: column {names} is missing. Row 1 of '{sheet.name}' must have the headers "
            f"{', '.join(sheet.names)} (copy them from a fresh template: jit-workbook new)."
        )
    return found


def check_owner_headers(sheet: K.Sheet, grid: Grid) -> None:
    """Stop before anything is written when an output sheet's header no longer shows
    where the owner's typing lives.

    The tool writes an output sheet by column position and reads the owner's columns
    (the key, e.g. SKU, and the editable ones, e.g. Order Qty) back by header name. A
    renamed or moved header there would make the typed values vanish on the next run
    without a word, so the header must be restored first. A blank header over an empty
    column (a cleared sheet) loses nothing and passes.

    Raises MissingColumnError naming the cell and the header to restore.
    """
    if not sheet.editable_fields:
        return
    typed = grid.typed
    if typed is not None and all(
            j < len(typed.header) and header_key(typed.header[j]) == col.name.lower()
            for j, col in enumerate(sheet.columns) if col.editable or col.field == sheet.key):
        return  # every header the owner's typing depends on is in place: nothing to read
    rows = grid.rows or [[]]
    header = list(rows[0])
    names = [header_key(h) for h in header]
    for col in sheet.columns:
        if not (col.editable or col.field == sheet.key):
            continue
        j = sheet.columns.index(col)
        cell = f"{sheet.name}!{K.column_letter(j + 1)}1"
        here = names[j] if j < len(names) else ""
        if here == col.name.lower():
            continue
        below = any(j < len(r) and r[j] not in (None, "") for r in rows[1:])
        if not here and not below:
            continue
        restore = (f"rename it back to '{col.name}'" if here
                   else f"type '{col.name}' there")
        if col.name.lower() in names:
            moved = K.column_letter(names.index(col.name.lower()) + 1)
            raise MissingColumnError(
                f"{cell}: the column '{col.name}' has moved to column {moved}; the tool writes "
                f"{sheet.name} column by column, so move it back to column {K.column_letter(j + 1)} "
                f"(or copy the sheet from a fresh template: jit-workbook new) and run again. Nothing was changed.")
        shown = f'"{header[j]}"' if here else "blank"
        raise MissingColumnError(
            f"{cell}: the header is {shown}, but this column holds your {col.name}; {restore} so what you "
            f"typed there is kept, then run again. Nothing was changed.")


def _to_text(s: pd.Series) -> pd.Series:
    """Cell values as text: 1001.0 typed in a SKU column reads as "1001"."""
    out = s.astype(object).where(s.notna(), "")
    if _kind(s) not in ("string", "empty"):
        numeric = pd.to_numeric(out.where(out.map(type).isin((int, float))), errors="coerce")
        whole = numeric.notna() & np.isfinite(numeric) & (numeric == np.round(numeric))
        if whole.any():
            out = out.where(~whole, numeric[whole].astype("int64").astype(str))
        out = out.astype(str)
    return out.str.strip().astype(object)


# The largest number a cell may hold: far beyond any shop's quantities and money, small
# enough that sums and products of them stay exact; days: ten years.
MAX_NUMBER = 1e12
MAX_DAYS = 3650


# The percent columns that hold a service level, which must lie between 50% and 99.9%;
# other percentages (fill rates, On Time, the backtest's stock ratio) may be anything.
SERVICE_LEVEL_FIELDS = frozenset({"service_level"})


def _largest(col: K.Column) -> float:
    return MAX_DAYS if col.field.endswith("_days") else MAX_NUMBER


def _to_number(s: pd.Series) -> pd.Series:
    if _kind(s) not in ("floating", "integer", "mixed-integer-float", "empty"):
        s = s.where(~s.map(type).eq(bool))  # a TRUE/FALSE cell is not a quantity
    num = pd.to_numeric(s, errors="coerce").astype("float64")
    return num.where(np.isfinite(num))


def _to_percent(s: pd.Series) -> pd.Series:
    """Shares as typed: 0.97, "97%" and 97 (a % cell typed without its format) all read 0.97."""
    s = s.astype(object)
    text = s.where(s.map(type).eq(str)).astype(object).str.replace(" ", "", regex=False)
    typed_pct = text.str.endswith("%").fillna(False).astype(bool)
    num = _to_number(s.where(~typed_pct, text.str[:-1]))
    return num.where(~(typed_pct | ((num > 1) & (num <= 100))), num / 100)


def _in_range(t: pd.Series) -> pd.Series:
    """Parsed dates as datetime64[ns], NaT where outside FIRST_DATE .. LAST_DATE."""
    t = pd.to_datetime(t, errors="coerce")
    return t.where((t >= FIRST_DATE) & (t <= LAST_DATE)).astype("datetime64[ns]")


def _to_date(s: pd.Series, day_first: bool = True) -> pd.Series:
    """Dates from date cells, Excel serial numbers, or text (see :mod:`.text_dates`:
    03/09/2026 is read by the column, else day first when ``day_first``)."""
    if _kind(s) in ("date", "datetime"):  # the usual case: every cell a real date
        return _in_range(s.astype(object)).dt.normalize()
    kinds = s.map(type)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    is_dt = kinds.isin((dt.date, dt.datetime, pd.Timestamp))
    if is_dt.any():
        out[is_dt] = _in_range(s[is_dt].astype(object))
    is_num = kinds.isin((int, float))
    if is_num.any():
        serial = pd.to_numeric(s[is_num], errors="coerce")
        serial = serial.where((serial >= 1) & (serial < (LAST_DATE - EXCEL_EPOCH).days))
        out[is_num] = EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")
    is_str = kinds.eq(str)
    if is_str.any():
        out[is_str] = parse_text_dates(s[is_str], day_first)
    return out.dt.normalize()


def _out_of_range(v) -> bool:
    """A cell that is a date, or ISO date text, but outside FIRST_DATE .. LAST_DATE."""
    if isinstance(v, (dt.date, dt.datetime)):
        v = v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day)
        return not (FIRST_DATE.to_pydatetime() <= v <= LAST_DATE.to_pydatetime())
    if isinstance(v, str):
        try:
            d = dt.date.fromisoformat(v.strip()[:10])
        except ValueError:
            return False
        return not (FIRST_DATE.date() <= d <= LAST_DATE.date())
    return False


def _to_choice(s: pd.Series, choices: tuple[str, ...]) -> pd.Series:
    text = _to_text(s)
    lookup = {c.lower(): c for c in choices}
    if set(lookup) == {"yes", "no"}:
        lookup.update({w: "Yes" for w in TRUE_WORDS} | {w: "No" for w in FALSE_WORDS})
    lowered = text.str.lower()
    return lowered.map(lookup).where(lowered.isin(list(lookup)), np.nan).astype(object)


def parse_sheet(sheet: K.Sheet, grid: Grid, then: dict[str, str] | None = None,
                day_first: bool = True) -> Parsed:
    """Typed columns for one sheet, with a problem for every unusable cell.

    then: what happens to a bad cell, by field, appended to its problem
        (``{"quantity": "sale skipped"}``); default ``read as blank``.
    day_first: how a date column's text such as 03/09/2026 is read when the column
        itself does not show it (:meth:`Settings.day_first`).

    Text columns are ``str`` ("" for blank); number columns float64 (NaN for blank or
    bad); dates datetime64 (NaT); choices the canonical choice or NaN. Fully blank rows
    are dropped wherever they are: a blank row between pasted blocks is not a problem.
    """
    def outcome(fld: str) -> str:
        return (then or {}).get(fld, "read as blank")

    typed = grid.typed
    if typed is not None:
        parsed = _parse_typed(sheet, typed, grid.errors, day_first, outcome)
        if parsed is not None:
            return parsed
    rows = grid.rows
    if not rows:
        rows = [[]]
    cols = header_map(sheet, rows[0])
    body = rows[1:]
    raw = _columns(body, sorted(cols.values()))
    frame = pd.DataFrame(index=raw.index)
    bad = pd.DataFrame(False, index=raw.index, columns=[c.field for c in sheet.columns])
    issues: list[Issue] = []
    blank_all = pd.Series(True, index=raw.index)
    errors_by_col: dict[int, dict[int, str]] = {}
    for (r, c), text in grid.errors.items():
        errors_by_col.setdefault(c - 1, {})[r] = text

    for col in sheet.columns:
        if col.field not in cols:
            frame[col.field] = _empty(col, len(raw), raw.index)
            continue
        idx = cols[col.field]
        s = raw[idx]
        errs = errors_by_col.get(idx, {})
        err = pd.Series(errs, dtype=object).reindex(raw.index) if errs else pd.Series(
            np.nan, index=raw.index, dtype=object)
        inline = s.isin(EXCEL_ERRORS)  # readers that show errors as their text (xlwings err_to_str)
        if inline.any():
            err = err.where(~inline, s)
        if err.notna().any():
            s = s.where(err.isna(), None)
        blank = _is_blank(s)
        blank_all &= blank & err.isna()
        typed, invalid = _convert(col, s, blank, day_first)  # error cells were blanked above: reported once, below
        frame[col.field] = typed
        for r, text in err.dropna().items():
            issues.append(Issue(sheet.name, _addr(idx, r), "",
                                f"{col.name} is the error value {text}; {outcome(col.field)}"))
            bad.loc[r, col.field] = True
        if invalid.any():
            bad.loc[invalid, col.field] = True
            why = _why(col, s[invalid], typed[invalid])
            issues.extend(Issue(sheet.name, _addr(idx, r), "", f"{msg}; {outcome(col.field)}")
                          for r, msg in why.items())
    frame["row"] = raw.index.to_numpy()
    keep = ~blank_all
    # Blank rows (between pasted blocks, or left after deleting lines) are skipped silently:
    # they are not a problem to fix.
    return Parsed(frame[keep].reset_index(drop=True), bad[keep].reset_index(drop=True), issues)


def _parse_typed(sheet: K.Sheet, typed: Any, errors: dict[tuple[int, int], str],
                 day_first: bool, outcome: Callable[[str], str]) -> Parsed | None:
    """:func:`parse_sheet` from typed columns (:class:`~.typed_read.TypedSheet`), or None
    when the sheet must be read cell by cell to say exactly what is wrong in it.

    Each column's distinct values go through the same conversion as cells do (it treats
    every value on its own); an empty cell is what a blank cell converts to (:func:`_empty`).
    The results are spread over the rows by their codes. So the frame is the one the
    cells give. An unusable value ("abc" as a quantity) is said once per distinct value by
    the cells' own words (:func:`_why`) and given to every row holding it, in row order,
    as the cell path gives them. None — and the caller parses the cells — when a wanted
    column was not read, holds an error value (typed or as text), or holds a kind of
    value this path does not take.
    """
    if any(c.name.lower() not in typed.loaded for c in sheet.columns):
        return None  # read for another view of this sheet
    try:
        cols = header_map(sheet, typed.header)
    except MissingColumnError:
        return None  # said from the cells, as ever
    used = set(cols.values())
    if any(c - 1 in used for _r, c in errors):
        return None
    index = pd.RangeIndex(2, 2 + typed.height)
    frame = pd.DataFrame(index=index)
    bad = pd.DataFrame(False, index=index, columns=[c.field for c in sheet.columns])
    issues: list[Issue] = []
    blank_all = np.ones(typed.height, dtype=bool)
    for col in sheet.columns:
        if col.field not in cols:
            frame[col.field] = _empty(col, typed.height, index)
            continue
        got = typed.distinct(cols[col.field], col.kind == "date")
        if got is None:
            return None
        codes, values = got
        empty = _empty(col, 1, pd.RangeIndex(1))  # an empty cell reads as a blank one of its column
        if values:
            distinct = pd.Series(values, dtype=object)
            if distinct.isin(EXCEL_ERRORS).any():
                return None
            blank = _is_blank(distinct)
            converted, invalid = _convert(col, distinct, blank, day_first)
            if invalid.any():  # the rows holding an unusable value, each named as the cells would be
                why = _why(col, distinct[invalid], converted[invalid])
                rows_bad = np.flatnonzero(np.isin(codes, np.flatnonzero(invalid.to_numpy())))
                bad.iloc[rows_bad, bad.columns.get_loc(col.field)] = True
                idx = cols[col.field]
                issues.extend(Issue(sheet.name, _addr(idx, int(index[i])), "",
                                    f"{why[int(codes[i])]}; {outcome(col.field)}") for i in rows_bad)
            converted = np.append(converted.to_numpy(), empty.to_numpy())
            blank = np.append(blank.to_numpy(), True)
        else:
            converted, blank = empty.to_numpy(), np.array([True])
        at = np.where(codes < 0, len(values), codes)  # an empty cell: the last value
        frame[col.field] = pd.Series(converted[at], index=index, dtype=empty.dtype)
        blank_all &= blank[at]
    frame["row"] = index.to_numpy()
    keep = ~blank_all
    return Parsed(frame[keep].reset_index(drop=True), bad[keep].reset_index(drop=True), issues)


def _columns(body: list[list[Any]], wanted: list[int]) -> pd.DataFrame:
    """The wanted columns of the body rows as object Series, indexed by Excel row number.

    One numpy object array holds the block (built in C); ragged rows (a live range
    may hand back short rows) are padded first.
    """
    index = pd.RangeIndex(2, 2 + len(body))
    width = max(wanted, default=-1) + 1
    if body and (len(set(map(len, body))) > 1 or len(body[0]) < width):
        width = max(width, max(len(r) for r in body))
        body = [list(r) + [None] * (width - len(r)) for r in body]
    block = np.empty((len(body), width if body else 0), dtype=object)
    if body:
        block[:] = [r[:width] for r in body] if len(body[0]) != width else body
    return pd.DataFrame({i: pd.Series(block[:, i] if body else [], index=index, dtype=object)
                         for i in wanted}, index=index)


def _addr(col_index0: int, row: int) -> str:
    return f"{K.column_letter(col_index0 + 1)}{row}"


def _empty(col: K.Column, n: int, index: pd.Index) -> pd.Series:
    if col.kind in ("number", "integer", "money", "percent"):
        return pd.Series(np.nan, index=index, dtype="float64")
    if col.kind == "date":
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if col.kind == "choice":
        return pd.Series(np.nan, index=index, dtype=object)
    return pd.Series("", index=index, dtype=object)


def _convert(col: K.Column, s: pd.Series, blank: pd.Series, day_first: bool) -> tuple[pd.Series, pd.Series]:
    """(typed values, mask of cells that held something unusable)."""
    typed, invalid = _convert_kind(col, s, blank, day_first)
    if invalid.any():  # a cell holding only spaces is blank, not wrong (checked on the few bad cells)
        spaces = s[invalid].map(lambda v: isinstance(v, str) and not v.strip())
        invalid = invalid & ~spaces.reindex(s.index, fill_value=False)
    return typed, invalid


def _convert_kind(col: K.Column, s: pd.Series, blank: pd.Series, day_first: bool) -> tuple[pd.Series, pd.Series]:
    if col.kind in ("number", "integer", "money", "percent"):
        typed = _to_number(s) if col.kind != "percent" else _to_percent(s)
        invalid = typed.isna() & ~blank
        negative = typed < 0
        if not col.allow_negative:
            invalid |= negative
            typed = typed.where(~negative)
        too_big = typed.abs() > _largest(col)  # 1e308 typed as a lead time would overflow the plan
        invalid |= too_big
        typed = typed.where(~too_big)
        if col.kind == "percent" and col.field in SERVICE_LEVEL_FIELDS:
            out_of_range = (typed <= 0.5) | (typed >= 1)
            invalid |= out_of_range
            typed = typed.where(~out_of_range)
        return typed, invalid
    if col.kind == "date":
        typed = _to_date(s, day_first)
        return typed, typed.isna() & ~blank
    if col.kind == "choice":
        typed = _to_choice(s, col.choices)
        return typed, typed.isna() & ~blank
    return _to_text(s), pd.Series(False, index=s.index)


def _why(col: K.Column, raw: pd.Series, typed: pd.Series) -> dict[int, str]:
    name = col.name.lower() if col.name != "SKU" else "SKU"
    out = {}
    for r, v in raw.items():  # only the bad cells: a handful, not the sheet
        if col.kind == "date" and _out_of_range(v):
            shown = v.strftime("%Y-%m-%d") if isinstance(v, (dt.date, dt.datetime)) else v
            out[r] = (f"{name} {_quote(shown)} is out of range (the tool plans with dates from "
                      f"{FIRST_DATE:%Y-%m-%d} to {LAST_DATE:%Y-%m-%d})")
        elif col.kind == "date":
            out[r] = f"{name} {_quote(v)} is not a date (type a date, or YYYY-MM-DD)"
        elif col.kind == "choice":
            out[r] = f"{name} {_quote(v)} is not one of {', '.join(col.choices)}"
        elif col.kind == "percent" and col.field in SERVICE_LEVEL_FIELDS:
            out[r] = f"{name} {_quote(v)} is not a service level between 50% and 99.9%"
        elif col.kind == "percent" and pd.isna(_to_percent(pd.Series([v])).iloc[0]):
            out[r] = f"{name} {_quote(v)} is not a percentage (e.g. 95%)"
        else:
            num = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
            if pd.notna(num) and abs(num) > _largest(col) and not (num < 0 and not col.allow_negative):
                shown = f"{num:g}" if isinstance(v, (int, float)) else v
                out[r] = f"{name} {_quote(shown)} is too large to plan with (at most {_largest(col):,.0f})"
            elif pd.notna(num) and num < 0:
                out[r] = f"{name} {_quote(v)} is negative"
            else:
                out[r] = f"{name} {_quote(v)} is not a number"
    return out


# ---------------------------------------------------------------------------------
# The whole shop
# ---------------------------------------------------------------------------------
def parse_settings(grid: Grid) -> tuple[Settings, list[Issue]]:
    """Settings from the Settings sheet's Setting/Value rows, each read as the owner meant it.

    "97%", 97 and 0.97 are all 97%; an As Of Date typed as text ("15/06/2026") is read
    by ``Date Order`` (see :mod:`.text_dates`). Blank values take their default.
    Raises :class:`~jit_workbook.errors.SettingsError` naming every cell whose value
    still cannot be used (the run stops; nothing is written).
    """
    parsed_cols = header_map(K.SETTINGS, grid.rows[0] if grid.rows else [])
    li, vi = parsed_cols["setting"], parsed_cols["value"]
    labelled: dict[str, tuple[Any, str]] = {}
    problems = []
    for r, row in enumerate(grid.rows[1:], start=2):
        label = row[li] if li < len(row) else None
        if label in (None, ""):
            continue
        label = " ".join(str(label).split())
        value = row[vi] if vi < len(row) else None
        if (r, vi + 1) in grid.errors:
            problems.append((_addr(vi, r), f"{label} is the error value {grid.errors[(r, vi + 1)]}"))
            continue
        if isinstance(value, dt.datetime):
            value = value.date()
        labelled[label] = (value, _addr(vi, r))
    if "As Of Date" in labelled:
        labelled["As Of Date"] = (_as_of_date(labelled), labelled["As Of Date"][1])
    settings, bad = settings_from_sheet(labelled)
    problems += bad
    if problems:
        lines = "\n".join(f"Settings!{cell}: {msg}" for cell, msg in sorted(problems, key=lambda p: _row_of(p[0])))
        raise SettingsError(f"{lines}\nFix {'this value' if len(problems) == 1 else 'these values'} on the "
                            "Settings sheet (or clear the cell to use the default) and run again.")
    return settings, []


def _as_of_date(labelled: dict[str, tuple[Any, str]]) -> Any:
    """The As Of Date cell as a date when it is one: a date cell, an Excel serial number,
    or text read by the Date Order (and Currency) typed beside it; else as typed."""
    value = labelled["As Of Date"][0]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        return (EXCEL_EPOCH + pd.Timedelta(days=float(value))).date()
    if isinstance(value, str) and value.strip():
        day_first = day_first_for(labelled.get("Date Order", (None,))[0], labelled.get("Currency", ("GBP",))[0])
        got = parse_text_dates(pd.Series([value]), day_first).iloc[0]
        return got.date() if pd.notna(got) else value
    return value


def parse_inputs(grids: dict[str, Grid]) -> ShopInputs:
    """Typed inputs for the planning core from the five input sheets' grids.

    Row-level problems become :class:`Issue` records; a missing required sheet or
    column raises (the caller stops the run, exit code 2). The Receipts sheet may be
    absent (read as empty).
    """
    settings, issues = parse_settings(grids[K.SETTINGS.name])
    day_first = settings.day_first()
    suppliers = _parse_suppliers(grids[K.SUPPLIERS.name], issues)
    stock = _parse_stock(grids[K.STOCK.name], suppliers, issues)
    skus = pd.Index(stock["sku"], dtype=object)
    sales = _parse_sales(grids[K.SALES.name], skus, issues, day_first)
    receipts_grid = grids.get(K.RECEIPTS.name) or Grid([K.RECEIPTS.names])
    receipts = parse_sheet(K.RECEIPTS, receipts_grid, day_first=day_first)
    issues += receipts.issues
    receipts_frame = receipts.frame.copy()
    receipts_frame["sku"] = _as_stock_spells(K.RECEIPTS, receipts_frame, skus, issues)
    return ShopInputs(settings, stock, sales, suppliers, receipts_frame, issues)


def _as_stock_spells(sheet: K.Sheet, f: pd.DataFrame, skus: pd.Index, issues: list[Issue]) -> pd.Series:
    """The sheet's SKUs as the Stock sheet spells them (see :mod:`..planning.skus`): ``ham-01``
    becomes ``HAM-01``, 123 becomes ``00123``; not-matched codes stay as typed.

    Says once per kind of match on Data Issues what was read as what, with an example.
    """
    if not len(f):
        return f["sku"].astype(object)
    codes, uniques = pd.factorize(f["sku"])
    pos, how = stock_positions(pd.Index(uniques, dtype=object), skus)
    spelled = np.where(pos >= 0, skus.to_numpy(dtype=object)[np.maximum(pos, 0)], uniques.astype(object))
    out = pd.Series(spelled[codes], index=f.index, dtype=object)
    rows = pd.Series(codes).value_counts()
    for kind, why in ((CAPITALS, "capitals differ"),
                      (LEADING_ZEROS, "Excel drops the leading zeros of a code it takes for a number; "
                                      "format the SKU column as Text to keep them")):
        hit = np.flatnonzero(how == kind)
        if not len(hit):
            continue
        first = int(np.flatnonzero(np.isin(codes, hit))[0])  # the first row read this way
        code = codes[first]
        n, total = int(rows.get(code, 0)), int(rows.reindex(hit).sum())
        more = (f"; {len(hit) - 1:,} other SKU{'s' if len(hit) > 2 else ''} the same way, {total:,} rows in all"
                if len(hit) > 1 else "")
        issues.append(Issue(sheet.name, sheet.cell("sku", int(f["row"].iloc[first])), out.iloc[first],
                            f"{sheet.name} SKU {uniques[code]} read as Stock's {out.iloc[first]}, "
                            f"{n:,} row{'s' if n != 1 else ''}{more} ({why})"))
    return out


def _parse_suppliers(grid: Grid, issues: list[Issue]) -> pd.DataFrame:
    p = parse_sheet(K.SUPPLIERS, grid)
    issues += p.issues
    f = p.frame
    blank = f["supplier"].eq("")
    dup = f["supplier"].str.lower().duplicated() & ~blank
    for r in f.loc[blank, "row"]:
        issues.append(Issue("Suppliers", f"A{r}", "", "supplier name is blank; row skipped"))
    for r, name in f.loc[dup, ["row", "supplier"]].itertuples(index=False):
        issues.append(Issue("Suppliers", f"A{r}", "", f"supplier {_quote(name)} is listed twice; the first row is used"))
    return f[~blank & ~dup].reset_index(drop=True)


def _parse_stock(grid: Grid, suppliers: pd.DataFrame, issues: list[Issue]) -> pd.DataFrame:
    p = parse_sheet(K.STOCK, grid, {f: "the SKU is marked CHECK DATA" for f in STOCK_CRITICAL})
    f, bad = p.frame, p.bad
    sku_of_row = dict(zip(f["row"], f["sku"]))
    issues += [Issue(i.sheet, i.cell, sku_of_row.get(_row_of(i.cell), ""), i.problem) for i in p.issues]
    blank = f["sku"].eq("")
    for r in f.loc[blank, "row"]:
        issues.append(Issue("Stock", f"A{r}", "", "SKU is blank; row skipped"))
    dup = f["sku"].duplicated() & ~blank
    first_row = f[~blank].drop_duplicates("sku").set_index("sku")["row"]
    for r, sku in f.loc[dup, ["row", "sku"]].itertuples(index=False):
        issues.append(Issue("Stock", f"A{r}", sku,
                            f"SKU {_quote(sku)} is a duplicate of row {first_row[sku]}; this row is skipped"))
    keep = ~blank & ~dup
    f, bad = f[keep].reset_index(drop=True), bad[keep].reset_index(drop=True)
    folded = f["sku"].str.casefold()
    same = folded.duplicated()  # HAM-01 and ham-01: two SKUs to the tool, one to Excel's lookups
    if same.any():
        first_of = f[~same].assign(k=folded[~same]).set_index("k")[["row", "sku"]]
        for r, sku, k in f.loc[same, ["row", "sku"]].assign(k=folded[same]).itertuples(index=False):
            r0, sku0 = first_of.loc[k]
            issues.append(Issue("Stock", f"A{r}", sku,
                                f"SKU {_quote(sku)} differs from row {r0}'s {_quote(sku0)} only in capitals; "
                                "Sales and Receipts lines count for each only when typed exactly as it is"))

    # What makes a SKU's plan untrustworthy, in words the owner can act on.
    check = pd.Series("", index=f.index, dtype=object)
    for fld in STOCK_CRITICAL:
        col = K.STOCK.column(fld)
        hit = bad[fld]
        if fld == "on_hand":
            hit = hit | f[fld].isna()
        if hit.any():
            cells = "Stock!" + K.STOCK.letter(fld) + f.loc[hit, "row"].astype(str)
            check[hit] = check[hit] + f"{col.name} at " + cells + " needs a valid number. "
    f["check_data"] = check.str.strip()
    f["on_order"] = f["on_order"].fillna(0.0)
    f["consignment"] = f["consignment"].eq("Yes")
    f["status"] = f["status"].fillna("Active")
    for fld in ("description", "supplier", "barcode", "category"):
        f[fld] = f[fld].astype(object)

    known = set(suppliers["supplier"].str.lower())
    unknown = ~f["supplier"].str.lower().isin(known)
    for r, sku, sup in f.loc[unknown, ["row", "sku", "supplier"]].itertuples(index=False):
        what = "supplier is blank" if sup == "" else f"supplier {_quote(sup)} is not on the Suppliers sheet"
        issues.append(Issue("Stock", K.STOCK.cell("supplier", r), sku,
                            f"{what}; add it there so its lead time and email can be used"))
    # Match supplier names the way an owner reads them: case and spacing don't matter.
    canonical = dict(zip(suppliers["supplier"].str.lower(), suppliers["supplier"]))
    f["supplier"] = f["supplier"].str.lower().map(canonical).where(~unknown, f["supplier"]).astype(object)
    return f


def _row_of(cell: str) -> int:
    digits = cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ").split(":")[0]
    return int(digits) if digits.isdigit() else 0


def _parse_sales(grid: Grid, skus: pd.Index, issues: list[Issue], day_first: bool = True) -> pd.DataFrame:
    skip = "sale skipped"
    p = parse_sheet(K.SALES, grid, {"date": skip, "sku": skip, "quantity": skip, "unit_price": "price ignored"},
                    day_first)
    f, bad = p.frame, p.bad
    skipped = bad["date"] | bad["quantity"] | bad["sku"]
    found = list(p.issues)
    unusable = {fld: bad[fld].copy() for fld in ("date", "sku", "quantity")}
    for fld, what in (("date", "date is blank"), ("sku", "SKU is blank"), ("quantity", "quantity is blank")):
        missing = (f[fld].isna() if fld != "sku" else f[fld].eq("")) & ~bad[fld]
        for r in f.loc[missing, "row"]:
            found.append(Issue("Sales", K.SALES.cell(fld, r), "", f"{what}; sale skipped"))
        skipped |= missing
        unusable[fld] |= missing
    f["sku"] = _as_stock_spells(K.SALES, f, skus, notices := [])
    unknown = ~skipped & ~f["sku"].isin(set(skus))
    for r, sku in f.loc[unknown, ["row", "sku"]].itertuples(index=False):
        found.append(Issue("Sales", K.SALES.cell("sku", r), sku,
                           f"SKU {_quote(sku)} is not on the Stock sheet; sale skipped"))
    unusable["sku"] |= unknown
    if len(f) and (skipped | unknown).all():
        raise _no_usable_sale(f, unusable, found)
    issues += found + notices
    f = f[~skipped & ~unknown].reset_index(drop=True)
    f["sku"] = f["sku"].astype(object)
    return f[["date", "sku", "quantity", "unit_price", "row"]]


def _no_usable_sale(f: pd.DataFrame, unusable: dict[str, pd.Series], found: list[Issue]) -> WorkbookError:
    """The error for a Sales sheet of which not one row can be used: it names the column
    that is unusable throughout (else the one with the most bad cells) and its first bad
    cell, because planning every item as NO DEMAND would be silently wrong."""
    fld = next((f for f, hit in unusable.items() if hit.all()), max(unusable, key=lambda f: unusable[f].sum()))
    col, letter = K.SALES.column(fld), K.SALES.letter(fld)
    what = {"date": "a date that can be read", "sku": "a SKU that is on the Stock sheet",
            "quantity": "a quantity that is a number"}[fld]
    fix = {"date": "type the dates as dates, or as text such as 29/11/2026 or 2026-11-29",
           "sku": "make the SKUs match the Stock sheet's SKU column",
           "quantity": "type the quantities as numbers"}[fld]
    first = next((str(i) for i in found if i.cell.startswith(letter)), "")
    n = int(unusable[fld].sum())
    return WorkbookError(
        f"Sales: no sale can be used, so there is nothing to plan from. Column {col.name} ({letter}): "
        f"{'none' if n == len(f) else f'{n:,}'} of its {len(f):,} rows {'holds' if n == len(f) else 'lack'} "
        f"{what} (first: {first}). Fix it ({fix}) and run again; the workbook was not changed.")
