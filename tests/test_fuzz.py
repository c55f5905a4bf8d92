"""Fuzz: hostile cells in every input sheet, through the command line (issue 12).

A fixed seed makes about 150 workbooks from one small shop, each with a few input
cells replaced in the sheet XML by something hostile: absurd numbers and dates, error
values, formulas, booleans, text that looks like a formula, a path or a placeholder,
control characters, a shared string that does not exist, a damaged header. Each goes
through ``jit-workbook recalc`` (or ``review``) in-process. The closing line counts:
no traceback, every exit 0 or 2, every exit 2 leaving the file byte-identical.
"""

import random
import re
import shutil
import zipfile
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from conftest import run_cli

SEED = 20261202
WORKBOOKS = 150
INPUTS = ["Settings", "Stock", "Sales", "Suppliers", "Receipts"]

TEXTS = ["", " ", "abc", "=1+1", "=HYPERLINK(\"http://x.example\",\"click\")", "+cmd|' /C calc'!A0", "@SUM(1)",
         "-1e308", "1e309", "NaN", "inf", "-0", "9999-12-31", "0000-00-00", "29/02/2025", "31.13.2026",
         "1066-10-14", "12:00", "97%", "ninety", "1,000.5", "1.000,5", "£5", "$-3", "\u202egpj.exe", "😀🛒",
         "../../etc/passwd", "C:\\Windows\\system32", "CON", "Sales!A1", "{supplier}", "%s%n%x", "<b>x</b>",
         "a\tb\nc\r", "x" * 32767, "ß" * 300, "DROP TABLE Stock;--", "\u0000", "\u0001", "\ufffe", "HAM-01 ",
         "ham-01", "00123", "TRUE", "#N/A", "starttls", "ssl", "none", "Day First"]
NUMBERS = ["0", "-0", "-1", "1", "3.7", "-5", "1e308", "-1e308", "1e-308", "9007199254740993", "1e15",
           "99999999999", "2958466", "2958465.99999", "-693594", "60", "NaN", "INF", "1e999", "abc", "", "0x1F"]
ERRORS = ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA"]
_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>.*?</c>)', re.DOTALL)


def hostile_cell(rng: random.Random, ref: str, style: str) -> bytes:
    # A shared string that does not exist makes the whole sheet unreadable: rare, so most
    # workbooks reach the parser and the planning.
    kind = rng.choices(["text", "number", "error", "bool", "formula", "empty", "shared"],
                       weights=[10, 10, 4, 2, 4, 2, 1])[0]
    s = f' s="{style}"' if style else ""
    if kind == "text":
        text = rng.choice(TEXTS)
        return (f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>').encode(
            "utf-8", "surrogatepass")
    if kind == "number":
        return f'<c r="{ref}"{s}><v>{rng.choice(NUMBERS)}</v></c>'.encode()
    if kind == "error":
        return f'<c r="{ref}"{s} t="e"><v>{escape(rng.choice(ERRORS))}</v></c>'.encode()
    if kind == "bool":
        return f'<c r="{ref}"{s} t="b"><v>{rng.choice(["1", "0", "2", "yes"])}</v></c>'.encode()
    if kind == "formula":
        value = rng.choice(NUMBERS + ERRORS)
        t = ' t="e"' if value in ERRORS else ""
        return f'<c r="{ref}"{s}{t}><f>{escape(rng.choice(["1/0", "NOW()", "A1", "Sheet9!Z9"]))}</f><v>{value}</v></c>'.encode()
    if kind == "shared":
        return f'<c r="{ref}"{s} t="s"><v>{rng.choice(["999999", "-1", "x"])}</v></c>'.encode()
    return f'<c r="{ref}"{s}/>'.encode()


