"""Email drafts and SMTP sending, against a real SMTP server (aiosmtpd) on 127.0.0.1.

The end-to-end test runs the whole loop on a demo workbook: Recalculate → draft →
files → send → what the suppliers received matches the Reorder sheet → rerun sends
nothing twice → the sent quantities count as on order → receipts close them.
"""

from __future__ import annotations

import datetime as dt
import email as std_email
import io
import shutil
import socket
import ssl
import subprocess
from email.policy import default
from pathlib import Path
from types import SimpleNamespace

import pytest

from jit_workbook import contract as K
from jit_workbook.orders import documents, email as order_email, po
from jit_workbook.orders.email import build_draft, send_orders, write_eml
from jit_workbook.orders.po import OrderSettings
from jit_workbook.orders.safety import order_paths

from test_orders_documents import read_order_xlsx
from test_orders_po import SHOP, draft, make_reorder, make_suppliers, receipts

aiosmtpd = pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOW = dt.datetime(2026, 11, 27, 14, 3)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """An SMTP handler that keeps what it receives and can refuse chosen addresses."""

    def __init__(self) -> None:
        self.received: list[SimpleNamespace] = []
        self.refuse_rcpt: set[str] = set()
        self.refuse_data: set[str] = set()
        self.hang_up: set[str] = set()  # drop the connection when mail for these arrives

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse_rcpt:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if set(a.lower() for a in envelope.rcpt_tos) & self.refuse_data:
            return "554 5.6.0 message content rejected"
        if set(a.lower() for a in envelope.rcpt_tos) & self.hang_up:
            server.transport.close()
            return "421 closing"
        self.received.append(SimpleNamespace(
            mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos),
            message=std_email.message_from_bytes(envelope.original_content or envelope.content, policy=default),
            login=getattr(session, "auth_data", None)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SimpleNamespace(handler=handler, port=port)
    finally:
        controller.stop()


def smtp_settings(port: int, **kw) -> OrderSettings:
    values = {"SMTP Host": "127.0.0.1", "SMTP Port": port, "SMTP Security": "none",
              "Email From": "owner@corner.example", "Business Name": "Corner Shop"}
    return OrderSettings.model_validate(values | kw)


def write_files(orders, folder: Path, settings):
    """What the orders action does per order: order sheet, PDF and .eml draft."""
    out = []
    for order in orders:
        xlsx, pdf, eml = order_paths(folder, order.order_date, order)
        documents.write_order_xlsx(order, xlsx, settings.business_name)
        documents.write_order_pdf(order, pdf, settings.business_name)
        msg = build_draft(order, settings, [xlsx, pdf])
        write_eml(msg, eml)
        order.order_file, order.email_draft = str(xlsx), str(eml)
        out.append((order, msg))
    return out


def attachments(msg):
    return {part.get_filename(): part for part in msg.iter_attachments()}


# ---------------------------------------------------------------------------------
# Drafts
# ---------------------------------------------------------------------------------
def test_draft_is_an_rfc5322_message_with_both_attachments(tmp_path):
    settings = smtp_settings(25)
    orders, _ = draft(SHOP)
    acme = orders[0]
    (order, msg), *_ = write_files(orders, tmp_path, settings)
    eml = Path(order.email_draft)
    raw = eml.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    parsed = std_email.message_from_bytes(raw, policy=default)
    assert parsed["X-Unsent"] == "1"
    assert parsed["To"] == "Sam Patel <orders@acme.example>"
    assert parsed["From"] == "Corner Shop <owner@corner.example>"
    assert parsed["Subject"] == "Purchase order PO-20261127-ACME-1 from Corner Shop"
    assert parsed["Date"] and parsed["Message-ID"].endswith("@corner.example>")
    assert parsed.get_content_type() == "multipart/mixed"
    plain = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "Dear Sam Patel," in plain and "- 24 x A1 Item A1" in plain and "£120.50" in plain
    assert "delivery by 2 December 2026" in plain
    assert "<table" in html and "<td" in html and "£120.50" in html
    files = attachments(parsed)
    assert sorted(files) == ["PO-20261127-ACME-1 Acme Tools Ltd.pdf", "PO-20261127-ACME-1 Acme Tools Ltd.xlsx"]
    xlsx_part = files["PO-20261127-ACME-1 Acme Tools Ltd.xlsx"]
    assert xlsx_part.get_content_type() == XLSX_TYPE
    assert files["PO-20261127-ACME-1 Acme Tools Ltd.pdf"].get_content_type() == "application/pdf"
    assert xlsx_part.get_content() == Path(order.order_file).read_bytes()
    got = read_order_xlsx(io.BytesIO(xlsx_part.get_content()))
    assert [x["SKU"] for x in got["lines"]] == acme.lines["sku"].tolist() and got["total"] == 120.5


def test_every_placeholder_has_a_value():
    order = draft(SHOP)[0][0]
    assert set(order_email.template_values(order, "Shop")) == set(po.PLACEHOLDERS)


def test_non_ascii_names_survive_as_attachment_names(tmp_path):
    suppliers = make_suppliers(("Müller & Söhne", "Jürgen", "bestellung@mueller.example", 3.0, 0.0))
    order = draft(make_reorder(("M1", "Müller & Söhne", 2, 9.5)), suppliers)[0][0]
    settings = smtp_settings(25)
    (_, msg), = write_files([order], tmp_path, settings)
    parsed = std_email.message_from_bytes(Path(order.email_draft).read_bytes(), policy=default)
    assert sorted(attachments(parsed)) == ["PO-20261127-MULLER-1 Müller & Söhne.pdf",
                                           "PO-20261127-MULLER-1 Müller & Söhne.xlsx"]
    assert parsed["To"] == "Jürgen <bestellung@mueller.example>"
    assert "Dear Jürgen," in parsed.get_body(("plain",)).get_content()


def test_templates_fill_in_and_workbook_text_is_escaped_in_html(tmp_path):
    reorder = make_reorder(("<b>A1</b>", "Acme Tools Ltd", 1, 2.0, "REORDER", "<script>alert(1)</script> & co"))
    suppliers = make_suppliers(("Acme Tools Ltd", "Sam <i>&</i>", "orders@acme.example", 5.0, 0.0))
    order = draft(reorder, suppliers)[0][0]
    settings = OrderSettings.model_validate({
        "Email Subject": "{PO_Number} / {Supplier} / {business_name}", "Business Name": "Tom & Jerry's",
        "Email Body": "Hi {contact},\n{lines}\nTotal {order_value} by {delivery_date} :-{"})
    msg = build_draft(order, settings, [])
    assert msg["Subject"] == "PO-20261127-ACME-1 / Acme Tools Ltd / Tom & Jerry's"
    plain = msg.get_body(("plain",)).get_content()
    assert plain.startswith("Hi Sam <i>&</i>,\n- 1 x <b>A1</b> <script>alert(1)</script> & co")
    assert plain.endswith("by 2 December 2026 :-{\n")
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "<b>A1" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html and "Sam &lt;i&gt;&amp;&lt;/i&gt;" in html


@pytest.mark.parametrize("supplier, contact", [
    ("Acme\r\nBcc: evil@x.example", "Sam"),
    ("Acme", "Sam\r\nBcc: evil@x.example"),
    ("Acme", "Evil <evil@x.example>, other@y.example"),
    ("Acme", '"Sam" <evil@x.example>'),
    ("Acme\nSubject: free money", "=?utf-8?q?evil=40x.example?="),
])
def test_workbook_text_cannot_add_headers_or_recipients(supplier, contact):
    suppliers = make_suppliers((supplier, contact, "orders@acme.example", 5.0, 0.0))
    order = draft(make_reorder(("A1", supplier, 1, 2.0)), suppliers)[0][0]
    settings = OrderSettings.model_validate({"Email Subject": "{supplier} {contact} {po_number}",
                                             "Email From": "owner@corner.example"})
    msg = build_draft(order, settings, [])
    parsed = std_email.message_from_bytes(msg.as_bytes(), policy=default)
    assert parsed["Bcc"] is None and parsed["Cc"] is None
    assert len(parsed.get_all("Subject")) == 1
    assert [a.addr_spec for a in parsed["To"].addresses] == ["orders@acme.example"]
    assert "\n" not in parsed["Subject"]


@pytest.mark.parametrize("address", ["a@x.example\nBcc: evil@x.example", "a@x.example, b@y.example", "nobody"])
def test_build_draft_refuses_an_unsafe_address(address):
    order = draft(SHOP)[0][0]
    order.email = address
    with pytest.raises(ValueError):
        build_draft(order, OrderSettings(), [])


def test_draft_without_email_from_leaves_from_to_the_mail_program():
    msg = build_draft(draft(SHOP)[0][0], OrderSettings(), [])
    assert msg["From"] is None and msg["To"].addresses[0].addr_spec == "orders@acme.example"


# ---------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------
def test_send_orders_refused_recipient_is_reported_and_others_go(tmp_path, smtp_server):
    settings = smtp_settings(smtp_server.port)
    orders, _ = draft(SHOP)
    messages = write_files(orders, tmp_path, settings)
    smtp_server.handler.refuse_rcpt = {"jo@northern.example"}
    statuses = send_orders(messages, settings, now=lambda: NOW)
    assert statuses["PO-20261127-ACME-1"] == "SENT 2026-11-27 14:03"
    assert statuses["PO-20261127-FABRIC-1"] == "SENT 2026-11-27 14:03"
    refused = statuses["PO-20261127-NORTHERN-1"]
    assert refused.startswith("NOT SENT: the server refused jo@northern.example: 550")
    got = {r.rcpt_tos[0]: r for r in smtp_server.handler.received}
    assert sorted(got) == ["ana@fabric.example", "orders@acme.example"]
    for order in orders:
        if order.email not in got:
            continue
        r = got[order.email]
        assert r.rcpt_tos == [order.email] and r.mail_from == "owner@corner.example"
        msg = r.message
        assert msg["Subject"] == f"Purchase order {order.po_number} from Corner Shop"
        assert msg["X-Unsent"] is None  # the draft marker does not go out
        files = attachments(msg)
        assert {p.get_content_type() for p in files.values()} == {XLSX_TYPE, "application/pdf"}
        xlsx = next(p for p in files.values() if p.get_content_type() == XLSX_TYPE)
        sheet = read_order_xlsx(io.BytesIO(xlsx.get_content()))
        assert [(x["SKU"], x["Quantity"]) for x in sheet["lines"]] == list(
            zip(order.lines["sku"], order.lines["quantity"]))
        assert sheet["total"] == order.order_value
        assert b"%PDF-" == next(p for p in files.values() if p.get_content_type() == "application/pdf"
                                ).get_content()[:5]


def test_refused_message_does_not_stop_the_rest(tmp_path, smtp_server):
    settings = smtp_settings(smtp_server.port)
    orders, _ = draft(SHOP)
    smtp_server.handler.refuse_data = {"orders@acme.example"}
    statuses = send_orders([(o, build_draft(o, settings, [])) for o in orders], settings, now=lambda: NOW)
    assert statuses["PO-20261127-ACME-1"] == "NOT SENT: the server answered 554 5.6.0 message content rejected"
    assert [s[:4] for s in statuses.values()].count("SENT") == 2


def test_lost_connection_fails_one_order_and_the_next_reconnects(smtp_server):
    settings = smtp_settings(smtp_server.port)
    orders, _ = draft(SHOP)
    smtp_server.handler.hang_up = {"orders@acme.example"}
    statuses = send_orders([(o, build_draft(o, settings, [])) for o in orders], settings, now=lambda: NOW)
    assert statuses["PO-20261127-ACME-1"].startswith(f"NOT SENT: connection to 127.0.0.1:{smtp_server.port} lost")
    assert statuses["PO-20261127-FABRIC-1"] == statuses["PO-20261127-NORTHERN-1"] == "SENT 2026-11-27 14:03"
    assert sorted(r.rcpt_tos[0] for r in smtp_server.handler.received) == ["ana@fabric.example",
                                                                         "jo@northern.example"]


def test_server_down_every_order_not_sent_no_exception():
    settings = smtp_settings(free_port())
    orders, _ = draft(SHOP)
    statuses = send_orders([(o, build_draft(o, settings, [])) for o in orders], settings, timeout=5)
    assert len(statuses) == 3
    for status in statuses.values():
        assert status.startswith(f"NOT SENT: cannot reach the mail server 127.0.0.1:{settings.smtp_port}: ")
        assert "\n" not in status


def test_sent_orders_and_orders_without_address_are_not_sent(smtp_server):
    settings = smtp_settings(smtp_server.port)
    orders, _ = draft(SHOP)
    messages = [(o, build_draft(o, settings, [])) for o in orders]
    orders[0].status = "SENT 2026-11-26 09:00"
    orders[1].email = ""
    statuses = send_orders(messages, settings, now=lambda: NOW)
    assert statuses == {"PO-20261127-ACME-1": "SENT 2026-11-26 09:00",
                        "PO-20261127-FABRIC-1": "NOT SENT: no usable email address (the email address is blank)",
                        "PO-20261127-NORTHERN-1": "SENT 2026-11-27 14:03"}
    assert [r.rcpt_tos for r in smtp_server.handler.received] == [["jo@northern.example"]]


@pytest.mark.parametrize("changes, reason", [
    ({"SMTP Host": ""}, "SMTP Host is blank"),
    ({"Email From": ""}, "Email From on Settings: the email address is blank"),
    ({"SMTP User": "owner"}, "JIT_SMTP_PASSWORD is not set"),
])
def test_settings_that_cannot_send(monkeypatch, smtp_server, changes, reason):
    monkeypatch.delenv("JIT_SMTP_PASSWORD", raising=False)
    settings = smtp_settings(smtp_server.port, **changes)
    order = draft(SHOP)[0][0]
    statuses = send_orders([(order, build_draft(order, settings, []))], settings)
    assert statuses[order.po_number].startswith("NOT SENT: ") and reason in statuses[order.po_number]
    assert smtp_server.handler.received == []


def test_password_never_goes_over_an_unencrypted_connection(monkeypatch, smtp_server):
    monkeypatch.setenv("JIT_SMTP_PASSWORD", "secret")
    settings = smtp_settings(smtp_server.port, **{"SMTP User": "owner"})
    order = draft(SHOP)[0][0]
    statuses = send_orders([(order, build_draft(order, settings, []))], settings)
    assert "unencrypted" in statuses[order.po_number]


# ---- TLS and login ---------------------------------------------------------------
@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return SimpleNamespace(server=server, client=client)


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"owner", b"s3cret!")
    return AuthResult(success=ok, handled=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
@pytest.mark.parametrize("password, ok", [("s3cret!", True), ("wrong", False)])
def test_tls_and_login_with_the_password_from_the_environment(monkeypatch, certificate, security, password, ok):
    monkeypatch.setenv("JIT_SMTP_PASSWORD", password)
    handler = Recorder()
    port = free_port()
    tls = {"tls_context": certificate.server, "require_starttls": True} if security == "starttls" else {
        "ssl_context": certificate.server, "auth_require_tls": False}  # aiosmtpd: implicit TLS is not "tls" to it
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_required=True, **tls)
    controller.start()
    try:
        settings = smtp_settings(port, **{"SMTP Security": security, "SMTP User": "owner"})
        order = draft(SHOP)[0][0]
        statuses = send_orders([(order, build_draft(order, settings, []))], settings,
                               ssl_context=certificate.client, timeout=10, now=lambda: NOW)
    finally:
        controller.stop()
    if ok:
        assert statuses == {order.po_number: "SENT 2026-11-27 14:03"}
        assert [r.rcpt_tos for r in handler.received] == [["orders@acme.example"]]
    else:
        assert "refused the login of owner" in statuses[order.po_number]
        assert handler.received == []


