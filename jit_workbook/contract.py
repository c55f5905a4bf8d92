"""The workbook contract: every sheet, column, type and format in one place.

This module is the single source of truth for the shape of ``JIT_Inventory.xlsx``.
The template builder, the readers, the writers, the docs and the tests all import
it; nothing else spells a sheet or column name.

Each column has two names: ``name`` is what the owner sees in the header cell
(``"On Hand"``, part of the public contract), ``field`` is the snake_case name the
planning core uses for the same fact in its DataFrames (``on_hand``).

Cell addresses are one-based, Excel style: the header is row 1, data starts at row 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "number", "integer", "date", "choice", "percent", "money", "link"]
Role = Literal["input", "output"]

# Number formats (Excel format codes). Kept here so template and docs agree.
FMT_TEXT = "@"
# Quantities: General shows 12 as "12" and 2.5 metres as "2.5" (a "#,##0.##" format shows
# "12." in Excel). Money follows the workbook's Currency: see money_format().
FMT_QTY = "General"
FMT_INT = "#,##0"
FMT_ONE_DECIMAL = "#,##0.0"
FMT_MONEY = "#,##0.00"
FMT_PERCENT = "0.0%"
FMT_DATE = "yyyy-mm-dd"
FMT_GENERAL = "General"

YES_NO = ("Yes", "No")
STOCK_STATUSES = ("Active", "Discontinued", "Do Not Reorder")
REORDER_STATUSES = ("REORDER", "OK", "NO DEMAND", "DO NOT REORDER", "CHECK DATA")
STOCK_FLAGS = ("OBSOLETE", "SLOW")
# An order's Status as the owner marks it (the tool also writes "SENT 2026-11-27 14:03" and
# "NOT SENT: ..."): a drop-down, but any text starting with SENT, in any case, counts as sent.
ORDER_STATUSES = ("DRAFTED", "SENT", "CANCELLED")
FORECAST_METHODS = ("Moving Average", "Exponential Smoothing", "Croston", "TSB", "Seasonal", "Auto", "Damped Trend")
SAFETY_STOCK_METHODS = ("Empirical", "Normal")
SERVICE_MEASURES = ("Cycle", "Fill Rate")
DATE_ORDERS = ("Day First", "Month First")  # how text such as 03/09/2026 is read


@dataclass(frozen=True)
class Column:
    """One column of a sheet.

    name: the header text in the workbook (public contract, never change it).
    field: the snake_case name used in DataFrames by the planning core.
    kind: how cells are parsed and written (text, number, integer, date, choice, percent, money).
    required: on input sheets, a missing required column stops the run (exit code 2);
        a missing optional column is read as blank.
    width: column width in Excel character units.
    number_format: Excel number format code for the data cells.
    choices: allowed values for ``choice`` columns (a drop-down in the template).
    editable: on output sheets, the owner may type here and the value survives a rerun.
    doc: one sentence for README and the template's header comments.
    allow_negative: numbers below zero are valid here (sales returns); elsewhere a
        negative number is reported as a data issue.
    """

    name: str
    field: str
    kind: Kind = "text"
    required: bool = False
    width: float = 12
    number_format: str = FMT_GENERAL
    choices: tuple[str, ...] = ()
    editable: bool = False
    doc: str = ""
    allow_negative: bool = False


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name, role, Excel table name and columns (in order)."""

    name: str
    role: Role
    table: str
    columns: tuple[Column, ...]
    doc: str = ""
    key: str | None = None  # field that identifies a row across runs (editable columns merge on it)
    tab_color: str = "FFFFFF"
    beside: tuple[Column, ...] = ()  # a second block right of the table, after one blank column
    hidden: bool = False  # kept by the tool, out of the owner's way

    @property
    def header(self) -> list[str]:
        """Row 1 as written: the table's headers, then "" and the block beside it, if any."""
        return self.layout.names

    @property
    def layout(self) -> "Sheet":
        """The sheet as written cell by cell: the table's columns, a gap, then ``beside``."""
        if not self.beside:
            return self
        gap = Column("", f"_gap_{self.table}", width=3)
        return Sheet(self.name, self.role, self.table, self.columns + (gap,) + self.beside, self.doc,
                     self.key, self.tab_color, (), self.hidden)

    @property
    def block(self) -> "Sheet":
        """The block beside the table as a sheet of its own, to read it back by its headers."""
        return Sheet(self.name, self.role, self.table, self.beside, self.doc, None, self.tab_color, (), self.hidden)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.columns]

    def column(self, name_or_field: str) -> Column:
        for c in self.columns:
            if name_or_field in (c.name, c.field):
                return c
        raise KeyError(f"{self.name} has no column {name_or_field!r}")

    def letter(self, name_or_field: str) -> str:
        """Column letter (A, B, ..., AA) of a column, by header name or field."""
        return column_letter(self.columns.index(self.column(name_or_field)) + 1)

    def cell(self, name_or_field: str, row: int) -> str:
        """Cell address like ``C14`` for a column on a one-based sheet row."""
        return f"{self.letter(name_or_field)}{row}"

    @property
    def editable_fields(self) -> list[str]:
        return [c.field for c in self.columns if c.editable]


