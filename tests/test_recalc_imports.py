"""A recalculation imports only what it uses: not the PDF, barcode, Excel-button or
openpyxl libraries (a tenth of a second each, on every run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

NOT_ON_RECALC = ("openpyxl", "fpdf", "xlwings", "barcode")
PROJECT = Path(__file__).parents[1]


def _has_mallinfo2() -> bool:
    import ctypes

    try:
        return hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2")
    except OSError:
        return False


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


# glibc's mallinfo2: how many freed bytes its heap keeps for the next allocation.
MALLINFO = ("import atexit, ctypes\n"
            "class Info(ctypes.Structure):\n"
            "    _fields_ = [(n, ctypes.c_size_t) for n in 'arena ordblks smblks hblks hblkhd usmblks fsmblks"
            " uordblks fordblks keepcost'.split()]\n"
            "libc = ctypes.CDLL('libc.so.6'); libc.mallinfo2.restype = Info\n"
            "def kept():\n"
            "    import numpy as np\n"
            "    a = np.ones(50_000_000 // 8); del a\n"
            "    print('kept', libc.mallinfo2().fordblks, flush=True)\n"
            "atexit.register(kept)\n")


@pytest.mark.skipif(not sys.platform.startswith("linux") or not _has_mallinfo2(), reason="glibc only")
def test_the_console_script_keeps_freed_memory_for_reuse(tiny_workbook, tmp_path):
    # A 50 MB array freed at the end of a recalc stays in the heap for the next one, instead
    # of going back to the system (glibc's default for blocks over 32 MB, and for most
    # arrays after the first ones): no page faults to fill the next array of that size.
    path = tmp_path / "shop.xlsx"
    shutil.copyfile(tiny_workbook, path)
    out = _console("recalc", path, cwd=tmp_path, prelude=MALLINFO)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.split("kept ")[-1]) >= 50_000_000
    plain = subprocess.run([sys.executable, "-c", MALLINFO], capture_output=True, text=True, timeout=60)
    assert int(plain.stdout.split("kept ")[-1]) < 50_000_000  # the check can fail: glibc's default gives it back


def test_builtin_number_formats_are_excels():
    from openpyxl.styles.numbers import BUILTIN_FORMATS

    from jit_workbook.io.xlsx_styles import BUILTIN_FORMATS as ours

    assert ours == BUILTIN_FORMATS
