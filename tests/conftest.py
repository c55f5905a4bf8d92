"""Shared fixtures: LibreOffice as a real second spreadsheet client, and demo workbooks."""

import shutil
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def lo_convert(path: Path, fmt: str, outdir: Path, profile: Path | None = None) -> Path:
    """Convert ``path`` with LibreOffice headless (e.g. fmt "pdf", "csv", "xlsx"); returns the new file.

    Each call uses its own user profile so parallel or leftover LibreOffice
    processes cannot lock each other out.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    profile = profile or outdir / ".lo-profile"
    cmd = [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
           "--convert-to", fmt, "--outdir", str(outdir), str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    ext = fmt.split(":")[0]
    out = outdir / (path.stem + "." + ext)
    if not out.exists():  # one sheet exported to CSV is named "<stem>-<Sheet>.csv"
        out = next(iter(sorted(outdir.glob(f"{path.stem}-*.{ext}"))), out)
    if done.returncode != 0 or not out.exists():
        raise AssertionError(f"LibreOffice could not convert {path.name} to {fmt}: {done.stdout} {done.stderr}")
    return out


@pytest.fixture
def soffice():
    if not SOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed")
    return SOFFICE


def pytest_collection_modifyitems(config, items):
    if SOFFICE:
        return
    skip = pytest.mark.skip(reason="LibreOffice (soffice) is not installed")
    for item in items:
        if "libreoffice" in item.keywords:
            item.add_marker(skip)


# ---------------------------------------------------------------------------------
# Reference shops as workbooks, the command in-process, sheets read back from disk
# ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def tiny_workbook(tmp_path_factory) -> Path:
    """The 'tiny' reference shop (jit_workbook.demo), built once per test session."""
    from jit_workbook.demo import write_shop

    return write_shop("tiny", tmp_path_factory.mktemp("tiny") / "JIT_Inventory.xlsx")


@pytest.fixture
def shop(tiny_workbook, tmp_path) -> Path:
    """A fresh copy of the tiny shop's workbook for one test to change."""
    path = tmp_path / "JIT_Inventory.xlsx"
    shutil.copyfile(tiny_workbook, path)
    return path


def run_cli(*args):
    """Run ``jit-workbook ARGS`` in-process; returns click's Result (exit_code, output)."""
    from click.testing import CliRunner

    from jit_workbook.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def sheet_frame(path: Path, name: str):
    """A saved sheet's rows under its header (openpyxl, cached values), blank rows dropped."""
    import openpyxl
    import pandas as pd

    ws = openpyxl.load_workbook(path, data_only=True)[name]
    rows = list(ws.iter_rows(values_only=True))
    header = [v if v is not None else f"_{i}" for i, v in enumerate(rows[0])]
    return pd.DataFrame(rows[1:], columns=header).dropna(how="all")