def column_letter(index: int) -> str:
    """Excel column letters for a one-based column index: 1 -> A, 27 -> AA."""
    if index < 1:
        raise ValueError(f"column index must be 1 or more, got {index}")
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


C = Column

# ---------------------------------------------------------------------------------
# Input sheets (the owner's)
# ---------------------------------------------------------------------------------
SETTINGS = Sheet(
    "Settings", "input", "SettingsTable",
    (
        C("Setting", "setting", required=True, width=26, doc="The setting's name (keep as written)."),
        C("Value", "value", required=True, width=18, doc="Your value; blank uses the default."),
        C("Notes", "notes", width=70, doc="What the setting does and its default."),
    ),
    doc="One row per setting. Unknown extra rows are ignored.",
    tab_color="4472C4",
)

STOCK = Sheet(
    "Stock", "input", "StockTable",
    (
        C("SKU", "sku", required=True, width=14, number_format=FMT_TEXT, doc="Your item code; one row per SKU."),
        C("Description", "description", width=32, doc="What the item is."),
        C("Supplier", "supplier", required=True, width=20, doc="Must match a name on the Suppliers sheet."),
        C("Barcode", "barcode", width=16, number_format=FMT_TEXT, doc="EAN/UPC, printed on purchase orders."),
        C("Category", "category", width=16, doc="Free text grouping, e.g. Paint."),
        C("On Hand", "on_hand", "number", required=True, width=10, number_format=FMT_QTY, doc="Units in the shop now."),
        C("On Order", "on_order", "number", required=True, width=10, number_format=FMT_QTY,
          doc="Units ordered elsewhere and not yet received."),
        C("Unit Cost", "unit_cost", "money", required=True, width=11, number_format=FMT_MONEY, doc="What one unit costs you."),
        C("Unit Price", "unit_price", "money", width=11, number_format=FMT_MONEY, doc="What you sell one unit for."),
        C("Lead Time Days", "lead_time_days", "number", width=11, number_format=FMT_ONE_DECIMAL,
          doc="Days from ordering to having it on the shelf; blank uses the supplier's."),
        C("Lead Time Std Days", "lead_time_std_days", "number", width=11, number_format=FMT_ONE_DECIMAL,
          doc="How many days the lead time typically varies by; blank uses the supplier's, else 0."),
        C("MOQ", "moq", "number", width=8, number_format=FMT_QTY, doc="Minimum order quantity; blank = none."),
        C("Case Pack", "case_pack", "number", width=9, number_format=FMT_QTY, doc="Units per case; orders are whole cases."),
        C("Service Level", "service_level", "percent", width=10, number_format=FMT_PERCENT,
          doc="Chance of not running out per cycle, e.g. 95%; blank uses the ABC setting."),
        C("Consignment", "consignment", "choice", width=12, choices=YES_NO,
          doc="Yes if the supplier owns the stock until it sells."),
        C("Status", "status", "choice", width=14, choices=STOCK_STATUSES, doc="Blank means Active."),
        C("Forecast Method", "forecast_method", "choice", width=16, choices=FORECAST_METHODS,
          doc="How this item's demand is forecast; blank uses the Forecast Method setting."),
    ),
    doc="One row per item you stock.",
    key="sku",
    tab_color="4472C4",
)

