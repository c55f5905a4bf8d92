"""A purchase order as files a supplier can open anywhere: an .xlsx order sheet and a PDF.

Both are new files of our own (never the owner's workbook), written atomically:
to a temporary file beside the target, then renamed over it, so a crash or a
full disk never leaves half an order. Workbook text is written as text: an
order sheet cell never becomes a formula, whatever a description starts with.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from .. import contract as K
from ..money import CURRENCY_SYMBOLS
from .po import PurchaseOrder, fmt_qty, money
from .safety import atomic_path, clean_text

HEADERS = ("SKU", "Barcode", "Description", "Quantity", "Unit Cost", "Line Total")
WIDTHS = (20, 16, 38, 10, 12, 14)  # Excel character units
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets may read as a formula
DATE_FORMAT = "d mmm yyyy"  # unambiguous in every country, unlike 03/04/2026
FONT = "Calibri"  # the workbook default; a bold Font() without a name shows as serif in LibreOffice
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
THIN = Side(style="thin", color="808080")

# Unicode TrueType fonts tried in turn for the PDF (regular, bold); the first that
# exists is embedded. Without any, the PDF uses the built-in Helvetica with the
# Windows-1252 character set (which has £ and €) and "?" for anything outside it.
FONT_CANDIDATES: list[tuple[str, str]] = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    ("/System/Library/Fonts/Supplemental/Arial.ttf", "/System/Library/Fonts/Supplemental/Arial Bold.ttf"),
    ("/Library/Fonts/Arial.ttf", "/Library/Fonts/Arial Bold.ttf"),
    (r"C:\Windows\Fonts\arial.ttf", r"C:\Windows\Fonts\arialbd.ttf"),
]


# Fonts for characters the main font lacks (Chinese, Japanese, Korean ...), used
# glyph by glyph when present.
FALLBACK_FONT_CANDIDATES: list[str] = [
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
]


def _matplotlib_font() -> tuple[str, str] | None:
    """matplotlib ships DejaVu Sans; use it when installed (found without importing it)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.origin:
        return None
    ttf = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"
    return str(ttf / "DejaVuSans.ttf"), str(ttf / "DejaVuSans-Bold.ttf")


def find_unicode_font() -> tuple[Path, Path | None] | None:
    """(regular, bold or None) of the first Unicode TrueType font found, else None."""
    candidates = list(FONT_CANDIDATES)
    extra = _matplotlib_font()
    if extra:
        candidates.append(extra)
    for regular, bold in candidates:
        if Path(regular).is_file():
            return Path(regular), (Path(bold) if Path(bold).is_file() else None)
    return None


def use_unicode_font(pdf: FPDF, name: str, texts: list[str]) -> str:
    """Give ``pdf`` a Unicode font named ``name`` (plus CJK fallbacks when ``texts`` need
    them) and return the family to write in; "Helvetica" with cp1252 when none is found
    (then write text through :func:`pdf_text`)."""
    font = find_unicode_font()
    if not font:
        pdf.core_fonts_encoding = "windows-1252"
        return "Helvetica"
    regular, bold = font
    pdf.add_font(name, "", str(regular))
    pdf.add_font(name, "B", str(bold or regular))
    if any(ord(ch) >= 0x2E80 for text in texts for ch in text):  # CJK and beyond: not in the usual fonts
        fallbacks = [f for f in FALLBACK_FONT_CANDIDATES if Path(f).is_file()]
        for i, f in enumerate(fallbacks):
            pdf.add_font(f"{name}Fallback{i}", "", f)
        if fallbacks:
            pdf.set_fallback_fonts([f"{name}Fallback{i}" for i in range(len(fallbacks))], exact_match=False)
    return name


def pdf_text(value: Any, family: str) -> str:
    """Workbook text for a PDF cell in ``family``: control characters out, and only
    cp1252 when the PDF fell back to Helvetica."""
    text = clean_text(value)
    return text if family != "Helvetica" else text.encode("cp1252", "replace").decode("cp1252")


def _delivery_text(order: PurchaseOrder) -> str:
    d = order.delivery_date
    return f"{d.day} {d:%b %Y}" if d else "as soon as possible"


