"""The ``online-retail`` reference shop: one real year of a UK online gift retailer.

Built from ``online_retail_2009_2010.parquet`` (UCI "Online Retail II", first sheet,
CC BY 4.0; see ``shared/data/README.md``), plainly and reproducibly — the same file
gives the same workbook every time. The data has sales only; the rest is filled in by
the plain rules below.

**Sales**: every invoice line pasted as it is, warts and all: Date = the InvoiceDate's
day, SKU = StockCode (text, as is: ``85123`` and ``85123A`` are two SKUs, and so are
``15056BL`` and ``15056bl``, as the tool matches a code spelled exactly first, and
lists the pair on Data Issues), Quantity
(cancellations stay negative), Unit Price = Price. Lines of non-stock codes stay in:
the reader reports each as "SKU ... is not on the Stock sheet; sale skipped" on Data
Issues and carries on; negative prices are reported and ignored the same way.

**Non-stock codes** (left off Stock): a code is *not stock* when, ignoring case, it is
one of :data:`NON_STOCK_CODES` (postage, carriage, discount, manual, samples, fees,
bad debt, adjustments, ...) or starts with one of :data:`NON_STOCK_PREFIXES` (gift
vouchers ``gift_0001_*``, test products ``TEST*``, adjustments ``ADJUST*``). Every other
code is an item: the shop's 5-digit codes (some with a letter suffix) and its few
``DCGS...``/``SP1002`` dotcom items.

**Stock**: one row per item code that sold (had a line with a positive quantity and a
positive price), the code with outer spaces removed (the reader strips them: ``47503J ``
is ``47503J``):

* Description: the item's most common description (ties: the first alphabetically).
* Category: the description's last word (``WHITE HANGING HEART T-LIGHT HOLDER`` →
  ``HOLDER``); blank when there is no description.
* Supplier: one of the 8 :data:`SUPPLIERS` chosen by ``zlib.crc32`` of the code (UTF-8)
  modulo 8 — stable across runs and machines, unlike Python's salted ``hash``. Their
  lead times run 3 to 21 days, typical variation 0 to 3 days. Stock's own Lead Time
  columns stay blank, so the supplier's apply.
* Unit Price: the median Price of the selling lines; Unit Cost: :data:`COST_SHARE`
  (half) of it, rounded to pennies.
* On Hand: :data:`COVER_DAYS` (21) days of the item's average daily sales (positive
  quantities over the file's days), rounded to whole units; On Order 0.
* No MOQ, no case pack, Service Level blank (the ABC class's applies), Status blank.

**Settings**: the template's defaults, As Of Date = the last sales day (2010-12-09).

The file is ``$JIT_REAL_SHOP_DATA`` when set, else
``shared/data/online_retail_2009_2010.parquet`` in the repository's folder or any
folder above it. Reading it needs pyarrow (the ``bench`` and ``test`` extras).
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from . import contract as K
from .errors import JitError

FILE_NAME = "online_retail_2009_2010.parquet"
ENV_VAR = "JIT_REAL_SHOP_DATA"
NON_STOCK_CODES = frozenset(c.casefold() for c in (
    "POST", "DOT", "M", "C2", "C3", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS", "GIFT"))
NON_STOCK_PREFIXES = ("gift_", "test", "adjust")  # compared case-blind
SUPPLIERS = (  # name, lead time days, lead time std days
    ("Supplier A", 3, 0.0), ("Supplier B", 5, 1.0), ("Supplier C", 7, 1.0), ("Supplier D", 10, 2.0),
    ("Supplier E", 12, 2.0), ("Supplier F", 14, 3.0), ("Supplier G", 18, 3.0), ("Supplier H", 21, 3.0),
)
COST_SHARE = 0.5  # unit cost = this share of the median selling price
COVER_DAYS = 21  # on hand = this many days of the average daily sales


class RealShopDataMissing(JitError):
    """The real shop's parquet file is not where it is looked for (tests skip on it)."""


