"""Objective evaluation (METRICS.md section 4), set-based.

One SQL statement sums every source's components over each objective's window
(up to the channel's last day with facts); channelhub.metrics.formulas turns them into the
status. Pages read the stored ObjectiveStatus rows, never recompute them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from channelhub.lib.fields import from_cents
from channelhub.metrics.formulas import Components, evaluate_objective, kpis
from channels_app.channels.models import ChannelObjective
from kpis.models import ObjectiveStatus

from .signals import figures_changed
from .sources import components_from_sums, union_sql

STORED_PLACES = Decimal("0.0000000001")


def objective_evaluate(*, objective: ChannelObjective) -> ObjectiveStatus:
    """Evaluate one objective now (after it was created or edited)."""
    objectives_evaluate(objective_ids=[objective.pk])
    return ObjectiveStatus.objects.get(objective=objective)


def _to_stored(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(STORED_PLACES)


def objectives_evaluate(
    *,
    channel_ids: list[int] | None = None,
    objective_ids: list[int] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> int:
    """Evaluate and store the objectives of `channel_ids` (all when None), plus
    every revenue-share objective whose window overlaps [start, end]: another
    channel's revenue changes their denominator. Returns how many were stored."""
    if objective_ids is not None:
        wanted = Q(pk__in=objective_ids)
    else:
        share = Q(metric="revenue_share")
        if start and end:
            share &= Q(start_date__lte=end, end_date__gte=start)
        wanted = Q(channel_id__in=channel_ids) | share if channel_ids is not None else Q()
    objectives = list(
        ChannelObjective.objects.filter(wanted).values(
            "pk", "metric", "direction", "target", "start_date", "end_date"
        )
    )
    if not objectives:
        return 0
    ids = ", ".join(str(o["pk"]) for o in objectives)
    rows = _window_sums(ids)
    share_ids = ", ".join(str(o["pk"]) for o in objectives if o["metric"] == "revenue_share")
    totals = _window_revenue_totals(share_ids) if share_ids else {}
    today = timezone.localdate()
    statuses = []
    for objective in objectives:
        as_of, fact_rows, components = rows.get(objective["pk"], (None, 0, Components()))
        values = kpis(components, revenue_total=totals.get(objective["pk"]))
        evaluation = evaluate_objective(
            metric=objective["metric"],
            direction=objective["direction"],
            target=objective["target"],
            start=objective["start_date"],
            end=objective["end_date"],
            today=today,
            as_of=as_of,
            has_facts_in_window=fact_rows > 0,
            actual=values[objective["metric"]],
        )
        statuses.append(
            ObjectiveStatus(
                objective_id=objective["pk"],
                status=evaluation.status,
                actual=_to_stored(evaluation.actual),
                projected=_to_stored(evaluation.projected),
                progress=_to_stored(evaluation.progress),
                as_of=evaluation.as_of,
            )
        )
    ObjectiveStatus.objects.bulk_create(
        statuses,
        update_conflicts=True,
        unique_fields=["objective"],
        update_fields=["status", "actual", "projected", "progress", "as_of", "evaluated_at"],
    )
    figures_changed.send(sender=ObjectiveStatus, run_id=None)
    return len(statuses)


def _date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _window_sums(ids: str) -> dict[int, tuple[date | None, int, Components]]:
    """Per objective: as_of, fact rows in the window, and the summed components."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.id, st.last_fact_day, "
            "COUNT(CASE WHEN src.is_fact = 1 THEN 1 END), "
            "COALESCE(SUM(src.spend), 0), COALESCE(SUM(src.revenue), 0), "
            "COALESCE(SUM(src.cogs), 0), COALESCE(SUM(src.incentive_cost), 0), "
            "COALESCE(SUM(src.orders), 0), COALESCE(SUM(src.units), 0), "
            "COALESCE(SUM(src.leads), 0), COALESCE(SUM(src.new_customers), 0), "
            "COALESCE(SUM(src.impressions), 0), COALESCE(SUM(src.clicks), 0), "
            "COALESCE(SUM(src.inventory_value), 0), "
            "COUNT(DISTINCT CASE WHEN src.inventory_value IS NOT NULL THEN src.day END), "
            "COALESCE(SUM(src.nps_promoters), 0), COALESCE(SUM(src.nps_detractors), 0), "
            "COALESCE(SUM(src.nps_responses), 0), COALESCE(SUM(src.rating_sum), 0), "
            "COALESCE(SUM(src.rating_count), 0) "
            "FROM channels_app_channelobjective o "
            "LEFT JOIN kpis_channeldatastate st ON st.channel_id = o.channel_id "
            f"LEFT JOIN ({union_sql('1=1')}) src ON src.channel_id = o.channel_id "
            "AND src.day >= o.start_date AND src.day <= o.end_date "
            "AND src.day <= st.last_fact_day "
            f"WHERE o.id IN ({ids}) GROUP BY o.id, st.last_fact_day"
        )
        result = {}
        for pk, as_of, fact_rows, *sums in cursor.fetchall():
            components = components_from_sums(*sums)
            result[pk] = (_date(as_of), int(fact_rows), components)
    return result


def _window_revenue_totals(ids: str) -> dict[int, Decimal]:
    """Revenue of all channels (every status) in each objective's window so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.id, COALESCE(SUM(f.revenue), 0) "
            "FROM channels_app_channelobjective o "
            "JOIN kpis_channeldatastate st ON st.channel_id = o.channel_id "
            "JOIN kpis_dailyfact f ON f.day >= o.start_date AND f.day <= o.end_date "
            "AND f.day <= st.last_fact_day "
            f"WHERE o.id IN ({ids}) GROUP BY o.id"
        )
        return {pk: from_cents(total) or Decimal(0) for pk, total in cursor.fetchall()}
