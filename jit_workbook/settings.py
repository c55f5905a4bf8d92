"""The Settings sheet as a validated pydantic model.

Each field's ``alias`` is the text in the Settings sheet's ``Setting`` column and its
``description`` the note the template shows beside it: the template builder, the
reader and README all come from this one model.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .contract import FORECAST_METHODS, SAFETY_STOCK_METHODS, SERVICE_MEASURES
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


def settings_from_sheet(labelled: dict[str, tuple[Any, str]]) -> tuple[Settings, list[tuple[str, str]]]:
    """Validate settings cell by cell; a bad value falls back to its default.

    labelled: ``{Setting label: (value, cell address)}`` as read from the sheet.
    Returns the settings and a list of ``(cell, problem)`` for the values that were
    rejected, so one typo never stops the whole run.
    """
    problems: list[tuple[str, str]] = []
    good: dict[str, Any] = {}
    fields = {f.alias: name for name, f in Settings.model_fields.items()}
    for label, (value, cell) in labelled.items():
        if label not in fields or value in (None, ""):
            continue
        try:
            Settings.from_rows({label: value})
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"].replace("Value error, ", "")
            default = Settings.model_fields[fields[label]].default
            problems.append((cell, f"{label} {value!r}: {reason}; using the default {_show(default)}"))
            continue
        good[label] = value
    return Settings.from_rows(good), problems
