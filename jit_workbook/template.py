"""Build ``JIT_Inventory.xlsx`` from the sheet contract.

Every sheet is an Excel Table with a frozen, styled header row, column widths, number
formats on a styled first data row (Excel copies them down as rows are added) and
drop-downs where a column takes fixed values. Input sheets have blue headers; output
sheets green ones, with the owner-editable columns shaded yellow.

The build is byte-for-byte deterministic (fixed timestamps), so a test can check the
committed template is exactly what this code makes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableStyleInfo

from . import contract as K
from .settings import Settings

FIXED_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)
HEADER_FONT = Font(name="Calibri", sz=11, bold=True, color="FFFFFF")
INPUT_FILL = PatternFill("solid", fgColor="305496")
OUTPUT_FILL = PatternFill("solid", fgColor="548235")
EDITABLE_FILL = PatternFill("solid", fgColor="FFF2CC")
TABLE_STYLE = {"input": "TableStyleLight9", "output": "TableStyleLight11"}
LAST_ROW = 1048576
ROW_CM = 15 / 72 * 2.54  # a 15-point row, in centimetres


def build_template(path: Path | None = None, settings: dict[str, Any] | None = None) -> bytes:
    """The template workbook as bytes (and written to ``path`` when given).

    settings: Settings sheet values by label (``{"As Of Date": date(2026, 3, 1)}``)
        to pre-fill instead of the defaults; used by the demo shop.
    """
    wb = Workbook()
    wb.remove(wb.active)
    rows_of_settings = _settings_rows(settings or {})
    looks = {label: value for label, value, _ in rows_of_settings}
    currency = str(looks.get("Currency") or "GBP")
    for sheet in K.ALL_SHEETS:
        ws = wb.create_sheet(sheet.name)
        rows = rows_of_settings if sheet is K.SETTINGS else []
        if sheet is K.DASHBOARD:
            rows = _dashboard_rows()
        _lay_out(ws, sheet, rows, currency)
        _highlight(ws, sheet)
        if sheet.name in K.PRINTED:
            _print_setup(ws, str(looks.get("Business Name") or ""))
        if sheet is K.DASHBOARD:
            _dashboard_charts(ws)
        if sheet is K.BACKTEST:
            _backtest_chart(ws)
    wb.active = 0
    wb.properties.creator = "jit-workbook"
    wb.properties.created = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    data = _deterministic(buf.getvalue())
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _settings_rows(values: dict[str, Any]) -> list[list[Any]]:
    return [[label, values.get(label, default), notes] for label, default, notes in Settings.rows()]


def _dashboard_rows() -> list[list[Any]]:
    """The Dashboard's fixed layout, labels only: every run fills in the values."""
    blocks = K.dashboard_rows()
    rows = [[m, None, None] for m in K.DASHBOARD_KPIS] + [[m, None, None] for m in K.DASHBOARD_FLAG_ROWS]
    rows += [[None, None, None]] * (blocks["top"][1] - blocks["top"][0] + 1)
    rows += [[None, None, None]] * (blocks["months"][1] - blocks["months"][0] + 1)
    return rows


def _show_axes(chart) -> None:
    """Axes that do not mislead: shown (openpyxl 3.1 leaves out ``<c:delete val="0"/>``, and
    Excel then draws the chart without its axis labels), the value axis from 0 (a cut axis
    makes £39,000 against £40,750 look like three times as much), and every category
    labelled (Excel skips labels it finds crowded unless told not to)."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.scaling.min = 0
    chart.x_axis.tickLblSkip = 1


def _dashboard_charts(ws) -> None:
    """Native charts beside the Dashboard table, on the fixed row blocks of the contract."""
    from openpyxl.chart import BarChart, Reference

    blocks = K.dashboard_rows()

    def bar(title: str, block: str, horizontal: bool = False) -> BarChart:
        first, last = blocks[block]
        chart = BarChart()
        chart.type = "bar" if horizontal else "col"
        chart.title, chart.legend = title, None
        chart.add_data(Reference(ws, min_col=2, min_row=first, max_row=last), titles_from_data=False)
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        chart.y_axis.title = "Stock value"
        chart.y_axis.numFmt = "#,##0"
        chart.height, chart.width = 7.5, 16
        _show_axes(chart)
        return chart

    # Right of the table after one blank column, so no chart covers a filled cell. Each is
    # anchored to a row far enough below the last for 15-point rows; rows that grow with
    # wrapped Notes only move the charts further apart, never onto each other.
    beside = K.column_letter(len(K.DASHBOARD.columns) + 2)
    top = bar("Largest obsolete and slow items", "top", horizontal=True)
    top.x_axis.scaling.orientation = "maxMin"  # largest at the top
    top.height = 10  # room for all ten "SKU — Description" labels
    row = 2
    for chart in (bar("Stock value by flag", "flags"), top, bar("Flagged stock value by month", "months")):
        ws.add_chart(chart, f"{beside}{row}")
        row += math.ceil(chart.height / ROW_CM) + 1


def _backtest_chart(ws) -> None:
    """JIT against just-in-case for all SKUs (the first data row): stock value (with what the
    shop actually held, on the SKUs Receipts allow) and fill rate; right of the table, under
    the "Service Kept" block beside it."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.series import SeriesLabel

    def col(field: str) -> int:
        return K.BACKTEST.fields.index(field) + 1

    # Under the "Service Kept" block beside the table (header + its rows, then a blank row).
    beside = K.column_letter(len(K.BACKTEST.columns) + 2)
    top = len(K.SERVICE_KEPT_GROUPS) + 3
    for title, fields, anchor, fmt in (
            ("Average stock value: JIT vs just in case",
             ("jit_avg_stock_value", "jic_avg_stock_value", "actual_avg_stock_value"), f"{beside}{top}", "#,##0"),
            ("Fill rate: JIT vs just in case", ("jit_fill_rate", "jic_fill_rate"), f"{beside}{top + 15}", "0%")):
        chart = BarChart()
        chart.title = title
        for field, name in zip(fields, ("JIT", "Just in case", "Actual (SKUs with Receipts only)")):
            chart.add_data(Reference(ws, min_col=col(field), min_row=2, max_row=2), titles_from_data=False)
            chart.series[-1].tx = SeriesLabel(v=name)
        chart.y_axis.numFmt = fmt
        if fmt.endswith("%"):  # a rate from 0 to 100%: a cut axis would turn 97.0% vs 97.4% into a chasm
            chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
        chart.height, chart.width = 7, 11
        _show_axes(chart)
        ws.add_chart(chart, anchor)


