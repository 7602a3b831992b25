"""The import of daily facts, one way through five stages:

1. read    the file streams in batches (channelhub.lib.tabular, through
           `reading.open_run_reader`, which sniffs and maps real-world files);
2. check   every row and column of a batch, vectorised (`checks.validate_batch`);
           one bad row rejects the whole file, every bad line is reported;
3. stage   clean batches go into a session-private staging table
           (`staging.Stage`; PostgreSQL: binary COPY on a background thread);
4. merge   in one transaction under IMPORT_WRITE_LOCK, replaced values are
           backed up for undo and the facts upserted (`Stage.write_facts`);
           a first load into empty keys COPYs straight into the facts instead;
5. publish the channels' input versions are bumped and a recompute queued in
           the same transaction (kpis.engine), then the import's row records
           the outcome (`_finish`).

Each stage only hands its output to the next. Storing an upload, handing it to
a worker and undoing an import are in kpis.ingest.services. Another kind of
file (customer feedback) reuses stages 1-2 (`scan_file`, `reject_scan`) and
plugs its own writing in with `register_kind`, so this module never imports it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from channelhub.lib import locks
from channels_app.channels.models import Channel
from channels_app.channels.services import channel_create
from kpis.engine import sql
from kpis.engine.recompute import bump_versions, recompute_request
from kpis.jobs import pause_point
from kpis.models import VALUE_COLUMNS, ImportRun, RecomputeRun

from .checks import (
    MAX_DETAILED_BAD_ROWS,
    BatchResult,
    CsvReader,
    FileProblem,
    Lookups,
    NewChannels,
    XlsxReader,
    validate_batch,
)
from .progress import clear_progress, set_progress
from .reading import FactsReader, open_run_reader
from .staging import (
    FACT_COLUMNS,
    ChangedScope,
    CopyPipe,
    Stage,
    packed_keys,
    table_to_pg_binary,
)

log = logging.getLogger(__name__)

# One import writes at a time: an import's backup of "previous values" must
# not interleave with another import replacing the same rows.
IMPORT_WRITE_LOCK = 7_302_002
LEASE_MINUTES = 60
# pg_try_advisory_lock(IMPORT_RUN_LOCK, import id): held by the worker importing
# it, from before its claim until it ends. A RUNNING import whose lock is free
# lost its worker (SIGKILL, OOM): the sweeper sends it again at once instead of
# after its lease (as kpis.engine.recompute.RUN_LOCK does for recomputes).
IMPORT_RUN_LOCK = 7_304
# Fault tests only: when set, an import that has checked its whole file writes
# its id to this file and waits while the file exists (its progress at 100 %,
# nothing committed), so a test can kill the worker at that point.
PAUSE_AFTER_SCAN_ENV = "CHANNELHUB_IMPORT_PAUSE_FILE"
# How often a scan writes its progress to the cache: a file's batches of
# 55,000 rows come every 60 ms, and each write cost 2-3 ms with the file cache.
PROGRESS_EVERY_S = 0.25


@dataclass(frozen=True)
class ImportKind:
    """How an import of another kind than daily facts is written and undone."""

    # Given the claimed run; validates with `scan_file` and records its outcome.
    execute: Callable[[ImportRun], ImportRun]
    # Inside the undo's transaction; removes what the run wrote, returns the message.
    undo: Callable[[ImportRun], str]


_KINDS: dict[str, ImportKind] = {}


def register_kind(
    kind: str,
    *,
    execute: Callable[[ImportRun], ImportRun],
    undo: Callable[[ImportRun], str],
) -> None:
    """Plug in an import kind (called from KPIsConfig.ready; replacing is harmless)."""
    _KINDS[kind] = ImportKind(execute=execute, undo=undo)


def import_kind(kind: str) -> ImportKind:
    try:
        return _KINDS[kind]
    except KeyError:
        raise LookupError(f"No import of kind {kind!r} is registered.") from None


def _claim(run_id: int, *, holder_lost: bool = False) -> ImportRun | None:
    """Take the import if it is queued, or running with an expired lease, or
    running while nobody holds its IMPORT_RUN_LOCK (holder_lost: its worker died)."""
    now = timezone.now()
    claimable = Q(status=ImportRun.Status.QUEUED) | Q(
        status=ImportRun.Status.RUNNING, lease_expires_at__lt=now
    )
    if holder_lost:
        claimable |= Q(status=ImportRun.Status.RUNNING)
    claimed = ImportRun.objects.filter(claimable, pk=run_id).update(
        status=ImportRun.Status.RUNNING,
        started_at=now,
        lease_expires_at=now + timedelta(minutes=LEASE_MINUTES),
        attempts=F("attempts") + 1,
        rows_processed=0,
    )
    return ImportRun.objects.get(pk=run_id) if claimed else None


def import_execute(run_id: int) -> ImportRun | None:
    """Validate and write one import. Returns None if another worker has it."""
    if not locks.try_advisory_lock(IMPORT_RUN_LOCK, run_id):
        return None  # a live worker is on it (a duplicate delivery)
    try:
        run = _claim(run_id, holder_lost=locks.is_postgres())
        if run is None:
            return None
        clear_progress(run.pk)  # a killed attempt's last progress is not this one's
        return _execute_claimed(run)
    finally:
        _release_run_lock(run_id)


def _execute_claimed(run: ImportRun) -> ImportRun:
    try:
        if run.kind != ImportRun.Kind.FACTS:
            return import_kind(run.kind).execute(run)
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


def _release_run_lock(run_id: int) -> None:
    try:
        locks.advisory_unlock(IMPORT_RUN_LOCK, run_id)
    except Exception:  # the connection is gone, and the lock with it
        log.warning("import run %s: lock already released with its connection", run_id)


def worker_lost(run: ImportRun) -> bool:
    """A running import whose worker died (PostgreSQL: its lock is free)."""
    if run.status != ImportRun.Status.RUNNING or not locks.is_postgres():
        return False
    if not locks.try_advisory_lock(IMPORT_RUN_LOCK, run.pk):
        return False
    locks.advisory_unlock(IMPORT_RUN_LOCK, run.pk)
    return True


def orphaned_import_ids() -> list[int]:
    """Running imports whose worker is gone, before their lease ends (PostgreSQL
    only: elsewhere the lease expiry is the only sign of a dead worker)."""
    if not locks.is_postgres():
        return []
    running = ImportRun.objects.filter(
        status=ImportRun.Status.RUNNING, lease_expires_at__gte=timezone.now()
    ).values_list("pk", flat=True)
    orphans = []
    for run_id in running:
        if locks.try_advisory_lock(IMPORT_RUN_LOCK, run_id):
            locks.advisory_unlock(IMPORT_RUN_LOCK, run_id)
            orphans.append(run_id)
    return orphans


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
_T = TypeVar("_T")


def read_ahead(items: Iterator[_T]) -> Iterator[_T]:
    """The items of `items`, each produced on a thread of its own while the
    caller works on the one before: reading a batch (Arrow's CSV parser and
    string functions, which release the GIL) overlaps checking the previous
    one, so a file is read and checked on two cores. The reader touches no
    database; what it raises is raised here; one batch waits at most."""
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def offer(message: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                handoff.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(("item", item)):
                    return
            offer(("end", None))
        except BaseException as exc:  # handed to the caller's thread
            offer(("error", exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # the reader's file, when the caller stopped early

    thread = threading.Thread(target=produce, name="import-read", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join()


def scan_file(
    run: ImportRun,
    reader: CsvReader | XlsxReader | FactsReader,
    sink: Callable[[pa.Table], None],
    new_channels: NewChannels | None,
    validate: Validator = validate_batch,
) -> _Scan:
    """Validate every row; hand each batch to `sink` while the file is clean so far."""
    started = time.monotonic()
    lookups = Lookups.load()
    scan = _Scan()
    estimate = _estimate_rows(Path(run.file.path), run.file_size)
    reported = started - PROGRESS_EVERY_S
    for lines, batch in read_ahead(reader.batches()):
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
        now = time.monotonic()
        if now - reported >= PROGRESS_EVERY_S:  # (a page asks about once a second)
            reported = now
            set_progress(run.pk, processed=scan.rows, total=max(estimate, scan.rows))
    set_progress(run.pk, processed=scan.rows, total=scan.rows)
    pause_point(PAUSE_AFTER_SCAN_ENV, run.pk)
    if reader.invalid:
        scan.bad_rows += len(reader.invalid)
        scan.errors = sorted(
            [*scan.errors, *reader.invalid[:MAX_DETAILED_BAD_ROWS]], key=lambda e: e["line"]
        )
    scan.seconds = time.monotonic() - started
    return scan


def _execute(run: ImportRun) -> ImportRun:
    reader = open_run_reader(run)
    ImportRun.objects.filter(pk=run.pk).update(
        columns=reader.header.columns, ignored_columns=reader.header.ignored
    )
    try:
        result = _write(run, reader)
    finally:
        # What reading found (totals rows skipped, rows dropped by channel value).
        report = reader.report.as_json()
        ImportRun.objects.filter(pk=run.pk).update(reading=report)
    result.reading = report
    return result


def _write(run: ImportRun, reader: FactsReader) -> ImportRun:
    if sql.is_postgres() and not run.create_channels:
        try:
            return _execute_direct(run, reader)
        except _Rejected as rejected:
            return reject_scan(run, rejected.scan)
        except _merge_instead():
            # A key stored after the first batch was looked up (by another
            # import meanwhile, or later in the file), or repeated in the
            # file: the general path below reads the file again, stages it
            # and merges it.
            report = reader.report
            reader = open_run_reader(run)
            reader.report = report  # (its notes are the same; the totals skipped are not)
            reader.report.skipped.clear()
            reader.report.dropped.clear()
    return _execute_staged(run, reader)


def _merge_instead() -> tuple[type[Exception], ...]:
    """What sends a first load to the staged merge after all: a key exists or
    repeats (IntegrityError as Django raises it, and as psycopg2 raises it
    from COPY, which Django's cursor wrapper passes through unwrapped)."""
    import psycopg2

    return (IntegrityError, psycopg2.IntegrityError)


def _facts_in_range(table: pa.Table) -> bool:
    """Whether the facts hold any row for the batch's channels between its first
    and last day (a range of the primary key per channel: a few milliseconds).

    Asked in a savepoint that is rolled back: the read lock the query takes on
    the facts goes with it, instead of being held by the import's transaction
    until it ends. Held, it deadlocked two first loads started together: one
    holding it while waiting for the import lock, the other holding the import
    lock while waiting to drop the facts' indexes (`sql.set_indexes_aside`),
    which needs the table to itself."""
    bounds = pc.min_max(table.column("day"))
    savepoint = transaction.savepoint()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM kpis_dailyfact WHERE channel_id = ANY(%s) "
                "AND day BETWEEN %s AND %s)",
                [
                    pc.unique(table.column("channel_id")).to_pylist(),
                    bounds["min"].as_py(),
                    bounds["max"].as_py(),
                ],
            )
            return bool(cursor.fetchone()[0])
    finally:
        transaction.savepoint_rollback(savepoint)


