"""The KPI export contract (METRICS.md section 6): one CSV for the command,
the dashboards and the API alike."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import IO, Any

from channelhub.lib.tabular import safe_text
from channelhub.metrics.formulas import EXPORT_KPIS, rounded
from channels_app.channels.models import Channel

from .selectors import KpiRow, snapshot_rows

HEADER = [
    "channel",
    "channel_name",
    "period",
    "period_start",
    "period_end",
    "complete",
    *EXPORT_KPIS,
]


def export_number(metric: str, value: Any) -> str:
    """A KPI value as the export writes it: rounded for output, empty when undefined."""
    result = rounded(metric, value)
    if result is None:
        return ""
    if isinstance(result, Decimal):
        return format(result, "f")
    return str(result)


def export_rows(
    *,
    kind: str,
    channels: list[Channel] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Iterable[list[str]]:
    """Rows of the export, ordered by channel slug then period start."""
    by_id = {c.pk: c for c in (channels if channels is not None else Channel.objects.all())}
    rows: list[KpiRow] = snapshot_rows(
        kind=kind,
        channel_ids=list(by_id) if channels is not None else None,
        start=start,
        end=end,
    )
    rows.sort(key=lambda r: (by_id[r.channel_id].slug if r.channel_id in by_id else "", r.start))
    for row in rows:
        channel = by_id.get(row.channel_id)
        if channel is None:
            continue
        yield [
            safe_text(channel.slug),
            safe_text(channel.name),
            row.label,
            row.start.isoformat(),
            row.end.isoformat(),
            "true" if row.complete else "false",
            *(export_number(metric, row.values[metric]) for metric in EXPORT_KPIS),
        ]


def write_csv(out: IO[str] | Any, rows: Iterable[list[str]]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def portfolio_table_rows(table: Iterable[Any], filters: Any) -> Iterator[list[str]]:
    """A dashboard's channel table (kpis.dashboards.ChannelTotal rows over the
    whole range of `filters`) in the export's columns: one row per channel."""
    from channelhub.metrics.periods import label

    assert filters.start and filters.end
    span = f"{label(filters.kind, filters.start)}..{label(filters.kind, filters.end)}"
    for total in table:
        yield [
            safe_text(total.channel.slug),
            safe_text(total.channel.name),
            span,
            filters.start.isoformat(),
            filters.end.isoformat(),
            "true" if total.complete else "false",
            *(export_number(m, total.values[m]) for m in EXPORT_KPIS),
        ]
