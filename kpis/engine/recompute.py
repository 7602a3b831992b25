"""Recompute KPI snapshots from daily facts: the main job (docs/architecture.md, data flow).

Shape of a run
--------------
1. A run row is written (queued) in the requester's transaction; the Celery
   message only wakes a worker (`recompute_request`).
2. A worker claims it with a conditional UPDATE. A small run (or the command)
   is computed and published in one transaction. A big run is split into
   channel batches for several workers: each reads only its channels' facts,
   compares its rows with the published snapshots and stages the differences
   (new, changed, gone), and the batch that finishes last publishes the run
   in one transaction, writing only those (and dropping rows of older facts
   where another run published on its channels meanwhile). Either way the
   run's snapshots become visible together, or not at all, and a failure
   leaves the previous snapshots untouched.
3. Aggregation is set-based SQL: one scan of the sources per batch, GROUP BY
   channel, partner, ISO week and month into "pieces" (a week cut by a month's
   end is two); weeks and months are sums of pieces, quarters and years are
   rolled up from the published months under the publish lock (so they always
   agree with them). A run whose months will be exactly the published ones
   sums its quarters and years from its own months instead, in the same
   statement: a first recompute of every date, and the batches of a split run
   of every date that no other run published on meanwhile. Objectives are
   evaluated. Every write is proportional to
   the run's rows: index-backed anti-joins against an indexed table of them;
   or, when every channel of the run was last published from older facts
   (after an import on them, the common case), every row of the scope must be
   rewritten anyway, so the scope's rows are deleted and written anew,
   without building and comparing that table.
4. Rows are tagged with the channel's facts version read *before* the scan; a
   write never replaces a row computed from newer facts, so two runs of the
   same scope, or an old run finishing late, cannot leave stale numbers.

Ratios are never stored: snapshots hold additive components (METRICS.md s3),
and channelhub.metrics.formulas derives every ratio when read. revenue_share is derived when
read too, so it is right after any run whatever its scope.

This module stays long (about 1,000 lines) on purpose: claiming, batching,
publishing and the SQL they run share one set of invariants (the versions,
the run and publish locks, one publish per run), which are checked more
easily in one place than across modules. Telling a dead worker's job from a
busy one, for the sweeper, is in `recovery.py`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from channelhub.lib import locks
from channelhub.lib.dates import FACTS_STORED_END, FACTS_STORED_FIRST
from channelhub.lib.queue import send_task
from channelhub.metrics import periods
from channels_app.channels.models import Channel
from kpis.jobs import pause_point
from kpis.models import (
    ChannelDataState,
    IncentiveAccrual,
    KpiSnapshotStage,
    RecomputeBatch,
    RecomputeRun,
)
from partners.models import ProgramEnrollment

from . import sql
from .accruals import accruals_recompute
from .objectives import objectives_evaluate
from .signals import figures_changed
from .sources import FACT_VALUE_COLUMNS, other_sources_sql, union_sql

log = logging.getLogger(__name__)

# Channels per batch task when a run is split across workers. Measured on 2
# cores at 1M facts over 1,000 channels: one batch scans in ~0.5 s; 250-channel
# batches let 2 workers share the scan, and smaller ones only add task overhead.
BATCH_CHANNELS = 250
# Celery task names (kpis.tasks registers them; services queue by name).
RECOMPUTE_RUN_TASK = "kpis.recompute_run"
RECOMPUTE_BATCH_TASK = "kpis.recompute_batch"
LEASE = timedelta(minutes=55)  # above the tasks' soft time limit
PUBLISH_LOCK = 7_302_001  # pg_advisory_xact_lock key: one publish at a time
# pg_try_advisory_lock(RUN_LOCK, run id): held by the worker computing a run,
# from before its claim until it ends. A RUNNING run whose lock is free lost
# its worker (SIGKILL, OOM): it may be claimed again at once instead of after
# its lease, whether by a redelivered message (acks_late) or the sweeper.
RUN_LOCK = 7_302
# pg_try_advisory_lock(BATCH_LOCK, batch id): held by the worker computing a
# batch of a split run. A pending batch that was started (started_at) and whose
# lock is free lost its worker: the sweeper sends it again (recovery.py).
BATCH_LOCK = 7_303
# Fault tests only: when set, a run about to commit writes its id to this file
# and waits while the file exists, so a test can kill the worker at that point.
PAUSE_BEFORE_COMMIT_ENV = "CHANNELHUB_RECOMPUTE_PAUSE_FILE"
# In a batch's `versions`: the fingerprint of its channels' last publishes when
# it compared its rows with the snapshots (see publish).
PUBLISHED_MARK = "published"
FACT_KINDS = ("week", "month")  # aggregated from facts
ROLLUP_KINDS = ("quarter", "year")  # rolled up from published months
ALL_KINDS = (*FACT_KINDS, *ROLLUP_KINDS)

SUM_COLUMNS = (
    "spend",
    "revenue",
    "cogs",
    "incentive_cost",
    "orders",
    "units",
    "leads",
    "new_customers",
    "impressions",
    "clicks",
    "inventory_sum",
    "inventory_days",
    "nps_promoters",
    "nps_detractors",
    "nps_responses",
    "rating_sum",
    "rating_count",
)
ROW_COLUMNS = (*SUM_COLUMNS, "last_fact_day", "facts_version")
KEY_COLUMNS = ("channel_id", "partner_key", "period_kind", "period_start", "period_end")


@dataclass(frozen=True)
class Scope:
    channel_ids: tuple[int, ...]
    all_channels: bool
    start: date | None
    end: date | None
    kinds: tuple[str, ...]

    def kind_range(self, kind: str) -> tuple[date, date] | None:
        if self.start is None or self.end is None:
            return None
        return periods.snap_range(kind, self.start, self.end)

    @property
    def fact_kinds(self) -> tuple[str, ...]:
        kinds = [k for k in FACT_KINDS if k in self.kinds]
        if any(k in self.kinds for k in ROLLUP_KINDS) and "month" not in kinds:
            kinds.append("month")
        return tuple(kinds)

    def fact_range(self) -> tuple[date, date] | None:
        ranges = [r for r in (self.kind_range(k) for k in self.fact_kinds) if r]
        if not ranges:
            return None
        return min(r[0] for r in ranges), max(r[1] for r in ranges)

    def only(self, channel_ids: list[int]) -> Scope:
        return Scope(tuple(channel_ids), False, self.start, self.end, self.kinds)


def _lit(d: date) -> str:
    return f"'{d.isoformat()}'"


def _range_filter(column: str, bounds: tuple[date, date] | None) -> str:
    return f"AND {column} BETWEEN {_lit(bounds[0])} AND {_lit(bounds[1])}" if bounds else ""


# --- Requesting and claiming runs -----------------------------------------------------


def recompute_request(
    *,
    trigger: str,
    channel_ids: list[int] | None = None,
    start: date | None = None,
    end: date | None = None,
    requested_by: User | None = None,
    kinds: list[str] | None = None,
) -> RecomputeRun:
    """Write a queued run; a worker is woken once the transaction commits."""
    run = RecomputeRun.objects.create(
        trigger=trigger,
        channel_ids=sorted(set(channel_ids)) if channel_ids is not None else None,
        start_date=start,
        end_date=end,
        requested_by=requested_by,
        stats={"kinds": list(kinds or ALL_KINDS)},
    )
    transaction.on_commit(lambda: send_run(run.pk))
    return run


def bump_versions(channel_ids: list[int]) -> None:
    """Mark the channels' KPI inputs as changed, in the writer's transaction.

    Every write that changes what a snapshot would hold (facts, incentive
    terms, claims, customer feedback) bumps the version, so a run that read
    older inputs can never overwrite rows computed from newer ones.
    """
    if not channel_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO kpis_channeldatastate (channel_id, facts_version, published_version) "
            "SELECT id, 1, 0 FROM channels_app_channel "
            f"WHERE id IN ({sql.placeholders(channel_ids)}) "
            "ON CONFLICT (channel_id) DO UPDATE SET "
            "facts_version = kpis_channeldatastate.facts_version + 1"
        )


def data_changed(
    *,
    channel_ids: list[int],
    start: date | None = None,
    end: date | None = None,
    requested_by: User | None = None,
) -> RecomputeRun | None:
    """Call inside the transaction that changed KPI inputs of these channels
    over [start, end] (None = all dates): bumps their versions and queues an
    incremental recompute that runs once the transaction commits."""
    channel_ids = sorted(set(channel_ids))
    if not channel_ids:
        return None
    bump_versions(channel_ids)
    return recompute_request(
        trigger=RecomputeRun.Trigger.DATA,
        channel_ids=channel_ids,
        start=start if end else None,
        end=end if start else None,
        requested_by=requested_by,
    )


def send_run(run_id: int) -> bool:
    """Wake a worker for a run. If the broker is down the run stays queued and
    the sweeper sends it again later: the request that queued it still succeeds."""
    return send_task(RECOMPUTE_RUN_TASK, run_id, what=f"recompute run {run_id}")


def _claim(run_id: int, *, holder_lost: bool = False) -> RecomputeRun | None:
    """Take the run if it is queued, or running with an expired lease (killed
    worker), or running in one piece while nobody holds its RUN_LOCK (holder_lost)."""
    now = timezone.now()
    claimable = Q(status=RecomputeRun.Status.QUEUED) | Q(
        status=RecomputeRun.Status.RUNNING, lease_expires_at__lt=now
    )
    if holder_lost:
        # Split runs (batches_total > 0) are carried on by their batch tasks.
        claimable |= Q(status=RecomputeRun.Status.RUNNING, batches_total=0)
    claimed = RecomputeRun.objects.filter(claimable, pk=run_id).update(
        status=RecomputeRun.Status.RUNNING,
        started_at=now,
        lease_expires_at=now + LEASE,
        attempts=F("attempts") + 1,
        publish_claimed_at=None,
        error="",
    )
    return RecomputeRun.objects.get(pk=run_id) if claimed else None


def _scope(run: RecomputeRun) -> Scope:
    if run.channel_ids is None:
        ids = tuple(Channel.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = tuple(
            Channel.objects.filter(pk__in=run.channel_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    kinds = tuple(run.stats.get("kinds") or ALL_KINDS)
    return Scope(ids, run.channel_ids is None, run.start_date, run.end_date, kinds)


def recompute_fail(run_id: int, exc: BaseException | str) -> None:
    """Mark a run failed and drop its staging rows: published snapshots stay,
    and the scope's channels say their figures are stale (last_failed_run)."""
    with transaction.atomic():
        KpiSnapshotStage.objects.filter(run_id=run_id).delete()
        failed = (
            RecomputeRun.objects.filter(pk=run_id)
            .exclude(status=RecomputeRun.Status.SUCCEEDED)
            .update(
                status=RecomputeRun.Status.FAILED,
                finished_at=timezone.now(),
                error=(str(exc) or exc.__class__.__name__)[:4000],
                lease_expires_at=None,
            )
        )
        run = RecomputeRun.objects.filter(pk=run_id).only("channel_ids", "created_at").first()
        if failed and run is not None:
            mark_channels_stale(run)