def _execute_direct(run: ImportRun, reader: FactsReader) -> ImportRun:
    """The first-load fast path: COPY validated batches straight into the facts.

    One transaction: any bad row rolls everything back; an existing or
    repeated key raises IntegrityError and the staged path takes over. A file
    whose first batch's channels already have facts on its days (the same
    export again, or with a new day at its end) is staged and merged instead,
    in the same pass over the file: the batch read already is not read again.
    """
    load = _DirectLoad(run)
    try:
        with transaction.atomic():
            try:
                scan = scan_file(run, reader, load.write, None)
            finally:
                load.close_pipe()
            if scan.bad_rows or not scan.rows:
                raise _Rejected(scan)
            if load.stage is not None:
                return _merge_staged(run, reader, scan, load.stage, None)
            t0 = time.monotonic()
            if load.rebuild:
                # A key repeated in the file fails the primary key's build with
                # IntegrityError: rolled back, and the staged path reports it.
                with connection.cursor() as cursor:
                    sql.run_all(cursor, load.rebuild)
            return _finish(
                run,
                scan,
                added=scan.rows,
                replaced=0,
                created={},
                method="copy-direct",
                write_s=time.monotonic() - t0,
                indexes_built_after=bool(load.rebuild),
            )
    finally:
        if load.stage is not None:
            load.stage.drop()


