"""The periodic-review order-up-to policy: z, safety stock, reorder point, order size.

Every function works on one SKU (plain numbers in, a plain number out) or on many at
once (numpy arrays or pandas Series in, the same shape out; a Series keeps its index).
NaN in an input gives NaN in the result (``round_order_qty`` gives 0), so one SKU with a
missing lead time never stops the others.

Symbols, as in Silver, Pyke & Thomas, "Inventory and Production Management in Supply
Chains", 4th ed. (2017), ch. 6:

====  ==========================================  =============
d     mean demand per day                          units/day
σd    standard deviation of daily demand            units/day
L     replenishment lead time                       days
σL    standard deviation of the lead time           days
R     review period (days between stock checks)     days
p     service level (chance of no stock-out per     fraction
      replenishment cycle, "cycle service level")
z     standard normal quantile of p                 (none)
====  ==========================================  =============
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

# Quantities within this of a whole number are that whole number (24.000000001 -> 24).
FLOAT_NOISE = 1e-9


def _arrays(**named: Any) -> dict[str, np.ndarray]:
    """Float arrays of the named inputs, checked to be >= 0 where given (NaN allowed)."""
    out = {}
    for name, value in named.items():
        arr = np.asarray(value, dtype=float)
        if np.any(arr < 0):
            bad = arr[arr < 0].flat[0]
            raise ValueError(f"{name} must be 0 or more, got {bad:g}")
        out[name] = arr
    return out


def _like(result: np.ndarray, *inputs: Any) -> Any:
    """Return ``result`` shaped like the inputs: a Python number for scalars, a Series
    (with the first Series input's index) for Series, else a numpy array."""
    for x in inputs:
        if isinstance(x, pd.Series):
            return pd.Series(np.broadcast_to(result, x.shape), index=x.index)
    if np.ndim(result) == 0:
        return result.item()
    return result


def z_for_service_level(service_level: Any) -> Any:
    """Safety factor z for a cycle service level p: z = Φ⁻¹(p).

    Parameters
    ----------
    service_level : float or array-like
        p, the chance of not running out in a replenishment cycle, as a fraction
        (0.95 for 95%). NaN gives NaN.

    Returns
    -------
    float or array
        z, the standard normal quantile of p (dimensionless). ``NormalDist().inv_cdf``
        is called once per distinct p, not once per SKU.

    Raises
    ------
    ValueError
        If a service level is not strictly between 0 and 1.

    Source: Silver, Pyke & Thomas (2017), ch. 6 (the safety factor for a specified
    cycle service level P1: Pr(no stock-out per cycle) = Φ(k) = P1, so z = k = Φ⁻¹(P1)).

    >>> round(z_for_service_level(0.95), 6)
    1.644854
    >>> z_for_service_level([0.9, 0.98, 0.9]).round(4).tolist()
    [1.2816, 2.0537, 1.2816]
    """
    p = np.asarray(service_level, dtype=float)
    if np.any((p <= 0) | (p >= 1)):
        bad = p[(p <= 0) | (p >= 1)].flat[0]
        raise ValueError(f"service_level must be between 0 and 1 (e.g. 0.95), got {bad:g}")
    levels, inverse = np.unique(p, return_inverse=True)
    normal = NormalDist()
    z = np.array([np.nan if np.isnan(x) else normal.inv_cdf(float(x)) for x in levels])
    return _like(z[inverse].reshape(p.shape), service_level)


def safety_stock(z: Any, d: Any, sd: Any, lead: Any, lead_std: Any = 0.0, review: Any = 0.0) -> Any:
    """Safety stock covering demand and lead-time variability over the protection interval.

    SS = z · √((L + R)·σd² + d²·σL²)

    Parameters
    ----------
    z : float or array-like
        Safety factor (dimensionless), see :func:`z_for_service_level`.
    d : float or array-like
        Mean daily demand, units/day.
    sd : float or array-like
        σd, standard deviation of daily demand, units/day.
    lead : float or array-like
        L, lead time in days.
    lead_std : float or array-like, default 0
        σL, standard deviation of the lead time in days.
    review : float or array-like, default 0
        R, review period in days (0 = continuous review).

    Returns
    -------
    float or array
        Safety stock in units (NaN where an input is NaN).

    Raises
    ------
    ValueError
        If d, sd, lead, lead_std or review is negative.

    Source: Silver, Pyke & Thomas (2017), ch. 6 (a periodic-review system must protect
    over R + L; with a random lead time the variance of demand over it is
    E(L)·σd² + d²·σL², here with L + R in place of L); Axsäter, "Inventory Control",
    2nd ed. (2006), ch. 5 (reorder points; stochastic lead times).

    z = 1.644854 (95%), d = 2, σd = 1.5, L = 7, σL = 2, R = 7:
    SS = 1.644854 · √(14 · 2.25 + 4 · 4) = 1.644854 · √47.5 = 11.3364

    >>> round(safety_stock(z=1.644854, d=2.0, sd=1.5, lead=7, lead_std=2, review=7), 4)
    11.3364
    """
    a = _arrays(d=d, sd=sd, lead=lead, lead_std=lead_std, review=review)
    z_arr = np.asarray(z, dtype=float)
    ss = z_arr * np.sqrt((a["lead"] + a["review"]) * a["sd"] ** 2 + a["d"] ** 2 * a["lead_std"] ** 2)
    return _like(ss, z, d, sd, lead, lead_std, review)


def reorder_point(d: Any, lead: Any, review: Any, safety: Any) -> Any:
    """Reorder point: expected demand over lead time plus review period, plus safety stock.

    s = d·(L + R) + SS

    Parameters
    ----------
    d : float or array-like
        Mean daily demand, units/day.
    lead : float or array-like
        L, lead time in days.
    review : float or array-like
        R, review period in days.
    safety : float or array-like
        SS, safety stock in units (see :func:`safety_stock`).

    Returns
    -------
    float or array
        Reorder point s in units: order when inventory position ≤ s.

    Raises
    ------
    ValueError
        If d, lead or review is negative.

    Source: Silver, Pyke & Thomas (2017), ch. 6: the order-up-to level of the (R, S)
    system, S = x̂_{R+L} + k·σ_{R+L}; an order at a review brings the inventory
    position up to it, so it is also the level at or below which an order is placed.

    >>> round(reorder_point(d=2.0, lead=7, review=7, safety=11.3364), 4)
    39.3364
    """
    a = _arrays(d=d, lead=lead, review=review)
    rop = a["d"] * (a["lead"] + a["review"]) + np.asarray(safety, dtype=float)
    return _like(rop, d, lead, review, safety)


def _ceil_whole(x: np.ndarray) -> np.ndarray:
    """Round up to a whole number, ignoring float noise below FLOAT_NOISE."""
    return np.ceil(x - FLOAT_NOISE)


def order_qty_parts(need: Any, moq: Any = np.nan, case_pack: Any = np.nan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The steps of :func:`round_order_qty`, for explaining an order.

    Returns ``(qty, cases, raised)`` as arrays: the integer order quantity, the number
    of case packs in it (0 where there is no case pack), and whether the minimum
    order quantity raised it. Parameters as for :func:`round_order_qty`.

    Source: as :func:`round_order_qty`.

    >>> [a.tolist() for a in order_qty_parts([10, 30], moq=20, case_pack=12)]
    [[24, 36], [2, 3], [True, False]]
    """
    need_a = np.asarray(need, dtype=float)
    moq_a = np.asarray(moq, dtype=float)
    pack = np.asarray(case_pack, dtype=float)
    wanted = need_a > FLOAT_NOISE
    raised = wanted & (moq_a > need_a)
    q = np.where(raised, moq_a, need_a)
    has_pack = pack > 0
    cases = np.where(has_pack & wanted, _ceil_whole(q / np.where(has_pack, pack, 1.0)), 0.0)
    q = np.where(has_pack, cases * pack, q)
    qty = np.where(wanted, _ceil_whole(q), 0.0).astype(np.int64)
    return qty, cases.astype(np.int64), raised


def round_order_qty(need: Any, moq: Any = np.nan, case_pack: Any = np.nan) -> Any:
    """Turn a need into an order the supplier accepts.

    Q = ⌈ ⌈max(need, MOQ) / case_pack⌉ · case_pack ⌉, and Q = 0 when need ≤ 0.

    The need is first raised to the minimum order quantity, then rounded up to whole
    case packs, then up to a whole unit. Values within 1e-9 of a whole number count as
    that number, so float noise such as 24.000000001 never buys an extra case.

    Parameters
    ----------
    need : float or array-like
        Units wanted (order-up-to level minus inventory position). NaN or ≤ 0 gives 0.
    moq : float or array-like, default NaN
        Minimum order quantity in units; NaN or 0 means none.
    case_pack : float or array-like, default NaN
        Units per case; NaN or ≤ 0 means units are sold singly.

    Returns
    -------
    int or array of int64
        Order quantity in whole units.

    Source: Silver, Pyke & Thomas (2017), ch. 6 (order up to S); the quantity is then
    rounded to what the supplier sells, as in Axsäter (2006), ch. 5 (batch ordering:
    orders in multiples of a batch size).

    >>> round_order_qty(13.2, case_pack=12)
    24
    >>> round_order_qty(10, moq=50)
    50
    >>> round_order_qty(24.000000001, case_pack=12)
    24
    """
    qty, _, _ = order_qty_parts(need, moq, case_pack)
    return _like(qty, need, moq, case_pack)
