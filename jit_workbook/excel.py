"""The Excel buttons: xlwings entry points over the same actions as the command line.

Each entry point takes an ``xlwings.Book`` or, when called from a button, uses
``xw.Book.caller()``. Problems reach the owner as one plain message box, never a
Python traceback (the traceback goes to stderr, which xlwings' RunPython throws away
when Python exits normally); the status bar shows progress and is handed back to
Excel at the end, also after an error. Only xlwings' open-source features are used.

The workbook's buttons (and the xlwings add-in's "Run main") all call :func:`main`,
which runs the action registered for the sheet the owner is on in
:data:`ACTIONS_BY_SHEET` — the one place where a sheet gets its own action.

Example (from Python, with the workbook open in Excel)::

    import xlwings as xw
    from jit_workbook import excel
    excel.recalculate(xw.Book("JIT_Inventory.xlsx"))
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from . import actions
from . import contract as K
from .errors import JitError

TITLE = "JIT Inventory"


def _book(book: Any = None) -> Any:
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _run(book: Any, action: Callable[[Any], str]) -> str | None:
    """Run one action on a live workbook; show its summary or its problem in one message box.

    Returns the summary, or None when the action failed (the owner was told why).
    """
    from .io.live_book import LiveBook

    book = _book(book)
    live = LiveBook(book)
    app = book.app
    try:
        summary = action(live)
    except JitError as exc:
        title = TITLE if live.changed else f"{TITLE}: nothing was changed"
        app.alert(str(exc), title=title, mode="critical")
        return None
    except Exception as exc:  # an owner never sees a traceback; stderr keeps it
        traceback.print_exc()
        where = (f"{' and '.join(live.changed)} may be incomplete: fix the cause and click the button again"
                 if live.changed else "Nothing was changed")
        app.alert(f"Something unexpected went wrong ({type(exc).__name__}: {exc}). {where}. If it happens "
                  "again, send this message to whoever set up the workbook.", title=TITLE, mode="critical")
        return None
    finally:
        app.status_bar = False  # hand the status bar back to Excel
    app.alert(summary, title=TITLE, mode="info")
    return summary


def recalculate(book: Any = None) -> str | None:
    """The Recalculate button: plan every SKU, write Reorder and Data Issues.

    book: an ``xlwings.Book``; default ``xw.Book.caller()`` (the workbook whose button ran).
    Returns the summary line shown to the owner, or None when it failed.
    """
    return _run(book, lambda live: actions.recalculate(live).summary)


def draft_orders(book: Any = None) -> str | None:
    """The Draft Orders button: one purchase order per supplier from Reorder's Order Qty.

    Writes the order files beside the workbook and lists them on the Orders sheet; sending
    by email stays a deliberate step (the command line's ``orders --send``, or your own
    mail program with the .eml drafts).
    """
    return _run(book, lambda live: actions.draft_orders(live).summary)


def monthly_review(book: Any = None) -> str | None:
    """The Monthly Review button: Obsolete Review, this month's Review Log block, Dashboard."""
    return _run(book, lambda live: actions.monthly_review(live).summary)


def backtest(book: Any = None) -> str | None:
    """The Backtest button: replay the policy over the last Backtest Days, write Backtest."""
    return _run(book, lambda live: actions.run_backtest(live).summary)


def cards(book: Any = None) -> str | None:
    """The Cards button: kanban cards as a PDF in ``cards/`` beside the workbook.

    On the Reorder sheet, the SKUs of the selected rows (any cells in them; several blocks
    with Ctrl); with nothing but the header selected, or on another sheet, every item the
    plan reorders. The workbook is not changed.
    """
    book = _book(book)
    rows = selected_rows(book)
    return _run(book, lambda live: actions.print_cards(live, reorder_rows=rows).summary)


def selected_rows(book: Any) -> list[int] | None:
    """The Reorder sheet's data rows (one-based) under the selection, or None for "all".

    None when the selection is on another sheet, holds only the header row, or takes whole
    columns. Excel's address of a selection lists its blocks: ``$A$2:$C$4,$A$7``.
    """
    selection = _selection(book)
    if selection is None or selection.sheet.name != K.REORDER.name:
        return None
    address = selection.address
    if re.fullmatch(r"\$?(A\$?)?1:\$?(XFD\$?)?1048576", address):  # the whole sheet
        return None
    last = selection.sheet.used_range.last_cell.row  # rows below the table hold no SKU
    rows = [r for r in rows_in_address(address, last) if r <= last]
    return rows or None


