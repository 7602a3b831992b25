"""Reads of the tier rules: where a partner stands against each tier's
requirements, and the open proposals a user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from channelhub.metrics.display import money0
from partners.activity.models import PartnerReview
from partners.directory.models import Partner, Tier
from partners.directory.selectors import visible_partners
from partners.enablement.models import Certification
from partners.extensions import partner_revenue

from .models import TierProposal


@dataclass(frozen=True)
class Standing:
    """A partner's figures the tier requirements are checked against."""

    revenue: dict[int, Decimal]  # window days -> revenue over that many days up to today
    certified_people: int
    review_score: Decimal | None


@dataclass(frozen=True)
class Requirement:
    label: str
    needed: str
    has: str
    met: bool
    gap: str  # what is missing, in words ("" when met)


def revenue_between(*, partner_ids: list[int], start: date, end: date) -> dict[int, Decimal]:
    """Each partner's revenue in [start, end], from the KPI engine (an extension)."""
    found = partner_revenue.context(partner_ids=partner_ids, start=start, end=end).get("revenue")
    return {pk: (found or {}).get(pk, Decimal(0)) for pk in partner_ids}


def standings(*, partners: list[Partner], tiers: list[Tier], today: date) -> dict[int, Standing]:
    """The figures of many partners at once: one revenue read per window in
    use, one query for certified people, one for the last reviews."""
    ids = [p.pk for p in partners]
    windows = sorted({t.revenue_window_days for t in tiers if t.min_revenue is not None})
    revenue = {
        days: revenue_between(partner_ids=ids, start=today - timedelta(days=days - 1), end=today)
        for days in windows
    }
    certified = dict(
        Certification.objects.filter(contact__partner_id__in=ids, contact__is_active=True)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today), issued_on__lte=today)
        .values("contact__partner_id")
        .annotate(people=Count("contact", distinct=True))
        .values_list("contact__partner_id", "people")
    )
    scores: dict[int, Decimal] = {}
    for review in (
        PartnerReview.objects.filter(partner_id__in=ids)
        .order_by("partner_id", "-reviewed_on", "-pk")
        .only("partner_id", "overall")
    ):
        scores.setdefault(review.partner_id, review.overall)
    return {
        pk: Standing(
            revenue={days: revenue[days][pk] for days in windows},
            certified_people=certified.get(pk, 0),
            review_score=scores.get(pk),
        )
        for pk in ids
    }


def _people(count: int) -> str:
    return "person" if count == 1 else "people"


def _money(value: Decimal) -> str:
    # As every amount the portal shows: with the reporting currency's sign.
    return money0(value)


def requirements(*, tier: Tier, standing: Standing) -> list[Requirement]:
    """Each requirement the tier sets, with the partner's figure and whether it is met."""
    rows = []
    if tier.min_revenue is not None:
        has = standing.revenue.get(tier.revenue_window_days, Decimal(0))
        met = has >= tier.min_revenue
        rows.append(
            Requirement(
                label=f"Revenue over the last {tier.revenue_window_days} days",
                needed=_money(tier.min_revenue),
                has=_money(has),
                met=met,
                gap="" if met else f"{_money(tier.min_revenue - has)} more revenue",
            )
        )
    if tier.min_certified_people is not None:
        has_people = standing.certified_people
        met = has_people >= tier.min_certified_people
        missing = tier.min_certified_people - has_people
        rows.append(
            Requirement(
                label="People with a valid certification",
                needed=str(tier.min_certified_people),
                has=str(has_people),
                met=met,
                gap=""
                if met
                else f"{missing} more certified {'person' if missing == 1 else 'people'}",
            )
        )
    if tier.min_review_score is not None:
        score = standing.review_score
        met = score is not None and score >= tier.min_review_score
        rows.append(
            Requirement(
                label="Overall score of the last review",
                needed=f"{tier.min_review_score:.2f}",
                has="no review yet" if score is None else f"{score:.2f}",
                met=met,
                gap=""
                if met
                else (
                    "a review"
                    if score is None
                    else f"a review score {tier.min_review_score - score:.2f} higher"
                ),
            )
        )
    return rows


def meets(*, tier: Tier, standing: Standing) -> bool:
    return tier.has_requirements and all(r.met for r in requirements(tier=tier, standing=standing))


def next_tier_progress(*, partner: Partner, today: date) -> dict[str, Any] | None:
    """What the tier above the partner's needs and where the partner stands
    (for the portal's home page); None at the top or without tiers."""
    tiers = list(Tier.objects.order_by("rank", "name"))
    current = partner.tier
    above = [t for t in tiers if current is None or t.rank > current.rank]
    if not above:
        return None
    tier = above[0]
    standing = standings(partners=[partner], tiers=[tier], today=today)[partner.pk]
    rows = requirements(tier=tier, standing=standing)
    return {"tier": tier, "requirements": rows, "met": bool(rows) and all(r.met for r in rows)}


def tier_proposals(*, user: Any, status: str = TierProposal.Status.OPEN) -> QuerySet[TierProposal]:
    """Proposals of the partners the user may see."""
    return (
        TierProposal.objects.filter(partner__in=visible_partners(user=user), status=status)
        .select_related("partner", "partner__manager", "from_tier", "to_tier", "decided_by")
        .order_by("partner__name", "pk")
    )