SALES = Sheet(
    "Sales", "input", "SalesTable",
    (
        C("Date", "date", "date", required=True, width=12, number_format=FMT_DATE, doc="Day of the sale."),
        C("SKU", "sku", required=True, width=14, number_format=FMT_TEXT, doc="Item sold; must be on the Stock sheet."),
        C("Quantity", "quantity", "number", required=True, width=10, number_format=FMT_QTY,
          doc="Units sold; returns are negative; fractions allowed.", allow_negative=True),
        C("Unit Price", "unit_price", "money", width=11, number_format=FMT_MONEY, doc="Price charged; optional."),
    ),
    doc="One row per sale (or per day and item). Paste new sales at the bottom.",
    tab_color="4472C4",
)

SUPPLIERS = Sheet(
    "Suppliers", "input", "SuppliersTable",
    (
        C("Supplier", "supplier", required=True, width=22, doc="Supplier name, as used on the Stock sheet."),
        C("Contact", "contact", width=20, doc="Person to address orders to."),
        C("Email", "email", width=28, doc="Where purchase orders go."),
        C("Lead Time Days", "lead_time_days", "number", width=11, number_format=FMT_ONE_DECIMAL,
          doc="Usual days from order to delivery."),
        C("Lead Time Std Days", "lead_time_std_days", "number", width=11, number_format=FMT_ONE_DECIMAL,
          doc="How many days deliveries typically vary by."),
        C("Min Order Value", "min_order_value", "money", width=12, number_format=FMT_MONEY,
          doc="Smallest order the supplier accepts."),
        C("Notes", "notes", width=30, doc="Anything else."),
    ),
    doc="One row per supplier.",
    key="supplier",
    tab_color="4472C4",
)

RECEIPTS = Sheet(
    "Receipts", "input", "ReceiptsTable",
    (
        C("PO Number", "po_number", width=20, doc="The purchase order this delivery belongs to."),
        C("Supplier", "supplier", width=20, doc="Who delivered."),
        C("SKU", "sku", width=14, number_format=FMT_TEXT, doc="Item received."),
        C("Ordered", "ordered", "date", width=12, number_format=FMT_DATE, doc="Date the order was placed."),
        C("Received", "received", "date", width=12, number_format=FMT_DATE, doc="Date the goods arrived."),
        C("Quantity", "quantity", "number", width=10, number_format=FMT_QTY, doc="Units received."),
    ),
    doc="Deliveries received (may be empty).",
    tab_color="4472C4",
)

COUNT = Sheet(  # stock counts by a USB barcode scanner: it types the code and presses Enter
    "Count", "input", "CountTable",
    (
        C("Code", "code", width=18, number_format=FMT_TEXT,
          doc="What the scanner typed: an item's Barcode or its SKU."),
        C("Quantity", "quantity", "number", width=10, number_format=FMT_QTY,
          doc="Units counted; blank means 1, so scanning every item on a shelf counts it."),
        C("Date", "date", "date", width=12, number_format=FMT_DATE, doc="Day of the count; blank means As Of Date."),
    ),
    doc="Stock counts, one scan per row (may be empty). Each counted SKU's On Hand is the sum "
        "of its latest count day's scans.",
    tab_color="4472C4",
)

# ---------------------------------------------------------------------------------
# Output sheets (the tool's)
# ---------------------------------------------------------------------------------
OUTPUT_TAB = "70AD47"

