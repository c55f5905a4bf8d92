"""The Excel buttons end to end, on the openpyxl test engine behind the real xlwings API.

Only the layer that would talk COM to Excel is replaced (tests/xlwings_engine.py); our
code runs unchanged. Results are saved to disk and compared, cell by cell through
openpyxl, with what the file engine (``jit-workbook recalc``) makes from the same inputs.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw

from jit_workbook import actions, demo, excel
from jit_workbook import contract as K
from jit_workbook.io.file_book import FileBook

try:
    from xlwings_engine import use_engine, xl_engine  # noqa: F401
except ImportError:  # tests/ became a package
    from tests.xlwings_engine import use_engine, xl_engine  # noqa: F401

OUTPUTS = (K.REORDER, K.DASHBOARD, K.DATA_ISSUES)  # what Recalculate writes


@pytest.fixture(scope="module")
def tiny_shop(tmp_path_factory) -> Path:
    return demo.write_shop("tiny", tmp_path_factory.mktemp("shop") / "JIT_Inventory.xlsx")


@pytest.fixture
def shop(tiny_shop, tmp_path) -> Path:
    path = tmp_path / "JIT_Inventory.xlsx"
    shutil.copyfile(tiny_shop, path)
    return path


def edit(path: Path, sheet: str, cells: dict, kinds: dict | None = None) -> None:
    """Change cells as an owner would, with openpyxl standing in for Excel.

    kinds: cell -> openpyxl data type to force ("s" keeps "=..." as text, "e" makes an error cell).
    """
    wb = openpyxl.load_workbook(path)
    for addr, value in cells.items():
        wb[sheet][addr] = value
        if kinds and addr in kinds:
            wb[sheet][addr].data_type = kinds[addr]
    wb.save(path)


def file_mode(path: Path, tmp_path: Path) -> Path:
    """What ``jit-workbook recalc`` makes of a copy of ``path``."""
    copy = tmp_path / "file-mode" / path.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, copy)
    actions.recalculate(FileBook(copy))
    return copy


def live_mode(path: Path, tmp_path: Path, before=None) -> tuple[Path, str | None]:
    """Open a copy of ``path`` on the test engine, click Recalculate, save; returns (saved file, summary).

    before: called with the xlwings Book before the click (to type into it).
    """
    copy = tmp_path / "live-mode" / path.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, copy)
    book = xw.Book(copy)
    if before:
        before(book)
    summary = excel.recalculate(book)
    book.save(copy)
    return copy, summary


def same(a, b) -> bool:
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return type(a) is type(b) and a == b


def differences(got: Path, exp: Path, sheets=OUTPUTS) -> list[str]:
    """Every cell of the output sheets where the two files differ: value (numbers to 1e-9,
    dates equal, empty equals empty), text-ness, number format, the owner's yellow; plus
    the table's range. Empty list when equal."""
    out = []
    wg, we = openpyxl.load_workbook(got), openpyxl.load_workbook(exp)
    for sheet in sheets:
        g, e = wg[sheet.name], we[sheet.name]
        if g.tables[sheet.table].ref != e.tables[sheet.table].ref:
            out.append(f"{sheet.name} table: {g.tables[sheet.table].ref} != {e.tables[sheet.table].ref}")
        rows = max(g.max_row, e.max_row)
        for r in range(1, rows + 1):
            for c, col in enumerate(sheet.columns, start=1):
                cg, ce = g.cell(r, c), e.cell(r, c)
                where = f"{sheet.name}!{cg.coordinate}"
                if not same(cg.value, ce.value):
                    out.append(f"{where}: {cg.value!r} != {ce.value!r}")
                elif isinstance(ce.value, str) and cg.data_type != ce.data_type:
                    out.append(f"{where}: stored as {cg.data_type}, not {ce.data_type}")
                if r > 1 and ce.value is not None and cg.number_format != ce.number_format:
                    out.append(f"{where}: format {cg.number_format!r} != {ce.number_format!r}")
                if r > 1 and col.editable and r <= e.max_row and \
                        (cg.fill.fgColor.rgb or "")[-6:] != (ce.fill.fgColor.rgb or "")[-6:]:
                    out.append(f"{where}: fill {cg.fill.fgColor.rgb} != {ce.fill.fgColor.rgb}")
    return out


