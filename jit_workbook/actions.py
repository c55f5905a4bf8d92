"""The actions an owner runs — one function each, shared by the CLI and the Excel buttons.

An action takes a *book*: anything with ``read(names, optional)`` returning raw
:class:`~jit_workbook.io.parse.Grid` s, ``write({sheet name: DataFrame})`` for the
output sheets, and ``status(message)`` for progress. The file engine
(:class:`~jit_workbook.io.file_book.FileBook`) and the live Excel engine
(:mod:`jit_workbook.io.live_book`) are the two kinds; the actions never know which.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import pandas as pd

from . import contract as K
from .data_issues import grouped, row_count
from .errors import Issue, JitError, WorkbookError
from .io.counts import counted_stock
from .io.parse import Grid, ShopInputs, check_owner_headers, header_map, parse_inputs, parse_sheet
from .planning import keep_owner_edits, plan_reorder, summarise, to_do_order
from .planning.availability import out_of_stock_days
from .planning.backtest import MIN_REPLAY_DAYS, WARMUP_DAYS, Window, replay_window
from .planning.backtest import backtest as replay
from .planning.service_report import service_kept
from .orders.po import draft_orders as po_drafts
from .orders.po import is_cancelled, measured_lead_times, open_order_quantities, record_orders, unmarked_drafts
from .orders.safety import order_paths
from .review import kpis, review_frame, review_month, update_log
from .barcodes import stock_barcode_issues
from .money import format_money
from .settings import Settings

# More rows than anyone reads; the last row says how many more there were.
MAX_ISSUE_ROWS = 10_000


class Book(Protocol):
    name: str

    def read(self, names: list[str], optional: frozenset[str] = frozenset()) -> dict[str, Grid]: ...

    def write(self, sheets: dict[str, pd.DataFrame], look: K.Look | None = None) -> None: ...

    def status(self, message: str) -> None: ...

    @property
    def folder(self) -> Path: ...


@dataclass
class RecalcResult:
    """What a recalculation found: the plan, the problems and the numbers for the summary line."""

    settings: Settings
    reorder: pd.DataFrame
    issues: list[Issue]
    counts: dict = field(default_factory=dict)
    unmarked: Issue | None = None

    @property
    def summary(self) -> str:
        """``512 SKUs: 37 to reorder (£4,210.50), 12 obsolete, 9 slow, 3 data issues — see 'Data Issues'``"""
        c = self.counts
        money = format_money(c["reorder_value"], self.settings.currency)
        n = row_count(self.issues)
        tail = f"{n} data issue{'s' if n != 1 else ''}" + (" — see 'Data Issues'" if n else "")
        reminder = f"; {self.unmarked.problem}" if self.unmarked else ""
        return (f"{c['skus']:,} SKUs: {c['to_reorder']:,} to reorder ({money}), "
                f"{c['obsolete']:,} obsolete, {c['slow']:,} slow, {tail}{reminder}")


@dataclass
class Planned:
    """One read of the workbook and one plan, shared by every action."""

    grids: dict[str, Grid]
    inputs: ShopInputs
    reorder: pd.DataFrame
    issues: list[Issue]
    unmarked: Issue | None = None  # the reminder about drafted orders nobody marked SENT
    lines: pd.DataFrame | None = None  # the order-lines record as read

    def previous(self, sheet: K.Sheet, then: dict[str, str] | None = None) -> pd.DataFrame:
        """What an output sheet holds now (the owner's edits live there), parsed by the contract.

        then: what happens to an unusable cell, by field (default: "ignored").
        A sheet that was optional and is not in the workbook reads as no rows.
        """
        if sheet.name not in self.grids:
            return pd.DataFrame({f: pd.Series(dtype=object) for f in sheet.fields})
        parsed = parse_sheet(sheet, self.grids[sheet.name], {f: "ignored" for f in sheet.fields} | (then or {}),
                             self.inputs.settings.day_first())
        self.issues.extend(parsed.issues)
        return parsed.frame


def plan(book: Book, say: Callable[[str], None], outputs: tuple[K.Sheet, ...]) -> Planned:
    """Read the inputs and the output sheets an action needs, plan every SKU.

    The owner's typed ``Order Qty`` values on the existing Reorder sheet are kept for the
    review they were typed in (see :func:`jit_workbook.planning.keep_owner_edits`). Where Receipts let the real stock
    be rebuilt, days out of stock are left out of the demand series
    (:func:`jit_workbook.planning.availability.out_of_stock_days`). Raises
    :class:`~jit_workbook.errors.WorkbookError` for a missing sheet or column before
    anything is written.
    """
    say("reading the workbook")
    outputs = tuple(dict.fromkeys(outputs + (K.REORDER, K.ORDERS, K.ORDER_LINES)))
    names = [s.name for s in K.INPUT_SHEETS] + [s.name for s in outputs]
    grids = book.read(names, optional=K.OPTIONAL_INPUT_SHEETS | {K.BACKTEST.name})  # read for the Dashboard
    for sheet in outputs:  # a renamed Order Qty (or SKU) header would drop the owner's typing unseen
        if sheet.name in grids:
            check_owner_headers(sheet, grids[sheet.name])
    inputs = parse_inputs(grids)
    issues = list(inputs.issues) + stock_barcode_issues(inputs.stock)
    counted, count_notes, count_issues = counted_stock(inputs.stock, grids.get(K.COUNT.name),
                                                      inputs.settings.plan_date())
    inputs.stock = counted
    issues += count_issues
    planned = Planned(grids, inputs, pd.DataFrame(), issues)
    previous = planned.previous(K.REORDER, {"order_qty": "the new suggestion is used"})
    suppliers = with_measured_lead_times(inputs.suppliers, inputs.receipts)
    open_qty = open_purchase_orders(planned, suppliers)
    stock = inputs.stock.assign(on_order=inputs.stock["on_order"] + inputs.stock["sku"].map(
        open_qty.set_index("sku")["open_qty"]).fillna(0.0))
    say(f"planning {len(inputs.stock):,} SKUs from {len(inputs.sales):,} sales lines")
    settings = inputs.settings
    out = out_of_stock_days(inputs.stock, inputs.sales, inputs.receipts, settings.plan_date(), settings.history_days)
    reorder, plan_issues = plan_reorder(stock, inputs.sales, suppliers, settings, unavailable=out)
    reorder = keep_owner_edits(reorder, previous[["sku", "suggested_qty", "order_qty", "planned_for"]],
                               review_days=settings.review_period_days, drafted=planned.lines)
    if len(open_qty):  # say which purchase orders the On Order figure includes
        why = reorder["sku"].map(open_qty.set_index("sku")["reason"])
        reorder["reason"] = reorder["reason"].where(why.isna(), reorder["reason"] + " On order includes " + why + ".")
    if len(count_notes):  # say where a counted On Hand came from
        why = reorder["sku"].map(count_notes)
        reorder["reason"] = reorder["reason"].where(why.isna(), (reorder["reason"] + " " + why).str.strip())
    planned.reorder = to_do_order(reorder)  # the rows to act on first: the week's to-do list
    issues += plan_issues
    return planned


def look(p: Planned) -> K.Look:
    """What the written sheets take from the Settings: the Currency, the Business Name and
    the Order Folder (as the Orders sheet's links see it: relative to the workbook's
    folder unless the setting is an absolute path)."""
    s = p.inputs.settings
    folder = Path(s.order_folder).expanduser()
    return K.Look(s.currency, s.business_name, str(folder) if folder.is_absolute() else folder.as_posix())


def with_measured_lead_times(suppliers: pd.DataFrame, receipts: pd.DataFrame) -> pd.DataFrame:
    """Suppliers with lead times measured from Receipts where 3 or more orders were received.

    A lead time typed on a Stock row still wins (the planning core looks there first).
    """
    measured = measured_lead_times(receipts, promised=suppliers)
    if measured.empty:
        return suppliers
    found = measured.dropna(subset=["lead_time_days"]).set_index("supplier")
    out = suppliers.copy()
    for column in ("lead_time_days", "lead_time_std_days"):
        by_name = out["supplier"].map(found[column])
        out[column] = by_name.where(by_name.notna(), out[column])
    return out


def open_purchase_orders(planned: Planned, suppliers: pd.DataFrame) -> pd.DataFrame:
    """Units on purchase orders marked SENT and not yet received, per SKU (with a reason)."""
    orders = planned.previous(K.ORDERS)
    lines = planned.lines = planned.previous(K.ORDER_LINES)
    open_qty, issues = open_order_quantities(orders, lines, planned.inputs.receipts,
                                             planned.inputs.settings.plan_date(), suppliers)
    planned.issues.extend(issues)
    planned.unmarked = unmarked_drafts(orders, planned.inputs.settings.plan_date())
    if planned.unmarked:
        planned.issues.append(planned.unmarked)
    return open_qty


def recalculate(book: Book, progress: Callable[[str], None] | None = None) -> RecalcResult:
    """Read the inputs, plan every SKU, write ``Reorder``, ``Data Issues`` and the ``Dashboard``."""
    say = progress or book.status
    p = plan(book, say, (K.REORDER, K.REVIEW_LOG, K.DASHBOARD, K.DATA_ISSUES, K.BACKTEST))
    log = p.previous(K.REVIEW_LOG)
    dashboard = kpis(p.reorder, p.inputs.sales, p.inputs.settings, log, p.previous(K.BACKTEST.block))
    say("writing Reorder, Dashboard and Data Issues")
    book.write({K.REORDER.name: p.reorder[K.REORDER.fields], K.DASHBOARD.name: dashboard,
                K.DATA_ISSUES.name: issues_frame(p.issues)}, look(p))
    return RecalcResult(p.inputs.settings, p.reorder, p.issues, summarise(p.reorder), p.unmarked)


@dataclass
class ReviewResult:
    """The monthly review: the items to decide on and this month's log block."""

    settings: Settings
    month: str
    review: pd.DataFrame
    issues: list[Issue]

    @property
    def summary(self) -> str:
        """``Review 2026-11: 54 obsolete or slow items holding £12,345.67; 50 still to decide``"""
        value = format_money(float(self.review["stock_value"].fillna(0).sum()), self.settings.currency)
        undecided = int(self.review["decision"].fillna("").eq("").sum())
        n = len(self.review)
        tail = f"; {row_count(self.issues)} data issues — see 'Data Issues'" if self.issues else ""
        return (f"Review {self.month}: {n:,} obsolete or slow item{'s' if n != 1 else ''} holding {value} "
                f"(consignment excluded); {undecided:,} still to decide{tail}")


def monthly_review(book: Book, progress: Callable[[str], None] | None = None) -> ReviewResult:
    """Plan as :func:`recalculate`, then write ``Obsolete Review``, this month's ``Review Log``
    block and the ``Dashboard``. The owner's Decision and Notes are kept by SKU."""
    say = progress or book.status
    p = plan(book, say, (K.REORDER, K.OBSOLETE_REVIEW, K.REVIEW_LOG, K.DASHBOARD, K.DATA_ISSUES, K.BACKTEST))
    settings = p.inputs.settings
    log = p.previous(K.REVIEW_LOG)
    review = review_frame(p.reorder, settings, p.previous(K.OBSOLETE_REVIEW), log)
    month = review_month(settings)
    log = update_log(log, review, month)
    dashboard = kpis(p.reorder, p.inputs.sales, settings, log, p.previous(K.BACKTEST.block))
    say("writing Obsolete Review, Review Log and Dashboard")
    book.write({K.REORDER.name: p.reorder[K.REORDER.fields], K.OBSOLETE_REVIEW.name: review,
                K.REVIEW_LOG.name: log, K.DASHBOARD.name: dashboard, K.DATA_ISSUES.name: issues_frame(p.issues)}, look(p))
    return ReviewResult(settings, month, review, p.issues)


@dataclass
class OrdersResult:
    """Purchase orders drafted (and perhaps sent) by :func:`draft_orders`."""

    settings: Settings
    orders: list
    issues: list[Issue]
    folder: Path
    failed: int = 0  # orders the mail server did not take

    @property
    def summary(self) -> str:
        """``4 purchase orders (£1,234.50) drafted in orders/2026-11-27; 3 sent, 1 not sent``"""
        value = format_money(sum(o.order_value for o in self.orders), self.settings.currency)
        n = len(self.orders)
        sent = sum(o.status.startswith("SENT") for o in self.orders)
        text = f"{n:,} purchase order{'s' if n != 1 else ''} ({value}) in {self.folder}"
        if sent or self.failed:
            text += f"; {sent} sent" + (f", {self.failed} NOT SENT — see the Orders sheet" if self.failed else "")
        if self.issues:
            text += f"; {row_count(self.issues)} data issues — see 'Data Issues'"
        return text


def draft_orders(book: Book, progress: Callable[[str], None] | None = None, *, send: bool = False,
                 force: bool = False, now: Callable[[], dt.datetime] = dt.datetime.now) -> OrdersResult:
    """One purchase order per supplier from the Reorder sheet's Order Qty (your edits count).

    For each order: an order sheet (.xlsx), the same as PDF and an email draft (.eml) in
    ``Order Folder/<order date>/``. With ``send``, each order not yet SENT goes to its
    supplier by SMTP (password from ``JIT_SMTP_PASSWORD``); orders under the supplier's
    Min Order Value are skipped unless ``force``. Files of an order already SENT are left
    as the supplier received them. Writes Orders, Order Lines, Reorder and Data Issues.
    """
    # Imported here, not at the top: fpdf2 and openpyxl take a quarter of a second to
    # import, which every Recalculate would otherwise pay for documents it never writes.
    from .orders.documents import write_order_pdf, write_order_xlsx
    from .orders.email import build_draft, send_orders, write_eml

    say = progress or book.status
    p = plan(book, say, (K.REORDER, K.ORDERS, K.ORDER_LINES, K.DATA_ISSUES))
    settings = p.inputs.settings
    previous_orders, previous_lines = p.previous(K.ORDERS), p.previous(K.ORDER_LINES)
    orders, issues = po_drafts(p.reorder, p.inputs.suppliers, p.inputs.stock, business_name=settings.business_name,
                               currency=settings.currency, order_date=settings.plan_date(),
                               previous_orders=previous_orders, previous_lines=previous_lines)
    p.issues.extend(issues)
    folder = Path(settings.order_folder).expanduser()
    if not folder.is_absolute():
        folder = book.folder / folder
    say(f"writing {len(orders)} purchase orders")
    messages = []
    for order in orders:
        xlsx, pdf, eml = order_paths(folder, order.order_date, order)
        if not order.sent:
            write_order_xlsx(order, xlsx, settings.business_name)
            write_order_pdf(order, pdf, settings.business_name)
        # Shown relative to the Order Folder ("2026-11-20/PO-… Acme.xlsx"); the cell links to the file.
        order.order_file, order.email_draft = xlsx.relative_to(folder).as_posix(), eml.relative_to(folder).as_posix()
        if order.email:
            message = build_draft(order, settings, [xlsx, pdf])
            if not order.sent:
                write_eml(message, eml)
            messages.append((order, message))
        else:
            order.email_draft = ""
    failed = 0
    sent_before = {o.po_number for o in orders if o.sent}
    if send:
        to_send = []
        for order, message in messages:
            if is_cancelled(order.status):  # the owner called it off: never sent
                continue
            if not order.sent and not order.meets_minimum and not force:
                order.status = "NOT SENT: below the supplier's Min Order Value (use --force to send anyway)"
            else:
                to_send.append((order, message))
        say(f"sending {len(to_send)} orders")
        statuses = send_orders(to_send, settings, now=now)
        for order, _ in to_send:
            order.status = statuses[order.po_number]
        failed = sum(o.status.startswith("NOT SENT") and "Min Order Value" not in o.status for o in orders)
    rows, lines = record_orders(orders, previous_orders, previous_lines)
    summary = measured_lead_times(p.inputs.receipts, promised=p.inputs.suppliers)
    say("writing Orders")
    try:
        book.write({K.REORDER.name: p.reorder[K.REORDER.fields], K.ORDERS.name: orders_sheet(rows, summary),
                    K.ORDER_LINES.name: lines, K.DATA_ISSUES.name: issues_frame(p.issues)}, look(p))
    except WorkbookError as exc:  # the workbook is unchanged, but the order files are not
        made = _what_was_made(orders, sent_before, folder / settings.plan_date().isoformat())
        raise WorkbookError(f"{exc} {made}") from None
    return OrdersResult(settings, orders, p.issues, folder / settings.plan_date().isoformat(), failed)


def _what_was_made(orders: list, sent_before: set[str], folder: Path) -> str:
    """What an orders run made before its workbook could not be saved: said, never hidden."""
    emailed = [o.po_number for o in orders if o.sent and o.po_number not in sent_before]
    said = f"The order files were written in {folder}."
    if emailed:
        said += (f" {len(emailed)} orders were emailed ({', '.join(emailed)}): set their Status to SENT on "
                 "Orders before you run orders --send again, or they are sent twice.")
    return said


def orders_sheet(rows: pd.DataFrame, lead_times: pd.DataFrame) -> pd.DataFrame:
    """The Orders sheet as written: the orders table, then the supplier lead-time block beside it."""
    side = pd.DataFrame({
        "lt_supplier": lead_times.get("supplier", pd.Series(dtype=object)),
        "lt_promised": lead_times.get("promised_lead_time_days", pd.Series(dtype=float)),
        "lt_measured": lead_times.get("lead_time_days", pd.Series(dtype=float)),
        "lt_measured_std": lead_times.get("lead_time_std_days", pd.Series(dtype=float)),
        "lt_orders": lead_times.get("orders", pd.Series(dtype=float)),
        "lt_on_time": lead_times.get("on_time_share", pd.Series(dtype=float)),
    })
    return with_block(K.ORDERS, rows, side)


def with_block(sheet: K.Sheet, rows: pd.DataFrame, block: pd.DataFrame) -> pd.DataFrame:
    """A sheet as written (``sheet.layout``): its table's rows, then the block beside it,
    both from row 2 down; the longer of the two sets the number of rows.

    >>> with_block(K.ORDERS, pd.DataFrame({"po_number": ["PO-1"]}),
    ...            pd.DataFrame({"lt_supplier": ["Acme", "Bolt"]}))[["po_number", "lt_supplier"]].values.tolist()
    [['PO-1', 'Acme'], [nan, 'Bolt']]
    """
    return pd.concat([rows.reset_index(drop=True), block.reset_index(drop=True)], axis=1).reindex(
        columns=sheet.layout.fields)


@dataclass
class BacktestSummary:
    """The backtest's figures for all SKUs, and the sheet rows."""

    settings: Settings
    overall: dict
    issues: list[Issue]
    window: Window | None = None

    @property
    def summary(self) -> str:
        """``Backtest of 180 days: JIT cycle service level 96.0% (target 94.4%), fill rate 97.1%; ...;
        actually held £9,876.00 on the 210 of 300 SKUs Receipts allow (JIT £4,321.00 on those)``"""
        o, cur = self.overall, self.settings.currency
        jit, jic = o.get("jit_avg_stock_value", 0.0), o.get("jic_avg_stock_value", 0.0)
        saving = f" ({1 - jit / jic:.0%} less)" if jic else ""
        k = o.get("actual_skus", 0)
        actual = (f"; actually held {format_money(o['actual_avg_stock_value'], cur)} on the {k} of {o['skus']} SKUs "
                  f"Receipts allow (JIT {format_money(o['covered_jit_avg_stock_value'], cur)} on those)" if k
                  else "; actual stock not known (see Actual Note)")
        short = f" ({self.window.note.rstrip('.')})" if self.window and self.window.shortened else ""
        return (f"Backtest of {o['days']} days{short}: JIT cycle service level {o['jit_cycle_service_level']:.1%} "
                f"(target {o['target_service_level']:.1%}), fill rate {o['jit_fill_rate']:.1%}, average stock "
                f"{format_money(jit, cur)}; just in case: fill rate {o['jic_fill_rate']:.1%}, average stock "
                f"{format_money(jic, cur)}{saving}{actual}")


def run_backtest(book: Book, progress: Callable[[str], None] | None = None) -> BacktestSummary:
    """Replay the policy over the last ``Backtest Days`` with the very same planning functions
    (:func:`jit_workbook.planning.backtest.backtest`) and write the ``Backtest`` sheet:
    an "All SKUs" row first, then one row per SKU."""
    say = progress or book.status
    p = plan(book, say, (K.BACKTEST, K.DATA_ISSUES))
    settings = p.inputs.settings
    window = replay_window(p.inputs.sales, settings.plan_date(), settings.backtest_days)
    if not window.enough:
        raise WorkbookError(too_little_history(window, settings.plan_date()))
    say(f"replaying the last {window.days} days")
    result = replay(p.inputs.stock, p.inputs.sales, with_measured_lead_times(p.inputs.suppliers, p.inputs.receipts),
                    settings, days=window.days, receipts=p.inputs.receipts)
    table = result.table()
    table = pd.concat([table.iloc[[-1]], table.iloc[:-1]], ignore_index=True)  # All SKUs first: the charts
    kept = service_kept(result.per_sku, settings.service_measure, result.overall.get("end"))
    kept["sk_days"] = float(window.days)
    kept["sk_window_note"] = [window.note] + [""] * (len(kept) - 1) if len(kept) else []
    say("writing Backtest")
    book.write({K.BACKTEST.name: with_block(K.BACKTEST, table, kept), K.DATA_ISSUES.name: issues_frame(p.issues)}, look(p))
    return BacktestSummary(settings, result.overall, p.issues, window)


def too_little_history(window: Window, as_of: dt.date) -> str:
    """Why the backtest refuses to run: the Sales sheet is too short to replay anything."""
    need = WARMUP_DAYS + MIN_REPLAY_DAYS
    if window.first_sale is None:
        return (f"Backtest: the Sales sheet has no sale dated on or before the As Of Date {as_of.isoformat()}, so "
                "there is no history to replay. Nothing was changed.")
    return (f"Backtest: the Sales sheet covers only {window.covered} days (from {window.first_sale.isoformat()} to the "
            f"As Of Date {as_of.isoformat()}); the backtest needs {WARMUP_DAYS} days of sales to plan from and at "
            f"least {MIN_REPLAY_DAYS} more to replay, {need} in all. Run it once Sales reach back {need} days. "
            "Nothing was changed.")


def issues_frame(issues: list[Issue]) -> pd.DataFrame:
    """The Data Issues sheet's rows: repeated problems grouped, in sheet and row order
    (:func:`jit_workbook.data_issues.grouped`), capped at MAX_ISSUE_ROWS with a final
    'and N more' row."""
    issues = grouped(issues)
    rows = [(i.sheet, i.cell, i.sku, i.problem) for i in issues[:MAX_ISSUE_ROWS]]
    if len(issues) > MAX_ISSUE_ROWS:
        rows.append(("", "", "", f"... and {len(issues) - MAX_ISSUE_ROWS:,} more problems like these; "
                                 "fix the ones above and run again"))
    return pd.DataFrame(rows, columns=K.DATA_ISSUES.fields, dtype=object)


@dataclass
class CardsResult:
    """Kanban cards printed by :func:`print_cards`."""

    settings: Settings
    path: Path | None
    cards: int
    pages: int
    left_out: dict[str, str]
    issues: list[Issue]
    skus: frozenset[str] = frozenset()  # the SKUs carded

    @property
    def summary(self) -> str:
        """``12 kanban cards (2 pages, A4) in cards/JIT_Inventory-kanban-2026-11-30.pdf; no card for X (why)``"""
        if self.path is None:
            text = "No kanban cards: no item is Active with demand and a Reorder Point above 0"
        else:
            text = (f"{self.cards:,} kanban card{'s' if self.cards != 1 else ''} ({self.pages} page"
                    f"{'s' if self.pages != 1 else ''}) in {self.path}")
        if self.left_out:
            text += "; no card for " + ", ".join(f"{sku} ({why})" for sku, why in self.left_out.items())
        barcodes = [i for i in self.issues if i.sheet == K.STOCK.name and i.sku in self.skus
                    and i.cell.startswith(K.STOCK.letter("barcode"))]
        if barcodes:
            text += f"; {len(barcodes)} barcode{'s' if len(barcodes) != 1 else ''} not printed: " + "; ".join(
                str(i) for i in barcodes[:3]) + (" ..." if len(barcodes) > 3 else "")
        return text


def print_cards(book: Book, progress: Callable[[str], None] | None = None, *, skus: list[str] | None = None,
                reorder_rows: list[int] | None = None, paper: str = "A4") -> CardsResult:
    """Kanban cards as one PDF in ``cards/`` beside the workbook (see :mod:`jit_workbook.cards`).

    The plan is the one :func:`recalculate` makes, so a card's numbers are the Reorder
    sheet's. skus: the SKUs to print (``--sku``); reorder_rows: one-based rows of the
    Reorder sheet whose SKUs to print (the rows selected in Excel); neither: every item
    the plan reorders. The workbook is not changed.

    Raises CardsError (exit code 2) when SKUs were asked for and none can have a card.
    """
    from .cards import choose_cards
    from .cards.pdf import COLUMNS, ROWS, write_cards_pdf
    from .orders.safety import safe_filename

    say = progress or book.status
    p = plan(book, say, (K.REORDER,))
    settings = p.inputs.settings
    if reorder_rows is not None:
        skus = (skus or []) + rows_skus(p.grids.get(K.REORDER.name), reorder_rows)
    choice = choose_cards(p.reorder, p.inputs.stock, settings.review_period_days, skus)
    if not choice.cards:
        if skus is not None:
            asked = ", ".join(f"{s} ({why})" for s, why in choice.left_out.items()) or "none given"
            raise CardsError(f"No kanban card to print for the SKUs asked for: {asked}")
        return CardsResult(settings, None, 0, 0, choice.left_out, p.issues)
    day = settings.plan_date().isoformat()
    stem = safe_filename(Path(book.name).stem, max_len=40, fallback="JIT_Inventory")
    if skus is not None:
        first = safe_filename(choice.cards[0].sku, max_len=30, fallback="item")
        stem += f"-kanban-{day}-{first}" + (f"-and-{len(choice.cards) - 1}-more" if len(choice.cards) > 1 else "")
    else:
        stem += f"-kanban-{day}"
    folder = (book.folder / "cards").resolve()
    path = folder / f"{stem}.pdf"
    if path.resolve().parent != folder:
        raise CardsError(f"the cards file {path.name} would be written outside {folder}; remove that link")
    say(f"drawing {len(choice.cards)} kanban cards")
    title = f"Kanban cards {day} — {settings.business_name}"
    write_cards_pdf(choice.cards, path, paper=paper, title=title)
    per_page = COLUMNS * ROWS
    return CardsResult(settings, path, len(choice.cards), -(-len(choice.cards) // per_page), choice.left_out,
                       p.issues, frozenset(c.sku for c in choice.cards))


class CardsError(JitError):
    """No card can be printed for what was asked (unknown or never-reordered SKUs). Exit code 2."""

    exit_code = 2


def rows_skus(grid: Grid | None, rows: list[int]) -> list[str]:
    """The SKUs in the given one-based rows of the Reorder sheet (row 1, the header, is skipped).

    >>> rows_skus(Grid([["SKU", "Description"], ["A-1", "x"], ["B-2", "y"]]), [3, 2, 1, 9])
    ['B-2', 'A-1']
    """
    if grid is None or not grid.rows:
        return []
    column = header_map(K.REORDER, grid.rows[0]).get("sku", 0) if grid.rows[0] else 0
    out = []
    for r in rows:
        if 2 <= r <= len(grid.rows) and column < len(grid.rows[r - 1]):
            value = grid.rows[r - 1][column]
            text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value or "").strip()
            if text:
                out.append(text)
    return out
