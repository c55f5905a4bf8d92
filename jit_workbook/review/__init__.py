"""The monthly review: dead and slow stock, the Review Log and the Dashboard.

Pure functions over DataFrames (no workbook, no I/O), vectorised over SKUs. The action
layer plans as usual (:func:`jit_workbook.planning.plan_reorder`), then calls:

- :func:`review_frame` for the Obsolete Review sheet (owner's Decision and Notes kept);
- :func:`update_log` to file that review as this month's block of the Review Log
  (:func:`review_month` gives the month);
- :func:`kpis` for the Dashboard table in its fixed layout.

Modules: :mod:`.obsolete` (review and log; the Suggested Action rules are in its
docstring) and :mod:`.dashboard` (the KPI definitions are in its docstring).
"""

from .dashboard import KPI_NOTES, cost_of_goods_sold, history_covered_days, kpis
from .obsolete import MARKDOWN_RATE, markdown_price, month_text, review_frame, review_month, update_log

__all__ = ["KPI_NOTES", "MARKDOWN_RATE", "cost_of_goods_sold", "history_covered_days", "kpis", "markdown_price",
           "month_text", "review_frame", "review_month", "update_log"]
