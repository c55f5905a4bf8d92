"""Dates typed or pasted as text: "03/09/2026", "29.11.2026", "29 Nov 2026", "2026-11-29".

Tills and bank exports paste dates as text, in the owner's own order. A text date is
read day first or month first:

1. by its column, when any value there shows which: a first part over 12
   ("29/11/2026") means day first, a second part over 12 ("11/29/2026") month first;
2. otherwise by the ``Date Order`` setting (``Day First`` / ``Month First``), whose
   default follows ``Currency`` (USD month first, any other day first).

English month names ("29 Nov 2026", "Nov 29, 2026", "29-November-2026") need no
order. ISO text (2026-11-29) is always year, month, day. Two-digit years are 20xx.

The shapes are told apart by regular expressions and the calendar is pandas' (so
31/02/2026 is not a date); each distinct text is parsed once, so a long pasted
column costs no more than its few hundred different days. dateutil is not used: it
fills a missing day or year from today ("Nov 2026" would become a real date) and its
guesses do not follow the column rule.
"""

from __future__ import annotations

import pandas as pd

_TIME = r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?)?"
NUMERIC = rf"^\s*(?P<a>\d{{1,2}})\s*[/.\-]\s*(?P<b>\d{{1,2}})\s*[/.\-]\s*(?P<y>\d{{4}}|\d{{2}}){_TIME}\s*$"
DAY_NAME = (rf"^\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.]*(?P<m>[A-Za-z]{{3,9}})\.?[\s\-/.,]*"
            rf"(?P<y>\d{{4}}|\d{{2}}){_TIME}\s*$")
NAME_DAY = (rf"^\s*(?P<m>[A-Za-z]{{3,9}})\.?[\s\-/.]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s,\-/.]+"
            rf"(?P<y>\d{{4}}|\d{{2}}){_TIME}\s*$")
FIRST, LAST = pd.Timestamp("1900-01-01"), pd.Timestamp("2262-04-11")  # as io.parse plans with
MONTHS = {name: i for i, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for name in names}


def column_day_first(texts: pd.Series) -> bool | None:
    """What a column's own values say about its order: True (day first), False (month
    first) or None (every value fits both, e.g. 03/09/2026).

    >>> column_day_first(pd.Series(["03/09/2026", "29/11/2026"])), column_day_first(pd.Series(["03/09/2026"]))
    (True, None)
    >>> column_day_first(pd.Series(["11/29/2026"]))
    False
    """
    parts = pd.Series(texts.dropna().unique()).astype(str).str.extract(NUMERIC)
    a, b = pd.to_numeric(parts["a"]), pd.to_numeric(parts["b"])
    if (a > 12).any():
        return True
    if (b > 12).any():
        return False
    return None


def parse_text_dates(texts: pd.Series, day_first: bool) -> pd.Series:
    """Text dates as datetime64[ns] at midnight, NaT for text that is not a date.

    texts: strings (a Series of str). day_first: the order for numeric dates when the
    column does not show it (see :func:`column_day_first`, which wins).

    >>> parse_text_dates(pd.Series(["03/09/2026", "29 Nov 2026", "29.11.2026", "2026-11-29", "31/02/2026"]),
    ...                  True).dt.strftime("%Y-%m-%d").tolist()
    ['2026-09-03', '2026-11-29', '2026-11-29', '2026-11-29', nan]
    """
    codes, uniques = pd.factorize(texts)  # each distinct text once: a column repeats its days
    u = pd.Series(uniques, dtype=object).astype(str).str.strip()
    shown = column_day_first(u)
    day_first = day_first if shown is None else shown
    got = pd.to_datetime(u.where(u.str.match(r"^\d{4}-\d{1,2}-\d{1,2}")), format="ISO8601", errors="coerce")
    num = u.str.extract(NUMERIC)
    day, month = (num["a"], num["b"]) if day_first else (num["b"], num["a"])
    got = got.fillna(_assemble(num["y"], month, day))
    for pattern in (DAY_NAME, NAME_DAY):
        named = u.str.extract(pattern)
        got = got.fillna(_assemble(named["y"], named["m"].str.lower().map(MONTHS), named["d"]))
    got = got.where((got >= FIRST) & (got <= LAST))  # a year such as 9999 is not a date to plan with
    values = got.astype("datetime64[ns]").dt.normalize().to_numpy()
    out = pd.Series(values[codes], index=texts.index, dtype="datetime64[ns]")
    return out.where(codes >= 0)


def _assemble(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Dates from parts (text or numbers); NaT where any part is missing or no such day."""
    y = pd.to_numeric(year, errors="coerce")
    y = y.where(~(y < 100), y + 2000)  # "29/11/26": this century
    parts = pd.DataFrame({"year": y, "month": pd.to_numeric(month, errors="coerce"),
                          "day": pd.to_numeric(day, errors="coerce")})
    ok = parts.notna().all(axis=1) & parts["year"].between(FIRST.year, LAST.year - 1)  # 31/12/9999: not a date
    out = pd.Series(pd.NaT, index=parts.index, dtype="datetime64[ns]")
    if ok.any():
        out[ok] = pd.to_datetime(parts[ok].astype("int64"), errors="coerce")
    return out