def _lay_out(ws, sheet: K.Sheet, rows: list[list[Any]], currency: str = "GBP") -> None:
    ws.sheet_properties.tabColor = sheet.tab_color
    fill = INPUT_FILL if sheet.role == "input" else OUTPUT_FILL
    layout = sheet.layout
    formats = K.number_formats(sheet, currency)
    for j, col in enumerate(layout.columns, start=1):
        ws.column_dimensions[K.column_letter(j)].width = K.display_width(col) if col.name else col.width
        if not col.name:  # the gap before the block beside the table
            continue
        cell = ws.cell(row=1, column=j, value=col.name)
        cell.font, cell.fill = HEADER_FONT, fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    body = rows or [[None] * len(sheet.columns)]
    for i, values in enumerate(body, start=2):
        cells = list(values) + [None] * (len(layout.columns) - len(values)) if i == 2 else values
        for j, (col, value) in enumerate(zip(layout.columns, cells), start=1):
            if not col.name:
                continue
            cell = ws.cell(row=i, column=j, value=value)
            wanted = formats.get(col.field, _format_for(sheet, col, values))
            cell.number_format = wanted[i - 2] if isinstance(wanted, tuple) else wanted
            cell.alignment = (Alignment(wrap_text=True, vertical="top", horizontal="left", indent=K.WRAP_INDENT)
                              if K.wraps(col)
                              else Alignment(vertical="top"))
            if col.editable:
                cell.fill = EDITABLE_FILL
    if sheet.hidden:
        ws.sheet_state = "hidden"
    ws.row_dimensions[1].height = K.HEADER_HEIGHT
    ws.freeze_panes = f"{K.column_letter(K.frozen_columns(sheet) + 1)}2"
    last = K.column_letter(len(sheet.columns))
    table = Table(displayName=sheet.table, ref=f"A1:{last}{1 + len(body)}")
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE[sheet.role], showRowStripes=True)
    ws.add_table(table)
    for j, col in enumerate(sheet.columns, start=1):
        if col.choices and (sheet.role == "input" or col.editable):
            ws.add_data_validation(choice_list(col, f"{K.column_letter(j)}2:{K.column_letter(j)}{LAST_ROW}"))


def choice_list(col: K.Column, cells: str) -> DataValidation:
    """The drop-down of a column with choices. A text column that only suggests its
    choices (Orders' Status, where "SENT 2026-11-27 14:03" is also right) warns about
    other text instead of refusing it."""
    dv = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"', allow_blank=True,
                        showErrorMessage=True, errorTitle=col.name,
                        errorStyle="stop" if col.kind == "choice" else "warning",
                        error=f"Choose one of: {', '.join(col.choices)}")
    dv.add(cells)
    return dv


def _highlight(ws, sheet: K.Sheet) -> None:
    """Colour the values an owner acts on (REORDER, CHECK DATA, OBSOLETE, SLOW) wherever an
    output column can hold them, down to the last row, so rows added by a run are coloured."""
    if sheet.role != "output":
        return
    for j, col in enumerate(sheet.layout.columns, start=1):
        for value in col.choices:
            if value in K.HIGHLIGHTS:
                back, ink = K.HIGHLIGHTS[value]
                letter = K.column_letter(j)
                ws.conditional_formatting.add(
                    f"{letter}2:{letter}{LAST_ROW}",
                    CellIsRule(operator="equal", formula=[f'"{value}"'], fill=PatternFill("solid", bgColor=back),
                               font=Font(color=ink, bold=True)))


def _print_setup(ws, business_name: str) -> None:
    """Landscape, one page wide (as many pages down as it takes), the header row on every
    page, and a footer: business name, sheet, page. The business name follows the
    Settings on every run (the file writer rewrites the footer's left part)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"
    ws.print_options.horizontalCentered = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.left.text = business_name.replace("&", "&&")
    ws.oddFooter.center.text = "&A"
    ws.oddFooter.right.text = "Page &P of &N"


def _format_for(sheet: K.Sheet, col: K.Column, values: list[Any]) -> str:
    if sheet is K.SETTINGS and col.field == "value":
        if isinstance(values[1], (dt.date, dt.datetime)) or values[0] == "As Of Date":
            return K.FMT_DATE
        if str(values[0]).startswith("Service Level"):
            return K.FMT_PERCENT
    return col.number_format


def _deterministic(data: bytes) -> bytes:
    """Same bytes on every build: fixed zip timestamps and document dates."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, body)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, body)
    return out.getvalue()
