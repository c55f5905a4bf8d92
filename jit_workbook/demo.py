"""Named reference shops: realistic generated data for the demo, the tests and the benchmark.

Every shop is made from a seed, so the same name always gives the same workbook.
Items follow the demand patterns a small shop really has: fast sellers, slow
sellers, intermittent spare parts, seasonal goods, new lines, dead stock, fabric
sold by the metre, returns, consignment stock and items no longer reordered.

The demo and tiny shops also log their deliveries on Receipts for the last
``receipts_days`` (see :func:`_receipts`): consistent with today's On Hand and the
sales, so the backtest can rebuild what the shop really held. The rows carry no
Ordered date, so they do not measure lead times: the suppliers' typed ones stay.

>>> shop = make_shop("tiny")
>>> sorted(shop)
['Receipts', 'Sales', 'Stock', 'Suppliers']
>>> len(shop["Stock"])
40
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import contract as K
from .barcodes import check_digit
from .template import build_template


@dataclass(frozen=True)
class ShopSpec:
    """A reference shop: how many SKUs, days of history, sales lines (exact when given).

    maker: ``"module:function"`` (in this package) that builds the shop's sheets from
        the spec instead of this module's generator; blank = generated here.
    as_of: the As Of Date written to Settings; None = the shop's last sales day.
    """

    name: str
    skus: int = 0
    days: int = 0
    seed: int = 0
    as_of: dt.date | None = dt.date(2026, 11, 20)
    sales_lines: int | None = None
    business: str = "Demo Hardware & Haberdashery"
    receipts_days: int = 0  # days (ending on as_of) of deliveries logged on Receipts; 0 = none
    maker: str = ""


SHOPS = {
    s.name: s
    for s in (
        ShopSpec("tiny", skus=40, days=400, seed=1, receipts_days=270),
        ShopSpec("demo", skus=300, days=540, seed=7, receipts_days=270),
        ShopSpec("bench", skus=5000, days=400, seed=11, sales_lines=500_000),
        ShopSpec("excel-limit", skus=5000, days=730, seed=13, sales_lines=1_048_575),
        # one real year of a UK online gift retailer (jit_workbook/real_shop.py)
        ShopSpec("online-retail", as_of=None, business="Online Retail II (UCI), UK gift wholesaler",
                 maker="real_shop:make_online_retail"),
        # demand families of known law, for measuring service (jit_workbook/families.py)
        ShopSpec("families", skus=300, days=730, seed=17, business="Known-law demand families",
                 maker="families:make_families"),
    )
}

SUPPLIERS = (
    # name, contact, lead time days, lead time std, min order value
    ("Acme Tools Ltd", "Sam Patel", 5, 1.0, 150.0),
    ("Northern Paints", "Jo Birch", 10, 3.0, 250.0),
    ("Fabric House", "Ana Costa", 14, 4.0, 100.0),
    ("Fixings Direct", "Lee Wong", 3, 0.5, 50.0),
    ("Garden & Home Co", "Rita Moss", 21, 6.0, 300.0),
    ("Local Crafts (consignment)", "Tom Reed", 7, 2.0, 0.0),
)
CATEGORIES = {
    "Acme Tools Ltd": ("Hand Tools", "Power Tool Accessories"),
    "Northern Paints": ("Paint", "Decorating"),
    "Fabric House": ("Fabric", "Haberdashery"),
    "Fixings Direct": ("Fixings", "Spare Parts"),
    "Garden & Home Co": ("Garden", "Seasonal"),
    "Local Crafts (consignment)": ("Gifts",),
}
# Share of SKUs per demand pattern.
PATTERNS = {"fast": 0.12, "steady": 0.25, "slow": 0.2, "intermittent": 0.18, "seasonal": 0.1,
            "new": 0.05, "dead": 0.06, "fabric": 0.04}


def make_shop(name: str) -> dict[str, pd.DataFrame]:
    """The input sheets of a named reference shop as DataFrames (columns = contract fields).

    Raises ValueError naming the shops there are when ``name`` is not one of them.
    """
    spec = shop_spec(name)
    if spec.maker:
        module, function = spec.maker.split(":")
        return getattr(importlib.import_module(f"{__package__}.{module}"), function)(spec)
    rng = np.random.default_rng(spec.seed)
    suppliers = pd.DataFrame(
        [(n, c, f"orders@{n.split()[0].lower()}.example", lt, sd, mov, "") for n, c, lt, sd, mov in SUPPLIERS],
        columns=K.SUPPLIERS.fields)
    n = spec.skus
    pattern = rng.choice(list(PATTERNS), size=n, p=list(PATTERNS.values()))
    supplier = np.where(pattern == "fabric", "Fabric House",
                        rng.choice(suppliers["supplier"].to_numpy()[:5], size=n))
    supplier = np.where((pattern == "steady") & (rng.random(n) < 0.1), SUPPLIERS[5][0], supplier)
    category = np.array([rng.choice(CATEGORIES[s]) for s in supplier], dtype=object)
    category[pattern == "seasonal"] = "Seasonal"
    category[pattern == "fabric"] = "Fabric"
    unit_cost = np.round(rng.lognormal(np.log(6), 0.9, n), 2)
    unit_price = np.round(unit_cost * rng.uniform(1.6, 2.6, n), 2)
    rate = {  # mean units a day
        "fast": rng.uniform(3, 12, n), "steady": rng.uniform(0.5, 3, n), "slow": rng.uniform(0.03, 0.3, n),
        "intermittent": rng.uniform(0.02, 0.12, n), "seasonal": rng.uniform(0.5, 4, n),
        "new": rng.uniform(0.5, 4, n), "dead": rng.uniform(0.2, 1.5, n), "fabric": rng.uniform(1, 5, n),
    }
    daily_rate = np.select([pattern == p for p in PATTERNS], [rate[p] for p in PATTERNS])

    sales = _sales(spec, rng, pattern, daily_rate)
    skus = np.array([f"{s[:3].upper()}-{i:05d}" for i, s in enumerate(supplier, start=1)], dtype=object)
    sales["sku"] = skus[sales.pop("item")]
    sales["unit_price"] = np.where(rng.random(len(sales)) < 0.7, unit_price[sales["sku"].map(
        {s: i for i, s in enumerate(skus)}).to_numpy()], np.nan)

    on_hand = np.round(daily_rate * rng.uniform(2, 60, n))
    slow = pattern == "slow"  # slow sellers are where over-buying hides: months or years of cover
    on_hand[slow] = np.round(daily_rate[slow] * rng.uniform(20, 900, slow.sum())) + 1
    on_hand[pattern == "dead"] = np.round(rng.uniform(5, 80, (pattern == "dead").sum()))
    on_hand[pattern == "fabric"] = np.round(rng.uniform(5, 120, (pattern == "fabric").sum()) * 2) / 2
    on_order = np.where(rng.random(n) < 0.08, np.round(daily_rate * 14), 0.0)
    case_pack = rng.choice([1, 1, 1, 6, 10, 12, 24], size=n).astype(float)
    case_pack[pattern == "fabric"] = np.nan
    moq = np.where(rng.random(n) < 0.1, case_pack * rng.choice([2, 4], n), np.nan)
    own_lead = rng.random(n) < 0.15
    lead = np.where(own_lead, rng.choice([2.0, 4.0, 30.0], n), np.nan)
    status = np.where(rng.random(n) < 0.04, "Do Not Reorder", "")
    status = np.where((pattern == "dead") & (rng.random(n) < 0.4), "Discontinued", status)
    descriptions = _descriptions(rng, category)
    stock = pd.DataFrame({
        "sku": skus, "description": descriptions, "supplier": supplier, "barcode": [  # EAN-13s with a valid check digit (the last digit drawn is replaced by it)
            _ean13(f"50{rng.integers(10**10, 10**11)}") for _ in range(n)],
        "category": category, "on_hand": on_hand, "on_order": on_order, "unit_cost": unit_cost,
        "unit_price": unit_price, "lead_time_days": lead, "lead_time_std_days": np.where(own_lead, 1.0, np.nan),
        "moq": moq, "case_pack": case_pack, "service_level": np.where(rng.random(n) < 0.05, 0.99, np.nan),
        "consignment": np.where(supplier == SUPPLIERS[5][0], "Yes", "No"), "status": status,
        "forecast_method": "",
    })
    receipts = _receipts(spec, stock, sales)
    return {"Stock": stock, "Sales": sales[K.SALES.fields], "Suppliers": suppliers, "Receipts": receipts}


def shop_spec(name: str) -> ShopSpec:
    """The registry's entry for a shop name (ValueError listing the names when unknown).

    >>> shop_spec("tiny").skus
    40
    """
    if name not in SHOPS:
        raise ValueError(f"there is no reference shop {name!r}; the shops are {', '.join(SHOPS)}")
    return SHOPS[name]


def _sales(spec: ShopSpec, rng: np.random.Generator, pattern: np.ndarray, rate: np.ndarray) -> pd.DataFrame:
    """Daily sales lines (one per SKU and day with a sale), vectorised over SKUs × days."""
    days = spec.days
    t = np.arange(days)
    calendar = pd.DatetimeIndex(pd.Timestamp(spec.as_of) - pd.to_timedelta(days - 1 - t, unit="D"))
    doy = calendar.day_of_year.to_numpy()
    lam = np.repeat(rate[:, None], days, axis=1)
    lam *= 1 + 0.35 * np.isin(calendar.day_of_week.to_numpy(), [4, 5])  # busier Fridays and Saturdays
    seasonal = pattern == "seasonal"
    peak = rng.choice([15, 196, 340], size=seasonal.sum())  # winter, summer, Christmas lines
    lam[seasonal] *= np.clip(1 + 1.6 * np.cos(2 * np.pi * (doy[None, :] - peak[:, None]) / 365), 0.02, None)
    new = pattern == "new"
    start = days - rng.integers(20, 90, size=new.sum())
    lam[new] *= t[None, :] >= start[:, None]
    dead = pattern == "dead"
    stop = days - rng.integers(200, 360, size=dead.sum())
    lam[dead] *= t[None, :] < stop[:, None]
    if spec.sales_lines:  # scale so the expected number of sale days is a little above the target
        p_sale = 1 - np.exp(-lam)
        lam *= _scale_for(p_sale.sum(), spec.sales_lines * 1.08, lam)
    counts = rng.poisson(lam)
    item, day = np.nonzero(counts)
    qty = counts[item, day].astype(float)
    fabric = pattern[item] == "fabric"
    qty[fabric] = np.round(rng.gamma(2.0, 0.9, fabric.sum()) * 4) / 4 + 0.25  # metres, quarter-metre steps
    if spec.sales_lines and len(item) > spec.sales_lines:
        keep = np.sort(rng.choice(len(item), spec.sales_lines, replace=False))
        item, day, qty = item[keep], day[keep], qty[keep]
    returns = rng.random(len(qty)) < 0.015
    qty[returns] = -np.ceil(qty[returns] / 2)
    dates = pd.Timestamp(spec.as_of) - pd.to_timedelta(days - 1 - day, unit="D")
    return pd.DataFrame({"date": dates, "item": item, "quantity": qty}).sort_values(
        ["date", "item"], kind="stable").reset_index(drop=True)


def _receipts(spec: ShopSpec, stock: pd.DataFrame, sales: pd.DataFrame) -> pd.DataFrame:
    """Deliveries consistent with today's On Hand and the sales, found walking back in time.

    Each supplier delivers on a fixed weekday every 7 × ⌈lead time ÷ 7⌉ days (one PO
    per delivery, numbered ``CODE-yyyymmdd``), bringing for each SKU the units sold
    from that day on that no later delivery brought, in whole case packs (whole units
    when no case pack); the rest waits for an earlier delivery, so slow sellers get a
    case now and then. Walking back from today's count, stock before a delivery =
    stock after it + that day's net sales − the delivery, so a delivery is capped at
    what keeps that stock at 0 or more. Only returns can still take it below zero (a
    return on a day the shelf was empty), as in a real shop's records. The consignment
    supplier refills its own shelf and logs nothing. Uses its own random generator,
    so the other sheets do not change.
    """
    if not spec.receipts_days:
        return pd.DataFrame(columns=K.RECEIPTS.fields)
    rng = np.random.default_rng([spec.seed, 2])
    days, n = spec.days, len(stock)
    first = pd.Timestamp(spec.as_of) - pd.Timedelta(days=days - 1)
    item = pd.Index(stock["sku"]).get_indexer(sales["sku"])
    day = (pd.to_datetime(sales["date"]) - first).dt.days.to_numpy()
    qty = sales["quantity"].to_numpy(dtype=float)
    net = np.bincount(item * days + day, weights=qty, minlength=n * days).reshape(n, days)
    lead = {name: lt for name, _, lt, _, _ in SUPPLIERS}
    names = [name for name, *_ in SUPPLIERS[:5]]  # the consignment supplier (last) logs nothing
    cycle_of = {name: 7 * int(np.ceil(lead[name] / 7)) for name in names}
    phase_of = dict(zip(names, rng.integers(0, 7, len(names)).tolist()))
    supplier = stock["supplier"].to_numpy()
    logged = np.isin(supplier, names)
    cycle = np.array([cycle_of.get(s, 7) for s in supplier])
    phase = np.array([phase_of.get(s, 0) for s in supplier])
    pack = np.nan_to_num(stock["case_pack"].to_numpy(dtype=float), nan=1.0)
    level = stock["on_hand"].to_numpy(dtype=float).copy()
    got = np.zeros((n, days))
    owed = np.zeros(n)  # units sold from day d on that no later delivery brought
    for d in range(days - 1, max(days - spec.receipts_days, 0) - 1, -1):  # back from today
        owed += np.maximum(net[:, d], 0.0)
        due = logged & ((days - 1 - d + phase) % cycle == 0)
        room = np.maximum(level + net[:, d], 0.0)
        got[:, d] = np.where(due, np.floor(np.minimum(owed, room) / pack + 1e-9) * pack, 0.0)
        owed -= got[:, d]
        level += net[:, d] - got[:, d]
    i, d = np.nonzero(got > 0)
    received = first + pd.to_timedelta(d, unit="D")
    code = pd.Series(supplier[i]).str.split().str[0].str.upper().to_numpy()
    out = pd.DataFrame({
        "po_number": code + "-" + received.strftime("%Y%m%d").to_numpy(), "supplier": supplier[i],
        "sku": stock["sku"].to_numpy()[i], "ordered": pd.NaT, "received": received.astype("datetime64[ns]"),
        "quantity": got[i, d]})
    return out.sort_values(["received", "supplier", "sku"], kind="stable").reset_index(drop=True)[K.RECEIPTS.fields]


def _scale_for(expected: float, target: float, lam: np.ndarray) -> float:
    # P(sale day) = 1 - exp(-λ) is not linear in λ: a few bisection steps find the factor.
    lo, hi = 0.01, 100.0
    for _ in range(30):
        mid = (lo * hi) ** 0.5
        if (1 - np.exp(-lam * mid)).sum() < target:
            lo = mid
        else:
            hi = mid
    return (lo * hi) ** 0.5


def _ean13(drawn: str) -> str:
    return drawn[:-1] + str(check_digit(drawn[:-1]))


def _descriptions(rng: np.random.Generator, category: np.ndarray) -> list[str]:
    adjectives = ("Classic", "Heavy Duty", "Compact", "Premium", "Everyday", "Pro", "Eco", "Mini")
    picks = rng.integers(0, len(adjectives), len(category))
    sizes = rng.choice(["", " 250ml", " 1L", " 5m", " 10mm", " Large", " Small", " Pack of 10"], len(category))
    return [f"{adjectives[p]} {c}{s}".strip() for p, c, s in zip(picks, category, sizes)]


def write_shop(name: str, path: Path) -> Path:
    """Write a named reference shop as a workbook made from the template."""
    from .io.xlsx_patch import patch_sheets  # the file engine writes every sheet the same way

    spec = shop_spec(name)
    path = Path(path)
    sheets = make_shop(name)
    as_of = spec.as_of or pd.Timestamp(sheets["Sales"]["date"].max()).date()
    build_template(path, settings={"Business Name": spec.business, "As Of Date": as_of})
    patch_sheets(path, path, sheets)
    return path


def seed_review_history(path: Path, months: int = 5, seed: int = 3) -> None:
    """Fill the Review Log with the reviews the demo shop would have done in past months.

    Each past review plans the shop from the sales known at that month's end (with
    today's stock counts, the only ones the demo has), so the Dashboard's month-by-month
    chart has a history to show.
    """
    from . import contract as K
    from .io.parse import parse_inputs
    from .io.read_file import read_grids
    from .io.xlsx_patch import patch_sheets
    from .planning import plan_reorder
    from .review import review_frame, update_log

    inputs = parse_inputs(read_grids(path, [s.name for s in K.INPUT_SHEETS], K.OPTIONAL_INPUT_SHEETS))
    rng = np.random.default_rng(seed)
    log = pd.DataFrame(columns=K.REVIEW_LOG.fields)
    as_of = pd.Timestamp(inputs.settings.plan_date())
    for k in range(months, 0, -1):
        month_end = (as_of - pd.DateOffset(months=k)) + pd.offsets.MonthEnd(0)
        settings = inputs.settings.model_copy(update={"as_of_date": month_end.date()})
        past = inputs.sales[inputs.sales["date"] <= month_end]
        reorder, _ = plan_reorder(inputs.stock, past, inputs.suppliers, settings)
        review = review_frame(reorder, settings, None, log)
        review["decision"] = rng.choice(["Keep", "Markdown", "Bundle", "Return", ""], len(review))
        log = update_log(log, review, month_end.strftime("%Y-%m"))
    patch_sheets(path, path, {K.REVIEW_LOG.name: log})