def mark_channels_stale(run: RecomputeRun) -> None:
    """The channels of a failed run's scope whose figures were not published
    since it was asked for, and which no later run has failed for."""
    states = ChannelDataState.objects.filter(
        Q(published_at__isnull=True) | Q(published_at__lt=run.created_at),
        Q(last_failed_run__isnull=True) | Q(last_failed_run_id__lt=run.pk),
    )
    if run.channel_ids is not None:
        states = states.filter(channel_id__in=run.channel_ids)
    states.update(last_failed_run_id=run.pk)


# --- Running ---------------------------------------------------------------------------


def recompute_execute(run_id: int, *, inline: bool = False) -> RecomputeRun | None:
    """Claim and run `run_id`. Returns None if another worker has it.

    Inline (the command, tests) or small: computed and published here, in one
    transaction. Otherwise split into batch tasks; the last batch publishes.
    """
    if not locks.try_advisory_lock(RUN_LOCK, run_id):
        return None  # a live worker is on it (a duplicate delivery)
    try:
        run = _claim(run_id, holder_lost=sql.is_postgres())
        if run is None:
            return None
        scope = _scope(run)
        try:
            skipped = _rows_outside_stored_dates(scope)
            if skipped:
                log.warning("recompute run %s skips rows dated out of range: %s", run.pk, skipped)
                run.stats = {**run.stats, "skipped": skipped}
                RecomputeRun.objects.filter(pk=run.pk).update(stats=run.stats)
            if inline or len(scope.channel_ids) <= BATCH_CHANNELS:
                _run_in_one_transaction(run, scope)
            else:
                with transaction.atomic():
                    scope = _with_accruals(run, scope)
                _split(run, scope)
        except Exception as exc:
            recompute_fail(run.pk, exc)
            raise
        return RecomputeRun.objects.get(pk=run.pk)
    finally:
        _release_run_lock(run_id)


def _release_run_lock(run_id: int) -> None:
    try:
        locks.advisory_unlock(RUN_LOCK, run_id)
    except Exception:  # the connection is gone, and the lock with it
        log.warning("recompute run %s: lock already released with its connection", run_id)


def _with_accruals(run: RecomputeRun, scope: Scope) -> Scope:
    """Recompute the scope's incentive accruals first; a rebate changed by a
    January fact is dated at the end of its quarter, so the snapshot scope
    widens to the days the accruals are dated on (and stays recorded on the run)."""
    span = accruals_recompute(channel_ids=list(scope.channel_ids), start=scope.start, end=scope.end)
    if span is None or scope.start is None or scope.end is None:
        return scope
    start, end = min(scope.start, span[0]), max(scope.end, span[1])
    if (start, end) != (scope.start, scope.end):
        RecomputeRun.objects.filter(pk=run.pk).update(start_date=start, end_date=end)
    return Scope(scope.channel_ids, scope.all_channels, start, end, scope.kinds)


def _run_in_one_transaction(run: RecomputeRun, scope: Scope) -> None:
    started = time.monotonic()
    with transaction.atomic():
        if _has_accruals(scope):
            # Rewriting accruals is serialized with every publish (to commit).
            locks.advisory_xact_lock(PUBLISH_LOCK)
            scope = _with_accruals(run, scope)
        # (Without enrolments or accruals in the scope there is nothing to rewrite.)
        _session_tuning()
        timings: dict[str, Any] = {}
        with connection.cursor() as cursor:
            _create_versions(cursor, scope)
            t0 = time.monotonic()
            source = _create_pieces(cursor, scope)
            timings["scan"] = round(time.monotonic() - t0, 4)
            # The publish lock covers the writes, not the scan: the versions
            # read before the scan keep a run that waited here from writing
            # over rows computed from newer facts meanwhile.
            t0 = time.monotonic()
            locks.advisory_xact_lock(PUBLISH_LOCK)
            timings["publish_lock_wait"] = round(time.monotonic() - t0, 4)
            t0 = time.monotonic()
            folded, stored = _rollups_to_fold(cursor, scope)
            kinds = (*scope.fact_kinds, *folded)
            rows = _rows_from_pieces(source, scope.fact_kinds, scope, rollups=folded)
            timings["write"] = _write_kinds(
                cursor, run.pk, kinds, scope, rows, from_pieces=True, stored=stored
            )
            timings["+".join(kinds)] = round(time.monotonic() - t0, 4)
        _finish(run, scope, timings, started, rolled_up=folded)
        pause_point(PAUSE_BEFORE_COMMIT_ENV, run.pk)


