"""`jit-workbook orders --send` end to end: a real SMTP server on 127.0.0.1, the saved
workbook re-opened from disk, and the loop closed by the next recalc and by Receipts."""

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest


from conftest import run_cli as run, sheet_frame as rows

from test_orders_email import smtp_server  # noqa: F401  (the aiosmtpd fixture)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def mail_shop(shop, smtp_server) -> Path:  # noqa: F811
    """The tiny shop with Settings pointing at the test's SMTP server."""
    path = shop
    wb = openpyxl.load_workbook(path)
    ws = wb["Settings"]
    values = {"SMTP Host": "127.0.0.1", "SMTP Port": smtp_server.port, "SMTP Security": "none",
              "Email From": "owner@shop.example"}
    for row in ws.iter_rows(min_row=2):
        if row[0].value in values:
            row[1].value = values[row[0].value]
    wb.save(path)
    return path


def test_orders_send_rerun_refusal_and_the_loop(mail_shop, smtp_server):
    shop = mail_shop  # noqa: F811
    assert run("recalc", shop).exit_code == 0
    reorder = rows(shop, "Reorder")
    to_order = reorder[(reorder["Order Qty"] > 0) & (reorder["Status"] != "DO NOT REORDER")]
    suppliers = rows(shop, "Suppliers").set_index("Supplier")
    refused = suppliers.loc[to_order["Supplier"].iloc[0], "Email"]
    smtp_server.handler.refuse_rcpt = {refused.lower()}

    result = run("orders", shop, "--send", "--force")
    assert result.exit_code == 3, result.output  # one order could not be sent
    orders = rows(shop, "Orders").dropna(subset=["PO Number"]).set_index("Supplier")
    assert set(orders.index) == set(to_order["Supplier"])
    assert orders.loc[to_order["Supplier"].iloc[0], "Status"].startswith("NOT SENT")
    received = {m.rcpt_tos[0]: m.message for m in smtp_server.handler.received}
    assert len(received) == len(orders) - 1 and refused not in received
    for supplier, lines in to_order.groupby("Supplier"):
        if supplier == to_order["Supplier"].iloc[0]:
            continue
        msg = received[suppliers.loc[supplier, "Email"]]
        assert msg["Subject"].startswith(f"Purchase order {orders.loc[supplier, 'PO Number']}")
        files = {p.get_content_type(): p for p in msg.iter_attachments()}
        assert set(files) == {XLSX, "application/pdf"}
        sheet = openpyxl.load_workbook(io.BytesIO(files[XLSX].get_content())).active
        cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
        for sku, qty in zip(lines["SKU"], lines["Order Qty"]):
            assert sku in cells and qty in cells
        assert orders.loc[supplier, "Order Value"] == pytest.approx(lines["Order Value"].sum(), abs=0.01)

    # Rerun: the refused one goes now, nothing is sent twice.
    smtp_server.handler.refuse_rcpt = set()
    before = len(smtp_server.handler.received)
    assert run("orders", shop, "--send", "--force").exit_code == 0
    assert len(smtp_server.handler.received) == before + 1
    assert rows(shop, "Orders")["Status"].dropna().str.startswith("SENT").all()

    # The next recalc counts what was sent as on order: no second order for the same need.
    assert run("recalc", shop).exit_code == 0
    after = rows(shop, "Reorder").set_index("SKU")
    for sku in to_order["SKU"]:
        assert after.loc[sku, "Suggested Qty"] == 0, after.loc[sku, "Reason"]
        assert "not yet received" in after.loc[sku, "Reason"]

    # Receipts for everything: the orders close, and 3+ received orders give measured lead times.
    lines = rows(shop, "Order Lines")
    wb = openpyxl.load_workbook(shop)
    ws = wb["Receipts"]
    as_of = dt.datetime(2026, 11, 20)
    for i, line in enumerate(lines.itertuples(index=False), start=2):
        ws.append([line[0], line[1], line[4], as_of - dt.timedelta(days=9), as_of - dt.timedelta(days=1), line[5]])
    wb.save(shop)
    assert run("recalc", shop).exit_code == 0
    closed = rows(shop, "Reorder").set_index("SKU")
    assert not closed["Reason"].str.contains("not yet received").any()
    result = run("orders", shop)
    lead = rows(shop, "Orders").dropna(subset=["Supplier Lead Times"]).set_index("Supplier Lead Times")
    assert (lead["Orders Received"] >= 1).all()


def test_orders_without_send_only_draft(mail_shop, smtp_server):
    shop = mail_shop  # noqa: F811
    result = run("orders", shop)
    assert result.exit_code == 0
    assert smtp_server.handler.received == []
    orders = rows(shop, "Orders").dropna(subset=["PO Number"])
    assert (orders["Status"] == "DRAFTED").all()
    for name in orders["Order File"]:  # relative to the Order Folder ("orders" beside the workbook)
        path = shop.parent / "orders" / name
        assert not Path(name).is_absolute() and len(Path(name).parts) == 2  # "<order date>/<file>"
        assert path.exists() and path.with_suffix(".pdf").exists()


def test_measured_lead_times_replace_the_suppliers_promise_after_three_orders():
    from jit_workbook.actions import with_measured_lead_times

    suppliers = pd.DataFrame({"supplier": ["Acme", "Slow Co"], "lead_time_days": [5.0, 10.0],
                              "lead_time_std_days": [1.0, 2.0]})
    days = {"PO-1": 6, "PO-2": 8, "PO-3": 10}  # Acme: mean 8, sample std 2
    receipts = pd.DataFrame({
        "po_number": list(days) + ["PO-9", "PO-8"], "supplier": ["Acme"] * 3 + ["Slow Co"] * 2,
        "sku": "X", "ordered": pd.Timestamp("2026-01-01"), "quantity": 1.0,
        "received": [pd.Timestamp("2026-01-01") + pd.Timedelta(days=d) for d in list(days.values()) + [30, 30]]})
    got = with_measured_lead_times(suppliers, receipts).set_index("supplier")
    assert got.loc["Acme", "lead_time_days"] == 8.0 and got.loc["Acme", "lead_time_std_days"] == 2.0
    assert got.loc["Slow Co", "lead_time_days"] == 10.0  # two orders are too few to trust