class _DirectLoad:
    """Where `_execute_direct` sends each checked batch: straight into the
    facts, or, once the first batch showed its keys stored already, into a
    staging table to merge (`Stage`)."""

    def __init__(self, run: ImportRun) -> None:
        self.run = run
        self.pipe: CopyPipe | None = None
        self.stage: Stage | None = None
        self.rebuild: list[tuple[str, Sequence[Any]]] = []

    def write(self, table: pa.Table) -> None:
        if self.stage is not None:
            self.stage.write(table)
            return
        if self.pipe is None:
            # The first batch (the connection is free: no pipe yet). Only a
            # load whose first rows are new takes the import lock here, for
            # the rest of its transaction; a file whose first rows are stored
            # is read and staged without it, as the staged path does, and a
            # key stored meanwhile by another import fails the COPY below
            # (IntegrityError: the staged path takes over).
            if _facts_in_range(table):
                self.stage = Stage(self.run.pk)
                self.stage.create()
                self.stage.write(table)
                return
            locks.advisory_xact_lock(IMPORT_WRITE_LOCK)
            if self.run.file_size >= BULK_FIRST_LOAD_BYTES:
                self.rebuild = _set_fact_indexes_aside()
            columns = ", ".join((*FACT_COLUMNS, "import_run_id"))
            self.pipe = CopyPipe(f"COPY kpis_dailyfact ({columns}) FROM STDIN WITH (FORMAT binary)")
        # In the primary key's order (channel, day, partner): a batch holds
        # some days of every channel, and each channel's days then land
        # together in its part of the B-tree instead of one row in each
        # channel's part in turn. The database spends a third less on it,
        # and it is the slower side of the pipe.
        # One sort of packed keys (numbers) instead of Arrow's sort on three columns.
        rows = table.drop_columns(["line_no"])
        keys = packed_keys(rows)
        rows = (
            rows.take(np.argsort(keys, kind="stable"))
            if keys is not None
            else rows.sort_by(
                [("channel_id", "ascending"), ("day", "ascending"),
                 ("partner_key", "ascending")]
            )
        ).append_column(
            "import_run_id", pa.array(np.full(table.num_rows, self.run.pk, dtype=np.int64))
        )  # fmt: skip
        self.pipe.put(table_to_pg_binary(rows))

    def close_pipe(self) -> None:
        """Wait until every batch is in (the facts' or the stage's pipe)."""
        if self.pipe is not None:
            pipe, self.pipe = self.pipe, None
            pipe.close()
        if self.stage is not None:
            self.stage.flush()