def _has_accruals(scope: Scope) -> bool:
    """Whether the scope's channels have incentive accruals to rewrite."""
    ids = list(scope.channel_ids)
    return (
        ProgramEnrollment.objects.filter(partner__channel_id__in=ids).exists()
        or IncentiveAccrual.objects.filter(channel_id__in=ids).exists()
    )


def _split(run: RecomputeRun, scope: Scope) -> None:
    chunks = [
        list(scope.channel_ids[i : i + BATCH_CHANNELS])
        for i in range(0, len(scope.channel_ids), BATCH_CHANNELS)
    ]
    with transaction.atomic():
        RecomputeBatch.objects.filter(run=run).delete()
        KpiSnapshotStage.objects.filter(run_id=run.pk).delete()
        RecomputeBatch.objects.bulk_create(
            RecomputeBatch(run=run, index=i, channel_ids=chunk) for i, chunk in enumerate(chunks)
        )
        RecomputeRun.objects.filter(pk=run.pk).update(batches_total=len(chunks))
        transaction.on_commit(lambda: [send_batch(run.pk, i) for i in range(len(chunks))])


def batch_execute(run_id: int, index: int) -> None:
    """Compute one batch of a split run into staging; the last batch publishes.

    Idempotent: a redelivered batch that is done does nothing, and two
    deliveries at once are serialized by the lock on the batch row. The
    batch's advisory lock tells the sweeper its worker is alive.
    """
    batch_id = (
        RecomputeBatch.objects.filter(run_id=run_id, index=index)
        .values_list("pk", flat=True)
        .first()
    )
    if batch_id is None or not locks.try_advisory_lock(BATCH_LOCK, batch_id):
        return  # no such batch, or a live worker is on it
    try:
        RecomputeBatch.objects.filter(pk=batch_id, status=RecomputeBatch.Status.PENDING).update(
            started_at=timezone.now()
        )
        _batch_execute(run_id, index)
    finally:
        try:
            locks.advisory_unlock(BATCH_LOCK, batch_id)
        except Exception:  # the connection is gone, and the lock with it
            log.warning("recompute run %s batch %s: lock already released", run_id, index)


def send_batch(run_id: int, index: int) -> bool:
    return send_task(
        RECOMPUTE_BATCH_TASK, run_id, index, what=f"recompute run {run_id} batch {index}"
    )


def _batch_execute(run_id: int, index: int) -> None:
    with transaction.atomic():
        # The batch's row only: the model's ordering (by run) joins the run,
        # and FOR UPDATE would lock the run's row too, so that every batch of
        # the run waited for the one computing (two workers ran one at a time).
        batch = (
            RecomputeBatch.objects.select_for_update(of=("self",))
            .filter(run_id=run_id, index=index, status=RecomputeBatch.Status.PENDING)
            .order_by("pk")
            .first()
        )
        run = RecomputeRun.objects.filter(pk=run_id, status=RecomputeRun.Status.RUNNING).first()
        if run is None:
            return
        if batch is not None:
            _compute_batch(run, batch)
    # A batch already done (a redelivery, or the sweeper's resend after the
    # publisher died) only checks whether the run still needs publishing.
    _publish_if_last(run_id)


def _compute_batch(run: RecomputeRun, batch: RecomputeBatch) -> None:
    """Aggregate the batch's channels and compare them with the published
    snapshots here, in parallel with the other batches: only rows that are new
    or changed are staged, and published rows no longer computed are staged
    for deletion, so the run's one publish writes only the differences (a
    nightly recompute of unchanged data stages nothing)."""
    run_id = run.pk
    scope = _scope(run).only(batch.channel_ids)
    _session_tuning()
    with connection.cursor() as cursor:
        started = time.monotonic()
        versions: dict[str, Any] = dict(_create_versions(cursor, scope))
        source = _create_pieces(cursor, scope)
        # Read before the comparison: if a publish lands on these channels
        # after this read, the run's publish sees it and drops their rows
        # older than this batch's facts (see publish).
        versions[PUBLISHED_MARK] = _published_mark(cursor)
        rollups = _rollups_in_batches(scope)
        kinds = (*scope.fact_kinds, *rollups)
        batch.rows = _create_run_rows(
            cursor, _rows_from_pieces(source, scope.fact_kinds, scope, rollups=rollups)
        )
        _drop_pieces(cursor)
        columns = ", ".join(("run_id", *KEY_COLUMNS, *ROW_COLUMNS, "action"))
        cursor.execute(
            f"INSERT INTO kpis_kpisnapshotstage ({columns}) "
            f"SELECT {int(run_id)}, {', '.join('r.' + c for c in (*KEY_COLUMNS, *ROW_COLUMNS))}, "
            f"{int(KpiSnapshotStage.Action.WRITE)} FROM kpis_run_rows r "
            f"WHERE NOT EXISTS (SELECT 1 FROM kpis_kpisnapshot WHERE {_SAME_KEY} "
            f"AND {_kinds_in_scope(kinds, scope)} "
            f"AND kpis_kpisnapshot.facts_version = r.facts_version AND NOT ({_CHANGED}))",
            [],
        )
        zeros = ", ".join("0" for _ in SUM_COLUMNS)
        cursor.execute(
            f"INSERT INTO kpis_kpisnapshotstage ({columns}) "
            f"SELECT {int(run_id)}, {', '.join(KEY_COLUMNS)}, {zeros}, NULL, facts_version, "
            f"{int(KpiSnapshotStage.Action.DELETE)} "
            f"FROM kpis_kpisnapshot WHERE {_kinds_in_scope(kinds, scope)} "
            f"AND NOT EXISTS (SELECT 1 FROM kpis_run_rows r WHERE {_SAME_KEY})",
            [],
        )
        sql.run_all(cursor, _drops(_RUN_TABLES))
        scan = time.monotonic() - started
    batch.versions = versions
    batch.status = RecomputeBatch.Status.DONE
    batch.finished_at = timezone.now()
    batch.save(update_fields=["rows", "versions", "status", "finished_at"])
    RecomputeRun.objects.filter(pk=run_id).update(lease_expires_at=timezone.now() + LEASE)
    log.info(
        "recompute run %s batch %s: %s rows, scan %.3fs", run_id, batch.index, batch.rows, scan
    )


def _rollups_in_batches(scope: Scope) -> tuple[str, ...]:
    """The quarters and years that a split run's batches sum from their own
    months and stage with them, when the run covers every date of its
    channels: its publish then leaves each channel's months exactly as its
    batch computed them, so the batch's quarters and years are those a roll-up
    of the published months would give. The publish, which holds the lock
    every other run waits for, then only writes differences, instead of
    rolling up every channel's quarters and years (1.8 s of a 10M-fact run's
    22 s, on one worker while the others idled). When another run published
    on its channels meanwhile, the publish rolls them up as before (publish)."""
    if scope.start is not None or scope.end is not None:
        return ()
    return tuple(k for k in ROLLUP_KINDS if k in scope.kinds)


def _published_mark(cursor: Any) -> str:
    """A fingerprint of when each channel of kpis_run_versions was last published."""
    cursor.execute(
        "SELECT v.channel_id, s.published_at FROM kpis_run_versions v "
        "LEFT JOIN kpis_channeldatastate s ON s.channel_id = v.channel_id ORDER BY v.channel_id"
    )
    text = ";".join(f"{channel}:{published}" for channel, published in cursor.fetchall())
    return hashlib.sha256(text.encode()).hexdigest()


