"""Importing daily facts (METRICS.md section 1) and undoing an import.

The file is validated whole while it streams into a session-private staging
table (PostgreSQL: COPY; SQLite: batched inserts). Only a file without a single
bad row is then written, in one transaction: previous values of replaced rows
are kept for undo, and one set-based upsert writes the facts. Importing the
same file twice changes nothing (rows whose values are equal are not touched).
"""

from __future__ import annotations

import contextlib
import io
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from channelhub.lib import locks
from channelhub.lib.queue import send_task
from channelhub.lib.uploads import read_head, spreadsheet_content_problem
from channels_app.channels.models import Channel
from channels_app.channels.services import channel_create

from .. import sql
from ..importing import (
    MAX_DETAILED_BAD_ROWS,
    STAGE_COLUMNS,
    BatchResult,
    CsvReader,
    FileProblem,
    Lookups,
    NewChannels,
    XlsxReader,
    open_facts_reader,
    table_to_pg_binary,
    validate_batch,
)
from ..models import VALUE_COLUMNS, DailyFact, ImportRun, RecomputeRun
from ..progress import clear_progress, set_progress
from .recompute import bump_versions, recompute_request

log = logging.getLogger(__name__)

FACTS_IMPORT_TASK = "kpis.facts_import"  # registered by kpis.tasks
ACCEPTED_SUFFIXES = (".csv", ".xlsx")
STAGE = "kpis_import_stage"
FACT_COLUMNS = ("channel_id", "day", "partner_key", *VALUE_COLUMNS)
# One import writes at a time: an import's backup of "previous values" must
# not interleave with another import replacing the same rows.
IMPORT_WRITE_LOCK = 7_302_002
LEASE_MINUTES = 60


class ImportRefused(Exception):
    """An action on an import that its state does not allow (with the reason)."""


def check_upload(*, name: str, size: int, head: bytes) -> None:
    """The limits every upload path applies before anything is stored: the
    extension, the size and whether the first bytes (`head`) agree with the
    extension (a renamed PDF is refused here, not by the worker)."""
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise FileProblem("Upload a .csv or .xlsx file.")
    if size == 0:
        raise FileProblem("The file is empty.")
    if size > settings.MAX_UPLOAD_BYTES:
        limit_mb = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        raise FileProblem(f"The file is larger than the {limit_mb} MB limit.")
    problem = spreadsheet_content_problem(suffix, head)
    if problem:
        raise FileProblem(problem)


def import_create(
    *,
    file: Any,
    name: str,
    user: User | None,
    source: str = ImportRun.Source.PAGE,
    create_channels: bool = False,
    kind: str = ImportRun.Kind.FACTS,
) -> ImportRun:
    """Store the uploaded file and a queued import row (the worker does the rest)."""
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
    check_upload(name=name, size=size, head=read_head(file))
    run = ImportRun(
        kind=kind,
        original_name=Path(name).name[:255],
        file_size=size,
        source=source,
        create_channels=create_channels,
        created_by=user,
    )
    run.file.save(Path(name).name, File(file), save=False)
    run.save()
    return run


def import_enqueue(run: ImportRun) -> None:
    # Broker down: the import stays stored and the sweeper sends it later.
    transaction.on_commit(lambda: send_task(FACTS_IMPORT_TASK, run.pk, what=f"import {run.pk}"))


class ImportStart:
    """How `import_start` handed an import over."""

    QUEUED = "queued"  # a worker will do it
    IMPORTED = "imported"  # broker down: done in the request
    STORED = "stored"  # broker down, too big for the request: the sweeper sends it later


def import_start(run: ImportRun) -> str:
    """Hand a stored import to a worker; if the broker is down, do it right here.

    Called after the upload's row is committed (a page request). With the
    broker unreachable, a file up to IMPORT_INLINE_MAX_BYTES is imported in the
    request, so the user's data still commits (its recompute stays queued until
    the sweeper can send it); a bigger one waits for the sweeper.
    """
    if transaction.get_connection().in_atomic_block:
        import_enqueue(run)
        return ImportStart.QUEUED
    if send_task(FACTS_IMPORT_TASK, run.pk, what=f"import {run.pk}"):
        return ImportStart.QUEUED
    if run.file_size > settings.IMPORT_INLINE_MAX_BYTES:
        return ImportStart.STORED
    import_execute(run.pk)
    run.refresh_from_db()
    return ImportStart.IMPORTED