REORDER = Sheet(
    "Reorder", "output", "ReorderTable",
    (
        C("SKU", "sku", width=14, number_format=FMT_TEXT),
        C("Description", "description", width=30),
        C("Supplier", "supplier", width=18),
        C("ABC", "abc", width=6, doc="A: top 80% of sales value, B: next 15%, C: the rest."),
        C("On Hand", "on_hand", "number", width=9, number_format=FMT_QTY),
        C("On Order", "on_order", "number", width=9, number_format=FMT_QTY),
        C("Inventory Position", "inventory_position", "number", width=11, number_format=FMT_QTY,
          doc="On Hand + On Order."),
        C("Daily Demand", "daily_demand", "number", width=10, number_format=FMT_ONE_DECIMAL,
          doc="Average units sold per day (d)."),
        C("Demand Std", "demand_std", "number", width=10, number_format=FMT_ONE_DECIMAL,
          doc="Day-to-day spread of demand (σd)."),
        C("Forecast Method", "forecast_method", width=16),
        C("Lead Time Days", "lead_time_days", "number", width=10, number_format=FMT_ONE_DECIMAL),
        C("Service Level", "service_level", "percent", width=10, number_format=FMT_PERCENT),
        C("Safety Stock", "safety_stock", "number", width=10, number_format=FMT_ONE_DECIMAL),
        C("Reorder Point", "reorder_point", "number", width=10, number_format=FMT_ONE_DECIMAL),
        C("Order Up To", "order_up_to", "number", width=10, number_format=FMT_ONE_DECIMAL),
        C("Suggested Qty", "suggested_qty", "integer", width=10, number_format=FMT_INT),
        C("Order Qty", "order_qty", "integer", width=10, number_format=FMT_INT, editable=True,
          doc="Starts as Suggested Qty; type your own and it is kept on the next run."),
        C("Order Value", "order_value", "money", width=11, number_format=FMT_MONEY, doc="Order Qty × Unit Cost."),
        C("Days Of Cover", "days_of_cover", "number", width=10, number_format=FMT_ONE_DECIMAL,
          doc="On Hand ÷ Daily Demand; blank when nothing sells."),
        C("Last Sale", "last_sale", "date", width=12, number_format=FMT_DATE),
        C("Stock Flag", "stock_flag", "choice", width=11, choices=STOCK_FLAGS),
        C("Status", "status", "choice", width=15, choices=REORDER_STATUSES),
        C("Reason", "reason", width=90),
        C("Planned For", "planned_for", "date", width=12, number_format=FMT_DATE,
          doc="The As Of Date this row's Order Qty is for; an Order Qty you typed keeps the date of the "
              "plan you typed it on, and is dropped once orders are drafted from it or the As Of Date "
              "has moved on by Review Period Days."),
    ),
    doc="What to reorder, how much, and why. One row per SKU.",
    key="sku",
    tab_color=OUTPUT_TAB,
)

DATA_ISSUES = Sheet(
    "Data Issues", "output", "DataIssuesTable",
    (
        C("Sheet", "sheet", width=14),
        C("Cell", "cell", width=10),
        C("SKU", "sku", width=14, number_format=FMT_TEXT),
        C("Problem", "problem", width=100),
    ),
    doc="One row per problem found in the inputs; empty when none.",
    tab_color="C00000",
)

ORDERS = Sheet(
    "Orders", "output", "OrdersTable",
    (
        C("PO Number", "po_number", width=22),
        C("Supplier", "supplier", width=20),
        C("Email", "email", width=26),
        C("Lines", "lines", "integer", width=7, number_format=FMT_INT),
        C("Order Value", "order_value", "money", width=12, number_format=FMT_MONEY),
        C("Min Order Value", "min_order_value", "money", width=12, number_format=FMT_MONEY),
        C("Meets Minimum", "meets_minimum", "choice", width=10, choices=YES_NO),
        C("Order File", "order_file", "link", width=40,
          doc="The order sheet, relative to the Order Folder; click it to open the file."),
        C("Email Draft", "email_draft", width=40, doc="The email draft (.eml), relative to the Order Folder."),
        C("Status", "status", width=30, choices=ORDER_STATUSES, editable=True,
          doc="DRAFTED when made; mark it SENT once you have emailed it yourself (only SENT orders "
              "count as on order), CANCELLED if it will not go."),
    ),
    doc="One row per supplier purchase order (filled by Draft Orders).",
    key="po_number",
    tab_color=OUTPUT_TAB,
    beside=(
        C("Supplier Lead Times", "lt_supplier", width=22, doc="Each supplier with received orders."),
        C("Promised Days", "lt_promised", "number", width=10, number_format=FMT_ONE_DECIMAL,
          doc="Lead Time Days on the Suppliers sheet."),
        C("Measured Days", "lt_measured", "number", width=10, number_format=FMT_ONE_DECIMAL,
          doc="Mean days from Ordered to Received over the Receipts (3 orders or more)."),
        C("Measured Std Days", "lt_measured_std", "number", width=10, number_format=FMT_ONE_DECIMAL),
        C("Orders Received", "lt_orders", "integer", width=9, number_format=FMT_INT),
        C("On Time", "lt_on_time", "percent", width=9, number_format=FMT_PERCENT,
          doc="Share of received orders that arrived within the promised days."),
    ),
)

