"""The owner's weekly loop through the command line, on saved workbooks (issue 11).

Each test edits a saved workbook the way an owner would (openpyxl stands in for
Excel), runs `jit-workbook`, and re-opens the result from disk.
"""

from pathlib import Path

import openpyxl
import pytest

from jit_workbook import contract as K
from jit_workbook.io.file_book import backup_path

from conftest import run_cli as run, sheet_frame as sheet_rows


def edit(path: Path, sheet: str, cells: dict) -> None:
    wb = openpyxl.load_workbook(path)
    for addr, value in cells.items():
        wb[sheet][addr] = value
    wb.save(path)


def first_reorder_row(path: Path) -> tuple[int, str, int]:
    """(sheet row, SKU, Suggested Qty) of the first REORDER row on the saved Reorder sheet."""
    reorder = sheet_rows(path, "Reorder")
    i = reorder.index[reorder["Status"] == "REORDER"][0]
    return int(i) + 2, reorder.loc[i, "SKU"], int(reorder.loc[i, "Suggested Qty"])


# ---------------------------------------------------------------------------------
# Item 8: a renamed header on an output sheet never drops the owner's typing silently
# ---------------------------------------------------------------------------------
def test_a_renamed_order_qty_header_stops_the_run_and_names_the_header(shop):
    assert run("recalc", shop).exit_code == 0
    row, sku, suggested = first_reorder_row(shop)
    col = K.REORDER.letter("order_qty")
    edit(shop, "Reorder", {f"{col}{row}": suggested + 7, f"{col}1": "Qty to order"})
    before = shop.read_bytes()
    result = run("recalc", shop)
    assert result.exit_code == 2
    assert (f'Reorder!{col}1: the header is "Qty to order", but this column holds your Order Qty; '
            "rename it back to 'Order Qty'") in result.output
    assert shop.read_bytes() == before  # nothing written, not even the backup's source
    # Restored, the typed quantity is still there and kept.
    edit(shop, "Reorder", {f"{col}1": "Order Qty"})
    assert run("recalc", shop).exit_code == 0
    assert sheet_rows(shop, "Reorder").set_index("SKU").loc[sku, "Order Qty"] == suggested + 7


def test_a_moved_owner_column_stops_the_run(shop):
    """Columns swapped by the owner: the tool writes by position, so it must not go on."""
    assert run("recalc", shop).exit_code == 0
    q, v = K.REORDER.letter("order_qty"), K.REORDER.letter("order_value")
    edit(shop, "Reorder", {f"{q}1": "Order Value", f"{v}1": "Order Qty"})
    before = shop.read_bytes()
    result = run("orders", shop)
    assert result.exit_code == 2
    assert f"Reorder!{q}1: the column 'Order Qty' has moved to column {v}" in result.output
    assert shop.read_bytes() == before


def test_a_renamed_decision_header_stops_the_review(shop):
    assert run("review", shop).exit_code == 0
    col = K.OBSOLETE_REVIEW.letter("decision")
    edit(shop, "Obsolete Review", {f"{col}1": "My call"})
    before = shop.read_bytes()
    result = run("review", shop)
    assert result.exit_code == 2
    assert f"Obsolete Review!{col}1: the header is \"My call\", but this column holds your Decision" in result.output
    assert shop.read_bytes() == before
