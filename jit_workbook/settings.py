"""The Settings sheet as a validated pydantic model.

Each field's ``alias`` is the text in the Settings sheet's ``Setting`` column and its
``description`` the note the template shows beside it: the template builder, the
reader and README all come from this one model.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .contract import DATE_ORDERS, FORECAST_METHODS, SAFETY_STOCK_METHODS, SERVICE_MEASURES
from .order_settings import OrderSettingsFields


class PlanningSettings(BaseModel):
    """Planning settings for one shop, with the defaults a new workbook starts from.

    >>> PlanningSettings().review_period_days
    7
    """

    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="ignore")

    business_name: str = Field("My Shop", alias="Business Name", description="Printed on orders and reports.")
    currency: str = Field("GBP", alias="Currency", description="ISO currency code, e.g. GBP, EUR, USD.")
    as_of_date: dt.date | None = Field(
        None, alias="As Of Date",
        description="The day the plan is for. Blank = today; a fixed date makes a run repeatable.")
    date_order: Literal[DATE_ORDERS] | None = Field(  # type: ignore[valid-type]
        None, alias="Date Order",
        description="How dates typed or pasted as text, such as 03/09/2026, are read: Day First "
                    "(3 September) or Month First (March 9). A column holding a date such as 29/11/2026 "
                    "is read the way it shows. Blank = Month First when Currency is USD, else Day First.")
    service_level: float = Field(
        0.95, alias="Service Level", gt=0.5, lt=1,
        description="Chance of not running out before a delivery arrives, when no other level applies.")
    service_level_a: float = Field(0.98, alias="Service Level A", gt=0.5, lt=1,
                                   description="Service level for A items (top 80% of sales value).")
    service_level_b: float = Field(0.95, alias="Service Level B", gt=0.5, lt=1,
                                   description="Service level for B items (next 15% of sales value).")
    service_level_c: float = Field(0.90, alias="Service Level C", gt=0.5, lt=1,
                                   description="Service level for C items (the rest).")
    service_measure: Literal[SERVICE_MEASURES] = Field(  # type: ignore[valid-type]
        "Cycle", alias="Service Measure",
        description="What a service level means: Cycle (the chance of not running out before a delivery "
                    "arrives) or Fill Rate (the share of units sold straight from the shelf).")
    safety_stock_method: Literal[SAFETY_STOCK_METHODS] = Field(  # type: ignore[valid-type]
        "Empirical", alias="Safety Stock Method",
        description="Empirical (from how far each item's own forecasts were out over its lead time plus "
                    "review period) or Normal (the textbook formula).")
    review_period_days: float = Field(
        7, alias="Review Period Days", ge=0, le=365,
        description="Days between stock checks (R). 0 means you check continuously.")
    history_days: int = Field(365, alias="History Days", ge=7, le=3660,
                              description="Days of sales history the plan looks at.")
    new_item_days: int = Field(14, alias="New Item Days", ge=1, le=365,
                               description="A new item sold over fewer days than this has its sales spread over "
                                           "this many days, so a first sale does not look like a daily rate.")
    forecast_method: Literal[FORECAST_METHODS] = Field(  # type: ignore[valid-type]
        "Auto", alias="Forecast Method",
        description="How daily demand is forecast: Moving Average, Exponential Smoothing, Croston, TSB, "
                    "Seasonal, Damped Trend (follows a rising or falling trend) or Auto (the best of them "
                    "per item, on its own history).")
    smoothing_alpha: float = Field(0.1, alias="Smoothing Alpha", gt=0, le=1,
                                   description="Weight of the newest day in Exponential Smoothing (α).")
    tsb_alpha_demand: float = Field(0.1, alias="TSB Alpha Demand", gt=0, le=1,
                                    description="TSB: weight of the newest sale size (α_d).")
    tsb_alpha_probability: float = Field(0.1, alias="TSB Alpha Probability", gt=0, le=1,
                                         description="TSB: weight of the newest day's sell-or-not (α_p).")
    obsolete_after_days: int = Field(180, alias="Obsolete After Days", ge=1,
                                     description="Stock with no sale for this many days is OBSOLETE.")
    slow_mover_months: float = Field(12, alias="Slow Mover Months", gt=0,
                                     description="Stock lasting longer than this many months is SLOW.")
    backtest_days: int = Field(180, alias="Backtest Days", ge=7, le=3660,
                               description="Days of history the backtest replays.")
    holding_cost_rate: float = Field(0.25, alias="Holding Cost Rate", ge=0, le=5,
                                     description="Yearly cost of holding stock, as a share of its value.")

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, v: str) -> str:
        v = v.strip().upper()
        if len(v) != 3 or not v.isalpha():
            raise ValueError("must be a three-letter ISO code such as GBP")
        return v

    @field_validator("date_order", mode="before")
    @classmethod
    def _date_order(cls, v: Any) -> Any:
        return day_order_choice(v)

    @field_validator("business_name")
    @classmethod
    def _strip(cls, v: str) -> str:
        return str(v).strip() or "My Shop"

    @field_validator("history_days", "new_item_days", "obsolete_after_days", "backtest_days", mode="before")
    @classmethod
    def _whole_days(cls, v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return v

    @classmethod
    def rows(cls) -> list[tuple[str, Any, str]]:
        """(Setting, default Value, Notes) for each setting, in sheet order."""
        out = []
        for name, f in cls.model_fields.items():
            default = f.default
            note = f.description or ""
            out.append((f.alias or name, default, f"{note} Default: {_show(default)}."))
        return out

    @classmethod
    def from_rows(cls, values: dict[str, Any]):
        """Settings from ``{Setting label: value}``; blanks take the default.

        Raises pydantic's ``ValidationError`` for bad values; use
        :func:`settings_from_sheet` to turn those into per-cell problems instead.
        """
        return cls.model_validate({k: v for k, v in values.items() if v not in (None, "")})

    def day_first(self) -> bool:
        """Whether text dates such as 03/09/2026 are read day first (see ``Date Order``)."""
        return day_first_for(self.date_order, self.currency)

    def plan_date(self) -> dt.date:
        return self.as_of_date or dt.date.today()

    def service_level_for_class(self, abc: str) -> float:
        return {"A": self.service_level_a, "B": self.service_level_b, "C": self.service_level_c}.get(
            abc, self.service_level)


class Settings(OrderSettingsFields, PlanningSettings):
    """Every setting on the Settings sheet: planning first, then purchase orders.

    >>> Settings().review_period_days
    7
    >>> Settings.from_rows({"Service Level": 0.9}).service_level
    0.9
    """


def _show(v: Any) -> str:
    if v is None:
        return "blank"
    if isinstance(v, float) and 0 < v < 1:
        return f"{v:g}"
    return str(v)


def day_order_choice(v: Any) -> Any:
    """``Date Order`` as typed ("day first", "DAY FIRST") as its choice; anything else as is."""
    if isinstance(v, str):
        return {c.lower(): c for c in DATE_ORDERS}.get(" ".join(v.split()).lower(), v)
    return v


def day_first_for(date_order: Any, currency: Any) -> bool:
    """Text dates day first? ``Date Order`` when set, else by currency (USD: month first).

    >>> day_first_for(None, "USD"), day_first_for(None, "GBP"), day_first_for("Day First", "USD")
    (False, True, True)
    """
    choice = day_order_choice(date_order)
    if choice in DATE_ORDERS:
        return choice == "Day First"
    return str(currency or "").strip().upper() != "USD"


# Settings an owner types as a percentage: "97%", 97 and 0.97 all mean 97%.
PERCENT_FIELDS = ("service_level", "service_level_a", "service_level_b", "service_level_c")
# A share that may be typed as "25%" (but 25 is not read as 25%: 2 could mean 200%).
SHARE_FIELDS = ("holding_cost_rate",)


def as_meant(name: str, value: Any) -> Any:
    """A setting's value the way the owner meant it, before validation.

    >>> as_meant("service_level", "97%"), as_meant("service_level", 97), as_meant("service_level", "0.97")
    (0.97, 0.97, 0.97)
    >>> as_meant("holding_cost_rate", "25 %"), as_meant("backtest_days", " 90 ")
    (0.25, '90')
    """
    if isinstance(value, str):
        value = value.strip()
    if Settings.model_fields[name].annotation is str and isinstance(value, (int, float)) \
            and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)  # Business Name 1984
    if name not in PERCENT_FIELDS + SHARE_FIELDS or isinstance(value, bool):
        return value
    number = value
    if isinstance(value, str):
        text = value.replace(" ", "")
        try:
            number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            return value
        if not text.endswith("%") and name in SHARE_FIELDS:
            return number
    if name in PERCENT_FIELDS and isinstance(number, (int, float)) and 1 < number <= 100:
        number = number / 100  # 97 typed in a cell without the % format
    return round(number, 12) if isinstance(number, float) else number


def _shown(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, (dt.date, dt.datetime)):
        v = v.strftime("%Y-%m-%d")
    text = str(v).replace("\r", "\\r").replace("\n", "\\n")  # one line in the message
    return f'"{text[:37] + "..." if len(text) > 40 else text}"'


def _limits(name: str) -> str:
    """A number field's limits in words: "between 7 and 3660", "more than 0 and at most 1"."""
    bounds = {attr: getattr(m, attr) for m in Settings.model_fields[name].metadata
              for attr in ("ge", "gt", "le", "lt") if getattr(m, attr, None) is not None}
    if "ge" in bounds and "le" in bounds:
        return f"between {bounds['ge']:g} and {bounds['le']:g}"
    words = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
    return " and ".join(f"{words[a]} {bounds[a]:g}" for a in ("ge", "gt", "le", "lt") if a in bounds)


