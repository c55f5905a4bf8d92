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
from typing import Any

import numpy as np
import pandas as pd

from .. import contract as K
from ..errors import Issue, MissingColumnError
from ..settings import Settings, settings_from_sheet

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


def header_map(sheet: K.Sheet, header: list[Any]) -> dict[str, int]:
    """Field -> zero-based column index, matching header names case- and space-insensitively.

    Raises MissingColumnError naming every missing required column and the fix.
    """
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        key = " ".join(str(h).split()).lower() if h is not None else ""
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
    rows = grid.rows or [[]]
    header = list(rows[0])
    names = [" ".join(str(h).split()).lower() if h is not None else "" for h in header]
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


def _to_number(s: pd.Series) -> pd.Series:
    if _kind(s) not in ("floating", "integer", "mixed-integer-float", "empty"):
        s = s.where(~s.map(type).eq(bool))  # a TRUE/FALSE cell is not a quantity
    num = pd.to_numeric(s, errors="coerce").astype("float64")
    return num.where(np.isfinite(num))


def _in_range(t: pd.Series) -> pd.Series:
    """Parsed dates as datetime64[ns], NaT where outside FIRST_DATE .. LAST_DATE."""
    t = pd.to_datetime(t, errors="coerce")
    return t.where((t >= FIRST_DATE) & (t <= LAST_DATE)).astype("datetime64[ns]")


def _to_date(s: pd.Series) -> pd.Series:
    """Dates from date cells, Excel serial numbers, or ISO text (2026-03-01)."""
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
        out[is_str] = _in_range(pd.to_datetime(s[is_str].str.strip(), format="ISO8601", errors="coerce"))
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


def parse_sheet(sheet: K.Sheet, grid: Grid, then: dict[str, str] | None = None) -> Parsed:
    """Typed columns for one sheet, with a problem for every unusable cell.

    then: what happens to a bad cell, by field, appended to its problem
        (``{"quantity": "sale skipped"}``); default ``read as blank``.

    Text columns are ``str`` ("" for blank); number columns float64 (NaN for blank or
    bad); dates datetime64 (NaT); choices the canonical choice or NaN. Fully blank rows
    are dropped; blank rows between data rows are reported once per run of rows.
    """
    def outcome(fld: str) -> str:
        return (then or {}).get(fld, "read as blank")

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
        typed, invalid = _convert(col, s, blank)  # error cells were blanked above: reported once, below
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
    issues.extend(_interior_blank_issues(sheet, blank_all))
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


