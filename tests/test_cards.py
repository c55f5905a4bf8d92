"""Kanban cards: the PDF is rendered to images (pdftoppm) and read back by a real barcode
decoder (zxing-cpp); the numbers are checked against the Reorder sheet saved by ``recalc``.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw
from pypdf import PdfReader

from jit_workbook import excel
from jit_workbook.cards import bin_quantity, expected_order
from jit_workbook.cards.pdf import card_grid

from conftest import run_cli, sheet_frame

try:
    from xlwings_engine import use_engine, xl_engine  # noqa: F401
except ImportError:  # tests/ became a package
    from tests.xlwings_engine import use_engine, xl_engine  # noqa: F401

zxingcpp = pytest.importorskip("zxingcpp")
Image = pytest.importorskip("PIL.Image")
PDFTOPPM = shutil.which("pdftoppm")
needs_pdftoppm = pytest.mark.skipif(not PDFTOPPM, reason="pdftoppm (poppler-utils) is not installed")

UPC_A = "036000291452"  # a real UPC-A (check digit 2)
BAD = "5012345678901"   # EAN-13 with a wrong check digit (should be 0)


def decoded(pdf: Path, out: Path, dpi: int = 200) -> list[tuple[str, str]]:
    """(format, text) of every barcode zxing-cpp finds on every page of ``pdf``."""
    out.mkdir(exist_ok=True)
    subprocess.run([PDFTOPPM, "-png", "-r", str(dpi), str(pdf), str(out / "page")], check=True, timeout=120)
    found = []
    for png in sorted(out.glob("page-*.png")):
        with Image.open(png) as img:
            found += [(r.format.name, r.text) for r in zxingcpp.read_barcodes(img)]
    return found


@pytest.fixture
def carded(shop):
    """The tiny shop with a Do Not Reorder item, a UPC-A, an invalid EAN-13 and a blank barcode; recalculated."""
    wb = openpyxl.load_workbook(shop)
    ws = wb["Stock"]
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) + 1 for name in ("SKU", "Barcode", "Status")}
    ws.cell(2, col["Status"], "Do Not Reorder")     # FAB-00001: OK before, no card now
    ws.cell(4, col["Barcode"], UPC_A)               # FIX-00003
    ws.cell(5, col["Barcode"], BAD)                 # GAR-00004
    ws.cell(6, col["Barcode"]).value = None         # NOR-00005
    wb.save(shop)
    assert run_cli("recalc", shop).exit_code == 0
    return shop


def expected_cards(path: Path) -> tuple[set[str], dict[str, str]]:
    """SKUs that should have a card, from the saved Reorder sheet; their filled Stock barcodes."""
    reorder = sheet_frame(path, "Reorder")
    chosen = reorder[reorder["Status"].isin(["REORDER", "OK"]) & (reorder["Reorder Point"] > 0)]
    stock = sheet_frame(path, "Stock").set_index("SKU")
    barcodes = {s: str(stock.loc[s, "Barcode"]) for s in chosen["SKU"] if isinstance(stock.loc[s, "Barcode"], str)}
    return set(chosen["SKU"]), barcodes


@pytest.mark.slow
@needs_pdftoppm
def test_every_card_decodes_to_its_sku_and_barcode(carded, tmp_path):
    before = carded.read_bytes()
    result = run_cli("cards", carded)
    assert result.exit_code == 0, result.output
    skus, barcodes = expected_cards(carded)
    (pdf,) = (carded.parent / "cards").glob("*.pdf")
    assert pdf.name == "JIT_Inventory-kanban-2026-11-20.pdf"
    assert f"{len(skus)} kanban cards ({math.ceil(len(skus) / 8)} pages) in {pdf}" in result.output
    assert len(PdfReader(pdf).pages) == math.ceil(len(skus) / 8)
    assert carded.read_bytes() == before  # the workbook is not changed

    found = decoded(pdf, tmp_path / "png")
    code128 = [text for fmt, text in found if fmt == "Code128"]
    # A UPC-A is the EAN-13 with a leading 0 (same bars); zxing-cpp reports it in that form.
    retail = {text.zfill(13) for fmt, text in found if fmt in ("EAN13", "UPCA")}
    assert sorted(code128) == sorted(skus)  # every carded SKU once, nothing else
    valid = {s: b for s, b in barcodes.items() if b != BAD}
    assert retail == {b.zfill(13) for b in valid.values()}
    assert barcodes["FIX-00003"] == UPC_A and "0" + UPC_A in retail
    assert "FAB-00001" not in code128 and "FAB-00001" not in skus  # Do Not Reorder: no card
    assert "NOR-00005" in code128 and "NOR-00005" not in barcodes  # no barcode: the SKU's only
    assert BAD not in retail and "GAR-00004" in code128 and len(found) == len(code128) + len(retail)
    assert "1 barcode not printed: Stock!D5: barcode \"5012345678901\" is not a valid EAN-13" in result.output
    issues = sheet_frame(carded, "Data Issues")
    assert "Stock!D5" in set(issues["Sheet"] + "!" + issues["Cell"])


@pytest.mark.slow
def test_card_numbers_equal_the_reorder_sheet(carded):
    """Bin quantity and order to expect from the saved Reorder and Stock sheets, by hand."""
    from jit_workbook import actions
    from jit_workbook.cards import choose_cards
    from jit_workbook.io.file_book import FileBook

    p = actions.plan(FileBook(carded), lambda _: None, ())
    cards = {c.sku: c for c in choose_cards(p.reorder, p.inputs.stock, 7.0).cards}
    reorder = sheet_frame(carded, "Reorder").set_index("SKU")
    stock = sheet_frame(carded, "Stock").set_index("SKU")
    assert set(cards) == expected_cards(carded)[0]
    for sku, card in cards.items():
        rop, pack = reorder.loc[sku, "Reorder Point"], stock.loc[sku, "Case Pack"]
        pack = 1 if math.isnan(pack) else pack
        assert card.bin_qty == math.ceil(math.ceil(rop / pack - 1e-9) * pack), sku
        assert card.bin_qty >= rop and card.bin_qty % pack == 0
        assert card.lead_time_days == reorder.loc[sku, "Lead Time Days"]
        need = reorder.loc[sku, "Daily Demand"] * 7
        moq = 0 if math.isnan(stock.loc[sku, "MOQ"]) else stock.loc[sku, "MOQ"]
        assert card.order_qty == math.ceil(math.ceil(max(need, moq, 1) / pack - 1e-9) * pack), sku


def test_bin_and_order_rules_by_hand():
    # The README's worked example: Reorder Point 33.16, case pack 12 -> 3 cases = 36.
    assert bin_quantity(33.16, 12.0) == 36
    assert bin_quantity(7.2, float("nan")) == 8
    assert expected_order(2.0, 7, float("nan"), 12.0) == 24   # 14 sold a week -> 2 cases
    assert expected_order(2.0, 0, float("nan"), float("nan")) == 1  # continuous review: one unit
    assert expected_order(0.5, 7, 10.0, float("nan")) == 10   # raised to the MOQ


@pytest.mark.slow
@needs_pdftoppm
def test_sku_option_letter_paper_and_nothing_for_others(carded, tmp_path):
    result = run_cli("cards", carded, "--sku", "NOR-00005", "--sku", "FAB-00001", "--sku", "NOPE", "--paper", "letter")
    assert result.exit_code == 0, result.output
    (pdf,) = (carded.parent / "cards").glob("*.pdf")
    assert pdf.name == "JIT_Inventory-kanban-2026-11-20-NOR-00005.pdf"
    assert "no card for FAB-00001 (Discontinued or Do Not Reorder on the Stock sheet), NOPE (not on the Stock " \
           "sheet)" in result.output
    page = PdfReader(pdf).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)  # Letter, points
    assert decoded(pdf, tmp_path / "png") == [("Code128", "NOR-00005")]
    left, top, w, h = card_grid("Letter")
    assert left >= 10 and top >= 10 and 4 * h <= 279.4 - 20


@pytest.mark.slow
def test_asking_only_for_items_without_a_card_is_an_error(carded):
    before = carded.read_bytes()
    result = run_cli("cards", carded, "--sku", "FAB-00001")
    assert result.exit_code == 2
    assert "No kanban card to print for the SKUs asked for: FAB-00001 (Discontinued or Do Not Reorder" in result.output
    assert not (carded.parent / "cards").exists() and carded.read_bytes() == before


def rows_5_and_6(path: Path) -> list[str]:
    """The SKUs on the saved Reorder sheet's rows 5 and 6 (the to-do order puts REORDER rows
    first), checked to be items that get a card."""
    skus = sorted(r[0] for r in openpyxl.load_workbook(path)["Reorder"].iter_rows(min_row=5, max_row=6,
                                                                                    values_only=True))
    assert set(skus) <= set(expected_cards(path)[0]) and len(skus) == 2
    return skus


@pytest.mark.slow
@needs_pdftoppm
def test_excel_cards_prints_the_selected_reorder_rows(carded, tmp_path, xl_engine):
    book = xw.Book(carded)
    rows = rows_5_and_6(carded)
    book.sheets["Reorder"].range("B5:C6").select()  # any cells of rows 5 and 6
    summary = excel.cards(book)
    assert summary.startswith("2 kanban cards (1 page) in ")
    assert xl_engine.alerts[-1]["prompt"] == summary
    (pdf,) = (carded.parent / "cards").glob("*.pdf")
    assert sorted(t for f, t in decoded(pdf, tmp_path / "png") if f == "Code128") == rows

    pdf.unlink()
    book.sheets["Reorder"].range("A1").select()  # the header only: every card
    assert excel.cards(book).startswith(f"{len(expected_cards(carded)[0])} kanban cards")


@pytest.mark.slow
@needs_pdftoppm
def test_reorder_button_prints_cards_for_whole_rows_and_recalculates_otherwise(carded, tmp_path, xl_engine):
    book = xw.Book(carded)
    rows = rows_5_and_6(carded)
    book.sheets["Reorder"].activate()
    book.sheets["Reorder"].range("5:6").select()  # row numbers clicked: cards for those rows
    assert excel.main(book).startswith("2 kanban cards (1 page) in ")
    (pdf,) = (carded.parent / "cards").glob("*.pdf")
    assert sorted(t for f, t in decoded(pdf, tmp_path / "png") if f == "Code128") == rows
    pdf.unlink()

    book.sheets["Reorder"].range("1:1048576").select()  # the whole sheet: every card
    assert excel.main(book).startswith(f"{len(expected_cards(carded)[0])} kanban cards")

    book.sheets["Reorder"].range("B5").select()  # one cell: the button recalculates, as before
    assert excel.main(book).startswith("40 SKUs: ")