def _publish_if_last(run_id: int) -> None:
    """Publish the run once no batch is pending, holding its RUN_LOCK meanwhile:
    a publisher killed mid-way frees it, and the sweeper has the run published
    again at once (recovery.orphaned_publishes) instead of after its lease."""
    if RecomputeBatch.objects.filter(run_id=run_id, status=RecomputeBatch.Status.PENDING).exists():
        return
    if not locks.try_advisory_lock(RUN_LOCK, run_id):
        return  # another worker is publishing it
    try:
        claimed = RecomputeRun.objects.filter(
            pk=run_id, status=RecomputeRun.Status.RUNNING, publish_claimed_at__isnull=True
        ).update(publish_claimed_at=timezone.now())
        if claimed:
            publish(run_id)
    finally:
        _release_run_lock(run_id)


def publish(run_id: int) -> None:
    """Make a split run's staged rows the current snapshots, atomically."""
    started = time.monotonic()
    try:
        with transaction.atomic():
            locks.advisory_xact_lock(PUBLISH_LOCK)
            run = RecomputeRun.objects.select_for_update().get(pk=run_id)
            if run.status != RecomputeRun.Status.RUNNING:
                return
            scope = _scope(run)
            versions: dict[int, int] = {}
            batches = list(run.batches.values_list("channel_ids", "versions"))
            for _channels, batch_versions in batches:
                versions.update(
                    {int(k): int(v) for k, v in batch_versions.items() if k != PUBLISHED_MARK}
                )
            timings: dict[str, Any] = {}
            with connection.cursor() as cursor:
                # The batches whose channels were published on by another run
                # since they compared (their fingerprint changed).
                overtaken: list[int] = []
                for channels, batch_versions in batches:
                    _load_versions(cursor, channels, versions)
                    if _published_mark(cursor) != batch_versions.get(PUBLISHED_MARK):
                        overtaken += channels
                _load_versions(cursor, scope.channel_ids, versions)
                # The batches' quarters and years sum their months; they are
                # the published months' only if no run published on these
                # channels since the batches read their versions.
                rollups = _rollups_in_batches(scope)
                if rollups and (overtaken or _newer_published(cursor)):
                    rollups = ()
                kinds = (*scope.fact_kinds, *rollups)
                t0 = time.monotonic()
                _apply_differences(cursor, run_id, scope, kinds)
                if overtaken:
                    _drop_older_rows(cursor, overtaken, scope)
                timings["publish"] = "differences" + (", older rows dropped" if overtaken else "")
                timings["+".join(kinds)] = round(time.monotonic() - t0, 4)
            KpiSnapshotStage.objects.filter(run_id=run_id).delete()
            _finish(run, scope, timings, started, rolled_up=rollups)
    except Exception as exc:
        recompute_fail(run_id, exc)
        raise


def _finish(
    run: RecomputeRun,
    scope: Scope,
    timings: dict[str, Any],
    started: float,
    *,
    rolled_up: tuple[str, ...] = (),
) -> None:
    """Roll up quarters and years (but those `rolled_up` with the run's rows
    already), refresh data states and objectives, close the run."""
    with connection.cursor() as cursor:
        rollups = tuple(k for k in ROLLUP_KINDS if k in scope.kinds and k not in rolled_up)
        if rollups:
            t0 = time.monotonic()
            _rollup(cursor, run.pk, rollups, scope)
            timings["+".join(rollups)] = round(time.monotonic() - t0, 4)
        _refresh_data_states(cursor, run.pk)
    t0 = time.monotonic()
    evaluated = objectives_evaluate(
        channel_ids=list(scope.channel_ids), start=scope.start, end=scope.end
    )
    timings["objectives"] = round(time.monotonic() - t0, 4)
    timings["total"] = round(time.monotonic() - started, 4)
    # Stored dashboard renders go stale when this commits; a worker renders
    # the default views of the new data right after (kpis.dashboards listens).
    figures_changed.send(sender=RecomputeRun, run_id=run.pk)
    run.status = RecomputeRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.lease_expires_at = None
    run.stats = {**run.stats, "timings": timings, "objectives_evaluated": evaluated}
    run.save(update_fields=["status", "finished_at", "lease_expires_at", "stats"])
    log.info("recompute run %s done in %.3fs %s", run.pk, timings["total"], timings)


# --- The SQL -----------------------------------------------------------------------------


def _session_tuning() -> None:
    if sql.is_postgres():
        with connection.cursor() as cursor:
            # The scan groups ~1M rows; the default 4 MB spills to disk. The
            # snapshots and the run's tables are in memory: an index probe
            # costs about what a sequential read does, so small runs look
            # their keys up instead of hashing a whole table.
            sql.run_all(cursor, sql.set_local({"work_mem": "'512MB'", "random_page_cost": "1.1"}))


def _create_versions(cursor: Any, scope: Scope) -> dict[str, int]:
    """Read the channels' facts versions BEFORE scanning the facts."""
    # Every statement of the run joins it on the channel: index-backed joins.
    sql.run_all(
        cursor,
        [
            ("DROP TABLE IF EXISTS kpis_run_versions", []),
            (
                "CREATE TEMP TABLE kpis_run_versions AS "
                "SELECT c.id AS channel_id, COALESCE(s.facts_version, 0) AS facts_version "
                "FROM channels_app_channel c "
                "LEFT JOIN kpis_channeldatastate s ON s.channel_id = c.id "
                f"WHERE c.id IN ({sql.placeholders(list(scope.channel_ids)) or 'NULL'})",
                [],
            ),
            (
                "CREATE UNIQUE INDEX kpis_run_versions_channel ON kpis_run_versions (channel_id)",
                [],
            ),
            ("ANALYZE kpis_run_versions", []),
            ("SELECT channel_id, facts_version FROM kpis_run_versions", []),
        ],
    )
    return {str(channel_id): int(version) for channel_id, version in cursor.fetchall()}


def _load_versions(cursor: Any, channel_ids: Any, versions: dict[int, int]) -> None:
    pairs = [(int(c), int(versions.get(int(c), 0))) for c in channel_ids]
    sql.run_all(
        cursor,
        [
            ("DROP TABLE IF EXISTS kpis_run_versions", []),
            (
                "CREATE TEMP TABLE kpis_run_versions "
                "(channel_id bigint PRIMARY KEY, facts_version bigint)",
                [],
            ),
            *(
                (
                    "INSERT INTO kpis_run_versions (channel_id, facts_version) VALUES "
                    + ", ".join(f"({c}, {v})" for c, v in pairs[i : i + 1000]),
                    [],
                )
                for i in range(0, len(pairs), 1000)  # one statement per 1,000 channels
            ),
            ("ANALYZE kpis_run_versions", []),
        ],
    )


# The additive columns a piece carries (inventory_days comes from its mask).
_PIECE_SUMS = tuple(c for c in SUM_COLUMNS if c != "inventory_days")


def _source_sums() -> str:
    """The sums of every source's columns, in _PIECE_SUMS' order."""
    return ", ".join(
        f"COALESCE({sql.sum_int('inventory_value')}, 0) AS inventory_sum"
        if c == "inventory_sum"
        else f"{sql.sum_int(c)} AS {c}"
        for c in _PIECE_SUMS
    )


# Every source row read is dated inside the facts table's stored bounds: a row
# outside them (written behind the import's back) would make periods that do not
# exist (year 10000) and fail the whole run. Such rows are counted and named on
# the run instead (_rows_outside_stored_dates).
_STORED_DAYS = f"day >= {_lit(FACTS_STORED_FIRST)} AND day < {_lit(FACTS_STORED_END)}"


def _channel_filter(scope: Scope) -> str:
    channel_list = sql.placeholders(list(scope.channel_ids)) or "NULL"
    return "1=1" if scope.all_channels else f"channel_id IN ({channel_list})"


def _fact_filter(scope: Scope) -> str:
    where = f"{_channel_filter(scope)} AND {_STORED_DAYS}"
    fact_range = scope.fact_range()
    if fact_range:
        where += f" AND day BETWEEN {_lit(fact_range[0])} AND {_lit(fact_range[1])}"
    return where


