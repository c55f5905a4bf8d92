"""Purchase orders: from the Reorder sheet to one order per supplier, and back again.

Pure functions over DataFrames, no files and no Excel:

* :func:`draft_orders` groups the rows to order by supplier into
  :class:`PurchaseOrder` s with stable PO numbers;
* :func:`record_orders` gives the rows of the ``Orders`` sheet and of the order-lines
  record (:data:`ORDER_LINES`) that must be saved with the workbook;
* :func:`open_order_quantities` says what sent orders still have on the way;
* :func:`measured_lead_times` measures each supplier's real lead time from Receipts.

The settings this adds live in :mod:`jit_workbook.order_settings`, below both this
package and :mod:`jit_workbook.settings`, whose ``Settings`` model inherits them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .. import contract as K
from ..errors import Issue
from ..money import format_money
from ..order_settings import (  # noqa: F401  (re-exported: the order API lives here)
    DEFAULT_BODY, DEFAULT_SUBJECT, PLACEHOLDER_RE, PLACEHOLDERS, SMTP_SECURITY, OrderSettings, OrderSettingsFields,
    render, unknown_placeholders)
from .safety import PO_NUMBER, clean_text, email_address, header_text

DO_NOT_REORDER = "DO NOT REORDER"
DRAFTED = "DRAFTED"
CANCELLED = "CANCELLED"
OVERDUE_FACTOR = 3  # an order older than 3 × its lead time is overdue, no longer counted as on order
LINE_FIELDS = ("sku", "barcode", "description", "quantity", "unit_cost", "line_total")
ORDER_LINE_FIELDS = ("po_number", "supplier", "order_date", "lead_time_days", "sku", "quantity", "unit_cost")

# The record of what each drafted PO holds, to be saved in the workbook beside the
# Orders sheet (a hidden output sheet is proposed). Defined with the contract's types
# so the lead can move it into contract.py as is and read it back with parse_sheet.
ORDER_LINES = K.ORDER_LINES

# ---------------------------------------------------------------------------------
# Purchase orders
# ---------------------------------------------------------------------------------
@dataclass
class PurchaseOrder:
    """One purchase order to one supplier.

    po_number: ``PO-YYYYMMDD-CODE-n`` (see :func:`draft_orders` for how n is chosen).
    supplier, contact: as on the Suppliers sheet (contact made one line).
    email: the supplier's validated address, or "" when it has none or it was refused.
    lines: DataFrame with :data:`LINE_FIELDS` — sku, barcode, description (str),
        quantity (units), unit_cost and line_total = quantity × unit_cost rounded to
        the cent (money; NaN when the cost is blank).
    order_value: sum of the line totals (money; blank costs count 0).
    min_order_value: the supplier's minimum (money; NaN when none).
    meets_minimum: order_value ≥ min_order_value (True when there is no minimum).
    order_date, delivery_date: delivery = order date + the supplier's lead time in
        whole days rounded up; None when no lead time is known.
    lead_time_days: the lead time used (days; NaN when none).
    currency: ISO code, e.g. GBP.
    status: ``DRAFTED``, or a previous ``SENT 2026-11-27 14:03`` (or ``CANCELLED``) carried over.
    order_file, email_draft: paths for the Orders sheet, filled in by the caller.
    """

    po_number: str
    supplier: str
    contact: str
    email: str
    lines: pd.DataFrame
    order_value: float
    min_order_value: float
    meets_minimum: bool
    order_date: dt.date
    delivery_date: dt.date | None
    currency: str
    lead_time_days: float = math.nan
    status: str = DRAFTED
    order_file: str = ""
    email_draft: str = ""

    @property
    def sent(self) -> bool:
        """True when the status says the order was sent (it is never sent again)."""
        return is_sent(self.status)

    @property
    def fingerprint(self) -> tuple[tuple[str, float], ...]:
        """The order's identity within a day: its (SKU, quantity) pairs, sorted."""
        return _fingerprint(self.lines["sku"], self.lines["quantity"])


def is_sent(status: Any) -> bool:
    """A status that starts with SENT (any case): the order went to the supplier.

    >>> is_sent("SENT 2026-11-27 14:03"), is_sent("sent"), is_sent("NOT SENT: refused"), is_sent(None)
    (True, True, False, False)
    """
    return isinstance(status, str) and status.strip().upper().startswith("SENT")


def is_cancelled(status: Any) -> bool:
    """The owner marked the order CANCELLED (any case): it is not sent and not on order."""
    return isinstance(status, str) and status.strip().upper() == CANCELLED


def _fingerprint(skus: Any, quantities: Any) -> tuple[tuple[str, float], ...]:
    totals: dict[str, float] = {}
    for s, q in zip(skus, quantities):
        q = float(q) if q is not None and q == q else 0.0
        totals[str(s).strip()] = totals.get(str(s).strip(), 0.0) + q
    return tuple(sorted((s, round(q, 6)) for s, q in totals.items() if q))


