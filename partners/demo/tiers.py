"""Demo tier requirements (what Silver, Gold and Platinum need), set once:
a tier that already has a requirement is left as the administrator set it."""

from __future__ import annotations

from decimal import Decimal

from partners.directory.models import Tier

# code: revenue over the window, window in days, certified people, review score
DEMO_REQUIREMENTS = {
    "silver": (Decimal("50000"), 365, 1, None),
    "gold": (Decimal("200000"), 365, 2, Decimal("3.50")),
    "platinum": (Decimal("500000"), 365, 3, Decimal("4.00")),
}


def seed() -> int:
    changed = 0
    for tier in Tier.objects.filter(code__in=DEMO_REQUIREMENTS):
        if tier.has_requirements:
            continue
        revenue, window, people, score = DEMO_REQUIREMENTS[tier.code]
        tier.min_revenue, tier.revenue_window_days = revenue, window
        tier.min_certified_people, tier.min_review_score = people, score
        tier.full_clean()
        tier.save()
        changed += 1
    return changed
