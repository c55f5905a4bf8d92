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
from .io.parse import Grid, ShopInputs, parse_inputs, parse_sheet
from .planning import keep_owner_edits, plan_reorder, summarise
from .review import kpis, review_frame, review_month, update_log
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


@dataclass
class Planned:
    """One read of the workbook and one plan, shared by every action."""

    grids: dict[str, Grid]
    inputs: ShopInputs
    reorder: pd.DataFrame
    issues: list[Issue]

    def previous(self, sheet: K.Sheet) -> pd.DataFrame:
        """What an output sheet holds now (the owner's edits live there), parsed by the contract."""
        parsed = parse_sheet(sheet, self.grids[sheet.name], {f: "ignored" for f in sheet.fields})
        self.issues.extend(parsed.issues)
        return parsed.frame


def plan(book: Book, say: Callable[[str], None], outputs: tuple[K.Sheet, ...]) -> Planned:
    """Read the inputs and the output sheets an action needs, plan every SKU.

    The owner's typed ``Order Qty`` values on the existing Reorder sheet are kept (see
    :func:`jit_workbook.planning.keep_owner_edits`). Raises
    :class:`~jit_workbook.errors.WorkbookError` for a missing sheet or column before
    anything is written.
    """
    say("reading the workbook")
    names = [s.name for s in K.INPUT_SHEETS] + [s.name for s in outputs]
    grids = book.read(names, optional=K.OPTIONAL_INPUT_SHEETS)
    inputs = parse_inputs(grids)
    previous = parse_sheet(K.REORDER, grids[K.REORDER.name], {"order_qty": "the new suggestion is used"})
    say(f"planning {len(inputs.stock):,} SKUs from {len(inputs.sales):,} sales lines")
    reorder, plan_issues = plan_reorder(inputs.stock, inputs.sales, inputs.suppliers, inputs.settings)
    reorder = keep_owner_edits(reorder, previous.frame[["sku", "suggested_qty", "order_qty"]])
    return Planned(grids, inputs, reorder, inputs.issues + previous.issues + plan_issues)


def recalculate(book: Book, progress: Callable[[str], None] | None = None) -> RecalcResult:
    """Read the inputs, plan every SKU, write ``Reorder``, ``Data Issues`` and the ``Dashboard``."""
    say = progress or book.status
    p = plan(book, say, (K.REORDER, K.REVIEW_LOG, K.DASHBOARD, K.DATA_ISSUES))
    log = p.previous(K.REVIEW_LOG)
    dashboard = kpis(p.reorder, p.inputs.sales, p.inputs.settings, log)
    say("writing Reorder, Dashboard and Data Issues")
    book.write({K.REORDER.name: p.reorder[K.REORDER.fields], K.DASHBOARD.name: dashboard,
                K.DATA_ISSUES.name: issues_frame(p.issues)})
    return RecalcResult(p.inputs.settings, p.reorder, p.issues, summarise(p.reorder))


@dataclass
class ReviewResult:
    """The monthly review: the items to decide on and this month's log block."""

    settings: Settings
    month: str
    review: pd.DataFrame
    issues: list[Issue]

    @property
    def summary(self) -> str:
        """``Review 2026-11: 54 obsolete or slow items holding £12,345.67; 50 still to decide``"""
        value = format_money(float(self.review["stock_value"].fillna(0).sum()), self.settings.currency)
        undecided = int(self.review["decision"].fillna("").eq("").sum())
        n = len(self.review)
        tail = f"; {len(self.issues)} data issues — see 'Data Issues'" if self.issues else ""
        return (f"Review {self.month}: {n:,} obsolete or slow item{'s' if n != 1 else ''} holding {value} "
                f"(consignment excluded); {undecided:,} still to decide{tail}")


def monthly_review(book: Book, progress: Callable[[str], None] | None = None) -> ReviewResult:
    """Plan as :func:`recalculate`, then write ``Obsolete Review``, this month's ``Review Log``
    block and the ``Dashboard``. The owner's Decision and Notes are kept by SKU."""
    say = progress or book.status
    p = plan(book, say, (K.REORDER, K.OBSOLETE_REVIEW, K.REVIEW_LOG, K.DASHBOARD, K.DATA_ISSUES))
    settings = p.inputs.settings
    log = p.previous(K.REVIEW_LOG)
    review = review_frame(p.reorder, settings, p.previous(K.OBSOLETE_REVIEW), log)
    month = review_month(settings)
    log = update_log(log, review, month)
    dashboard = kpis(p.reorder, p.inputs.sales, settings, log)
    say("writing Obsolete Review, Review Log and Dashboard")
    book.write({K.REORDER.name: p.reorder[K.REORDER.fields], K.OBSOLETE_REVIEW.name: review,
                K.REVIEW_LOG.name: log, K.DASHBOARD.name: dashboard, K.DATA_ISSUES.name: issues_frame(p.issues)})
    return ReviewResult(settings, month, review, p.issues)


def issues_frame(issues: list[Issue]) -> pd.DataFrame:
    """The Data Issues sheet's rows, capped at MAX_ISSUE_ROWS with a final 'and N more' row."""
    rows = [(i.sheet, i.cell, i.sku, i.problem) for i in issues[:MAX_ISSUE_ROWS]]
    if len(issues) > MAX_ISSUE_ROWS:
        rows.append(("", "", "", f"... and {len(issues) - MAX_ISSUE_ROWS:,} more problems like these; "
                                 "fix the ones above and run again"))
    return pd.DataFrame(rows, columns=K.DATA_ISSUES.fields, dtype=object)