def _claim(run_id: int) -> ImportRun | None:
    now = timezone.now()
    claimed = ImportRun.objects.filter(
        Q(status=ImportRun.Status.QUEUED)
        | Q(status=ImportRun.Status.RUNNING, lease_expires_at__lt=now),
        pk=run_id,
    ).update(
        status=ImportRun.Status.RUNNING,
        started_at=now,
        lease_expires_at=now + timedelta(minutes=LEASE_MINUTES),
        attempts=F("attempts") + 1,
        rows_processed=0,
    )
    return ImportRun.objects.get(pk=run_id) if claimed else None


def import_execute(run_id: int) -> ImportRun | None:
    """Validate and write one import. Returns None if another worker has it."""
    run = _claim(run_id)
    if run is None:
        return None
    try:
        if run.kind == ImportRun.Kind.FEEDBACK:
            from .feedback import feedback_import_execute

            return feedback_import_execute(run)
        return _execute(run)
    except FileProblem as problem:
        return _reject(
            run, problem.errors, error_count=len(problem.errors), bad_rows=1, message=str(problem)
        )
    except Exception as exc:
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.FAILED,
            finished_at=timezone.now(),
            message=f"The import failed: {exc}"[:2000],
            lease_expires_at=None,
        )
        raise
    finally:
        clear_progress(run.pk)


@dataclass
class _Scan:
    """What a pass over the file found."""

    rows: int = 0
    bad_rows: int = 0
    rounded: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    first_day: date | None = None
    last_day: date | None = None
    channel_ids: set[int] = field(default_factory=set)
    seconds: float = 0.0


class _Rejected(Exception):
    """Leave the direct-load transaction without writing: the file has errors."""

    def __init__(self, scan: _Scan) -> None:
        self.scan = scan


Validator = Callable[..., BatchResult]


def _scan_file(
    run: ImportRun,
    reader: CsvReader | XlsxReader,
    sink: Callable[[pa.Table], None],
    new_channels: NewChannels | None,
    validate: Validator = validate_batch,
) -> _Scan:
    """Validate every row; hand each batch to `sink` while the file is clean so far."""
    started = time.monotonic()
    lookups = Lookups.load()
    scan = _Scan()
    estimate = _estimate_rows(Path(run.file.path), run.file_size)
    for lines, batch in reader.batches():
        budget = max(0, MAX_DETAILED_BAD_ROWS - len({e["line"] for e in scan.errors}))
        result = validate(
            batch,
            lines,
            header=reader.header,
            lookups=lookups,
            new_channels=new_channels,
            error_budget=budget,
        )
        scan.rows += result.rows
        scan.rounded += result.rounded
        if result.bad_rows:
            scan.bad_rows += result.bad_rows
            scan.errors.extend(result.errors)
        elif not scan.bad_rows and result.table is not None and result.table.num_rows:
            sink(result.table)
            scan.channel_ids |= result.channel_ids
            scan.first_day = min(filter(None, [scan.first_day, result.first_day]), default=None)
            scan.last_day = max(filter(None, [scan.last_day, result.last_day]), default=None)
        set_progress(run.pk, processed=scan.rows, total=max(estimate, scan.rows))
    if reader.invalid:
        scan.bad_rows += len(reader.invalid)
        scan.errors = sorted(
            [*scan.errors, *reader.invalid[:MAX_DETAILED_BAD_ROWS]], key=lambda e: e["line"]
        )
    scan.seconds = time.monotonic() - started
    return scan


def _execute(run: ImportRun) -> ImportRun:
    reader = open_facts_reader(Path(run.file.path), run.original_name)
    ImportRun.objects.filter(pk=run.pk).update(
        columns=reader.header.columns, ignored_columns=reader.header.ignored
    )
    if sql.is_postgres() and not run.create_channels:
        try:
            return _execute_direct(run, reader)
        except _Rejected as rejected:
            return _reject_scan(run, rejected.scan)
        except _unique_violations():
            # Some key already exists (or repeats in the file): the general
            # path below stages the file and merges it.
            reader = open_facts_reader(Path(run.file.path), run.original_name)
    return _execute_staged(run, reader)


def _unique_violations() -> tuple[type[Exception], ...]:
    """IntegrityError as Django raises it, and as psycopg2 raises it from COPY
    (which Django's cursor wrapper passes through unwrapped)."""
    import psycopg2

    return (IntegrityError, psycopg2.IntegrityError)


