"""The SQL period rules of the KPI engine (kpis.engine.sql) agree with channelhub.metrics.periods."""

from datetime import date, timedelta

import pytest
from django.db import connection

from channelhub.metrics import periods
from kpis.engine import sql


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


@pytest.mark.django_db
def test_the_integer_sum_is_exact_null_for_no_values_and_refuses_to_overflow():
    values = "SELECT 1 AS g, 9007199254740993 AS v UNION ALL SELECT 1, 7 UNION ALL SELECT 2, NULL"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT g, {sql.sum_int('v')} FROM ({values}) t GROUP BY g ORDER BY g", [])
        assert cursor.fetchall() == [(1, 9007199254741000), (2, None)]
    if connection.vendor != "postgresql":
        return  # SQLite's own SUM raises "integer overflow"; a savepoint is not needed there
    big = "SELECT 9223372036854775807 AS v UNION ALL SELECT 1"
    with pytest.raises(Exception, match="out of range"), connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql.sum_int('v')} FROM ({big}) t", [])


@pytest.mark.django_db
def test_statements_run_together_in_order_with_their_parameters():
    with connection.cursor() as cursor:
        sql.run_all(
            cursor,
            [
                ("CREATE TEMP TABLE run_all_t (n integer, s text)", []),
                ("INSERT INTO run_all_t VALUES (%s, '10%%'), (%s, 'x')", [1, 2]),
                ("INSERT INTO run_all_t SELECT n + %s, s FROM run_all_t", [10]),
            ],
        )
        assert cursor.rowcount == 2  # the last statement's
        sql.run_all(
            cursor,
            [
                ("DELETE FROM run_all_t WHERE n = %s", [2]),
                ("SELECT n, s FROM run_all_t ORDER BY n", []),
            ],
        )
        assert cursor.fetchall() == [(1, "10%"), (11, "10%"), (12, "x")]
        cursor.execute("DROP TABLE run_all_t")


@pytest.mark.django_db
def test_the_write_order_is_the_primary_key_order_at_the_edges_of_its_range():
    """The recompute writes its rows sorted by one packed key (channel, kind,
    start) and the partner: the same order as the primary key, for starts from
    a fiscal year before the facts' first day to the last stored day, every
    kind, partners above the NO_PARTNER key and channel ids far apart."""
    from kpis.engine.recompute import ALL_KINDS, Scope, _key_order

    starts = [date(1999, 1, 1), date(1999, 12, 27), date(2000, 1, 1), date(2024, 2, 29)]
    starts.append(date(2100, 12, 31))
    keys = [
        (channel, kind, start, partner)
        for channel in (1, 2, 70_000_000_000)
        for kind in ALL_KINDS
        for start in starts
        for partner in (0, 3, 2**40)
    ]
    date_literal = "DATE " if connection.vendor == "postgresql" else ""
    values = " UNION ALL ".join(
        f"SELECT {c} AS channel_id, '{k}' AS period_kind, "
        f"{date_literal}'{s.isoformat()}' AS period_start, {p} AS partner_key"
        for c, k, s, p in reversed(keys)
    )
    scope = Scope(tuple({k[0] for k in keys}), True, None, None, ALL_KINDS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.channel_id, r.period_kind, r.period_start, r.partner_key "
            f"FROM ({values}) r ORDER BY {_key_order(scope)}",
            [],
        )
        rows = [
            (c, k, s if isinstance(s, date) else date.fromisoformat(s), p)
            for c, k, s, p in cursor.fetchall()
        ]
    assert rows == sorted(keys)
    # Beyond the packed range, the plain four columns.
    assert _key_order(Scope((1 << 41,), True, None, None, ALL_KINDS)).count(",") == 3
