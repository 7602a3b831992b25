"""Reads of KPI data for pages, exports and the API.

Pages read stored snapshots (a constant number of queries, whatever the
history); only day-level rows are aggregated from the facts on request.
Every KPI value comes from channelhub.metrics.formulas.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Min, QuerySet, Sum

from channelhub.lib.fields import from_cents
from channelhub.lib.roles import has_any_role
from channelhub.metrics import periods
from channelhub.metrics.formulas import COMPONENT_NAMES, Components, kpis
from channels_app.channels.models import Channel
from kpis.models import NO_PARTNER, ChannelDataState, DailyFact, KpiSnapshot, RecomputeRun
from partners.models import Partner

from . import sql
from .sources import components_from_sums, union_sql


@dataclass
class KpiRow:
    """One channel (or partner) in one period, with its components and KPIs."""

    channel_id: int
    partner_key: int
    kind: str
    start: date
    end: date
    components: Components
    values: dict[str, Any]
    complete: bool

    @property
    def label(self) -> str:
        return periods.label(self.kind, self.start)


def _components(row: dict[str, Any]) -> Components:
    return Components(**{name: row[name] for name in COMPONENT_NAMES})


def snapshot_rows(
    *,
    kind: str,
    channel_ids: list[int] | None = None,
    start: date | None = None,
    end: date | None = None,
    partner_key: int = NO_PARTNER,
    partner_keys: list[int] | None = None,
) -> list[KpiRow]:
    """KPI rows of `kind` for the channels (all when None), periods overlapping
    [start, end] in full, ordered by channel then period start. Three queries
    (snapshots, period revenue totals, data states), whatever the data size."""
    if kind == "day":
        return day_rows(channel_ids=channel_ids, start=start, end=end)
    qs = KpiSnapshot.objects.filter(period_kind=kind)
    qs = (
        qs.filter(partner_key__in=partner_keys)
        if partner_keys is not None
        else qs.filter(partner_key=partner_key)
    )
    if channel_ids is not None:
        qs = qs.filter(channel_id__in=channel_ids)
    if start:
        qs = qs.filter(period_end__gte=start)
    if end:
        qs = qs.filter(period_start__lte=end)
    snapshots = list(
        qs.order_by("channel_id", "partner_key", "period_start").values(
            "channel_id", "partner_key", "period_start", "period_end", *COMPONENT_NAMES
        )
    )
    if not snapshots:
        return []
    totals = revenue_totals(kind=kind, starts=sorted({s["period_start"] for s in snapshots}))
    last_days = last_fact_days(channel_ids=sorted({s["channel_id"] for s in snapshots}))
    rows = []
    for snap in snapshots:
        components = _components(snap)
        last = last_days.get(snap["channel_id"])
        rows.append(
            KpiRow(
                channel_id=snap["channel_id"],
                partner_key=snap["partner_key"],
                kind=kind,
                start=snap["period_start"],
                end=snap["period_end"],
                components=components,
                values=kpis(components, revenue_total=totals.get(snap["period_start"])),
                complete=last is not None and snap["period_end"] <= last,
            )
        )
    return rows


def revenue_totals(*, kind: str, starts: list[date]) -> dict[date, Decimal]:
    """Revenue of every channel (every status) per period: revenue_share's denominator."""
    if not starts:
        return {}
    totals = (
        KpiSnapshot.objects.filter(
            period_kind=kind,
            partner_key=NO_PARTNER,
            period_start__gte=starts[0],
            period_start__lte=starts[-1],
        )
        .values("period_start")
        .annotate(total=Sum("revenue"))
    )
    return {t["period_start"]: t["total"] for t in totals}


def last_fact_days(*, channel_ids: list[int] | None = None) -> dict[int, date | None]:
    qs = ChannelDataState.objects.all()
    if channel_ids is not None:
        qs = qs.filter(channel_id__in=channel_ids)
    return dict(qs.values_list("channel_id", "last_fact_day"))