def rows_of(path: Path, sheet: K.Sheet) -> list[dict]:
    ws = openpyxl.load_workbook(path)[sheet.name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


# -- the same results as the command line ------------------------------------------


def test_recalculate_writes_what_the_command_line_writes(xl_engine, shop, tmp_path):
    live, summary = live_mode(shop, tmp_path)
    exp = file_mode(shop, tmp_path)
    assert differences(live, exp) == []
    assert summary.startswith("40 SKUs: ")
    assert len(rows_of(live, K.REORDER)) == 40
    # one message, the summary, as an information box
    assert [(a["prompt"], a["mode"]) for a in xl_engine.alerts] == [(summary, "info")]


def test_messy_inputs_give_the_same_data_issues(xl_engine, shop, tmp_path):
    edit(shop, "Sales", {"A5": "yesterday", "C6": "abc", "C7": "#N/A", "C8": None, "A11": None,
                         "C9": dt.datetime(2026, 1, 1), "A10": 45000, "B13": 123, "D14": "free"},
         kinds={"C7": "e"})
    edit(shop, "Stock", {"F3": "abc", "G4": dt.datetime(2026, 2, 3), "H7": "#DIV/0!", "M5": "12 ",
                         "N6": "95%", "O8": "maybe"}, kinds={"H7": "e"})
    wb = openpyxl.load_workbook(shop)  # dates typed into number columns keep their date format
    wb["Sales"]["C9"].number_format = wb["Stock"]["G4"].number_format = "yyyy-mm-dd"
    wb.save(shop)

    live, _ = live_mode(shop, tmp_path)
    exp = file_mode(shop, tmp_path)
    assert differences(live, exp) == []
    problems = {f"{i['Sheet']}!{i['Cell']}: {i['Problem']}" for i in rows_of(live, K.DATA_ISSUES)}
    assert {
        'Sales!A5: date "yesterday" is not a date (type a date, or YYYY-MM-DD); sale skipped',
        'Sales!C6: quantity "abc" is not a number; sale skipped',
        "Sales!C7: Quantity is the error value #N/A; sale skipped",
        'Sales!C9: quantity "2026-01-01" is not a number; sale skipped',
        "Sales!C8: quantity is blank; sale skipped",
        "Sales!A11: date is blank; sale skipped",
        'Stock!G4: on order "2026-02-03" is not a number; the SKU is marked CHECK DATA',
        "Stock!H7: Unit Cost is the error value #DIV/0!; read as blank",
    } <= problems


def test_newer_excel_errors_are_named_not_read_as_numbers(xl_engine, shop, tmp_path):
    # xlwings on Windows translates only the seven classic error values; #SPILL! and
    # #CALC! arrive as bare COM numbers (a quantity of -2,146,826,243).
    edit(shop, "Sales", {"C4": "#SPILL!", "D5": "#CALC!"}, kinds={"C4": "e", "D5": "e"})
    live, _ = live_mode(shop, tmp_path)
    problems = {f"{i['Sheet']}!{i['Cell']}: {i['Problem']}" for i in rows_of(live, K.DATA_ISSUES)}
    assert "Sales!C4: Quantity is the error value #SPILL!; sale skipped" in problems
    assert "Sales!D5: Unit Price is the error value #CALC!; price ignored" in problems


def test_a_shorter_rerun_leaves_no_old_rows(xl_engine, shop, tmp_path):
    def recalc_then_drop_ten_items(book):
        excel.recalculate(book)
        book.sheets["Stock"].range("A32:P41").clear_contents()

    live, summary = live_mode(shop, tmp_path, before=recalc_then_drop_ten_items)
    assert summary.startswith("30 SKUs: ")
    shorter = tmp_path / "shorter.xlsx"
    shutil.copyfile(shop, shorter)
    edit(shorter, "Stock", {f"{c}{r}": None for r in range(32, 42) for c in "ABCDEFGHIJKLMNOP"})
    assert differences(live, file_mode(shorter, tmp_path)) == []
    ws = openpyxl.load_workbook(live)["Reorder"]
    width = len(K.REORDER.columns)
    assert ws.tables["ReorderTable"].ref == f"A1:{K.column_letter(width)}31"
    assert all(ws.cell(r, c).value is None for r in range(32, 42) for c in range(1, width + 1))


def test_owner_order_qty_typed_in_excel_survives_a_rerun(xl_engine, shop):
    book = xw.Book(shop)
    excel.recalculate(book)
    reorder = book.sheets["Reorder"]
    table = reorder.range("A1").options(expand="table", ndim=2).value
    header = table[0]
    row = next(i for i, r in enumerate(table) if r[header.index("Status")] == "REORDER") + 1
    sku, suggested = table[row - 1][0], table[row - 1][header.index("Suggested Qty")]
    qty_cell = reorder.range((row, header.index("Order Qty") + 1))
    qty_cell.value = suggested + 5  # the owner types over the suggestion

    excel.recalculate(book)
    assert qty_cell.value == suggested + 5
    assert reorder.range((row, 1)).value == sku
    reason = reorder.range((row, header.index("Reason") + 1)).value
    assert f"Order Qty {suggested + 5:g} is yours (suggested {suggested:g})" in reason


def test_text_stays_text(xl_engine, shop, tmp_path):
    edit(shop, "Stock", {"A3": "00123", "B2": '=HYPERLINK("x")', "B4": "2026-03", "B5": "+44 cable"},
         kinds={"B2": "s"})
    wb = openpyxl.load_workbook(shop)
    wb["Sales"]["B2"] = "00123"  # a sale for the new SKU, typed as text
    wb.save(shop)
    stock = openpyxl.load_workbook(shop)["Stock"]
    live, _ = live_mode(shop, tmp_path)
    ws = openpyxl.load_workbook(live)["Reorder"]  # rows in to-do order: found by SKU
    row_of = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    at = {a: f"{a[0]}{row_of[stock[f'A{a[1:]}'].value]}" for a in ("B2", "A3", "B4", "B5")}
    cells = {a: (ws[at[a]].value, ws[at[a]].data_type) for a in at}
    assert cells == {"B2": ('=HYPERLINK("x")', "s"), "A3": ("00123", "s"), "B4": ("2026-03", "s"),
                     "B5": ("+44 cable", "s")}
    assert ws[at["B2"]].quotePrefix and not ws[at["A3"]].quotePrefix  # SKU column is formatted "@" instead
    assert ws[at["A3"]].number_format == "@"
    assert differences(live, file_mode(shop, tmp_path)) == []


# -- round trips -----------------------------------------------------------------------


def _calls_for(monkeypatch, tmp_path, skus: int) -> dict:
    name = f"live-{skus}"
    monkeypatch.setitem(demo.SHOPS, name, demo.ShopSpec(name, skus=skus, days=30, seed=5))
    path = demo.write_shop(name, tmp_path / f"{name}.xlsx")
    with use_engine() as engine:
        book = xw.Book(path)
        engine.reset_calls()
        assert excel.recalculate(book).startswith(f"{skus:,} SKUs")
        return {"total": len(engine.calls), "gets": len(engine.value_reads), "sets": len(engine.value_writes),
                "writes": engine.value_writes}


def test_round_trips_do_not_grow_with_the_number_of_skus(monkeypatch, tmp_path):
    small, large = _calls_for(monkeypatch, tmp_path, 100), _calls_for(monkeypatch, tmp_path, 2_000)
    # one Range.value read per sheet, one write per output sheet; every other call the same too
    assert (small["gets"], small["sets"], small["total"]) == (large["gets"], large["sets"], large["total"])
    assert [w for w in large["writes"] if w[0].startswith("Reorder!")] == [("Reorder!$A$2:$X$2001", (2000, 24))]


@pytest.mark.slow
def test_only_xlwings_own_chunking_adds_round_trips(monkeypatch, tmp_path):
    # Classic xlwings splits writes above 100,000 cells (base_classes.DEFAULT_MAX_CELLS_PER_WRITE)
    # into chunks of 100,000 // 24 = 4,166 Reorder rows: 5,000 SKUs take two writes.
    small, large = _calls_for(monkeypatch, tmp_path, 100), _calls_for(monkeypatch, tmp_path, 5_000)
    assert large["gets"] == small["gets"] and large["sets"] == small["sets"] + 1
    assert [w for w in large["writes"] if w[0].startswith("Reorder!")] == [
        ("Reorder!$A$2:$X$4167", (4166, 24)), ("Reorder!$A$4168:$X$5001", (834, 24))]


# -- what the owner sees ---------------------------------------------------------------


def test_screen_updating_off_while_writing_and_status_bar_handed_back(xl_engine, shop):
    book = xw.Book(shop)
    xl_engine.app.screen_updating = True
    xl_engine.reset_calls()
    excel.recalculate(book)
    assert xl_engine.screen_updating_history == [False, True]
    first_write = next(i for i, c in enumerate(xl_engine.calls) if c.member == "raw_value.set")
    off = next(i for i, c in enumerate(xl_engine.calls) if c.member == "screen_updating.set")
    assert off < first_write
    bar = xl_engine.status_bar_history
    assert "JIT: reading Sales (7,727 rows)…" in bar and "JIT: writing Reorder (40 rows)…" in bar
    assert bar[-1] is False


def test_protected_output_sheet_fails_mid_write_and_restores_excel(xl_engine, shop):
    wb = openpyxl.load_workbook(shop)
    wb["Data Issues"].protection.sheet = True  # Reorder is written first, then this refuses
    wb.save(shop)
    book = xw.Book(shop)
    assert excel.recalculate(book) is None
    assert xl_engine.screen_updating_history == [False, True]
    assert xl_engine.status_bar_history[-1] is False
    assert xl_engine.value_writes[0][0] == "Reorder!$A$2:$X$41"  # Reorder was written before the failure
    (alert,) = xl_engine.alerts
    assert alert["mode"] == "critical" and alert["title"] == "JIT Inventory"
    assert alert["prompt"].startswith("Could not finish writing the 'Data Issues' sheet (ProtectedSheetError: ")
    assert "unprotect it (Review > Unprotect Sheet)" in alert["prompt"]
    assert "Traceback" not in alert["prompt"] and 'File "' not in alert["prompt"]


@pytest.mark.parametrize("change, message", [
    (lambda book: book.sheets["Suppliers"].delete(), "JIT_Inventory.xlsx: sheet 'Suppliers' not found. "),
    (lambda book: setattr(book.sheets["Sales"]["C1"], "value", "Qty"), "Sales: column 'Quantity' is missing."),
])
def test_missing_sheet_or_column_is_one_plain_message(xl_engine, shop, change, message):
    book = xw.Book(shop)
    change(book)
    xl_engine.reset_calls()
    assert excel.recalculate(book) is None
    (alert,) = xl_engine.alerts
    assert alert["prompt"].startswith(message)
    assert alert["title"] == "JIT Inventory: nothing was changed" and alert["mode"] == "critical"
    assert "Traceback" not in alert["prompt"] and 'File "' not in alert["prompt"]
    assert xl_engine.value_writes == [] and xl_engine.screen_updating_history == []
    assert xl_engine.status_bar_history[-1] is False


def test_total_row_is_refused_before_anything_changes(xl_engine, shop):
    wb = openpyxl.load_workbook(shop)
    wb["Reorder"].tables["ReorderTable"].totalsRowCount = 1
    wb.save(shop)
    book = xw.Book(shop)
    xl_engine.reset_calls()
    assert excel.recalculate(book) is None
    assert xl_engine.alerts[0]["prompt"] == ('The table "ReorderTable" on the Reorder sheet has a Total Row. '
                                             "Turn it off (Table Design > Total Row) and run again.")
    assert xl_engine.alerts[0]["title"] == "JIT Inventory: nothing was changed"
    assert xl_engine.value_writes == []


def test_sheet_without_its_table_is_written_like_the_file_engine_does(xl_engine, shop, tmp_path):
    wb = openpyxl.load_workbook(shop)
    del wb["Data Issues"].tables["DataIssuesTable"]
    wb.save(shop)
    edit(shop, "Sales", {"C6": "abc"})
    live, summary = live_mode(shop, tmp_path)
    assert "1 data issue" in summary
    exp = file_mode(shop, tmp_path)
    assert differences(live, exp, sheets=(K.REORDER,)) == []
    assert rows_of(live, K.DATA_ISSUES) == rows_of(exp, K.DATA_ISSUES)


# -- the button's entry point ----------------------------------------------------------


@pytest.mark.parametrize("sheet, starts", [("Reorder", "40 SKUs: "), ("Stock", "40 SKUs: "),
                                           ("Orders", "5 purchase orders"),  # the tiny shop: 5 suppliers to order from
                                           ("Obsolete Review", "Review 2026-11: ")])
def test_main_runs_the_action_of_the_active_sheet(xl_engine, shop, sheet, starts):
    book = xw.Book(shop)
    book.sheets[sheet].activate()
    xl_engine.set_caller(book)
    summary = excel.main()
    assert summary.startswith(starts)
    assert ("Reorder!$A$2:$X$41", (40, 24)) in xl_engine.value_writes
    written = {address.split("!")[0].strip("'") for address, _ in xl_engine.value_writes}
    expected = {"Orders": {"Reorder", "Orders", "Order Lines"},
                "Obsolete Review": {"Reorder", "Obsolete Review", "Review Log", "Dashboard"}}
    assert written == expected.get(sheet, {"Reorder", "Dashboard"})  # Data Issues is empty here


def test_main_runs_the_action_registered_for_the_active_sheet(xl_engine, shop, monkeypatch):
    seen = []
    monkeypatch.setitem(excel.ACTIONS_BY_SHEET, "Orders",
                        excel.Action("Draft Orders", lambda book: seen.append(book.sheets.active.name) or "drafted"))
    book = xw.Book(shop)
    xl_engine.set_caller(book)
    book.sheets["Orders"].activate()
    assert excel.main() == "drafted" and seen == ["Orders"]
    book.sheets["Reorder"].activate()
    assert excel.main().startswith("40 SKUs: ")
    assert excel.action_for("Orders").label == "Draft Orders"
    assert excel.action_for("Obsolete Review").label == "Monthly Review"
    assert excel.action_for("Stock") is excel.RECALCULATE


def test_backtest_button_writes_what_the_command_line_writes(xl_engine, shop, tmp_path):
    live = tmp_path / "live-mode" / shop.name
    live.parent.mkdir()
    shutil.copyfile(shop, live)
    book = xw.Book(live)
    book.sheets[K.BACKTEST.name].activate()
    xl_engine.set_caller(book)
    summary = excel.main()  # the Backtest sheet's button
    book.save(live)
    exp = tmp_path / "file-mode" / shop.name
    exp.parent.mkdir()
    shutil.copyfile(shop, exp)
    actions.run_backtest(FileBook(exp))
    assert summary.startswith("Backtest of 180 days: JIT cycle service level ")
    assert differences(live, exp, sheets=(K.BACKTEST.layout,)) == []  # the table and the Service Kept block
    rows = rows_of(live, K.BACKTEST)
    kept = [r for r in rows if r["Service Kept"]]
    assert [r["Service Kept"] for r in kept] == list(K.SERVICE_KEPT_GROUPS)
    assert kept[0]["JIT Achieved"] == pytest.approx(rows[0]["JIT Cycle Service Level"], rel=1e-12)
    assert rows[0]["SKU"] == "All SKUs" and len(rows) == 41
    assert rows[0]["Actual SKUs"] > 0 and rows[0]["JIT Avg Stock Value"] < rows[0]["Just In Case Avg Stock Value"]
    written = {address.split("!")[0].strip("'") for address, _ in xl_engine.value_writes}
    assert written == {K.BACKTEST.name}  # inputs are only read


def test_draft_orders_button_writes_the_links_the_command_line_writes(xl_engine, shop, tmp_path):
    """Orders in Excel: each Order File is the name relative to the Order Folder, as the
    same HYPERLINK formula the file writer stores; money in the Currency."""
    live = tmp_path / "live" / shop.name
    live.parent.mkdir()
    shutil.copyfile(shop, live)
    book = xw.Book(live)
    book.sheets["Orders"].activate()
    xl_engine.set_caller(book)
    assert excel.main().startswith("5 purchase orders")
    book.save(live)
    exp = tmp_path / "file" / shop.name
    exp.parent.mkdir()
    shutil.copyfile(shop, exp)
    actions.draft_orders(FileBook(exp))
    got, want = openpyxl.load_workbook(live)["Orders"], openpyxl.load_workbook(exp)["Orders"]
    col = K.ORDERS.letter("order_file")
    links = [got[f"{col}{r}"].value for r in range(2, 7)]
    assert links == [want[f"{col}{r}"].value for r in range(2, 7)]
    assert all(v.startswith('=HYPERLINK("orders/') and v.endswith('.xlsx")') for v in links)
    value = K.ORDERS.letter("order_value")
    assert got[f"{value}2"].number_format == want[f"{value}2"].number_format == '"£"#,##0.00'
