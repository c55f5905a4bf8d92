"""The owner's weekly loop through the command line, on saved workbooks (issue 11).

Each test edits a saved workbook the way an owner would (openpyxl stands in for
Excel), runs `jit-workbook`, and re-opens the result from disk.
"""

from pathlib import Path

import openpyxl
import pytest

from jit_workbook import contract as K

from conftest import run_cli as run, sheet_frame as sheet_rows
from test_planning_shop_trend import trend_in


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


# ---------------------------------------------------------------------------------
# Item 2: Orders' Status is the owner's drop-down; unmarked drafts are reminded
# ---------------------------------------------------------------------------------
def set_setting(path: Path, name: str, value) -> None:
    wb = openpyxl.load_workbook(path)
    for row in wb["Settings"].iter_rows(min_row=2):
        if row[0].value == name:
            row[1].value = value
    wb.save(path)


def status_lists(path: Path) -> list[tuple[str, str, str]]:
    """(cells, list, error style) of every drop-down on the saved Orders sheet."""
    ws = openpyxl.load_workbook(path)["Orders"]
    return [(str(dv.sqref), dv.formula1, dv.errorStyle) for dv in ws.data_validations.dataValidation]


def test_orders_status_is_a_yellow_drop_down_in_a_new_workbook(tmp_path):
    path = tmp_path / "Mine.xlsx"
    assert run("new", path).exit_code == 0
    col = K.ORDERS.letter("status")
    assert status_lists(path) == [(f"{col}2:{col}1048576", '"DRAFTED,SENT,CANCELLED"', "warning")]
    ws = openpyxl.load_workbook(path)["Orders"]
    assert ws[f"{col}2"].fill.fgColor.rgb == "00FFF2CC"  # the owner's yellow, as Order Qty on Reorder
    assert openpyxl.load_workbook(path)["Reorder"][f"{K.REORDER.letter('order_qty')}2"].fill.fgColor.rgb == "00FFF2CC"


@pytest.mark.slow
def test_orders_adds_the_status_drop_down_to_an_older_workbook(shop):
    wb = openpyxl.load_workbook(shop)
    wb["Orders"].data_validations.dataValidation = []  # as an older template made it
    wb.save(shop)
    assert status_lists(shop) == []
    assert run("orders", shop).exit_code == 0
    col = K.ORDERS.letter("status")
    assert status_lists(shop) == [(f"{col}2:{col}1048576", '"DRAFTED,SENT,CANCELLED"', "warning")]
    assert run("orders", shop).exit_code == 0  # once, not once per run
    assert len(status_lists(shop)) == 1


@pytest.mark.slow
def test_drafted_orders_left_unmarked_are_reminded_until_marked_sent(shop):
    assert run("orders", shop).exit_code == 0  # As Of Date 2026-11-20
    orders = sheet_rows(shop, "Orders").dropna(subset=["PO Number"])
    assert len(orders) >= 2 and (orders["Status"] == "DRAFTED").all()
    pos = orders["PO Number"].tolist()
    result = run("recalc", shop)  # the same day: nothing to remind yet
    assert result.exit_code == 0 and "not marked SENT" not in result.output

    set_setting(shop, "As Of Date", "2026-11-27")  # a week later
    result = run("recalc", shop)
    assert result.exit_code == 0
    shown = ", ".join(pos[:3]) + (f" and {len(pos) - 3} more" if len(pos) > 3 else "")
    reminder = f"{len(pos)} drafted orders not marked SENT ({shown}): if you emailed them, set Status to SENT"
    assert result.output.splitlines()[0].endswith("; " + reminder)
    issues = sheet_rows(shop, "Data Issues")
    col = K.ORDERS.letter("status")
    assert issues[issues["Problem"] == reminder][["Sheet", "Cell"]].values.tolist() == [["Orders", f"{col}2"]]

    # The owner emailed the first one by hand and types "sent": it counts as on order.
    edit(shop, "Orders", {f"{col}2": "sent"})
    result = run("recalc", shop)
    rest = pos[1:]
    assert f"{len(rest)} drafted order{'s' if len(rest) > 1 else ''} not marked SENT ({rest[0]}" in result.output
    assert "On order includes " in " ".join(sheet_rows(shop, "Reorder")["Reason"])
    edit(shop, "Orders", {f"{col}{r}": "CANCELLED" if r % 2 else "SENT" for r in range(3, 2 + len(pos))})
    result = run("recalc", shop)
    assert "not marked SENT" not in result.output


