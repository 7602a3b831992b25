"""Helpers for KPI tests: write facts files, import them, recompute, read KPIs."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from kpis.engine.recompute import recompute_execute, recompute_request
from kpis.engine.selectors import KpiRow, snapshot_rows
from kpis.ingest.pipeline import import_execute
from kpis.ingest.services import import_create
from kpis.models import ImportRun, KpiSnapshot, PackRender, RecomputeRun, ReviewPack
from kpis.packs import services as packs


def csv_bytes(header: list[str], rows: list[list[Any]], *, bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode()
    return (b"\xef\xbb\xbf" + data) if bom else data


def import_bytes(data: bytes, name: str = "facts.csv", **kwargs: Any) -> ImportRun:
    """Import a file the way the worker does; returns the finished ImportRun."""
    run = import_create(file=io.BytesIO(data), name=name, user=None, **kwargs)
    result = import_execute(run.pk)
    assert result is not None
    return result


def import_rows(header: list[str], rows: list[list[Any]], **kwargs: Any) -> ImportRun:
    return import_bytes(csv_bytes(header, rows), **kwargs)


def recompute(**kwargs: Any) -> None:
    """Queue and run a recompute in this process (as the command does)."""
    run = recompute_request(trigger="command", **kwargs)
    # Where on_commit fires at once (transactional tests) the eager task ran it.
    result = recompute_execute(run.pk, inline=True) or RecomputeRun.objects.get(pk=run.pk)
    assert result.status == "succeeded", result.error


def kpi(channel_id: int, kind: str, start: date, metric: str, partner_key: int = 0) -> Any:
    rows = [
        r
        for r in snapshot_rows(kind=kind, channel_ids=[channel_id], partner_keys=[partner_key])
        if r.start == start
    ]
    assert len(rows) == 1, f"expected one {kind} row starting {start}, got {len(rows)}"
    return rows[0].values[metric]


def row(channel_id: int, kind: str, start: date, partner_key: int = 0) -> KpiRow:
    rows = [
        r
        for r in snapshot_rows(kind=kind, channel_ids=[channel_id], partner_keys=[partner_key])
        if r.start == start
    ]
    assert len(rows) == 1
    return rows[0]


def snapshot_state(*, versions: bool = True) -> list[tuple[Any, ...]]:
    """Every snapshot row's key and components, for comparing whole states
    (without `versions`: whatever facts version each row was computed from)."""
    left_out = ("run", "computed_at") if versions else ("run", "computed_at", "facts_version")
    fields = [f.name for f in KpiSnapshot._meta.concrete_fields if f.name not in left_out]
    return sorted(tuple(values) for values in KpiSnapshot.objects.values_list(*fields))


D = Decimal


def table_indexes(table: str) -> list[tuple[str, str]]:
    """(name, definition) of each index of `table` (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass ORDER BY 1",
            [table],
        )
        return cursor.fetchall()


# --- Review packs ------------------------------------------------------------------------

DUE = datetime(2025, 5, 5, 8, 0)  # a Monday, a monthly pack's day (the 5th), after its hour


def aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment)


def settle() -> None:
    """Run every queued recompute (an import queues one; a worker would run it)."""
    for run_id in RecomputeRun.objects.filter(status="queued").values_list("pk", flat=True):
        recompute_execute(run_id, inline=True)


def make_pack(**fields) -> ReviewPack:
    values = {
        "name": "Monthly ROI review",
        "cadence": ReviewPack.Cadence.MONTHLY,
        "day_of_month": 5,
        "send_hour": 7,
        "period_kind": "month",
        "periods": 2,
        **fields,
    }
    pack = ReviewPack.objects.create(**values)
    ReviewPack.objects.filter(pk=pack.pk).update(created_at=aware(datetime(2025, 1, 1)))
    pack.refresh_from_db()
    return pack


def execute(render_id: int) -> PackRender:
    result = packs.pack_render_execute(render_id)
    assert result is not None
    return result


def dispatch_and_render(at: datetime = DUE) -> PackRender:
    [render] = packs.packs_dispatch(now=aware(at))
    return execute(render.pk)


def end_session(holder: Any, timeout_s: float = 10.0) -> None:
    """Close a second database session (a "worker" holding advisory locks) and
    wait until its server process has gone: close() returns before PostgreSQL
    has ended the backend and freed its locks, so a check right after it can
    still see them taken."""
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    holder.close()
    deadline = time.monotonic() + timeout_s
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction the activity view is a snapshot: take a fresh one.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone() is None:
                return
            time.sleep(0.02)
    raise AssertionError(f"the database session {pid} did not end within {timeout_s} s")
