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


def test_recalc_imports_nothing_it_does_not_use(tiny_workbook, tmp_path):
    path = tmp_path / "shop.xlsx"
    shutil.copyfile(tiny_workbook, path)
    probe = ("import sys\n"
             "from jit_workbook.cli import main\n"
             f"sys.argv = ['jit-workbook', 'recalc', {str(path)!r}]\n"
             "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(NOT_ON_RECALC)!r}))\n")
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_builtin_number_formats_are_excels():
    from openpyxl.styles.numbers import BUILTIN_FORMATS

    from jit_workbook.io.xlsx_styles import BUILTIN_FORMATS as ours

    assert ours == BUILTIN_FORMATS
