"""The planning core: pure, vectorised functions from typed DataFrames to the plan.

Nothing here reads or writes a workbook. The action layer reads the sheets into
DataFrames, calls :func:`plan_reorder` (then :func:`keep_owner_edits`), and writes the
result; :func:`summarise` gives the counts it reports.

Modules: :mod:`.demand` (daily demand series), :mod:`.policy` (z, safety stock,
reorder point, order-up-to level, order rounding), :mod:`.classify` (ABC, stock
flags), :mod:`.reorder` (the Reorder sheet).
"""

from .reorder import EXTRA_FIELDS, OUTPUT_FIELDS, keep_owner_edits, plan_reorder, summarise, to_do_order

__all__ = ["EXTRA_FIELDS", "OUTPUT_FIELDS", "keep_owner_edits", "plan_reorder", "summarise", "to_do_order"]
