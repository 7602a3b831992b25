from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from channelhub.lib.roles import has_any_role
from channelhub.metrics.formulas import Components, kpis
from channels_app.channels.models import Channel
from kpis.models import CustomerFeedback


def feedback_list(*, user: Any) -> QuerySet[CustomerFeedback]:
    if not has_any_role(user):
        return CustomerFeedback.objects.none()
    return CustomerFeedback.objects.select_related("channel", "partner", "created_by")


def feedback_summary(entries: QuerySet[CustomerFeedback]) -> dict[str, Any]:
    """NPS and average rating of a set of entries, by channelhub.metrics.formulas, in one query."""
    totals = entries.aggregate(
        promoters=Count("pk", filter=Q(score__gte=9)),
        detractors=Count("pk", filter=Q(score__lte=6)),
        responses=Count("score"),
        rating_sum=Sum("rating"),
        rating_count=Count("rating"),
    )
    components = Components(
        nps_promoters=totals["promoters"],
        nps_detractors=totals["detractors"],
        nps_responses=totals["responses"],
        rating_sum=totals["rating_sum"] or 0,
        rating_count=totals["rating_count"],
    )
    values = kpis(components)
    return {"nps": values["nps"], "avg_rating": values["avg_rating"], **totals}


def recent_feedback(*, channel: Channel, count: int = 5) -> list[CustomerFeedback]:
    return list(
        CustomerFeedback.objects.filter(channel=channel)
        .select_related("partner")
        .order_by("-day", "-id")[:count]
    )
