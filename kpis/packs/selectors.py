from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery

from kpis.models import PackRender, ReviewPack


def pack_list() -> QuerySet[ReviewPack]:
    """Review packs with their subscriber count and last render, one query."""
    last = PackRender.objects.filter(pack=OuterRef("pk")).order_by("-created_at", "-pk")
    return ReviewPack.objects.annotate(
        subscriber_count=Count("subscribers", distinct=True),
        last_status=Subquery(last.values("status")[:1]),
        last_at=Subquery(last.values("created_at")[:1]),
        last_id=Subquery(last.values("pk")[:1]),
    ).order_by("name")
