"""Reads of interactions and reviews, limited to the partners the user may see:
reviews due and overdue, follow-ups overdue, open action items, score history.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
from django.db.models import (
    QuerySet,
)

from partners.directory.models import Partner
from partners.directory.selectors import ACTIVE_STATUSES, visible_partners

from .models import REVIEW_CRITERIA, Interaction, PartnerReview, ReviewActionItem

REVIEW_DUE_SOON_DAYS = 14


def reviews_due(
    *, partners: QuerySet[Partner], today: date, within_days: int = REVIEW_DUE_SOON_DAYS
) -> QuerySet[Partner]:
    """Partners whose next review is overdue or due within `within_days`, soonest first."""
    return (
        partners.filter(status__in=ACTIVE_STATUSES, next_review_on__isnull=False)
        .filter(next_review_on__lte=today + timedelta(days=within_days))
        .select_related("manager", "tier", "channel")
        .order_by("next_review_on", "name")
    )


def reviews_overdue(*, partners: QuerySet[Partner], today: date) -> QuerySet[Partner]:
    return reviews_due(partners=partners, today=today, within_days=0).filter(
        next_review_on__lt=today
    )


def follow_ups_overdue(*, partners: QuerySet[Partner], today: date) -> QuerySet[Interaction]:
    return (
        Interaction.objects.filter(
            partner__in=partners,
            follow_up_on__lt=today,
            follow_up_done_on__isnull=True,
        )
        .exclude(partner__status=Partner.Status.OFFBOARDED)
        .select_related("partner", "partner__manager", "logged_by")
        .order_by("follow_up_on", "pk")
    )


def open_action_items(*, partners: QuerySet[Partner]) -> QuerySet[ReviewActionItem]:
    """Action items not yet done, of partners still worked with: an offboarded
    partner's open items are history, not work (as with its follow-ups)."""
    return (
        ReviewActionItem.objects.filter(review__partner__in=partners, done_on__isnull=True)
        .exclude(review__partner__status=Partner.Status.OFFBOARDED)
        .select_related("review", "review__partner")
        .order_by("due_on", "pk")
    )


def review_list(*, partner: Partner) -> QuerySet[PartnerReview]:
    return (
        PartnerReview.objects.filter(partner=partner)
        .select_related("author")
        .prefetch_related("action_items")
        .order_by("-reviewed_on", "-pk")
    )


def review_score_frame(*, partner: Partner) -> pd.DataFrame:
    """One row per review, oldest first: reviewed_on, overall and each criterion."""
    fields = ["reviewed_on", "overall", *(name for name, _label in REVIEW_CRITERIA)]
    rows = list(
        PartnerReview.objects.filter(partner=partner)
        .order_by("reviewed_on", "pk")
        .values_list(*fields)
    )
    frame = pd.DataFrame(rows, columns=fields)
    if not frame.empty:
        frame["overall"] = frame["overall"].astype(float)
    return frame


def interaction_queryset(*, user: Any) -> QuerySet[Interaction]:
    """Interactions with the partners the user sees."""
    return Interaction.objects.select_related("partner").filter(
        partner__in=visible_partners(user=user)
    )


def review_queryset(*, user: Any) -> QuerySet[PartnerReview]:
    """Reviews of the partners the user sees."""
    return PartnerReview.objects.select_related("partner", "partner__tier", "author").filter(
        partner__in=visible_partners(user=user)
    )