ORDER_LINES = Sheet(
    "Order Lines", "output", "OrderLinesTable",
    (
        C("PO Number", "po_number", width=22),
        C("Supplier", "supplier", width=20),
        C("Order Date", "order_date", "date", width=12, number_format=FMT_DATE),
        C("Lead Time Days", "lead_time_days", "number", width=10, number_format=FMT_ONE_DECIMAL,
          doc="The supplier's lead time when the order was drafted."),
        C("SKU", "sku", width=14, number_format=FMT_TEXT),
        C("Quantity", "quantity", "number", width=10, number_format=FMT_QTY),
        C("Unit Cost", "unit_cost", "money", width=11, number_format=FMT_MONEY),
    ),
    doc="What each purchase order holds, so sent orders count as on order until received "
        "(kept by the tool; hidden; do not edit).",
    tab_color=OUTPUT_TAB,
    hidden=True,
)

OBSOLETE_REVIEW = Sheet(
    "Obsolete Review", "output", "ObsoleteReviewTable",
    (
        C("SKU", "sku", width=14, number_format=FMT_TEXT),
        C("Description", "description", width=30),
        C("Supplier", "supplier", width=18),
        C("Category", "category", width=14),
        C("On Hand", "on_hand", "number", width=9, number_format=FMT_QTY),
        C("Stock Value", "stock_value", "money", width=12, number_format=FMT_MONEY),
        C("Last Sale", "last_sale", "date", width=12, number_format=FMT_DATE),
        C("Days Since Sale", "days_since_sale", "integer", width=10, number_format=FMT_INT),
        C("Months Of Cover", "months_of_cover", "number", width=10, number_format=FMT_ONE_DECIMAL),
        C("Stock Flag", "stock_flag", "choice", width=11, choices=STOCK_FLAGS),
        C("Suggested Action", "suggested_action", width=40),
        C("Decision", "decision", "choice", width=12, editable=True,
          choices=("Keep", "Markdown", "Return", "Dispose", "Bundle")),
        C("Notes", "notes", width=40, editable=True),
    ),
    doc="Dead and slow stock to decide on once a month (filled by Monthly Review).",
    key="sku",
    tab_color=OUTPUT_TAB,
)

DASHBOARD = Sheet(
    "Dashboard", "output", "DashboardTable",
    (
        C("Measure", "measure", width=34),
        C("Value", "value", "number", width=16, number_format="#,##0.00"),
        C("Notes", "notes", width=60),
    ),
    doc="The shop at a glance.",
    key="measure",
    tab_color=OUTPUT_TAB,
)

REVIEW_LOG = Sheet(
    "Review Log", "output", "ReviewLogTable",
    (
        C("Month", "month", width=10, doc="Review month, YYYY-MM."),
        C("SKU", "sku", width=14, number_format=FMT_TEXT),
        C("Stock Flag", "stock_flag", "choice", width=11, choices=STOCK_FLAGS),
        C("On Hand", "on_hand", "number", width=9, number_format=FMT_QTY),
        C("Stock Value", "stock_value", "money", width=12, number_format=FMT_MONEY),
        C("Decision", "decision", width=12),
    ),
    doc="One block per monthly review; rerunning a month replaces only that month's block.",
    tab_color=OUTPUT_TAB,
)

