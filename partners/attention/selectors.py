"""The home page's "what needs you today" for a partner manager."""

from __future__ import annotations

from datetime import date
from typing import Any

from partners.activity.selectors import follow_ups_overdue, open_action_items, reviews_due
from partners.contracts.selectors import (
    attestations_expired,
    contracts_ending,
    partners_without_valid_contract,
)
from partners.directory.selectors import visible_partners
from partners.enablement.selectors import certifications_expiring


def today_for_user(*, user: Any, today: date) -> dict[str, Any] | None:
    """The home panel of a partner manager: what needs them today. None for
    users who manage no partner (they get no panel)."""
    mine = visible_partners(user=user).filter(manager=user)
    if not mine.exists():
        return None
    follow_ups = list(follow_ups_overdue(partners=mine, today=today)[:10])
    due = list(reviews_due(partners=mine, today=today)[:10])
    contracts = list(contracts_ending(partners=mine, today=today)[:10])
    uncovered = list(partners_without_valid_contract(partners=mine, today=today)[:10])
    attestations = list(attestations_expired(partners=mine, today=today)[:10])
    certifications = list(certifications_expiring(partners=mine, today=today)[:10])
    actions = list(open_action_items(partners=mine).filter(due_on__lte=today)[:10])
    return {
        "today": today,
        "follow_ups": follow_ups,
        "reviews": due,
        "contracts": contracts,
        "uncovered": uncovered,
        "attestations": attestations,
        # One badge over the three lists (contracts ending, active without
        # one, compliance attestations expired on a contract in force).
        "contract_count": len(contracts) + len(uncovered) + len(attestations),
        "certifications": certifications,
        "actions": actions,
        "count": len(follow_ups)
        + len(due)
        + len(contracts)
        + len(uncovered)
        + len(attestations)
        + len(certifications)
        + len(actions),
    }
