"""Money as the shop sees it: the currency symbol for the workbook's ``Currency``.

One place for the summary line, the order documents and the sheets' number formats.

>>> format_money(1234.5, "GBP"), format_money(12, "SEK")
('£1,234.50', '12.00 SEK')
"""

from __future__ import annotations

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "AUD": "A$", "CAD": "C$", "NZD": "NZ$", "JPY": "¥",
                    "INR": "₹", "CHF": "CHF ", "ZAR": "R"}


def format_money(value: float, currency: str) -> str:
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{value:,.2f}" if symbol else f"{value:,.2f} {currency}"