_POLICY_MEASURES = (
    ("Cycle Service Level", "cycle_service_level", "percent", FMT_PERCENT),
    ("Fill Rate", "fill_rate", "percent", FMT_PERCENT),
    ("Avg Stock Value", "avg_stock_value", "money", FMT_MONEY),
    ("Orders", "orders", "integer", FMT_INT),
    ("Stockout Days", "stockout_days", "integer", FMT_INT),
    ("Lost Units", "lost_units", "number", FMT_QTY),
)
BACKTEST = Sheet(
    "Backtest", "output", "BacktestTable",
    (
        C("SKU", "sku", width=14, number_format=FMT_TEXT, doc='"All SKUs" first, then one row per SKU.'),
        C("Description", "description", width=28),
        C("Supplier", "supplier", width=18),
        C("ABC", "abc", width=6),
        C("Lead Time Days", "lead_time_days", "number", width=9, number_format=FMT_ONE_DECIMAL),
        C("Target Service Level", "target_service_level", "percent", width=10, number_format=FMT_PERCENT),
        C("Demand Units", "demand_units", "number", width=10, number_format=FMT_QTY),
        C("JIT Cycles", "jit_cycles", "integer", width=8, number_format=FMT_INT),
    ) + tuple(C(f"JIT {n}", f"jit_{f}", k, width=11, number_format=fmt) for n, f, k, fmt in _POLICY_MEASURES)
      + tuple(C(f"Just In Case {n}", f"jic_{f}", k, width=11, number_format=fmt) for n, f, k, fmt in _POLICY_MEASURES)
      + (  # what the shop really held, rebuilt backwards from On Hand, Sales and Receipts
        C("Actual SKUs", "actual_skus", "integer", width=8, number_format=FMT_INT,
          doc="1 when the SKU's real stock could be rebuilt backwards from On Hand, Sales and Receipts "
              "(the Actual columns are then filled), 0 when not; on All SKUs, how many could."),
        C("Actual Avg Stock Value", "actual_avg_stock_value", "money", width=11, number_format=FMT_MONEY,
          doc="What the shop really held: daily average of the rebuilt end-of-day stock × Unit Cost "
              "(consignment 0); on All SKUs, the sum over the rebuilt SKUs only."),
        C("Actual Orders", "actual_orders", "integer", width=9, number_format=FMT_INT,
          doc="Deliveries received in the window: one per PO Number, or per Received date when blank."),
        C("Actual Empty Shelf Days", "actual_empty_shelf_days", "integer", width=9, number_format=FMT_INT,
          doc="Days that ended with none in stock. Lost sales are not recorded, so the shop's real fill rate "
              "and cycle service level are not known."),
        C("Actual Note", "actual_note", width=48,
          doc="Why the Actual columns are blank; on All SKUs, the policies on the same rebuilt SKUs."),
    ),
    doc="What the policy would have achieved over the last Backtest Days, beside a just-in-case policy "
        "and what the shop actually held (where Receipts allow).",
    tab_color=OUTPUT_TAB,
    beside=(  # "Service kept": the service each policy achieved against the target, pooled per ABC class
        C("Service Kept", "sk_group", width=10,
          doc='"All SKUs", then the ABC classes A, B and C, each pooled over its SKUs.'),
        C("Measure", "sk_measure", width=20,
          doc="Cycle service level, or Fill rate when the Service Measure setting is Fill Rate."),
        C("Target", "sk_target", "percent", width=9, number_format=FMT_PERCENT,
          doc="The SKUs' Target Service Level, weighted by their JIT Cycles (by their Demand Units for "
              "Fill rate)."),
        C("JIT Achieved", "sk_jit", "percent", width=10, number_format=FMT_PERCENT,
          doc="The Measure the policy achieved: Σ (cycles − stock-out cycles) ÷ Σ cycles, or Σ units served "
              "÷ Σ units demanded."),
        C("Just In Case Achieved", "sk_jic", "percent", width=12, number_format=FMT_PERCENT,
          doc="The same for the just-in-case policy."),
        C("JIT − Target Points", "sk_jit_minus_target", "number", width=11, number_format="+0.0;-0.0;0.0",
          doc="(JIT Achieved − Target) × 100: above 0 the promise was kept."),
        C("Fill Rate: JIT", "sk_jit_fill_rate", "percent", width=10, number_format=FMT_PERCENT),
        C("Fill Rate: Just In Case", "sk_jic_fill_rate", "percent", width=12, number_format=FMT_PERCENT),
        C("Stock Value: JIT", "sk_jit_avg_stock_value", "money", width=12, number_format=FMT_MONEY,
          doc="Σ JIT Avg Stock Value of the group's SKUs."),
        C("Stock Value: Just In Case", "sk_jic_avg_stock_value", "money", width=13, number_format=FMT_MONEY),
        C("Stock: JIT ÷ Just In Case", "sk_stock_ratio", "percent", width=12, number_format=FMT_PERCENT,
          doc="Stock Value: JIT ÷ Stock Value: Just In Case."),
        C("SKUs", "sk_skus", "integer", width=6, number_format=FMT_INT),
        C("Backtest Of", "sk_end", "date", width=11, number_format=FMT_DATE,
          doc="The window's last day (the As Of Date of the backtest)."),
        C("Days Replayed", "sk_days", "integer", width=9, number_format=FMT_INT,
          doc="Days the backtest replayed: Backtest Days, or fewer when the Sales sheet does not reach back "
              "that far (see Window Note)."),
        C("Window Note", "sk_window_note", width=60,
          doc="Why fewer days than Backtest Days were replayed (on the All SKUs row); blank when all were."),
    ),
)
SERVICE_KEPT_GROUPS = ("All SKUs", "A", "B", "C")  # the rows of the Backtest sheet's "Service Kept" block