def _execute_direct(run: ImportRun, reader: CsvReader | XlsxReader) -> ImportRun:
    """The first-load fast path: COPY validated batches straight into the facts.

    One transaction: any bad row rolls everything back; an existing or
    repeated key raises IntegrityError and the staged path takes over."""
    with transaction.atomic():
        locks.advisory_xact_lock(IMPORT_WRITE_LOCK)
        columns = ", ".join((*FACT_COLUMNS, "import_run_id"))
        pipe = _CopyPipe(f"COPY kpis_dailyfact ({columns}) FROM STDIN WITH (FORMAT binary)")

        def copy_into_facts(table: pa.Table) -> None:
            rows = table.drop_columns(["line_no"]).append_column(
                "import_run_id", pa.array(np.full(table.num_rows, run.pk, dtype=np.int64))
            )
            pipe.put(table_to_pg_binary(rows))

        try:
            scan = _scan_file(run, reader, copy_into_facts, None)
        finally:
            pipe.close()
        if scan.bad_rows or not scan.rows:
            raise _Rejected(scan)
        t0 = time.monotonic()
        return _finish(
            run,
            scan,
            added=scan.rows,
            replaced=0,
            created={},
            method="copy-direct",
            write_s=time.monotonic() - t0,
        )


def _execute_staged(run: ImportRun, reader: CsvReader | XlsxReader) -> ImportRun:
    """The general path: stage the file, check it whole, then merge it."""
    stage = _Stage()
    try:
        stage.create()
        new_channels = NewChannels() if run.create_channels else None
        scan = _scan_file(run, reader, stage.write, new_channels)
        stage.flush()
        if scan.bad_rows or not scan.rows:
            return _reject_scan(run, scan)
        duplicates = stage.duplicates()
        if duplicates:
            return _reject(
                run,
                duplicates,
                error_count=len(duplicates),
                bad_rows=len(duplicates),
                rows=scan.rows,
                message=(
                    "The same date, channel and partner appear more than once; "
                    "nothing was imported."
                ),
            )
        value_columns = [c for c in VALUE_COLUMNS if c in reader.header.columns]
        t0 = time.monotonic()
        with transaction.atomic():
            locks.advisory_xact_lock(IMPORT_WRITE_LOCK)
            created = _create_channels(stage, new_channels)
            scan.channel_ids = {c for c in scan.channel_ids if c > 0} | set(created.values())
            replaced, written = stage.write_facts(run.pk, value_columns)
            return _finish(
                run,
                scan,
                added=written - replaced,
                replaced=replaced,
                created=created,
                method=stage.method,
                write_s=time.monotonic() - t0,
            )
    finally:
        stage.drop()


def _finish(
    run: ImportRun,
    scan: _Scan,
    *,
    added: int,
    replaced: int,
    created: dict[str, int],
    method: str,
    write_s: float,
) -> ImportRun:
    """Record a successful import and queue its recompute (in the write's transaction)."""
    written = added + replaced
    channel_ids = sorted(scan.channel_ids)
    recompute = None
    if written:
        bump_versions(channel_ids)
        recompute = recompute_request(
            trigger=RecomputeRun.Trigger.IMPORT,
            channel_ids=channel_ids,
            start=scan.first_day,
            end=scan.last_day,
            requested_by=run.created_by,
        )
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        lease_expires_at=None,
        rows_total=scan.rows,
        rows_processed=scan.rows,
        rows_added=added,
        rows_replaced=replaced,
        rows_unchanged=scan.rows - written,
        values_rounded=scan.rounded,
        first_day=scan.first_day,
        last_day=scan.last_day,
        channel_ids=channel_ids,
        channels_created=sorted(created),
        recompute_run=recompute,
        message=_summary(added, replaced, scan.rows - written, scan.rounded),
        stats={
            "load": method,
            "parse_and_stage_s": round(scan.seconds, 3),
            "write_s": round(write_s, 3),
        },
    )
    return ImportRun.objects.get(pk=run.pk)


def _reject_scan(run: ImportRun, scan: _Scan) -> ImportRun:
    if not scan.bad_rows:
        raise FileProblem("The file has a header but no data rows.")
    return _reject(
        run,
        scan.errors,
        error_count=len(scan.errors),
        bad_rows=scan.bad_rows,
        rows=scan.rows,
        message=f"{scan.bad_rows} row(s) have problems; nothing was imported.",
    )


def _summary(added: int, replaced: int, unchanged: int, rounded: int) -> str:
    text = f"{added:,} row(s) added, {replaced:,} replaced, {unchanged:,} unchanged."
    if rounded:
        text += f" {rounded:,} amount(s) had more than 2 decimals and were rounded to cents."
    return text


