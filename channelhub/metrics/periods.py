"""Reporting periods (docs/metrics.md section 2): pure date arithmetic.

Weeks are ISO weeks (Monday to Sunday). Quarters and years follow the fiscal
year starting in `FISCAL_YEAR_START_MONTH`; a fiscal year is named by the
calendar year in which it ends. kpis/engine/sql.py writes the same rules in SQL; the
tests hold the two together.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings

KINDS = ("day", "week", "month", "quarter", "year")
MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}


def fiscal_start_month() -> int:
    return int(settings.FISCAL_YEAR_START_MONTH)


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + (d.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def period_start(kind: str, day: date, fy_start: int | None = None) -> date:
    if kind == "day":
        return day
    if kind == "week":
        return day - timedelta(days=day.weekday())
    first = date(day.year, day.month, 1)
    if kind == "month":
        return first
    fy = fiscal_start_month() if fy_start is None else fy_start
    shift = (day.month - fy) % MONTHS_IN[kind]
    return _add_months(first, -shift)


def period_end(kind: str, start: date) -> date:
    if kind == "day":
        return start
    if kind == "week":
        return start + timedelta(days=6)
    return _add_months(start, MONTHS_IN[kind]) - timedelta(days=1)


def next_start(kind: str, start: date) -> date:
    return period_end(kind, start) + timedelta(days=1)


def previous_start(kind: str, start: date, fy_start: int | None = None) -> date:
    return period_start(kind, start - timedelta(days=1), fy_start)


def fiscal_year(start: date, fy_start: int | None = None) -> int:
    """The calendar year in which the fiscal year containing `start` ends."""
    fy = fiscal_start_month() if fy_start is None else fy_start
    return start.year if fy == 1 or start.month < fy else start.year + 1


def label(kind: str, start: date, fy_start: int | None = None) -> str:
    """Export labels: 2025-01-15, 2025-W03, 2025-01, FY2025-Q1, FY2025."""
    if kind == "day":
        return start.isoformat()
    if kind == "week":
        iso_year, iso_week, _ = start.isocalendar()
        return f"{iso_year}-W{iso_week:02d}"
    if kind == "month":
        return f"{start.year}-{start.month:02d}"
    fy = fiscal_start_month() if fy_start is None else fy_start
    year = fiscal_year(start, fy)
    if kind == "year":
        return f"FY{year}"
    quarter = ((start.month - fy) % 12) // 3 + 1
    return f"FY{year}-Q{quarter}"


def display_label(kind: str, start: date, fy_start: int | None = None) -> str:
    """Page labels, in words: 2025-01-15, week of 2025-01-13, January 2025,
    Q1 2025 (Q1 FY2026 when the fiscal year is not the calendar year), 2025."""
    if kind == "day":
        return start.isoformat()
    if kind == "week":
        return f"week of {start.isoformat()}"
    if kind == "month":
        return f"{start:%B %Y}"
    fy = fiscal_start_month() if fy_start is None else fy_start
    year = fiscal_year(start, fy)
    name = str(year) if fy == 1 else f"FY{year}"
    if kind == "year":
        return name
    quarter = ((start.month - fy) % 12) // 3 + 1
    return f"Q{quarter} {name}"


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date

    @property
    def label(self) -> str:
        return label(self.kind, self.start)


def periods_between(
    kind: str, first: date, last: date, fy_start: int | None = None
) -> Iterator[Period]:
    """Every period of `kind` overlapping [first, last], in full, in order."""
    start = period_start(kind, first, fy_start)
    while start <= last:
        end = period_end(kind, start)
        yield Period(kind, start, end)
        start = end + timedelta(days=1)


def snap_range(
    kind: str, first: date, last: date, fy_start: int | None = None
) -> tuple[date, date]:
    """[first, last] widened to whole periods of `kind`."""
    return period_start(kind, first, fy_start), period_end(kind, period_start(kind, last, fy_start))


# --- Comparison spans (docs/metrics.md section 7) ---------------------------------------


@dataclass(frozen=True)
class Span:
    """The days [start, end] read as periods of `kind`, starting on a period's
    first day: whole periods, the last one possibly cut short (`is_cut`)."""

    kind: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def last_start(self) -> date:
        return period_start(self.kind, self.end)

    @property
    def is_cut(self) -> bool:
        return self.end < period_end(self.kind, self.last_start)

    @property
    def whole(self) -> tuple[date, date] | None:
        """First and last day of the span's whole periods (None when it has none)."""
        end = self.last_start - timedelta(days=1) if self.is_cut else self.end
        return (self.start, end) if self.start <= end else None

    @property
    def cut(self) -> tuple[date, date] | None:
        """First and last day of the cut last period (None when it is whole)."""
        return (max(self.start, self.last_start), self.end) if self.is_cut else None


@dataclass(frozen=True)
class ComparisonSpans:
    """What a range is compared on: its days up to the scope's last day with
    facts, the same days of the span just before, and the same dates a year earlier."""

    current: Span
    before: Span
    last_year: Span
    # Days of the current span's last period so far, and the period's length
    # (a partial period: 2 of 31 days).
    last_period_days: int
    last_period_length: int

    @property
    def is_partial(self) -> bool:
        return self.last_period_days < self.last_period_length


def year_earlier(kind: str, day: date) -> date:
    """The same date a year earlier (29 February: the 28th); for weeks, the
    same ISO week number and weekday (week 53: week 52)."""
    if kind == "week":
        year, week, weekday = day.isocalendar()
        try:
            return date.fromisocalendar(year - 1, week, weekday)
        except ValueError:
            return date.fromisocalendar(year - 1, 52, weekday)
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def comparison_spans(kind: str, start: date, end: date, last_day: date | None) -> ComparisonSpans:
    """The spans a range of whole periods [start, end] is compared on, when the
    scope's facts end on `last_day` (docs/metrics.md section 7).

    A range ending after `last_day` is compared on its days up to `last_day`;
    the span before holds as many periods, its period at the same place cut to
    the same number of days (12 months ending with 2 days of December: the 12
    months before, ending on 2 December).
    """
    starts = [p.start for p in periods_between(kind, start, end)]
    current_end = end if last_day is None or not start <= last_day < end else last_day
    index = max(i for i, s in enumerate(starts) if s <= current_end)
    offset = (current_end - starts[index]).days
    before_start = start
    for _ in range(len(starts)):
        before_start = previous_start(kind, before_start)
    cut_start = before_start
    for _ in range(index):
        cut_start = next_start(kind, cut_start)
    before_end = period_end(kind, cut_start)
    if current_end < period_end(kind, starts[index]):  # a whole period stays whole
        before_end = min(cut_start + timedelta(days=offset), before_end)
    return ComparisonSpans(
        current=Span(kind, start, current_end),
        before=Span(kind, before_start, before_end),
        last_year=Span(kind, year_earlier(kind, start), year_earlier(kind, current_end)),
        last_period_days=offset + 1,
        last_period_length=(period_end(kind, starts[index]) - starts[index]).days + 1,
    )
