"""Stages 3 and 4 of the import (kpis.ingest.pipeline): stage the checked rows
in a session-private table, then merge them into the daily facts.

PostgreSQL receives the rows by binary COPY on a background thread while the
next batch is checked; SQLite by batched inserts. The merge backs up the values
it replaces (for undo) and writes only rows whose values differ, so importing
the same file twice changes nothing.
"""

from __future__ import annotations

import contextlib
import io
import logging
import queue
import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection

from kpis.engine import sql
from kpis.models import VALUE_COLUMNS, ImportRun

from .checks import MAX_DETAILED_BAD_ROWS, STAGE_COLUMNS

log = logging.getLogger(__name__)

STAGE = "kpis_import_stage"  # SQLite's (temporary); PostgreSQL's carry the import's id
CHANGES = "kpis_import_changes"  # the staged rows that are new or differ from the facts
FACT_COLUMNS = ("channel_id", "day", "partner_key", *VALUE_COLUMNS)


_PG_EPOCH_DAYS = 10_957  # PostgreSQL counts dates from 2000-01-01, Arrow from 1970-01-01
_PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")


def table_to_pg_binary(table: pa.Table) -> bytes:
    """Rows (of integer and date columns) in PostgreSQL's binary COPY format.

    PostgreSQL parses binary rows much faster than CSV text, and every staging
    column is a fixed-width integer or date, so each row is a fixed-size record;
    rows with and without an inventory value (NULL) are written as two blocks
    (the staging table's row order does not matter: it keeps line numbers; a
    first load's batch keeps its key order within each block). Each column is
    turned into numbers once; a batch whose rows all have (or all lack) an
    inventory value is one block with no filtering.
    """
    names = table.column_names
    n_fields = len(names)
    values: dict[str, np.ndarray] = {}
    for name in names:
        column = table.column(name)
        if name == "day":
            days = pc.cast(column, pa.int32()).to_numpy()  # days since 1970-01-01
            values[name] = days - _PG_EPOCH_DAYS
        elif name != "inventory_value":
            values[name] = column.to_numpy()
    inventory = table.column("inventory_value")
    parts: list[tuple[np.ndarray | None, bool]]  # (rows, with an inventory value)
    if inventory.null_count == 0:
        parts = [(None, True)]
    elif inventory.null_count == len(inventory):
        parts = [(None, False)]
    else:
        reported = np.asarray(pc.is_valid(inventory).to_numpy(zero_copy_only=False), dtype=bool)
        parts = [(reported, True), (~reported, False)]
    blocks: list[Any] = [_PG_HEADER]
    for select, with_inventory in parts:
        count = table.num_rows if select is None else int(select.sum())
        if not count:
            continue
        fields: list[tuple[str, str]] = [("count", ">i2")]
        for name in names:
            if name == "inventory_value" and not with_inventory:
                fields.append((f"{name}_len", ">i4"))
                continue
            fields += [(f"{name}_len", ">i4"), (name, ">i4" if name == "day" else ">i8")]
        dtype = np.dtype(fields)
        # Every record starts as a copy of one holding the field count and the
        # fields' lengths (one pass over memory, where setting each of them
        # field by field cost as much as the values: 0.25 s against 0.15 s
        # per million rows); then only the values are written.
        template = np.zeros(1, dtype=dtype)
        template["count"] = n_fields
        for name in names:
            template[f"{name}_len"] = (
                -1 if name == "inventory_value" and not with_inventory
                else 4 if name == "day" else 8
            )  # fmt: skip
        records = np.empty(count, dtype=dtype)
        records.view(np.uint8).reshape(count, dtype.itemsize)[:] = template.view(np.uint8)
        for name in names:
            if name == "inventory_value":
                if not with_inventory:
                    continue
                column = inventory.filter(pa.array(select)) if select is not None else inventory
                data = column.to_numpy(zero_copy_only=False)
            else:
                data = values[name] if select is None else values[name][select]
            records[name] = data
        blocks.append(records.view(np.uint8))  # joined below without another copy
    blocks.append((-1).to_bytes(2, "big", signed=True))
    return b"".join(blocks)


