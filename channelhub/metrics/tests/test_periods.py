"""Period rules (docs/metrics.md s2) in Python (kpis/tests/test_sql.py holds the SQL to them)."""

from datetime import date

from channelhub.metrics import periods


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
