"""Writes to interactions and performance reviews, and the review schedule
(when a partner's next review is due, from its tier's cadence).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from partners.directory.models import (
    Partner,
    PartnerContact,
    PartnerStatusChange,
)
from partners.extensions import partner_attention_changed

from .models import SCORE_FIELDS, Interaction, PartnerReview, ReviewActionItem, ReviewRevision

S = Partner.Status
REVIEWED_STATUSES = (S.ACTIVE, S.AT_RISK)
# Not reviewed on the tier's cadence yet, but a review held before activation
# agreed a date: it is kept (the work lists still start at activation).
NOT_YET_ACTIVE_STATUSES = (S.PROSPECT, S.ONBOARDING)


# Without a tier, a partner is reviewed like the lowest tiers: twice a year.
DEFAULT_REVIEW_CADENCE_DAYS = 180


def review_cadence_days(partner: Partner) -> int:
    return partner.tier.review_cadence_days if partner.tier else DEFAULT_REVIEW_CADENCE_DAYS


def next_review_due(partner: Partner) -> date | None:
    """When the partner's next review is due: the date the last review agreed,
    else the tier's cadence counted from the day the partner became active.
    Before activation (prospect, onboarding) only a date a review agreed; None
    for partners we do not review (suspended, gone)."""
    if partner.status not in (*REVIEWED_STATUSES, *NOT_YET_ACTIVE_STATUSES):
        return None
    last = PartnerReview.objects.filter(partner=partner).order_by("-reviewed_on", "-pk").first()
    if last is not None:
        return last.next_review_on
    if partner.status in NOT_YET_ACTIVE_STATUSES:
        return None
    activated = (
        PartnerStatusChange.objects.filter(partner=partner, to_status=S.ACTIVE)
        .order_by("changed_on")
        .values_list("changed_on", flat=True)
        .first()
    )
    start = activated or partner.status_since or timezone.localdate()
    return start + timedelta(days=review_cadence_days(partner))


def partner_schedule_review(*, partner: Partner) -> Partner:
    due = next_review_due(partner)
    if due != partner.next_review_on:
        partner.next_review_on = due
        Partner.objects.filter(pk=partner.pk).update(next_review_on=due)
    return partner


INTERACTION_FIELDS = (
    "kind",
    "occurred_on",
    "participants",
    "summary",
    "outcome",
    "next_step",
    "follow_up_on",
)


REVIEW_FIELDS = (
    "period_start",
    "period_end",
    "reviewed_on",
    *SCORE_FIELDS,
    "strengths",
    "improvements",
    "next_review_on",
)


def _check_contacts(partner: Partner, contacts: Iterable[PartnerContact]) -> list[PartnerContact]:
    people = list(contacts)
    if any(c.partner_id != partner.pk for c in people):
        raise ValidationError({"contacts": "Only people of this partner can take part."})
    return people


@transaction.atomic
def interaction_create(
    *,
    partner: Partner,
    kind: str,
    occurred_on: date,
    summary: str,
    outcome: str = "",
    next_step: str = "",
    follow_up_on: date | None = None,
    participants: str = "",
    contacts: Iterable[PartnerContact] = (),
    logged_by: User | None = None,
) -> Interaction:
    people = _check_contacts(partner, contacts)
    interaction = Interaction(
        partner=partner,
        kind=kind,
        occurred_on=occurred_on,
        summary=summary.strip(),
        outcome=outcome.strip(),
        next_step=next_step.strip(),
        follow_up_on=follow_up_on,
        participants=participants.strip(),
        logged_by=logged_by,
    )
    interaction.full_clean()
    interaction.save()
    interaction.contacts.set(people)
    partner_attention_changed.send(sender=Partner, partner=partner)
    return interaction


def interaction_check_editable(interaction: Interaction) -> None:
    """Refuse to change what came from the partner portal: a message a partner
    user wrote or what they did there stays as the portal recorded it, under
    their name."""
    if interaction.from_portal:
        raise ValidationError(
            "Portal messages and portal activity are recorded by the partner portal "
            "and cannot be edited."
        )


@transaction.atomic
def interaction_update(*, interaction: Interaction, data: dict[str, Any]) -> Interaction:
    interaction_check_editable(interaction)
    for field in INTERACTION_FIELDS:
        if field in data:
            setattr(interaction, field, data[field])
    interaction.full_clean()
    interaction.save()
    if "contacts" in data:
        interaction.contacts.set(_check_contacts(interaction.partner, data["contacts"]))
    partner_attention_changed.send(sender=Partner, partner=interaction.partner)
    return interaction


@transaction.atomic
def follow_up_set_done(
    *, interaction: Interaction, done: bool = True, on: date | None = None
) -> Interaction:
    if interaction.follow_up_on is None:
        raise ValidationError("This interaction has no follow-up.")
    interaction.follow_up_done_on = (on or timezone.localdate()) if done else None
    interaction.save(update_fields=["follow_up_done_on", "updated_at"])
    partner_attention_changed.send(sender=Partner, partner=interaction.partner)
    return interaction


def review_default_next_on(*, partner: Partner, reviewed_on: date) -> date:
    """The next review, by the partner's tier cadence counted from this one."""
    return reviewed_on + timedelta(days=review_cadence_days(partner))


def _snapshot(review: PartnerReview) -> dict[str, Any]:
    data: dict[str, Any] = {
        field: (value.isoformat() if isinstance(value, date) else value)
        for field in REVIEW_FIELDS
        for value in [getattr(review, field)]
    }
    data["overall"] = str(review.overall)
    data["action_items"] = [
        {
            "description": item.description,
            "owner": item.owner,
            "due_on": item.due_on.isoformat(),
            "done_on": item.done_on.isoformat() if item.done_on else None,
        }
        for item in review.action_items.order_by("due_on", "pk")
    ]
    return data


