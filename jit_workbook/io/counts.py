"""The Count sheet: stock counted with a barcode scanner, turned into On Hand.

A cheap USB scanner is a keyboard: it types the code into the selected cell and
presses Enter, so each scan is one row of ``Code`` (an item's Barcode or its SKU),
``Quantity`` (blank = 1: scan every item on the shelf) and ``Date`` (blank = the
As Of Date). :func:`counted_stock` gives each counted SKU the sum of the scans of its
latest count day as its On Hand; SKUs not counted keep the Stock sheet's.

Codes are matched as text, in this order: the SKU exactly; a Stock Barcode, digit-only
codes compared without leading zeros (:func:`jit_workbook.barcodes.code_key`, so a
Stock cell Excel turned into the number 5012345678900 matches the scanned text);
the SKU as Sales are matched to it (:mod:`jit_workbook.planning.skus`: other capitals,
as a scanner with Caps Lock on types ``ab-1`` for ``AB-1``, or lost leading zeros).
A scan by barcode and one by SKU of the same item add up.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .. import contract as K
from ..barcodes import code_key
from ..errors import Issue
from ..planning.skus import EXACT, stock_positions
from .parse import Grid, parse_sheet


def _qty(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".") if pd.notna(x) else "blank"


def _barcodes(stock: pd.DataFrame) -> dict[str, str | None]:
    """Barcode key -> SKU, or None when two Stock rows share the barcode."""
    by_barcode: dict[str, str | None] = {}
    for sku, barcode in zip(stock["sku"].astype(str), stock["barcode"].astype(str)):
        if barcode.strip():
            key = code_key(barcode)
            by_barcode[key] = sku if key not in by_barcode or by_barcode[key] == sku else None
    return by_barcode


def _skus_of(codes: pd.Index, stock: pd.DataFrame, by_barcode: dict[str, str | None]) -> dict[str, str | None]:
    """Each distinct scanned code's SKU: the SKU exactly, else a Barcode, else the SKU as
    Sales are matched to it (other capitals, lost leading zeros: :mod:`..planning.skus`)."""
    skus = pd.Index(stock["sku"].astype(str))
    pos, how = stock_positions(codes, skus)
    found = {}
    for code, p, kind in zip(codes, pos, how):
        by_sku = skus[p] if p >= 0 else None
        found[code] = by_sku if kind == EXACT else by_barcode.get(code_key(code)) or by_sku
    return found


def counted_stock(stock: pd.DataFrame, grid: Grid | None, as_of: dt.date) -> tuple[pd.DataFrame, pd.Series, list[Issue]]:
    """Stock with On Hand taken from the Count sheet where an item was counted.

    stock: the parsed Stock sheet (``sku``, ``barcode``, ``on_hand``, ``check_data``, ``row``).
    grid: the Count sheet's cells, or None when the workbook has no Count sheet.
    as_of: the plan's day; a blank Date is this day, and scans dated after it are not used.

    Returns (stock with ``on_hand`` replaced for counted SKUs, the Reason sentence by SKU
    for those — ``On Hand 12 from the count of 2026-11-30 (Stock says 10).`` —, the problems,
    each naming its Count cell). Raises MissingColumnError when the sheet lacks a column.
    """
    none = pd.Series(dtype=object)
    if grid is None or len(grid.rows) <= 1:
        if grid is not None and grid.rows:
            parse_sheet(K.COUNT, grid)  # a header without Code still says so
        return stock, none, []
    parsed = parse_sheet(K.COUNT, grid, {"quantity": "scan not used", "date": "scan not used"})
    f, bad = parsed.frame, parsed.bad
    issues = list(parsed.issues)
    usable = ~bad["quantity"] & ~bad["date"]
    blank_code = f["code"].eq("")
    for r in f.loc[blank_code & usable, "row"]:
        issues.append(Issue("Count", K.COUNT.cell("code", r), "", "code is blank; scan not used"))
    usable &= ~blank_code
    day = pd.Timestamp(as_of)
    f["date"] = f["date"].fillna(day)
    f["quantity"] = f["quantity"].fillna(1.0)
    future = usable & (f["date"] > day)
    for r, d in f.loc[future, ["row", "date"]].itertuples(index=False):
        issues.append(Issue("Count", K.COUNT.cell("date", r), "",
                            f"date {d:%Y-%m-%d} is after the As Of Date {day:%Y-%m-%d}; scan not used"))
    usable &= ~future

    by_barcode = _barcodes(stock)
    f["sku"] = f["code"].map(_skus_of(pd.Index(f.loc[usable, "code"].unique(), dtype=object), stock, by_barcode))
    for r, code in f.loc[usable & f["sku"].isna(), ["row", "code"]].itertuples(index=False):
        key = code_key(code)
        why = (f'code "{code}" is the Barcode of more than one Stock row; give each item its own barcode'
               if key in by_barcode and by_barcode[key] is None else
               f'code "{code}" matches no SKU or Barcode on the Stock sheet; add the barcode to its Stock row')
        issues.append(Issue("Count", K.COUNT.cell("code", r), "", why + "; scan not used"))
    scans = f[usable & f["sku"].notna()]
    if scans.empty:
        return stock, none, issues

    latest = scans.groupby("sku")["date"].transform("max")
    day_total = scans[scans["date"].eq(latest)].groupby("sku").agg(on_hand=("quantity", "sum"), day=("date", "first"))
    counted = stock["sku"].map(day_total["on_hand"])
    out = stock.copy()
    was = out["on_hand"]
    out["on_hand"] = counted.where(counted.notna(), was).astype("float64")
    # A count fixes a blank or bad On Hand cell: the reader's CHECK DATA sentence about it goes.
    on_hand_note = "On Hand at Stock!" + K.STOCK.letter("on_hand") + out["row"].astype(str) + " needs a valid number."
    fixed = counted.notna()
    if fixed.any():
        out.loc[fixed, "check_data"] = [c.replace(n, "").strip() for c, n in
                                        zip(out.loc[fixed, "check_data"], on_hand_note[fixed])]
    notes = pd.Series({sku: f"On Hand {_qty(n)} from the count of {d:%Y-%m-%d} (Stock says {_qty(w)})."
                       for sku, n, d, w in zip(out.loc[fixed, "sku"], counted[fixed],
                                               out.loc[fixed, "sku"].map(day_total["day"]), was[fixed])},
                      dtype=object)
    return out, notes, issues

