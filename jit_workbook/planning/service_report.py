"""Service achieved by the backtest, pooled by a group of SKUs (ABC class, Category, ...).

Groups are pooled exactly as :func:`.backtest.backtest` pools its ``overall`` figures:

* cycle service level = Σ (cycles − stock-out cycles) ÷ Σ cycles (NaN when no cycle);
* target service level = the mean of the SKUs' targets weighted by their JIT cycles
  (the plain mean of the targets when the group has no cycle); with
  ``weight="demand"`` weighted by their units demanded instead, the weights of a
  pooled fill rate (for the Service Measure Fill Rate);
* fill rate = Σ units served ÷ Σ units demanded (NaN when nothing was demanded);
* average stock value = Σ over the group's SKUs (money), and the ratio JIT ÷ JIC.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PREFIXES = ("jit", "jic")
ALL = "All SKUs"


def stockout_cycles(per_sku: pd.DataFrame, prefix: str) -> pd.Series:
    """A policy's stock-out cycles per SKU: the ``{prefix}_stockout_cycles`` column, or,
    when the backtest does not give it, cycles × (1 − cycle service level), rounded.

    >>> stockout_cycles(pd.DataFrame({"jit_cycles": [4, 0], "jit_cycle_service_level": [0.75, np.nan]}), "jit").tolist()
    [1.0, 0.0]
    """
    column = f"{prefix}_stockout_cycles"
    if column in per_sku:
        return per_sku[column].astype(float)
    cycles = per_sku[f"{prefix}_cycles"].astype(float)
    return np.round(cycles * (1 - per_sku[f"{prefix}_cycle_service_level"].astype(float).fillna(1.0)))


def service_by_group(per_sku: pd.DataFrame, key: str, weight: str = "cycles") -> pd.DataFrame:
    """One row per group of ``per_sku[key]`` (sorted), then an "All SKUs" row.

    Parameters
    ----------
    per_sku : DataFrame
        The backtest's ``per_sku`` (one row per SKU) with ``target_service_level``
        (fraction), ``demand_units`` (units) and, for ``jit_`` and ``jic_``,
        ``cycles``, ``stockout_cycles`` (or ``cycle_service_level``, see
        :func:`stockout_cycles`), ``served_units`` (units) and ``avg_stock_value``
        (money); plus the ``key`` column (add it first, e.g. the Stock Category).
    key : str
        The column to group by, e.g. ``"abc"``; blank or missing values form the group "".
    weight : "cycles" or "demand"
        What the target service level is weighted by: the SKUs' JIT cycles (a cycle
        service level target) or their units demanded (a fill-rate target).

    Returns
    -------
    DataFrame
        Columns ``group``, ``skus``, ``target_service_level``, then per policy prefix
        ``cycles``, ``cycle_service_level``, ``fill_rate`` (fractions, NaN when
        undefined) and ``avg_stock_value`` (money), and ``stock_ratio`` (JIT ÷ JIC
        average stock value, NaN when JIC holds nothing).

    Two A items and one B item (one JIT stock-out in 3 + 1 A cycles):

    >>> per_sku = pd.DataFrame({"abc": ["A", "A", "B"], "target_service_level": [0.98, 0.9, 0.95],
    ...     "demand_units": [10.0, 30.0, 5.0], "jit_cycles": [3, 1, 2], "jit_stockout_cycles": [1, 0, 0],
    ...     "jit_served_units": [8.0, 30.0, 5.0], "jit_avg_stock_value": [2.0, 4.0, 1.0],
    ...     "jic_cycles": [1, 1, 1], "jic_stockout_cycles": [0, 0, 0], "jic_served_units": [10.0, 30.0, 5.0],
    ...     "jic_avg_stock_value": [5.0, 7.0, 2.0]})
    >>> t = service_by_group(per_sku, "abc")
    >>> t["group"].tolist(), t["jit_cycle_service_level"].round(3).tolist()
    (['A', 'B', 'All SKUs'], [0.75, 1.0, 0.833])
    >>> t["target_service_level"].round(4).tolist(), t["jit_fill_rate"].round(3).tolist()
    ([0.96, 0.95, 0.9567], [0.95, 1.0, 0.956])
    >>> t["stock_ratio"].round(3).tolist()
    [0.5, 0.5, 0.5]
    """
    frame = pd.DataFrame({"group": per_sku[key].fillna("").astype(str).to_numpy(),
                          "target": per_sku["target_service_level"].astype(float).to_numpy(),
                          "demand": per_sku["demand_units"].astype(float).to_numpy()})
    for p in PREFIXES:
        frame[f"{p}_cycles"] = per_sku[f"{p}_cycles"].astype(float).to_numpy()
        frame[f"{p}_bad"] = stockout_cycles(per_sku, p).to_numpy()
        frame[f"{p}_served"] = per_sku[f"{p}_served_units"].astype(float).to_numpy()
        frame[f"{p}_value"] = per_sku[f"{p}_avg_stock_value"].astype(float).to_numpy()
    if weight not in ("cycles", "demand"):
        raise ValueError(f'weight must be "cycles" or "demand", got {weight!r}')
    by = "jit_cycles" if weight == "cycles" else "demand"
    rows = [_pooled(g, part, by) for g, part in frame.groupby("group", sort=True)]
    rows.append(_pooled(ALL, frame, by))
    return pd.DataFrame(rows)


def _pooled(name: str, part: pd.DataFrame, by: str = "jit_cycles") -> dict:
    """The pooled figures of one group of SKUs (see the module docstring); the target is
    weighted by the column ``by``."""
    weights = part[by].sum()
    target = ((part["target"] * part[by]).sum() / weights if weights > 0
              else part["target"].mean())
    row = {"group": name, "skus": len(part), "target_service_level": float(target)}
    demand = part["demand"].sum()
    for p in PREFIXES:
        c = part[f"{p}_cycles"].sum()
        row[f"{p}_cycles"] = int(c)
        row[f"{p}_cycle_service_level"] = float((c - part[f"{p}_bad"].sum()) / c) if c > 0 else float("nan")
        row[f"{p}_fill_rate"] = float(part[f"{p}_served"].sum() / demand) if demand > 0 else float("nan")
        row[f"{p}_avg_stock_value"] = float(part[f"{p}_value"].sum())
    jic = row["jic_avg_stock_value"]
    row["stock_ratio"] = row["jit_avg_stock_value"] / jic if jic > 0 else float("nan")
    return row


MEASURE_NAMES = {"Cycle": "Cycle service level", "Fill Rate": "Fill rate"}


def service_kept(per_sku: pd.DataFrame, measure: str, end=None) -> pd.DataFrame:
    """The Backtest sheet's "Service Kept" block: one row per ``contract.SERVICE_KEPT_GROUPS``
    ("All SKUs", A, B, C) with the block's fields (``contract.BACKTEST.beside``).

    measure: the Service Measure setting: "Cycle" compares the target with the pooled
        cycle service level (target weighted by JIT cycles), "Fill Rate" with the pooled
        fill rate (target weighted by units demanded).
    end: the backtest window's last day, written on every row (``sk_end``).

    A class without SKUs keeps its row, blank but for its name, measure and 0 SKUs.

    >>> per_sku = pd.DataFrame({"abc": ["A", "B"], "target_service_level": [0.98, 0.9],
    ...     "demand_units": [10.0, 30.0], "jit_cycles": [4, 1], "jit_stockout_cycles": [1, 0],
    ...     "jit_served_units": [8.0, 30.0], "jit_avg_stock_value": [2.0, 4.0],
    ...     "jic_cycles": [1, 1], "jic_stockout_cycles": [0, 0], "jic_served_units": [10.0, 30.0],
    ...     "jic_avg_stock_value": [5.0, 7.0]})
    >>> kept = service_kept(per_sku, "Cycle")
    >>> kept["sk_group"].tolist(), kept["sk_jit"].round(3).tolist()[:3], kept["sk_skus"].tolist()
    (['All SKUs', 'A', 'B', 'C'], [0.8, 0.75, 1.0], [2, 1, 1, 0])
    >>> round(float(kept.loc[1, "sk_jit_minus_target"]), 1), service_kept(per_sku, "Fill Rate")["sk_jit"].tolist()[0]
    (-23.0, 0.95)
    """
    from .. import contract as K

    fill = measure == "Fill Rate"
    pooled = service_by_group(per_sku, "abc", weight="demand" if fill else "cycles").set_index("group")
    pooled = pooled.reindex(list(K.SERVICE_KEPT_GROUPS))
    achieved = "fill_rate" if fill else "cycle_service_level"
    out = pd.DataFrame({
        "sk_group": list(K.SERVICE_KEPT_GROUPS),
        "sk_measure": MEASURE_NAMES.get(measure, measure),
        "sk_target": pooled["target_service_level"].to_numpy(dtype=float),
        "sk_jit": pooled[f"jit_{achieved}"].to_numpy(dtype=float),
        "sk_jic": pooled[f"jic_{achieved}"].to_numpy(dtype=float),
    })
    out["sk_jit_minus_target"] = (out["sk_jit"] - out["sk_target"]) * 100
    for p in PREFIXES:
        out[f"sk_{p}_fill_rate"] = pooled[f"{p}_fill_rate"].to_numpy(dtype=float)
    for p in PREFIXES:
        out[f"sk_{p}_avg_stock_value"] = pooled[f"{p}_avg_stock_value"].to_numpy(dtype=float)
    out["sk_stock_ratio"] = pooled["stock_ratio"].to_numpy(dtype=float)
    out["sk_skus"] = pooled["skus"].fillna(0).to_numpy(dtype=int)
    out["sk_end"] = pd.Timestamp(end) if end is not None else pd.NaT
    return out.reindex(columns=[c.field for c in K.BACKTEST.beside])  # the window columns: filled by the caller