# ---------------------------------------------------------------------------------
# The order sheet (.xlsx)
# ---------------------------------------------------------------------------------
def _money_format(currency: str) -> str:
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol:
        return f'"{symbol}"#,##0.00;-"{symbol}"#,##0.00'
    code = "".join(ch for ch in currency if ch.isalnum())
    return f'#,##0.00 "{code}";-#,##0.00 "{code}"'


def _put_text(ws: Worksheet, row: int, col: int, value: Any, **style: Any) -> None:
    """Write workbook text as a text cell: never a formula, never a number."""
    text = clean_text(value)
    cell = ws.cell(row=row, column=col)
    cell.value = text
    cell.data_type = "s"  # openpyxl would make "=..." a formula; this keeps it a string
    cell.number_format = K.FMT_TEXT
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True  # Excel and LibreOffice keep it text when the cell is edited
    for k, v in style.items():
        setattr(cell, k, v)


def write_order_xlsx(order: PurchaseOrder, path: str | Path, business_name: str, notes: str = "") -> Path:
    """Write the order sheet for one purchase order; returns ``path``.

    One sheet, ``Purchase Order``: the business name, PO number, order date,
    requested delivery date, supplier, contact, email and currency at the top; then
    the lines under the header SKU / Barcode / Description / Quantity / Unit Cost /
    Line Total; the total; a notes line. Print-ready: A4 portrait, fitted to one page
    wide (as many pages tall as needed), the header row repeated on every page, page
    numbers in the footer. Money cells carry the currency (``"£"#,##0.00``); values,
    not formulas, so every viewer shows the total.

    Every text from the workbook is written as a text cell (``data_type`` "s",
    format ``@``; a leading ``= + - @`` also sets the quote prefix), and control
    characters are replaced by spaces.

    Raises
    ------
    OrderFileError
        The file is open in another program or the folder cannot be written.
    """
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = "Purchase Order"
    wb.properties.title = f"Purchase order {order.po_number}"
    wb.properties.creator = "jit-workbook"
    money_fmt = _money_format(order.currency)
    bold = Font(name=FONT, bold=True)

    _put_text(ws, 1, 1, business_name, font=Font(name=FONT, bold=True, size=14))
    _put_text(ws, 2, 1, "Purchase Order", font=Font(name=FONT, bold=True, size=12))
    info: list[tuple[str, Any]] = [
        ("PO Number", order.po_number),
        ("Order Date", order.order_date),
        ("Requested Delivery", order.delivery_date or "as soon as possible"),
        ("Supplier", order.supplier),
        ("Contact", order.contact),
        ("Email", order.email),
        ("Currency", order.currency),
    ]
    row = 4
    for label, value in info:
        _put_text(ws, row, 1, label, font=bold)
        if hasattr(value, "year"):
            cell = ws.cell(row=row, column=2, value=value)
            cell.number_format = DATE_FORMAT
            cell.alignment = Alignment(horizontal="left")
        else:
            _put_text(ws, row, 2, value)
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
        row += 1

    header_row = row + 1
    for col, name in enumerate(HEADERS, start=1):
        _put_text(ws, header_row, col, name, font=bold, fill=HEADER_FILL,
                  border=Border(bottom=THIN, top=THIN),
                  alignment=Alignment(horizontal="right" if col >= 4 else "left"))
    row = header_row + 1
    first_line = row
    for line in order.lines.itertuples(index=False):
        _put_text(ws, row, 1, line.sku)
        _put_text(ws, row, 2, line.barcode)
        _put_text(ws, row, 3, line.description, alignment=Alignment(wrap_text=True, vertical="top"))
        for col, value, fmt in ((4, line.quantity, K.FMT_QTY), (5, line.unit_cost, money_fmt),
                                (6, line.line_total, money_fmt)):
            v = float(value) if value is not None else math.nan
            cell = ws.cell(row=row, column=col, value=None if math.isnan(v) else v)
            cell.number_format = fmt
        row += 1
    total_row = row
    _put_text(ws, total_row, 5, "Total", font=bold, alignment=Alignment(horizontal="right"))
    total = ws.cell(row=total_row, column=6, value=float(order.order_value))
    total.number_format = money_fmt
    total.font = bold
    for col in range(1, 7):
        ws.cell(row=total_row, column=col).border = Border(top=THIN)
    notes_row = total_row + 2
    _put_text(ws, notes_row, 1, "Notes", font=bold)
    _put_text(ws, notes_row, 2, notes, alignment=Alignment(wrap_text=True, vertical="top"))
    ws.merge_cells(start_row=notes_row, start_column=2, end_row=notes_row, end_column=6)

    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[K.column_letter(i)].width = width
    ws.freeze_panes = ws.cell(row=first_line, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_area = f"A1:F{notes_row}"
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = f"{order.po_number}  page &P of &N"  # PO numbers hold no & codes

    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


# ---------------------------------------------------------------------------------
# The PDF
# ---------------------------------------------------------------------------------
class _OrderPDF(FPDF):
    po_number = ""
    order_family = "Helvetica"

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.order_family, size=8)
        self.cell(0, 6, f"{self.po_number}  page {self.page_no()} of {{nb}}", align="C")


