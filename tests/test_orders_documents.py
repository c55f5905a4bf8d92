"""The order sheet (.xlsx) and PDF: contents read back, text stays text, print setup,
and both opened by other programs (openpyxl, pypdf, poppler, LibreOffice)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from jit_workbook.orders import documents
from jit_workbook.orders.documents import HEADERS, write_order_pdf, write_order_xlsx

from conftest import lo_convert
from test_orders_po import SHOP, draft, make_reorder

NASTY = ["=1+1", "+44 20 7946 0000", "-5", "@SUM(A1:A9)", "=HYPERLINK(\"http://evil.example\",\"x\")",
         "=cmd|' /C calc'!A0"]


def nasty_order():
    """An order whose workbook text looks like formulas, with a £ price and a long line."""
    reorder = make_reorder(*[(f"=SKU{i}" if i == 0 else f"S-{i:03d}", "Acme Tools Ltd", i + 1, 1.5 + i,
                              "REORDER", NASTY[i % len(NASTY)], NASTY[(i + 1) % len(NASTY)]) for i in range(6)])
    orders, _ = draft(reorder)
    return orders[0]


def read_order_xlsx(path: Path) -> dict:
    """The order sheet as values: info block, lines (header → values) and total."""
    ws = load_workbook(path).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    header = next(i for i, r in enumerate(rows) if r[:6] == list(HEADERS))
    info = {r[0]: r[1] for r in rows[3:header] if r[0]}
    lines, i = [], header + 1
    while rows[i][0] is not None:
        lines.append(dict(zip(HEADERS, rows[i][:6])))
        i += 1
    assert rows[i][4] == "Total"
    notes = next(r[1] for r in rows[i:] if r[0] == "Notes")
    return {"business": rows[0][0], "info": info, "lines": lines, "total": rows[i][5], "notes": notes, "ws": ws,
            "header_row": header + 1}


def test_order_sheet_holds_the_order(tmp_path):
    orders, _ = draft(SHOP)
    acme = orders[0]
    path = write_order_xlsx(acme, tmp_path / "o.xlsx", "Corner Shop", notes="Deliver to the back door")
    got = read_order_xlsx(path)
    assert got["business"] == "Corner Shop"
    assert got["info"] == {"PO Number": "PO-20261127-ACME-1", "Order Date": dt.datetime(2026, 11, 27),
                           "Requested Delivery": dt.datetime(2026, 12, 2), "Supplier": "Acme Tools Ltd",
                           "Contact": "Sam Patel", "Email": "orders@acme.example", "Currency": "GBP"}
    exp = [{"SKU": r.sku, "Barcode": r.barcode, "Description": r.description, "Quantity": r.quantity,
            "Unit Cost": r.unit_cost, "Line Total": r.line_total} for r in acme.lines.itertuples()]
    assert got["lines"] == exp
    assert got["total"] == 120.5 == sum(x["Line Total"] for x in exp)
    assert got["notes"] == "Deliver to the back door"


def test_order_sheet_is_print_ready(tmp_path):
    many = make_reorder(*[(f"A{i:03d}", "Acme Tools Ltd", 1, 2.0) for i in range(120)])
    order = draft(many)[0][0]
    got = read_order_xlsx(write_order_xlsx(order, tmp_path / "o.xlsx", "Corner Shop"))
    ws = got["ws"]
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.print_title_rows == f"${got['header_row']}:${got['header_row']}"
    money = ws.cell(row=got["header_row"] + 1, column=6).number_format
    assert money.startswith('"£"#,##0.00')
    assert ws.cell(row=5, column=2).is_date
    assert len(got["lines"]) == 120 and got["total"] == 240.0


@pytest.mark.parametrize("currency, exp", [("EUR", '"€"#,##0.00'), ("SEK", '#,##0.00 "SEK"')])
def test_money_format_follows_the_currency(tmp_path, currency, exp):
    order = draft(SHOP)[0][0]
    order.currency = currency
    ws = read_order_xlsx(write_order_xlsx(order, tmp_path / "o.xlsx", "Shop"))["ws"]
    assert any(str(c.number_format).startswith(exp) for row in ws.iter_rows() for c in row)


def test_formula_looking_text_stays_text(tmp_path):
    order = nasty_order()
    path = write_order_xlsx(order, tmp_path / "o.xlsx", "=Shop()", notes="=notes")
    got = read_order_xlsx(path)
    assert got["business"] == "=Shop()" and got["notes"] == "=notes"
    assert [x["SKU"] for x in got["lines"]] == order.lines["sku"].tolist()
    assert [x["Description"] for x in got["lines"]] == order.lines["description"].tolist()
    assert [x["Barcode"] for x in got["lines"]] == order.lines["barcode"].tolist()
    ws = got["ws"]
    for row in ws.iter_rows():
        for c in row:
            assert c.data_type != "f", c.coordinate
            if isinstance(c.value, str) and c.value[:1] in "=+-@":
                assert c.data_type == "s" and c.quotePrefix, c.coordinate
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet


def test_control_characters_do_not_break_the_files(tmp_path):
    reorder = make_reorder(("A1", "Acme Tools Ltd", 1, 1.0, "REORDER", "bell\x07 and nul\x00 and\u2028sep"))
    order = draft(reorder)[0][0]
    got = read_order_xlsx(write_order_xlsx(order, tmp_path / "o.xlsx", "Shop\x0b"))
    assert got["lines"][0]["Description"] == "bell  and nul  and sep"
    write_order_pdf(order, tmp_path / "o.pdf", "Shop\x0b")


def pdf_text(path: Path) -> str:
    pypdf = pytest.importorskip("pypdf")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(str(path)).pages)


def test_pdf_holds_every_sku_and_the_total(tmp_path):
    orders, _ = draft(SHOP)
    for order in orders:
        path = write_order_pdf(order, tmp_path / f"{order.po_number}.pdf", "Corner Shop", notes="Ring first")
        text = pdf_text(path)
        assert path.read_bytes().startswith(b"%PDF-")
        for sku in order.lines["sku"]:
            assert sku in text
        assert order.po_number in text and "Corner Shop" in text and "Ring first" in text
        assert f"£{order.order_value:,.2f}" in text


@pytest.mark.parametrize("unicode_font", [True, False], ids=["ttf", "core-font"])
def test_pdf_prints_pound_and_euro(tmp_path, monkeypatch, unicode_font):
    if unicode_font:
        if documents.find_unicode_font() is None:
            pytest.skip("no Unicode TrueType font on this machine (apt-get install fonts-dejavu-core)")
    else:
        monkeypatch.setattr(documents, "FONT_CANDIDATES", [])
        monkeypatch.setattr(documents, "_matplotlib_font", lambda: None)
    reorder = make_reorder(("A1", "Acme Tools Ltd", 2, 3.5, "REORDER", "Crème brûlée torch — 東京"))
    order = draft(reorder)[0][0]
    order.currency = "EUR"
    text = pdf_text(write_order_pdf(order, tmp_path / "eur.pdf", "Café Müller £"))
    assert "€7.00" in text and "Café Müller £" in text and "Crème brûlée torch" in text
    if unicode_font and any(Path(f).is_file() for f in documents.FALLBACK_FONT_CANDIDATES):
        assert "東京" in text
    elif not unicode_font:
        assert "東京" not in text and "??" in text  # characters outside Windows-1252 become ?


def test_long_pdf_repeats_the_table_header(tmp_path):
    many = make_reorder(*[(f"A{i:03d}", "Acme Tools Ltd", 1, 2.0) for i in range(120)])
    order = draft(many)[0][0]
    pypdf = pytest.importorskip("pypdf")
    pages = pypdf.PdfReader(str(write_order_pdf(order, tmp_path / "long.pdf", "Shop"))).pages
    assert len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert "Line Total" in text and f"page {n} of {len(pages)}" in text
    text = "\n".join(p.extract_text() for p in pages)
    assert all(f"A{i:03d}" in text for i in range(120)) and "£240.00" in text


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed")
def test_pdf_reads_in_poppler(tmp_path):
    order = nasty_order()
    path = write_order_pdf(order, tmp_path / "o.pdf", "Corner Shop")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    for sku in order.lines["sku"]:
        assert sku in text
    assert f"£{order.order_value:,.2f}" in text


@pytest.mark.libreoffice
def test_order_sheet_opens_in_libreoffice(tmp_path, soffice):
    order = nasty_order()
    path = write_order_xlsx(order, tmp_path / "order.xlsx", "Corner Shop")
    csv = lo_convert(path, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false", tmp_path / "lo")
    rows = pd.read_csv(csv, header=None, dtype=str, keep_default_na=False).values.tolist()
    header = next(i for i, r in enumerate(rows) if r[:6] == list(HEADERS))
    lines = rows[header + 1: header + 1 + len(order.lines)]
    assert [r[0] for r in lines] == order.lines["sku"].tolist()
    assert [r[2] for r in lines] == order.lines["description"].tolist()  # text, not evaluated formulas
    total = rows[header + 1 + len(order.lines)]
    assert total[4] == "Total" and total[5] == f"£{order.order_value:,.2f}"


PDF_IMPORT = any(Path(p).exists() for p in ("/usr/lib/libreoffice/program/libpdfimportlo.so",
                                            "/opt/libreoffice/program/libpdfimportlo.so"))


@pytest.mark.libreoffice
@pytest.mark.skipif(not PDF_IMPORT,
                    reason="LibreOffice's PDF import is not installed (apt-get install libreoffice-draw)")
def test_pdf_opens_in_libreoffice(tmp_path, soffice):
    order = draft(SHOP)[0][0]
    path = write_order_pdf(order, tmp_path / "order.pdf", "Corner Shop")
    odg = lo_convert(path, "odg", tmp_path / "lo")
    with zipfile.ZipFile(odg) as z:
        content = z.read("content.xml").decode()
    for sku in order.lines["sku"]:
        assert sku in content
    assert "120.50" in content