# ---------------------------------------------------------------------------------
# Item 1: a typed Order Qty is kept for its review only
# ---------------------------------------------------------------------------------
def reorder_row(path: Path, sku: str):
    return sheet_rows(path, "Reorder").set_index("SKU").loc[sku]


def test_a_typed_order_qty_lasts_for_its_review_then_is_dropped(shop):
    """The tiny shop: As Of Date 2026-11-20, Review Period Days 7."""
    assert run("recalc", shop).exit_code == 0
    row, sku, suggested = first_reorder_row(shop)
    typed = suggested + 20
    edit(shop, "Reorder", {f"{K.REORDER.letter('order_qty')}{row}": typed})
    for as_of in ("2026-11-20", "2026-11-20", "2026-11-26"):  # reruns of the same review
        set_setting(shop, "As Of Date", as_of)
        assert run("recalc", shop).exit_code == 0
        again = reorder_row(shop, sku)
        assert again["Order Qty"] == typed, as_of
        assert f"Order Qty {typed} is yours" in again["Reason"]
        assert again["Planned For"].date().isoformat() == "2026-11-20"  # the plan it was typed on
    set_setting(shop, "As Of Date", "2026-11-27")  # a week on: the next review
    assert run("recalc", shop).exit_code == 0
    later = reorder_row(shop, sku)
    assert later["Order Qty"] == later["Suggested Qty"]
    assert (f"Your Order Qty {typed}, typed for 2026-11-20, is dropped: the As Of Date has moved on by the "
            "7-day review period, so the suggestion is used.") in later["Reason"]
    assert later["Planned For"].date().isoformat() == "2026-11-27"


@pytest.mark.slow
def test_a_typed_order_qty_drafted_into_an_order_is_not_ordered_again(shop):
    assert run("recalc", shop).exit_code == 0
    row, sku, suggested = first_reorder_row(shop)
    typed = suggested + 20
    edit(shop, "Reorder", {f"{K.REORDER.letter('order_qty')}{row}": typed})
    assert run("orders", shop).exit_code == 0
    lines = sheet_rows(shop, "Order Lines")
    mine = lines[lines["SKU"] == sku]
    assert mine["Quantity"].tolist() == [typed]
    po = mine["PO Number"].iloc[0]
    # Drafting again the same day keeps the owner's number and the same order.
    assert run("orders", shop).exit_code == 0
    lines = sheet_rows(shop, "Order Lines")
    assert lines[lines["SKU"] == sku][["PO Number", "Quantity"]].values.tolist() == [[po, typed]]
    assert reorder_row(shop, sku)["Order Qty"] == typed
    # The next day (within the review period) the drafted number is not offered again.
    set_setting(shop, "As Of Date", "2026-11-21")
    assert run("recalc", shop).exit_code == 0
    later = reorder_row(shop, sku)
    assert later["Order Qty"] == later["Suggested Qty"] != typed
    assert (f"Your Order Qty {typed}, typed for 2026-11-20, is dropped: it was drafted on {po}, so the "
            "suggestion is used") in later["Reason"]


def test_an_older_reorder_sheet_gets_the_planned_for_header(shop):
    """A workbook made before the Planned For column: the first run adds its header."""
    wb = openpyxl.load_workbook(shop)
    ws = wb["Reorder"]
    last = K.REORDER.letter("planned_for")
    ws[f"{last}1"] = None
    table = ws.tables["ReorderTable"]
    table.ref = table.ref.replace(last, K.REORDER.letter("reason"))
    del table.tableColumns[-1]
    table.autoFilter.ref = table.ref
    wb.save(shop)
    assert run("recalc", shop).exit_code == 0
    ws = openpyxl.load_workbook(shop)["Reorder"]
    assert ws[f"{last}1"].value == "Planned For"
    row, sku, suggested = first_reorder_row(shop)
    edit(shop, "Reorder", {f"{K.REORDER.letter('order_qty')}{row}": suggested + 3})
    set_setting(shop, "As Of Date", "2026-11-27")
    assert run("recalc", shop).exit_code == 0
    assert "is dropped: the As Of Date has moved on" in reorder_row(shop, sku)["Reason"]


