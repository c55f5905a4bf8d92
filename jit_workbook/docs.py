"""README's sheet reference, generated from the contract so the docs cannot drift.

``python scripts/update_readme.py`` rewrites the blocks between
``<!-- contract:NAME -->`` and ``<!-- /contract -->``; a test fails when README
is not what this module makes.
"""

from __future__ import annotations

import re

from . import contract as K
from .settings import Settings

BLOCK = re.compile(r"(<!-- contract:(?P<name>[^>]+?) -->\n)(?P<body>.*?)(<!-- /contract -->)", re.S)


def settings_table() -> str:
    lines = ["| Setting | Default | What it does |", "| --- | --- | --- |"]
    for label, default, _ in Settings.rows():
        note = Settings.model_fields[[n for n, f in Settings.model_fields.items() if f.alias == label][0]].description
        shown = "blank" if default in (None, "") else str(default)
        if "\n" in shown:  # a multi-line template: its first line stands for it
            shown = shown.splitlines()[0] + " …"
        lines.append(f"| `{label}` | {shown} | {note} |")
    return "\n".join(lines) + "\n"


def columns_table(sheet: K.Sheet) -> str:
    lines = ["| Column | What it holds |", "| --- | --- |"]
    for c in sheet.columns:
        extra = []
        if c.required:
            extra.append("required")
        if c.choices:
            extra.append("one of " + ", ".join(f"`{x}`" for x in c.choices))
        if c.editable:
            extra.append("yours to edit, kept on rerun")
        tail = f" ({'; '.join(extra)})" if extra else ""
        lines.append(f"| `{c.name}` | {c.doc or ''}{tail} |")
    return "\n".join(lines) + "\n"


def render(name: str) -> str:
    """The table for one README block: ``Settings``, a sheet's name, or ``<sheet> beside``
    for the block beside a sheet's table.

    >>> render("Backtest beside").splitlines()[2].startswith("| `Service Kept` |")
    True
    """
    if name == "Settings":
        return settings_table()
    if name.endswith(" beside"):
        return columns_table(K.sheet(name[: -len(" beside")]).block)
    return columns_table(K.sheet(name))


def update(text: str) -> str:
    """README text with every contract block regenerated."""
    return BLOCK.sub(lambda m: m.group(1) + render(m.group("name")) + m.group(4), text)