def day_rows(
    *, channel_ids: list[int] | None = None, start: date | None = None, end: date | None = None
) -> list[KpiRow]:
    """Day-level KPIs, aggregated from the facts (and other sources) on request."""
    conditions = ["1=1"]
    if channel_ids is not None:
        conditions.append(f"channel_id IN ({sql.placeholders(channel_ids) or 'NULL'})")
    if start:
        conditions.append(f"day >= '{start.isoformat()}'")
    if end:
        conditions.append(f"day <= '{end.isoformat()}'")
    where = " AND ".join(conditions)
    total_where = " AND ".join(c for c in conditions if not c.startswith("channel_id"))
    sums = ", ".join(
        f"COALESCE(SUM({c}), 0)"
        for c in (
            "spend", "revenue", "cogs", "incentive_cost", "orders", "units", "leads",
            "new_customers", "impressions", "clicks", "inventory_value",
        )
    )  # fmt: skip
    rest = ", ".join(
        f"COALESCE(SUM({c}), 0)"
        for c in ("nps_promoters", "nps_detractors", "nps_responses", "rating_sum", "rating_count")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT channel_id, day, {sums}, "
            "COUNT(CASE WHEN inventory_value IS NOT NULL THEN 1 END), "
            f"{rest} FROM ({union_sql(where)}) src "
            "GROUP BY channel_id, day ORDER BY channel_id, day"
        )
        raw = cursor.fetchall()
        cursor.execute(
            "SELECT day, COALESCE(SUM(revenue), 0) "
            f"FROM ({union_sql(total_where)}) src GROUP BY day"
        )
        totals = {_as_date(day): from_cents(total) for day, total in cursor.fetchall()}
    last_days = last_fact_days(channel_ids=channel_ids)
    rows = []
    for channel_id, day, *sums in raw:
        the_day = _as_date(day)
        components = components_from_sums(*sums)
        # A day holds inventory once, however many sources counted it.
        components = replace(components, inventory_days=min(1, components.inventory_days))
        last = last_days.get(channel_id)
        rows.append(
            KpiRow(
                channel_id=channel_id,
                partner_key=NO_PARTNER,
                kind="day",
                start=the_day,
                end=the_day,
                components=components,
                values=kpis(components, revenue_total=totals.get(the_day)),
                complete=last is not None and the_day <= last,
            )
        )
    return rows


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def channel_period_summary(rows: list[KpiRow]) -> dict[str, Any]:
    """Sum of several periods' components, and the KPIs derived from the sum
    (never an average of ratios)."""
    total = Components.total([r.components for r in rows])
    starts = sorted({r.start for r in rows})
    revenue_total = None
    if starts:
        revenue_total = sum(revenue_totals(kind=rows[0].kind, starts=starts).values(), Decimal(0))
    return {"components": total, "values": kpis(total, revenue_total=revenue_total)}


def rows_by_channel(rows: list[KpiRow]) -> dict[int, list[KpiRow]]:
    grouped: dict[int, list[KpiRow]] = defaultdict(list)
    for row in rows:
        grouped[row.channel_id].append(row)
    return grouped


# --- Job rows ---------------------------------------------------------------------------


def recompute_run_list(*, user: Any) -> QuerySet[RecomputeRun]:
    if not has_any_role(user):
        return RecomputeRun.objects.none()
    return RecomputeRun.objects.select_related("requested_by")


def channel_data_state(channel: Channel) -> ChannelDataState | None:
    return (
        ChannelDataState.objects.filter(channel=channel).select_related("last_failed_run").first()
    )


@dataclass(frozen=True)
class StaleFigures:
    """Figures shown while the latest recompute of their channels failed."""

    run: RecomputeRun  # the latest failed run
    figures_from: datetime | None  # the oldest publish of the stale channels
    channels: int  # how many channels are stale


