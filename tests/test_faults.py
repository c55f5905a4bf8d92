"""Faults and hostile files (issue 12): the owner's save is never lost, no file crashes the tool.

The second writer in these tests is real: a child process runs the command with a
Python audit hook that, at the chosen moment (our read of the workbook, or our opening
of the temporary file the result is written to), saves another version of the workbook
the way Excel does (a new file renamed over the old one), or waits for a second run.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from conftest import run_cli

ROOT = Path(__file__).parents[1]

# Runs `jit-workbook ARGS...` after installing an audit hook (argv: mode, workbook, extra, ARGS...).
#   owner-at-read:    save EXTRA over the workbook at the first other file the run opens after reading
#                     the workbook (there are none while it plans: the backup's temporary file)
#   owner-at-replace: save EXTRA over the workbook when the result's temporary file is created
#   hold:             when the result's temporary file is created, touch EXTRA.waiting and wait for EXTRA.go
HOOKED_RUN = r"""
import os, sys, time
mode, book, extra = sys.argv[1], os.path.realpath(sys.argv[2]), sys.argv[3]
state = {"read": False, "done": False}

def owner_saves():
    with open(extra, "rb") as fh:
        data = fh.read()
    with open(book + ".owner-saving", "wb") as fh:
        fh.write(data)
    os.replace(book + ".owner-saving", book)

def ours_temporary(name):
    base = os.path.basename(name)
    return base.startswith("." + os.path.basename(book) + ".") and base.endswith(".tmp")

def hook(event, args):
    if event != "open" or state["done"] or not isinstance(args[0], str):
        return
    name = os.path.abspath(args[0])
    if mode == "owner-at-read":  # the run's read comes after it takes its lock
        if name.endswith(".jit-lock"):
            state["locked"] = True
        elif name == book and state.get("locked"):
            state["read"] = True
        elif state["read"]:
            state["done"] = True
            owner_saves()
    elif ours_temporary(name):
        state["done"] = True
        if mode == "owner-at-replace":
            owner_saves()
        else:
            open(extra + ".waiting", "w").close()
            for _ in range(600):
                if os.path.exists(extra + ".go"):
                    break
                time.sleep(0.1)

