"""The monthly review end to end: Obsolete Review, Review Log and Dashboard in a saved file."""

import zipfile

import openpyxl
import pytest

from jit_workbook import contract as K
from jit_workbook.io.xlsx_parts import sheet_parts

from conftest import run_cli as run, sheet_frame as rows
from conftest import lo_convert


def test_review_lists_flagged_stock_and_keeps_decisions(shop):
    result = run("review", shop)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Review 2026-11: ")
    review = rows(shop, "Obsolete Review")
    reorder = rows(shop, "Reorder")
    flagged = reorder[reorder["Stock Flag"].isin(["OBSOLETE", "SLOW"])]
    assert sorted(review["SKU"]) == sorted(flagged["SKU"])
    assert list(review["Stock Value"]) == sorted(review["Stock Value"], reverse=True)
    # The owner decides on the first item and writes a note; a rerun keeps both.
    wb = openpyxl.load_workbook(shop)
    ws = wb["Obsolete Review"]
    sku = ws["A2"].value
    ws[f"{K.OBSOLETE_REVIEW.letter('decision')}2"] = "Dispose"
    ws[f"{K.OBSOLETE_REVIEW.letter('notes')}2"] = "ask Jo first"
    wb.save(shop)
    assert run("review", shop).exit_code == 0
    again = rows(shop, "Obsolete Review").set_index("SKU")
    assert again.loc[sku, "Decision"] == "Dispose" and again.loc[sku, "Notes"] == "ask Jo first"
    log = rows(shop, "Review Log")
    assert set(log["Month"]) == {"2026-11"}  # the same month twice: one block
    assert len(log) == len(review)
    assert log.set_index("SKU").loc[sku, "Decision"] == "Dispose"


def test_recalc_refreshes_dashboard_numbers_not_the_log(shop):
    assert run("recalc", shop).exit_code == 0
    dash = rows(shop, "Dashboard").set_index("Measure")
    stock = rows(shop, "Stock")
    own = stock[stock["Consignment"] != "Yes"]
    expected = float((own["On Hand"] * own["Unit Cost"]).sum())
    assert dash.loc["Stock value (cash tied up)", "Value"] == pytest.approx(expected)
    assert rows(shop, "Review Log").empty


def test_dashboard_charts_exist_and_render_in_libreoffice(shop, tmp_path):
    assert run("review", shop).exit_code == 0
    with zipfile.ZipFile(shop) as zf:
        part = sheet_parts(zf)["Dashboard"]
        rels = zf.read(part.replace("worksheets/", "worksheets/_rels/") + ".rels").decode()
        assert "drawing" in rels
        drawing_rels = [n for n in zf.namelist() if n.startswith("xl/drawings/_rels/")]
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
        dashboard_charts = [c for c in charts if b"Dashboard" in zf.read(c)]
        assert len(dashboard_charts) == 3 and drawing_rels
        refs = " ".join(zf.read(c).decode() for c in dashboard_charts)
        first, last = K.dashboard_rows()["flags"]
        assert f"Dashboard!$B${first}:$B${last}" in refs.replace("'", "")
    # Only the Dashboard: LibreOffice would print every sheet, so drop the long ones first.
    wb = openpyxl.load_workbook(shop)
    for name in wb.sheetnames:
        if name != "Dashboard":
            del wb[name]
    only = tmp_path / "dashboard.xlsx"
    wb.save(only)
    pdf = lo_convert(only, "pdf", tmp_path / "pdf")
    png = lo_convert(only, "png", tmp_path / "png")
    assert png.stat().st_size > 5000
    import subprocess

    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    for title in ("Stock value by flag", "Largest obsolete and slow items",
                  "Flagged stock value by month"):
        assert title in text
    top_sku = rows(shop, "Obsolete Review")["SKU"].iloc[0]
    assert top_sku in text  # the chart's category labels come from the cells we wrote