class CopyPipe:
    """COPY batches on a background thread while the next batch is parsed.

    PostgreSQL inserts one batch while Python reads and validates the next, so
    the import takes about as long as the slower of the two instead of their
    sum. The thread uses this thread's database connection, which the main
    thread leaves alone until `close()` (progress goes to the cache); at most
    two batches are in memory at once.
    """

    def __init__(self, copy_sql: str) -> None:
        connection.ensure_connection()
        self._raw = connection.connection
        self._sql = copy_sql
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="import-copy", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        cursor = self._raw.cursor()
        while (data := self._queue.get()) is not None:
            if self._error is None:
                try:
                    # Read in large pieces: fewer calls that take the GIL from the
                    # thread checking the next batch (psycopg2 reads 8 KB by default).
                    cursor.copy_expert(self._sql, io.BytesIO(data), size=1 << 20)
                except BaseException as exc:
                    self._error = exc

    def put(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(data)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


@dataclass(frozen=True)
class ChangedScope:
    """What a merge changed: the channels and the days to recompute."""

    channel_ids: list[int]
    first_day: date | None
    last_day: date | None


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])  # SQLite returns text


# Packing (channel, day, partner) into one unsigned 64-bit number lets the
# duplicate check sort numbers in memory instead of grouping the staging table.
_DAY_ZERO = np.datetime64("2000-01-01", "D")
_CHANNEL_OFFSET = 1 << 20  # provisional channel ids (--create-channels) are negative


def packed_keys(table: pa.Table) -> np.ndarray | None:
    """Each row's (channel, day, partner) as one unsigned 64-bit number, in the
    key's order; None when a key does not fit (the callers then sort or group
    in Arrow or SQL instead)."""
    channel = np.asarray(table.column("channel_id").to_numpy(), dtype=np.int64)
    partner = np.asarray(table.column("partner_key").to_numpy(), dtype=np.int64)
    days = table.column("day").to_numpy().astype("datetime64[D]")
    offset = (days - _DAY_ZERO).astype(np.int64)
    channel = channel + _CHANNEL_OFFSET
    if not len(channel):
        return np.zeros(0, dtype=np.uint64)
    if (
        channel.min() < 0 or channel.max() >= 1 << 22
        or offset.min() < 0 or offset.max() >= 1 << 16
        or partner.min() < 0 or partner.max() >= 1 << 26
    ):  # fmt: skip
        return None
    return (
        (channel.astype(np.uint64) << np.uint64(42))
        | (offset.astype(np.uint64) << np.uint64(26))
        | partner.astype(np.uint64)
    )


def stage_table(run_id: int | None) -> str:
    """The staging table of import `run_id`.

    On PostgreSQL an unlogged table of the import's own (never WAL-logged;
    emptied by a crash, which the import's re-run stages again) rather than a
    temporary one: PostgreSQL never reads a temporary table in parallel, and
    comparing a file imported again with the facts is a join of two tables
    of the file's size, which two workers do in about 60% of the time of
    one. Left behind only by a killed worker: `drop_orphaned_stages`.
    """
    if run_id is None or not sql.is_postgres():
        return STAGE
    return f"{STAGE}_{int(run_id)}"


def drop_orphaned_stages() -> list[str]:
    """Drop the staging tables of imports that are no longer running (a killed
    worker left them). Returns the tables dropped.

    The tables are listed before the imports' statuses are read: a stage is
    created after its import is claimed, so a table listed here belongs to an
    import that is running, or that has finished and no longer needs it (a
    lost import sent again makes its stage anew).
    """
    if not sql.is_postgres():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename LIKE %s",
            [STAGE.replace("_", r"\_") + r"\_%"],
        )
        tables = {
            int(suffix): name
            for (name,) in cursor.fetchall()
            if (suffix := name.rsplit("_", 1)[-1]).isdigit()
        }
        running = set(
            ImportRun.objects.filter(pk__in=tables, status=ImportRun.Status.RUNNING).values_list(
                "pk", flat=True
            )
        )
        orphans = [name for run_id, name in sorted(tables.items()) if run_id not in running]
        for name in orphans:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
    return orphans