def rows_in_address(address: str, last: int = 1_048_576) -> list[int]:
    """Rows 2 to ``last`` in an A1-style address of one or more blocks; [] when a block is whole columns.

    >>> rows_in_address("$A$2:$C$4,$B$7"), rows_in_address("$1:$1,$5:$6"), rows_in_address("$A:$A")
    ([2, 3, 4, 7], [5, 6], [])
    """
    rows: set[int] = set()
    for block in str(address).replace(";", ",").split(","):
        ends = [int(m.group(1)) if m.group(1) else None
                for m in (re.fullmatch(r"\$?[A-Za-z]*\$?(\d*)", end.strip()) for end in block.split(":")) if m]
        if not ends or None in ends:
            return []  # whole columns: everything
        rows.update(range(max(min(ends), 2), min(max(ends), last) + 1))
    return sorted(rows)


@dataclass(frozen=True)
class Action:
    """One button: its caption and the entry point it runs (takes a Book or None)."""

    label: str
    run: Callable[[Any], str | None]


RECALCULATE = Action("Recalculate", recalculate)
# The Reorder sheet's button (and Run main there) prints kanban cards when whole rows are selected.
CARDS = Action("Kanban Cards", cards)

# The action of each sheet's button and of the add-in's "Run main", by sheet name.
# Sheets not listed run Recalculate.
ACTIONS_BY_SHEET: dict[str, Action] = {
    K.ORDERS.name: Action("Draft Orders", draft_orders),
    K.OBSOLETE_REVIEW.name: Action("Monthly Review", monthly_review),
    K.BACKTEST.name: Action("Backtest", backtest),
}

# Sheets that carry a button in the macro workbook (jit_workbook.excel_setup).
BUTTON_SHEETS: tuple[str, ...] = (K.REORDER.name, K.ORDERS.name, K.OBSOLETE_REVIEW.name, K.BACKTEST.name)


def action_for(sheet_name: str) -> Action:
    """The action a button on ``sheet_name`` runs (Recalculate unless registered)."""
    return ACTIONS_BY_SHEET.get(sheet_name, RECALCULATE)


def main(book: Any = None) -> str | None:
    """Run the action that fits the sheet the owner is on (Recalculate by default; on the
    Reorder sheet with whole rows selected, :func:`cards` for those rows).

    This is what the workbook's buttons and the xlwings add-in's "Run main" call,
    through the ``<workbook name>.py`` module beside the workbook.
    """
    book = _book(book)
    name = book.sheets.active.name
    if name == K.REORDER.name and whole_rows_selected(book):
        return CARDS.run(book)
    return action_for(name).run(book)


def whole_rows_selected(book: Any) -> bool:
    """Whether the selection is whole rows (row numbers clicked, or the whole sheet), the gesture
    that makes the Reorder sheet's button print those rows' kanban cards instead of recalculating.

    >>> whole_rows("$5:$7,$9:$9"), whole_rows("$A$5:$XFD$7"), whole_rows("$A$5:$C$7"), whole_rows("$A:$A")
    (True, True, False, False)
    """
    selection = _selection(book)
    return selection is not None and whole_rows(selection.address)


def _selection(book: Any) -> Any:
    """The selected range, or None (nothing selected, or a picture or chart is: not cells)."""
    try:
        return book.selection
    except Exception:  # xlwings raises when the selection is a shape, not a range
        return None


def whole_rows(address: str) -> bool:
    """Every block of an A1-style address spans whole rows (``$5:$7``, or columns A to XFD)."""
    for block in str(address).replace(";", ",").split(","):
        m = re.fullmatch(r"\$?(?:(A)\$?)?(\d+)(?::\$?(?:(XFD)\$?)?(\d+))?", block.strip(), re.I)
        if not m or bool(m.group(1)) != bool(m.group(3)) or (m.group(1) and not m.group(4)):
            return False
        if not m.group(1) and m.group(4) is None:  # "$5" alone is a cell without a column: not Excel's
            return False
    return True


__all__ = ["Action", "ACTIONS_BY_SHEET", "BUTTON_SHEETS", "CARDS", "RECALCULATE", "action_for", "backtest", "cards",
           "draft_orders", "main", "monthly_review", "recalculate"]