# The Dashboard is one Measure/Value/Notes table in a fixed row order, so the charts the
# template draws beside it can point at fixed ranges.
DASHBOARD_FLAG_ROWS = ("Stock value: obsolete", "Stock value: slow", "Stock value: other")
DASHBOARD_TOP_ITEMS = 10   # largest obsolete/slow items by stock value
DASHBOARD_LOG_MONTHS = 12  # stock value per review month, newest last
DASHBOARD_KPIS = (
    "Stock value (cash tied up)", "Consignment stock value", "Yearly holding cost", "Stock turns per year",
    "Average days of cover", "SKUs to reorder", "Value to reorder", "Obsolete SKUs", "Obsolete stock value",
    "Slow SKUs", "Slow stock value", "Service level kept (backtest)",
)


def dashboard_rows() -> dict[str, tuple[int, int]]:
    """First and last sheet row (one-based) of each Dashboard block, for the charts."""
    first = 2
    blocks = {}
    for name, size in (("kpis", len(DASHBOARD_KPIS)), ("flags", len(DASHBOARD_FLAG_ROWS)),
                       ("top", DASHBOARD_TOP_ITEMS), ("months", DASHBOARD_LOG_MONTHS)):
        blocks[name] = (first, first + size - 1)
        first += size
    return blocks


INPUT_SHEETS: tuple[Sheet, ...] = (SETTINGS, STOCK, SALES, SUPPLIERS, RECEIPTS, COUNT)
OUTPUT_SHEETS: tuple[Sheet, ...] = (REORDER, ORDERS, OBSOLETE_REVIEW, REVIEW_LOG, DASHBOARD, BACKTEST,
                                     DATA_ISSUES, ORDER_LINES)
ALL_SHEETS: tuple[Sheet, ...] = INPUT_SHEETS + OUTPUT_SHEETS
# Sheets a workbook may lack without stopping the run (read as empty).
OPTIONAL_INPUT_SHEETS = frozenset({RECEIPTS.name, COUNT.name})
# Input sheets newer than the first template: `upgrade` adds them, empty, to older workbooks.
UPGRADE_INPUT_SHEETS: tuple[Sheet, ...] = (COUNT,)

SHEETS_BY_NAME = {s.name: s for s in ALL_SHEETS}


def sheet(name: str) -> Sheet:
    """The contract for a sheet, by its name."""
    return SHEETS_BY_NAME[name]


# ---------------------------------------------------------------------------------
# How the sheets look and print: one rule for every sheet (the template applies it)
# ---------------------------------------------------------------------------------
WIDTH_CAP = 48  # widest column, in characters; longer text wraps inside it
HEADER_HEIGHT = 30  # points: two lines of an 11-point bold header
WRAP_INDENT = 1  # wrapped text starts one indent in, clear of a right-aligned amount beside it
# Conditional fills for the values an owner acts on: value -> (fill, font colour).
HIGHLIGHTS = {
    "REORDER": ("FFC7CE", "9C0006"),     # red: order this week
    "CHECK DATA": ("FFEB9C", "9C5700"),  # amber: fix an input first
    "OBSOLETE": ("F4B084", "833C0B"),    # orange: no sale for a long time
    "SLOW": ("DDEBF7", "1F4E78"),        # blue: more stock than months of sales
}
# Sheets set up for printing: landscape, one page wide, header row on every page, a
# footer. Backtest (42 columns) is left out: one page wide it would be unreadable.
PRINTED = ("Reorder", "Orders", "Obsolete Review", "Review Log", "Dashboard", "Data Issues")
WRAP_KINDS = frozenset({"text", "choice", "link"})