def hostile_workbook(base: Path, out: Path, rng: random.Random) -> list[str]:
    """Copy ``base`` to ``out`` with 1–8 input cells made hostile; returns which (for a failure)."""
    from jit_workbook.io.xlsx_parts import sheet_parts

    with zipfile.ZipFile(base) as zin:
        parts = sheet_parts(zin)
        xml = {n: zin.read(parts[n]) for n in INPUTS if n in parts}
        changed = []
        for _ in range(rng.randint(1, 8)):
            name = rng.choice(list(xml))
            cells = list(_CELL.finditer(xml[name]))
            if not cells:
                continue
            header = [c for c in cells if c.group(2) == b"1"]
            cell = rng.choice(header) if header and rng.random() < 0.08 else rng.choice(cells)
            ref = (cell.group(1) + cell.group(2)).decode()
            style = re.search(rb's="(\d+)"', cell.group(3))
            new = hostile_cell(rng, ref, style.group(1).decode() if style else "")
            xml[name] = xml[name][:cell.start()] + new + xml[name][cell.end():]
            changed.append(f"{name}!{ref} = {new[:80]!r}")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
            for info in zin.infolist():
                name = next((n for n in xml if parts[n] == info.filename), None)
                zo.writestr(info, xml[name] if name else zin.read(info))
    return changed


@pytest.fixture(scope="module")
def small_shop(tmp_path_factory) -> Path:
    """The tiny shop cut to 15 items and their last 120 days, so 150 runs take two minutes."""
    import pandas as pd

    from jit_workbook.demo import make_shop, shop_spec
    from jit_workbook.io.xlsx_patch import patch_sheets
    from jit_workbook.template import build_template

    sheets = make_shop("tiny")
    skus = set(sheets["Stock"]["sku"].iloc[:15])
    end = pd.Timestamp(sheets["Sales"]["date"].max())
    for name, frame in sheets.items():
        if "sku" in frame:
            frame = frame[frame["sku"].isin(skus)]
        if name in ("Sales", "Receipts") and "date" in frame:
            frame = frame[pd.to_datetime(frame["date"]) > end - pd.Timedelta(days=120)]
        sheets[name] = frame.reset_index(drop=True)
    path = tmp_path_factory.mktemp("fuzz") / "JIT_Inventory.xlsx"
    build_template(path, settings={"Business Name": shop_spec("tiny").business, "As Of Date": end.date()})
    patch_sheets(path, path, sheets)
    assert run_cli("recalc", path).exit_code == 0
    return path


@pytest.mark.slow
def test_fuzz_hostile_cells_never_crash_and_refusals_change_nothing(small_shop, tmp_path):
    rng = random.Random(SEED)
    exits, tracebacks, changed_on_refusal, failures = Counter(), 0, 0, []
    for i in range(WORKBOOKS):
        folder = tmp_path / f"w{i:03d}"
        folder.mkdir()
        path = folder / "JIT_Inventory.xlsx"
        cells = hostile_workbook(small_shop, path, rng)
        before = path.read_bytes()
        command = "review" if i % 5 == 4 else "recalc"
        try:
            done = run_cli(command, path)
            code, output = done.exit_code, done.output
        except BaseException as exc:  # noqa: BLE001  (what would be a traceback for the owner)
            code, output = -1, f"Traceback: {type(exc).__name__}: {exc}"
        exits[code] += 1
        crashed = code not in (0, 2) or "Traceback" in output or "unexpected" in output
        tracebacks += crashed
        if code == 2 and path.read_bytes() != before:
            changed_on_refusal += 1
            crashed = True
        if crashed:
            failures.append(f"{command} #{i} exit {code}: {output.strip()[:300]} | cells: {cells}")
        shutil.rmtree(folder)
    refused = exits[2]
    print(f"\nfuzz: {WORKBOOKS} workbooks (seed {SEED}): {tracebacks} tracebacks, exits {dict(sorted(exits.items()))}, "
          f"{refused - changed_on_refusal} of {refused} exit-2 files byte-identical")
    assert not failures, "\n".join(failures[:10])
    assert set(exits) <= {0, 2}
