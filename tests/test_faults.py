"""Faults and hostile files (issue 12): the owner's save is never lost, no file crashes the tool.

The second writer in these tests is real: a child process runs the command with a
Python audit hook that, at the chosen moment (our read of the workbook, or our opening
of the temporary file the result is written to), saves another version of the workbook
the way Excel does (a new file renamed over the old one), or waits for a second run.
"""

import base64
import os
import shutil
import struct
import subprocess
import sys
import time
import zipfile
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
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


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


def leave_temporaries(stale: list, fresh) -> None:
    """Half-written files as a killed run leaves them: ``stale`` an hour old, ``fresh`` just now."""
    hour_ago = time.time() - 3600
    for p in stale:
        p.write_bytes(b"PK partial")
        os.utime(p, (hour_ago, hour_ago))
    fresh.write_bytes(b"PK partial")


def test_stale_temporaries_of_killed_runs_are_removed_by_name_and_age(shop):
    folder = shop.parent
    old = [folder / ".JIT_Inventory.xlsx.k3x9_q2a.tmp", folder / ".JIT_Inventory.backup.xlsx.a1b2c3d4.tmp"]
    fresh = folder / ".JIT_Inventory.xlsx.zz99zz99.tmp"      # perhaps a save in progress
    others = [folder / ".Other.xlsx.a1b2c3d4.tmp", folder / "notes.tmp"]  # not ours
    leave_temporaries(old + others, fresh)
    assert run_cli("recalc", shop).exit_code == 0
    assert not any(p.exists() for p in old)
    assert fresh.exists() and all(p.exists() for p in others)


def test_a_folder_as_path_gets_one_line(tmp_path):
    done = run_cli("recalc", tmp_path)
    assert done.exit_code == 2
    assert done.output.strip().splitlines() == [f"Error: {tmp_path} is a folder, not a workbook (.xlsx)"]
    done = run_cli("recalc", tmp_path / "x.xlsx", "--output", tmp_path)
    assert done.exit_code == 2 and len(done.output.strip().splitlines()) == 1
    for command in (["review"], ["backtest"], ["orders"], ["upgrade"], ["new", "--force"]):
        done = run_cli(*command, tmp_path)
        assert done.exit_code == 2 and len(done.output.strip().splitlines()) == 1, (command, done.output)
        assert "is a folder" in done.output


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
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(disk)], check=False).returncode:
        pytest.skip("cannot mount a small disk here")
    try:
        book = disk / "JIT_Inventory.xlsx"
        shutil.copyfile(shop, book)
        before = book.read_bytes()
        done = run_cli("recalc", book)
        assert done.exit_code == 2, done.output
        assert done.output.strip().splitlines() == [
            (f"Error: not enough disk space to save JIT_Inventory.xlsx in {disk}; nothing was changed. "
             "Free some space and run again")]
        assert book.read_bytes() == before
        assert sorted(p.name for p in disk.iterdir()) == [".JIT_Inventory.xlsx.jit-lock", "JIT_Inventory.xlsx"]
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# ---------------------------------------------------------------------------------
# Broken and hostile packages: one line naming the sheet, exit 2, the file unchanged
# ---------------------------------------------------------------------------------
def sales_part(path: Path) -> str:
    from jit_workbook.io.xlsx_parts import sheet_parts

    with zipfile.ZipFile(path) as zf:
        return sheet_parts(zf)["Sales"]


def rewrite_part(path: Path, part: str, change) -> None:
    """Rebuild the package with ``change(xml)`` as the part's bytes (checksums made right)."""
    out = path.with_suffix(".new")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zin.infolist():
            data = zin.read(info)
            zo.writestr(info, change(data) if info.filename == part else data)
    out.replace(path)


