"""The dates ChannelHub accepts: one window for facts, a wider one for business dates.

A fact dated 9999-12-31 once stopped every full recompute (period ends past
year 9999 do not exist), and an MDF claim of that date answered 500 when
approved. Every way in (imports, the API, forms, recompute scopes) asks this
module, with the windows of `settings.DATE_WINDOWS`:

- `facts`: daily facts and recompute scopes (2000-01-01 to today + 2 years
  by default);
- `business`: contract ends, deal dates, claims, reviews, interactions
  (1990-01-01 to today + 50 years by default).

The facts table holds a database check with fixed bounds (`FACTS_STORED_FIRST`
to `FACTS_STORED_END`, exclusive): a check cannot read today's date, and the
recompute only reads rows inside those bounds, whatever got in behind the
application's back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

WindowName = Literal["facts", "business"]

# The database check on kpis_dailyfact.day: FACTS_STORED_FIRST <= day < FACTS_STORED_END.
FACTS_STORED_FIRST = date(2000, 1, 1)
FACTS_STORED_END = date(2100, 1, 1)


@dataclass(frozen=True)
class DateWindow:
    name: str
    first: date
    last: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    @property
    def message(self) -> str:
        return f"must be between {self.first.isoformat()} and {self.last.isoformat()}"

    def problem(self, day: date | None) -> str | None:
        """None when `day` is empty or inside the window, else what is wrong."""
        if day is None or day in self:
            return None
        return f"{day.isoformat()} is out of range: dates {self.message}"


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def date_window(name: WindowName, *, today: date | None = None) -> DateWindow:
    config: dict[str, Any] = settings.DATE_WINDOWS[name]
    first = date.fromisoformat(str(config["first"]))
    last = _years_later(today or timezone.localdate(), int(config["years_ahead"]))
    if name == "facts":
        first = max(first, FACTS_STORED_FIRST)
        last = min(last, date(FACTS_STORED_END.year - 1, 12, 31))
    return DateWindow(name, first, last)


def validate_fact_date(day: date | None) -> None:
    problem = date_window("facts").problem(day)
    if problem:
        raise ValidationError(problem, code="date_out_of_range")


def validate_business_date(day: date | None) -> None:
    problem = date_window("business").problem(day)
    if problem:
        raise ValidationError(problem, code="date_out_of_range")


def window_errors(name: WindowName, **days: date | None) -> dict[str, list[str]]:
    """{field: [what is wrong]} for each of `days` outside window `name` (a query's
    or a request's dates), empty when all are inside or empty."""
    window = date_window(name)
    return {field: [problem] for field, day in days.items() if (problem := window.problem(day))}
