"""The Data Issues sheet as an owner can read it: repeated problems grouped, in sheet order.

A year of a real shop's sales gave thousands of rows that were the same few codes
(postage, fees, manual lines) again and again. So problems with the same sheet, SKU
and wording become one row that counts them and names the first cells:

    SKU "POST" is not on the Stock sheet: 1,256 sales skipped (Sales!B47, B388, B1125, …)

and the rows are sorted by sheet (the workbook's order) and row, then column.
A problem found once reads exactly as before.
"""

from __future__ import annotations

import re

from . import contract as K
from .errors import Issue

SHOWN_CELLS = 3  # the first cells named on a grouped row
# What happened to each line, once and for many: "sale skipped" -> "1,256 sales skipped".
MANY = {"sale skipped": "sales skipped", "row skipped": "rows skipped", "price ignored": "prices ignored",
        "read as blank": "cells read as blank", "ignored": "cells ignored",
        "the new suggestion is used": "rows where the new suggestion is used"}
_CELL = re.compile(r"^([A-Z]+)(\d+)")
_SHEET_ORDER = {s.name: i for i, s in enumerate(K.ALL_SHEETS)}


def where(issue: Issue) -> tuple[int, str, int, int]:
    """Sort key: the sheet's place in the workbook, then row, then column (A < B < AA)."""
    m = _CELL.match(issue.cell or "")
    row, col = (int(m.group(2)), _col(m.group(1))) if m else (0, 0)
    return _SHEET_ORDER.get(issue.sheet, len(_SHEET_ORDER)), issue.sheet, row, col


def _col(letters: str) -> int:
    """Column letters as a number: A = 1, Z = 26, AA = 27."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def grouped(issues: list[Issue]) -> list[Issue]:
    """One Issue per sheet, SKU and problem, in sheet and row order.

    A group of one is the issue itself; a group of many is worded with its count and
    its first :data:`SHOWN_CELLS` cells, and sits where its first cell is.

    >>> found = [Issue("Sales", f"B{r}", "POST", 'SKU "POST" is not on the Stock sheet; sale skipped')
    ...          for r in (1125, 47, 388, 2000)] + [Issue("Stock", "F3", "S1", 'on hand "x" is not a number')]
    >>> [str(i) for i in grouped(found)]  # doctest: +NORMALIZE_WHITESPACE
    ['Stock!F3: on hand "x" is not a number',
     'Sales!B47: SKU "POST" is not on the Stock sheet: 4 sales skipped (Sales!B47, B388, B1125, …)']
    """
    groups: dict[tuple[str, str, str], list[Issue]] = {}
    for issue in sorted(issues, key=where):  # stable: issues without a cell keep their order
        groups.setdefault((issue.sheet, issue.sku, issue.problem), []).append(issue)
    return sorted((_one_row(group) for group in groups.values()), key=where)


def _one_row(group: list[Issue]) -> Issue:
    first = group[0]
    if len(group) == 1:
        return first
    cells = [i.cell for i in group if i.cell]
    shown = ", ".join([f"{first.sheet}!{cells[0]}", *cells[1:SHOWN_CELLS]]) if cells else ""
    shown += ", …" if len(cells) > SHOWN_CELLS else ""
    what, _, then = first.problem.rpartition("; ")
    n = f"{len(group):,}"
    if what and then in MANY:
        text = f"{what}: {n} {MANY[then]}"
    else:
        text = f"{first.problem} ({n} times)"
    return Issue(first.sheet, first.cell, first.sku, f"{text} ({shown})" if shown else text)


def row_count(issues: list[Issue]) -> int:
    """How many rows the Data Issues sheet shows for these issues."""
    return len({(i.sheet, i.sku, i.problem) for i in issues})