def test_certificate_is_checked(certificate):
    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=certificate.server)
    controller.start()
    try:
        settings = smtp_settings(port, **{"SMTP Security": "starttls"})
        order = draft(SHOP)[0][0]
        statuses = send_orders([(order, build_draft(order, settings, []))], settings, timeout=10)
    finally:
        controller.stop()
    assert "CERTIFICATE_VERIFY_FAILED" in statuses[order.po_number] and handler.received == []


# ---------------------------------------------------------------------------------
# End to end on a demo workbook
# ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_shop(tmp_path_factory):
    from jit_workbook.actions import recalculate
    from jit_workbook.demo import write_shop
    from jit_workbook.io.file_book import FileBook
    from jit_workbook.io.parse import parse_inputs, parse_sheet

    path = write_shop("tiny", tmp_path_factory.mktemp("shop") / "JIT_Inventory.xlsx")
    book = FileBook(path)
    result = recalculate(book, progress=lambda message: None)
    grids = FileBook(path).read([s.name for s in K.INPUT_SHEETS] + [K.REORDER.name],
                                optional=K.OPTIONAL_INPUT_SHEETS)
    inputs = parse_inputs(grids)
    reorder_sheet = parse_sheet(K.REORDER, grids[K.REORDER.name]).frame  # what the owner sees
    return SimpleNamespace(result=result, inputs=inputs, reorder_sheet=reorder_sheet)