def display_width(col: Column) -> float:
    """The column's width on the sheet: its content (the contract's ``width``, or the
    longest choice) but at least half its header (headers wrap onto two lines), at most
    ``WIDTH_CAP``.

    >>> display_width(REORDER.column("reason")), display_width(REORDER.column("status"))
    (48, 18)
    """
    header = max(len(col.name) / 2, max((len(w) for w in col.name.split()), default=0)) + 2
    content = max([col.width] + [len(c) + 4 for c in col.choices])  # room for the indent and bold highlight
    return min(WIDTH_CAP, max(content, header))


def wraps(col: Column) -> bool:
    """Text wraps inside its column instead of spilling into the next (or being cut)."""
    return col.kind in WRAP_KINDS and bool(col.name)


def frozen_columns(sheet: Sheet) -> int:
    """Columns kept in view when scrolling right: SKU and Description when the sheet
    starts with them (so the item stays visible beside Order Qty), else none."""
    fields = sheet.fields[:2]
    return 2 if fields == ["sku", "description"] else 1 if fields[:1] == ["sku"] else 0


def money_format(currency: str) -> str:
    """The number format of money cells for a currency code: its symbol first where the
    shop knows one (``"£"#,##0.00``), else the code after the amount (``#,##0.00 "SEK"``).

    >>> money_format("GBP"), money_format("SEK")
    ('"£"#,##0.00', '#,##0.00 "SEK"')
    """
    from .money import CURRENCY_SYMBOLS  # a leaf module: the symbols live there, once

    symbol = CURRENCY_SYMBOLS.get(currency)
    code = currency.replace('"', "")
    return f'"{symbol}"{FMT_MONEY}' if symbol else f'{FMT_MONEY} "{code}"'


# The Dashboard's Value column holds money, counts, ratios and a percentage: one format
# per fixed row (see dashboard_rows()); rows not named here are money.
FMT_PERCENT_POINTS = '0.0"%"'  # a value already in percent (96.7 shows as 96.7%)
DASHBOARD_FORMATS = {
    "SKUs to reorder": FMT_INT, "Obsolete SKUs": FMT_INT, "Slow SKUs": FMT_INT,
    "Stock turns per year": FMT_ONE_DECIMAL, "Average days of cover": FMT_INT,
    "Service level kept (backtest)": FMT_PERCENT_POINTS,
}


def dashboard_formats(currency: str) -> tuple[str, ...]:
    """The number format of each Dashboard Value cell, row 2 down, in the fixed layout."""
    money = money_format(currency)
    kpis = tuple(DASHBOARD_FORMATS.get(m, money) for m in DASHBOARD_KPIS)
    rest = dashboard_rows()["months"][1] - 1 - len(kpis)
    return kpis + (money,) * rest


def number_formats(sheet: Sheet, currency: str) -> dict[str, str | tuple[str, ...]]:
    """The formats that follow the Settings, by field: money columns in the Currency, and
    the Dashboard's Value one per row. Every other column keeps the format its cells have
    (the template's ``number_format``, or the owner's own)."""
    formats: dict[str, str | tuple[str, ...]] = {
        c.field: money_format(currency) for c in sheet.layout.columns if c.kind == "money"}
    if sheet.name == DASHBOARD.name:
        formats["value"] = dashboard_formats(currency)
    return formats


def footer(business_name: str) -> str:
    """The printed footer (Excel codes): business name left, sheet centre, page right."""
    name = business_name.replace("&", "&&")
    return f"&L{name}&C&A&RPage &P of &N"


@dataclass(frozen=True)
class Look:
    """What the written sheets take from the Settings: money in ``currency``, the printed
    footer with ``business_name``, and ``order_folder`` (the Order Folder as seen from
    the workbook's folder) that ``link`` cells open their file names in."""

    currency: str = "GBP"
    business_name: str = ""
    order_folder: str = ""