class Stage:
    """The staging table of one import (`stage_table`)."""

    def __init__(self, run_id: int | None = None) -> None:
        self.method = "copy" if sql.is_postgres() else "batched-insert"
        self.table = stage_table(run_id)
        self.created = False
        self.pipe: CopyPipe | None = None
        self.changed = ChangedScope([], None, None)
        # The staged keys, packed (None once a key does not fit: SQL checks then).
        self._keys: list[np.ndarray] | None = []

    def flush(self) -> None:
        """Wait until every batch is in the staging table."""
        if self.pipe is not None:
            pipe, self.pipe = self.pipe, None
            pipe.close()

    def create(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
            kind = "UNLOGGED" if self.table != STAGE else "TEMP"
            cursor.execute(
                f"CREATE {kind} TABLE {self.table} (line_no bigint, channel_id bigint, day date, "
                "partner_key bigint, spend bigint, revenue bigint, cogs bigint, orders bigint, "
                "units bigint, leads bigint, new_customers bigint, impressions bigint, "
                "clicks bigint, inventory_value bigint)"
                # Written once and read whole: no autovacuum while it lives.
                + (" WITH (autovacuum_enabled = false)" if kind == "UNLOGGED" else "")
            )
        self.created = True

    def _remember_keys(self, table: Any) -> None:
        if self._keys is None or not table.num_rows:
            return
        packed = packed_keys(table)
        if packed is None:
            self._keys = None
            return
        self._keys.append(packed)

    def _no_duplicate_keys(self) -> bool:
        """True when the staged keys are known to be unique (checked in memory)."""
        if self._keys is None:
            return False
        if not self._keys:
            return True
        keys = np.sort(np.concatenate(self._keys))
        return not bool(np.any(keys[1:] == keys[:-1]))

    def write(self, table: Any) -> None:
        self._remember_keys(table)
        columns = ", ".join(STAGE_COLUMNS)
        if self.method == "copy":
            if self.pipe is None:
                self.pipe = CopyPipe(
                    f"COPY {self.table} ({columns}) FROM STDIN WITH (FORMAT binary)"
                )
            self.pipe.put(table_to_pg_binary(table))
            return
        with connection.cursor() as cursor:
            data = table.to_pydict()
            data["day"] = [d.isoformat() for d in data["day"]]
            values = list(zip(*(data[c] for c in STAGE_COLUMNS), strict=True))
            marks = ", ".join(["%s"] * len(STAGE_COLUMNS))
            cursor.executemany(f"INSERT INTO {self.table} ({columns}) VALUES ({marks})", values)

    def duplicates(self) -> list[dict[str, Any]]:
        if self._no_duplicate_keys():
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {self.table} GROUP BY channel_id, day, partner_key "
                "HAVING COUNT(*) > 1 LIMIT 1"
            )
            if cursor.fetchone() is None:
                return []
            cursor.execute(
                "SELECT line_no, first_line, day FROM (SELECT line_no, day, MIN(line_no) OVER "
                "(PARTITION BY channel_id, day, partner_key) AS first_line "
                f"FROM {self.table}) d WHERE line_no <> first_line ORDER BY line_no LIMIT %s",
                [MAX_DETAILED_BAD_ROWS],
            )
            return [
                {
                    "line": int(line),
                    "column": "date",
                    # The day as read (a report listing "(empty)" here read as a blank date).
                    "value": str(day)[:10] if day is not None else "",
                    "reason": f"same date, channel and partner as line {first}",
                }
                for line, first, day in cursor.fetchall()
            ]

    def remap_channel(self, provisional: int, real: int) -> None:
        self._keys = None  # packed with the provisional id
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {self.table} SET channel_id = %s WHERE channel_id = %s",
                [real, provisional],
            )

    def write_facts(self, run_id: int, value_columns: list[str]) -> tuple[int, int]:
        """Back up and update the rows the file changes, insert the new ones.

        Returns (replaced, written) and leaves what changed in `self.changed`.
        Runs under IMPORT_WRITE_LOCK, so no other writer can insert a key
        between the comparison and the insert. One join of the staging table
        against the facts keeps only the rows that are new or differ; every
        later statement reads that (usually small) set, so rows whose values
        are equal cost nothing more, and a file imported again writes nothing.
        A plain INSERT of new keys is cheaper than INSERT ... ON CONFLICT (no
        speculative insertion).
        """
        key = "f.channel_id = c.channel_id AND f.day = c.day AND f.partner_key = c.partner_key"
        stage_key = key.replace("c.", "s.")
        changed = " OR ".join(sql.distinct(f"f.{c}", f"s.{c}") for c in value_columns) or "false"
        with connection.cursor() as cursor:
            if sql.is_postgres():
                # The join's plan needs the row count and the keys' numbers of
                # distinct values, which a sample of 3,000 rows gives as well
                # as the default 30,000 (1,010 channels and 927 days of a
                # 1M-row file either way) in a tenth of the time: 12 ms
                # instead of 80-110 ms.
                sql.run_all(
                    cursor,
                    sql.with_settings(
                        {"default_statistics_target": "10"},
                        [(f"ANALYZE {self.table} (channel_id, day, partner_key)", [])],
                    ),
                )
            else:
                sql.analyze(self.table)
            cursor.execute(f"DROP TABLE IF EXISTS {CHANGES}")
            # The planner expects most staged rows to differ (it cannot tell
            # how often values repeat) and prices handing them all from
            # parallel workers to this session as if they did; a file
            # imported again, the common case, hands over few. The join
            # hashes one of the two tables: with the default 4 MB of memory
            # a 1M-row file is hashed in 32 passes over disk.
            compare = (
                f"CREATE TEMP TABLE {CHANGES} AS SELECT "
                f"{', '.join('s.' + c for c in FACT_COLUMNS)}, "
                "CASE WHEN f.channel_id IS NULL THEN 1 ELSE 0 END AS is_new "
                f"FROM {self.table} s LEFT JOIN kpis_dailyfact f ON {stage_key} "
                f"WHERE f.channel_id IS NULL OR {changed}"
            )
            sql.run_all(
                cursor,
                sql.with_settings(
                    {"parallel_tuple_cost": "0.001", "work_mem": "'256MB'"}, [(compare, [])]
                ),
            )
            sql.analyze(CHANGES)
            cursor.execute(
                f"SELECT channel_id, MIN(day), MAX(day), SUM(is_new), COUNT(*) FROM {CHANGES} "
                "GROUP BY channel_id"
            )
            per_channel = cursor.fetchall()
            added = sum(int(row[3]) for row in per_channel)
            replaced = sum(int(row[4]) for row in per_channel) - added
            self.changed = ChangedScope(
                channel_ids=sorted(int(row[0]) for row in per_channel),
                first_day=_as_date(min((row[1] for row in per_channel), default=None)),
                last_day=_as_date(max((row[2] for row in per_channel), default=None)),
            )
            if replaced:
                cursor.execute(
                    "INSERT INTO kpis_factbackup (import_run_id, channel_id, day, partner_key, "
                    f"{', '.join(VALUE_COLUMNS)}, previous_import_id) "
                    f"SELECT %s, f.channel_id, f.day, f.partner_key, "
                    f"{', '.join('f.' + c for c in VALUE_COLUMNS)}, f.import_run_id "
                    f"FROM {CHANGES} c JOIN kpis_dailyfact f ON {key} WHERE c.is_new = 0",
                    [run_id],
                )
                target = "kpis_dailyfact"
                assignments = ", ".join(f"{c} = c.{c}" for c in value_columns)
                cursor.execute(
                    f"UPDATE {target} SET {assignments}, import_run_id = %s FROM {CHANGES} c "
                    f"WHERE {target}.channel_id = c.channel_id AND {target}.day = c.day "
                    f"AND {target}.partner_key = c.partner_key AND c.is_new = 0",
                    [run_id],
                )
            if added:
                columns = ", ".join(FACT_COLUMNS)
                # Sorted by key: the primary key's B-tree is then written in order.
                cursor.execute(
                    f"INSERT INTO kpis_dailyfact ({columns}, import_run_id) "
                    f"SELECT {columns}, %s FROM {CHANGES} WHERE is_new = 1 "
                    "ORDER BY channel_id, day, partner_key",
                    [run_id],
                )
            cursor.execute(f"DROP TABLE IF EXISTS {CHANGES}")
        return replaced, replaced + added

    def drop(self) -> None:
        if self.pipe is not None:
            with contextlib.suppress(Exception):
                self.flush()
        if not self.created:
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
        except Exception:  # the connection may be gone; the temp table died with it
            log.debug("staging table already gone", exc_info=True)
        self.created = False
