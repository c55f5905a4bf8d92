"""Workbook text made safe for file names, mail headers and addresses.

Everything an owner types into the workbook is data. A supplier called
``../../etc/passwd`` must not write outside the order folder, one called ``CON``
must not hang Windows, and an Email cell holding ``a@x.com\\nBcc: evil@x.com`` must
not add a recipient. The helpers here are the only places that turn workbook text
into a path or a header value; they are pure and cheap.

>>> safe_filename("../../etc/passwd")
'etc_passwd'
>>> header_text("Acme\\r\\nBcc: evil@x.com")
'Acme Bcc: evil@x.com'
>>> email_address("Sam Patel <sam@acme.example>")
'sam@acme.example'
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import time
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from ..errors import JitError, WorkbookError
from ..io.file_book import STALE_TEMPORARY_SECONDS
from ..safe_text import _SPACES, _is_control, clean_text, email_address, header_text  # noqa: F401  (re-exported)

if TYPE_CHECKING:  # pragma: no cover
    from .po import PurchaseOrder

# Device names Windows reserves in every folder, with or without an extension.
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in "0123456789¹²³"}
    | {f"LPT{i}" for i in "0123456789¹²³"})
# Characters no file name may hold on Windows, macOS or Linux (plus the separators).
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
# One mail address: a plain ASCII local part (RFC 5322 dot-atom) and a domain with a dot.
PO_NUMBER = re.compile(r"PO-(?P<date>\d{8})-(?P<code>[A-Z0-9]{1,12})-(?P<n>[1-9]\d{0,5})")


class UnsafePathError(JitError):
    """An order file would land outside its order folder (a symbolic link, or a name
    that slipped past :func:`safe_filename`). Nothing was written. Exit code 1."""


class OrderFileError(WorkbookError):
    """An order file cannot be written (open in another program, read-only folder).
    The message names the file and the fix. Exit code 2."""


def safe_filename(text: object, max_len: int = 80, fallback: str = "unnamed") -> str:
    """One file name component made from workbook text, safe on Windows, macOS and Linux.

    Rules, in order: Unicode NFKC normalisation (so full-width ``／`` and superscript
    ``¹`` become ``/`` and ``1`` before the checks); control characters, path
    separators ``/`` ``\\`` and ``< > : " | ? *`` become ``_``; white space runs become
    one space; leading and trailing dots, spaces and underscores go (no ``..``, no
    hidden files, no names Windows would silently change); a reserved Windows device
    name (``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM0``–``COM9``, ``LPT0``–``LPT9``,
    also with an extension such as ``con.txt``) gets a ``_`` prefix; the result is cut
    to ``max_len`` characters and to 2 × ``max_len`` UTF-8 bytes (file systems allow 255
    bytes, and the PO number and extension are added to it). An empty result gives
    ``fallback``.

    The result never contains a separator, is never ``.`` or ``..``, and is never empty.

    >>> safe_filename("Acme Tools Ltd.")
    'Acme Tools Ltd'
    >>> safe_filename("con")
    '_con'
    >>> safe_filename("a/b\\\\c")
    'a_b_c'
    """
    if max_len < 1:
        raise ValueError(f"max_len must be 1 or more, got {max_len}")
    name = unicodedata.normalize("NFKC", clean_text(text))
    name = "".join("_" if _is_control(ch) else ch for ch in name)
    name = _SPACES.sub(" ", _FORBIDDEN.sub("_", name))

    def trim(s: str) -> str:
        return s.strip(" ._")

    name = trim(name)
    if name.split(".")[0].strip().upper() in WINDOWS_RESERVED:
        name = "_" + name
    name = name[:max_len]
    while len(name.encode("utf-8")) > 2 * max_len:
        name = name[:-1]
    name = trim(name)
    if name.split(".")[0].strip().upper() in WINDOWS_RESERVED:  # cutting can expose one again
        name = "_" + name
    return name or fallback


def check_po_number(po_number: str) -> str:
    """The PO number if it has the form ``PO-YYYYMMDD-CODE-n`` (so it is safe in a
    file name), else ValueError.

    >>> check_po_number("PO-20261127-ACME-1")
    'PO-20261127-ACME-1'
    """
    if not PO_NUMBER.fullmatch(str(po_number)):
        raise ValueError(f"{po_number!r} is not a PO number like PO-20261127-ACME-1")
    return str(po_number)


def order_paths(folder: str | Path, order_date: dt.date, order: "PurchaseOrder") -> tuple[Path, Path, Path]:
    """Where one order's files go: ``folder/<YYYY-MM-DD>/<PO number> <supplier>.{xlsx,pdf,eml}``.

    Parameters
    ----------
    folder : path
        The order folder (``Order Folder`` setting, resolved by the caller against the
        workbook's folder). It need not exist; nothing is created here.
    order_date : date
        Names the subfolder.
    order : PurchaseOrder
        Its ``po_number`` (checked against the PO pattern) and ``supplier`` (through
        :func:`safe_filename`, at most 60 characters) name the files.

    Returns
    -------
    (xlsx, pdf, eml) absolute paths, all directly inside ``folder/<YYYY-MM-DD>/``.

    Raises
    ------
    UnsafePathError
        When a resolved path is not directly in that subfolder (for example the
        subfolder or a file is a symbolic link pointing elsewhere).
    """
    root = Path(folder).expanduser().resolve()
    day = root / order_date.isoformat()
    stem = f"{check_po_number(order.po_number)} {safe_filename(order.supplier, max_len=60)}"
    paths = tuple(day / f"{stem}.{ext}" for ext in ("xlsx", "pdf", "eml"))
    for p in paths:
        real = p.resolve()
        if real.parent != day or not real.is_relative_to(root):
            raise UnsafePathError(
                f"the order file {p.name} would be written outside the order folder {day} "
                f"(it resolves to {real}); remove that link or choose another Order Folder")
    return paths  # type: ignore[return-value]


# What atomic_path's mkstemp names its temporaries: ".~", 8 of tempfile's letters, the
# document's suffix. A run killed while writing leaves one; the next write in the folder
# removes those older than STALE_TEMPORARY_SECONDS (never LibreOffice's ".~lock.NAME#").
_TEMPORARY = re.compile(r"\.~[a-z0-9_]{8}\.(?:xlsx|pdf|eml)")


def remove_stale_temporaries(folder: Path, now: float | None = None) -> list[Path]:
    """Remove this tool's own temporary order files (by name and age) from ``folder``;
    returns what was removed. Errors are ignored: it is tidying, not saving."""
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        try:
            if (_TEMPORARY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
                    and now - entry.stat().st_mtime > STALE_TEMPORARY_SECONDS):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; on success it replaces ``path``.

    The rename is atomic on one file system, so a reader never sees half a file.
    Raises :class:`OrderFileError` when the folder cannot be written or the target
    is locked (open in Excel on Windows) or read-only.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=".~", suffix=path.suffix, dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise OrderFileError(f"cannot write in the order folder {path.parent}: {exc.strerror or exc}; "
                             "check it exists and you may write there, or change Order Folder") from exc
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; an order file is an ordinary document
        os.replace(tmp, path)
    except PermissionError as exc:
        raise OrderFileError(f"cannot replace {path}: it is open in another program or read-only; "
                             "close it and run again") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
