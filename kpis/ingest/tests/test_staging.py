"""Staging (kpis.ingest.staging): the rows a batch hands to the database come
back exactly as checked, whichever way they are written (PostgreSQL: binary
COPY, one block or two by inventory; SQLite: batched inserts), and the packed
keys that order a first load and find repeated keys sort as the key does."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pytest
from django.db import connection

from kpis.ingest.checks import STAGE_COLUMNS
from kpis.ingest.staging import (
    STAGE,
    Stage,
    drop_orphaned_stages,
    packed_keys,
    stage_table,
    table_to_pg_binary,
)
from kpis.models import ImportRun

pytestmark = pytest.mark.django_db

DAYS = [date(2000, 1, 1), date(2025, 3, 1), date(1999, 12, 31), date(2099, 12, 31)]


def staged_table(inventory: list[int | None]) -> pa.Table:
    n = len(inventory)
    columns: dict[str, pa.Array] = {
        "line_no": pa.array(range(2, n + 2), pa.int64()),
        "channel_id": pa.array([7, 3, 3, 12][:n], pa.int64()),
        "day": pa.array(DAYS[:n], pa.date32()),
        "partner_key": pa.array([0, 5, 0, 2][:n], pa.int64()),
    }
    for i, name in enumerate(STAGE_COLUMNS[4:-1]):
        columns[name] = pa.array([(i + 1) * 10**k for k in range(9, 9 + n)], pa.int64())
    columns["inventory_value"] = pa.array(inventory, pa.int64())
    return pa.table(columns)


def staged_rows(table: str = STAGE) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(STAGE_COLUMNS)} FROM {table} ORDER BY line_no")
        return [
            tuple(date.fromisoformat(v) if isinstance(v, str) else v for v in row)
            for row in cursor.fetchall()
        ]


@pytest.mark.parametrize(
    "inventory",
    [[1, 0, 999_999_999_999, 42], [None, None, None, None], [None, 250, None, 0], [None], [7]],
    ids=["all-reported", "none-reported", "mixed", "one-without", "one-with"],
)
def test_staged_rows_come_back_as_written(inventory):
    table = staged_table(inventory)
    stage = Stage()
    try:
        stage.create()
        stage.write(table)
        stage.flush()
        expected = [tuple(row[c] for c in STAGE_COLUMNS) for row in table.to_pylist()]
        assert staged_rows() == expected
    finally:
        stage.drop()


def table_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            return bool(cursor.fetchone()[0])
        cursor.execute("SELECT 1 FROM sqlite_temp_master WHERE name = %s", [name])
        return cursor.fetchone() is not None


def test_an_import_stages_in_a_table_of_its_own_that_is_dropped_after():
    run = ImportRun.objects.create(status=ImportRun.Status.RUNNING)
    stage = Stage(run.pk)
    name = stage_table(run.pk)
    # PostgreSQL: unlogged and named by the import (read by parallel workers,
    # which never read a temporary table); SQLite: its temporary table.
    assert name == (f"kpis_import_stage_{run.pk}" if connection.vendor == "postgresql" else STAGE)
    table = staged_table([1, None, 3, 0])
    try:
        stage.create()
        stage.write(table)
        stage.flush()
        assert staged_rows(name) == [
            tuple(row[c] for c in STAGE_COLUMNS) for row in table.to_pylist()
        ]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", [name])
                assert cursor.fetchone() == ("u",)
    finally:
        stage.drop()
    assert not table_exists(name)


def test_the_sweeper_drops_stages_left_by_killed_imports_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's stage is temporary: it goes with its connection")
    live = ImportRun.objects.create(status=ImportRun.Status.RUNNING)
    dead = ImportRun.objects.create(status=ImportRun.Status.FAILED)
    gone_id = dead.pk + 1000  # its run row deleted since
    stages = [Stage(live.pk), Stage(dead.pk), Stage(gone_id)]
    for stage in stages:
        stage.create()
    try:
        dropped = drop_orphaned_stages()
        assert {stage_table(dead.pk), stage_table(gone_id)} <= set(dropped)
        assert stage_table(live.pk) not in dropped
        assert [table_exists(s.table) for s in stages] == [True, False, False]
        assert stage_table(live.pk) not in drop_orphaned_stages()
    finally:
        for stage in stages:
            stage.drop()


def test_binary_rows_are_fixed_size_records_with_null_inventory_shorter():
    header, trailer = 19, 2  # PGCOPY signature, flags, extension length; the -1 field count
    fields = len(STAGE_COLUMNS)
    with_value = 2 + fields * 4 + (fields - 1) * 8 + 4  # the day is 4 bytes, the rest 8
    data = table_to_pg_binary(staged_table([None, 250, None, 0]))
    assert len(data) == header + 2 * with_value + 2 * (with_value - 8) + trailer
    assert data.startswith(b"PGCOPY\n\xff\r\n\x00") and data.endswith(b"\xff\xff")


def test_packed_keys_sort_as_channel_day_partner():
    table = pa.table(
        {
            "channel_id": pa.array([2, 1, 2, 1, -3], pa.int64()),
            "day": pa.array(
                [date(2025, 1, d) for d in (2, 3, 1, 3)] + [date(2030, 1, 1)], pa.date32()
            ),
            "partner_key": pa.array([0, 9, 4, 1, 0], pa.int64()),
        }
    )
    keys = packed_keys(table)
    assert keys is not None
    rows = list(
        zip(
            *(table.column(c).to_pylist() for c in ("channel_id", "day", "partner_key")),
            strict=True,
        )
    )
    assert [rows[i] for i in np.argsort(keys, kind="stable")] == sorted(rows)


@pytest.mark.parametrize(
    ("channel", "day", "partner"),
    [(1 << 22, date(2025, 1, 1), 0), (1, date(1999, 12, 31), 0), (1, date(2025, 1, 1), 1 << 26)],
    ids=["channel-id", "day-before-2000", "partner-id"],
)
def test_a_key_that_does_not_fit_is_not_packed(channel, day, partner):
    table = pa.table(
        {
            "channel_id": pa.array([1, channel], pa.int64()),
            "day": pa.array([date(2025, 1, 1), day], pa.date32()),
            "partner_key": pa.array([0, partner], pa.int64()),
        }
    )
    assert packed_keys(table) is None
