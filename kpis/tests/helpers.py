"""Helpers for KPI tests: write facts files, import them, recompute, read KPIs."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from kpis.models import ImportRun, KpiSnapshot, RecomputeRun
from kpis.selectors import KpiRow, snapshot_rows
from kpis.services import import_create, import_execute, recompute_execute
from kpis.services.recompute import recompute_request


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


def snapshot_state() -> list[tuple[Any, ...]]:
    """Every snapshot row's key and components, for comparing whole states."""
    fields = [
        f.name for f in KpiSnapshot._meta.fields if f.name not in ("id", "run", "computed_at")
    ]
    return sorted(tuple(values) for values in KpiSnapshot.objects.values_list(*fields))


D = Decimal