sys.addaudithook(hook)
from jit_workbook.cli import cli
cli(sys.argv[4:], prog_name="jit-workbook")
"""


def hooked_run(mode, book, extra, *args, wait=True):
    cmd = [sys.executable, "-c", HOOKED_RUN, mode, str(book), str(extra), *map(str, args)]
    if not wait:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def owners_version(shop: Path, tmp_path: Path) -> bytes:
    """The workbook as the owner saves it from their spreadsheet: one Stock figure changed."""
    wb = openpyxl.load_workbook(shop)
    wb["Stock"]["A2"].offset(column=0).value = wb["Stock"]["A2"].value  # keep the SKU
    ws = wb["Stock"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("On Hand") + 1).value = 999
    out = tmp_path / "owner.xlsx"
    wb.save(out)
    return out.read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["owner-at-read", "owner-at-replace"])
def test_the_owners_save_during_a_run_is_never_lost(shop, tmp_path, moment):
    theirs = owners_version(shop, tmp_path)
    done = hooked_run(moment, shop, tmp_path / "owner.xlsx", "recalc", shop)
    assert done.returncode == 2, done.stdout + done.stderr
    assert ("JIT_Inventory.xlsx changed while it was being recalculated (saved elsewhere?). "
            "Nothing was written; run again.") in done.stderr
    assert "Traceback" not in done.stderr
    assert shop.read_bytes() == theirs  # the owner's save is what is on disk, untouched
    assert not [p.name for p in shop.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_run_without_a_concurrent_save_still_writes(shop):
    before = shop.read_bytes()
    done = run_cli("recalc", shop)
    assert done.exit_code == 0, done.output
    assert shop.read_bytes() != before
    assert shop.with_name("JIT_Inventory.backup.xlsx").read_bytes() == before


@pytest.mark.slow
def test_two_runs_at_once_the_second_is_refused_as_busy(shop, tmp_path):
    flag = tmp_path / "first"
    first = hooked_run("hold", shop, flag, "recalc", shop, wait=False)
    try:
        for _ in range(1200):
            if Path(str(flag) + ".waiting").exists() or first.poll() is not None:
                break
            time.sleep(0.1)
        assert Path(str(flag) + ".waiting").exists(), first.communicate()
        before = shop.read_bytes()
        second = run_cli("recalc", shop)
        assert second.exit_code == 2, second.output
        assert "JIT_Inventory.xlsx is busy: another jit-workbook run is using it" in second.output
        assert shop.read_bytes() == before
    finally:
        Path(str(flag) + ".go").touch()
        out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    assert run_cli("recalc", shop).exit_code == 0  # the lock went with the first run


@pytest.mark.parametrize("lock_name, program", [("~$JIT_Inventory.xlsx", "Excel"),
                                                 (".~lock.JIT_Inventory.xlsx#", "LibreOffice")])
def test_a_workbook_open_in_excel_or_libreoffice_is_left_alone(shop, lock_name, program):
    # LibreOffice's lock file as it writes it: user, host, profile, date, and a comma.
    (shop.parent / lock_name).write_text("Owner,shop-pc,file:///home/owner/.config/libreoffice/4;,02.12.2026 09:30,")
    before = shop.read_bytes()
    done = run_cli("recalc", shop)
    assert done.exit_code == 2
    assert f"JIT_Inventory.xlsx is open in {program} (found {lock_name} beside it)" in done.output
    assert shop.read_bytes() == before


def test_stale_temporaries_of_killed_runs_are_removed_by_name_and_age(shop):
    folder = shop.parent
    old = [folder / ".JIT_Inventory.xlsx.k3x9_q2a.tmp", folder / ".JIT_Inventory.backup.xlsx.a1b2c3d4.tmp"]
    fresh = folder / ".JIT_Inventory.xlsx.zz99zz99.tmp"      # perhaps a save in progress
    others = [folder / ".Other.xlsx.a1b2c3d4.tmp", folder / "notes.tmp"]  # not ours
    hour_ago = time.time() - 3600
    for p in old + others:
        p.write_bytes(b"PK partial")
        os.utime(p, (hour_ago, hour_ago))
    fresh.write_bytes(b"PK partial")
    assert run_cli("recalc", shop).exit_code == 0
    assert not any(p.exists() for p in old)
    assert fresh.exists() and all(p.exists() for p in others)


def test_a_folder_as_path_gets_one_line(tmp_path):
    done = run_cli("recalc", tmp_path)
    assert done.exit_code == 2
    assert done.output.strip().splitlines() == [f"Error: {tmp_path} is a folder, not a workbook (.xlsx)"]
    done = run_cli("recalc", tmp_path / "x.xlsx", "--output", tmp_path)
    assert done.exit_code == 2 and len(done.output.strip().splitlines()) == 1


def test_a_read_only_folder_is_not_written_even_by_an_administrator(shop):
    before = shop.read_bytes()
    os.chmod(shop.parent, 0o555)
    try:
        done = run_cli("recalc", shop)
    finally:
        os.chmod(shop.parent, 0o755)
    assert done.exit_code == 2, done.output
    assert f"cannot write in the folder {shop.parent} (it is read-only)" in done.output
    assert shop.read_bytes() == before
    assert not shop.with_name("JIT_Inventory.backup.xlsx").exists()


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="mounting a small disk needs root")
def test_a_full_disk_is_a_plain_message_and_changes_nothing(shop, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    size_kb = shop.stat().st_size // 1024 + 24  # room for the workbook, not for its backup
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(disk)]).returncode:
        pytest.skip("cannot mount a small disk here")
    try:
        book = disk / "JIT_Inventory.xlsx"
        shutil.copyfile(shop, book)
        before = book.read_bytes()
        done = run_cli("recalc", book)
        assert done.exit_code == 2, done.output
        assert done.output.strip().splitlines() == [
            f"Error: not enough disk space to save JIT_Inventory.xlsx in {disk}; nothing was changed. "
            "Free some space and run again"]
        assert book.read_bytes() == before
        assert sorted(p.name for p in disk.iterdir()) == [".JIT_Inventory.xlsx.jit-lock", "JIT_Inventory.xlsx"]
    finally:
        subprocess.run(["umount", str(disk)])