# ---------------------------------------------------------------------------------
# Item 9: the backtest replays only the history there is
# ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_backtest_window_is_shortened_to_the_sales_history(shop):
    """The tiny shop's Sales run from 2025-10-17 to its As Of Date 2026-11-20: 400 days."""
    set_setting(shop, "Backtest Days", 400)
    result = run("backtest", shop)
    assert result.exit_code == 0, result.output
    note = ("Backtest Days 400 shortened to 372: Sales start 2025-10-17 (400 days to the As Of Date), and the "
            "plan needs the first 28 of them to plan from.")
    assert result.output.startswith(f"Backtest of 372 days ({note[:-1]}): JIT cycle service level ")
    ws = openpyxl.load_workbook(shop, data_only=True)["Backtest"]
    header = [c.value for c in ws[1]]
    days, why, end = (header.index(h) + 1 for h in ("Days Replayed", "Window Note", "Backtest Of"))
    assert (ws.cell(2, days).value, ws.cell(2, why).value) == (372, note)
    assert ws.cell(2, end).value.date().isoformat() == "2026-11-20"


def test_the_backtest_refuses_with_too_little_history(shop):
    set_setting(shop, "As Of Date", "2025-11-20")  # 35 days of Sales up to then
    before = shop.read_bytes()
    result = run("backtest", shop)
    assert result.exit_code == 2
    assert ("Backtest: the Sales sheet covers only 35 days (from 2025-10-17 to the As Of Date 2025-11-20); the "
            "backtest needs 28 days of sales to plan from and at least 28 more to replay, 56 in all.") in result.output
    assert shop.read_bytes() == before


# ---------------------------------------------------------------------------------
# Item 5: a new item's first sale is not a daily rate
# ---------------------------------------------------------------------------------
def add_new_item(path: Path, method: str = "Moving Average") -> None:
    """A new Stock row NEW-01 (5 on hand, so no day out of stock) whose only sale is 6 units
    the day before the As Of Date (2026-11-20), pasted under the tables as an owner would."""
    import datetime as dt

    wb = openpyxl.load_workbook(path)
    stock, sales = wb["Stock"], wb["Sales"]
    supplier = stock["C2"].value
    stock.append(["NEW-01", "New lamp", supplier, None, "Lamps", 5, 0, 10.0, 25.0, 5, None, None, None, None,
                  None, None, method])
    sales.append([dt.datetime(2026, 11, 19), "NEW-01", 6, 25.0])
    wb.save(path)


def test_a_new_item_with_one_sale_is_spread_over_new_item_days_and_capped(shop):
    add_new_item(shop)
    result = run("recalc", shop)
    assert result.exit_code == 0, result.output
    row = reorder_row(shop, "NEW-01")
    # 6 units over 14 days, not over 2 (times the shop's trend, if the demo shop has one)
    assert row["Daily Demand"] == pytest.approx(6 / 14 * trend_in(row["Reason"]), rel=0.005)
    assert row["Order Qty"] <= 12  # never more than twice the one sale
    assert ("New item, first sold 2 days ago (counting the As Of Date): its sales are spread over 14 days "
            "(New Item Days), not read as a daily rate.") in row["Reason"]
    # σd over the same 14 days: one 6 and thirteen 0s (Normal safety stock needs it).
    series = [6.0] + [0.0] * 13
    mean = sum(series) / 14
    assert row["Demand Std"] == pytest.approx((sum((x - mean) ** 2 for x in series) / 13) ** 0.5)


def test_a_one_sale_item_is_never_ordered_above_twice_that_sale_with_auto(shop):
    """With the default Auto forecast and New Item Days 1 (spreading off), the cap still holds."""
    add_new_item(shop, method=None)
    set_setting(shop, "New Item Days", 1)
    assert run("recalc", shop).exit_code == 0
    row = reorder_row(shop, "NEW-01")
    assert row["Order Qty"] == 12, row["Reason"]
    assert "One sale so far (6): ordering no more than twice it, 12." in row["Reason"]
