"""How a SKU typed on Sales or Receipts is matched to the Stock sheet — the one rule
every part of the tool uses (the reader, the stock rebuild, the demand series, the
backtest's replay).

Excel's own lookups (VLOOKUP, XLOOKUP, MATCH) ignore capitals, and a CSV opened in
Excel turns the code ``00123`` into the number 123. So a code is matched, in order:

1. exactly as Stock spells it (outer spaces ignored);
2. ignoring capitals (``ham-01`` is ``HAM-01``), when only one Stock SKU spells that way;
3. a whole number to a zero-padded Stock code of the same value (123 is ``00123``),
   when only one Stock SKU has that value.

Anything else is not on the Stock sheet.
"""

from __future__ import annotations

__all__ = ["CAPITALS", "EXACT", "LEADING_ZEROS", "sku_positions", "stock_positions"]

import numpy as np
import pandas as pd

EXACT, CAPITALS, LEADING_ZEROS = "exact", "capitals", "leading zeros"


def stock_positions(codes: pd.Index, skus: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Each code's position in ``skus`` (-1 when not there) and how it matched.

    codes: distinct typed SKUs (text); skus: the Stock sheet's SKUs, unique (text).
    Returns (positions, kinds): int64 positions into ``skus``; kinds ``EXACT``,
    ``CAPITALS``, ``LEADING_ZEROS`` or "" (not matched).

    >>> pos, how = stock_positions(pd.Index(["HAM-01", "ham-01", "123", "X"]), pd.Index(["HAM-01", "00123"]))
    >>> pos.tolist(), how.tolist()
    ([0, 0, 1, -1], ['exact', 'capitals', 'leading zeros', ''])
    """
    codes = pd.Index(codes.astype(str)).str.strip()
    skus = pd.Index(skus.astype(str))
    if skus.is_unique:
        pos = skus.get_indexer(codes)
    else:  # the first of repeated SKUs, as the reader keeps it
        first = pd.Series(np.arange(len(skus)), index=skus)
        pos = first[~first.index.duplicated()].reindex(codes).fillna(-1).to_numpy(dtype=np.int64)
    how = np.where(pos >= 0, EXACT, "").astype(object)
    for kind, key in ((CAPITALS, _folded), (LEADING_ZEROS, _number)):
        todo = pos < 0
        if not todo.any():
            break
        stock_keys, typed_keys = key(skus, padded=True), key(codes[todo], padded=False)
        unique = stock_keys.notna() & ~stock_keys.duplicated(keep=False)
        lookup = pd.Series(np.flatnonzero(unique.to_numpy()), index=stock_keys[unique].to_numpy())
        found = typed_keys.map(lookup).to_numpy(dtype=float, na_value=np.nan)
        hit = ~np.isnan(found)
        idx = np.flatnonzero(todo)[hit]
        pos[idx], how[idx] = found[hit].astype(np.int64), kind
    return pos.astype(np.int64), how


def _folded(codes: pd.Index, padded: bool) -> pd.Series:
    return pd.Series(codes.str.casefold(), dtype=object)


def _number(codes: pd.Index, padded: bool) -> pd.Series:
    """Whole-number codes by value: on Stock only those with leading zeros (00123), typed
    ones only without (123, as Excel shows a number)."""
    text = pd.Series(codes, dtype=object)
    shape = r"0\d+" if padded else r"[1-9]\d*"
    return text.where(text.str.fullmatch(shape).fillna(False)).str.lstrip("0")


def sku_positions(frame: pd.DataFrame, skus: pd.Index) -> np.ndarray:
    """Each row's SKU as its position in ``skus`` (-1 when not there), by :func:`stock_positions`.

    >>> sku_positions(pd.DataFrame({"sku": [" B", "Z", "b"]}), pd.Index(["A", "B"])).tolist()
    [1, -1, 1]
    """
    if not len(frame):
        return np.empty(0, dtype=np.int64)
    codes, uniques = pd.factorize(frame["sku"])  # match each distinct SKU once
    pos, _ = stock_positions(pd.Index(uniques, dtype=object).astype(str), skus)
    return np.where(codes >= 0, pos[codes], -1)
