"""Purchase orders as data: grouping, PO numbers, the saved record, open orders, lead times.

The small builders here (make_reorder, make_suppliers, make_stock, draft) are shared
by the other test_orders_* files.
"""

from __future__ import annotations

import datetime as dt
import doctest
import math
import zlib

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from jit_workbook import contract as K
from jit_workbook.orders import po, safety
from jit_workbook.orders.po import (
    ORDER_LINES, OrderSettings, OrderSettingsFields, draft_orders, measured_lead_times, open_order_quantities,
    record_orders, receipt_issues, supplier_code,
)
from jit_workbook.settings import Settings

DAY = dt.date(2026, 11, 27)
NAN = float("nan")


# ---------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------
def make_reorder(*rows: tuple) -> pd.DataFrame:
    """Reorder rows as (sku, supplier, order_qty, unit_cost[, status[, description[, barcode]]])."""
    recs = []
    for r in rows:
        sku, supplier, qty, cost = r[:4]
        status = r[4] if len(r) > 4 else "REORDER"
        desc = r[5] if len(r) > 5 else f"Item {sku}"
        barcode = r[6] if len(r) > 6 else f"50{zlib.crc32(sku.encode()) % 10**11:011d}"
        recs.append({**{f: NAN for f in K.REORDER.fields}, "sku": sku, "supplier": supplier, "description": desc,
                     "order_qty": qty, "suggested_qty": qty, "status": status, "reason": "",
                     "lead_time_days": 5.0, "unit_cost": cost, "barcode": barcode})
    frame = pd.DataFrame(recs, columns=K.REORDER.fields + ["unit_cost", "barcode"])
    return frame.astype({"sku": object, "supplier": object, "description": object, "status": object,
                         "barcode": object})


SUPPLIERS = (
    # supplier, contact, email, lead time days, min order value
    ("Acme Tools Ltd", "Sam Patel", "orders@acme.example", 5.0, 150.0),
    ("Northern Paints", "Jo Birch", "jo@northern.example", 10.0, NAN),
    ("Fabric House", "Ana Costa", "ana@fabric.example", 2.5, 0.0),
)


def make_suppliers(*rows: tuple) -> pd.DataFrame:
    rows = rows or SUPPLIERS
    frame = pd.DataFrame([(s, c, e, lt, 1.0, mov, "") for s, c, e, lt, mov in rows], columns=K.SUPPLIERS.fields)
    frame["row"] = np.arange(2, len(frame) + 2)
    return frame