def spoil_checksum(path: Path, part: str) -> None:
    """Flip the part's CRC-32 in its local header and the central directory, as a bad copy would."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(part)
    raw = bytearray(path.read_bytes())
    raw[info.header_offset + 14] ^= 0xFF
    at = raw.find(b"PK\x01\x02")
    while at >= 0:
        n = struct.unpack_from("<H", raw, at + 28)[0]
        if bytes(raw[at + 46:at + 46 + n]) == part.encode():
            raw[at + 16] ^= 0xFF
        at = raw.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(raw))


def with_doctype(xml: bytes) -> bytes:
    head = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    dtd = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    return xml[:head] + dtd + xml[head:].replace(b"<v>1</v>", b"<v>&b;</v>", 1)


@pytest.mark.parametrize("damage, says", [
    ("truncated", "the Sales sheet cannot be read: its XML is damaged (cut short, not well formed"),
    ("bad checksum", "the Sales sheet is damaged (its data fails its checksum)"),
    ("doctype", "the Sales sheet declares a DOCTYPE, which Excel and LibreOffice never write"),
])
def test_a_broken_sheet_part_is_refused_naming_the_sheet(shop, damage, says):
    part = sales_part(shop)
    if damage == "truncated":
        rewrite_part(shop, part, lambda xml: xml[: len(xml) // 2])
    elif damage == "bad checksum":
        spoil_checksum(shop, part)
    else:
        rewrite_part(shop, part, with_doctype)
    before = shop.read_bytes()
    done = run_cli("recalc", shop)
    assert done.exit_code == 2, done.output
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], done.output
    assert "nothing was changed" in lines[0].lower()
    assert shop.read_bytes() == before
    assert not shop.with_name("JIT_Inventory.backup.xlsx").exists()


# Runs the command, then prints the process's peak memory; a 4 GB address-space ceiling
# keeps a bomb that gets through from swamping the machine.
MEASURED_RUN = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
from jit_workbook.cli import cli
try:
    cli(sys.argv[1:], prog_name="jit-workbook")
except SystemExit as exc:
    code = exc.code
except MemoryError:
    code = 99
print(f"peak-kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
sys.exit(code)
"""


