"""The file engine: a workbook on disk, read with python-calamine, written by the part patcher.

Reading never changes the file. Writing replaces only the named output sheets'
parts (see :mod:`jit_workbook.io.xlsx_patch`) and saves atomically; when writing over
the source, the previous version is first kept as ``<name>.backup.xlsx`` beside it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import contract as K
from .parse import Grid
from .read_file import check_readable, check_writable, read_grids
from .xlsx_patch import atomic_replace, patch_sheets


def backup_path(path: Path) -> Path:
    """Where the previous version of ``path`` is kept: ``JIT_Inventory.backup.xlsx``."""
    return path.with_name(f"{path.stem}.backup{path.suffix}")


class FileBook:
    """A workbook file as the actions see it: read grids, write output sheets.

    path: the workbook to read. output: where to write (default: ``path`` itself).
    """

    def __init__(self, path: Path | str, output: Path | str | None = None):
        self.path = Path(path)
        self.output = Path(output) if output else self.path
        self.name = self.path.name

    def check(self) -> None:
        """Fail early, before any work, if the file cannot be read or the result saved."""
        check_readable(self.path)
        check_writable(self.output)

    def read(self, names: list[str], optional: frozenset[str] = frozenset()) -> dict[str, Grid]:
        return read_grids(self.path, names, optional)

    def write(self, sheets: dict[str, pd.DataFrame], look: K.Look | None = None) -> None:
        """Write the output sheets; ``look`` (the Settings' Currency and Business Name) sets
        the money formats and the printed footer (see :func:`~.xlsx_patch.plan_patch`)."""
        if self.output.resolve() == self.path.resolve():
            source = self.path.read_bytes()
            atomic_replace(backup_path(self.path), lambda fh: fh.write(source))
        patch_sheets(self.path, self.output, sheets, contract_sheets={n: K.sheet(n).layout for n in sheets},
                     look=look)

    @property
    def folder(self) -> Path:
        """The folder the workbook is in (order files go beside it)."""
        return self.output.resolve().parent

    def status(self, message: str) -> None:
        """Progress messages go to the CLI's progress bar, not here."""