def _rows_outside_stored_dates(scope: Scope) -> dict[str, Any] | None:
    """How many of the scope's source rows the run skips for their date, and the
    first of them (a scope whose range lies inside the bounds skips none)."""
    fact_range = scope.fact_range()
    if fact_range and fact_range[0] >= FACTS_STORED_FIRST and fact_range[1] < FACTS_STORED_END:
        return None
    outside = f"{_channel_filter(scope)} AND NOT ({_STORED_DAYS})"
    # The facts' own check holds their days inside the bounds, unless someone
    # dropped it (or it is not validated): then they are read too.
    sources = other_sources_sql if _facts_days_checked() else union_sql
    with connection.cursor() as cursor:
        # One scan; the first row by (day, channel) is named in the warning.
        cursor.execute(
            f"SELECT COUNT(*), MIN(day) FROM (SELECT day FROM ({sources(outside)}) src) s"
        )
        count, first_day = cursor.fetchone()
        if not count:
            return None
        cursor.execute(
            f"SELECT channel_id FROM ({sources(outside)}) src WHERE day = %s "
            "ORDER BY channel_id LIMIT 1",
            [first_day],
        )
        channel_id = cursor.fetchone()[0]
    channel = Channel.objects.filter(pk=channel_id).values_list("name", flat=True).first()
    return {
        "rows": int(count),
        "day": str(first_day)[:10],
        "channel": channel or f"#{channel_id}",
    }


def _facts_days_checked() -> bool:
    """Whether PostgreSQL enforces the facts' date bounds (their validated
    check constraint, whose bounds are _STORED_DAYS'): no fact row can lie
    outside them, so looking for one would read the whole table for nothing.
    SQLite can ignore checks (a pragma), so there the facts are always read."""
    if not sql.is_postgres():
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_constraint WHERE conrelid = 'kpis_dailyfact'::regclass "
            "AND conname = 'dailyfact_day_in_range' AND convalidated"
        )
        return cursor.fetchone() is not None


def _create_pieces(cursor: Any, scope: Scope) -> str:
    """The run's one scan of its sources: sums per channel, partner, ISO week and
    month (a week cut at a month's end is two pieces) into `kpis_run_pieces`.

    Weeks and months are both sums of pieces, quarters and years sums of months,
    so nothing reads the facts twice. Each piece keeps the weekdays that
    reported stock as a 7-bit mask (sql.weekday_bit): a channel's day counts
    once in its inventory days however many of its partners reported stock.

    Returns the SQL of the pieces the periods are summed from: per channel
    (partner_key 0, all its rows) and per partner, with their inventory days.
    """
    fy = periods.fiscal_start_month()
    month = sql.period_start_sql("month", "day", fy)
    if "week" in scope.fact_kinds:
        week, bit, width = sql.period_start_sql("week", "day", fy), sql.weekday_bit("day"), 7
    else:
        # No weeks asked for: a piece is a month, its mask the days of the month.
        week, bit, width = month, sql.month_day_bit("day"), 31
    stock = sql.bit_or(f"CASE WHEN inventory_value IS NOT NULL THEN {bit} ELSE 0 END", width)
    keys = f"channel_id, partner_key, {week} AS week_start, {month} AS month_start"
    fact_sums = ", ".join(
        f"{sql.sum_int(c)} AS {c}"
        if c in FACT_VALUE_COLUMNS
        else f"COALESCE({sql.sum_int('inventory_value')}, 0) AS inventory_sum"
        if c == "inventory_sum"
        else f"0 AS {c}"
        for c in _PIECE_SUMS
    )
    where = _fact_filter(scope)
    # The facts, by far the biggest source, are summed with their own columns
    # only, by a CREATE TABLE AS (PostgreSQL runs its scan in parallel workers;
    # an INSERT ... SELECT it would not).
    sql.run_all(
        cursor,
        [
            *_drops(_PIECE_TABLES),
            (
                f"CREATE TEMP TABLE kpis_run_pieces AS SELECT {keys}, {fact_sums}, "
                f"{stock} AS stock_mask, MAX(day) AS last_fact_day "
                f"FROM kpis_dailyfact WHERE {where} GROUP BY 1, 2, 3, 4",
                [],
            ),
            (
                f"INSERT INTO kpis_run_pieces SELECT {keys}, {_source_sums()}, "
                f"{stock} AS stock_mask, MAX(CASE WHEN is_fact = 1 THEN day END) AS last_fact_day "
                f"FROM ({other_sources_sql(where)}) src GROUP BY 1, 2, 3, 4",
                [],
            ),
        ],
    )
    if cursor.rowcount:
        # Feedback or accruals on a piece that has facts too: one row per piece.
        sums = ", ".join(f"{sql.sum_int(c)} AS {c}" for c in _PIECE_SUMS)
        cursor.execute(
            "CREATE TEMP TABLE kpis_run_parts AS SELECT channel_id, partner_key, week_start, "
            f"month_start, {sums}, {sql.bit_or('stock_mask', width)} AS stock_mask, "
            "MAX(last_fact_day) AS last_fact_day FROM kpis_run_pieces GROUP BY 1, 2, 3, 4",
            [],
        )
        cursor.execute("DROP TABLE kpis_run_pieces")
        cursor.execute("ALTER TABLE kpis_run_parts RENAME TO kpis_run_pieces")
    plain = ", ".join(_PIECE_SUMS)
    cursor.execute("SELECT 1 FROM kpis_run_pieces WHERE partner_key <> 0 LIMIT 1")
    if cursor.fetchone() is None:
        # No partner rows: each piece is its channel's whole piece.
        return (
            f"SELECT channel_id, partner_key, week_start, month_start, {plain}, "
            f"{sql.bits_set('stock_mask', width)} AS inventory_days, last_fact_day "
            "FROM kpis_run_pieces"
        )
    # The channels' own pieces (all their partners' and their own rows) are
    # the small table; each partner's pieces are read where they lie.
    piece_sums = ", ".join(f"{sql.sum_int(c)} AS {c}" for c in _PIECE_SUMS)
    cursor.execute(
        "CREATE TEMP TABLE kpis_run_totals AS "
        f"SELECT channel_id, 0 AS partner_key, week_start, month_start, {piece_sums}, "
        f"{sql.bits_set_of_or('stock_mask', width)} AS inventory_days, "
        "MAX(last_fact_day) AS last_fact_day "
        "FROM kpis_run_pieces GROUP BY channel_id, week_start, month_start",
        [],
    )
    return (
        f"SELECT channel_id, partner_key, week_start, month_start, {plain}, "
        f"{sql.bits_set('stock_mask', width)} AS inventory_days, last_fact_day "
        "FROM kpis_run_pieces WHERE partner_key <> 0 UNION ALL SELECT * FROM kpis_run_totals"
    )


# The run's temporary tables (one session: a worker runs one job at a time).
_PIECE_TABLES = ("kpis_run_pieces", "kpis_run_parts", "kpis_run_totals")
_RUN_TABLES = ("kpis_run_versions", "kpis_run_rows", *_PIECE_TABLES)


def _drops(tables: tuple[str, ...]) -> list[tuple[str, list[Any]]]:
    return [(f"DROP TABLE IF EXISTS {table}", []) for table in tables]


def _drop_pieces(cursor: Any) -> None:
    sql.run_all(cursor, _drops(_PIECE_TABLES))


