"""Reads of deal registrations, limited to what the user may see, and the home
page's conflict and deal work list.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from channelhub.lib.roles import has_any_role
from partners.conflicts.models import ConflictCase
from partners.conflicts.selectors import C, conflict_list
from partners.directory.roles import edits_all_partners

from .models import DealRegistration


def deal_list(*, user: Any) -> QuerySet[DealRegistration]:
    if not has_any_role(user):
        return DealRegistration.objects.none()
    open_cases = ConflictCase.objects.filter(
        deals=OuterRef("pk"), status__in=C.OPEN_STATUSES
    ).order_by()
    return (
        DealRegistration.objects.select_related(
            "partner", "partner__channel", "partner__manager", "registered_by"
        )
        .annotate(
            open_conflicts=Coalesce(
                Subquery(
                    open_cases.values("deals").annotate(n=Count("pk")).values("n")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            )
        )
        .order_by("-submitted_on", "-pk")
    )


def deal_detail_queryset(*, user: Any) -> QuerySet[DealRegistration]:
    if not has_any_role(user):
        return DealRegistration.objects.none()
    return DealRegistration.objects.select_related(
        "partner", "partner__channel", "partner__manager", "registered_by", "decided_by"
    )


def deals_awaiting_decision(*, user: Any) -> QuerySet[DealRegistration]:
    return deal_list(user=user).filter(status=DealRegistration.Status.SUBMITTED)


def conflicts_for_user(*, user: Any, limit: int = 8) -> dict[str, Any] | None:
    """The home panel: open cases the user owns, registrations waiting for the
    user's decision (marketing managers, administrators) and registrations of
    the user's partners held up by a conflict. None when there is nothing."""
    if not has_any_role(user):
        return None
    owned = list(
        conflict_list(user=user)
        .filter(owner=user, status__in=C.OPEN_STATUSES)
        .order_by("opened_at", "pk")[:limit]
    )
    # Typed loosely: the checker cannot see the open_conflicts annotation.
    deals: QuerySet[Any] = deal_list(user=user)
    to_decide = (
        list(
            deals.filter(status=DealRegistration.Status.SUBMITTED, open_conflicts=0).order_by(
                "submitted_on", "pk"
            )[:limit]
        )
        if edits_all_partners(user)
        else []
    )
    held_up = list(
        deals.filter(
            partner__manager=user, status=DealRegistration.Status.SUBMITTED, open_conflicts__gt=0
        ).order_by("submitted_on", "pk")[:limit]
    )
    if not (owned or to_decide or held_up):
        return None
    return {"owned": owned, "to_decide": to_decide, "held_up": held_up}


def registered_first(deal: DealRegistration) -> bool:
    """Whether `deal` came before every other registration of its conflict
    cases (by submission day, then registration order), as the cases' titles
    say who "already held" the customer (one query)."""
    others = (
        DealRegistration.objects.filter(conflicts__deals=deal)
        .exclude(pk=deal.pk)
        .values_list("submitted_on", "pk")
        .distinct()
    )
    return all((deal.submitted_on, deal.pk) < (day, pk) for day, pk in others)
