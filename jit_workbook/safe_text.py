"""Workbook text made safe for XML cells, PDF text and mail headers.

The bottom layer for every place workbook text leaves the workbook: settings
validators, purchase orders and their emails all use these, so none of them imports
another to get them. File names and paths are in :mod:`jit_workbook.orders.safety`.

>>> header_text("Acme\\r\\nBcc: evil@x.com")
'Acme Bcc: evil@x.com'
>>> email_address("Sam Patel <sam@acme.example>")
'sam@acme.example'
"""

from __future__ import annotations

import re
import unicodedata
from email.headerregistry import Address
from email.utils import getaddresses
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_SPACES = re.compile(r"\s+")
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}"
_ADDRESS = re.compile(rf"{_LOCAL}@{_DOMAIN}")
_NAMED = re.compile(r'\s*"?(?P<name>[^"<>@,;]*?)"?\s*<(?P<addr>[^<>]*)>\s*')


def _is_control(ch: str) -> bool:
    # Cc (C0/C1 controls), Cf (zero-width and bidi overrides), Zl/Zp (line/paragraph separators)
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def clean_text(text: object) -> str:
    """Workbook text with control characters replaced by spaces (not collapsed).

    Safe for XML cells and PDF text; keeps tabs and line breaks out. ``None`` and
    NaN give "".

    >>> clean_text("Paint\\x00 tin\\u202e")
    'Paint  tin '
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""
    return "".join(" " if _is_control(ch) else ch for ch in str(text))


def header_text(text: object, max_len: int = 200) -> str:
    """Text for one mail header value or display name: one line, no control characters.

    CR, LF and every other control or invisible formatting character become a space,
    runs of white space become one, and the result is cut to ``max_len`` characters.
    A header value made by this function can never start a second header.

    >>> header_text("  Purchase\\norder \\t PO-1  ")
    'Purchase order PO-1'
    """
    return _SPACES.sub(" ", clean_text(text)).strip()[:max_len].strip()


def email_address(text: object) -> str:
    """The one mail address in an Email cell, or ValueError saying why it is refused.

    Accepts ``sam@acme.example`` or ``Sam Patel <sam@acme.example>`` (the name is
    dropped: orders are addressed to the supplier's Contact). Refused: blank, more
    than one address (``,`` or ``;``), any control character (CR/LF could start a new
    header such as ``Bcc:``), spaces or quotes in the address, a domain without a dot,
    non-ASCII local parts. The result is checked a second time with the standard
    library's parsers (:func:`email.utils.getaddresses`, :class:`email.headerregistry.Address`)
    and must round-trip through both unchanged.

    >>> email_address("orders@acme.example")
    'orders@acme.example'
    >>> email_address("a@x.com, b@y.com")
    Traceback (most recent call last):
    ...
    ValueError: "a@x.com, b@y.com" holds more than one address; keep one
    """
    raw = "" if text is None or (isinstance(text, float) and text != text) else str(text)
    shown = '"' + header_text(raw, 60) + '"'
    if not raw.strip():
        raise ValueError("the email address is blank")
    if any(_is_control(ch) for ch in raw):
        raise ValueError(f"{shown} holds a line break or control character; type the address on one line")
    raw = raw.strip()
    named = _NAMED.fullmatch(raw)
    addr = named.group("addr").strip() if named else raw
    if "," in raw or ";" in raw or raw.count("@") > 1:
        raise ValueError(f"{shown} holds more than one address; keep one")
    if not _ADDRESS.fullmatch(addr):
        raise ValueError(f"{shown} is not an email address like orders@supplier.com")
    try:
        parsed = Address(addr_spec=addr)
        pairs = getaddresses([raw])
    except Exception as exc:  # the stdlib parser disagrees: refuse rather than guess
        raise ValueError(f"{shown} is not an email address like orders@supplier.com") from exc
    if parsed.addr_spec != addr or len(pairs) != 1 or pairs[0][1] != addr:
        raise ValueError(f"{shown} is not an email address like orders@supplier.com")
    return addr


MAX_LINK = 255  # Excel's longest text argument in a formula, in characters


def hyperlink_formulas(folder: str, names: pd.Series) -> pd.Series:
    """``HYPERLINK("folder/name","name")`` for each file name (without the leading "="),
    or "" for a blank name: the cell shows the name and opens the file on a click.

    A name that is already absolute (``/…``, ``C:\\…``, ``\\\\server``) links to itself.
    The text is always a string literal: a ``"`` in it is doubled (Excel's escape), so
    no name can end the string and add formula code; control characters go; a link
    longer than Excel's 255 characters is left as plain text (blank formula).

    >>> import pandas as pd
    >>> hyperlink_formulas("orders", pd.Series(['2026-11-20/PO-1 A "B".xlsx', None])).tolist()
    ['HYPERLINK("orders/2026-11-20/PO-1 A ""B"".xlsx","2026-11-20/PO-1 A ""B"".xlsx")', '']
    """
    import pandas as pd  # here: the text helpers above are imported where pandas is not needed

    text = names.where(names.notna(), "").astype(str).map(clean_text)
    absolute = text.str.match(r"^(?:/|\\\\|[A-Za-z]:[\\/])")
    prefix = folder.rstrip("/\\") + "/" if folder else ""
    target = text.where(absolute, prefix + text)
    formula = 'HYPERLINK("' + target.str.replace('"', '""') + '","' + text.str.replace('"', '""') + '")'
    fits = (target.str.len() <= MAX_LINK) & text.ne("")
    return pd.Series(formula.where(fits, ""), index=names.index, dtype=object)