# A first load at least this big builds the facts' indexes after its COPY
# (about 50,000 rows; below that keeping them costs less than rebuilding them).
BULK_FIRST_LOAD_BYTES = 4 * 1024 * 1024


def _set_fact_indexes_aside() -> list[tuple[str, Sequence[Any]]]:
    """A first load into empty facts (a new installation's history) is copied
    into the bare table and its indexes built after (`sql.set_indexes_aside`):
    at 10M rows with partners the partner index alone, written in no order,
    cost more than the COPY. Readers of the (empty) facts wait for the load.
    Returns the statements that rebuild the indexes, or [] (indexes kept)."""
    with connection.cursor() as cursor:
        rebuild = sql.set_indexes_aside(cursor, "kpis_dailyfact")
    if not rebuild:
        log.info("first load: the facts' indexes stay in place")
    return rebuild


def _execute_staged(run: ImportRun, reader: FactsReader) -> ImportRun:
    """The general path: stage the file, check it whole, then merge it."""
    stage = Stage(run.pk)
    try:
        stage.create()
        new_channels = NewChannels() if run.create_channels else None
        scan = scan_file(run, reader, stage.write, new_channels)
        stage.flush()
        if scan.bad_rows or not scan.rows:
            return reject_scan(run, scan)
        return _merge_staged(run, reader, scan, stage, new_channels)
    finally:
        stage.drop()


