"""Purchase orders as email: drafts the owner opens in their mail program, and SMTP sending.

:func:`build_draft` makes an RFC 5322 message (plain text + HTML, the order sheet
and PDF attached, ``X-Unsent: 1`` so Outlook and Apple Mail open it as a draft to
check and send), :func:`write_eml` saves it, and :func:`send_orders` delivers a batch
over one SMTP connection, one order's failure never stopping the others.

Workbook text never becomes a header or a recipient: the only recipient is the
supplier's address validated by :func:`~.safety.email_address` (one address, no
line breaks), every header value passes :func:`~.safety.header_text`, the HTML body
escapes all workbook text, and mail is sent to an explicit envelope recipient list,
never to addresses read back from headers.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import html
import mimetypes
import os
import re
import smtplib
import ssl
import email.policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Callable, Iterable

from .po import PurchaseOrder, PLACEHOLDER_RE, fmt_qty, money, render
from .safety import atomic_path, clean_text, email_address, header_text

PASSWORD_VARIABLE = "JIT_SMTP_PASSWORD"
MIME_TYPES = {
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pdf": ("application", "pdf"),
}


def _delivery(order: PurchaseOrder) -> str:
    d = order.delivery_date
    return f"{d.day} {d:%B %Y}" if d else "as soon as possible"


def lines_text(order: PurchaseOrder) -> str:
    """The order lines as plain text, one per line: ``- 24 x P1 Paint @ £4.00 = £96.00``."""
    out = []
    for line in order.lines.itertuples(index=False):
        desc = header_text(line.description, 120)
        barcode = header_text(line.barcode, 40)
        price = money(line.unit_cost, order.currency)
        text = f"- {fmt_qty(line.quantity)} x {header_text(line.sku, 60)}"
        text += f" {desc}" if desc else ""
        text += f" (barcode {barcode})" if barcode else ""
        text += f" @ {price} = {money(line.line_total, order.currency)}" if price else " (price to confirm)"
        out.append(text)
    return "\n".join(out)


def lines_html(order: PurchaseOrder) -> str:
    """The order lines as an HTML table; every workbook value escaped."""
    e = html.escape
    head = "".join(f'<th style="text-align:{"right" if i >= 3 else "left"};padding:2px 8px">{e(h)}</th>'
                   for i, h in enumerate(("SKU", "Barcode", "Description", "Quantity", "Unit Cost", "Line Total")))
    rows = []
    for line in order.lines.itertuples(index=False):
        cells = [clean_text(line.sku), clean_text(line.barcode), clean_text(line.description),
                 fmt_qty(line.quantity), money(line.unit_cost, order.currency),
                 money(line.line_total, order.currency)]
        rows.append("<tr>" + "".join(
            f'<td style="text-align:{"right" if i >= 3 else "left"};padding:2px 8px">{e(c)}</td>'
            for i, c in enumerate(cells)) + "</tr>")
    total = (f'<tr><td colspan="5" style="text-align:right;padding:2px 8px"><b>Total</b></td>'
             f'<td style="text-align:right;padding:2px 8px"><b>{e(money(order.order_value, order.currency))}'
             "</b></td></tr>")
    return (f'<table style="border-collapse:collapse"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}{total}</tbody></table>")


def template_values(order: PurchaseOrder, business_name: str) -> dict[str, str]:
    """The text each placeholder of the Email Subject / Email Body templates stands for."""
    values = {
        "supplier": order.supplier,
        "contact": order.contact or order.supplier,
        "po_number": order.po_number,
        "business_name": business_name,
        "lines": lines_text(order),
        "order_value": money(order.order_value, order.currency),
        "delivery_date": _delivery(order),
        "order_date": f"{order.order_date.day} {order.order_date:%B %Y}",
        "currency": order.currency,
    }
    return {k: clean_text(v) if k != "lines" else v for k, v in values.items()}


def clean_text_lines(text: str) -> str:
    """Multi-line text with every control character except line breaks replaced by a space."""
    return "\n".join(clean_text(line) for line in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def _html_body(template: str, values: dict[str, str], table: str) -> str:
    """The body template as HTML: literal text and values escaped, line breaks kept,
    ``{lines}`` as a table."""
    parts, pos = [], 0
    for m in PLACEHOLDER_RE.finditer(template):
        parts.append(html.escape(template[pos:m.start()]))
        name = m.group(1).lower()
        if name == "lines":
            parts.append(table)
        else:
            parts.append(html.escape(values.get(name, m.group(0))))
        pos = m.end()
    parts.append(html.escape(template[pos:]))
    body = "".join(parts).replace("\n", "<br>\n")
    return ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
            f'<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px">\n{body}\n</body></html>\n')


def _mime_type(path: Path) -> tuple[str, str]:
    known = MIME_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, encoding = mimetypes.guess_type(path.name)
    if guessed and not encoding and "/" in guessed:
        main, sub = guessed.split("/", 1)
        return main, sub
    return "application", "octet-stream"


def build_draft(order: PurchaseOrder, settings: Any, attachments: Iterable[str | Path], *,
                business_name: str | None = None) -> EmailMessage:
    """The email for one purchase order, ready to save as a draft or to send.

    Headers: ``To`` the supplier's validated address (display name = Contact, else
    the supplier), ``From`` the ``Email From`` setting with the business name
    (left out when blank: the mail program fills it in), ``Subject`` from the
    ``Email Subject`` template, ``Date``, ``Message-ID`` and ``X-Unsent: 1`` (Outlook
    and Apple Mail open the file as an unsent draft; :func:`send_orders` removes it).
    Body: ``Email Body`` rendered as plain text, with an HTML alternative in which every
    workbook value is escaped and ``{lines}`` is a table. Each attachment keeps its
    file name and gets its MIME type (.xlsx, .pdf known).

    Parameters
    ----------
    order : PurchaseOrder
    settings : OrderSettings or the workbook Settings
        ``email_from``, ``email_subject``, ``email_body`` (and ``business_name``).
    attachments : paths
        Files to attach, in order (the order sheet and PDF).
    business_name : str, optional
        Defaults to ``settings.business_name``.

    Raises
    ------
    ValueError
        The order has no usable email address (:func:`~.safety.email_address` says why).
    """
    to_addr = email_address(order.email)
    name = business_name if business_name is not None else getattr(settings, "business_name", "")
    values = template_values(order, clean_text(name))
    subject_template = getattr(settings, "email_subject", "") or "Purchase order {po_number} from {business_name}"
    body_template = clean_text_lines(getattr(settings, "email_body", "") or "{lines}")

    msg = EmailMessage(policy=_HEADER_POLICY)
    msg["Subject"] = header_text(render(subject_template, values), 300)
    from_addr = getattr(settings, "email_from", "") or ""
    if from_addr.strip():
        msg["From"] = Address(display_name=header_text(name, 100), addr_spec=email_address(from_addr))
    msg["To"] = Address(display_name=header_text(order.contact or order.supplier, 100), addr_spec=to_addr)
    msg["Date"] = formatdate(localtime=True)
    domain = (email_address(from_addr).split("@", 1)[1] if from_addr.strip() else "jit-workbook.invalid")
    msg["Message-ID"] = make_msgid(idstring=order.po_number, domain=domain)
    msg["X-Unsent"] = "1"
    msg.set_content(render(body_template, values) + "\n")
    msg.add_alternative(_html_body(body_template, values, lines_html(order)), subtype="html")
    for p in attachments:
        p = Path(p)
        main, sub = _mime_type(p)
        msg.add_attachment(p.read_bytes(), maintype=main, subtype=sub, filename=p.name)
    return msg


# RFC 5322 allows header lines of 998 characters (78 is a "should"); Python's default
# folding moves a subject over 78 onto a continuation line, which some readers then show
# with a leading space. Subjects are capped at 300 characters, so they stay on one line.
_HEADER_POLICY = email.policy.default.clone(max_line_length=998)


def write_eml(msg: EmailMessage, path: str | Path) -> Path:
    """Save ``msg`` as an ``.eml`` file (RFC 5322, CRLF line ends), atomically; returns ``path``.

    Outlook (double-click) and Apple Mail open it as a draft because of ``X-Unsent: 1``;
    Thunderbird opens it as a message: use *Edit as New Message* there.
    """
    path = Path(path)
    data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------
def _reason(exc: BaseException) -> str:
    """One line saying why a send failed."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = []
        for addr, (code, text) in exc.recipients.items():
            msg = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
            parts.append(f"the server refused {addr}: {code} {msg}")
        return "; ".join(parts) or "the server refused the recipient"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"the server answered {exc.smtp_code} {text}"
    return str(exc) or type(exc).__name__