def test_end_to_end_draft_send_rerun_and_close_the_loop(tmp_path, demo_shop, smtp_server):
    from jit_workbook.planning import plan_reorder

    shop = demo_shop
    settings = smtp_settings(smtp_server.port, **{"Business Name": shop.result.settings.business_name})
    as_of = shop.result.settings.plan_date()
    kw = dict(business_name=settings.business_name, currency="GBP", order_date=as_of)
    orders, issues = po.draft_orders(shop.result.reorder, shop.inputs.suppliers, shop.inputs.stock, **kw)
    assert issues == [] and len(orders) >= 3
    messages = write_files(orders, tmp_path / "orders", settings)
    refused = orders[-1].email
    smtp_server.handler.refuse_rcpt = {refused}
    statuses = send_orders(messages, settings, now=lambda: NOW)
    for o in orders:
        o.status = statuses[o.po_number]
    sheet, lines = po.record_orders(orders)
    assert sheet.set_index("po_number")["status"].str.startswith("NOT SENT").sum() == 1

    # What each supplier received is what the Reorder sheet says to order from them.
    sheet_rows = shop.reorder_sheet
    to_order = sheet_rows[(sheet_rows["order_qty"] > 0) & (sheet_rows["status"] != "DO NOT REORDER")]
    emails = shop.inputs.suppliers.set_index("supplier")["email"]
    received = {r.rcpt_tos[0]: r.message for r in smtp_server.handler.received}
    assert len(received) == len(orders) - 1 and refused not in received
    for supplier, rows in to_order.groupby("supplier"):
        if emails[supplier] == refused:
            continue
        msg = received[emails[supplier]]
        xlsx = next(p for p in msg.iter_attachments() if p.get_content_type() == XLSX_TYPE)
        got = read_order_xlsx(io.BytesIO(xlsx.get_content()))
        assert [(x["SKU"], x["Quantity"]) for x in got["lines"]] == list(zip(rows["sku"], rows["order_qty"]))
        assert got["total"] == pytest.approx(rows["order_value"].sum(), abs=0.01)
        assert got["info"]["Supplier"] == supplier

    # Rerun the same day: same POs, the sent ones keep SENT and nothing is sent twice.
    again, _ = po.draft_orders(shop.result.reorder, shop.inputs.suppliers, shop.inputs.stock, **kw,
                               previous_orders=sheet, previous_lines=lines)
    assert [o.po_number for o in again] == [o.po_number for o in orders]
    smtp_server.handler.refuse_rcpt = set()
    before = len(smtp_server.handler.received)
    statuses2 = send_orders([(o, build_draft(o, settings, [])) for o in again], settings, now=lambda: NOW)
    assert len(smtp_server.handler.received) == before + 1  # only the one refused before
    assert all(s.startswith("SENT") for s in statuses2.values())
    for o in again:
        o.status = statuses2[o.po_number]
    sheet, lines = po.record_orders(again, sheet, lines)

    # The next plan counts what was sent as on order: nothing is ordered twice.
    open_qty, open_issues = po.open_order_quantities(sheet, lines, shop.inputs.receipts, as_of,
                                                     shop.inputs.suppliers)
    assert open_issues == []
    assert open_qty.set_index("sku")["open_qty"].to_dict() == pytest.approx(
        to_order.set_index("sku")["order_qty"].astype(float).to_dict())
    stock = shop.inputs.stock.copy()
    extra = stock["sku"].map(open_qty.set_index("sku")["open_qty"]).fillna(0.0)
    replanned, _ = plan_reorder(stock.assign(on_order=stock["on_order"] + extra), shop.inputs.sales,
                                shop.inputs.suppliers, shop.result.settings)
    assert (replanned.set_index("sku").loc[to_order["sku"], "order_qty"] == 0).all()

    # Receipts close the orders: partly received leaves the rest, fully received nothing.
    first = lines[lines["po_number"] == orders[0].po_number]
    rc = receipts(*[(r.po_number, r.sku, r.quantity - (1 if i == 0 else 0), str(as_of))
                    for i, r in enumerate(first.itertuples())])
    after, _ = po.open_order_quantities(sheet, lines, rc, as_of, shop.inputs.suppliers)
    left = after.set_index("sku")["open_qty"]
    assert left[first["sku"].iloc[0]] == 1.0
    assert not set(first["sku"].iloc[1:]) & set(after["sku"])


def test_doctests():
    import doctest

    assert doctest.testmod(order_email).failed == 0
    assert doctest.testmod(documents).failed == 0
