"""Period rules (METRICS.md s2) in Python, and the SQL that mirrors them."""

from datetime import date, timedelta

import pytest
from django.db import connection

from kpis import periods, sql


def test_iso_weeks_cross_the_year_boundary():
    start = periods.period_start("week", date(2025, 1, 1))
    assert start == date(2024, 12, 30)
    assert periods.period_end("week", start) == date(2025, 1, 5)
    assert periods.label("week", start) == "2025-W01"
    assert periods.label("week", date(2020, 12, 28)) == "2020-W53"


def test_calendar_quarters_and_years_by_default():
    assert periods.period_start("quarter", date(2025, 5, 17), 1) == date(2025, 4, 1)
    assert periods.period_end("quarter", date(2025, 4, 1)) == date(2025, 6, 30)
    assert periods.label("quarter", date(2025, 4, 1), 1) == "FY2025-Q2"
    assert periods.label("year", date(2025, 1, 1), 1) == "FY2025"
    assert periods.label("month", date(2025, 1, 1)) == "2025-01"
    assert periods.label("day", date(2025, 1, 15)) == "2025-01-15"


def test_a_fiscal_year_starting_in_april_is_named_by_the_year_it_ends():
    assert periods.period_start("year", date(2025, 3, 31), 4) == date(2024, 4, 1)
    assert periods.period_start("year", date(2025, 4, 1), 4) == date(2025, 4, 1)
    assert periods.label("year", date(2025, 4, 1), 4) == "FY2026"
    assert periods.period_start("quarter", date(2026, 2, 10), 4) == date(2026, 1, 1)
    assert periods.label("quarter", date(2026, 1, 1), 4) == "FY2026-Q4"
    assert periods.label("quarter", date(2025, 4, 1), 4) == "FY2026-Q1"


def test_periods_between_covers_every_overlapping_period_in_full():
    found = list(periods.periods_between("month", date(2025, 1, 20), date(2025, 3, 2)))
    assert [(p.start, p.end) for p in found] == [
        (date(2025, 1, 1), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 28)),
        (date(2025, 3, 1), date(2025, 3, 31)),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("fy", [1, 4, 7, 10])
@pytest.mark.parametrize("kind", ["week", "month", "quarter", "year"])
def test_the_sql_period_rules_agree_with_python(kind, fy):
    days = [date(2023, 12, 25) + timedelta(days=n * 11) for n in range(80)]
    expr = sql.period_start_sql(kind, "d", fy)
    values = " UNION ALL ".join(
        f"SELECT {'DATE ' if connection.vendor == 'postgresql' else ''}'{d.isoformat()}' AS d"
        for d in days
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d, {expr}, {sql.period_end_sql(kind, expr)} FROM ({values}) t ORDER BY d", []
        )
        rows = cursor.fetchall()
    for day, start, end in rows:
        day = day if isinstance(day, date) else date.fromisoformat(day)
        start = start if isinstance(start, date) else date.fromisoformat(start)
        end = end if isinstance(end, date) else date.fromisoformat(end)
        expected = periods.period_start(kind, day, fy)
        assert (start, end) == (expected, periods.period_end(kind, expected)), day