def _estimate_rows(path: Path, size: int) -> int:
    """Rows in the file, estimated from its first 64 KB (for the progress bar)."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    lines = head.count(b"\n")
    if path.suffix.lower() == ".xlsx" or not lines:
        return 0
    return max(1, int(size / (len(head) / lines)) - 1)


def _reject(
    run: ImportRun,
    errors: list[dict[str, Any]],
    *,
    error_count: int,
    bad_rows: int,
    message: str,
    rows: int = 0,
) -> ImportRun:
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.REJECTED,
        finished_at=timezone.now(),
        lease_expires_at=None,
        errors=errors,
        error_count=error_count,
        bad_rows=bad_rows,
        rows_total=rows,
        rows_processed=rows,
        message=message,
    )
    return ImportRun.objects.get(pk=run.pk)


def _create_channels(stage: _Stage, new_channels: NewChannels | None) -> dict[str, int]:
    """Channels named in the file that do not exist yet (--create-channels)."""
    if new_channels is None or not new_channels.names:
        return {}
    created: dict[str, int] = {}
    for _key, (provisional, name) in new_channels.names.items():
        channel = channel_create(name=name, kind=Channel.Kind.OTHER, status=Channel.Status.ACTIVE)
        stage.remap_channel(provisional, channel.pk)
        created[channel.slug] = channel.pk
    return created


class _CopyPipe:
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
                    cursor.copy_expert(self._sql, io.BytesIO(data))
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


class _Stage:
    """The session-private staging table of one import."""

    def __init__(self) -> None:
        self.method = "copy" if sql.is_postgres() else "batched-insert"
        self.created = False
        self.pipe: _CopyPipe | None = None

    def flush(self) -> None:
        """Wait until every batch is in the staging table."""
        if self.pipe is not None:
            pipe, self.pipe = self.pipe, None
            pipe.close()

    def create(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            cursor.execute(
                f"CREATE TEMP TABLE {STAGE} (line_no bigint, channel_id bigint, day date, "
                "partner_key bigint, spend bigint, revenue bigint, cogs bigint, orders bigint, "
                "units bigint, leads bigint, new_customers bigint, impressions bigint, "
                "clicks bigint, inventory_value bigint)"
            )
        self.created = True

    def write(self, table: Any) -> None:
        columns = ", ".join(STAGE_COLUMNS)
        if self.method == "copy":
            if self.pipe is None:
                self.pipe = _CopyPipe(f"COPY {STAGE} ({columns}) FROM STDIN WITH (FORMAT binary)")
            self.pipe.put(table_to_pg_binary(table))
            return
        with connection.cursor() as cursor:
            data = table.to_pydict()
            data["day"] = [d.isoformat() for d in data["day"]]
            values = list(zip(*(data[c] for c in STAGE_COLUMNS), strict=True))
            marks = ", ".join(["%s"] * len(STAGE_COLUMNS))
            cursor.executemany(f"INSERT INTO {STAGE} ({columns}) VALUES ({marks})", values)

    def duplicates(self) -> list[dict[str, Any]]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {STAGE} GROUP BY channel_id, day, partner_key "
                "HAVING COUNT(*) > 1 LIMIT 1"
            )
            if cursor.fetchone() is None:
                return []
            cursor.execute(
                "SELECT line_no, first_line FROM (SELECT line_no, MIN(line_no) OVER "
                "(PARTITION BY channel_id, day, partner_key) AS first_line "
                f"FROM {STAGE}) d WHERE line_no <> first_line ORDER BY line_no LIMIT %s",
                [MAX_DETAILED_BAD_ROWS],
            )
            return [
                {
                    "line": int(line),
                    "column": "date",
                    "value": "",
                    "reason": f"same date, channel and partner as line {first}",
                }
                for line, first in cursor.fetchall()
            ]

    def remap_channel(self, provisional: int, real: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {STAGE} SET channel_id = %s WHERE channel_id = %s", [real, provisional]
            )

    def write_facts(self, run_id: int, value_columns: list[str]) -> tuple[int, int]:
        """Back up and update the rows the file changes, insert the new ones.

        Returns (replaced, written). Runs under IMPORT_WRITE_LOCK, so no other
        writer can insert a key between the anti-join and the insert. A plain
        INSERT of new keys is cheaper than INSERT ... ON CONFLICT (no
        speculative insertion), and rows whose values are equal are not touched.
        """
        key = "f.channel_id = s.channel_id AND f.day = s.day AND f.partner_key = s.partner_key"
        replaced = 0
        with connection.cursor() as cursor:
            if value_columns:
                changed = " OR ".join(sql.distinct(f"f.{c}", f"s.{c}") for c in value_columns)
                cursor.execute(
                    "INSERT INTO kpis_factbackup (import_run_id, channel_id, day, partner_key, "
                    f"{', '.join(VALUE_COLUMNS)}, previous_import_id) "
                    f"SELECT %s, f.channel_id, f.day, f.partner_key, "
                    f"{', '.join('f.' + c for c in VALUE_COLUMNS)}, f.import_run_id "
                    f"FROM {STAGE} s JOIN kpis_dailyfact f ON {key} WHERE {changed}",
                    [run_id],
                )
                replaced = max(cursor.rowcount, 0)
                if replaced:
                    target = "kpis_dailyfact"
                    assignments = ", ".join(f"{c} = s.{c}" for c in value_columns)
                    changed_here = " OR ".join(
                        sql.distinct(f"{target}.{c}", f"s.{c}") for c in value_columns
                    )
                    cursor.execute(
                        f"UPDATE {target} SET {assignments}, import_run_id = %s FROM {STAGE} s "
                        f"WHERE {target}.channel_id = s.channel_id AND {target}.day = s.day "
                        f"AND {target}.partner_key = s.partner_key AND ({changed_here})",
                        [run_id],
                    )
            columns = ", ".join(FACT_COLUMNS)
            # Sorted by key: the primary key's B-tree is then written in order.
            cursor.execute(
                f"INSERT INTO kpis_dailyfact ({columns}, import_run_id) "
                f"SELECT {', '.join('s.' + c for c in FACT_COLUMNS)}, %s FROM {STAGE} s "
                f"WHERE NOT EXISTS (SELECT 1 FROM kpis_dailyfact f WHERE {key}) "
                "ORDER BY s.channel_id, s.day, s.partner_key",
                [run_id],
            )
            added = max(cursor.rowcount, 0)
        return replaced, replaced + added

    def drop(self) -> None:
        if self.pipe is not None:
            with contextlib.suppress(Exception):
                self.flush()
        if not self.created:
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        except Exception:  # the connection may be gone; the temp table died with it
            log.debug("staging table already gone", exc_info=True)
        self.created = False


# --- Undo -----------------------------------------------------------------------------------


def import_undo(*, run: ImportRun, user: User | None) -> ImportRun:
    """Restore the values an import replaced and remove the rows it added.

    Refused when a later import replaced any of its rows: undoing then would
    silently undo part of the later import too.
    """
    with transaction.atomic():
        locks.advisory_xact_lock(IMPORT_WRITE_LOCK)
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if run.status != ImportRun.Status.SUCCEEDED:
            raise ImportRefused("Only a successful import can be undone.")
        if run.kind == ImportRun.Kind.FEEDBACK:
            from .feedback import feedback_import_undo

            removed = feedback_import_undo(run)
            run.status = ImportRun.Status.UNDONE
            run.undone_at = timezone.now()
            run.undone_by = user
            run.message = (
                f"Undone: {removed:,} feedback entr{'y' if removed == 1 else 'ies'} removed."
            )
            run.save(update_fields=["status", "undone_at", "undone_by", "message"])
            return run
        still_ours = DailyFact.objects.filter(import_run_id=run.pk).count()
        if still_ours != run.rows_written:
            raise ImportRefused(
                f"A later import replaced {run.rows_written - still_ours:,} of this import's rows; "
                "undo that import first."
            )
        with connection.cursor() as cursor:
            if run.rows_replaced:
                assignments = ", ".join(f"{c} = b.{c}" for c in VALUE_COLUMNS)
                cursor.execute(
                    f"UPDATE kpis_dailyfact SET {assignments}, "
                    "import_run_id = b.previous_import_id "
                    "FROM kpis_factbackup b WHERE b.import_run_id = %s "
                    "AND kpis_dailyfact.channel_id = b.channel_id AND kpis_dailyfact.day = b.day "
                    "AND kpis_dailyfact.partner_key = b.partner_key",
                    [run.pk],
                )
            cursor.execute("DELETE FROM kpis_dailyfact WHERE import_run_id = %s", [run.pk])
            cursor.execute("DELETE FROM kpis_factbackup WHERE import_run_id = %s", [run.pk])
        channel_ids = list(run.channel_ids)
        if channel_ids:
            bump_versions(channel_ids)
            recompute_request(
                trigger=RecomputeRun.Trigger.UNDO,
                channel_ids=channel_ids,
                start=run.first_day,
                end=run.last_day,
                requested_by=user,
            )
        run.status = ImportRun.Status.UNDONE
        run.undone_at = timezone.now()
        run.undone_by = user
        run.message = f"Undone: {run.rows_added:,} row(s) removed, {run.rows_replaced:,} restored."
        run.save(update_fields=["status", "undone_at", "undone_by", "message"])
    return run
