"""Benchmark `jit-workbook recalc` against a floor measured in the same run.

    python scripts/bench.py                 # the 5,000-SKU, 500,000-line shop
    python scripts/bench.py --shop excel-limit   # 1,048,575 sales lines (Excel's row limit)
    python scripts/bench.py --skip-naive    # leave out the slow openpyxl load-compute-save

Each measurement runs in a fresh process (wall time and peak memory of that process):

- floor: import pandas and python-calamine, read the Stock and Sales sheets, and rewrite
  the workbook's zip with one part replaced — the least any file-mode recalc must do;
- recalc: `jit-workbook recalc` on a copy of the workbook;
- naive: openpyxl load_workbook, the same planning, openpyxl save (what we avoid);
- planning core alone: plan_reorder on already-parsed inputs, in this process.

Targets: recalc <= 1.5 x floor in time and <= 2 x in memory; planning core < 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

FLOOR = textwrap.dedent("""
    import sys, zipfile, shutil
    import pandas, python_calamine
    src, dst = sys.argv[1], sys.argv[2]
    book = python_calamine.CalamineWorkbook.from_path(src)
    stock = book.get_sheet_by_name("Stock").to_python()
    sales = book.get_sheet_by_name("Sales").to_python()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/app.xml":
                data = data + b" "
            zout.writestr(info, data)
""")

NAIVE = textwrap.dedent("""
    import sys
    import openpyxl
    from jit_workbook import contract as K
    from jit_workbook.io.parse import Grid, parse_inputs
    from jit_workbook.planning import plan_reorder
    wb = openpyxl.load_workbook(sys.argv[1])
    grids = {s.name: Grid([list(r) for r in wb[s.name].iter_rows(values_only=True)]) for s in K.INPUT_SHEETS}
    inputs = parse_inputs(grids)
    reorder, _ = plan_reorder(inputs.stock, inputs.sales, inputs.suppliers, inputs.settings)
    ws = wb["Reorder"]
    for i, row in enumerate(reorder[K.REORDER.fields].itertuples(index=False), start=2):
        for j, v in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=None if v != v else v)
    wb.save(sys.argv[2])
""")


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def best_of(n: int, cmd: list[str]) -> tuple[float, float]:
    runs = [measure(cmd) for _ in range(n)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shop", default="bench", choices=["tiny", "demo", "bench", "excel-limit"])
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is reported")
    ap.add_argument("--skip-naive", action="store_true", help="skip the openpyxl load-compute-save (~2 min)")
    ap.add_argument("--forecast", default=None, help="time the planning core with this Forecast Method "
                    "(e.g. Auto) over 730 days of history as well")
    args = ap.parse_args()

    # This process stays small and imports nothing heavy: Linux counts the parent's memory
    # at fork time into a child's peak, so every measured child starts from a tiny parent.
    work = Path(tempfile.mkdtemp(prefix="jit-bench-"))
    try:
        src = work / "shop.xlsx"
        py = sys.executable
        t = time.perf_counter()
        subprocess.run([py, "-c", f"from jit_workbook.demo import write_shop; write_shop({args.shop!r}, {str(src)!r})"],
                       check=True)
        print(f"shop '{args.shop}': {src.stat().st_size / 1e6:.1f} MB workbook (built in {time.perf_counter() - t:.1f} s)")
        floor = best_of(args.repeat, [py, "-c", FLOOR, str(src), str(work / "floor.xlsx")])
        runs = []
        for i in range(args.repeat):
            copy = work / f"recalc{i}.xlsx"
            shutil.copyfile(src, copy)
            runs.append(measure([py, "-m", "jit_workbook.cli", "recalc", str(copy), "--quiet"]))
        recalc = min(r[0] for r in runs), min(r[1] for r in runs)
        core = float(subprocess.run([py, __file__, "--core", str(src)], check=True, capture_output=True,
                                    text=True).stdout)
        print(f"{'':28}{'wall s':>9}{'peak MB':>10}{'x floor (time)':>16}{'x floor (mem)':>15}")
        row = "{:28}{:9.2f}{:10.0f}{:16.2f}{:15.2f}"
        print(row.format("floor (read + rezip)", *floor, 1.0, 1.0))
        print(row.format("jit-workbook recalc", *recalc, recalc[0] / floor[0], recalc[1] / floor[1]))
        if not args.skip_naive:
            naive = measure([py, "-c", NAIVE, str(src), str(work / "naive.xlsx")])
            print(row.format("naive openpyxl load/save", *naive, naive[0] / floor[0], naive[1] / floor[1]))
        print(f"planning core alone: {core:.3f} s (target < 0.5 s)")
        if args.forecast:
            timed = float(subprocess.run([py, __file__, "--core", str(src), args.forecast], check=True,
                                         capture_output=True, text=True).stdout)
            print(f"planning core with Forecast Method {args.forecast}, 730 days: {timed:.3f} s (target < 1 s: "
                  f"{'met' if timed < 1 else 'MISSED'})")
        ok = recalc[0] <= 1.5 * floor[0] and recalc[1] <= 2 * floor[1] and core < 0.5
        print("targets met" if ok else "TARGETS MISSED: recalc <= 1.5x floor time, <= 2x memory, core < 0.5 s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def time_core(path: Path, method: str | None = None) -> float:
    from jit_workbook import contract as K
    from jit_workbook.io.parse import parse_inputs
    from jit_workbook.io.read_file import read_grids
    from jit_workbook.planning import plan_reorder

    inputs = parse_inputs(read_grids(path, [s.name for s in K.INPUT_SHEETS], K.OPTIONAL_INPUT_SHEETS))
    print(f"{len(inputs.stock):,} SKUs, {len(inputs.sales):,} sales lines", file=sys.stderr)
    settings = inputs.settings
    if method:
        settings = settings.model_copy(update={"forecast_method": method, "history_days": 730})
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        plan_reorder(inputs.stock, inputs.sales, inputs.suppliers, settings)
        best = min(best, time.perf_counter() - t)
    return best


if __name__ == "__main__":
    if sys.argv[1:2] == ["--core"]:
        print(time_core(Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None))
    else:
        main()