def _record_revision(review: PartnerReview, editor: User | None) -> ReviewRevision:
    last = review.revisions.aggregate(n=Max("number"))["n"] or 0
    return ReviewRevision.objects.create(
        review=review, number=last + 1, edited_by=editor, data=_snapshot(review)
    )


def _clean_action_items(items: Iterable[dict[str, Any]]) -> list[ReviewActionItem]:
    cleaned = []
    for item in items:
        action = ReviewActionItem(
            description=(item.get("description") or "").strip(),
            owner=(item.get("owner") or "").strip(),
            due_on=cast(date, item.get("due_on")),
            done_on=item.get("done_on"),
        )
        action.full_clean(exclude=["review"])
        cleaned.append(action)
    return cleaned


def _apply_scores(review: PartnerReview) -> None:
    scores = [getattr(review, name) for name in SCORE_FIELDS]
    if all(isinstance(s, int) for s in scores):
        review.overall = PartnerReview.mean_score(scores)


def _refuse_overlapping_period(review: PartnerReview) -> None:
    """One review per stretch of a partner's time: a second review of a period
    that an earlier one already covers (the same quarter logged twice, or by
    two managers) would count twice in the partner's score trend. Call with
    the partner's row locked, so two submissions at once are checked one
    after the other."""
    other = (
        PartnerReview.objects.filter(
            partner_id=review.partner_id,
            period_start__lte=review.period_end,
            period_end__gte=review.period_start,
        )
        .exclude(pk=review.pk)
        .order_by("period_start", "pk")
        .first()
    )
    if other is not None:
        raise ValidationError(
            {
                "period_start": (
                    f"{review.partner} already has a review of {other.period_start:%Y-%m-%d} to "
                    f"{other.period_end:%Y-%m-%d} (held on {other.reviewed_on:%Y-%m-%d}), which "
                    "overlaps this period: edit that review, or review a period it does not cover."
                )
            }
        )


def _lock_partner(partner_id: int) -> None:
    Partner.objects.select_for_update().filter(pk=partner_id).values_list("pk").first()


@transaction.atomic
def review_submit(
    *,
    partner: Partner,
    author: User | None,
    period_start: date,
    period_end: date,
    reviewed_on: date,
    score_sales: int,
    score_enablement: int,
    score_brand: int,
    score_satisfaction: int,
    score_collaboration: int,
    strengths: str = "",
    improvements: str = "",
    next_review_on: date | None = None,
    action_items: Iterable[dict[str, Any]] = (),
    submitted_at: Any = None,
) -> PartnerReview:
    """Log a review: the overall score is the mean of the five; the next review
    defaults to the tier's cadence after this one; the partner's due date moves."""
    review = PartnerReview(
        partner=partner,
        author=author,
        period_start=period_start,
        period_end=period_end,
        reviewed_on=reviewed_on,
        score_sales=score_sales,
        score_enablement=score_enablement,
        score_brand=score_brand,
        score_satisfaction=score_satisfaction,
        score_collaboration=score_collaboration,
        strengths=strengths.strip(),
        improvements=improvements.strip(),
        next_review_on=next_review_on
        or review_default_next_on(partner=partner, reviewed_on=reviewed_on),
        created_at=submitted_at or timezone.now(),
    )
    _apply_scores(review)
    review.full_clean(exclude=["overall"])
    items = _clean_action_items(action_items)
    _lock_partner(partner.pk)
    _refuse_overlapping_period(review)
    review.save()
    for item in items:
        item.review = review
    ReviewActionItem.objects.bulk_create(items)
    _record_revision(review, author)
    partner_schedule_review(partner=partner)
    partner_attention_changed.send(sender=Partner, partner=partner)
    return review


@transaction.atomic
def review_update(
    *,
    review: PartnerReview,
    editor: User | None,
    data: dict[str, Any],
    action_items: Iterable[dict[str, Any]] | None = None,
) -> PartnerReview:
    """Save an edit (who may edit is rules.py's call) and keep the old version."""
    period = (review.period_start, review.period_end)
    for field in REVIEW_FIELDS:
        if field in data:
            setattr(review, field, data[field])
    if not review.next_review_on:
        review.next_review_on = review_default_next_on(
            partner=review.partner, reviewed_on=review.reviewed_on
        )
    _apply_scores(review)
    review.full_clean(exclude=["overall"])
    if (review.period_start, review.period_end) != period:
        # (Reviews logged before the rule may overlap: their text stays editable.)
        _lock_partner(review.partner_id)
        _refuse_overlapping_period(review)
    review.save()
    if action_items is not None:
        items = _clean_action_items(action_items)
        review.action_items.all().delete()
        for item in items:
            item.review = review
        ReviewActionItem.objects.bulk_create(items)
    _record_revision(review, editor)
    partner_schedule_review(partner=review.partner)
    partner_attention_changed.send(sender=Partner, partner=review.partner)
    return review


@transaction.atomic
def action_item_set_done(
    *,
    item: ReviewActionItem,
    done: bool,
    on: date | None = None,
    note: str = "",
    by: User | None = None,
) -> ReviewActionItem:
    item.done_on = (on or timezone.localdate()) if done else None
    item.done_note = note.strip() if done else ""
    item.done_by = by if done else None
    item.full_clean()
    item.save(update_fields=["done_on", "done_note", "done_by"])
    return item


def _on_partner_review_schedule_changed(sender: Any, *, partner: Partner, **kwargs: Any) -> None:
    partner_schedule_review(partner=partner)
