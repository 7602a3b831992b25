"""The few SQL fragments that differ between PostgreSQL and SQLite.

Fragments come with `%` already escaped as `%%`: run every statement that
uses them with a parameter list (an empty one will do).

Everything else the KPI engine runs is the same text on both databases; this
module is the one place where a dialect is chosen, so a reader can see every
difference at once. Period rules mirror channelhub/metrics/periods.py (tested together).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection


def vendor() -> str:
    return connection.vendor


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def period_start_sql(kind: str, col: str, fy_start: int) -> str:
    """SQL for the first day of the period of `kind` containing the date `col`."""
    shift = fy_start - 1
    if is_postgres():
        if kind == "day":
            return col
        if kind == "week":
            # Integer arithmetic (no timestamp cast): 1999-12-27 was a Monday.
            return f"({col} - {weekday_sql(col)})"
        # Cast to timestamp (not timestamptz) so the session time zone plays no part.
        if kind in ("week", "month") or shift == 0:
            return f"date_trunc('{kind}', {col}::timestamp)::date"
        return (
            f"(date_trunc('{kind}', {col}::timestamp - interval '{shift} months')"
            f" + interval '{shift} months')::date"
        )
    if kind == "day":
        return f"date({col})"
    if kind == "week":
        # strftime('%w') is 0 for Sunday; ISO weeks start on Monday.
        return (
            f"date({col}, '-' || ((CAST(strftime('%%w', {col}) AS INTEGER) + 6) %% 7) || ' days')"
        )
    if kind == "month":
        return f"date({col}, 'start of month')"
    months = 3 if kind == "quarter" else 12
    return (
        f"date({col}, 'start of month', '-' || "
        f"((CAST(strftime('%%m', {col}) AS INTEGER) - {fy_start} + 12) %% {months}) || ' months')"
    )


def weekday_sql(col: str) -> str:
    """ISO weekday of the date `col` minus one (Monday 0 ... Sunday 6)."""
    if is_postgres():
        return f"(({col} - DATE '1999-12-27') %% 7)"
    return f"((CAST(strftime('%%w', {col}) AS INTEGER) + 6) %% 7)"


def period_end_sql(kind: str, start_col: str) -> str:
    """SQL for the last day of the period of `kind` starting on `start_col`."""
    if is_postgres():
        if kind == "day":
            return start_col
        if kind == "week":
            return f"({start_col} + 6)"
        months = {"month": 1, "quarter": 3, "year": 12}[kind]
        return f"({start_col} + interval '{months} months' - interval '1 day')::date"
    if kind == "day":
        return start_col
    if kind == "week":
        return f"date({start_col}, '+6 days')"
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    return f"date({start_col}, '+{months} months', '-1 day')"


# PostgreSQL's SUM(bigint) adds into a 128-bit state allocated per group and
# returns numeric; kpis_sum (migration kpis 0021) adds bigints in place with
# the overflow-checked int8pl, returns bigint, and runs in parallel workers.
# The scan of the facts groups ~1M rows into ~170k groups of a dozen sums:
# about a fifth of its time was those states.
SUM_AGGREGATE = "kpis_sum"


def sum_int(expr: str) -> str:
    """Aggregate: the exact sum of an integer expression, as a bigint (NULL
    when every value is NULL, like SUM; an overflow is an error, never a wrap)."""
    if is_postgres():
        return f"{SUM_AGGREGATE}({expr})"
    return f"CAST(SUM({expr}) AS BIGINT)"


def least(a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if is_postgres() else f"MIN({a}, {b})"


def distinct(a: str, b: str) -> str:
    """Null-safe "differs" test."""
    return f"{a} IS DISTINCT FROM {b}" if is_postgres() else f"{a} IS NOT {b}"


def upsert_select_suffix() -> str:
    """SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT (parser ambiguity)."""
    return "" if is_postgres() else " WHERE true"


def placeholders(values: list[int]) -> str:
    return ", ".join(str(int(v)) for v in values)


def run_all(cursor: Any, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """Run (statement, parameters) pairs in order, each written for a parameter
    list (`%` as `%%`). PostgreSQL takes them in one round trip (the cursor's
    rowcount and rows are then the last statement's); SQLite runs one
    statement per call. A job of a few dozen statements otherwise spends more
    time waiting for the database's replies than the database spends on it
    when the machine is busy."""
    if is_postgres():
        cursor.execute(
            "; ".join(statement for statement, _ in statements),
            [value for _, params in statements for value in params],
        )
        return
    for statement, params in statements:
        cursor.execute(statement, list(params))


def set_local(settings: dict[str, str]) -> list[tuple[str, list[Any]]]:
    """Statements setting PostgreSQL planner or resource settings until the
    transaction ends or `reset_local` (values are SQL literals); none on
    SQLite, which has no such settings."""
    if not is_postgres():
        return []
    return [(f"SET LOCAL {name} = {value}", []) for name, value in settings.items()]


def reset_local(names: Sequence[str]) -> list[tuple[str, list[Any]]]:
    """Statements putting settings back to the server's defaults."""
    if not is_postgres():
        return []
    return [(f"SET LOCAL {name} TO DEFAULT", []) for name in names]


def with_settings(
    settings: dict[str, str], statements: Sequence[tuple[str, Sequence[Any]]]
) -> list[tuple[str, Sequence[Any]]]:
    """`statements` run with `settings`, which end with them (for run_all; the
    cursor's rowcount is then a reset's, not the statements')."""
    return [*set_local(settings), *statements, *reset_local(list(settings))]


def set_indexes_aside(cursor: Any, table: str) -> list[tuple[str, Sequence[Any]]]:
    """Drop the indexes of `table` while it is empty, to load it bare and build
    them after, as pg_restore does: one sorted build of an index costs a
    fraction of maintaining it row by row. Returns the statements that build
    them again, with the same names and definitions (the migrations' state
    stays true), for the same transaction; [] when the indexes stay.

    PostgreSQL only, in a transaction. Dropping takes the table's exclusive
    lock until commit: its readers wait for the load (the table is empty,
    there is nothing for them to show before). The lock is only taken when
    granted within 2 s (a running reader keeps the indexes in place), and
    never when a constraint depends on the table's keys.
    """
    from django.db import OperationalError, transaction

    if not is_postgres():
        return []
    cursor.execute(
        f"SELECT NOT EXISTS (SELECT 1 FROM {table}) AND NOT EXISTS (SELECT 1 FROM pg_constraint "
        f"WHERE (conrelid = '{table}'::regclass AND contype IN ('u', 'x', 'f')) "
        f"OR confrelid = '{table}'::regclass)"
    )
    if not cursor.fetchone()[0]:
        return []
    try:
        with transaction.atomic():  # a savepoint: a lock not granted leaves all as it was
            run_all(
                cursor,
                with_settings(
                    {"lock_timeout": "'2s'"},
                    [(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE", [])],
                ),
            )
    except OperationalError:
        return []
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE conrelid = '{table}'::regclass AND contype = 'p'"
    )
    primary = cursor.fetchone()
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        f"WHERE i.indrelid = '{table}'::regclass AND NOT i.indisprimary ORDER BY 1"
    )
    others = cursor.fetchall()
    drops: list[tuple[str, list[Any]]] = [(f'DROP INDEX "{name}"', []) for name, _ in others]
    rebuild: list[tuple[str, list[Any]]] = [
        (definition.replace("%", "%%"), []) for _, definition in others
    ]
    if primary is not None:
        name, definition = primary
        drops.append((f'ALTER TABLE {table} DROP CONSTRAINT "{name}"', []))
        rebuild.insert(0, (f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}', []))
    if not drops:
        return []
    run_all(cursor, drops)
    # Built with room to sort in memory (and by parallel workers).
    return with_settings({"maintenance_work_mem": "'512MB'"}, rebuild)


def table_rows_estimate(table: str) -> str:
    """SQL for the number of rows of `table` as the planner knows it (0 when it
    does not, and always on SQLite, which plans without it)."""
    if is_postgres():
        return f"(SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = '{table}'::regclass)"
    return "0"


def analyze(*tables: str) -> None:
    """Refresh planner statistics of tables filled a moment ago (autovacuum
    never analyzes temporary tables, and is too late for fresh ones)."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


# --- Inventory days through one scan ---------------------------------------------------
# A channel's day counts once in its average inventory, however many of its rows
# (its own and its partners') reported stock that day. The one scan of the facts
# keeps, per channel, partner, ISO week and month, a 7-bit mask of the weekdays
# that reported stock; OR-ing the masks of one channel's rows of a week and
# counting the bits gives its days with stock without a second scan or a
# COUNT(DISTINCT ...).


def weekday_bit(day_col: str) -> str:
    """1 << (ISO weekday - 1) of the date `day_col` (Monday = 1, Sunday = 64)."""
    return f"(1 << {weekday_sql(day_col)})"


def month_day_bit(day_col: str) -> str:
    """1 << (day of the month - 1) of the date `day_col` (a 31-bit mask)."""
    if is_postgres():
        return f"(1 << ({day_col} - date_trunc('month', {day_col}::timestamp)::date))"
    return f"(1 << (CAST(strftime('%%d', {day_col}) AS INTEGER) - 1))"


def bit_or(expr: str, width: int = 7) -> str:
    """Aggregate: the bitwise OR of a `width`-bit mask over the group."""
    if is_postgres():
        return f"BIT_OR({expr})"
    return "(" + " + ".join(f"MAX(({expr}) & {1 << i})" for i in range(width)) + ")"


def bits_set(expr: str, width: int = 7) -> str:
    """How many of the `width` low bits of `expr` are set (a scalar expression)."""
    if is_postgres():
        return f"bit_count(({expr})::bit({width}))"
    return "(" + " + ".join(f"((({expr}) >> {i}) & 1)" for i in range(width)) + ")"


def bits_set_of_or(expr: str, width: int = 7) -> str:
    """Aggregate: how many of the `width` bits are set in the OR of `expr` over the group."""
    if is_postgres():
        return f"bit_count(BIT_OR({expr})::bit({width}))"
    return "(" + " + ".join(f"MAX((({expr}) >> {i}) & 1)" for i in range(width)) + ")"
