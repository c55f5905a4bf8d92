"""Kanban cards as a PDF to print and cut out: 8 cards per page (2 × 4), with cut marks.

The bars come from python-barcode's encoders (``Code128(...).build()``, EAN-13 and
UPC-A likewise): they turn a code into its module pattern (``"1101001..."``) with the
start/stop characters, code-set switching and check digits done as the standards
say, and fpdf2 draws each run of dark modules as one filled rectangle, so the bars
are vector shapes that print sharp at any resolution. Quiet zones (10 modules for
Code 128, 11 and 7 for EAN/UPC) are kept clear of text and lines.

Sizes are in millimetres, fpdf2's unit here.
"""

from __future__ import annotations

import math
from pathlib import Path

from fpdf import FPDF

from ..orders.documents import pdf_text, use_unicode_font
from ..orders.safety import atomic_path
from . import Card

PAPER = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
COLUMNS, ROWS = 2, 4
CARD_W, CARD_H = 95.0, 68.0   # at most; Letter's cards are a little shorter
PAD = 4.0                     # inside each card
MARK = (2.0, 7.0)             # cut marks run from 2 to 7 mm outside the grid
MAX_MODULE = 0.5              # widest bar module, mm
QUIET = {"code128": (10, 10), "retail": (11, 7)}  # modules kept clear left and right


def modules(kind: str, code: str) -> str | None:
    """The bar pattern of ``code`` ("1" dark, "0" light), or None when it cannot be encoded.

    kind: ``"Code 128"``, ``"EAN-13"`` or ``"UPC-A"`` (the digits with their check digit).

    >>> modules("Code 128", "AB-1")[:11]   # the Start B character
    '11010010000'
    >>> len(modules("EAN-13", "5012345678900"))
    95
    """
    from barcode import get_barcode_class
    from barcode.errors import BarcodeError

    name = {"Code 128": "code128", "EAN-13": "ean13", "UPC-A": "upca"}[kind]
    try:
        if kind == "Code 128":
            if not code or not code.isascii() or not code.isprintable():
                return None
            return get_barcode_class(name)(code).build()[0]
        body = code[:-1]  # python-barcode adds the check digit itself; ours was checked
        return get_barcode_class(name)(body).build()[0]
    except (BarcodeError, ValueError, IndexError):
        return None


def _draw_bars(pdf: FPDF, pattern: str, x: float, y: float, module: float, height: float) -> None:
    i = 0
    while i < len(pattern):
        if pattern[i] == "1":
            j = i
            while j < len(pattern) and pattern[j] == "1":
                j += 1
            pdf.rect(x + i * module, y, (j - i) * module, height, style="F")
            i = j
        else:
            i += 1


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut with "…" to fit ``width`` mm in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _qty(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".") if not math.isnan(x) else "—"


class _CardPDF(FPDF):
    family = "Helvetica"

    def text_of(self, value) -> str:
        return pdf_text(value, self.family)