def _merge_staged(
    run: ImportRun,
    reader: FactsReader,
    scan: _Scan,
    stage: Stage,
    new_channels: NewChannels | None,
) -> ImportRun:
    """Merge a clean file's staged rows into the facts (or reject it for a
    key it repeats)."""
    duplicates = stage.duplicates()
    if duplicates:
        return _reject(
            run,
            duplicates,
            error_count=len(duplicates),
            bad_rows=len(duplicates),
            rows=scan.rows,
            message=_duplicates_message(run),
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
            changed=stage.changed,
        )


def _duplicates_message(run: ImportRun) -> str:
    plan = run.mapping or {}
    if plan.get("constant_channel") or plan.get("channel_values"):
        # A campaign report read as one channel: its campaigns share each day.
        return (
            "Several rows are for the same date, channel and partner once the file's "
            "channels are read as ChannelHub's (one channel for the whole file, or several "
            "values mapped to one channel); ChannelHub keeps one row per day, channel and "
            "partner, so nothing was imported. Export the report by day without a campaign "
            "breakdown (an account report), or map each value to a channel of its own."
        )
    return "The same date, channel and partner appear more than once; nothing was imported."


def _finish(
    run: ImportRun,
    scan: _Scan,
    *,
    added: int,
    replaced: int,
    created: dict[str, int],
    method: str,
    write_s: float,
    changed: ChangedScope | None = None,
    indexes_built_after: bool = False,
) -> ImportRun:
    """Record a successful import and queue its recompute (in the write's
    transaction) for what it changed: the channels and days of the rows it
    added or replaced (`changed`; by default every row of the file)."""
    written = added + replaced
    channel_ids = sorted(scan.channel_ids)
    if changed is None:
        changed = ChangedScope(channel_ids, scan.first_day, scan.last_day)
    recompute = None
    if written:
        bump_versions(changed.channel_ids)
        recompute = recompute_request(
            trigger=RecomputeRun.Trigger.IMPORT,
            channel_ids=changed.channel_ids,
            start=changed.first_day,
            end=changed.last_day,
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
            **({"indexes_built_after_load": True} if indexes_built_after else {}),
        },
    )
    return ImportRun.objects.get(pk=run.pk)


def reject_scan(run: ImportRun, scan: _Scan) -> ImportRun:
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


def _create_channels(stage: Stage, new_channels: NewChannels | None) -> dict[str, int]:
    """Channels named in the file that do not exist yet (--create-channels)."""
    if new_channels is None or not new_channels.names:
        return {}
    created: dict[str, int] = {}
    for _key, (provisional, name) in new_channels.names.items():
        channel = channel_create(name=name, kind=Channel.Kind.OTHER, status=Channel.Status.ACTIVE)
        stage.remap_channel(provisional, channel.pk)
        created[channel.slug] = channel.pk
    return created