def plain_problem(name: str, label: str, typed: Any, error: dict) -> str:
    """What is wrong with one typed setting, in the owner's words (never pydantic's).

    typed: the value as it was typed; error: the first of pydantic's ``exc.errors()``.
    """
    shown, kind = _shown(typed), error.get("type", "")
    annotation = Settings.model_fields[name].annotation
    if name in PERCENT_FIELDS:
        if kind in ("float_parsing", "float_type"):
            return f"{label} {shown} is not a percentage (e.g. 95%)"
        return f"{label} {shown} must be more than 50% and less than 100% (e.g. 95%)"
    if kind == "literal_error":
        choices = [c for a in get_args(annotation) for c in (get_args(a) or (a,)) if isinstance(c, str)]
        return f"{label} {shown} is not one of {', '.join(choices)}"
    if kind.startswith("date") or annotation in (dt.date, dt.date | None):
        return f"{label} {shown} is not a date (e.g. 15/06/2026 or 2026-06-15)"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{label} {shown} is not a whole number"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"{label} {shown} is not a number"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{label} {shown} must be {_limits(name)}"
    if kind == "value_error":  # our own validators' words (some already name the value)
        words = str(error.get("msg", "")).replace("Value error, ", "")
        return f"{label} {words}" if words.startswith('"') else f"{label} {shown} {words}"
    return f"{label} {shown} cannot be used here"


def settings_from_sheet(labelled: dict[str, tuple[Any, str]]) -> tuple[Settings, list[tuple[str, str]]]:
    """Validate settings cell by cell, each value read as the owner meant it (:func:`as_meant`).

    labelled: ``{Setting label: (value, cell address)}`` as read from the sheet.
    Returns the settings (blank cells take their default) and a list of
    ``(cell, problem)`` for every typed value that still cannot be used; the caller
    stops the run on any (a default is never used for a value the owner typed).
    """
    problems: list[tuple[str, str]] = []
    good: dict[str, Any] = {}
    fields = {f.alias: name for name, f in Settings.model_fields.items()}
    for label, (value, cell) in labelled.items():
        if label not in fields or value in (None, ""):
            continue
        meant = as_meant(fields[label], value)
        if meant in (None, ""):  # only spaces: blank
            continue
        try:
            Settings.from_rows({label: meant})
        except ValidationError as exc:
            problems.append((cell, plain_problem(fields[label], label, value, exc.errors()[0])))
            continue
        good[label] = meant
    return Settings.from_rows(good), problems
