"""Retail barcodes (EAN-13, UPC-A) as the shop's Stock sheet holds them, and scanned codes.

Pure and cheap, below every layer: the Count sheet's reader matches scans with
:func:`code_key`, the kanban cards print what :func:`retail_barcode` accepts.

A USB scanner types a code's digits as text; a Stock cell may hold the same code as
a number (Excel turns ``5012345678900`` into one, and drops a UPC-A's leading zero:
``036000291452`` becomes ``36000291452``). GTINs are equal when they differ only by
leading zeros (GS1's GTIN-14 padding), so digit-only codes are compared without them.

>>> retail_barcode("5012345678900")
('EAN-13', '5012345678900')
>>> retail_barcode("36000291452")   # a UPC-A whose leading zero Excel dropped
('UPC-A', '036000291452')
>>> code_key("036000291452") == code_key("36000291452")
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import contract as K
from .errors import Issue

LENGTHS = {12: "UPC-A", 13: "EAN-13"}


def check_digit(body: str) -> int:
    """The GS1 check digit of the digits ``body`` (a GTIN without its last digit).

    From the right, digits are weighted 3, 1, 3, 1 ...; the check digit brings the
    weighted sum up to a multiple of 10 (GS1 General Specifications, 7.9.1).

    >>> check_digit("501234567890"), check_digit("03600029145")
    (0, 2)
    """
    total = sum(int(ch) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def retail_barcode(text: str) -> tuple[str, str] | None:
    """(``"EAN-13"`` or ``"UPC-A"``, the 13 or 12 digits) when ``text`` is a valid one, else None.

    Spaces and dashes people type between digit groups are ignored; 11 digits are read
    as a UPC-A that lost its leading zero in a number cell. The check digit must match.
    """
    digits = "".join(ch for ch in str(text) if ch not in " -")
    if not digits.isdigit() or not digits.isascii():
        return None
    if len(digits) == 11:
        digits = "0" + digits
    kind = LENGTHS.get(len(digits))
    if kind is None or check_digit(digits[:-1]) != int(digits[-1]):
        return None
    return kind, digits


def barcode_problem(text: str) -> str:
    """Why ``text`` is not a barcode the cards can print, in the owner's words ("" when it is).

    >>> barcode_problem("5012345678901")
    'barcode "5012345678901" is not a valid EAN-13: its last digit (the check digit) should be 0'
    """
    if not str(text).strip() or retail_barcode(text):
        return ""
    digits = "".join(ch for ch in str(text) if ch not in " -")
    if digits.isdigit() and digits.isascii() and len(digits) in (11, 12, 13):
        full = digits.zfill(12) if len(digits) == 11 else digits
        return (f'barcode "{text}" is not a valid {LENGTHS[len(full)]}: its last digit (the check digit) '
                f"should be {check_digit(full[:-1])}")
    return f'barcode "{text}" is not an EAN-13 (13 digits) or UPC-A (12 digits)'


def code_key(text: str) -> str:
    """What a scanned or typed code is compared by: digit-only codes without leading zeros
    (``"0036000291452"``, ``"036000291452"`` and ``"36000291452"`` are one GTIN), other
    codes as typed, without surrounding spaces."""
    code = str(text).strip()
    if code.isdigit() and code.isascii():
        return code.lstrip("0") or "0"
    return code


def stock_barcode_issues(stock: pd.DataFrame) -> list[Issue]:
    """A Data Issue for each filled Stock Barcode that is not a valid EAN-13 or UPC-A.

    stock: the parsed Stock sheet (``sku``, ``barcode``, ``row``). The item is still planned;
    only its kanban card goes without the retail barcode (the SKU's own barcode is printed).
    Vectorised: the check digits of every row at once (5,000 SKUs in a few milliseconds).
    """
    text = stock["barcode"].astype(str)
    digits = text.str.replace(r"[ -]", "", regex=True)
    filled = text.str.strip().ne("")
    shaped = digits.str.fullmatch(r"[0-9]{11,13}").fillna(False) & filled
    valid = pd.Series(False, index=stock.index)
    if shaped.any():  # a UPC-A (12 digits) is the EAN-13 with a leading 0: one rule for both
        grid = np.frombuffer("".join(digits[shaped].str.zfill(13)).encode("ascii"), dtype=np.uint8)
        grid = grid.reshape(-1, 13).astype(np.int64) - 48
        check = (10 - (grid[:, :12] @ np.tile([1, 3], 6)) % 10) % 10
        valid[shaped] = check == grid[:, 12]
    bad = filled & ~valid
    return [Issue("Stock", K.STOCK.cell("barcode", row), sku,
                  barcode_problem(code) + "; fix it, or its kanban card shows only the SKU's barcode")
            for sku, code, row in stock.loc[bad, ["sku", "barcode", "row"]].itertuples(index=False)]
