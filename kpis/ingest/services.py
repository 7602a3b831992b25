"""Import runs: store an upload, hand it to a worker (or do it in the request
when the job queue is down), and undo a finished import. What a worker does
with the file is kpis.ingest.pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from channelhub.lib import locks
from channelhub.lib.queue import send_task
from channelhub.lib.uploads import read_head, spreadsheet_content_problem
from kpis.engine.recompute import bump_versions, recompute_request
from kpis.models import VALUE_COLUMNS, DailyFact, FactBackup, ImportRun, RecomputeRun

from .checks import FileProblem
from .pipeline import IMPORT_WRITE_LOCK, import_execute, import_kind

FACTS_IMPORT_TASK = "kpis.facts_import"  # registered by kpis.ingest.tasks
ACCEPTED_SUFFIXES = (".csv", ".txt", ".xlsx")  # .txt: Excel's "Unicode text"


class ImportRefused(Exception):
    """An action on an import that its state does not allow (with the reason, and
    the import that stands in the way, if one does)."""

    def __init__(self, message: str, blocking: ImportRun | None = None) -> None:
        super().__init__(message)
        self.blocking = blocking


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
    mapping: dict[str, Any] | None = None,
    data_source: Any = None,
) -> ImportRun:
    """Store the uploaded file and a queued import row (the worker does the rest).

    `mapping` is the plan its columns are read with (kpis.ingest.mapping)."""
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
        mapping=mapping or {},
        data_source=data_source,
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


# --- Undo -----------------------------------------------------------------------------------


def _mark_later_imports(run: ImportRun) -> None:
    """Later imports of the same channels and dates that found rows of `run`
    already in place (unchanged) lose those rows with its undo: say so on them."""
    if not run.rows_written or run.first_day is None or run.last_day is None:
        return
    later = ImportRun.objects.filter(
        kind=ImportRun.Kind.FACTS,
        status=ImportRun.Status.SUCCEEDED,
        pk__gt=run.pk,
        rows_unchanged__gt=0,
        first_day__lte=run.last_day,
        last_day__gte=run.first_day,
    ).only("pk", "channel_ids")
    ours = set(run.channel_ids)
    ids = [other.pk for other in later if ours & set(other.channel_ids or [])]
    if ids:
        ImportRun.objects.filter(pk__in=ids).update(changed_by_undo=run)


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
        if run.kind != ImportRun.Kind.FACTS:
            message = import_kind(run.kind).undo(run)
            run.status = ImportRun.Status.UNDONE
            run.undone_at = timezone.now()
            run.undone_by = user
            run.message = message
            run.save(update_fields=["status", "undone_at", "undone_by", "message"])
            return run
        still_ours = DailyFact.objects.filter(import_run_id=run.pk).count()
        if still_ours != run.rows_written:
            # The later import that replaced them kept their values (and this
            # import's id) in its backups.
            later = (
                FactBackup.objects.filter(previous_import_id=run.pk)
                .order_by("-import_run_id")
                .values_list("import_run_id", flat=True)
                .first()
            )
            blocking = ImportRun.objects.filter(pk=later).first() if later else None
            which = (
                f"Import #{blocking.pk} ({blocking.original_name})"
                if blocking
                else "A later import"
            )
            raise ImportRefused(
                f"{which} replaced {run.rows_written - still_ours:,} of this import's rows; "
                "undo that import first.",
                blocking=blocking,
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
            run.undo_recompute_run = recompute_request(
                trigger=RecomputeRun.Trigger.UNDO,
                channel_ids=channel_ids,
                start=run.first_day,
                end=run.last_day,
                requested_by=user,
            )
            _mark_later_imports(run)
        run.status = ImportRun.Status.UNDONE
        run.undone_at = timezone.now()
        run.undone_by = user
        run.message = f"Undone: {run.rows_added:,} row(s) removed, {run.rows_replaced:,} restored."
        run.save(
            update_fields=["status", "undone_at", "undone_by", "message", "undo_recompute_run"]
        )
    return run


def import_remap(*, run: ImportRun, user: User) -> ImportRun:
    """A rejected file of daily facts again, through the mapping step: a new import
    of the same file that waits for its mapping (the rejected one stays as it was)."""
    if run.kind != ImportRun.Kind.FACTS or run.status != ImportRun.Status.REJECTED:
        raise ImportRefused("Only a rejected file of daily facts can be read again with questions.")
    with run.file.open("rb") as handle:
        again = import_create(file=handle, name=run.original_name, user=user)
    again.status = ImportRun.Status.MAPPING
    # A file of a saved source stays that source's: the answers given now are
    # remembered in it (by its owner), so its next file is not refused again.
    again.data_source = run.data_source
    again.save(update_fields=["status", "data_source"])
    return again
