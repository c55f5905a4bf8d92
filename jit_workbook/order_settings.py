"""The settings purchase orders add to the Settings sheet, and the email templates.

Below both :mod:`jit_workbook.settings` (whose ``Settings`` inherits
:class:`OrderSettingsFields`) and :mod:`jit_workbook.orders` (which drafts and sends
the orders), so neither imports the other for them.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .safe_text import clean_text, email_address, header_text

SMTP_SECURITY = ("starttls", "ssl", "none")
PLACEHOLDERS = ("supplier", "contact", "po_number", "business_name", "lines", "order_value",
                "delivery_date", "order_date", "currency")
PLACEHOLDER_RE = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")
DEFAULT_SUBJECT = "Purchase order {po_number} from {business_name}"
DEFAULT_BODY = (
    "Dear {contact},\n\n"
    "Please supply the goods below on our purchase order {po_number}, "
    "for delivery by {delivery_date}.\n\n"
    "{lines}\n\n"
    "Order value: {order_value}\n\n"
    "The order sheet and a PDF copy are attached. Please confirm the order and the delivery date.\n\n"
    "Kind regards,\n{business_name}"
)


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders (case-insensitive, spaces inside the braces allowed).

    Only the plain names in ``values`` are replaced; nothing else in the template is
    interpreted (no ``str.format``: no attribute access, no format specs, stray braces
    are fine), so an owner's template can neither crash nor reach into objects.

    >>> render("Order {PO_Number} for { supplier }", {"po_number": "PO-1", "supplier": "Acme"})
    'Order PO-1 for Acme'
    """
    lowered = {k.lower(): v for k, v in values.items()}
    return PLACEHOLDER_RE.sub(lambda m: lowered.get(m.group(1).lower(), m.group(0)), template)


def unknown_placeholders(template: str) -> list[str]:
    """What ``template`` holds in braces that is not one of :data:`PLACEHOLDERS`
    (a typo such as ``{po_numbr}``, or ``{supplier.name}``: left as typed by
    :func:`render`, so worth telling the owner).

    >>> unknown_placeholders("Order {PO_number} {po_numbr} {supplier.name}")
    ['po_numbr', 'supplier.name']
    """
    return [m.group(1).strip() for m in re.finditer(r"\{([^{}\n]*)\}", template)
            if m.group(1).strip().lower() not in PLACEHOLDERS]


def _as_text(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (int, float)):
        return str(v)
    return v


class OrderSettingsFields(BaseModel):
    """The settings purchase orders add to the Settings sheet.

    A mixin: ``class Settings(OrderSettingsFields, ...)`` adds these fields (alias =
    the label in the Settings sheet's ``Setting`` column, description = its note)
    with their validators. The SMTP password is deliberately not a setting: it only
    ever comes from the environment variable ``JIT_SMTP_PASSWORD``.

    >>> OrderSettings.model_validate({"SMTP Port": 465.0, "SMTP Security": " SSL "}).smtp_security
    'ssl'
    """

    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="ignore")

    order_folder: str = Field(
        "orders", alias="Order Folder",
        description="Folder for purchase orders, beside the workbook unless a full path; "
                    "one subfolder per order date.")
    smtp_host: str = Field(
        "", alias="SMTP Host",
        description="Mail server that sends orders, e.g. smtp.office365.com. Blank = drafts only.")
    smtp_port: int = Field(587, alias="SMTP Port", ge=1, le=65535,
                           description="Mail server port: usually 587 for starttls, 465 for ssl.")
    smtp_security: Literal[SMTP_SECURITY] = Field(  # type: ignore[valid-type]
        "starttls", alias="SMTP Security",
        description="starttls, ssl or none (none only for a mail server inside your own network).")
    smtp_user: str = Field(
        "", alias="SMTP User",
        description="Login name for the mail server; the password is read only from the "
                    "environment variable JIT_SMTP_PASSWORD, never from the workbook.")
    email_from: str = Field("", alias="Email From", description="Your email address; orders are sent from it.")
    email_subject: str = Field(
        DEFAULT_SUBJECT, alias="Email Subject",
        description="Subject of order emails; {po_number}, {supplier} and {business_name} are filled in.")
    email_body: str = Field(
        DEFAULT_BODY, alias="Email Body",
        description="Text of order emails; {supplier}, {contact}, {po_number}, {business_name}, "
                    "{lines}, {order_value} and {delivery_date} are filled in.")

    @field_validator("order_folder", "smtp_host", "smtp_user", "email_from", "email_subject", "email_body",
                     mode="before")
    @classmethod
    def _numbers_as_text(cls, v: Any) -> Any:
        return _as_text(v)

    @field_validator("order_folder")
    @classmethod
    def _folder(cls, v: str) -> str:
        if v != clean_text(v):
            raise ValueError("must be one line without control characters")
        return v.strip() or "orders"

    @field_validator("smtp_security", mode="before")
    @classmethod
    def _security(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v

    @field_validator("smtp_port", mode="before")
    @classmethod
    def _whole_port(cls, v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return v

    @field_validator("smtp_host", "smtp_user")
    @classmethod
    def _one_word(cls, v: str) -> str:
        v = v.strip()
        if any(ch.isspace() for ch in v) or v != clean_text(v):
            raise ValueError("must not contain spaces, line breaks or control characters")
        return v

    @field_validator("email_from")
    @classmethod
    def _from_address(cls, v: str) -> str:
        return email_address(v) if v.strip() else ""

    @field_validator("email_subject", "email_body")
    @classmethod
    def _template(cls, v: str, info: Any) -> str:
        v = v.replace("\r\n", "\n").replace("\r", "\n")
        if info.field_name == "email_subject":
            v = header_text(v, 300)
        if not v.strip():
            raise ValueError("is blank")
        unknown = unknown_placeholders(v)
        if unknown:
            names = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise ValueError(f"has an unknown placeholder {{{unknown[0]}}}; the ones filled in are {names}")
        return v


class OrderSettings(OrderSettingsFields):
    """The order settings on their own (plus the two shop settings orders print), for
    the library and its tests; the workbook's Settings model inherits the fields."""

    business_name: str = Field("My Shop", alias="Business Name")
    currency: str = Field("GBP", alias="Currency")