def _pdf(title: str, texts: list[str]) -> _CardPDF:
    pdf = _CardPDF(unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    pdf.set_creator("jit-workbook")
    pdf.family = use_unicode_font(pdf, "CardSans", texts)
    return pdf


def card_grid(paper: str) -> tuple[float, float, float, float]:
    """(left, top, card width, card height) of the 2 × 4 grid, centred on the page."""
    page_w, page_h = PAPER[paper]
    w = min(CARD_W, (page_w - 20) / COLUMNS)
    h = min(CARD_H, (page_h - 20) / ROWS)
    return (page_w - COLUMNS * w) / 2, (page_h - ROWS * h) / 2, w, h


def _cut_marks(pdf: FPDF, left: float, top: float, w: float, h: float) -> None:
    right, bottom = left + COLUMNS * w, top + ROWS * h
    near, far = MARK
    pdf.set_draw_color(0)
    pdf.set_line_width(0.2)
    for k in range(COLUMNS + 1):
        x = left + k * w
        pdf.line(x, top - far, x, top - near)
        pdf.line(x, bottom + near, x, bottom + far)
    for k in range(ROWS + 1):
        y = top + k * h
        pdf.line(left - far, y, left - near, y)
        pdf.line(right + near, y, right + far, y)
    pdf.set_draw_color(190)  # a faint dotted outline of each card, to cut along by hand
    pdf.set_line_width(0.1)
    pdf.set_dash_pattern(dash=0.6, gap=1.2)
    for i in range(COLUMNS):
        for j in range(ROWS):
            pdf.rect(left + i * w, top + j * h, w, h)
    pdf.set_dash_pattern()
    pdf.set_draw_color(0)


def _retail_block(pdf: _CardPDF, card: Card, x: float, y: float, width: float) -> None:
    """The item's EAN-13 / UPC-A, bars 15 mm high, its digits under them."""
    kind, digits = card.barcode
    pattern = modules(kind, digits)
    if pattern is None:
        return
    left_q, right_q = QUIET["retail"]
    module = min(0.33, width / (len(pattern) + left_q + right_q))
    bars_w = len(pattern) * module
    bx = x + (width - bars_w) / 2
    _draw_bars(pdf, pattern, bx, y, module, 15)
    pdf.set_font(pdf.family, "", 7)
    pdf.set_xy(x, y + 15.5)
    pdf.cell(width, 3, f"{kind} {digits}", align="C")


def _card(pdf: _CardPDF, card: Card, x0: float, y0: float, w: float, h: float) -> None:
    inner = w - 2 * PAD
    retail_w = 36.0 if card.barcode else 0.0
    text_w = inner - retail_w - (2 if retail_w else 0)
    x, y = x0 + PAD, y0 + PAD

    pdf.set_text_color(0)
    pdf.set_font(pdf.family, "B", 14)
    pdf.set_xy(x, y)
    pdf.cell(text_w, 6, _fit(pdf, pdf.text_of(card.sku), text_w))
    pdf.set_font(pdf.family, "", 8.5)
    words = pdf.text_of(card.description)
    lines = pdf.multi_cell(text_w, 3.8, words, dry_run=True, output="LINES") if words else []
    for k, line in enumerate(lines[:2]):
        pdf.set_xy(x, y + 6.5 + 3.8 * k)
        shown = line if k == 0 or len(lines) <= 2 else _fit(pdf, line + " " + "".join(lines[2:]), text_w)
        pdf.cell(text_w, 3.8, _fit(pdf, shown, text_w))
    pdf.set_font(pdf.family, "", 8)
    pdf.set_xy(x, y + 14.5)
    pdf.cell(text_w, 4, _fit(pdf, "Supplier: " + pdf.text_of(card.supplier), text_w))

    # The bin quantity, the number the card is for, in a box.
    box_y, box_w, box_h = y + 19.5, 30.0, 15.0
    pdf.set_line_width(0.4)
    pdf.rect(x, box_y, box_w, box_h)
    pdf.set_font(pdf.family, "B", 6.5)
    pdf.set_xy(x, box_y + 0.8)
    pdf.cell(box_w, 3, "BIN QUANTITY", align="C")
    size = 18.0
    pdf.set_font(pdf.family, "B", size)
    while size > 8 and pdf.get_string_width(_qty(card.bin_qty)) > box_w - 2:  # 1,000,000 still fits
        size -= 1
        pdf.set_font(pdf.family, "B", size)
    pdf.set_xy(x, box_y + 4)
    pdf.cell(box_w, 7, _qty(card.bin_qty), align="C")
    if not math.isnan(card.case_pack) and card.case_pack > 1:
        pdf.set_font(pdf.family, "", 6.5)
        pdf.set_xy(x, box_y + 11.2)
        cases = card.bin_qty / card.case_pack
        pdf.cell(box_w, 3, f"{_qty(cases)} case{'s' if cases != 1 else ''} of {_qty(card.case_pack)}", align="C")
    side_x, side_w = x + box_w + 2.5, text_w - box_w - 2.5
    pdf.set_font(pdf.family, "", 8)
    for k, (label, value) in enumerate((("Order about", _qty(card.order_qty)),
                                        ("Lead time", f"{_qty(card.lead_time_days)} days"))):
        pdf.set_xy(side_x, box_y + 1 + 7 * k)
        pdf.cell(side_w, 3.5, label)
        pdf.set_font(pdf.family, "B", 10)
        pdf.set_xy(side_x, box_y + 4.3 + 7 * k)
        pdf.cell(side_w, 3.5, value)
        pdf.set_font(pdf.family, "", 8)

    if card.barcode:
        _retail_block(pdf, card, x + text_w + 2, y + 7, retail_w)

    # The SKU's own Code 128 across the bottom.
    bar_h, bar_y = 12.0, y0 + h - PAD - 4 - 12.0
    pattern = modules("Code 128", card.sku)
    pdf.set_font(pdf.family, "", 7)
    if pattern is None:
        pdf.set_xy(x, bar_y + 4)
        pdf.cell(inner, 4, "(this SKU has characters a Code 128 barcode cannot hold)", align="C")
        return
    left_q, right_q = QUIET["code128"]
    module = min(MAX_MODULE, inner / (len(pattern) + left_q + right_q))
    bars_w = len(pattern) * module
    _draw_bars(pdf, pattern, x + (inner - bars_w) / 2, bar_y, module, bar_h)
    pdf.set_xy(x, bar_y + bar_h + 0.5)
    pdf.cell(inner, 3, _fit(pdf, pdf.text_of(card.sku), inner), align="C")


def write_cards_pdf(cards: list[Card], path: str | Path, *, paper: str = "A4", title: str = "Kanban cards") -> Path:
    """Write ``cards`` to ``path`` as a PDF, 8 to a page (2 across, 4 down) with cut marks.

    Each card: SKU, Description (two lines at most), Supplier, the bin quantity in a box
    (with its cases), the order to expect, the lead time, a Code 128 barcode of the SKU
    across the bottom and, when the item has one, its EAN-13 / UPC-A top right.

    paper: ``"A4"`` or ``"Letter"``. title: the PDF's title, also printed above the cards.
    Written atomically (a temporary file renamed over ``path``). Raises OrderFileError
    when the folder cannot be written or the file is open elsewhere.
    """
    path = Path(path)
    page_w, page_h = PAPER[paper]
    left, top, w, h = card_grid(paper)
    pdf = _pdf(title, [title] + [f"{c.sku} {c.description} {c.supplier}" for c in cards])
    per_page = COLUMNS * ROWS
    pages = max(1, math.ceil(len(cards) / per_page))
    for p in range(pages):
        pdf.add_page(format=(page_w, page_h))
        pdf.set_fill_color(0)
        _cut_marks(pdf, left, top, w, h)
        pdf.set_font(pdf.family, "", 7)
        pdf.set_text_color(90)
        head_y = max(top - MARK[1] - 0.5, 5.0)  # printers leave the outer 4-5 mm blank
        pdf.set_xy(left + MARK[1] + 1, head_y)
        room = w - 2 * MARK[1] - 2  # between two cut marks
        pdf.cell(room, 4, _fit(pdf, pdf.text_of(title), room))
        pdf.set_xy(left + w + MARK[1] + 1, head_y)
        pdf.cell(room, 4, f"page {p + 1} of {pages}", align="R")
        for k, card in enumerate(cards[p * per_page:(p + 1) * per_page]):
            col, row = k % COLUMNS, k // COLUMNS
            _card(pdf, card, left + col * w, top + row * h, w, h)
    with atomic_path(path) as tmp:
        pdf.output(str(tmp))
    return path