def data_path() -> Path:
    """Where the real shop's parquet is: ``$JIT_REAL_SHOP_DATA``, else found walking up.

    Walks up from the repository root (this package's parent folder) looking for
    ``shared/data/online_retail_2009_2010.parquet``.

    Raises RealShopDataMissing, saying where it looked, when there is no such file.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env)
        if path.is_file():
            return path
        raise RealShopDataMissing(f"{ENV_VAR} is set to {env}, but there is no such file")
    root = Path(__file__).resolve().parent.parent
    for folder in (root, *root.parents):
        path = folder / "shared" / "data" / FILE_NAME
        if path.is_file():
            return path
    raise RealShopDataMissing(f"the real shop's data ({FILE_NAME}) was not found in shared/data/ beside or "
                              f"above {root}; set {ENV_VAR} to its path")


def is_stock_code(codes: pd.Series) -> pd.Series:
    """True for the codes that are items (see the module docstring's rule).

    >>> is_stock_code(pd.Series(["85123A", "POST", "gift_0001_10", "DCGS0003", "m", "TEST001"])).tolist()
    [True, False, False, True, False, False]
    """
    folded = codes.astype(str).str.strip().str.casefold()
    return ~(folded.isin(NON_STOCK_CODES) | folded.str.startswith(NON_STOCK_PREFIXES))


def supplier_index(codes: pd.Series) -> np.ndarray:
    """Each code's supplier, as a position in :data:`SUPPLIERS`: crc32 of the code modulo 8.

    >>> supplier_index(pd.Series(["85123A", "22041", "85123A"])).tolist()
    [1, 4, 1]
    """
    return np.array([zlib.crc32(c.encode("utf-8")) % len(SUPPLIERS) for c in codes], dtype=np.int64)


def read_lines(path: Path | None = None) -> pd.DataFrame:
    """The parquet's invoice lines (all columns), in file order."""
    return pd.read_parquet(path or data_path())


def make_online_retail(spec: object = None) -> dict[str, pd.DataFrame]:
    """The input sheets of the online-retail shop as DataFrames (columns = contract fields).

    spec: the registry's entry (unused; the data decides everything).
    Raises RealShopDataMissing when the data file cannot be found.
    """
    lines = read_lines()
    code = lines["StockCode"].astype(str)
    sales = pd.DataFrame({
        "date": lines["InvoiceDate"].dt.normalize().astype("datetime64[ns]"), "sku": code.to_numpy(dtype=object),
        "quantity": lines["Quantity"].to_numpy(dtype=float), "unit_price": lines["Price"].to_numpy(dtype=float)})
    return {"Stock": _stock(lines), "Sales": sales[K.SALES.fields], "Suppliers": _suppliers(),
            "Receipts": pd.DataFrame(columns=K.RECEIPTS.fields)}


def _stock(lines: pd.DataFrame) -> pd.DataFrame:
    code = lines["StockCode"].astype(str).str.strip()
    selling = (lines["Quantity"] > 0) & (lines["Price"] > 0) & is_stock_code(code)
    sold = lines[selling].assign(sku=code[selling])
    days = (lines["InvoiceDate"].max().normalize() - lines["InvoiceDate"].min().normalize()).days + 1
    per = sold.groupby("sku", sort=True).agg(price=("Price", "median"), units=("Quantity", "sum"))
    desc = (sold.dropna(subset=["Description"]).groupby(["sku", "Description"]).size().rename("n")
            .reset_index().sort_values(["sku", "n", "Description"], ascending=[True, False, True])
            .drop_duplicates("sku").set_index("sku")["Description"].reindex(per.index).fillna(""))
    skus = per.index.to_series()
    names = np.array([s[0] for s in SUPPLIERS], dtype=object)
    return pd.DataFrame({
        "sku": skus.to_numpy(dtype=object), "description": desc.str.strip().to_numpy(dtype=object),
        "supplier": names[supplier_index(skus)], "barcode": "",
        "category": desc.str.split().str[-1].fillna("").to_numpy(dtype=object),
        "on_hand": np.round(per["units"].to_numpy(dtype=float) / days * COVER_DAYS), "on_order": 0.0,
        "unit_cost": np.round(per["price"].to_numpy() * COST_SHARE, 2), "unit_price": per["price"].to_numpy(),
        "lead_time_days": np.nan, "lead_time_std_days": np.nan, "moq": np.nan, "case_pack": np.nan,
        "service_level": np.nan, "consignment": "No", "status": "", "forecast_method": "",
    })[K.STOCK.fields]


def _suppliers() -> pd.DataFrame:
    return pd.DataFrame([(name, "", f"orders@{name.lower().replace(' ', '-')}.example", lt, sd, 0.0, "")
                         for name, lt, sd in SUPPLIERS], columns=K.SUPPLIERS.fields)
