"""Service achieved by the backtest, pooled by a group of SKUs (ABC class, Category, ...).

Groups are pooled exactly as :func:`.backtest.backtest` pools its ``overall`` figures:

* cycle service level = Σ (cycles − stock-out cycles) ÷ Σ cycles (NaN when no cycle);
* target service level = the mean of the SKUs' targets weighted by their JIT cycles
  (the plain mean of the targets when the group has no cycle);
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


def service_by_group(per_sku: pd.DataFrame, key: str) -> pd.DataFrame:
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
    rows = [_pooled(g, part) for g, part in frame.groupby("group", sort=True)]
    rows.append(_pooled(ALL, frame))
    return pd.DataFrame(rows)


def _pooled(name: str, part: pd.DataFrame) -> dict:
    """The pooled figures of one group of SKUs (see the module docstring)."""
    cycles = part["jit_cycles"].sum()
    target = ((part["target"] * part["jit_cycles"]).sum() / cycles if cycles > 0
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
