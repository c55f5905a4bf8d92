"""Compare .xlsx files part by part, XlsxWriter style.

What legitimately differs between two saves (timestamps, the saving application's
name and editing time) is stripped here, in one place: :data:`VOLATILE`. Anything a
single test chooses to ignore is passed as ``ignore=`` by that test, so the reader of
the test sees it.

Differences come back as readable lines: entries missing or extra, the order of
entries, and for changed XML parts a unified diff of one tag per line.
"""

from __future__ import annotations

import difflib
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

# part name -> patterns whose matches are blanked before comparing
VOLATILE: dict[str, tuple[re.Pattern[bytes], ...]] = {
    "docProps/core.xml": (
        re.compile(rb"<dcterms:created\b[^>]*>[^<]*</dcterms:created>"),
        re.compile(rb"<dcterms:modified\b[^>]*>[^<]*</dcterms:modified>"),
        re.compile(rb"<cp:lastModifiedBy>[^<]*</cp:lastModifiedBy>"),
        re.compile(rb"<cp:revision>[^<]*</cp:revision>"),
    ),
    "docProps/app.xml": (
        re.compile(rb"<TotalTime>[^<]*</TotalTime>"),
        re.compile(rb"<Application>[^<]*</Application>"),
        re.compile(rb"<AppVersion>[^<]*</AppVersion>"),
    ),
}


def read_parts(path: Path, *, strip_volatile: bool = True) -> dict[str, bytes]:
    """Every zip entry of a file, in zip order: name -> uncompressed bytes."""
    with zipfile.ZipFile(path) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    if strip_volatile:
        for name, patterns in VOLATILE.items():
            if name in parts:
                for pattern in patterns:
                    parts[name] = pattern.sub(b"", parts[name])
    return parts


def xml_lines(xml: bytes) -> list[str]:
    """XML split one tag per line, for diffs a person can read (XlsxWriter's ``_xml_to_list``)."""
    text = xml.decode("utf-8", errors="replace")
    return [line for line in re.sub(r">\s*<", ">\n<", text).split("\n") if line]


def diff_parts(
    got: Path | dict[str, bytes],
    exp: Path | dict[str, bytes],
    *,
    ignore: Iterable[str] = (),
    context: int = 2,
    limit: int = 40,
) -> list[str]:
    """Differences between two packages as readable lines; an empty list means equal.

    ignore: part names whose content may differ (they must still exist in both, in the
        same place, unless also absent from both).
    Entry order is compared too: the patcher promises the same names in the same order.
    """
    got_parts = got if isinstance(got, dict) else read_parts(got)
    exp_parts = exp if isinstance(exp, dict) else read_parts(exp)
    ignored = set(ignore)
    out: list[str] = []
    missing = [n for n in exp_parts if n not in got_parts]
    extra = [n for n in got_parts if n not in exp_parts]
    out += [f"missing part: {n}" for n in missing]
    out += [f"extra part: {n}" for n in extra]
    common_got = [n for n in got_parts if n in exp_parts]
    common_exp = [n for n in exp_parts if n in got_parts]
    if common_got != common_exp:
        out.append(f"part order differs:\n  got {common_got}\n  exp {common_exp}")
    for name in common_exp:
        if name in ignored or got_parts[name] == exp_parts[name]:
            continue
        if name.endswith((".xml", ".rels", ".vml")):
            diff = difflib.unified_diff(
                xml_lines(exp_parts[name]), xml_lines(got_parts[name]), "exp", "got", n=context, lineterm=""
            )
            lines = list(diff)
            more = f"\n  ... {len(lines) - limit} more lines" if len(lines) > limit else ""
            out.append(f"part differs: {name}\n  " + "\n  ".join(lines[:limit]) + more)
        else:
            out.append(f"part differs: {name} ({len(exp_parts[name])} -> {len(got_parts[name])} bytes)")
    return out


def assert_same_parts(
    got: Path | dict[str, bytes], exp: Path | dict[str, bytes], *, ignore: Iterable[str] = ()
) -> None:
    """Fail with the readable differences unless the packages match (see :func:`diff_parts`)."""
    problems = diff_parts(got, exp, ignore=ignore)
    assert not problems, "\n".join(problems)
