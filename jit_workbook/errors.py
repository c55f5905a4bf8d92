"""One small exception hierarchy, and the row-level problem record.

Exceptions stop a run and become an exit code (CLI) or a message box (Excel) in one
place each. Row-level problems never stop a run: they are collected as
:class:`Issue` records and written to the ``Data Issues`` sheet.
"""

from __future__ import annotations

from dataclasses import dataclass


class JitError(Exception):
    """Base class: a message written for a shop owner, and the exit code it maps to."""

    exit_code = 1


class WorkbookError(JitError):
    """The workbook cannot be used as it is (missing file, sheet or column; locked,
    read-only or not a workbook). Nothing was written. Exit code 2."""

    exit_code = 2


class MissingSheetError(WorkbookError):
    pass


class MissingColumnError(WorkbookError):
    pass


class SettingsError(WorkbookError):
    """A value typed on the Settings sheet cannot be read as meant; the message names
    each such cell. Nothing was written (a default is never used for a typed value)."""


@dataclass(frozen=True)
class Issue:
    """One problem found in the inputs: where it is, which SKU, and what is wrong.

    sheet: sheet name, e.g. ``Sales``.
    cell: Excel address on that sheet, e.g. ``C14`` (blank when it is not one cell).
    sku: the SKU concerned, when known.
    problem: one plain-English sentence naming the bad value and the fix.
    """

    sheet: str
    cell: str
    sku: str
    problem: str

    def __str__(self) -> str:  # Sales!C14: quantity "abc" is not a number
        where = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"{where}: {self.problem}"
