"""How many lines a wrapped text takes in a column: so a written row is as tall as its text.

Neither Excel nor LibreOffice fits a row's height to wrapped text that another program
wrote, so the writer sets it. Counting characters is not enough: capitals and digits are
wider than small letters, and a line breaks only between words, so "Premium Power Tool
Accessories" (30 characters) takes two lines in a 28-wide column that holds 33 average
characters. Here each text is wrapped as the spreadsheet wraps it:

* **Glyph widths** are Calibri 11's (the workbook's font), at 96 dpi: 11 pt × 96 ÷ 72 =
  14.67 pixels to the em, times each character's advance width in 1/2048 em (from
  Carlito, whose metrics are Calibri's). Characters outside the table count as wide as a
  digit, East Asian wide ones as a full em.
* **The column** is 7 pixels per unit of width (Calibri 11's digit), less
  ``MARGIN_PX`` (the 5 pixels of padding the width includes, and 1 to spare) and
  ``INDENT_PX`` per level of the sheets' indent (``contract.WRAP_INDENT``). That is
  Excel's text area. LibreOffice's is a little wider (it takes Carlito's unhinted digit,
  7.43 pixels), so there a row sometimes has a line to spare; the tests check that
  against LibreOffice's own wrapping.
* **Lines** break at spaces only, greedily: a line takes words while their width, with
  the spaces between them, fits. A word wider than the column is broken across as many
  lines as it needs and the next word starts a new line. A line break in the text starts
  a new line. Breaking at spaces only, and the margin, err towards a taller row: a row
  with room to spare is better than text hidden behind the row below.

Source: ECMA-376 Part 1, 18.3.1.13 (column width in units of the maximum digit width,
7 pixels for Calibri 11); the advance widths of Carlito (SIL Open Font License).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from jit_workbook import contract

EM_PX = 11 * 96 / 72  # Calibri 11 at 96 dpi
DIGIT_PX = 7  # Calibri 11's maximum digit width, the unit of column width
MARGIN_PX = 6  # the column's 5 pixels of padding (ECMA-376), and 1 to spare
INDENT_PX = 10  # one level of indent (LibreOffice's 7.5 points; Excel's is no wider)
ROW_HEIGHT = 15.0  # points: one line of 11-point Calibri
MAX_ROW_HEIGHT = 409.0  # Excel's tallest row
MAX_LINES = int(np.ceil(MAX_ROW_HEIGHT / ROW_HEIGHT))  # 28: a text this long fills the tallest row
UNITS_PER_EM = 2048
DIGIT_UNITS = 1038  # "0": characters missing from the table count this wide

# Advance widths (1/2048 em) of U+0020..U+007E, then U+00A0..U+00FF, read from
# Carlito-Regular.ttf's hmtx table (U+00A0, no-break space, and U+00AD, soft hyphen,
# which it maps to no glyph: as a space and a hyphen).
_ASCII = (
    463, 667, 821, 1020, 1038, 1464, 1397, 452, 621, 621, 1020, 1020, 511, 627, 517, 791,
    1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 548, 548, 1020, 1020, 1020, 949,
    1831, 1185, 1114, 1092, 1260, 1000, 941, 1292, 1276, 516, 653, 1064, 861, 1751, 1322, 1356,
    1058, 1378, 1112, 941, 998, 1314, 1162, 1822, 1063, 998, 959, 628, 791, 628, 1020, 1020,
    596, 981, 1076, 866, 1076, 1019, 625, 964, 1076, 470, 490, 931, 470, 1636, 1076, 1080,
    1076, 1076, 714, 801, 686, 1076, 925, 1464, 887, 927, 809, 644, 943, 644, 1020,
)
_LATIN1 = (
    463, 667, 1020, 1038, 1020, 1038, 1020, 1020, 804, 1709, 824, 1049, 1020, 627, 1038, 807,
    694, 1020, 688, 685, 598, 1126, 1200, 517, 629, 504, 865, 1049, 1303, 1375, 1383, 949,
    1185, 1185, 1185, 1185, 1185, 1185, 1563, 1092, 1000, 1000, 1000, 1000, 516, 516, 516, 516,
    1279, 1322, 1356, 1356, 1356, 1356, 1356, 1020, 1359, 1314, 1314, 1314, 1314, 998, 1058, 1080,
    981, 981, 981, 981, 981, 981, 1583, 866, 1019, 1019, 1019, 1019, 470, 470, 470, 470,
    1076, 1076, 1080, 1080, 1080, 1080, 1080, 1020, 1084, 1076, 1076, 1076, 1076, 927, 1076, 927,
)
_TABLE = np.full(257, DIGIT_UNITS, dtype=np.float64)  # [256]: any character past U+00FF
_TABLE[0x20:0x7F] = _ASCII
_TABLE[0xA0:0x100] = _LATIN1
_TABLE[0x09] = _ASCII[0]  # a tab shows as a space
_TABLE *= EM_PX / UNITS_PER_EM
# East Asian wide and full-width ranges: a full em each.
_WIDE = ((0x1100, 0x115F), (0x2E80, 0xA4CF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF), (0xFE30, 0xFE4F),
         (0xFF00, 0xFF60), (0xFFE0, 0xFFE6), (0x1F300, 0x1FAFF), (0x20000, 0x3FFFD))


def char_px(codes: np.ndarray) -> np.ndarray:
    """Each character's width in pixels (Calibri 11, 96 dpi), from its code point.

    >>> [round(float(w), 2) for w in char_px(np.array([ord(c) for c in "0a M"]))]
    [7.43, 7.03, 3.32, 12.54]
    """
    codes = np.asarray(codes)
    px = _TABLE[np.minimum(codes, 256)]
    if not len(codes) or codes.max() < _WIDE[0][0]:
        return px
    for lo, hi in _WIDE:
        px[(codes >= lo) & (codes <= hi)] = EM_PX
    return px


def text_px(text: str) -> float:
    """A text's width in pixels on one line (Calibri 11, 96 dpi).

    >>> round(text_px("Premium Power Tool Accessories"), 1)
    197.5
    """
    return float(char_px(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)).sum())


def column_px(width: float, indent: int = contract.WRAP_INDENT) -> float:
    """Room for text in a column ``width`` units wide, its text ``indent`` levels in, in pixels.

    >>> column_px(28), column_px(28, indent=0)
    (180.0, 190.0)
    """
    return max(DIGIT_PX * float(width) - MARGIN_PX - INDENT_PX * indent, DIGIT_PX)


def wrapped_lines(texts: Any, width: float, indent: int = contract.WRAP_INDENT) -> np.ndarray:
    """Lines each text takes when wrapped in a column ``width`` units wide, ``indent``
    levels in (at least 1, at most ``MAX_LINES``).

    >>> wrapped_lines(["Premium Power Tool Accessories", "Mini Haberdashery Pack of 10", ""], 28).tolist()
    [2, 1, 1]
    >>> wrapped_lines(["one\\ntwo", "x" * 60, "a " + "x" * 60 + " b"], 10).tolist()
    [2, 8, 10]
    """
    codes, distinct = pd.factorize(np.asarray(texts, dtype=object), use_na_sentinel=True)  # blanks: -1
    distinct = [str(t) for t in distinct]
    room = column_px(width, indent)
    # A line holds at most room ÷ the narrowest glyph characters, and one space: a longer
    # text takes more than MAX_LINES whatever its words, so it is not wrapped at all (a
    # hostile 32,767-character cell costs nothing).
    most = int(MAX_LINES * (room / _TABLE.min() + 1))
    per_text = np.full(len(distinct), float(MAX_LINES))
    short = np.flatnonzero(np.fromiter(map(len, distinct), dtype=np.int64, count=len(distinct)) <= most)
    wrap = [distinct[i] for i in short]
    if any("\n" in t for t in wrap):  # a line break starts a new line: wrap each piece
        parts = pd.Series(wrap, dtype=object).str.split("\n", regex=False).explode()
        per_part = _part_lines(parts.to_numpy(dtype=object), room)
        per_text[short] = np.bincount(parts.index.to_numpy(dtype=np.int64), weights=per_part, minlength=len(wrap))
    else:
        per_text[short] = _part_lines(np.asarray(wrap, dtype=object), room)
    lines = np.where(codes >= 0, per_text[np.maximum(codes, 0)] if len(distinct) else 1, 1)
    return np.clip(lines, 1, MAX_LINES).astype(np.int64)


def _part_lines(parts: np.ndarray, room: float) -> np.ndarray:
    """Lines per text without line breaks: greedy wrap at spaces, all texts at once.

    Each text's words get their start and end position (pixels from the text's start).
    A line starting at word i holds the words whose end is within ``room`` of word i's
    start: one binary search over all texts' word ends (laid end to end, far apart) per
    line, for every text still being wrapped.
    """
    lines = np.ones(len(parts))
    if not len(parts):
        return lines
    codes = np.frombuffer("\n".join(parts).encode("utf-32-le"), dtype=np.uint32)  # "\n" between parts
    px = char_px(codes)
    word = codes > 0x20  # spaces, tabs and the separators break words
    edges = np.diff(word.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    if not len(starts):
        return lines
    ends = np.flatnonzero(edges == -1) - 1  # each word's last character
    seps = np.flatnonzero(codes == 0x0A)
    # Positions along one line running through every part, each part pushed past the
    # previous one's end by more than a line, so no search crosses into the next part.
    px[seps] += room + 1.0
    right = np.cumsum(px)  # right edge of each character
    w_start = right[starts] - px[starts]
    w_end = right[ends]
    word_part = np.searchsorted(seps, starts)  # separators before the word: its part
    first = np.searchsorted(word_part, np.arange(len(parts)), side="left")
    stop = np.searchsorted(word_part, np.arange(len(parts)), side="right")
    has = first < stop
    lines[has] = 0  # a part with no word is one (blank) line
    cur, limit, owner = first[has], stop[has], np.flatnonzero(has)
    while len(cur):
        nxt = np.minimum(np.searchsorted(w_end, w_start[cur] + room, side="right"), limit)
        alone = nxt <= cur  # the line's first word alone is wider than the column
        lines[owner] += np.where(alone, np.ceil((w_end[cur] - w_start[cur]) / room), 1)
        cur = np.where(alone, cur + 1, nxt)
        going = cur < limit
        cur, limit, owner = cur[going], limit[going], owner[going]
    return lines
