"""Customer feedback: entered one by one, or imported from a CSV/XLSX file with
the same whole-file validation as daily facts (a bad row rejects the file,
nothing is written, every bad line is reported): the import reads and checks
through kpis.ingest and plugs its own writing and undo in (`connect`)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from channelhub.lib.tabular import FileSpec, open_reader
from channels_app.channels.models import Channel
from kpis.engine.recompute import data_changed
from kpis.ingest.checks import (
    BatchResult,
    Lookups,
    RowErrors,
    blank_rows,
    parse_date,
    resolve_channel_and_partner,
    strip_cells,
)
from kpis.ingest.pipeline import register_kind, reject_scan, scan_file
from kpis.models import CustomerFeedback, ImportRun
from partners.models import Partner

FEEDBACK = FileSpec(("date", "channel"), ("partner", "score", "rating", "comment", "source"))
MAX_COMMENT = 4000


def _fingerprint(
    channel_id: int,
    partner_id: int | None,
    day: date,
    score: Any,
    rating: Any,
    comment: str,
    source: str,
) -> str:
    text = "\x1f".join(
        str(v) for v in (channel_id, partner_id or 0, day, score, rating, comment, source)
    )
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def feedback_create(
    *,
    channel: Channel,
    day: date,
    partner: Partner | None = None,
    score: int | None = None,
    rating: int | None = None,
    comment: str = "",
    source: str = "",
    created_by: User | None = None,
) -> CustomerFeedback:
    entry = CustomerFeedback(
        channel=channel,
        partner=partner,
        day=day,
        score=score,
        rating=rating,
        comment=comment.strip(),
        source=source.strip(),
        created_by=created_by,
    )
    entry.fingerprint = _fingerprint(
        channel.pk, partner.pk if partner else None, day, score, rating, entry.comment, entry.source
    )
    entry.full_clean()
    entry.save()
    data_changed(channel_ids=[channel.pk], start=day, end=day, requested_by=created_by)
    return entry


def _int_column(values: pa.Array, errors: RowErrors, column: str, low: int, high: int) -> pa.Array:
    text = strip_cells(values)
    empty = pc.equal(text, "")
    whole = pc.match_substring_regex(text, r"^[0-9]{1,3}$")
    numbers = pc.cast(pc.if_else(whole, text, "0"), pa.int64())
    in_range = pc.and_(pc.greater_equal(numbers, low), pc.less_equal(numbers, high))
    bad = pc.and_(pc.invert(empty), pc.invert(pc.and_(whole, in_range)))
    errors.add(column, bad, values, f"a whole number from {low} to {high}")
    return pc.if_else(pc.or_(empty, bad), pa.scalar(None, pa.int64()), numbers)


def validate_feedback_batch(
    batch: pa.RecordBatch,
    lines: Any,
    *,
    header: Any,
    lookups: Lookups,
    new_channels: Any,
    error_budget: int,
) -> BatchResult:
    """Whole-batch checks of a feedback file, vectorised like the facts'."""
    n = batch.num_rows
    check = RowErrors(n, FEEDBACK.known)
    cols = {name: batch.column(name) for name in header.columns}
    blank = blank_rows(cols, n)
    day = parse_date(cols["date"], check)
    channel_id, partner_id = resolve_channel_and_partner(cols, check, lookups)
    empty = pa.nulls(n, pa.int64())
    score = _int_column(cols["score"], check, "score", 0, 10) if "score" in cols else empty
    rating = _int_column(cols["rating"], check, "rating", 1, 5) if "rating" in cols else empty
    anchor = next((c for c in ("score", "rating") if c in cols), "date")
    neither = np.ones(n, dtype=bool)  # both cells empty (a bad value is reported as such)
    for name in ("score", "rating"):
        if name in cols:
            neither &= np.asarray(
                pc.equal(strip_cells(cols[name]), "").to_numpy(zero_copy_only=False), dtype=bool
            )
    check.add(
        anchor, pa.array(neither), cols[anchor], "give a score (0-10), a rating (1-5) or both"
    )
    texts = {}
    for name, limit in (("comment", MAX_COMMENT), ("source", 80)):
        texts[name] = strip_cells(cols[name]) if name in cols else pa.array([""] * n, pa.string())
        check.add(name, pc.greater(pc.utf8_length(texts[name]), limit), texts[name],
                  f"longer than {limit} characters")  # fmt: skip
    check.any_bad &= ~blank
    check.items = [(c, m & ~blank, v, r) for c, m, v, r in check.items]
    bad_rows = int(check.any_bad.sum())
    table = pa.table(
        {"channel_id": channel_id, "partner_id": partner_id, "day": day, "score": score,
         "rating": rating, "comment": texts["comment"], "source": texts["source"]}
    ).filter(pa.array(~blank))  # fmt: skip
    return BatchResult(
        table=None if bad_rows else table,
        rows=int((~blank).sum()),
        errors=check.report(lines, error_budget) if bad_rows else [],
        bad_rows=bad_rows,
        rounded=0,
        first_day=None,
        last_day=None,
        channel_ids=set(),
    )