def supplier_code(name: str, max_len: int = 8) -> str:
    """The supplier part of a PO number: upper-case ASCII letters and digits of the
    name's first word (the whole name when that word is under 3 characters), at most
    ``max_len``; ``SUP`` when nothing is left. Two suppliers may share a code: the
    running number ``n`` keeps their PO numbers apart.

    >>> [supplier_code(n) for n in ("Acme Tools Ltd", "3M UK", "Müller & Söhne", "東京")]
    ['ACME', '3MUK', 'MULLER', 'SUP']
    """
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().upper()
    words = [re.sub(r"[^A-Z0-9]", "", w) for w in ascii_name.split()]
    words = [w for w in words if w]
    if not words:
        return "SUP"
    code = words[0] if len(words[0]) >= 3 else "".join(words)
    return code[:max_len]


def _text(s: Any) -> pd.Series:
    return pd.Series(s, dtype=object).map(lambda v: clean_text(v).strip())


def _key(name: Any) -> str:
    """How supplier names are matched: case and spacing do not matter."""
    return " ".join(clean_text(name).split()).casefold()


def _number(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f if math.isfinite(f) else math.nan


def _excel_rows(frame: pd.DataFrame) -> pd.Series:
    """One-based sheet rows: the frame's ``row`` column when it has one (as parsed),
    else its position + 2 (written from row 2)."""
    if "row" in frame:
        return pd.to_numeric(frame["row"], errors="coerce").fillna(0).astype(int).reset_index(drop=True)
    return pd.Series(np.arange(2, len(frame) + 2), dtype=int)


def _preview(items: list[str], n: int = 3) -> str:
    shown = ", ".join(items[:n])
    return shown + (f" and {len(items) - n} more" if len(items) > n else "")


@dataclass
class _Previous:
    po_number: str
    supplier_key: str
    status: str
    day: str
    code: str
    n: int
    lines: float
    order_value: float
    fingerprint: tuple | None


def _previous(previous_orders: pd.DataFrame | None, previous_lines: pd.DataFrame | None) -> list[_Previous]:
    if previous_orders is None or len(previous_orders) == 0 or "po_number" not in previous_orders:
        return []
    prints: dict[str, tuple] = {}
    if previous_lines is not None and len(previous_lines) and {"po_number", "sku", "quantity"} <= set(previous_lines):
        pl = previous_lines.assign(po=_text(previous_lines["po_number"].to_numpy()).str.upper().to_numpy())
        for po, group in pl.groupby("po", sort=False):
            prints[po] = _fingerprint(group["sku"], pd.to_numeric(group["quantity"], errors="coerce"))
    out = []
    for rec in previous_orders.to_dict("records"):
        po = clean_text(rec.get("po_number")).strip().upper()
        m = PO_NUMBER.fullmatch(po)
        if not m:
            continue
        out.append(_Previous(po, _key(rec.get("supplier")), clean_text(rec.get("status")).strip(),
                             m.group("date"), m.group("code"), int(m.group("n")),
                             _number(rec.get("lines")), _number(rec.get("order_value")), prints.get(po)))
    return out


def _choose_po_number(supplier_key: str, code: str, day: str, fingerprint: tuple, order_value: float,
                      previous: list[_Previous], taken: set[str]) -> tuple[str, str]:
    """(PO number, status) for one supplier's new order; see :func:`draft_orders`."""
    mine = [p for p in previous if p.day == day and p.supplier_key == supplier_key and p.po_number not in taken]
    mine.sort(key=lambda p: p.n, reverse=True)

    def same(p: _Previous) -> bool:
        if p.fingerprint is not None:
            return p.fingerprint == fingerprint
        # No line record for it: same number of lines and the same value to the penny.
        return p.lines == len(fingerprint) and abs(p.order_value - order_value) < 0.005

    for p in mine:
        if same(p):
            return p.po_number, (p.status if is_sent(p.status) or is_cancelled(p.status) else DRAFTED)
    for p in mine:
        if not is_sent(p.status):
            return p.po_number, DRAFTED
    prefix = f"PO-{day}-{code}-"
    used = {p.n for p in previous if p.day == day and p.code == code}
    used |= {int(t.rsplit("-", 1)[1]) for t in taken if t.startswith(prefix)}
    return f"{prefix}{max(used, default=0) + 1}", DRAFTED


def draft_orders(reorder: pd.DataFrame, suppliers: pd.DataFrame, stock: pd.DataFrame | None = None, *,
                 business_name: str, currency: str, order_date: dt.date,
                 previous_orders: pd.DataFrame | None = None,
                 previous_lines: pd.DataFrame | None = None) -> tuple[list[PurchaseOrder], list[Issue]]:
    """One purchase order per supplier from the rows of the Reorder sheet to order.

    A row is ordered when its ``order_qty`` (the owner's edits included) is above 0
    and its ``status`` is not ``DO NOT REORDER``. Rows are grouped by supplier
    (matched to the Suppliers sheet ignoring case and spacing); orders come sorted by
    supplier name, lines in Reorder order.

    PO numbers: ``PO-<order date YYYYMMDD>-<supplier code>-<n>`` (:func:`supplier_code`).
    For each supplier, among the previous orders of the same supplier and day:

    1. one with the same lines (same SKUs, same quantities) keeps its number — and,
       when it was SENT, its ``SENT …`` status, so a rerun never sends it again (or
       CANCELLED, when the owner marked it so: it is not sent either);
    2. else one that was never sent (DRAFTED or NOT SENT) gives its number to the new
       draft, which replaces it (its files are overwritten; a draft nobody sent is not
       an order, so it is not worth a number of its own);
    3. else (every earlier order that day was sent) the next n after the highest
       number used that day with the same code, by any supplier.

    "Same lines" is decided from ``previous_lines`` (the order-lines record); a PO
    with no record there counts as the same when its Orders row shows the same
    number of lines and the same Order Value to the penny. With no previous orders
    every supplier starts at n = 1, so reruns are stable without any record too.

    Parameters
    ----------
    reorder : DataFrame
        The Reorder sheet: ``sku``, ``description``, ``supplier``, ``order_qty``
        (units), ``status``, ``lead_time_days`` (days); ``unit_cost`` (money) and
        ``barcode`` when present (the plan's extras), else taken from ``stock``.
        Excel rows are the ``row`` column, else position + 2.
    suppliers : DataFrame
        The Suppliers sheet (``contract.SUPPLIERS.fields``, ``row`` optional).
    stock : DataFrame or None
        The Stock sheet; fills blank barcode, description and unit cost by SKU and
        gives Stock cells for problems.
    business_name, currency : str
        Printed on the order (currency: ISO code).
    order_date : date
        The order's date (the plan's As Of Date).
    previous_orders : DataFrame or None
        The Orders sheet as it is (``contract.ORDERS.fields``); may be empty.
    previous_lines : DataFrame or None
        The order-lines record (:data:`ORDER_LINES` fields); may be empty.

    Returns
    -------
    (orders, issues)
        ``issues`` (sheet, cell, sku, problem) for: an unknown or blank supplier
        (no order drafted), a supplier without a usable email address (order drafted
        with ``email`` "" — no email draft, never sent), a line without a unit cost
        (line total blank), an order row without SKU (skipped) and a supplier left
        with no lines (no order).

    >>> reorder = pd.DataFrame({"sku": ["P1", "P2", "P3"], "description": ["Paint", "Brush", "Tape"],
    ...     "supplier": ["Acme", "acme ", "Acme"], "order_qty": [24, 6, 0], "status": ["REORDER"] * 3,
    ...     "lead_time_days": [5.0] * 3, "unit_cost": [4.0, 2.5, 1.0], "barcode": ["", "", ""]})
    >>> suppliers = pd.DataFrame({"supplier": ["Acme"], "contact": ["Sam"], "email": ["sam@acme.example"],
    ...     "lead_time_days": [4.5], "lead_time_std_days": [1.0], "min_order_value": [150.0], "notes": [""]})
    >>> orders, issues = draft_orders(reorder, suppliers, business_name="My Shop", currency="GBP",
    ...                               order_date=dt.date(2026, 11, 27))
    >>> o = orders[0]
    >>> o.po_number, o.lines["sku"].tolist(), o.order_value, o.meets_minimum, o.delivery_date
    ('PO-20261127-ACME-1', ['P1', 'P2'], 111.0, False, datetime.date(2026, 12, 2))
    """
    issues: list[Issue] = []
    r = reorder.reset_index(drop=True)
    rows = _excel_rows(r)
    qty = pd.to_numeric(r["order_qty"], errors="coerce").fillna(0.0).astype(float)
    status = _text(r["status"].to_numpy()).str.upper() if "status" in r else pd.Series("", index=r.index)
    wanted = (qty > 0) & status.ne(DO_NOT_REORDER)
    sku = _text(r["sku"].to_numpy())

    st_by_sku: dict[str, dict] = {}
    if stock is not None and len(stock):
        st = stock.reset_index(drop=True)
        st_rows = _excel_rows(st)
        for i, rec in enumerate(st.to_dict("records")):
            st_by_sku.setdefault(clean_text(rec.get("sku")).strip(), {**rec, "row": int(st_rows[i])})

    sup = suppliers.reset_index(drop=True)
    sup_rows = _excel_rows(sup)
    sup_by_key: dict[str, dict] = {}
    for i, rec in enumerate(sup.to_dict("records")):
        k = _key(rec.get("supplier"))
        if k:
            sup_by_key.setdefault(k, {**rec, "row": int(sup_rows[i])})

    def stock_value(s: str, fld: str) -> Any:
        return st_by_sku.get(s, {}).get(fld)

    groups: dict[str, list[int]] = {}
    for i in np.flatnonzero(wanted.to_numpy()):
        if not sku[i]:
            issues.append(Issue(K.REORDER.name, K.REORDER.cell("sku", int(rows[i])), "",
                                f"Order Qty {qty[i]:g} on a row without SKU; not ordered"))
            continue
        groups.setdefault(_key(r.at[i, "supplier"]), []).append(int(i))

    previous = _previous(previous_orders, previous_lines)
    taken: set[str] = set()
    day = order_date.strftime("%Y%m%d")
    orders: list[PurchaseOrder] = []
    for key in sorted(groups):
        idx = groups[key]
        skus = [sku[i] for i in idx]
        name = clean_text(r.at[idx[0], "supplier"]).strip()
        if key not in sup_by_key:
            first = st_by_sku.get(skus[0])
            cell = K.STOCK.cell("supplier", first["row"]) if first else ""
            what = ("have no supplier" if not key
                    else f'name supplier "{header_text(name, 40)}", which is not on Suppliers')
            issues.append(Issue(K.STOCK.name if first else K.REORDER.name, cell, skus[0] if len(idx) == 1 else "",
                                f"{len(idx)} SKU{'s' if len(idx) > 1 else ''} to order ({_preview(skus)}) {what}; "
                                "no order drafted: add the supplier with its Email to the Suppliers sheet"))
            continue
        srec = sup_by_key[key]
        supplier = header_text(srec.get("supplier"), 200)

        lines = []
        for i in idx:
            s = sku[i]
            unit_cost = _number(r.at[i, "unit_cost"]) if "unit_cost" in r else math.nan
            if math.isnan(unit_cost):
                unit_cost = _number(stock_value(s, "unit_cost"))
            barcode = clean_text(r.at[i, "barcode"]).strip() if "barcode" in r else ""
            description = clean_text(r.at[i, "description"]).strip() if "description" in r else ""
            lines.append({
                "sku": s,
                "barcode": barcode or clean_text(stock_value(s, "barcode")).strip(),
                "description": description or clean_text(stock_value(s, "description")).strip(),
                "quantity": float(qty[i]),
                "unit_cost": unit_cost,
                "line_total": round(float(qty[i]) * unit_cost, 2),
            })
            if math.isnan(unit_cost):
                srow = st_by_sku.get(s, {}).get("row")
                issues.append(Issue(K.STOCK.name, K.STOCK.cell("unit_cost", srow) if srow else "", s,
                                    f"no Unit Cost for {s}: it is on the order to {supplier} with a blank "
                                    "price and line total; fill its Unit Cost"))
        frame = pd.DataFrame(lines, columns=list(LINE_FIELDS))
        frame = frame.astype({"sku": object, "barcode": object, "description": object,
                              "quantity": float, "unit_cost": float, "line_total": float})
        if frame.empty:
            issues.append(Issue(K.SUPPLIERS.name, K.SUPPLIERS.cell("supplier", srec["row"]), "",
                                f"the order to {supplier} has no lines; no order drafted"))
            continue

        email = ""
        email_cell = K.SUPPLIERS.cell("email", srec["row"])
        raw_email = srec.get("email")
        if clean_text(raw_email).strip() == "":
            issues.append(Issue(K.SUPPLIERS.name, email_cell, "",
                                f"{supplier} has no Email: its order sheet and PDF are made, but no email "
                                f"draft and nothing is sent; add the address at Suppliers!{email_cell}"))
        else:
            try:
                email = email_address(raw_email)
            except ValueError as exc:
                issues.append(Issue(K.SUPPLIERS.name, email_cell, "",
                                    f"Email for {supplier} refused: {exc}; its order is made but no email "
                                    "draft and nothing is sent"))

        lead = _number(srec.get("lead_time_days"))
        if math.isnan(lead) and "lead_time_days" in r:
            line_leads = pd.to_numeric(r.loc[idx, "lead_time_days"], errors="coerce")
            lead = float(line_leads.max()) if line_leads.notna().any() else math.nan
        delivery = None if math.isnan(lead) or lead < 0 else order_date + dt.timedelta(days=math.ceil(lead - 1e-9))
        order_value = round(float(frame["line_total"].sum(skipna=True)), 2)
        minimum = _number(srec.get("min_order_value"))
        fingerprint = _fingerprint(frame["sku"], frame["quantity"])
        po_number, po_status = _choose_po_number(key, supplier_code(supplier), day, fingerprint, order_value,
                                                 previous, taken)
        taken.add(po_number)
        orders.append(PurchaseOrder(
            po_number=po_number, supplier=supplier, contact=header_text(srec.get("contact"), 200),
            email=email, lines=frame, order_value=order_value, min_order_value=minimum,
            meets_minimum=bool(math.isnan(minimum) or order_value + 0.005 >= minimum),
            order_date=order_date, delivery_date=delivery, currency=currency, lead_time_days=lead,
            status=po_status))
    return orders, issues


# ---------------------------------------------------------------------------------
# What to save
# ---------------------------------------------------------------------------------
def order_lines_frame(orders: list[PurchaseOrder]) -> pd.DataFrame:
    """The order-lines record for these orders (:data:`ORDER_LINES` fields), one row per line."""
    frames = [pd.DataFrame({
        "po_number": o.po_number, "supplier": o.supplier,
        "order_date": pd.Timestamp(o.order_date), "lead_time_days": o.lead_time_days,
        "sku": o.lines["sku"].to_numpy(dtype=object), "quantity": o.lines["quantity"].to_numpy(dtype=float),
        "unit_cost": o.lines["unit_cost"].to_numpy(dtype=float)}) for o in orders if len(o.lines)]
    if not frames:
        return _empty_lines()
    return pd.concat(frames, ignore_index=True)[list(ORDER_LINE_FIELDS)]


def _empty_lines() -> pd.DataFrame:
    return pd.DataFrame({"po_number": pd.Series(dtype=object), "supplier": pd.Series(dtype=object),
                         "order_date": pd.Series(dtype="datetime64[ns]"), "lead_time_days": pd.Series(dtype=float),
                         "sku": pd.Series(dtype=object), "quantity": pd.Series(dtype=float),
                         "unit_cost": pd.Series(dtype=float)})


def record_orders(orders: list[PurchaseOrder], previous_orders: pd.DataFrame | None = None,
                  previous_lines: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The new ``Orders`` sheet rows and order-lines record after drafting (or sending).

    Rows: this run's orders (with their ``status``, ``order_file``, ``email_draft``),
    then every previous row marked SENT whose PO number this run did not produce (the
    history that :func:`open_order_quantities` needs), in their previous order.
    Previous rows never sent and not redrafted are dropped: a stale draft is not an
    order (its files stay on disk). The order-lines record keeps the lines of every
    PO on the new sheet: this run's from the orders, the rest from ``previous_lines``.

    Returns
    -------
    (orders_rows, lines_rows): ``contract.ORDERS.fields`` (meets_minimum "Yes"/"No",
    min_order_value NaN when none) and :data:`ORDER_LINE_FIELDS`.
    """
    new = pd.DataFrame([{
        "po_number": o.po_number, "supplier": o.supplier, "email": o.email, "lines": len(o.lines),
        "order_value": o.order_value, "min_order_value": o.min_order_value,
        "meets_minimum": "Yes" if o.meets_minimum else "No", "order_file": o.order_file,
        "email_draft": o.email_draft, "status": o.status} for o in orders], columns=K.ORDERS.fields)
    mine = {o.po_number for o in orders}
    kept = pd.DataFrame(columns=K.ORDERS.fields)
    if previous_orders is not None and len(previous_orders) and "po_number" in previous_orders:
        prev = previous_orders.reindex(columns=K.ORDERS.fields)
        po = _text(prev["po_number"].to_numpy()).str.upper()
        keep = prev["status"].map(is_sent).to_numpy() & ~po.isin(mine).to_numpy() & po.ne("").to_numpy()
        kept = prev[keep].assign(po_number=po[keep].to_numpy())
    rows = pd.concat([f for f in (new, kept) if len(f)], ignore_index=True) if len(new) or len(kept) else new
    rows = rows.astype({"lines": float, "order_value": float, "min_order_value": float})
    lines = order_lines_frame(orders)
    if previous_lines is not None and len(previous_lines) and "po_number" in previous_lines:
        old = previous_lines.reindex(columns=list(ORDER_LINE_FIELDS))
        old_po = _text(old["po_number"].to_numpy()).str.upper()
        carry = old_po.isin(set(kept["po_number"])).to_numpy()
        if carry.any():
            lines = pd.concat([lines, old[carry].assign(po_number=old_po[carry].to_numpy())], ignore_index=True)
    return rows.reset_index(drop=True), lines.reset_index(drop=True)


# ---------------------------------------------------------------------------------
# Closing the loop
# ---------------------------------------------------------------------------------
def _lead_lookup(lead_times: Mapping[str, float] | pd.DataFrame | None) -> dict[str, float]:
    if lead_times is None:
        return {}
    if isinstance(lead_times, pd.DataFrame):
        if not {"supplier", "lead_time_days"} <= set(lead_times):
            return {}
        pairs = zip(lead_times["supplier"], lead_times["lead_time_days"])
    else:
        pairs = lead_times.items()
    out: dict[str, float] = {}
    for name, days in pairs:
        d = _number(days)
        if not math.isnan(d):
            out.setdefault(_key(name), d)
    return out


def _fmt_qty(q: float) -> str:
    return f"{q:,.2f}".rstrip("0").rstrip(".")


def fmt_qty(q: float) -> str:
    """A quantity as the sheets show it: 24, 2.5, 1,200.

    >>> fmt_qty(24.0), fmt_qty(2.5), fmt_qty(1200)
    ('24', '2.5', '1,200')
    """
    return _fmt_qty(float(q))


def money(value: float, currency: str) -> str:
    """Money as orders print it: ``£1,234.50``, ``€12.00``, ``12.00 SEK``; "" when NaN.

    >>> money(1234.5, "GBP"), money(12, "SEK"), money(float("nan"), "GBP")
    ('£1,234.50', '12.00 SEK', '')
    """
    v = _number(value)
    return "" if math.isnan(v) else format_money(v, currency)


def open_order_quantities(orders_sheet: pd.DataFrame, order_lines: pd.DataFrame, receipts: pd.DataFrame,
                          as_of: dt.date, lead_times: Mapping[str, float] | pd.DataFrame | None = None,
                          ) -> tuple[pd.DataFrame, list[Issue]]:
    """Units on sent purchase orders that have not arrived yet, per SKU.

    For every Orders row whose Status starts with SENT: each line's open quantity =
    ordered − received, never below 0, where received is the sum of ``Receipts``
    Quantity with the same PO Number (any case, spaces ignored) and SKU, received on
    or before ``as_of`` (a blank Received date counts). Partial receipts leave the
    rest open.

    An order is **overdue** when it is more than ``OVERDUE_FACTOR`` (3) × its lead
    time old (``as_of`` − order date, days) and still has units open: it is reported
    and no longer counted, so a lost order cannot block reordering forever. Its lead
    time is the one recorded with the order, else ``lead_times`` for its supplier;
    with neither it is never overdue. Its order date is the recorded one, else the
    date in its PO number.

    Parameters
    ----------
    orders_sheet : DataFrame
        The Orders sheet: ``po_number``, ``supplier``, ``status`` (``row`` optional).
    order_lines : DataFrame
        The order-lines record (:data:`ORDER_LINES`): ``po_number``, ``sku``,
        ``quantity``; ``supplier``, ``order_date``, ``lead_time_days`` when known.
    receipts : DataFrame
        The Receipts sheet: ``po_number``, ``sku``, ``quantity``, ``received`` (``row`` optional).
    as_of : date
        The plan's date.
    lead_times : mapping or DataFrame, optional
        Supplier → lead time (days), e.g. the Suppliers sheet.

    Returns
    -------
    (open, issues)
        ``open``: one row per SKU with something open — ``sku``, ``open_qty``
        (units), ``po_number`` (the POs, comma-separated) and ``reason`` (e.g.
        ``24 on PO-20260301-ACME-1 not yet received``). ``issues``: overdue orders,
        SENT orders without a line record, receipts of a SKU that is not on their PO.

    >>> orders = pd.DataFrame({"po_number": ["PO-20261120-ACME-1"], "supplier": ["Acme"],
    ...                        "status": ["SENT 2026-11-20 09:00"]})
    >>> lines = pd.DataFrame({"po_number": ["PO-20261120-ACME-1"] * 2, "sku": ["P1", "P2"], "quantity": [24.0, 10.0]})
    >>> receipts = pd.DataFrame({"po_number": ["PO-20261120-ACME-1"], "sku": ["P1"], "quantity": [20.0],
    ...                          "received": [pd.Timestamp("2026-11-25")]})
    >>> open_qty, issues = open_order_quantities(orders, lines, receipts, dt.date(2026, 11, 27), {"Acme": 5})
    >>> open_qty[["sku", "open_qty"]].values.tolist(), issues
    ([['P1', 4.0], ['P2', 10.0]], [])
    >>> open_qty.loc[0, "reason"]
    '4 on PO-20261120-ACME-1 not yet received'
    """
    columns = ["sku", "open_qty", "po_number", "reason"]
    empty = pd.DataFrame({c: pd.Series(dtype=float if c == "open_qty" else object) for c in columns})
    issues: list[Issue] = []
    if orders_sheet is None or len(orders_sheet) == 0 or "po_number" not in orders_sheet:
        return empty, issues
    os_ = orders_sheet.reset_index(drop=True)
    os_rows = _excel_rows(os_)
    sent: dict[str, dict] = {}
    for i, rec in enumerate(os_.to_dict("records")):
        po = clean_text(rec.get("po_number")).strip().upper()
        if po and is_sent(rec.get("status")) and po not in sent:
            sent[po] = {"supplier": clean_text(rec.get("supplier")).strip(), "row": int(os_rows[i])}
    if not sent:
        return empty, issues

    ol = order_lines.reindex(columns=list(ORDER_LINE_FIELDS)) if order_lines is not None else _empty_lines()
    ol = ol.assign(po=_text(ol["po_number"].to_numpy()).str.upper().to_numpy(),
                   sku=_text(ol["sku"].to_numpy()).to_numpy(),
                   quantity=pd.to_numeric(ol["quantity"], errors="coerce").fillna(0.0).to_numpy())
    ol = ol[ol["po"].isin(list(sent))]

    rc = receipts.reindex(columns=["po_number", "sku", "quantity", "received", "row"]) if receipts is not None \
        else pd.DataFrame(columns=["po_number", "sku", "quantity", "received", "row"])
    have_receipts = receipts is not None and len(receipts) > 0
    rc_rows = _excel_rows(receipts.reset_index(drop=True)) if have_receipts else pd.Series(dtype=int)
    rc = rc.reset_index(drop=True).assign(
        po=_text(rc["po_number"].to_numpy()).str.replace(" ", "").str.upper().to_numpy(),
        sku=_text(rc["sku"].to_numpy()).to_numpy(),
        quantity=pd.to_numeric(rc["quantity"], errors="coerce").fillna(0.0).to_numpy(),
        received=pd.to_datetime(rc["received"], errors="coerce").to_numpy(),
        xrow=rc_rows.to_numpy() if len(rc_rows) else np.zeros(len(rc), dtype=int))
    rc = rc[rc["po"].isin(list(sent)) & (rc["received"].isna() | (rc["received"] <= pd.Timestamp(as_of)))]
    received = rc.groupby(["po", "sku"])["quantity"].sum()

    leads = _lead_lookup(lead_times)
    per_po = {po: g for po, g in ol.groupby("po", sort=False)}
    details: list[tuple[str, float, str]] = []
    for po, info in sent.items():
        lines = per_po.get(po)
        if lines is None or lines.empty:
            issues.append(Issue(K.ORDERS.name, K.ORDERS.cell("po_number", info["row"]), "",
                                f"{po} is marked SENT but its lines are not on record, so it cannot be counted "
                                "as on order; enter what it holds in the On Order column of Stock until it arrives"))
            continue
        on_po = set(lines["sku"])
        for rrow, rsku in rc.loc[(rc["po"] == po) & ~rc["sku"].isin(on_po), ["xrow", "sku"]].itertuples(index=False):
            issues.append(Issue(K.RECEIPTS.name, K.RECEIPTS.cell("sku", int(rrow)) if rrow else "", rsku,
                                f"SKU {rsku} is not on {po}; check the PO Number or the SKU of this receipt"))
        ordered = lines.groupby("sku", sort=False)["quantity"].sum()
        got = received.reindex([(po, s) for s in ordered.index]).fillna(0.0).to_numpy()
        open_qty = np.maximum(ordered.to_numpy() - got, 0.0)
        if not (open_qty > 1e-9).any():
            continue
        order_day = pd.to_datetime(lines["order_date"], errors="coerce").dropna()
        order_date = order_day.iloc[0].date() if len(order_day) else \
            dt.datetime.strptime(PO_NUMBER.fullmatch(po).group("date"), "%Y%m%d").date()
        own_lead = pd.to_numeric(lines["lead_time_days"], errors="coerce").dropna()
        supplier = info["supplier"] or clean_text(lines["supplier"].iloc[0]).strip()
        lead = float(own_lead.iloc[0]) if len(own_lead) else leads.get(_key(supplier), math.nan)
        age = (as_of - order_date).days
        if not math.isnan(lead) and age > OVERDUE_FACTOR * lead:
            units = float(open_qty.sum())
            issues.append(Issue(
                K.ORDERS.name, K.ORDERS.cell("po_number", info["row"]), "",
                f"{po} to {supplier or 'the supplier'} was ordered {age} days ago, more than {OVERDUE_FACTOR} × its "
                f"{_fmt_qty(lead)}-day lead time, and {_fmt_qty(units)} units are still not received: it is overdue "
                "and no longer counted as on order; chase the supplier, and enter what arrived on Receipts"))
            continue
        details += [(s, float(q), po) for s, q in zip(ordered.index, open_qty) if q > 1e-9]
    if not details:
        return empty, issues
    d = pd.DataFrame(details, columns=["sku", "open_qty", "po_number"])
    d["text"] = d["open_qty"].map(_fmt_qty) + " on " + d["po_number"]
    out = d.groupby("sku", sort=False).agg(open_qty=("open_qty", "sum"), po_number=("po_number", ", ".join),
                                           reason=("text", " and ".join)).reset_index()
    out["reason"] = out["reason"] + " not yet received"
    return out[columns], issues


def unmarked_drafts(orders_sheet: pd.DataFrame, as_of: dt.date, older_than_days: int = 1) -> Issue | None:
    """One reminder for the Orders rows still ``DRAFTED`` more than ``older_than_days`` after
    their order date (the date in the PO number), or None when there are none.

    An order the owner emailed from their own mail program stays DRAFTED until they mark
    it SENT, and only SENT orders count as on order: unmarked, next week's plan would
    order the same goods again. The reminder's cell is the first such row's Status.

    >>> orders = pd.DataFrame({"po_number": ["PO-20261120-ACME-1", "PO-20261126-BOLT-1", "PO-20261118-CORK-1"],
    ...                        "status": ["DRAFTED", "drafted", "SENT"], "row": [2, 3, 4]})
    >>> print(unmarked_drafts(orders, dt.date(2026, 11, 27)))
    Orders!J2: 1 drafted order not marked SENT (PO-20261120-ACME-1): if you emailed it, set Status to SENT
    """
    if orders_sheet is None or len(orders_sheet) == 0 or "po_number" not in orders_sheet:
        return None
    rows = _excel_rows(orders_sheet.reset_index(drop=True))
    late = []
    for i, rec in enumerate(orders_sheet.reset_index(drop=True).to_dict("records")):
        po = clean_text(rec.get("po_number")).strip().upper()
        m = PO_NUMBER.fullmatch(po)
        if not m or clean_text(rec.get("status")).strip().upper() != DRAFTED:
            continue
        try:
            day = dt.datetime.strptime(m.group("date"), "%Y%m%d").date()
        except ValueError:
            continue
        if (as_of - day).days > older_than_days:
            late.append((po, int(rows[i])))
    if not late:
        return None
    n = len(late)
    them = "them" if n > 1 else "it"
    return Issue(K.ORDERS.name, K.ORDERS.cell("status", late[0][1]), "",
                 f"{n} drafted order{'s' if n > 1 else ''} not marked SENT ({_preview([p for p, _ in late])}): "
                 f"if you emailed {them}, set Status to SENT")


def _receipt_orders(receipts: pd.DataFrame) -> pd.DataFrame:
    """One row per received order: supplier key and name, days from Ordered to the last Received."""
    need = {"supplier", "ordered", "received"}
    if receipts is None or len(receipts) == 0 or not need <= set(receipts):
        return pd.DataFrame(columns=["key", "supplier", "days"])
    rc = pd.DataFrame({
        "po": _text(receipts["po_number"].to_numpy()).str.replace(" ", "").str.upper().to_numpy()
        if "po_number" in receipts else "",
        "supplier": _text(receipts["supplier"].to_numpy()).to_numpy(),
        "ordered": pd.to_datetime(receipts["ordered"], errors="coerce").dt.normalize().to_numpy(),
        "received": pd.to_datetime(receipts["received"], errors="coerce").dt.normalize().to_numpy(),
    })
    rc["key"] = rc["supplier"].map(_key)
    rc = rc[rc["key"].ne("") & rc["ordered"].notna() & rc["received"].notna() & (rc["received"] >= rc["ordered"])]
    # An order is its PO number; rows without one are grouped by supplier and Ordered date.
    rc["order"] = rc["po"].where(rc["po"].ne(""), "~" + rc["key"] + "~" + rc["ordered"].astype(str))
    per = rc.groupby(["key", "order"], sort=False).agg(
        supplier=("supplier", "first"), ordered=("ordered", "min"), received=("received", "max")).reset_index()
    per["days"] = (per["received"] - per["ordered"]).dt.days.astype(float)
    return per[["key", "supplier", "days"]]


def measured_lead_times(receipts: pd.DataFrame, min_orders: int = 3,
                        promised: Mapping[str, float] | pd.DataFrame | None = None) -> pd.DataFrame:
    """Each supplier's real lead time, measured from the Receipts sheet.

    One observation per received order: days from ``Ordered`` (the earliest on the
    order) to the **last** ``Received`` date of that order, so a split delivery counts
    when it is complete. An order is a PO Number (any case, spaces ignored); receipts
    without one are grouped by supplier and Ordered date. Rows with no supplier, a
    blank date, or Received before Ordered are left out (:func:`receipt_issues`
    reports the last).

    For n = number of orders of a supplier: lead_time_days = mean of the days;
    lead_time_std_days = their sample standard deviation (divide by n − 1). Both
    are NaN when n < ``min_orders`` (too few to trust; the typed lead time stays).
    on_time_share = share of orders with days ≤ the promised lead time (NaN when no
    promise is known).

    Parameters
    ----------
    receipts : DataFrame
        ``po_number``, ``supplier``, ``ordered``, ``received`` (dates).
    min_orders : int
        Orders needed before a measurement is given (default 3).
    promised : mapping or DataFrame, optional
        Supplier → promised lead time (days), e.g. the Suppliers sheet.

    Returns
    -------
    DataFrame, one row per supplier with at least one received order, sorted by
    supplier: ``supplier``, ``orders``, ``lead_time_days``, ``lead_time_std_days``,
    ``promised_lead_time_days``, ``on_time_share`` (0–1).

    >>> receipts = pd.DataFrame({"po_number": ["A1", "A2", "A3", "A3"], "supplier": ["Acme"] * 4,
    ...     "ordered": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-03-01"]),
    ...     "received": pd.to_datetime(["2026-01-05", "2026-02-07", "2026-03-03", "2026-03-09"])})
    >>> got = measured_lead_times(receipts, promised={"Acme": 6})
    >>> got[["supplier", "orders", "lead_time_days", "lead_time_std_days", "promised_lead_time_days"]].values.tolist()
    [['Acme', 3, 6.0, 2.0, 6.0]]
    >>> round(float(got.loc[0, "on_time_share"]), 4)
    0.6667

    Days per order: 4, 6 and 8 (A3's last delivery); mean 6, sample std 2; 2 of 3 within 6 days.
    """
    per = _receipt_orders(receipts)
    columns = ["supplier", "orders", "lead_time_days", "lead_time_std_days", "promised_lead_time_days",
               "on_time_share"]
    if per.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c == "supplier" else float) for c in columns}).astype(
            {"orders": int})
    promise = _lead_lookup(promised)
    out = per.groupby("key", sort=False).agg(supplier=("supplier", "first"), orders=("days", "size"),
                                             mean=("days", "mean"), std=("days", "std")).reset_index()
    enough = out["orders"] >= max(int(min_orders), 1)
    out["lead_time_days"] = out["mean"].where(enough)
    out["lead_time_std_days"] = out["std"].fillna(0.0).where(enough)
    out["promised_lead_time_days"] = out["key"].map(promise).astype(float)
    per["promise"] = per["key"].map(promise).astype(float)
    per["on_time"] = (per["days"] <= per["promise"] + 1e-9).astype(float).where(per["promise"].notna())
    out["on_time_share"] = out["key"].map(per.groupby("key")["on_time"].mean()).astype(float)
    out = out.sort_values("supplier", key=lambda s: s.str.casefold(), kind="stable")
    return out[columns].astype({"orders": int}).reset_index(drop=True)


def receipt_issues(receipts: pd.DataFrame) -> list[Issue]:
    """Receipts rows whose Received date is before their Ordered date (left out of
    measured lead times)."""
    if receipts is None or len(receipts) == 0 or not {"ordered", "received"} <= set(receipts):
        return []
    r = receipts.reset_index(drop=True)
    rows = _excel_rows(r)
    ordered = pd.to_datetime(r["ordered"], errors="coerce").dt.normalize()
    received = pd.to_datetime(r["received"], errors="coerce").dt.normalize()
    bad = (received < ordered).to_numpy()
    sku = _text(r["sku"].to_numpy()) if "sku" in r else pd.Series("", index=r.index)
    return [Issue(K.RECEIPTS.name, K.RECEIPTS.cell("received", int(rows[i])), sku[i],
                  f"received {received[i].date()} is before ordered {ordered[i].date()}; "
                  "the row is left out of measured lead times: fix one of the dates")
            for i in np.flatnonzero(bad)]
