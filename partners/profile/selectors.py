"""The partner scorecard: what the partner page sums up from every sub-domain."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import (
    Max,
    Q,
)

from partners.activity.models import Interaction, PartnerReview, ReviewActionItem
from partners.directory.models import Partner
from partners.directory.selectors import ACTIVE_STATUSES, onboarding_percent
from partners.enablement.models import Certification
from partners.enablement.selectors import certifications_expiring


def partner_scorecard(*, partner: Partner, today: date) -> dict[str, Any]:
    last_review = PartnerReview.objects.filter(partner=partner).order_by("-reviewed_on").first()
    # Contact is what people said to each other (calls, visits, messages);
    # what the partner did alone in the portal is logged, but not contact.
    last_interaction = (
        Interaction.objects.filter(partner=partner, occurred_on__lte=today)
        .exclude(kind=Interaction.Kind.IN_PORTAL)
        .aggregate(last=Max("occurred_on"))
        .get("last")
    )
    certifications = Certification.objects.filter(contact__partner=partner)
    return {
        "onboarding_percent": onboarding_percent(partner),
        "certifications_valid": certifications.filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=today)
        ).count(),
        "certifications_expiring": certifications_expiring(
            partners=Partner.objects.filter(pk=partner.pk), today=today
        ).count(),
        "last_review": last_review,
        # Only partners on the review cadence are overdue (not those onboarding).
        "review_overdue": partner.status in ACTIVE_STATUSES
        and partner.next_review_on is not None
        and partner.next_review_on < today,
        "open_action_items": ReviewActionItem.objects.filter(
            review__partner=partner, done_on__isnull=True
        ).count(),
        "last_interaction_on": last_interaction,
        "days_since_interaction": (today - last_interaction).days if last_interaction else None,
    }
