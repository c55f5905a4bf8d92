"""The families reference shop: each family's demand shows the properties of its law."""

import numpy as np
import pandas as pd
import pytest

from jit_workbook import contract as K
from jit_workbook.demo import SHOPS, make_shop


@pytest.fixture(scope="module")
def shop() -> dict:
    return make_shop("families")


@pytest.fixture(scope="module")
def daily(shop) -> dict[str, pd.DataFrame]:
    """Units per day (rows) per SKU (columns), zero-filled over the whole history, by family."""
    spec = SHOPS["families"]
    days = pd.date_range(end=pd.Timestamp(spec.as_of), periods=spec.days, freq="D")
    table = shop["Sales"].pivot_table(index="date", columns="sku", values="quantity", aggfunc="sum")
    table = table.reindex(index=days, columns=shop["Stock"]["sku"]).fillna(0.0)
    family = shop["Stock"].set_index("sku")["category"]
    return {f: table.loc[:, family.index[family == f]] for f in family.unique()}


def test_five_families_of_sixty_with_known_targets(shop):
    stock = shop["Stock"]
    assert stock["category"].value_counts().to_dict() == {f: 60 for f in
                                                          ("Smooth", "Intermittent", "Lumpy", "Trending", "Seasonal")}
    assert (stock["service_level"] == 0.90).all()
    assert stock["lead_time_days"].between(3, 21).all() and stock["lead_time_days"].nunique() > 10
    assert set(stock["supplier"]) <= set(shop["Suppliers"]["supplier"])
    assert shop["Receipts"].empty and list(shop["Sales"]) == K.SALES.fields
    sales = shop["Sales"]
    assert (sales["date"].max() - sales["date"].min()).days == SHOPS["families"].days - 1


def test_the_same_shop_every_time(shop):
    again = make_shop("families")
    for name, frame in shop.items():
        pd.testing.assert_frame_equal(frame, again[name])


def test_smooth_is_poisson(daily):
    d = daily["Smooth"]
    mean, var = d.mean(), d.var()
    assert mean.between(0.8, 10.5).all() and mean.max() > 7 and mean.min() < 3
    assert (var / mean).between(0.75, 1.3).all()  # Poisson: variance = mean


def test_intermittent_sells_on_a_tenth_to_three_tenths_of_days_in_small_sizes(daily):
    d = daily["Intermittent"]
    share = (d > 0).mean()
    assert share.between(0.06, 0.35).all() and share.mean() == pytest.approx(0.2, abs=0.03)
    sizes = d[d > 0].stack()
    assert sizes.mean() < 2.5 and sizes.quantile(0.99) <= 8


def test_lumpy_is_overdispersed_with_occasional_large_sizes(daily):
    d = daily["Lumpy"]
    mean, var = d.mean(), d.var()
    assert (var / mean > 3).all()  # negative binomial k = 0.2: variance = m + 5 m², far above Poisson's m
    assert ((d > 0).mean() < 0.6).all()
    assert (d.max() > 6 * mean).all()


def test_trending_rate_clearly_rises(daily):
    d = daily["Trending"]
    first, last = d.iloc[:90].mean(), d.iloc[-90:].mean()
    assert (last > 1.3 * first).all()
    assert (last.sum() / first.sum()) == pytest.approx(2 ** ((730 - 90) / 730), rel=0.1)  # doubling over 2 years


def test_seasonal_peaks_before_christmas(daily):
    d = daily["Seasonal"]
    doy = d.index.day_of_year
    peak = d[(doy >= 330) | (doy <= 5)].mean()  # late November to early January
    trough = d[(doy >= 150) & (doy <= 185)].mean()  # June
    assert (peak > 2 * trough).all()
    assert peak.sum() / trough.sum() > 4
