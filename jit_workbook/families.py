"""The ``families`` reference shop: demand families of known law, for measuring service.

Each SKU's daily demand follows one law, :data:`PER_FAMILY` SKUs a family (the
registry's ``skus`` split evenly), over the registry's ``days`` of history ending on
its As Of Date, all from its seed. The family is the Stock ``Category``:

* ``Smooth``: Poisson, rate λ drawn from 1–10 units a day.
* ``Intermittent``: sells on a share p of days drawn from 10–30%; a selling day's
  size is 1 + Poisson(μ), μ drawn from 0–1.5 (small).
* ``Lumpy``: negative binomial, mean m drawn from 0.5–3 a day, shape k = 0.2
  (variance m + m²/k): many empty days, occasional large sizes.
* ``Trending``: Poisson with a rate rising steadily, doubling over the history:
  λ(t) = λ₀ · 2^(t / days), λ₀ drawn from 1–5, t = 0 on the first day.
* ``Seasonal``: Poisson with a yearly sinusoid peaking before Christmas:
  λ(t) = λ₀ · (1 + 0.8 · cos(2π (day of year − 350) / 365)), λ₀ drawn from 1–6.

Every SKU has Service Level 90% (so its target is known), a lead time of whole
days drawn from 3–21 with no variation (Lead Time Std Days 0), no MOQ or case pack,
On Hand two weeks of its mean demand, On Order 0. One supplier per lead time's
week keeps the Suppliers sheet short. There are no Receipts.

>>> from jit_workbook.demo import SHOPS
>>> shop = make_families(SHOPS["families"])
>>> shop["Stock"]["category"].value_counts().sort_index().to_dict()
{'Intermittent': 60, 'Lumpy': 60, 'Seasonal': 60, 'Smooth': 60, 'Trending': 60}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import contract as K

FAMILIES = ("Smooth", "Intermittent", "Lumpy", "Trending", "Seasonal")
PER_FAMILY = 60
SERVICE_LEVEL = 0.90
LUMPY_SHAPE = 0.2
SEASON_PEAK_DAY = 350  # day of the year of the seasonal peak (mid-December)
SEASON_AMPLITUDE = 0.8
SUPPLIERS = (("Quick Supply", 3, 7), ("Weekly Supply", 8, 14), ("Far Supply", 15, 21))  # name, lead from, to


def make_families(spec) -> dict[str, pd.DataFrame]:
    """The input sheets of the families shop as DataFrames (columns = contract fields).

    spec: its :class:`~jit_workbook.demo.ShopSpec` (``skus``, ``days``, ``seed``, ``as_of``).
    """
    rng = np.random.default_rng(spec.seed)
    per = spec.skus // len(FAMILIES)
    family = np.repeat(np.array(FAMILIES, dtype=object), per)
    days = spec.days
    calendar = pd.date_range(end=pd.Timestamp(spec.as_of), periods=days, freq="D")
    demand = np.vstack([_demand(f, per, days, calendar, rng) for f in FAMILIES])
    skus = np.array([f"{f[:3].upper()}-{i:03d}" for f in FAMILIES for i in range(1, per + 1)], dtype=object)
    lead = rng.integers(3, 22, len(skus)).astype(float)
    supplier = np.array([next(n for n, lo, hi in SUPPLIERS if lo <= x <= hi) for x in lead], dtype=object)
    unit_cost = np.round(rng.lognormal(np.log(5), 0.7, len(skus)), 2)
    item, day = np.nonzero(demand)
    sales = pd.DataFrame({"date": calendar[day].astype("datetime64[ns]"), "sku": skus[item],
                          "quantity": demand[item, day].astype(float), "unit_price": np.round(unit_cost * 2, 2)[item]})
    stock = pd.DataFrame({
        "sku": skus, "description": [f"{f} item {s[-3:]}" for f, s in zip(family, skus)], "supplier": supplier,
        "barcode": "", "category": family, "on_hand": np.round(demand.mean(axis=1) * 14), "on_order": 0.0,
        "unit_cost": unit_cost, "unit_price": np.round(unit_cost * 2, 2), "lead_time_days": lead,
        "lead_time_std_days": 0.0, "moq": np.nan, "case_pack": np.nan, "service_level": SERVICE_LEVEL,
        "consignment": "No", "status": "", "forecast_method": "",
    })
    suppliers = pd.DataFrame([(n, "", f"orders@{n.split()[0].lower()}.example", float(hi), 0.0, 0.0, "")
                              for n, lo, hi in SUPPLIERS], columns=K.SUPPLIERS.fields)
    sales = sales.sort_values(["date", "sku"], kind="stable").reset_index(drop=True)
    return {"Stock": stock[K.STOCK.fields], "Sales": sales[K.SALES.fields], "Suppliers": suppliers,
            "Receipts": pd.DataFrame(columns=K.RECEIPTS.fields)}


def _demand(family: str, n: int, days: int, calendar: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """Units demanded, shape (n SKUs, days), drawn from the family's law."""
    t = np.arange(days)
    if family == "Smooth":
        return rng.poisson(rng.uniform(1, 10, n)[:, None], (n, days))
    if family == "Intermittent":
        sells = rng.random((n, days)) < rng.uniform(0.10, 0.30, n)[:, None]
        return sells * (1 + rng.poisson(rng.uniform(0, 1.5, n)[:, None], (n, days)))
    if family == "Lumpy":
        mean = rng.uniform(0.5, 3, n)[:, None]
        return rng.negative_binomial(LUMPY_SHAPE, LUMPY_SHAPE / (LUMPY_SHAPE + mean), (n, days))
    if family == "Trending":
        return rng.poisson(rng.uniform(1, 5, n)[:, None] * 2.0 ** (t / days)[None, :])
    doy = calendar.day_of_year.to_numpy()
    season = 1 + SEASON_AMPLITUDE * np.cos(2 * np.pi * (doy - SEASON_PEAK_DAY) / 365)
    return rng.poisson(rng.uniform(1, 6, n)[:, None] * season[None, :])