def _redact(text: str, user: str, password: str) -> str:
    """``text`` (a server's reply) without the password or the login, plain or base64 as sent.

    Some servers quote what they were given when they refuse a login; their reply is
    kept on the Orders sheet and printed, so neither secret may survive in it.
    """
    secrets = {password, user}
    for raw in (password, user, f"\0{user}\0{password}", f"{user}\0{password}"):
        if raw:
            secrets.add(base64.b64encode(raw.encode("utf-8")).decode("ascii"))
            secrets.add(base64.b64encode(raw.encode("utf-8")).decode("ascii").rstrip("="))
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = re.sub(re.escape(secret), "***", text, flags=re.IGNORECASE)
    return text


def _login(conn: smtplib.SMTP, user: str, password: str) -> None:
    """Log in; a login or password beyond ASCII goes as UTF-8 in base64 (AUTH PLAIN or LOGIN).

    SMTP AUTH carries UTF-8 (RFC 4616 for PLAIN), but smtplib encodes the credentials
    as ASCII and fails on ``é`` or ``€`` before it sends anything.
    """
    if user.isascii() and password.isascii():
        conn.login(user, password)
        return
    conn.ehlo_or_helo_if_needed()
    if not conn.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    offered = conn.esmtp_features["auth"].upper().split()

    def b64(text: str) -> str:
        return base64.b64encode(text.encode("utf-8")).decode("ascii")

    if "PLAIN" in offered:
        code, reply = conn.docmd("AUTH", "PLAIN " + b64(f"\0{user}\0{password}"))
    elif "LOGIN" in offered:
        code, reply = conn.docmd("AUTH", "LOGIN " + b64(user))
        if code == 334:
            code, reply = conn.docmd(b64(password))
    else:
        raise _SetupError("offers no login that takes a password with letters beyond A-Z (it needs AUTH PLAIN "
                          "or LOGIN); use a password of plain letters, digits and signs")
    if code not in (235, 503):  # 503: already logged in
        raise smtplib.SMTPAuthenticationError(code, reply)


