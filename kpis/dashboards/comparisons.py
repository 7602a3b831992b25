"""Change against before and against last year (docs/metrics.md section 7).

`compare_scope` is the one place a dashboard, a review pack or any other page
gets a comparison: it finds the spans (channelhub.metrics.periods.
comparison_spans), reads their components and coverage, and applies the rule
(channelhub.metrics.formulas.compare).

Whole periods of the earlier spans come from the snapshots; a cut last period
(the first 2 days of a December) from the day-level sources, the table the
snapshots are computed from. Four queries at most, whatever the number of
channels and periods: snapshot sums, day sums, and the days with facts of the
scope and of each channel.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count, Q, Sum

from channelhub.lib.fields import from_cents
from channelhub.metrics.formulas import (
    COMPONENT_NAMES,
    MONEY_COMPONENTS,
    Comparison,
    Components,
    compare,
    kpis,
)
from channelhub.metrics.periods import ComparisonSpans, Span, comparison_spans
from kpis.engine.sources import union_sql
from kpis.models import NO_PARTNER, DailyFact, KpiSnapshot

EARLIER = {"before": "before", "last_year": "last year"}

# Day-level source column of each component (the rest have the same name).
_DAY_COLUMNS = {"inventory_sum": "inventory_value"}


@dataclass(frozen=True)
class ScopeComparison:
    """A range's change against before and last year, for the whole scope
    (headlines) and for each of its channels (tables, pack summaries)."""

    spans: ComparisonSpans
    before: Comparison
    last_year: Comparison
    channels_before: dict[int, Comparison]

    @property
    def before_is_last_year(self) -> bool:
        """A range of a whole year: the span before *is* the same dates last year."""
        before, last_year = self.spans.before, self.spans.last_year
        return (before.start, before.end) == (last_year.start, last_year.end)

    @property
    def both(self) -> list[Comparison]:
        """The changes a page shows: one line where the two spans are the same days."""
        if self.before_is_last_year:
            return [self.last_year]
        return [self.before, self.last_year]


def _day(d: date) -> str:
    # Literal dates we made ourselves (never user text): the day-level SQL
    # repeats its condition in each source of the UNION.
    return f"'{d.isoformat()}'"


def _between(bounds: tuple[date, date]) -> str:
    return f"day BETWEEN {_day(bounds[0])} AND {_day(bounds[1])}"


def _snapshot_sums(
    kind: str, spans: Mapping[str, Span], channel_ids: list[int]
) -> dict[str, dict[int, Components]]:
    """Components of each span's whole periods per channel: one query."""
    wholes = {name: span.whole for name, span in spans.items() if span.whole}
    found: dict[str, dict[int, Components]] = {name: {} for name in spans}
    if not wholes or not channel_ids:
        return found
    conditions = {name: Q(period_start__range=bounds) for name, bounds in wholes.items()}
    any_span = Q()
    for condition in conditions.values():
        any_span |= condition
    annotations = {
        f"{name}__{c}": Sum(c, filter=condition)
        for name, condition in conditions.items()
        for c in COMPONENT_NAMES
    }
    rows = (
        KpiSnapshot.objects.filter(
            any_span, period_kind=kind, partner_key=NO_PARTNER, channel_id__in=channel_ids
        )
        .order_by()
        .values("channel_id")
        .annotate(**annotations)
    )
    for found_row in rows:
        row: dict[str, Any] = dict(found_row)
        for name in wholes:
            values = {c: row[f"{name}__{c}"] for c in COMPONENT_NAMES}
            found[name][row["channel_id"]] = Components.from_mapping(values)
    return found


