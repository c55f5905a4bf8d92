"""Kanban cards for the two-bin routine: which SKUs get one, and what each card says.

Two bins per item on the shelf. The back (second) bin holds the **bin quantity**:
the Reorder Point rounded up to whole units and cases, so that when the front bin
runs empty what is left lasts until a new delivery (the plan's lead time plus review
period, with its safety stock). The card lives in the second bin; when the first
one is empty the card goes to the "to order" box, and at the next review it is
ordered and scanned back.

:func:`choose_cards` is pure (DataFrames in, :class:`Card` s out); the PDF is drawn
by :mod:`jit_workbook.cards.pdf`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..barcodes import retail_barcode
from ..planning.policy import round_order_qty
from ..planning.reorder import DO_NOT_REORDER, OK_STATUS, REORDER_STATUS


@dataclass(frozen=True)
class Card:
    """What one kanban card shows (quantities in units)."""

    sku: str
    description: str
    supplier: str
    bin_qty: float            # Reorder Point rounded up to whole units and cases
    case_pack: float          # NaN when the item is not sold in cases
    order_qty: float          # the order to expect when the card comes back
    lead_time_days: float
    barcode: tuple[str, str] | None  # ("EAN-13" | "UPC-A", digits) when Stock has a valid one


@dataclass
class CardChoice:
    """The cards to print, and the SKUs asked for that get none (SKU -> why)."""

    cards: list[Card]
    left_out: dict[str, str]


def bin_quantity(reorder_point, case_pack):
    """The second bin's quantity: ⌈⌈Reorder Point ÷ Case Pack⌉ × Case Pack⌉ (0 when the point is 0).

    >>> bin_quantity(33.16, 12.0), bin_quantity(7.2, float("nan"))
    (36.0, 8.0)
    """
    return round_order_qty(reorder_point, case_pack=case_pack)


def expected_order(daily_demand, review_days, moq, case_pack):
    """The order to expect when a card comes back: one review period's sales, d × R, raised to
    the MOQ and rounded up to whole cases as Suggested Qty is; at least one unit or case
    (R = 0, continuous review, orders as soon as the second bin is opened).

    Why d × R: under the order-up-to policy each review orders what was sold since the last
    one, so an order is on average one review period's demand.

    >>> expected_order(2.0, 7, float("nan"), 12.0), expected_order(2.0, 0, 5.0, float("nan"))
    (24.0, 5.0)
    """
    need = np.maximum(np.asarray(daily_demand, dtype=float) * review_days, 1.0)
    return round_order_qty(need, moq, case_pack)


def choose_cards(reorder: pd.DataFrame, stock: pd.DataFrame, review_days: float,
                 skus: list[str] | None = None) -> CardChoice:
    """One card per SKU the plan reorders, or per SKU asked for.

    reorder: the plan (:func:`jit_workbook.planning.plan_reorder`, as ``recalc`` writes it).
    stock: the parsed Stock sheet (``sku``, ``moq``, ``case_pack``).
    review_days: the Review Period Days setting (R).
    skus: the SKUs asked for (``--sku``, the rows selected in Excel); None for all, which
        are the items with Status REORDER or OK (Active, with demand, data fine) whose
        Reorder Point is above 0. Asked-for SKUs get a card unless Discontinued or Do Not
        Reorder (or not on the Stock sheet); those are returned in ``left_out``.

    Cards come in the order of the Reorder sheet (by supplier there is nothing to sort:
    the sheet's order is the Stock sheet's).
    """
    plan = reorder.reset_index(drop=True)
    left_out: dict[str, str] = {}
    if skus is None:
        rop = pd.to_numeric(plan["reorder_point"], errors="coerce")
        chosen = plan[plan["status"].isin((REORDER_STATUS, OK_STATUS)) & (rop > 0)]
    else:
        wanted = list(dict.fromkeys(str(s).strip() for s in skus if str(s).strip()))
        known = set(plan["sku"])
        never = set(plan.loc[plan["status"].eq(DO_NOT_REORDER), "sku"])
        for sku in wanted:  # in the order asked
            if sku not in known:
                left_out[sku] = "not on the Stock sheet"
            elif sku in never:
                left_out[sku] = "Discontinued or Do Not Reorder on the Stock sheet"
        chosen = plan[plan["sku"].isin(wanted) & ~plan["sku"].isin(never)]
        chosen = chosen.set_index("sku").loc[[s for s in wanted if s in set(chosen["sku"])]].reset_index()
    per_sku = stock.drop_duplicates("sku").set_index("sku")
    pack = chosen["sku"].map(per_sku["case_pack"]).to_numpy(dtype=float)
    moq = chosen["sku"].map(per_sku["moq"]).to_numpy(dtype=float)
    rop = np.nan_to_num(pd.to_numeric(chosen["reorder_point"], errors="coerce").to_numpy(dtype=float))
    bins = bin_quantity(np.maximum(rop, 0.0), pack)
    demand = np.nan_to_num(pd.to_numeric(chosen["daily_demand"], errors="coerce").to_numpy(dtype=float))
    orders = expected_order(demand, review_days, moq, pack)
    cards = [Card(str(row.sku), str(row.description), str(row.supplier), float(b), float(p), float(q),
                  float(row.lead_time_days), retail_barcode(row.barcode) if str(row.barcode).strip() else None)
             for row, b, p, q in zip(chosen.itertuples(index=False), np.atleast_1d(bins), pack,
                                     np.atleast_1d(orders))]
    return CardChoice(cards, left_out)