def _rows_from_pieces(
    source: str, kinds: tuple[str, ...], scope: Scope, *, rollups: tuple[str, ...] = ()
) -> str:
    """KEY + ROW columns of every channel (partner_key 0 = all its rows) and every
    partner, per period of each of `kinds` (week, month), summed from `source`;
    and of `rollups` (quarter, year) summed from those months (_rollups_to_fold)."""
    sums = ", ".join(f"{sql.sum_int(c)} AS {c}" for c in SUM_COLUMNS)
    columns = ", ".join(f"g.{c}" for c in SUM_COLUMNS)
    selects = []
    for kind in kinds:
        start = "week_start" if kind == "week" else "month_start"
        bounds = scope.kind_range(kind)
        # Only whole periods of this kind (the scanned day range may cover more).
        where = f"WHERE {start} BETWEEN {_lit(bounds[0])} AND {_lit(bounds[1])}" if bounds else ""
        grouped = (
            f"SELECT channel_id, partner_key, {start} AS period_start, {sums}, "
            f"MAX(last_fact_day) AS last_fact_day FROM ({source}) p {where} GROUP BY 1, 2, 3"
        )
        if kind == "week":
            # Most weeks lie inside one month: their one piece is the week.
            whole = (
                f"week_start >= month_start AND {sql.period_end_sql('week', 'week_start')} "
                f"<= {sql.period_end_sql('month', 'month_start')}"
            )
            also = "AND" if where else "WHERE"
            grouped = (
                f"SELECT channel_id, partner_key, week_start AS period_start, "
                f"{', '.join(SUM_COLUMNS)}, last_fact_day FROM ({source}) p "
                f"{where} {also} {whole} UNION ALL "
                f"SELECT channel_id, partner_key, week_start AS period_start, {sums}, "
                f"MAX(last_fact_day) AS last_fact_day FROM ({source}) p "
                f"{where} {also} NOT ({whole}) GROUP BY 1, 2, 3"
            )
        selects.append(
            f"SELECT g.channel_id, g.partner_key, '{kind}' AS period_kind, g.period_start, "
            f"{sql.period_end_sql(kind, 'g.period_start')} AS period_end, {columns}, "
            f"g.last_fact_day, v.facts_version FROM ({grouped}) g "
            "JOIN kpis_run_versions v ON v.channel_id = g.channel_id"
        )
    if not rollups:
        return " UNION ALL ".join(selects)
    # The months once, for their own rows and for the quarters and years.
    months = selects[kinds.index("month")]
    selects[kinds.index("month")] = "SELECT * FROM run_months"
    selects += [_rollup_select(kind, "run_months") for kind in rollups]
    return f"WITH run_months AS ({months}) {' UNION ALL '.join(selects)}"


_KEY = "channel_id, period_kind, period_start, partner_key"
_KEY_ORDER = ", ".join(f"r.{c}" for c in _KEY.split(", "))
# Periods start between 1999-01-01 (a fiscal year of the facts' first day)
# and 2100-12-31: days since then fit in 16 bits, the kind in 2 more.
_PACK_EPOCH = "DATE '1999-01-01'"
_PACK_MAX_CHANNEL = 1 << 40  # channel_id << 18 stays far inside a bigint


def _key_order(scope: Scope) -> str:
    """ORDER BY for writing the run's rows `r` in primary-key order.

    On PostgreSQL, channel, kind and start packed into one bigint, then the
    partner: the same order, but a sort by one by-value key compares in its
    slot, where the four columns' ties (a channel's ~2,000 rows) each read
    two wide rows from memory. Sorting a table of the 1.9M rows of 10M facts
    took 1.2 s instead of 4.1 s; inside the first recompute, whose sort reads
    rows as they are produced, the write took 0.6 s less (13.0 s against
    13.7 s, three runs each, taking turns on one database).
    """
    if not sql.is_postgres() or (scope.channel_ids and max(scope.channel_ids) >= _PACK_MAX_CHANNEL):
        return _KEY_ORDER
    kind = " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(sorted(ALL_KINDS)))
    return (
        f"r.channel_id * 262144 + (CASE r.period_kind {kind} END) * 65536 "
        f"+ (r.period_start - {_PACK_EPOCH}), r.partner_key"
    )


_UPDATE_SET = ", ".join(f"{c} = r.{c}" for c in ("period_end", *ROW_COLUMNS))
_TARGET = ", ".join((*KEY_COLUMNS, *ROW_COLUMNS, "run_id", "computed_at"))
_CHANGED = " OR ".join(
    sql.distinct(f"kpis_kpisnapshot.{c}", f"r.{c}")
    for c in ("period_end", *SUM_COLUMNS, "last_fact_day")
)
_SAME_KEY = (
    "r.channel_id = kpis_kpisnapshot.channel_id AND r.period_kind = kpis_kpisnapshot.period_kind "
    "AND r.partner_key = kpis_kpisnapshot.partner_key "
    "AND r.period_start = kpis_kpisnapshot.period_start"
)


def _create_run_rows(cursor: Any, rows_sql: str) -> int:
    """The run's rows in `kpis_run_rows`, indexed by key: whatever the planner
    estimates, the anti-joins against it look each key up once (a nested loop
    over an unindexed table is quadratic), with fresh statistics. Returns how
    many rows the run computed."""
    sql.run_all(
        cursor,
        [
            ("DROP TABLE IF EXISTS kpis_run_rows", []),
            (f"CREATE TEMP TABLE kpis_run_rows AS {rows_sql}", []),
            (
                f"CREATE UNIQUE INDEX kpis_run_rows_key ON kpis_run_rows ({_KEY})",
                [],
            ),
            # The key's statistics are all the anti-joins' plans need (a
            # third of the time of all 24 columns').
            (
                f"ANALYZE kpis_run_rows ({_KEY})" if sql.is_postgres() else "ANALYZE kpis_run_rows",
                [],
            ),
            ("SELECT COUNT(*) FROM kpis_run_rows", []),
        ],
    )
    return int(cursor.fetchone()[0])


# The channels of kpis_run_versions published from newer facts than the run read.
_PUBLISHED_NEWER = (
    "SELECT 1 FROM kpis_run_versions v JOIN kpis_channeldatastate st "
    "ON st.channel_id = v.channel_id WHERE st.published_version > v.facts_version"
)


def _newer_published(cursor: Any) -> bool:
    """Whether a channel of kpis_run_versions was published from newer facts
    than the run read."""
    cursor.execute(f"SELECT EXISTS ({_PUBLISHED_NEWER})")
    return bool(cursor.fetchone()[0])


def _apply_differences(cursor: Any, run_id: int, scope: Scope, kinds: tuple[str, ...]) -> None:
    """Publish a split run whose batches compared against the snapshots as
    they still are: delete what they found gone, write what they found new or
    changed (a row computed from newer facts is still left alone); of `kinds`
    only (staged quarters and years are left out when the publish rolls them up)."""
    stage = f"kpis_kpisnapshotstage WHERE run_id = {int(run_id)}"
    of_kinds = "period_kind IN ({})".format(", ".join(f"'{k}'" for k in kinds))
    cursor.execute(
        "DELETE FROM kpis_kpisnapshot WHERE EXISTS (SELECT 1 FROM kpis_kpisnapshotstage r "
        f"JOIN kpis_run_versions v ON v.channel_id = r.channel_id WHERE r.run_id = {int(run_id)} "
        f"AND r.action = 2 AND r.{of_kinds} AND {_SAME_KEY} "
        "AND kpis_kpisnapshot.facts_version <= v.facts_version)",
        [],
    )
    columns = ", ".join((*KEY_COLUMNS, *ROW_COLUMNS))
    _write_kinds(
        cursor, run_id, kinds, scope,
        f"SELECT {columns} FROM {stage} AND action = 1 AND {of_kinds}",
        delete_missing=False,
    )  # fmt: skip


def _drop_older_rows(cursor: Any, channel_ids: list[int], scope: Scope) -> None:
    """Another run published on these channels after their batch compared:
    once the differences are applied, every row the batch computed carries
    the facts version it was computed from, or a newer one (a row the batch
    found unchanged already did, and a run of older facts leaves it alone).
    Their rows of the scope from older facts are periods the batch found
    without data: deleted, as the comparison would have staged them."""
    ids = sql.placeholders(sorted(channel_ids))
    for kind in scope.fact_kinds:
        cursor.execute(
            f"DELETE FROM kpis_kpisnapshot WHERE channel_id IN ({ids}) "
            f"AND period_kind = '{kind}' "
            f"{_range_filter('period_start', scope.kind_range(kind))} "
            "AND facts_version < (SELECT v.facts_version FROM kpis_run_versions v "
            "WHERE v.channel_id = kpis_kpisnapshot.channel_id)",
            [],
        )