def _convert(col: K.Column, s: pd.Series, blank: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(typed values, mask of cells that held something unusable)."""
    typed, invalid = _convert_kind(col, s, blank)
    if invalid.any():  # a cell holding only spaces is blank, not wrong (checked on the few bad cells)
        spaces = s[invalid].map(lambda v: isinstance(v, str) and not v.strip())
        invalid = invalid & ~spaces.reindex(s.index, fill_value=False)
    return typed, invalid


def _convert_kind(col: K.Column, s: pd.Series, blank: pd.Series) -> tuple[pd.Series, pd.Series]:
    if col.kind in ("number", "integer", "money", "percent"):
        typed = _to_number(s)
        invalid = typed.isna() & ~blank
        negative = typed < 0
        if not col.allow_negative:
            invalid |= negative
            typed = typed.where(~negative)
        if col.kind == "percent":
            out_of_range = (typed <= 0.5) | (typed >= 1)
            invalid |= out_of_range
            typed = typed.where(~out_of_range)
        return typed, invalid
    if col.kind == "date":
        typed = _to_date(s)
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
        elif col.kind == "percent":
            out[r] = f"{name} {_quote(v)} is not a service level between 50% and 99.9%"
        else:
            num = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
            if pd.notna(num) and num < 0:
                out[r] = f"{name} {_quote(v)} is negative"
            else:
                out[r] = f"{name} {_quote(v)} is not a number"
    return out


def _interior_blank_issues(sheet: K.Sheet, blank: pd.Series) -> list[Issue]:
    """One issue per run of blank rows that has data below it (trailing blanks are normal)."""
    if not blank.any() or blank.all():
        return []
    last_data = blank.index[~blank.to_numpy()].max()
    interior = blank[(blank.index < last_data) & blank.to_numpy()]
    if interior.empty:
        return []
    rows = interior.index.to_numpy()
    starts = np.flatnonzero(np.diff(rows, prepend=rows[0] - 2) != 1)
    out = []
    for i, start in enumerate(starts):
        end = starts[i + 1] - 1 if i + 1 < len(starts) else len(rows) - 1
        a, b = rows[start], rows[end]
        where = f"A{a}" if a == b else f"A{a}:A{b}"
        what = f"row {a} is blank" if a == b else f"rows {a}-{b} are blank"
        out.append(Issue(sheet.name, where, "", f"{what}; skipped (rows below it were still read)"))
    return out


# ---------------------------------------------------------------------------------
# The whole shop
# ---------------------------------------------------------------------------------
def parse_settings(grid: Grid) -> tuple[Settings, list[Issue]]:
    """Settings from the Settings sheet's Setting/Value rows; bad values use defaults."""
    parsed_cols = header_map(K.SETTINGS, grid.rows[0] if grid.rows else [])
    li, vi = parsed_cols["setting"], parsed_cols["value"]
    labelled: dict[str, tuple[Any, str]] = {}
    issues = []
    for r, row in enumerate(grid.rows[1:], start=2):
        label = row[li] if li < len(row) else None
        if label in (None, ""):
            continue
        value = row[vi] if vi < len(row) else None
        if (r, vi + 1) in grid.errors:
            issues.append(Issue("Settings", _addr(vi, r), "",
                                f"{label} is the error value {grid.errors[(r, vi + 1)]}; using the default"))
            continue
        if isinstance(value, dt.datetime):
            value = value.date()
        if str(label).strip() == "As Of Date" and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = (EXCEL_EPOCH + pd.Timedelta(days=float(value))).date()
        labelled[" ".join(str(label).split())] = (value, _addr(vi, r))
    settings, problems = settings_from_sheet(labelled)
    issues += [Issue("Settings", cell, "", msg) for cell, msg in problems]
    return settings, issues


def parse_inputs(grids: dict[str, Grid]) -> ShopInputs:
    """Typed inputs for the planning core from the five input sheets' grids.

    Row-level problems become :class:`Issue` records; a missing required sheet or
    column raises (the caller stops the run, exit code 2). The Receipts sheet may be
    absent (read as empty).
    """
    settings, issues = parse_settings(grids[K.SETTINGS.name])
    suppliers = _parse_suppliers(grids[K.SUPPLIERS.name], issues)
    stock = _parse_stock(grids[K.STOCK.name], suppliers, issues)
    sales = _parse_sales(grids[K.SALES.name], set(stock["sku"]), issues)
    receipts_grid = grids.get(K.RECEIPTS.name) or Grid([K.RECEIPTS.names])
    receipts = parse_sheet(K.RECEIPTS, receipts_grid)
    issues += receipts.issues
    return ShopInputs(settings, stock, sales, suppliers, receipts.frame, issues)


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


def _parse_sales(grid: Grid, skus: set[str], issues: list[Issue]) -> pd.DataFrame:
    skip = "sale skipped"
    p = parse_sheet(K.SALES, grid, {"date": skip, "sku": skip, "quantity": skip, "unit_price": "price ignored"})
    f, bad = p.frame, p.bad
    skipped = bad["date"] | bad["quantity"] | bad["sku"]
    issues += p.issues
    for fld, what in (("date", "date is blank"), ("sku", "SKU is blank"), ("quantity", "quantity is blank")):
        missing = (f[fld].isna() if fld != "sku" else f[fld].eq("")) & ~bad[fld]
        for r in f.loc[missing, "row"]:
            issues.append(Issue("Sales", K.SALES.cell(fld, r), "", f"{what}; sale skipped"))
        skipped |= missing
    unknown = ~skipped & ~f["sku"].isin(skus)
    for r, sku in f.loc[unknown, ["row", "sku"]].itertuples(index=False):
        issues.append(Issue("Sales", K.SALES.cell("sku", r), sku,
                            f"SKU {_quote(sku)} is not on the Stock sheet; sale skipped"))
    f = f[~skipped & ~unknown].reset_index(drop=True)
    f["sku"] = f["sku"].astype(object)
    return f[["date", "sku", "quantity", "unit_price", "row"]]