def make_stock(reorder: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({"sku": reorder["sku"], "description": reorder["description"],
                          "supplier": reorder["supplier"], "barcode": reorder["barcode"],
                          "unit_cost": reorder["unit_cost"]})
    frame["row"] = np.arange(2, len(frame) + 2)
    return frame


def draft(reorder: pd.DataFrame, suppliers: pd.DataFrame | None = None, day: dt.date = DAY, **kw):
    suppliers = make_suppliers() if suppliers is None else suppliers
    return draft_orders(reorder, suppliers, make_stock(reorder), business_name="Corner Shop", currency="GBP",
                        order_date=day, **kw)


SHOP = make_reorder(
    ("A1", "Acme Tools Ltd", 24, 4.5),
    ("N1", "Northern Paints", 6, 12.0),
    ("A2", "acme tools ltd ", 10, 1.25),      # same supplier, other spelling
    ("A3", "Acme Tools Ltd", 0, 3.0),         # nothing to order
    ("A4", "Acme Tools Ltd", 5, 3.0, "DO NOT REORDER"),
    ("F1", "Fabric House", 2, NAN),           # no unit cost
)


# ---------------------------------------------------------------------------------
# Grouping and orders
# ---------------------------------------------------------------------------------
def test_groups_rows_to_order_by_supplier():
    orders, issues = draft(SHOP)
    got = {o.supplier: o.lines["sku"].tolist() for o in orders}
    assert got == {"Acme Tools Ltd": ["A1", "A2"], "Northern Paints": ["N1"], "Fabric House": ["F1"]}
    assert [o.supplier for o in orders] == ["Acme Tools Ltd", "Fabric House", "Northern Paints"]  # by name
    acme = orders[0]
    assert acme.lines.columns.tolist() == list(po.LINE_FIELDS)
    assert acme.lines["line_total"].tolist() == [108.0, 12.5]
    assert acme.order_value == 120.5
    assert (acme.min_order_value, acme.meets_minimum) == (150.0, False)
    assert (acme.contact, acme.email, acme.currency) == ("Sam Patel", "orders@acme.example", "GBP")
    assert acme.delivery_date == DAY + dt.timedelta(days=5)
    fabric = orders[1]
    assert fabric.delivery_date == DAY + dt.timedelta(days=3)  # 2.5 days rounded up
    assert math.isnan(fabric.lines.loc[0, "line_total"]) and fabric.order_value == 0.0
    assert orders[2].meets_minimum  # no minimum
    assert [(i.sheet, i.cell, i.sku) for i in issues] == [("Stock", "H7", "F1")]
    assert "no Unit Cost for F1" in issues[0].problem


def test_owner_quantities_count_and_do_not_reorder_never_does():
    reorder = make_reorder(("A1", "Acme Tools Ltd", 7, 1.0, "CHECK DATA"), ("A2", "Acme Tools Ltd", 3, 1.0, "OK"),
                           ("A3", "Acme Tools Ltd", 9, 1.0, "do not reorder"))
    orders, _ = draft(reorder)
    assert orders[0].lines[["sku", "quantity"]].values.tolist() == [["A1", 7.0], ["A2", 3.0]]


def test_unknown_and_blank_suppliers_are_issues_not_orders():
    reorder = make_reorder(("X1", "Nobody Ltd", 5, 1.0), ("X2", "Nobody Ltd", 5, 1.0), ("B1", "", 2, 1.0),
                           ("A1", "Acme Tools Ltd", 1, 200.0))
    orders, issues = draft(reorder)
    assert [o.supplier for o in orders] == ["Acme Tools Ltd"]
    by_problem = {i.problem.split(";")[0]: (i.sheet, i.cell, i.sku) for i in issues}
    assert by_problem == {
        '2 SKUs to order (X1, X2) name supplier "Nobody Ltd", which is not on Suppliers': ("Stock", "C2", ""),
        "1 SKU to order (B1) have no supplier": ("Stock", "C4", "B1"),
    }


def test_missing_or_unsafe_email_is_an_issue_and_the_order_has_no_address():
    suppliers = make_suppliers(
        ("Acme Tools Ltd", "Sam", "", 5.0, 0.0),
        ("Northern Paints", "Jo", "jo@northern.example\nBcc: evil@x.example", 5.0, 0.0),
        ("Fabric House", "Ana", "ana@fabric.example, boss@fabric.example", 5.0, 0.0),
    )
    reorder = make_reorder(("A1", "Acme Tools Ltd", 1, 1.0), ("N1", "Northern Paints", 1, 1.0),
                           ("F1", "Fabric House", 1, 1.0))
    orders, issues = draft(reorder, suppliers)
    assert [o.email for o in orders] == ["", "", ""]  # drafted, never addressed
    assert [(i.sheet, i.cell) for i in issues] == [("Suppliers", "C2"), ("Suppliers", "C4"), ("Suppliers", "C3")]
    assert "has no Email" in issues[0].problem
    assert "more than one address" in issues[1].problem
    assert "line break" in issues[2].problem
    assert all("\n" not in i.problem for i in issues)


def test_zero_line_order_is_an_issue():
    orders, issues = draft(make_reorder(("", "Acme Tools Ltd", 4, 1.0)))
    assert orders == []
    assert [(i.sheet, i.cell) for i in issues] == [("Reorder", "A2")]


def test_nothing_to_order_gives_nothing():
    assert draft(make_reorder(("A1", "Acme Tools Ltd", 0, 1.0))) == ([], [])


def test_workbook_text_is_cleaned():
    suppliers = make_suppliers(("Acme\r\nTools", "Sam\nBcc: evil@x.example", "a@acme.example", 1.0, 0.0))
    orders, _ = draft(make_reorder(("A1", "Acme\r\nTools", 1, 1.0, "REORDER", "Paint\x00 =tin")), suppliers)
    o = orders[0]
    assert (o.supplier, o.contact) == ("Acme Tools", "Sam Bcc: evil@x.example")
    assert o.lines.loc[0, "description"] == "Paint  =tin"


@pytest.mark.parametrize("name, exp", [
    ("Acme Tools Ltd", "ACME"), ("3M UK", "3MUK"), ("Müller & Söhne", "MULLER"), ("東京", "SUP"),
    ("../../etc/passwd", "ETCPASSW"), ("Garden & Home Co", "GARDEN"), ("A B C", "ABC"), ("", "SUP"),
])
def test_supplier_code(name, exp):
    got = supplier_code(name)
    assert got == exp
    assert safety.PO_NUMBER.fullmatch(f"PO-20261127-{got}-1")


# ---------------------------------------------------------------------------------
# PO numbers
# ---------------------------------------------------------------------------------
def rerun(orders, statuses=None):
    """The Orders sheet and lines record after a run, with statuses applied."""
    for o in orders:
        if statuses and o.po_number in statuses:
            o.status = statuses[o.po_number]
    return record_orders(orders)


def test_po_numbers_are_stable_across_reruns():
    first, _ = draft(SHOP)
    assert [o.po_number for o in first] == ["PO-20261127-ACME-1", "PO-20261127-FABRIC-1", "PO-20261127-NORTHERN-1"]
    sheet, lines = rerun(first)
    again, _ = draft(SHOP, previous_orders=sheet, previous_lines=lines)
    assert [o.po_number for o in again] == [o.po_number for o in first]
    assert all(o.status == "DRAFTED" for o in again)
    # Without any record the numbers are the same too.
    assert [o.po_number for o in draft(SHOP)[0]] == [o.po_number for o in first]


def test_sent_order_keeps_number_and_status_when_lines_are_the_same():
    first, _ = draft(SHOP)
    sheet, lines = rerun(first, {"PO-20261127-ACME-1": "SENT 2026-11-27 14:03"})
    again, _ = draft(SHOP, previous_orders=sheet, previous_lines=lines)
    acme = again[0]
    assert (acme.po_number, acme.status, acme.sent) == ("PO-20261127-ACME-1", "SENT 2026-11-27 14:03", True)


def test_changed_lines_after_sending_get_the_next_number():
    first, _ = draft(SHOP)
    sheet, lines = rerun(first, {"PO-20261127-ACME-1": "SENT 2026-11-27 14:03"})
    changed = SHOP.copy()
    changed.loc[changed["sku"] == "A1", "order_qty"] = 30
    again, _ = draft(changed, previous_orders=sheet, previous_lines=lines)
    assert again[0].po_number == "PO-20261127-ACME-2" and again[0].status == "DRAFTED"
    # Rerun again with the new state: ACME-2 is reused, ACME-1 stays as history.
    sheet2, lines2 = record_orders(again, sheet, lines)
    assert sheet2["po_number"].tolist() == [
        "PO-20261127-ACME-2", "PO-20261127-FABRIC-1", "PO-20261127-NORTHERN-1", "PO-20261127-ACME-1"]
    assert set(lines2["po_number"]) == set(sheet2["po_number"])
    third, _ = draft(changed, previous_orders=sheet2, previous_lines=lines2)
    assert third[0].po_number == "PO-20261127-ACME-2"
    # Back to the sent lines: the sent PO is recognised again.
    fourth, _ = draft(SHOP, previous_orders=sheet2, previous_lines=lines2)
    assert (fourth[0].po_number, fourth[0].status) == ("PO-20261127-ACME-1", "SENT 2026-11-27 14:03")


@pytest.mark.parametrize("status", ["DRAFTED", "NOT SENT: the server refused orders@acme.example: 550 no"])
def test_unsent_draft_with_other_lines_is_replaced(status):
    first, _ = draft(SHOP)
    sheet, lines = rerun(first, {"PO-20261127-ACME-1": status})
    changed = SHOP.copy()
    changed.loc[changed["sku"] == "A2", "order_qty"] = 99
    again, _ = draft(changed, previous_orders=sheet, previous_lines=lines)
    assert (again[0].po_number, again[0].status) == ("PO-20261127-ACME-1", "DRAFTED")
    _, lines2 = record_orders(again, sheet, lines)
    got = lines2[lines2["po_number"] == "PO-20261127-ACME-1"].set_index("sku")["quantity"].to_dict()
    assert got == {"A1": 24.0, "A2": 99.0}  # the record holds the replacement


def test_another_day_starts_again_at_one():
    first, _ = draft(SHOP)
    sheet, lines = rerun(first, {o.po_number: "SENT 2026-11-27 14:03" for o in first})
    later, _ = draft(SHOP, day=DAY + dt.timedelta(days=1), previous_orders=sheet, previous_lines=lines)
    assert [o.po_number for o in later] == ["PO-20261128-ACME-1", "PO-20261128-FABRIC-1", "PO-20261128-NORTHERN-1"]


def test_suppliers_sharing_a_code_get_different_numbers():
    suppliers = make_suppliers(("Acme Tools", "", "t@acme.example", 1.0, 0.0),
                               ("Acme Paints", "", "p@acme.example", 1.0, 0.0))
    reorder = make_reorder(("T1", "Acme Tools", 1, 1.0), ("P1", "Acme Paints", 1, 1.0))
    first, _ = draft(reorder, suppliers)
    assert [(o.supplier, o.po_number) for o in first] == [("Acme Paints", "PO-20261127-ACME-1"),
                                                          ("Acme Tools", "PO-20261127-ACME-2")]
    sheet, lines = rerun(first)
    again, _ = draft(reorder, suppliers, previous_orders=sheet, previous_lines=lines)
    assert [o.po_number for o in again] == [o.po_number for o in first]


def test_sent_order_without_line_record_is_matched_by_count_and_value():
    first, _ = draft(SHOP)
    sheet, _ = rerun(first, {"PO-20261127-ACME-1": "sent"})
    again, _ = draft(SHOP, previous_orders=sheet, previous_lines=None)
    assert (again[0].po_number, again[0].status) == ("PO-20261127-ACME-1", "sent")
    changed = SHOP.copy()
    changed.loc[changed["sku"] == "A2", "order_qty"] = 11
    assert draft(changed, previous_orders=sheet)[0][0].po_number == "PO-20261127-ACME-2"


def test_record_orders_keeps_sent_history_and_drops_stale_drafts():
    first, _ = draft(SHOP)
    sheet, lines = rerun(first, {"PO-20261127-NORTHERN-1": "SENT 2026-11-27 09:00"})
    only_acme = make_reorder(("A1", "Acme Tools Ltd", 24, 4.5))
    again, _ = draft(only_acme, day=DAY + dt.timedelta(days=1), previous_orders=sheet, previous_lines=lines)
    again[0].order_file, again[0].email_draft = "orders/x.xlsx", "orders/x.eml"
    rows, kept_lines = record_orders(again, sheet, lines)
    assert rows.columns.tolist() == K.ORDERS.fields
    assert rows["po_number"].tolist() == ["PO-20261128-ACME-1", "PO-20261127-NORTHERN-1"]
    assert rows.iloc[0][["lines", "order_value", "meets_minimum", "order_file", "status"]].tolist() == [
        1, 108.0, "No", "orders/x.xlsx", "DRAFTED"]
    assert kept_lines.columns.tolist() == list(po.ORDER_LINE_FIELDS)
    assert kept_lines[["po_number", "sku", "quantity"]].values.tolist() == [
        ["PO-20261128-ACME-1", "A1", 24.0], ["PO-20261127-NORTHERN-1", "N1", 6.0]]


def test_order_lines_sheet_matches_its_fields():
    assert ORDER_LINES.fields == list(po.ORDER_LINE_FIELDS)
    assert ORDER_LINES.role == "output"


# ---------------------------------------------------------------------------------
# Open orders
# ---------------------------------------------------------------------------------
def sent_shop(day: dt.date = DAY):
    orders, _ = draft(SHOP, day=day)
    return rerun(orders, {o.po_number: f"SENT {day} 10:00" for o in orders if o.supplier != "Fabric House"})


def receipts(*rows: tuple) -> pd.DataFrame:
    """Receipts as (po_number, sku, quantity, received[, supplier, ordered])."""
    frame = pd.DataFrame([{"po_number": r[0], "sku": r[1], "quantity": r[2], "received": pd.Timestamp(r[3]),
                           "supplier": r[4] if len(r) > 4 else "", "ordered": pd.Timestamp(r[5]) if len(r) > 5
                           else pd.NaT} for r in rows], columns=K.RECEIPTS.fields)
    frame["row"] = np.arange(2, len(frame) + 2)
    return frame


def test_sent_orders_are_open_until_received():
    sheet, lines = sent_shop()
    got, issues = open_order_quantities(sheet, lines, receipts(), DAY)
    assert issues == []
    assert got.columns.tolist() == ["sku", "open_qty", "po_number", "reason"]
    assert got.set_index("sku")["open_qty"].to_dict() == {"A1": 24.0, "A2": 10.0, "N1": 6.0}  # F1 never sent
    assert got.set_index("sku").loc["N1", "reason"] == "6 on PO-20261127-NORTHERN-1 not yet received"


def test_partial_receipts_leave_the_rest_open():
    sheet, lines = sent_shop()
    rc = receipts(("PO-20261127-ACME-1", "A1", 20, "2026-11-30"),
                  ("po-20261127-acme-1 ", "A2", 10, "2026-11-30"),    # typed in lower case: still matches
                  ("PO-20261127-ACME-1", "A1", 1, "2026-12-01"),
                  ("PO-20261127-NORTHERN-1", "N1", 9, "2026-12-24"),  # after the plan date: not yet
                  ("PO-20261127-NORTHERN-1", "ZZ", 1, "2026-11-30"),  # not on that PO
                  ("OTHER-7", "N1", 6, "2026-11-30"))                 # someone else's order
    got, issues = open_order_quantities(sheet, lines, rc, dt.date(2026, 12, 1))
    assert got.set_index("sku")["open_qty"].to_dict() == {"A1": 3.0, "N1": 6.0}
    assert [(i.sheet, i.cell, i.sku) for i in issues] == [("Receipts", "C6", "ZZ")]


def test_several_open_orders_for_one_sku_add_up():
    sheet, lines = sent_shop()
    orders2, _ = draft(make_reorder(("A1", "Acme Tools Ltd", 6, 4.5)), day=DAY + dt.timedelta(days=2))
    sheet2, lines2 = record_orders([*orders2], sheet, lines)
    sheet2.loc[0, "status"] = "SENT 2026-11-29 08:00"
    got, _ = open_order_quantities(sheet2, lines2, receipts(), DAY + dt.timedelta(days=3))
    a1 = got.set_index("sku").loc["A1"]
    assert a1["open_qty"] == 30.0
    assert a1["po_number"] == "PO-20261129-ACME-1, PO-20261127-ACME-1"
    assert a1["reason"] == "6 on PO-20261129-ACME-1 and 24 on PO-20261127-ACME-1 not yet received"


def test_overdue_orders_are_reported_and_no_longer_counted():
    sheet, lines = sent_shop()
    # Acme's lead time is 5 days (recorded with the order): overdue after 15 days; Northern's 10: after 30.
    got, issues = open_order_quantities(sheet, lines, receipts(), DAY + dt.timedelta(days=16))
    assert got["sku"].tolist() == ["N1"]
    assert [(i.sheet, i.cell) for i in issues] == [("Orders", "A2")]
    assert "PO-20261127-ACME-1" in issues[0].problem and "16 days ago" in issues[0].problem
    assert "34 units are still not received" in issues[0].problem
    on_day_15, issues15 = open_order_quantities(sheet, lines, receipts(), DAY + dt.timedelta(days=15))
    assert sorted(on_day_15["sku"]) == ["A1", "A2", "N1"] and issues15 == []


def test_overdue_uses_given_lead_times_when_none_is_recorded():
    sheet, lines = sent_shop()
    lines = lines.assign(lead_time_days=NAN, order_date=pd.NaT)  # date comes from the PO number
    got, issues = open_order_quantities(sheet, lines, receipts(), DAY + dt.timedelta(days=7),
                                        make_suppliers(("Acme Tools Ltd", "", "", 2.0, 0.0)))
    assert got["sku"].tolist() == ["N1"]  # Northern has no lead time: never overdue
    assert len(issues) == 1


def test_fully_received_order_is_closed_even_when_old():
    sheet, lines = sent_shop()
    rc = receipts(("PO-20261127-ACME-1", "A1", 24, "2026-11-30"), ("PO-20261127-ACME-1", "A2", 12, "2026-11-30"))
    got, issues = open_order_quantities(sheet, lines, rc, DAY + dt.timedelta(days=100))
    assert "A1" not in set(got["sku"]) and "A2" not in set(got["sku"])
    assert [i.problem.split(" ")[0] for i in issues] == ["PO-20261127-NORTHERN-1"]


def test_sent_order_without_lines_is_reported():
    sheet, lines = sent_shop()
    got, issues = open_order_quantities(sheet, lines[lines["po_number"] != "PO-20261127-ACME-1"], receipts(), DAY)
    assert got["sku"].tolist() == ["N1"]
    assert len(issues) == 1 and "not on record" in issues[0].problem


def test_no_sent_orders_nothing_open():
    got, issues = open_order_quantities(pd.DataFrame(columns=K.ORDERS.fields), None, None, DAY)
    assert got.empty and issues == []


# ---------------------------------------------------------------------------------
# Measured lead times
# ---------------------------------------------------------------------------------
def test_measured_lead_times_against_a_hand_computation():
    rc = receipts(
        ("PO-1", "A1", 5, "2026-01-06", "Acme Tools Ltd", "2026-01-01"),   # 5 days
        ("PO-2", "A1", 5, "2026-02-04", "Acme Tools Ltd", "2026-02-01"),   # split delivery:
        ("PO-2", "A2", 5, "2026-02-10", "acme tools ltd", "2026-02-01"),   # last one counts: 9 days
        ("PO-3", "A1", 5, "2026-03-05", "Acme Tools Ltd", "2026-03-01"),   # 4 days
        ("", "A1", 5, "2026-04-08", "Acme Tools Ltd", "2026-04-01"),       # no PO number: 7 days
        ("", "A2", 5, "2026-04-08", "Acme Tools Ltd", "2026-04-01"),       # same order as above
        ("PO-9", "N1", 5, "2026-03-11", "Northern Paints", "2026-03-01"),  # only two orders
        ("PO-8", "N1", 5, "2026-04-13", "Northern Paints", "2026-04-01"),
        ("PO-7", "N1", 5, "2026-03-01", "Northern Paints", "2026-03-05"),  # received before ordered: left out
        ("PO-6", "N1", 5, "2026-03-01", "", "2026-02-01"),                 # no supplier: left out
    )
    got = measured_lead_times(rc, promised=make_suppliers()).set_index("supplier")
    days = [5, 9, 4, 7]
    mean = sum(days) / 4                                                # 6.25
    std = math.sqrt(sum((d - mean) ** 2 for d in days) / 3)             # sample std, n − 1
    acme = got.loc["Acme Tools Ltd"]
    assert acme["orders"] == 4
    assert acme["lead_time_days"] == pytest.approx(mean)
    assert acme["lead_time_std_days"] == pytest.approx(std)
    assert acme["promised_lead_time_days"] == 5.0
    assert acme["on_time_share"] == pytest.approx(2 / 4)               # 5 and 4 days are within 5
    northern = got.loc["Northern Paints"]
    assert northern["orders"] == 2 and math.isnan(northern["lead_time_days"])
    assert northern["on_time_share"] == pytest.approx(1 / 2)           # 10 ≤ 10, 12 > 10
    assert got.index.tolist() == ["Acme Tools Ltd", "Northern Paints"]
    assert measured_lead_times(rc, min_orders=2).loc[1, "lead_time_days"] == 11.0
    assert [(i.cell, i.sku) for i in receipt_issues(rc)] == [("E10", "N1")]


def test_measured_lead_times_of_nothing():
    got = measured_lead_times(receipts())
    assert got.empty and got.columns.tolist() == ["supplier", "orders", "lead_time_days", "lead_time_std_days",
                                                  "promised_lead_time_days", "on_time_share"]
    assert measured_lead_times(pd.DataFrame()).empty


# ---------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------
def test_order_settings_defaults_and_labels():
    s = OrderSettings()
    assert (s.order_folder, s.smtp_host, s.smtp_port, s.smtp_security, s.smtp_user, s.email_from) == (
        "orders", "", 587, "starttls", "", "")
    assert s.email_subject == "Purchase order {po_number} from {business_name}"
    labels = {f.alias for f in OrderSettingsFields.model_fields.values()}
    assert labels == {"Order Folder", "SMTP Host", "SMTP Port", "SMTP Security", "SMTP User", "Email From",
                      "Email Subject", "Email Body"}
    assert all(f.description for f in OrderSettingsFields.model_fields.values())
    assert not any("password" in name for name in OrderSettingsFields.model_fields)


def test_order_settings_merge_into_the_workbook_settings():
    class Merged(Settings, OrderSettingsFields):
        pass

    m = Merged.from_rows({"SMTP Port": 465.0, "SMTP Security": "SSL", "Business Name": "Corner Shop",
                          "Email From": "shop@corner.example", "SMTP Password": "never read"})
    assert (m.smtp_port, m.smtp_security, m.business_name, m.email_from) == (465, "ssl", "Corner Shop",
                                                                             "shop@corner.example")
    assert "SMTP Host" in [label for label, _, _ in Merged.rows()]


@pytest.mark.parametrize("label, value", [
    ("SMTP Security", "tls"), ("SMTP Port", 0), ("SMTP Port", 70000), ("SMTP Port", 25.5),
    ("Email From", "me@shop.example\nBcc: x@y.example"), ("Email From", "a@x.example; b@y.example"),
    ("SMTP Host", "smtp.x.example\r\nRCPT"), ("SMTP User", "me\nyou"), ("Email Subject", "Order {po_numbr}"),
    ("Email Body", "Hello {supplier.__class__}"), ("Email Subject", "   "),
])
def test_order_settings_refuse_bad_values(label, value):
    with pytest.raises(ValidationError):
        OrderSettings.model_validate({label: value})


def test_subject_template_is_made_one_line_and_numbers_read_as_text():
    s = OrderSettings.model_validate({"Email Subject": "PO {po_number}\r\nBcc: evil@x.example", "SMTP User": 12345.0})
    assert s.email_subject == "PO {po_number} Bcc: evil@x.example"
    assert s.smtp_user == "12345"


def test_doctests():
    for module in (po, safety):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__