def make_bomb(shop: Path, size: int, declare: int | None = None) -> None:
    """Replace the Sales part with ``size`` bytes of valid rows that deflate about 340 to 1.

    declare: a size to claim in the zip headers instead of the real one (a lying bomb).
    """
    part = sales_part(shop)
    row = b'<row><c t="inlineStr"><is><t>BOMB</t></is></c></row>' * 20000
    out = shop.with_suffix(".bomb")
    with zipfile.ZipFile(shop) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zin.infolist():
            if info.filename != part:
                zo.writestr(info, zin.read(info))
                continue
            entry = zipfile.ZipInfo(part, info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with zo.open(entry, "w", force_zip64=size > 2**31) as fh:
                fh.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
                         b'.org/spreadsheetml/2006/main"><sheetData>')
                for _ in range(size // len(row)):
                    fh.write(row)
                fh.write(b"</sheetData></worksheet>")
    if declare is not None:  # the local header, the data descriptor after the data, the central directory
        raw = bytearray(out.read_bytes())
        with zipfile.ZipFile(out) as zf:
            info = zf.getinfo(part)
        local = info.header_offset
        struct.pack_into("<I", raw, local + 22, declare)
        end = local + 30 + sum(struct.unpack_from("<HH", raw, local + 26)) + info.compress_size
        if raw[end:end + 4] == b"PK\x07\x08":
            struct.pack_into("<I", raw, end + 12, declare)
        at = raw.find(b"PK\x01\x02")
        while at >= 0:
            n = struct.unpack_from("<H", raw, at + 28)[0]
            if bytes(raw[at + 46:at + 46 + n]) == part.encode():
                struct.pack_into("<I", raw, at + 24, declare)
            at = raw.find(b"PK\x01\x02", at + 4)
        out.write_bytes(bytes(raw))
    out.replace(shop)


@pytest.mark.slow
@pytest.mark.parametrize("bomb, says", [
    ((1_200_000_000, None), "the Sales sheet unpacks to 1.2 GB, more than the 1 GB this tool reads"),
    ((300_000_000, None), "the Sales sheet unpacks to 3"),  # ... 343 times its size ... (a zip bomb)
    ((300_000_000, 1_375_114), "the Sales sheet is damaged (its data fails its checksum)"),
], ids=["over the size limit", "over the ratio limit", "lying about its size"])
def test_a_zip_bomb_is_refused_in_bounded_memory_and_time(shop, bomb, says):
    make_bomb(shop, *bomb)
    before = shop.read_bytes()
    assert len(before) < 5_000_000  # a few MB on disk
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", MEASURED_RUN, "recalc", str(shop)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    seconds = time.monotonic() - started
    peak_mb = int(done.stderr.split("peak-kb ")[1].split()[0]) / 1024
    print(f"zip bomb {bomb}: exit {done.returncode}, {seconds:.1f} s, peak {peak_mb:.0f} MB")
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and "nothing was changed" in done.stderr
    if bomb[1] is None and bomb[0] < 1e9:
        assert "times its size in the file" in done.stderr and "(a zip bomb)" in done.stderr
    assert peak_mb < 1500 and seconds < 60
    assert shop.read_bytes() == before


@pytest.mark.parametrize("addressed", [True, False])
def test_the_error_cell_scan_streams_the_part_in_whole_rows(tmp_path, addressed):
    from jit_workbook.io.xlsx_parts import error_cells

    rows, expected = [], {}
    for r in range(1, 400):
        cells = []
        for c, col in enumerate("ABC", start=1):
            ref = f' r="{col}{r}"' if addressed else ""
            if (r * c) % 7 == 0:
                cells.append(f'<x:c{ref} t="e"><x:v>#N/A</x:v></x:c>')
                expected[(r, c)] = "#N/A"
            else:
                cells.append(f"<x:c{ref}><x:v>{r}</x:v></x:c>")
        rows.append(f'<x:row r="{r}">' + "".join(cells) + "</x:row>")
    xml = ('<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
           + "".join(rows) + "</x:sheetData></x:worksheet>").encode()
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("s.xml", xml)
    with zipfile.ZipFile(path) as zf:
        for chunk in (97, 1000, 1 << 20):  # chunk edges fall inside cells, tags and values
            assert error_cells(zf, "s.xml", chunk=chunk) == expected


# ---------------------------------------------------------------------------------
# SMTP secrets, against aiosmtpd on 127.0.0.1 over STARTTLS with a test certificate
# ---------------------------------------------------------------------------------
LOGIN = "owner@shop.example"


@pytest.fixture
def tls_mail_shop(shop, tmp_path, monkeypatch, request):
    """The tiny shop sending through a STARTTLS server that wants a login (mechanisms left
    out: the fixture's param). The certificate is trusted through SSL_CERT_FILE, as the
    system's CAs are."""
    import ssl
    from types import SimpleNamespace

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
    from test_orders_email import Recorder, free_port

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    state = SimpleNamespace(password="", logins=[], exclude=[])

    def authenticator(server, session, envelope, mechanism, auth_data):
        got = (auth_data.login, auth_data.password) if isinstance(auth_data, LoginPassword) else None
        state.logins.append((mechanism, got))
        if got == (LOGIN.encode(), state.password.encode("utf-8")):
            return AuthResult(success=True, handled=False)
        # A careless server that quotes what it was given, plain and as it arrived in base64.
        sent = base64.b64encode(b"\0" + got[0] + b"\0" + got[1]).decode() if got else ""
        return AuthResult(success=False, handled=False,
                          message=f"535 5.7.8 login {got[0].decode('utf-8', 'replace')} with password "
                                  f"{got[1].decode('utf-8', 'replace')} refused [{sent}]" if got else None)

    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_required=True, tls_context=server_tls, require_starttls=True,
                            auth_exclude_mechanism=getattr(request, "param", []))
    controller.start()
    wb = openpyxl.load_workbook(shop)
    values = {"SMTP Host": "127.0.0.1", "SMTP Port": port, "SMTP Security": "starttls",
              "SMTP User": LOGIN, "Email From": LOGIN}
    for row in wb["Settings"].iter_rows(min_row=2):
        if row[0].value in values:
            row[1].value = values[row[0].value]
    wb.save(shop)
    assert run_cli("recalc", shop).exit_code == 0
    try:
        yield SimpleNamespace(path=shop, handler=handler, state=state, controller=controller)
    finally:
        controller.stop()


def orders_statuses(path: Path) -> list[str]:
    from conftest import sheet_frame

    return sheet_frame(path, "Orders")["Status"].dropna().astype(str).tolist()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_refusal_quoting_the_password_keeps_neither_password_nor_login(tls_mail_shop, monkeypatch):
    shop = tls_mail_shop
    shop.state.password = "the-right-one"
    typed = "hunter2-Sekrit"
    monkeypatch.setenv("JIT_SMTP_PASSWORD", typed)
    done = run_cli("orders", shop.path, "--send", "--force")
    assert done.exit_code == 3, done.output
    assert shop.state.logins and shop.handler.received == []
    statuses = orders_statuses(shop.path)
    assert statuses and all(s.startswith("NOT SENT: the mail server 127.0.0.1") for s in statuses)
    assert "535 5.7.8 login *** with password *** refused [***]" in statuses[0]
    everything = " ".join(statuses) + done.output
    plain = base64.b64encode(f"\0{LOGIN}\0{typed}".encode()).decode()
    for secret in (typed, plain, plain.rstrip("="), base64.b64encode(typed.encode()).decode()):
        assert secret.lower() not in everything.lower()
    # The login is named only where the tool says whose login was refused, never in the reply.
    assert all(s.count(LOGIN) <= 1 for s in statuses)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("tls_mail_shop, mechanism", [([], "PLAIN"), (["PLAIN"], "LOGIN")],
                         indirect=["tls_mail_shop"], ids=["AUTH PLAIN", "AUTH LOGIN only"])
