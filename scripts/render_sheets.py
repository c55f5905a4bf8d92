"""Render the output sheets of a workbook to PNG pages with LibreOffice, to look at them.

    python scripts/render_sheets.py demo/JIT_Inventory.xlsx OUTDIR [--dpi 60] [--sheet Reorder ...]

The input sheets (and any sheet not asked for) are hidden in a copy first, so the PDF
holds only the sheets an owner reads (printed as Excel would: the print setup of the
template). Pages land in OUTDIR as ``<Sheet>-<n>.png`` (pdftoppm's page numbers).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

DEFAULT = ("Reorder", "Orders", "Obsolete Review", "Dashboard", "Backtest", "Review Log", "Data Issues")


def only_sheets(src: Path, dst: Path, names: tuple[str, ...]) -> None:
    """A copy of ``src`` with every sheet not in ``names`` hidden, the first shown one active."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                tabs = re.findall(rb'<sheet\b[^>]*name="([^"]*)"', data)
                first = next(i for i, n in enumerate(tabs) if n.decode() in names)

                def hide(m: re.Match) -> bytes:
                    tag = re.sub(rb'\sstate="[^"]*"', b"", m.group(0))
                    if m.group(1).decode() not in names:
                        tag = tag[:-2] + b' state="hidden"/>'
                    return tag

                data = re.sub(rb'<sheet\b[^>]*name="([^"]*)"[^>]*/>', hide, data)
                data = re.sub(rb'activeTab="\d+"', f'activeTab="{first}"'.encode(), data)
                if b"activeTab" not in data:
                    data = data.replace(b"<workbookView", f'<workbookView activeTab="{first}"'.encode(), 1)
            zout.writestr(info, data)


def render(workbook: Path, outdir: Path, names: tuple[str, ...] = DEFAULT, dpi: int = 60) -> list[Path]:
    """PNG pages of the named sheets (one LibreOffice run for all); returns their paths."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sheets-render-") as tmp:
        tmp = Path(tmp)
        copies = []
        for name in names:
            copies.append(tmp / f"{name.replace(' ', '_')}.xlsx")
            only_sheets(workbook, copies[-1], (name,))
        subprocess.run([shutil.which("soffice") or "soffice", f"-env:UserInstallation=file://{tmp}/lo",
                        "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(tmp),
                        *map(str, copies)], check=True, capture_output=True, timeout=900)
        out = []
        for copy in copies:
            for old in outdir.glob(f"{copy.stem}-*.png"):
                old.unlink()
            subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(copy.with_suffix(".pdf")),
                            str(outdir / copy.stem)], check=True)
            out += sorted(outdir.glob(f"{copy.stem}-*.png"))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--dpi", type=int, default=60)
    parser.add_argument("--sheet", action="append")
    args = parser.parse_args()
    for path in render(args.workbook, args.outdir, tuple(args.sheet or DEFAULT), args.dpi):
        print(path)