def _kinds_in_scope(kinds: tuple[str, ...], scope: Scope, table: str = "kpis_kpisnapshot") -> str:
    """The snapshot rows of `kinds` inside the scope's date range (per kind):
    per channel of the scope, one range of the primary key for each kind."""
    parts = []
    for kind in kinds:
        bounds = scope.kind_range(kind)
        parts.append(
            f"({table}.period_kind = '{kind}' {_range_filter(f'{table}.period_start', bounds)})"
        )
    # A batch's channels are a run of consecutive ids: their bounds keep a
    # merge join from reading the key from the first channel on.
    channels = (
        f"AND {table}.channel_id BETWEEN {min(scope.channel_ids)} AND {max(scope.channel_ids)} "
        if scope.channel_ids and not scope.all_channels
        else ""
    )
    return (
        f"{table}.channel_id IN (SELECT channel_id FROM kpis_run_versions) {channels}"
        f"AND ({' OR '.join(parts)})"
    )


@dataclass(frozen=True)
class _Stored:
    """What a run's writes depend on, read in one query before them."""

    any_rows: bool  # the scope has snapshot rows of the kinds already
    newer: bool  # a channel of the run was published from newer facts than it read
    table_rows: float  # the snapshots' size as the planner knows it (0: unknown)
    # Every channel of the run was last published from older facts than it
    # read: each of its stored rows carries an older version, so every row of
    # the scope is rewritten whatever its values (_write_kinds replaces them).
    all_older: bool = False


def _stored(cursor: Any, kinds: tuple[str, ...], scope: Scope) -> _Stored:
    """One kind at a time inside the query: each is a range of the primary
    key per channel."""
    probes = " UNION ALL ".join(
        f"SELECT 1 FROM (SELECT 1 FROM kpis_kpisnapshot "
        f"WHERE {_kinds_in_scope((kind,), scope)} LIMIT 1) k{i}"
        for i, kind in enumerate(kinds)
    )
    cursor.execute(
        f"SELECT (SELECT COUNT(*) FROM ({probes}) probes), "
        f"(SELECT COUNT(*) FROM ({_PUBLISHED_NEWER}) newer), "
        f"{sql.table_rows_estimate('kpis_kpisnapshot')}, "
        # A channel never published, or published from the facts this run read
        # (or newer), may hold rows the run would leave as they are.
        "(SELECT COUNT(*) FROM kpis_run_versions v LEFT JOIN kpis_channeldatastate st "
        "ON st.channel_id = v.channel_id "
        "WHERE st.published_version IS NULL OR st.published_version >= v.facts_version)"
    )
    any_rows, newer, table_rows, not_older = cursor.fetchone()
    return _Stored(
        bool(any_rows), bool(newer), max(float(table_rows or 0), 0.0), all_older=not not_older
    )


def _write_kinds(
    cursor: Any,
    run_id: int,
    kinds: tuple[str, ...],
    scope: Scope,
    rows_sql: str,
    *,
    guard_version: bool = True,
    delete_missing: bool = True,
    from_pieces: bool = False,
    stored: _Stored | None = None,
) -> str:
    """Make the scope's rows of `kinds` equal to `rows_sql` (KEY + ROW columns).

    Under the publish lock (the only writer of snapshots), in three steps
    each proportional to the run's rows: rows of the scope the new set lacks
    are deleted (a period with no data any more), rows whose values changed
    are updated, new keys are inserted; rows whose values did not change are
    not rewritten, so a nightly recompute of unchanged data writes almost
    nothing. With `guard_version`, a row computed from newer facts (by a later
    run) is left alone. `from_pieces`: the rows come from this run's pieces,
    whose number decides whether a first recompute is a bulk one (`_bulk`).
    `stored`: what `_stored` already found for exactly these kinds, if asked.

    Returns how it wrote (the run's stats show it): "inserted" (nothing was
    stored in the scope), "replaced" (every stored row of the scope came from
    older facts, as after an import: deleted and written anew, without a
    comparison that could only find them all changed) or "compared".
    """
    if not kinds:
        return ""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    if stored is None:
        stored = _stored(cursor, kinds, scope)
    if not stored.any_rows:
        # Nothing stored in the scope yet (a first recompute): insert straight
        # away; into the bare table when it is empty and the run big, its
        # indexes built after (sql.set_indexes_aside: readers of the empty
        # snapshots wait for them, a third of the time it took otherwise).
        bulk = from_pieces and _bulk(cursor)  # (asked only here: not on the daily runs' path)
        rebuild = sql.set_indexes_aside(cursor, "kpis_kpisnapshot") if bulk else []
        # Sorted by the key even when the indexes are built after: a
        # channel's rows of a kind then lie together on disk, and a later
        # run's lookups and roll-ups read a few pages per channel instead of
        # one per row. Grouped by channel only (a sort of one column, 4 s less
        # at 10M facts), the next nightly recompute in batches took 48 s
        # instead of 38 s and the next day's recompute 0.66-0.88 s instead of
        # 0.49 s (in the aggregation's order, 0.98 s against 0.54-0.77 s).
        cursor.execute(
            f"INSERT INTO kpis_kpisnapshot ({_TARGET}) SELECT r.*, %s, %s "
            f"FROM ({rows_sql}) r ORDER BY {_key_order(scope)}",
            [run_id, now],
        )
        inserted = cursor.rowcount
        if rebuild:
            sql.run_all(cursor, rebuild)
        _analyze_if_grown(cursor, inserted)
        return "inserted"
    if delete_missing and stored.all_older:
        # Every row of the scope will be rewritten (its facts version moved,
        # as after any import on these channels; a quarter or year rolls up
        # months this run just wrote with that version): replace the scope's
        # rows instead of comparing them one by one. Per kind, a range of the
        # primary key per channel; looked up key by key for a bounded scope.
        bounded = scope.start is not None and scope.end is not None
        replace_all = [
            *(_by_key(True) if bounded else []),
            *(
                (f"DELETE FROM kpis_kpisnapshot WHERE {_kinds_in_scope((kind,), scope)}", [])
                for kind in kinds
            ),
            *(_by_key(False) if bounded else []),
            (
                f"INSERT INTO kpis_kpisnapshot ({_TARGET}) SELECT r.*, %s, %s "
                f"FROM ({rows_sql}) r ORDER BY {_key_order(scope)}",
                [run_id, now],
            ),
        ]
        sql.run_all(cursor, replace_all)
        _analyze_if_grown(cursor, cursor.rowcount)
        return "replaced"
    computed = _create_run_rows(cursor, rows_sql)
    # Only when a channel of the run was published from newer facts since the
    # run read its versions (rare) can a row of the scope be newer than the
    # run: then each row's version is compared with the run's.
    version_guard = (
        "AND kpis_kpisnapshot.facts_version <= (SELECT v.facts_version FROM kpis_run_versions v "
        "WHERE v.channel_id = kpis_kpisnapshot.channel_id) "
        if guard_version and stored.newer
        else ""
    )
    # A run of a small part of the table joins its rows with the snapshots
    # key by key; one of most of the table hashes them.
    by_key = computed < 0.2 * stored.table_rows or not stored.table_rows
    statements: list[tuple[str, list[Any]]] = []
    if delete_missing:
        # One statement per kind: "this kind, these dates" is a range of the
        # primary key per channel, where an OR of kinds would read the whole table.
        statements += [
            (
                f"DELETE FROM kpis_kpisnapshot WHERE {_kinds_in_scope((kind,), scope)} "
                f"{version_guard}AND NOT EXISTS (SELECT 1 FROM kpis_run_rows r WHERE {_SAME_KEY})",
                [],
            )
            for kind in kinds
        ]
    newer_wins = "kpis_kpisnapshot.facts_version <= r.facts_version AND" if guard_version else ""
    statements += [
        *(_by_key(True) if by_key else []),
        # Driven by the run's rows, each of which is in the scope: the run
        # looks its keys up in the primary key instead of reading the scope.
        (
            f"UPDATE kpis_kpisnapshot SET {_UPDATE_SET}, run_id = %s, computed_at = %s "
            f"FROM kpis_run_rows r WHERE {_SAME_KEY} "
            f"AND {newer_wins} ({_CHANGED} "
            "OR kpis_kpisnapshot.facts_version <> r.facts_version)",
            [run_id, now],
        ),
        # Sorted by the key: its B-tree is then written in order.
        (
            f"INSERT INTO kpis_kpisnapshot ({_TARGET}) "
            "SELECT r.*, %s, %s FROM kpis_run_rows r "
            f"WHERE NOT EXISTS (SELECT 1 FROM kpis_kpisnapshot WHERE {_SAME_KEY}) "
            f"ORDER BY {_key_order(scope)}",
            [run_id, now],
        ),
    ]
    sql.run_all(cursor, statements)  # the run's rows are dropped with the versions
    inserted = cursor.rowcount
    if by_key:
        sql.run_all(cursor, _by_key(False))
    _analyze_if_grown(cursor, inserted)
    return "compared"


