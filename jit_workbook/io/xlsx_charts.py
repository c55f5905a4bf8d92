"""Charts that show only the rows with data: the Dashboard's month and top-item charts.

The template draws its charts over fixed blocks of Dashboard rows (``contract.
dashboard_rows()``). A block is not always full: a shop with three months of Review Log
has nine blank month rows, and a chart over all twelve shows nine empty months. For a
patched sheet, :func:`fit_chart_ranges` points every chart range that lies inside such a
block at the block's filled rows only (and back at more rows when they fill). Only the
range text in ``<c:f>`` changes; a chart already showing the right rows is left as it is.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping

from jit_workbook.io.xlsx_parts import existing_name, read_rels

_F = re.compile(rb"(<(?:[\w.-]+:)?f>)([^<]*)(</(?:[\w.-]+:)?f>)")
_REF = re.compile(r"^(.*!)\$([A-Z]{1,3})\$(\d+):\$([A-Z]{1,3})\$(\d+)$")


def sheet_charts(zin: zipfile.ZipFile, sheet_part: str) -> list[str]:
    """The chart parts drawn on a worksheet, in drawing order."""
    charts = []
    for rel in read_rels(zin, sheet_part):
        if rel.external or not rel.type.endswith("/drawing"):
            continue
        drawing = existing_name(zin, rel.target)
        if drawing is None:
            continue
        for chart in read_rels(zin, drawing):
            if not chart.external and chart.type.endswith("/chart"):
                name = existing_name(zin, chart.target)
                if name is not None:
                    charts.append(name)
    return charts


def fit_chart_ranges(xml: bytes, sheet_name: str, blocks: Mapping[tuple[int, int], tuple[int, int]]) -> bytes:
    """A chart part whose ranges on ``sheet_name`` inside a block cover its filled rows.

    blocks: (first, last) row of a block -> (first, last) row of its filled part.
    Returns ``xml`` itself when nothing changes.
    """
    quoted = {f"'{sheet_name}'!", f"{sheet_name}!"}

    def fit(m: re.Match) -> bytes:
        ref = _REF.match(m.group(2).decode("utf-8", "replace").replace("&apos;", "'"))
        if ref is None or ref.group(1) not in quoted or ref.group(2) != ref.group(4):
            return m.group(0)
        top, bottom = int(ref.group(3)), int(ref.group(5))
        for (first, last), (f_first, f_last) in blocks.items():
            if first <= top <= bottom <= last:
                new = f"{ref.group(1)}${ref.group(2)}${f_first}:${ref.group(2)}${f_last}"
                return m.group(1) + new.replace("'", "&apos;" if b"&apos;" in m.group(2) else "'").encode() \
                    + m.group(3)
        return m.group(0)

    out = _F.sub(fit, xml)
    return xml if out == xml else out