def _day_sums(
    spans: Mapping[str, Span], channel_ids: list[int]
) -> dict[str, dict[int, Components]]:
    """Components of each span's cut last period per channel, summed from the
    day-level sources in one set-based query."""
    cuts = {name: span.cut for name, span in spans.items() if span.cut}
    found: dict[str, dict[int, Components]] = {name: {} for name in spans}
    if not cuts or not channel_ids:
        return found
    columns = []
    for bounds in cuts.values():
        when = _between(bounds)
        for c in COMPONENT_NAMES:
            source = _DAY_COLUMNS.get(c, c)
            if c == "inventory_days":
                expr = (
                    f"COUNT(DISTINCT CASE WHEN {when} AND inventory_value IS NOT NULL THEN day END)"
                )
            else:
                expr = f"COALESCE(SUM(CASE WHEN {when} THEN {source} ELSE 0 END), 0)"
            columns.append(expr)
    ids = ", ".join(str(int(i)) for i in channel_ids)
    days = " OR ".join(_between(b) for b in cuts.values())
    where = f"channel_id IN ({ids}) AND ({days})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT channel_id, {', '.join(columns)} FROM ({union_sql(where)}) src "
            "GROUP BY channel_id"
        )
        rows = cursor.fetchall()
    for channel_id, *values in rows:
        for i, name in enumerate(cuts):
            chunk = values[i * len(COMPONENT_NAMES) : (i + 1) * len(COMPONENT_NAMES)]
            parts: dict[str, Any] = {}
            for c, value in zip(COMPONENT_NAMES, chunk, strict=True):
                parts[c] = from_cents(value) if c in MONEY_COMPONENTS else int(value)
            found[name][int(channel_id)] = Components(**parts)
    return found


def _fact_days(
    spans: Mapping[str, Span], channel_ids: list[int], *, per_channel: bool
) -> dict[int | None, dict[str, int]]:
    """Days with facts in each span, for the scope (key None) and, when
    asked, for each channel: one query each."""
    conditions = {name: Q(day__range=(span.start, span.end)) for name, span in spans.items()}
    any_span = Q()
    for condition in conditions.values():
        any_span |= condition
    counts = {name: Count("day", distinct=True, filter=q) for name, q in conditions.items()}
    facts = DailyFact.objects.filter(any_span, channel_id__in=channel_ids).order_by()
    found: dict[int | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(spans, 0))
    if not channel_ids:
        return found
    found[None] = {k: int(v or 0) for k, v in facts.aggregate(**counts).items()}
    if per_channel:
        for row in facts.values("channel_id").annotate(**counts):
            counted: dict[str, Any] = dict(row)
            found[counted["channel_id"]] = {name: int(counted[name] or 0) for name in spans}
    return found


def compare_scope(
    *,
    kind: str,
    start: date,
    end: date,
    last_day: date | None,
    current: Mapping[int, Components],
    channel_ids: Collection[int],
    metrics: Collection[str],
    per_channel: bool = False,
) -> ScopeComparison:
    """Compare the range [start, end] of whole periods of `kind` (whose
    components per channel are `current`) of the channels `channel_ids`, whose
    facts end on `last_day`, with before and last year. `per_channel` adds
    each channel's own comparison with before (coverage of that channel)."""
    spans = comparison_spans(kind, start, end, last_day)
    ids = sorted(channel_ids)
    earlier = {"before": spans.before, "last_year": spans.last_year}
    whole = _snapshot_sums(kind, earlier, ids)
    cut = _day_sums(earlier, ids)
    days = _fact_days({"current": spans.current, **earlier}, ids, per_channel=per_channel)

    def parts(name: str, channel_id: int) -> Components:
        return whole[name].get(channel_id, Components()) + cut[name].get(channel_id, Components())

    def rule(name: str, now: Components, then: Components, counted: dict[str, int]) -> Comparison:
        span: Span = earlier[name]
        return compare(
            metrics,
            kpis(now),
            kpis(then),
            against=EARLIER[name],
            current_days=counted["current"],
            current_span_days=spans.current.days,
            earlier_days=counted[name],
            earlier_span_days=span.days,
        )

    now = Components.total([current.get(i, Components()) for i in ids])
    scope = {
        name: rule(name, now, Components.total([parts(name, i) for i in ids]), days[None])
        for name in earlier
    }
    channels_before = {}
    if per_channel:
        for i in ids:
            channels_before[i] = rule(
                "before", current.get(i, Components()), parts("before", i), days[i]
            )
    return ScopeComparison(
        spans=spans,
        before=scope["before"],
        last_year=scope["last_year"],
        channels_before=channels_before,
    )