def _problem(settings: Any, password: str) -> str:
    """Why nothing can be sent with these settings, or ""."""
    if not str(getattr(settings, "smtp_host", "") or "").strip():
        return "SMTP Host is blank on Settings; fill it to send, or send the email drafts yourself"
    try:
        email_address(getattr(settings, "email_from", ""))
    except ValueError as exc:
        return f"Email From on Settings: {exc}"
    user = str(getattr(settings, "smtp_user", "") or "").strip()
    if user and not password:
        return (f"the environment variable {PASSWORD_VARIABLE} is not set; set it to the password of "
                f"{user} before sending (the password is never kept in the workbook)")
    if user and getattr(settings, "smtp_security", "starttls") == "none":
        return "SMTP Security none would send the password unencrypted; use starttls or ssl"
    return ""


class _SetupError(Exception):
    """The server cannot be used as configured; the message says why and what to change."""


def _connect(settings: Any, password: str, timeout: float, context: ssl.SSLContext | None,
             local_hostname: str | None) -> smtplib.SMTP:
    host = str(settings.smtp_host).strip()
    port = int(settings.smtp_port)
    security = getattr(settings, "smtp_security", "starttls")
    context = context or ssl.create_default_context()
    if security == "ssl":
        conn: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context,
                                              local_hostname=local_hostname)
    else:
        conn = smtplib.SMTP(host, port, timeout=timeout, local_hostname=local_hostname)
    try:
        if security == "starttls":
            try:
                conn.starttls(context=context)
            except smtplib.SMTPNotSupportedError:
                raise _SetupError("does not offer STARTTLS; set SMTP Security to ssl (port 465) "
                                  "or ask your mail provider for the right port") from None
            conn.ehlo()
        user = str(getattr(settings, "smtp_user", "") or "").strip()
        if user:
            try:
                _login(conn, user, password)
            except smtplib.SMTPNotSupportedError:
                raise _SetupError("does not offer a login (SMTP AUTH) on this connection; "
                                  "check SMTP Port and SMTP Security, or leave SMTP User blank") from None
    except BaseException:
        conn.close()
        raise
    return conn


