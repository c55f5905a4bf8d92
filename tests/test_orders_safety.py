"""Workbook text as file names, paths, header values and mail addresses."""

from __future__ import annotations

import datetime as dt
import os
from email import message_from_string
from email.policy import default
from pathlib import Path

import pytest

from jit_workbook.errors import JitError, WorkbookError
from jit_workbook.orders.safety import (
    WINDOWS_RESERVED, OrderFileError, UnsafePathError, atomic_path, email_address, header_text, order_paths,
    safe_filename,
)

from test_orders_po import DAY, SHOP, draft

SEPARATORS = ("/", "\\", "\x00")


@pytest.mark.parametrize("text, exp", [
    ("Acme Tools Ltd", "Acme Tools Ltd"),
    ("../../etc/passwd", "etc_passwd"),
    ("..", "unnamed"),
    (".", "unnamed"),
    ("", "unnamed"),
    (None, "unnamed"),
    ("a/b\\c", "a_b_c"),
    ("C:\\Windows\\System32", "C__Windows_System32"),
    ("CON", "_CON"),
    ("con.txt", "_con.txt"),
    ("Nul ", "_Nul"),
    ("COM1", "_COM1"),
    ("LPT9.anything", "_LPT9.anything"),
    ("COM¹", "_COM1"),            # NFKC: Windows treats superscript digits the same
    ("Console Ltd", "Console Ltd"),  # only exact device names are reserved
    ("Acme Ltd. ", "Acme Ltd"),    # Windows drops trailing dots and spaces
    ("  .hidden", "hidden"),
    ("Tab\there\nnew\rline", "Tab here new line"),
    ('Wh<a>t: "is" | this? *', "Wh_a_t_ _is_ _ this"),
    ("Müller & Söhne", "Müller & Söhne"),
    ("／etc／passwd", "etc_passwd"),   # full-width solidus
])
def test_safe_filename(text, exp):
    assert safe_filename(text) == exp


def test_safe_filename_is_never_unsafe():
    nasty = ["../" * 50, "\\..\\..", "a" * 300, "é" * 300, "😀" * 300, "CON" + "." * 300, "." * 80 + "x",
             "x" * 79 + ".", " " * 100, "/".join(["..", "CON", "aux"])] + [f"{n}.txt" for n in WINDOWS_RESERVED]
    for text in nasty:
        got = safe_filename(text)
        assert got and got not in (".", "..")
        assert not any(s in got for s in SEPARATORS)
        assert len(got) <= 80 and len(got.encode("utf-8")) <= 160
        assert got == got.strip(" .")
        assert got.split(".")[0].upper() not in WINDOWS_RESERVED


def test_safe_filename_max_len():
    assert safe_filename("x" * 300, max_len=10) == "x" * 10
    assert safe_filename("ab " + "c" * 20, max_len=3) == "ab"  # no trailing space after the cut
    with pytest.raises(ValueError):
        safe_filename("x", max_len=0)


def order_for(supplier: str):
    orders, _ = draft(SHOP)
    o = orders[0]
    o.supplier = supplier
    return o


@pytest.mark.parametrize("supplier", ["../../etc/passwd", "/etc/passwd", "..\\..\\Windows", "CON", "x" * 300,
                                      "a/b/c", "..", "~root", "$HOME", "Acme\nTools"])
def test_order_paths_stay_in_the_dated_folder(tmp_path, supplier):
    folder = tmp_path / "orders"
    paths = order_paths(folder, DAY, order_for(supplier))
    day = (folder / "2026-11-27").resolve()
    assert [p.suffix for p in paths] == [".xlsx", ".pdf", ".eml"]
    for p in paths:
        assert p.parent == day and p.is_absolute()
        assert p.name.startswith("PO-20261127-ACME-1 ")
        assert len(p.name.encode()) <= 255
    assert not folder.exists()  # nothing created


def test_order_paths_refuse_a_linked_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = tmp_path / "orders"
    folder.mkdir()
    os.symlink(outside, folder / "2026-11-27")
    with pytest.raises(UnsafePathError, match="outside the order folder"):
        order_paths(folder, DAY, order_for("Acme"))


