"""The file engine: a workbook on disk, read with python-calamine, written by the part patcher.

Reading never changes the file. Writing replaces only the named output sheets'
parts (see :mod:`jit_workbook.io.xlsx_patch`) and saves atomically; when writing over
the source, the previous version is first kept as ``<name>.backup.xlsx`` beside it.

The file is read once, into memory: the sheets, the backup and the saved result all
come from those same bytes. Just before the result replaces the file, the file on disk
is compared with what was read; if the owner saved it meanwhile (in Excel or
LibreOffice), nothing is written, so their save is never lost.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import contract as K
from ..errors import WorkbookError
from .parse import Grid
from .read_file import check_readable, check_writable, read_grids
from .xlsx_patch import atomic_replace, patch_sheets

# A temporary file of ours (``atomic_replace``: ``.NAME.<8 random>.tmp``) older than this
# was left by a run that was killed; no run takes anywhere near this long to save.
STALE_TEMPORARY_SECONDS = 15 * 60
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")


def backup_path(path: Path) -> Path:
    """Where the previous version of ``path`` is kept: ``JIT_Inventory.backup.xlsx``."""
    return path.with_name(f"{path.stem}.backup{path.suffix}")


def lock_path(path: Path) -> Path:
    """The lock file a run holds beside the workbook: ``.JIT_Inventory.xlsx.jit-lock``."""
    return path.with_name(f".{path.name}.jit-lock")


@dataclass(frozen=True)
class Snapshot:
    """The workbook's bytes as read, and how to tell whether the file still holds them."""

    data: bytes
    size: int
    mtime_ns: int
    sha256: str

    @classmethod
    def take(cls, path: Path) -> Snapshot:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())  # the stat of the very file the bytes come from
            data = fh.read()
        return cls(data, st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest())

    def still_on_disk(self, path: Path) -> bool:
        try:
            st = path.stat()
            if (st.st_size, st.st_mtime_ns) != (self.size, self.mtime_ns):
                return False
            # Same size and time can still be a new save (coarse clocks): compare the bytes.
            return hashlib.sha256(path.read_bytes()).hexdigest() == self.sha256
        except OSError:  # moved away or deleted meanwhile
            return False


class FileBook:
    """A workbook file as the actions see it: read grids, write output sheets.

    path: the workbook to read. output: where to write (default: ``path`` itself).
    """

    def __init__(self, path: Path | str, output: Path | str | None = None):
        self.path = Path(path)
        self.output = Path(output) if output else self.path
        self.name = self.path.name
        self._snapshot: Snapshot | None = None

    def check(self) -> None:
        """Fail early, before any work, if the file cannot be read or the result saved."""
        check_readable(self.path)
        check_writable(self.output)

    @contextmanager
    def locked(self):
        """Hold the workbook's lock file for a whole run: a second run at once is refused.

        The lock is the operating system's (filelock), so a run that is killed releases
        it. On the way in, temporary files that killed runs left beside the workbook are
        removed.
        """
        from filelock import FileLock, Timeout

        files = list(dict.fromkeys([self.path.resolve(), self.output.resolve()]))
        held = []
        try:
            for path in files:
                lock = FileLock(lock_path(path), timeout=0, thread_local=False)
                try:
                    lock.acquire()
                except Timeout:
                    raise WorkbookError(
                        f"{path.name} is busy: another jit-workbook run is using it. Wait for it to "
                        "finish, then run again") from None
                except OSError:  # a folder we may not write in: check_writable says so plainly
                    continue
                held.append(lock)
                remove_stale_temporaries(path)
            yield self
        finally:
            for lock in reversed(held):
                lock.release()

    def read(self, names: list[str], optional: frozenset[str] = frozenset()) -> dict[str, Grid]:
        check_readable(self.path)
        self._snapshot = Snapshot.take(self.path)
        return read_grids(self.path, names, optional, data=self._snapshot.data)

    def write(self, sheets: dict[str, pd.DataFrame], look: K.Look | None = None) -> None:
        """Write the output sheets; ``look`` (the Settings' Currency and Business Name) sets
        the money formats and the printed footer (see :func:`~.xlsx_patch.plan_patch`)."""
        snapshot = self._snapshot or Snapshot.take(self.path)
        self._check_unchanged(snapshot)
        contracts = {n: K.sheet(n).layout for n in sheets}
        try:
            if self.output.resolve() == self.path.resolve():
                atomic_replace(backup_path(self.path), lambda fh: fh.write(snapshot.data),
                               before_replace=lambda: self._check_unchanged(snapshot))
            patch_sheets(self.path, self.output, sheets, contract_sheets=contracts, package=snapshot.data, look=look,
                         before_replace=lambda: self._check_unchanged(snapshot))
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
                raise WorkbookError(f"not enough disk space to save {self.output.name} in "
                                    f"{self.output.resolve().parent}; nothing was changed. Free some space "
                                    "and run again") from None
            raise
        self._snapshot = None  # the file now holds our result; the next run reads it afresh

    def _check_unchanged(self, snapshot: Snapshot) -> None:
        if not snapshot.still_on_disk(self.path):
            raise WorkbookError(f"{self.name} changed while it was being recalculated (saved elsewhere?). "
                                "Nothing was written; run again.")

    @property
    def folder(self) -> Path:
        """The folder the workbook is in (order files go beside it)."""
        return self.output.resolve().parent

    def status(self, message: str) -> None:
        """Progress messages go to the CLI's progress bar, not here."""


def remove_stale_temporaries(path: Path, now: float | None = None) -> list[Path]:
    """Remove the temporary files killed runs left beside ``path`` (and its backup).

    Only this tool's own: named ``.NAME.<8 characters>.tmp`` for the workbook or its
    backup, and older than STALE_TEMPORARY_SECONDS. Returns what was removed.
    """
    now = time.time() if now is None else now
    ours = {path.name, backup_path(path).name}
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMPORARY.match(entry.name)
        if not m or m.group("name") not in ours:
            continue
        try:
            if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime > STALE_TEMPORARY_SECONDS:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed
