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
    out = outdir / (path.stem + "." + fmt.split(":")[0])
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