def test_order_paths_refuse_a_linked_file(tmp_path):
    folder = tmp_path / "orders"
    (folder / "2026-11-27").mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    os.symlink(victim, folder / "2026-11-27" / "PO-20261127-ACME-1 Acme.pdf")
    with pytest.raises(UnsafePathError):
        order_paths(folder, DAY, order_for("Acme"))
    assert issubclass(UnsafePathError, JitError) and issubclass(OrderFileError, WorkbookError)


def test_order_paths_refuse_a_forged_po_number(tmp_path):
    o = order_for("Acme")
    o.po_number = "../../PO-1"
    with pytest.raises(ValueError, match="not a PO number"):
        order_paths(tmp_path, DAY, o)


@pytest.mark.parametrize("text, exp", [
    ("Purchase order PO-1", "Purchase order PO-1"),
    ("a\r\nBcc: evil@x.example", "a Bcc: evil@x.example"),
    ("a\nb\rc\x0bd\x0ce\x85f\u2028g\u2029h", "a b c d e f g h"),
    ("\u202eevil", "evil"),
    (None, ""),
    (float("nan"), ""),
    (12.0, "12.0"),
])
def test_header_text(text, exp):
    assert header_text(text) == exp


def test_header_text_cannot_start_a_header():
    value = header_text("Order\r\nBcc: evil@x.example\r\n\r\nbody")
    msg = message_from_string(f"Subject: {value}\n\nhello\n", policy=default)
    assert msg["Bcc"] is None and msg.get_payload() == "hello\n"


@pytest.mark.parametrize("text, exp", [
    ("orders@acme.example", "orders@acme.example"),
    ("  orders@acme.example ", "orders@acme.example"),
    ("Sam Patel <sam@acme.example>", "sam@acme.example"),
    ('"Sam Patel" <sam@acme.example>', "sam@acme.example"),
    ("first.last+po@sub.acme.co.uk", "first.last+po@sub.acme.co.uk"),
])
def test_email_address_accepts(text, exp):
    assert email_address(text) == exp


@pytest.mark.parametrize("text, why", [
    ("", "blank"),
    (None, "blank"),
    ("a@x.com\nBcc: evil@x.com", "line break"),
    ("a@x.com\r\nBcc: evil@x.com", "line break"),
    ("a@x.com\rX: y", "line break"),
    ("a@x.com, b@y.com", "more than one"),
    ("a@x.com; b@y.com", "more than one"),
    ("a@x.com b@y.com", "more than one"),
    ("<a@x.com> <b@y.com>", "more than one"),
    ("a@x.com <b@y.com>", "more than one"),
    ("evil@x.com)<good@y.com>", "more than one"),
    ("Sam <>", "not an email address"),
    ("sam", "not an email address"),
    ("sam@localhost", "not an email address"),
    ("sam @acme.example", "not an email address"),
    ('"a"@acme.example', "not an email address"),
    ("sam@acme..example", "not an email address"),
    ("sam@-acme.example", "not an email address"),
    ("søren@acme.example", "not an email address"),
    ("a@x.com\x00", "control character"),
])
def test_email_address_refuses(text, why):
    with pytest.raises(ValueError, match=why):
        email_address(text)


def test_atomic_path_replaces_or_leaves_alone(tmp_path):
    target = tmp_path / "sub" / "order.xlsx"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"one")
    assert target.read_bytes() == b"one"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("crash while writing")
    assert target.read_bytes() == b"one"
    assert sorted(p.name for p in target.parent.iterdir()) == ["order.xlsx"]  # no temporary left


def test_atomic_path_reports_a_blocked_folder(tmp_path):
    blocker = tmp_path / "orders"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(OrderFileError, match="cannot write in the order folder"):
        with atomic_path(blocker / "2026-11-27" / "x.pdf"):
            pass


def test_dates_name_the_folder(tmp_path):
    paths = order_paths(tmp_path, dt.date(2027, 1, 2), order_for("Acme"))
    assert paths[0].parent.name == "2027-01-02"
    assert Path(paths[0]).name == "PO-20261127-ACME-1 Acme.xlsx"