def test_a_password_beyond_ascii_is_sent_as_utf8(tls_mail_shop, monkeypatch, mechanism):
    shop = tls_mail_shop
    shop.state.password = "Pässwörd-€5"
    monkeypatch.setenv("JIT_SMTP_PASSWORD", "Pässwörd-€5")
    done = run_cli("orders", shop.path, "--send", "--force")
    assert done.exit_code == 0, done.output
    assert shop.state.logins[-1] == (mechanism, (LOGIN.encode(), "Pässwörd-€5".encode()))
    assert shop.handler.received and all(s.startswith("SENT") for s in orders_statuses(shop.path))


def test_a_lead_time_of_1e308_days_is_a_data_issue_not_a_crash(shop):
    from conftest import sheet_frame

    wb = openpyxl.load_workbook(shop)
    ws = wb["Suppliers"]
    col = [c.value for c in ws[1]].index("Lead Time Days") + 1
    ws.cell(row=2, column=col).value = -1e308 * -1
    supplier = ws.cell(row=2, column=1).value
    wb.save(shop)
    done = run_cli("recalc", shop)
    assert done.exit_code == 0, done.output
    issues = sheet_frame(shop, "Data Issues")
    cell = f"{openpyxl.utils.get_column_letter(col)}2"
    mine = issues[(issues["Sheet"] == "Suppliers") & (issues["Cell"] == cell)]["Problem"].tolist()
    assert mine == ['lead time days "1e+308" is too large to plan with (at most 3,650); read as blank']
    reorder = sheet_frame(shop, "Reorder")
    assert (reorder["Order Qty"].dropna() >= 0).all() and (reorder["Order Qty"].dropna() < 1e6).all()
    assert supplier in set(reorder["Supplier"])


@pytest.mark.slow
def test_orders_sent_before_the_owners_save_are_reported_not_hidden(shop, tmp_path):
    from aiosmtpd.controller import Controller
    from test_orders_email import Recorder, free_port

    handler, port = Recorder(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        wb = openpyxl.load_workbook(shop)
        values = {"SMTP Host": "127.0.0.1", "SMTP Port": port, "SMTP Security": "none",
                  "Email From": "owner@shop.example"}
        for row in wb["Settings"].iter_rows(min_row=2):
            if row[0].value in values:
                row[1].value = values[row[0].value]
        wb.save(shop)
        assert run_cli("recalc", shop).exit_code == 0
        theirs = owners_version(shop, tmp_path)
        done = hooked_run("owner-at-replace", shop, tmp_path / "owner.xlsx", "orders", shop, "--send", "--force")
    finally:
        controller.stop()
    assert done.returncode == 2, done.stdout + done.stderr
    emailed = len(handler.received)
    assert emailed >= 2
    assert "JIT_Inventory.xlsx changed while it was being recalculated" in done.stderr
    assert f"The order files were written in {shop.parent / 'orders'}" in done.stderr
    assert f"{emailed} orders were emailed (PO-" in done.stderr and "or they are sent twice" in done.stderr
    assert shop.read_bytes() == theirs


def test_stale_order_temporaries_of_killed_runs_are_removed_by_name_and_age(shop):
    """A run killed while writing an order file leaves ``.~XXXXXXXX.pdf`` in the order
    folder; the next orders run removes its own old ones and nothing else."""
    assert run_cli("recalc", shop).exit_code == 0
    first = run_cli("orders", shop)
    assert first.exit_code == 0
    (folder,) = [p for p in (shop.parent / "orders").iterdir() if p.is_dir()]
    old = [folder / ".~k3x9_q2a.pdf", folder / ".~a1b2c3d4.xlsx", folder / ".~zz11yy22.eml"]
    fresh = folder / ".~zz99zz99.pdf"  # perhaps a write in progress
    others = [folder / ".~lock.PO-1.xlsx#", folder / "notes.pdf", folder / ".~toolongname.pdf"]
    leave_temporaries(old + others, fresh)
    assert run_cli("orders", shop).exit_code == 0
    assert not any(p.exists() for p in old)
    assert fresh.exists() and all(p.exists() for p in others)
