"""The Excel buttons: xlwings entry points over the same actions as the command line.

Each entry point takes an ``xlwings.Book`` or, when called from a button, uses
``xw.Book.caller()``. Problems reach the owner as a plain message box, never a
Python traceback; the status bar shows progress and is reset at the end, also
after an error. Only xlwings' open-source features are used.
"""

from __future__ import annotations

import traceback
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
    """Run one action on a live workbook; show its summary or its problem in a message box."""
    from .io.live_book import LiveBook

    book = _book(book)
    live = LiveBook(book)
    app = book.app
    try:
        summary = action(live)
    except JitError as exc:
        app.alert(str(exc), title=f"{TITLE}: nothing was changed", mode="critical")
        return None
    except Exception as exc:  # an owner never sees a traceback; the log keeps it
        traceback.print_exc()
        app.alert(f"Something unexpected went wrong ({type(exc).__name__}: {exc}). Nothing was saved; "
                  "please send this message to whoever set up the workbook.", title=TITLE, mode="critical")
        return None
    finally:
        app.status_bar = False  # hand the status bar back to Excel
    app.alert(summary, title=TITLE, mode="info")
    return summary


def recalculate(book: Any = None) -> str | None:
    """The Recalculate button: plan every SKU, write Reorder and Data Issues."""
    return _run(book, lambda live: actions.recalculate(live).summary)


# Which action the xlwings "Run main" button (and a macro button) runs, by active sheet.
ACTIONS_BY_SHEET: dict[str, Callable[[Any], str | None]] = {}


def main(book: Any = None) -> str | None:
    """Run the action that fits the sheet the owner is on (Recalculate by default)."""
    book = _book(book)
    action = ACTIONS_BY_SHEET.get(book.sheets.active.name, recalculate)
    return action(book)


__all__ = ["recalculate", "main", "K"]
