"""Rows are as tall as their wrapped text: jit_workbook.io.text_fit against a plain loop,
Calibri's metrics (Carlito's font file) and LibreOffice's own line breaking."""

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.styles import Alignment

from jit_workbook import contract as K
from jit_workbook.io import text_fit as T
from jit_workbook.io.xlsx_patch import ROW_HEIGHT, row_heights
from conftest import lo_convert

CARLITO = Path("/usr/share/fonts/truetype/crosextra/Carlito-Regular.ttf")

TEXTS = [
    "Premium Power Tool Accessories", "Mini Haberdashery Pack of 10", "Pro Power Tool Accessories 10mm",
    "short", "", "x" * 60, "one\ntwo\nthree", "WWWWWWWW WWWWWWWW WWWWWWWW", " ".join(["iiii"] * 12),
    "Safety stock from its own forecast errors over 312 windows of 17 days, leaning on the shop's typical errors.",
    "26 on hand + 0 on order is at or below the reorder point of 41.5; ordering 18 (3 cases of 6). Safety stock "
    "from its own forecast errors over 326 windows of 12 days.",
    "Local Crafts (consignment)", "Café Crème Brûlée Ölkännchen Ærø", "a " + "M" * 40 + " b  c",
    "REGENCY CAKESTAND 3 TIER", "WHITE HANGING HEART T-LIGHT HOLDER", "SET OF 3 CAKE TINS PANTRY DESIGN ",
]


def loop_lines(text: str, room: float, width_of) -> int:
    """README's rule, one character at a time: words go on a line while they fit with the
    spaces between them; a word wider than the line takes ⌈its width ÷ room⌉ lines alone."""
    total = 0
    for part in text.split("\n"):
        words = part.replace("\t", " ").split(" ")
        words = [w for w in words if w]
        if not words:
            total += 1
            continue
        line = None  # width of the current line, None when no line is open
        for word in words:
            w = sum(width_of(c) for c in word)
            if line is not None and line + width_of(" ") + w <= room + 1e-9:
                line += width_of(" ") + w
            elif w <= room + 1e-9:
                total += 1
                line = w
            else:
                total += int(np.ceil(w / room))
                line = None
    return max(total, 1)


def table_width(c: str) -> float:
    return float(T.char_px(np.array([ord(c)]))[0])


@pytest.mark.parametrize("width", [10, 18, 28, 48])
def test_wrapped_lines_match_a_plain_loop(width):
    texts = [t for t in TEXTS if "  " not in t]  # the loop treats runs of spaces as one
    got = T.wrapped_lines(texts, width).tolist()
    want = [loop_lines(t, T.column_px(width), table_width) for t in texts]
    assert got == want


def test_runs_of_spaces_and_missing_values():
    # runs of spaces are measured space by space; blank and None take a line
    assert T.wrapped_lines([None, float("nan"), "   ", "a  b"], 28).tolist() == [1, 1, 1, 1]
    two_spaces = T.text_px("b  c") - T.text_px("b c")
    assert two_spaces == pytest.approx(T.text_px(" "))


def test_widths_are_calibris_from_the_font_file():
    fonttools = pytest.importorskip("fontTools.ttLib")
    if not CARLITO.exists():
        pytest.skip("Carlito (Calibri's metrics) is not installed: apt install fonts-crosextra-carlito")
    font = fonttools.TTFont(CARLITO)
    cmap, hmtx, em = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm
    for code in list(range(0x20, 0x7F)) + [c for c in range(0xA1, 0x100) if c != 0xAD]:
        want = hmtx[cmap[code]][0] / em * 11 * 96 / 72
        assert table_width(chr(code)) == pytest.approx(want), hex(code)
    assert table_width("中") == pytest.approx(11 * 96 / 72)  # East Asian wide: a full em


def test_written_rows_are_as_tall_as_the_wrap():
    sheet = K.BACKTEST
    frame = pd.DataFrame({f: [None] * 3 for f in sheet.fields})
    frame["description"] = ["Pro Power Tool Accessories 10mm", "Classic Paint 10mm", "one\ntwo\nthree"]
    col = sheet.fields.index("description") + 1
    heights = row_heights(frame, sheet, {col: 28})
    assert heights.tolist() == [2 * ROW_HEIGHT, ROW_HEIGHT, 3 * ROW_HEIGHT]


def _lo_lines(pdf: Path, markers: int) -> list[int]:
    """Lines LibreOffice drew in column A of each row, from the PDF's text boxes: the
    rows are marked "R1", "R2", … in column B, at the top of each row."""
    html = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    counts = [0] * markers
    for page in html.split("<page ")[1:]:
        lines = []
        for x, y, body in re.findall(r'<line xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>(.*?)</line>', page, re.S):
            words = re.findall(r">([^<]*)</word>", body)
            lines.append((float(y), float(x), words))
        marks = sorted((y, int(w[1:])) for y, x, words in lines for w in words if re.fullmatch(r"R\d+", w))
        for y, x, words in lines:
            text = [w for w in words if not re.fullmatch(r"R\d+", w)]
            if not text:
                continue
            above = [row for top, row in marks if top <= y + 1]
            counts[above[-1] - 1] += 1
    return counts


@pytest.mark.libreoffice
@pytest.mark.slow
@pytest.mark.parametrize("width", [28, 48])
def test_libreoffice_never_needs_more_lines_than_the_row_has(soffice, tmp_path, width):
    """LibreOffice with Calibri's metrics (Carlito) wraps each text in at most our lines,
    and in no fewer than one line less (the row is never more than a line too tall)."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    match = subprocess.run(["fc-match", "Calibri"], capture_output=True, text=True).stdout
    if "Carlito" not in match:
        pytest.skip("LibreOffice would draw Calibri with another font's widths: apt install fonts-crosextra-carlito")
    texts = [t for t in TEXTS if t.strip()]
    ours = T.wrapped_lines(texts, width).tolist()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.column_dimensions["A"].width = width
    ws.column_dimensions["B"].width = 6
    for i, (text, lines) in enumerate(zip(texts, ours), start=1):
        cell = ws.cell(i, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left", indent=K.WRAP_INDENT)
        ws.cell(i, 2, f"R{i}").alignment = Alignment(vertical="top")
        ws.row_dimensions[i].height = (lines + 3) * 15  # room below: an extra line LibreOffice draws is seen
    path = tmp_path / "wrap.xlsx"
    wb.save(path)
    theirs = _lo_lines(lo_convert(path, "pdf", tmp_path / "pdf"), len(texts))
    for text, mine, lo in zip(texts, ours, theirs):
        assert lo <= mine <= lo + 1, (text, mine, lo)


def test_a_text_past_the_tallest_row_is_counted_not_wrapped():
    huge = ("word " * 6554)[:32767]  # Excel's longest cell
    assert T.wrapped_lines([huge, "ab " * 400], 48).tolist() == [
        T.MAX_LINES, loop_lines("ab " * 400, T.column_px(48), table_width)]
    frame = pd.DataFrame({f: [None] for f in K.BACKTEST.fields}).assign(description=[huge])
    assert row_heights(frame, K.BACKTEST, {K.BACKTEST.fields.index("description") + 1: 28}).tolist() == [409.0]
