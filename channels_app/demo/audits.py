"""Demo brand audits: two years of quarterly checklists for the running
channels, some of them now overdue. Deterministic and idempotent: a channel
that has any audit is left alone.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from channels_app.audits.models import BRAND_AUDIT_ITEM_KEYS, BRAND_AUDIT_ITEMS
from channels_app.audits.services import audit_record
from channels_app.channels.models import Channel

NOTES = {
    "messaging": ["Taglines match the spring campaign.", "Old claim still on two pages."],
    "pricing": ["Prices match the list.", "A bundle shown without the MAP disclaimer."],
    "product_information": ["Specs up to date.", "Dimensions of the desk range outdated."],
    "customer_service": ["Replies within a day.", "Returns policy not linked at checkout."],
    "visual_identity": ["New logo everywhere.", "Old logo on the checkout page."],
}


# Channels audited late: their last audit is older than the cadence.
OVERDUE = {"amazon", "trade-shows", "resellers"}


def seed(users: dict[str, Any], channels: list[Channel], today: date) -> int:
    """Create the demo audits; returns how many were created."""
    rng = random.Random(20240603)
    created = 0
    for channel in channels:
        if channel.status not in (Channel.Status.ACTIVE, Channel.Status.PAUSED):
            continue
        if channel.brand_audits.exists():
            continue
        level = rng.uniform(2.8, 4.2)
        trend = rng.choice([-0.1, 0.05, 0.1, 0.15])
        last = today - timedelta(
            days=rng.randint(130, 200) if channel.slug in OVERDUE else rng.randint(5, 60)
        )
        days = [last - timedelta(days=91 * n) for n in range(8)][::-1]
        for n, audited_on in enumerate(days):
            score_level = level + trend * n
            items = {}
            for key in BRAND_AUDIT_ITEM_KEYS:
                score = max(1, min(5, round(score_level + rng.uniform(-0.9, 0.9))))
                items[key] = (
                    score,
                    NOTES[key][0 if score >= 4 else 1] if rng.random() < 0.6 else "",
                )
            audit_record(
                channel=channel,
                audited_on=audited_on,
                items=items,
                auditor=channel.owner or users["maria"],
                summary=_summary(items),
            )
            created += 1
    return created


def _summary(items: dict[str, tuple[int, str]]) -> str:
    labels = dict(BRAND_AUDIT_ITEMS)
    weakest = min(items, key=lambda key: items[key][0])
    if items[weakest][0] >= 4:
        return "Consistent and clean across the checklist."
    return f"{labels[weakest]} needs attention before the next audit."
