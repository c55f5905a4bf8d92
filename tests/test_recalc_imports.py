"""A recalculation imports only what it uses: not the PDF, barcode, Excel-button or
openpyxl libraries (a tenth of a second each, on every run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

NOT_ON_RECALC = ("openpyxl", "fpdf", "xlwings", "barcode")
PROJECT = Path(__file__).parents[1]


def _console(*args, cwd: Path, prelude: str = "") -> subprocess.CompletedProcess:
    """``jit-workbook ARGS`` through the console script's ``main``, in a fresh process."""
    code = (f"import sys\n{prelude}from jit_workbook.cli import main\n"
            f"sys.argv = ['jit-workbook', *{[str(a) for a in args]!r}]\nmain()\n")
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=300)


def test_recalc_imports_nothing_it_does_not_use(tiny_workbook, tmp_path):
    path = tmp_path / "shop.xlsx"
    shutil.copyfile(tiny_workbook, path)
    # main ends the process itself; its exit handlers still run, so the probe is one of them
    probe = ("import atexit\n"
             "atexit.register(lambda: print('imported', sorted({m.split('.')[0] for m in sys.modules} & "
             f"{set(NOT_ON_RECALC)!r}), flush=True))\n")
    out = _console("recalc", path, cwd=tmp_path, prelude=probe)
    assert out.returncode == 0, out.stderr
    assert f"Saved {path}" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "imported []"


def test_the_console_script_keeps_its_exit_codes_and_output(tiny_workbook, tmp_path):
    path = tmp_path / "shop.xlsx"
    shutil.copyfile(tiny_workbook, path)
    done = _console("recalc", path, cwd=tmp_path)
    assert done.returncode == 0 and "SKUs:" in done.stdout and f"Saved {path}" in done.stdout, done.stderr
    missing = _console("recalc", tmp_path / "nope.xlsx", cwd=tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    usage = _console("no-such-command", cwd=tmp_path)
    assert usage.returncode == 2 and "No such command" in usage.stderr
    assert _console("--help", cwd=tmp_path).returncode == 0


def test_builtin_number_formats_are_excels():
    from openpyxl.styles.numbers import BUILTIN_FORMATS

    from jit_workbook.io.xlsx_styles import BUILTIN_FORMATS as ours

    assert ours == BUILTIN_FORMATS