def stale_figures_of(state: ChannelDataState | None) -> StaleFigures | None:
    """One channel (its state read with channel_data_state: no query)."""
    if state is None or state.last_failed_run is None:
        return None
    return StaleFigures(state.last_failed_run, state.published_at, 1)


def stale_figures(*, channels: QuerySet[Channel]) -> StaleFigures | None:
    """Of these channels (those a user sees): two queries at most, whatever
    their number."""
    found = ChannelDataState.objects.filter(
        channel_id__in=channels.values("pk"), last_failed_run__isnull=False
    ).aggregate(count=Count("pk"), oldest=Min("published_at"), run_id=Max("last_failed_run_id"))
    if not found["count"]:
        return None
    run = RecomputeRun.objects.filter(pk=found["run_id"]).first()
    if run is None:
        return None
    return StaleFigures(run, found["oldest"], found["count"])


def channel_kpi_table(*, channel: Channel, kind: str = "month", count: int = 12) -> dict[str, Any]:
    """The channel page's KPI table: its last `count` periods of `kind` up to
    its last day with facts, newest first, and the sum over them."""
    state = channel_data_state(channel)
    rows: list[KpiRow] = []
    if state and state.last_fact_day:
        end = periods.period_end(kind, periods.period_start(kind, state.last_fact_day))
        start = periods.period_start(kind, state.last_fact_day)
        for _ in range(count - 1):
            start = periods.previous_start(kind, start)
        rows = snapshot_rows(kind=kind, channel_ids=[channel.pk], start=start, end=end)
    return {
        "kind": kind,
        "count": count,
        "rows": list(reversed(rows)),
        "summary": channel_period_summary(rows) if rows else None,
        "state": state,
    }


def partner_month_rows(*, partner: Partner, months: int) -> list[KpiRow]:
    """The partner's month snapshots of its last `months` months with facts,
    oldest first; none before any facts name it. Two queries."""
    last = last_fact_days(channel_ids=[partner.channel_id]).get(partner.channel_id)
    if last is None:
        return []
    start = periods.period_start("month", last)
    for _ in range(months - 1):
        start = periods.previous_start("month", start)
    return snapshot_rows(
        kind="month",
        channel_ids=[partner.channel_id],
        partner_keys=[partner.pk],
        start=start,
        end=last,
    )


def partner_sales(*, partner: Partner, months: int = 6) -> list[dict[str, Any]]:
    """The partner's last `months` months with facts, oldest first, from its KPI
    snapshots (the daily facts that carry the partner, and its customers'
    feedback): revenue, units, orders, NPS and average rating.

    A fixed number of queries whatever the history (snapshots are per month).
    """
    return [
        {
            "period_label": row.label,
            "revenue": row.values["revenue"],
            "units": row.values["units"],
            "orders": row.values["orders"],
            "nps": row.values["nps"],
            "avg_rating": row.values["avg_rating"],
            "complete": row.complete,
        }
        for row in partner_month_rows(partner=partner, months=months)
    ]


def partner_revenue(*, partner_ids: list[int], start: date, end: date) -> dict[int, Decimal]:
    """Each partner's revenue from the daily facts in [start, end] (its own
    channel's rows, as the accruals count them). Two queries."""
    channels = dict(Partner.objects.filter(pk__in=partner_ids).values_list("pk", "channel_id"))
    totals: dict[int, Decimal] = {pk: Decimal(0) for pk in partner_ids}
    rows = (
        DailyFact.objects.filter(partner_key__in=partner_ids, day__gte=start, day__lte=end)
        .values("partner_key", "channel_id")
        .annotate(total=Sum("revenue"))
    )
    for row in rows:
        if channels.get(row["partner_key"]) == row["channel_id"]:
            value = row["total"]
            totals[row["partner_key"]] += (
                value if isinstance(value, Decimal) else from_cents(value) or Decimal(0)
            )
    return totals
