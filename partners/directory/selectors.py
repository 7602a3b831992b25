"""Reads of partners, limited to what the user may see: the directory list,
the partner page's queryset, contacts, partners a user acts for.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from channelhub.lib.roles import has_any_role

from .models import OnboardingStep, Partner, PartnerContact, related_model
from .roles import edits_all_partners

# Partners we review and expect to be under contract; prospects, partners in
# onboarding, suspended and offboarded ones are not.
ACTIVE_STATUSES = (Partner.Status.ACTIVE, Partner.Status.AT_RISK)


def visible_partners(*, user: Any) -> QuerySet[Partner]:
    """Every partner the user may see (all of them for any role, none without)."""
    if not has_any_role(user):
        return Partner.objects.none()
    return Partner.objects.all()


def _count_subquery(qs: QuerySet[Any]) -> Subquery:
    # A correlated COUNT per row: several of these on one list do not multiply
    # each other's rows the way several JOIN + COUNTs would.
    return Subquery(
        qs.order_by().values("partner").annotate(n=Count("pk")).values("n")[:1],
        output_field=IntegerField(),
    )


def with_progress(qs: QuerySet[Partner]) -> QuerySet[Partner]:
    steps = OnboardingStep.objects.filter(partner=OuterRef("pk"))
    return qs.annotate(
        onboarding_total=Coalesce(_count_subquery(steps), Value(0)),
        onboarding_done=Coalesce(_count_subquery(steps.filter(done_on__isnull=False)), Value(0)),
    )


def partner_list(*, user: Any) -> QuerySet[Partner]:
    """The directory: one query for the page, however many partners it shows."""
    return (
        with_progress(visible_partners(user=user))
        .select_related("channel", "manager", "tier")
        .prefetch_related(
            "territories",
            Prefetch("flags", queryset=related_model("flags").objects.order_by("kind")),
        )
        .annotate(
            # No tier sorts as the lowest on SQLite and PostgreSQL alike
            # (they disagree on where NULLs go).
            tier_rank=Coalesce("tier__rank", Value(-1)),
            last_interaction_on=Subquery(
                # Not what the partner did alone in the portal (kind
                # in_portal): that is logged, but nobody was in contact.
                related_model("interactions")
                .objects.filter(partner=OuterRef("pk"))
                .exclude(kind="in_portal")
                .order_by("-occurred_on")
                .values("occurred_on")[:1]
            ),
        )
        .order_by("name", "slug")
    )


def partner_detail_queryset(*, user: Any) -> QuerySet[Partner]:
    return with_progress(visible_partners(user=user)).select_related("channel", "manager", "tier")


def onboarding_percent(partner: Partner) -> int | None:
    total = getattr(partner, "onboarding_total", None)
    done = getattr(partner, "onboarding_done", None)
    if total is None or done is None:
        steps = list(partner.onboarding_steps.all())
        total, done = len(steps), sum(1 for s in steps if s.done_on)
    return round(100 * done / total) if total else None


def managed_by(partners: QuerySet[Partner], manager: Any) -> QuerySet[Partner]:
    return partners.filter(manager=manager) if manager else partners


def contact_queryset(*, user: Any) -> QuerySet[PartnerContact]:
    """Contacts of the partners the user sees."""
    return PartnerContact.objects.select_related("partner").filter(
        partner__in=visible_partners(user=user)
    )


def partners_for_deals(*, user: Any) -> QuerySet[Partner]:
    """Partners the user may register deals (and record prices) for."""
    if not has_any_role(user):
        return Partner.objects.none()
    partners = Partner.objects.exclude(status=Partner.Status.OFFBOARDED)
    if edits_all_partners(user):
        return partners.order_by("name")
    return partners.filter(manager=user).order_by("name")