# A first recompute of at least this many pieces (channel, partner, week) into
# empty snapshots builds their indexes after its rows are in.
BULK_FIRST_RECOMPUTE_PIECES = 50_000


def _bulk(cursor: Any) -> bool:
    """Whether the run's pieces make it a bulk first recompute (PostgreSQL)."""
    if not sql.is_postgres():
        return False
    cursor.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM kpis_run_pieces LIMIT %s) p",
        [BULK_FIRST_RECOMPUTE_PIECES],
    )
    return int(cursor.fetchone()[0]) >= BULK_FIRST_RECOMPUTE_PIECES


def _by_key(on: bool) -> list[tuple[str, list[Any]]]:
    """Statements that make (or stop making) PostgreSQL join the run's rows
    with the snapshots by looking each key up, whatever its estimates: hashing
    the whole table instead (its choice for a run of a tenth of the table, or
    when a kind's rows were just written and its statistics did not know
    them) reads every snapshot of every channel, which grows with the table
    rather than with the run."""
    joins = {"enable_hashjoin": "off", "enable_mergejoin": "off"}
    return sql.set_local(joins) if on else sql.reset_local(list(joins))


def _analyze_if_grown(cursor: Any, inserted: int) -> None:
    """Refresh the snapshots' statistics after a run added a large share of
    them (a first recompute): the next statements of this run, and the next
    runs, would otherwise be planned for the table as it was (autovacuum
    analyzes it later, outside this transaction). The table's size and the
    key columns every statement and page filters on are what plans depend
    on: analyzing those only costs about a third of all 27 columns."""
    if inserted < 10_000 or not sql.is_postgres():
        return
    cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'kpis_kpisnapshot'")
    row = cursor.fetchone()
    known = max(float(row[0]) if row else 0.0, 0.0)
    if inserted > 0.2 * known:
        cursor.execute(
            "ANALYZE kpis_kpisnapshot "
            "(channel_id, period_kind, partner_key, period_start, period_end)"
        )


def _rollup_select(kind: str, months: str, where: str = "") -> str:
    """KEY + ROW columns of the quarters or years (fiscal calendar) summed
    from the month rows of `months` (a table with the snapshots' columns)."""
    fy = periods.fiscal_start_month()
    sums = ", ".join(f"{sql.sum_int(c)} AS {c}" for c in SUM_COLUMNS)
    start_expr = sql.period_start_sql(kind, "period_start", fy)
    return (
        f"SELECT channel_id, partner_key, '{kind}' AS period_kind, "
        f"{start_expr} AS period_start, {sql.period_end_sql(kind, start_expr)} AS period_end, "
        f"{sums}, MAX(last_fact_day) AS last_fact_day, MAX(facts_version) AS facts_version "
        f"FROM {months} {where} GROUP BY channel_id, partner_key, {start_expr}"
    )


def _rollup(cursor: Any, run_id: int, kinds: tuple[str, ...], scope: Scope) -> None:
    """Quarters as sums of the published months, years of the published
    quarters (fiscal calendar: a fiscal year is four of its quarters); years
    of the months when the run does not roll up quarters. A year is then read
    from four rows per channel and partner instead of twelve."""

    def published(kind: str, of: str) -> str:
        return _rollup_select(
            kind,
            "kpis_kpisnapshot",
            f"WHERE period_kind = '{of}' "
            "AND channel_id IN (SELECT channel_id FROM kpis_run_versions) "
            f"{_range_filter('period_start', scope.kind_range(kind))}",
        )

    if kinds == ROLLUP_KINDS:
        # The quarters first: the years are read from them once they are written.
        for kind, of in (("quarter", "month"), ("year", "quarter")):
            _write_kinds(cursor, run_id, (kind,), scope, published(kind, of), guard_version=False)
        return
    selects = [published(kind, "month") for kind in kinds]
    _write_kinds(cursor, run_id, kinds, scope, " UNION ALL ".join(selects), guard_version=False)


def _rollups_to_fold(cursor: Any, scope: Scope) -> tuple[tuple[str, ...], _Stored | None]:
    """The quarters and years a run in one transaction writes with its weeks
    and months, in the same statement, instead of rolling them up from the
    published months after: when it covers every date of channels that have
    no snapshots yet (a first recompute), the published months will be exactly
    its own. Returns them, with what `_stored` found for all the kinds the
    run then writes (None when it folds none: `_write_kinds` asks for its own)."""
    rollups = tuple(k for k in ROLLUP_KINDS if k in scope.kinds)
    if not rollups or scope.start is not None or scope.end is not None:
        return (), None
    stored = _stored(cursor, (*scope.fact_kinds, *rollups), scope)
    return ((), None) if stored.any_rows else (rollups, stored)


def _refresh_data_states(cursor: Any, run_id: int) -> None:
    """Each scope channel's last day with facts, from its published months;
    the run's temporary tables are dropped in the same round trip."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    statements: list[tuple[str, list[Any]]] = []
    statements.append(
        (
            "INSERT INTO kpis_channeldatastate "
            "(channel_id, facts_version, last_fact_day, published_version, published_at) "
            "SELECT v.channel_id, v.facts_version, "
            # The latest month with facts holds the last day: one step back
            # along the unique index per channel, not all its months.
            "(SELECT s.last_fact_day FROM kpis_kpisnapshot s WHERE s.channel_id = v.channel_id "
            "AND s.period_kind = 'month' AND s.partner_key = 0 AND s.last_fact_day IS NOT NULL "
            "ORDER BY s.period_start DESC LIMIT 1), v.facts_version, %s "
            "FROM kpis_run_versions v WHERE true "
            "ON CONFLICT (channel_id) DO UPDATE SET last_fact_day = excluded.last_fact_day, "
            "published_at = excluded.published_at, published_version = CASE WHEN "
            "kpis_channeldatastate.published_version > excluded.published_version "
            "THEN kpis_channeldatastate.published_version ELSE excluded.published_version END",
            [now],
        )
    )
    # A failure of an earlier run is over; one of a later run still stands.
    statements.append(
        (
            "UPDATE kpis_channeldatastate SET last_failed_run_id = NULL "
            "WHERE last_failed_run_id < %s "
            "AND channel_id IN (SELECT channel_id FROM kpis_run_versions)",
            [run_id],
        )
    )
    statements += _drops(_RUN_TABLES)
    sql.run_all(cursor, statements)
