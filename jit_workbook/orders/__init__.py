"""Supplier purchase orders: drafted from the Reorder sheet, written as files, emailed.

* :mod:`.po` — pure planning: one :class:`~.po.PurchaseOrder` per supplier with a
  stable PO number (:func:`~.po.draft_orders`), the Orders sheet and order-lines
  rows to save (:func:`~.po.record_orders`), quantities still on the way
  (:func:`~.po.open_order_quantities`), measured lead times
  (:func:`~.po.measured_lead_times`), and the settings (:class:`~.po.OrderSettingsFields`).
* :mod:`.documents` — the order sheet (.xlsx) and PDF.
* :mod:`.email` — the .eml draft and SMTP sending.
* :mod:`.safety` — workbook text made safe for file names, paths and mail headers.

Typical use (the ``orders`` action)::

    orders, issues = po.draft_orders(reorder, suppliers, stock, business_name=..., currency=...,
                                      order_date=..., previous_orders=..., previous_lines=...)
    for order in orders:
        xlsx, pdf, eml = safety.order_paths(folder, order.order_date, order)
        if not order.sent:   # what was sent stays as it was sent
            documents.write_order_xlsx(order, xlsx, business_name)
            documents.write_order_pdf(order, pdf, business_name)
            if order.email:
                email.write_eml(email.build_draft(order, settings, [xlsx, pdf]), eml)
"""

from .po import (
    OrderSettings,
    OrderSettingsFields,
    PurchaseOrder,
    draft_orders,
    measured_lead_times,
    open_order_quantities,
    record_orders,
)

__all__ = [
    "OrderSettings",
    "OrderSettingsFields",
    "PurchaseOrder",
    "draft_orders",
    "measured_lead_times",
    "open_order_quantities",
    "record_orders",
]
