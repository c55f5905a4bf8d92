"""The actions an owner runs — one function each, shared by the CLI and the Excel buttons.

An action takes a *book*: anything with ``read(names, optional)`` returning raw
:class:`~jit_workbook.io.parse.Grid` s, ``write({sheet name: DataFrame})`` for the
output sheets, and ``status(message)`` for progress. The file engine
(:class:`~jit_workbook.io.file_book.FileBook`) and the live Excel engine
(:mod:`jit_workbook.io.live_book`) are the two kinds; the actions never know which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

import pandas as pd

from . import contract as K
from .errors import Issue
from .io.parse import Grid, parse_inputs, parse_sheet
from .planning import keep_owner_edits, plan_reorder, summarise
from .settings import Settings

# More rows than anyone reads; the last row says how many more there were.
MAX_ISSUE_ROWS = 10_000
CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "AUD": "A$", "CAD": "C$", "NZD": "NZ$", "JPY": "¥",
                    "INR": "₹", "CHF": "CHF ", "ZAR": "R"}


class Book(Protocol):
    name: str

    def read(self, names: list[str], optional: frozenset[str] = frozenset()) -> dict[str, Grid]: ...

    def write(self, sheets: dict[str, pd.DataFrame]) -> None: ...

    def status(self, message: str) -> None: ...


@dataclass
class RecalcResult:
    """What a recalculation found: the plan, the problems and the numbers for the summary line."""

    settings: Settings
    reorder: pd.DataFrame
    issues: list[Issue]
    counts: dict = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """``512 SKUs: 37 to reorder (£4,210.50), 12 obsolete, 9 slow, 3 data issues — see 'Data Issues'``"""
        c = self.counts
        money = format_money(c["reorder_value"], self.settings.currency)
        n = len(self.issues)
        tail = f"{n} data issue{'s' if n != 1 else ''}" + (" — see 'Data Issues'" if n else "")
        return (f"{c['skus']:,} SKUs: {c['to_reorder']:,} to reorder ({money}), "
                f"{c['obsolete']:,} obsolete, {c['slow']:,} slow, {tail}")


def format_money(value: float, currency: str) -> str:
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{value:,.2f}" if symbol else f"{value:,.2f} {currency}"


def recalculate(book: Book, progress: Callable[[str], None] | None = None) -> RecalcResult:
    """Read the inputs, plan every SKU, write ``Reorder`` and ``Data Issues``.

    The owner's typed ``Order Qty`` values on the existing Reorder sheet are kept
    (see :func:`jit_workbook.planning.keep_owner_edits`). Raises
    :class:`~jit_workbook.errors.WorkbookError` for a missing sheet or column before
    anything is written.
    """
    say = progress or book.status
    say("reading the workbook")
    names = [s.name for s in K.INPUT_SHEETS] + [K.REORDER.name, K.DATA_ISSUES.name]
    grids = book.read(names, optional=K.OPTIONAL_INPUT_SHEETS)
    inputs = parse_inputs(grids)
    previous = parse_sheet(K.REORDER, grids[K.REORDER.name], {"order_qty": "the new suggestion is used"})
    say(f"planning {len(inputs.stock):,} SKUs from {len(inputs.sales):,} sales lines")
    reorder, plan_issues = plan_reorder(inputs.stock, inputs.sales, inputs.suppliers, inputs.settings)
    reorder = keep_owner_edits(reorder, previous.frame[["sku", "suggested_qty", "order_qty"]])
    issues = inputs.issues + previous.issues + plan_issues
    say("writing Reorder and Data Issues")
    book.write({K.REORDER.name: reorder[K.REORDER.fields], K.DATA_ISSUES.name: issues_frame(issues)})
    return RecalcResult(inputs.settings, reorder, issues, summarise(reorder))


def issues_frame(issues: list[Issue]) -> pd.DataFrame:
    """The Data Issues sheet's rows, capped at MAX_ISSUE_ROWS with a final 'and N more' row."""
    rows = [(i.sheet, i.cell, i.sku, i.problem) for i in issues[:MAX_ISSUE_ROWS]]
    if len(issues) > MAX_ISSUE_ROWS:
        rows.append(("", "", "", f"... and {len(issues) - MAX_ISSUE_ROWS:,} more problems like these; "
                                 "fix the ones above and run again"))
    return pd.DataFrame(rows, columns=K.DATA_ISSUES.fields, dtype=object)