def feedback_import_execute(run: ImportRun) -> ImportRun:
    """Validate the whole file, then record its new entries in one transaction."""
    reader = open_reader(Path(run.file.path), run.original_name, FEEDBACK)
    tables: list[pa.Table] = []
    scan = scan_file(run, reader, tables.append, None, validate_feedback_batch)
    if scan.bad_rows or not scan.rows:
        return reject_scan(run, scan)
    entries: list[CustomerFeedback] = []
    for table in tables:
        for c, p, d, s, r, text, where in zip(
            *(table.column(n).to_pylist() for n in table.column_names), strict=True
        ):
            entries.append(
                CustomerFeedback(
                    channel_id=c, partner_id=p or None, day=d, score=s, rating=r, comment=text,
                    source=where, fingerprint=_fingerprint(c, p, d, s, r, text, where),
                    import_run=run, created_by=run.created_by,
                )
            )  # fmt: skip
    with transaction.atomic():
        known = set(
            CustomerFeedback.objects.filter(
                fingerprint__in=[e.fingerprint for e in entries]
            ).values_list("fingerprint", flat=True)
        )
        # A repeated line inside the file is recorded once too.
        fresh = {e.fingerprint: e for e in entries if e.fingerprint not in known}
        CustomerFeedback.objects.bulk_create(fresh.values())
        recompute = None
        channel_ids = sorted({e.channel_id for e in fresh.values()})
        if fresh:
            days = [e.day for e in fresh.values()]
            recompute = data_changed(
                channel_ids=channel_ids, start=min(days), end=max(days), requested_by=run.created_by
            )
        return _finish(
            run,
            status=ImportRun.Status.SUCCEEDED,
            rows=scan.rows,
            added=len(fresh),
            message=f"{len(fresh):,} feedback entr{'y' if len(fresh) == 1 else 'ies'} added, "
            f"{scan.rows - len(fresh):,} already recorded.",
            recompute_id=recompute.pk if recompute else None,
            channel_ids=channel_ids,
        )


def _finish(
    run: ImportRun,
    *,
    status: str,
    rows: int,
    message: str,
    added: int,
    recompute_id: int | None,
    channel_ids: list[int],
) -> ImportRun:
    ImportRun.objects.filter(pk=run.pk).update(
        status=status,
        finished_at=timezone.now(),
        lease_expires_at=None,
        rows_total=rows,
        rows_processed=rows,
        rows_added=added,
        rows_unchanged=rows - added,
        message=message,
        recompute_run_id=recompute_id,
        channel_ids=channel_ids,
    )
    return ImportRun.objects.get(pk=run.pk)


def feedback_import_undo(run: ImportRun) -> int:
    """Remove the entries an import added; returns how many."""
    entries = CustomerFeedback.objects.filter(import_run=run)
    span = entries.values_list("channel_id", "day")
    channel_ids = sorted({c for c, _ in span})
    days = [d for _, d in span]
    removed, _ = entries.delete()
    if channel_ids:
        data_changed(channel_ids=channel_ids, start=min(days), end=max(days))
    return removed


def _undo(run: ImportRun) -> str:
    removed = feedback_import_undo(run)
    return f"Undone: {removed:,} feedback entr{'y' if removed == 1 else 'ies'} removed."


def connect() -> None:
    """Called from KPIsConfig.ready: the import pipeline runs feedback files through here."""
    register_kind(ImportRun.Kind.FEEDBACK, execute=feedback_import_execute, undo=_undo)


def template_csv() -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FEEDBACK.known)
    writer.writerow(
        ["2025-01-15", "web-shop", "", "9", "5", "Fast delivery, great support", "NPS survey"]
    )
    writer.writerow(
        [
            "2025-01-16",
            "eu-distributors",
            "nordlicht-handel",
            "4",
            "",
            "Order arrived late",
            "Support",
        ]
    )
    return out.getvalue()
