"""Regenerate README's sheet and settings tables from jit_workbook/contract.py.

    python scripts/update_readme.py
"""

from pathlib import Path

from jit_workbook.docs import update

if __name__ == "__main__":
    readme = Path(__file__).resolve().parent.parent / "README.md"
    readme.write_text(update(readme.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated {readme}")