def write_order_pdf(order: PurchaseOrder, path: str | Path, business_name: str, notes: str = "") -> Path:
    """Write the same purchase order as a PDF (A4, table header repeated on each page).

    Font: the first Unicode TrueType font of :data:`FONT_CANDIDATES` (DejaVu Sans
    from the ``fonts-dejavu-core`` package on Debian/Ubuntu, Liberation Sans, Arial on
    macOS and Windows, matplotlib's DejaVu Sans), embedded as a subset so every
    character prints. Without one, the built-in Helvetica in Windows-1252 — still £
    and € — with any other character shown as "?".

    Raises
    ------
    OrderFileError
        The file is open in another program or the folder cannot be written.
    """
    path = Path(path)
    pdf = _OrderPDF(orientation="P", unit="mm", format="A4")
    pdf.po_number = order.po_number
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(f"Purchase order {order.po_number}")
    pdf.set_creator("jit-workbook")
    every_text = [business_name, notes, order.supplier, order.contact,
                  *order.lines["sku"].astype(str), *order.lines["description"].astype(str)]
    family = use_unicode_font(pdf, "OrderSans", every_text)

    def t(value: Any) -> str:
        return pdf_text(value, family)

    pdf.order_family = family
    pdf.add_page()

    pdf.set_font(family, "B", 16)
    pdf.multi_cell(0, 8, t(business_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(family, "B", 12)
    pdf.cell(0, 8, "Purchase Order", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    info = [
        ("PO Number", order.po_number),
        ("Order Date", f"{order.order_date.day} {order.order_date:%b %Y}"),
        ("Requested Delivery", _delivery_text(order)),
        ("Supplier", order.supplier),
        ("Contact", order.contact),
        ("Email", order.email),
        ("Currency", order.currency),
    ]
    for label, value in info:
        pdf.set_font(family, "B", 10)
        pdf.cell(42, 6, label)
        pdf.set_font(family, "", 10)
        pdf.multi_cell(0, 6, t(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)

    pdf.set_font(family, "", 9)
    right = ("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT")
    with pdf.table(col_widths=(26, 30, 62, 18, 21, 23), text_align=right, repeat_headings=1,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(217, 225, 242)),
                   line_height=5.5, padding=1) as table:
        table.row(HEADERS)
        for line in order.lines.itertuples(index=False):
            table.row([t(line.sku), t(line.barcode), t(line.description), fmt_qty(line.quantity),
                       t(money(line.unit_cost, order.currency)), t(money(line.line_total, order.currency))])
    pdf.ln(3)
    pdf.set_font(family, "B", 11)
    pdf.cell(0, 7, t(f"Total ({order.currency}): {money(order.order_value, order.currency)}"), align="R",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if clean_text(notes).strip():
        pdf.ln(3)
        pdf.set_font(family, "B", 10)
        pdf.cell(0, 6, "Notes", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(family, "", 10)
        pdf.multi_cell(0, 5, t(notes), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    with atomic_path(path) as tmp:
        pdf.output(str(tmp))
    return path