def _outgoing(msg: EmailMessage) -> EmailMessage:
    """The message as it goes out: without the draft marker."""
    out = copy.deepcopy(msg)
    del out["X-Unsent"]
    return out


def send_orders(messages: Iterable[tuple[PurchaseOrder, EmailMessage]], settings: Any, *,
                timeout: float = 30.0, ssl_context: ssl.SSLContext | None = None,
                local_hostname: str | None = None,
                now: Callable[[], dt.datetime] = dt.datetime.now) -> dict[str, str]:
    """Send each order's email over one SMTP connection; returns ``{PO number: status}``.

    Status ``SENT 2026-11-27 14:03`` (local time) on success, else ``NOT SENT: <reason>``
    — a refused recipient, a refused message, a lost connection, a server that cannot
    be reached or a login refused. One order's failure never stops the others; after a
    lost connection the next order reconnects. Nothing raises for a mail problem.

    Skipped without contacting the server: an order whose status already says SENT
    (its status is returned unchanged: never sent twice) and one without a valid
    email address (``NOT SENT``).

    Settings: ``smtp_host``, ``smtp_port``, ``smtp_security`` (``starttls``: plain
    connection upgraded with STARTTLS, ``ssl``: TLS from the start, ``none``: no
    encryption — refused together with a login, since the password would travel in
    clear), ``smtp_user`` (login when not blank) and ``email_from`` (the envelope
    sender). The password is read only from the environment variable
    ``JIT_SMTP_PASSWORD``. Certificates are verified (the system's CAs) unless
    ``ssl_context`` says otherwise.

    The envelope recipient is the order's validated ``email`` only; the
    ``X-Unsent`` draft marker is removed before sending.
    """
    statuses: dict[str, str] = {}
    todo: list[tuple[PurchaseOrder, EmailMessage]] = []
    for order, msg in messages:
        if order.sent:
            statuses[order.po_number] = order.status
            continue
        try:
            email_address(order.email)
        except ValueError as exc:
            statuses[order.po_number] = f"NOT SENT: no usable email address ({exc})"
            continue
        todo.append((order, msg))
    if not todo:
        return statuses
    password = os.environ.get(PASSWORD_VARIABLE, "")
    problem = _problem(settings, password)
    if problem:
        return statuses | {o.po_number: f"NOT SENT: {problem}" for o, _ in todo}
    sender = email_address(settings.email_from)
    where = f"{str(settings.smtp_host).strip()}:{int(settings.smtp_port)}"
    user = str(getattr(settings, "smtp_user", "") or "").strip()

    def why(exc: BaseException) -> str:  # every server reply kept or shown passes here
        return _redact(_reason(exc), user, password)

    conn: smtplib.SMTP | None = None
    try:
        for i, (order, msg) in enumerate(todo):
            if conn is None:
                try:
                    conn = _connect(settings, password, timeout, ssl_context, local_hostname)
                except smtplib.SMTPAuthenticationError as exc:
                    reason = (f"the mail server {where} refused the login of {settings.smtp_user} "
                              f"({why(exc)}); check SMTP User and {PASSWORD_VARIABLE}")
                except _SetupError as exc:
                    reason = f"the mail server {where} {exc}"
                except (OSError, smtplib.SMTPException, UnicodeError) as exc:
                    reason = f"cannot reach the mail server {where}: {why(exc)}"
                else:
                    reason = ""
                if reason:
                    for o, _ in todo[i:]:
                        statuses[o.po_number] = "NOT SENT: " + header_text(reason, 300)
                    break
            try:
                conn.send_message(_outgoing(msg), from_addr=sender, to_addrs=[email_address(order.email)])
            except smtplib.SMTPServerDisconnected as exc:
                lost: BaseException | None = exc
            except smtplib.SMTPException as exc:  # refused recipient, sender or message: the session goes on
                statuses[order.po_number] = "NOT SENT: " + header_text(why(exc), 300)
                continue
            except OSError as exc:  # (SMTPException is an OSError too: caught above)
                lost = exc
            else:
                lost = None
            if lost is not None:
                statuses[order.po_number] = "NOT SENT: " + header_text(
                    f"connection to {where} lost: {why(lost)}", 300)
                conn.close()
                conn = None  # the next order reconnects
                continue
            statuses[order.po_number] = f"SENT {now():%Y-%m-%d %H:%M}"
    finally:
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()
    return statuses
