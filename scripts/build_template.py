"""Regenerate templates/JIT_Inventory.xlsx from the sheet contract.

    python scripts/build_template.py

The committed template must equal what this writes (tests/test_template.py checks).
"""

from pathlib import Path

from jit_workbook.template import build_template

if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "templates" / "JIT_Inventory.xlsx"
    target.parent.mkdir(exist_ok=True)
    build_template(target)
    print(f"wrote {target}")
