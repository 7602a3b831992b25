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

SHOWN = 10  # items of each list on the home page


def today_for_user(*, user: Any, today: date) -> dict[str, Any] | None:
    """The home panel of a partner manager: what needs them today. None for
    users who manage no partner (they get no panel)."""
    mine = visible_partners(user=user).filter(manager=user)
    if not mine.exists():
        return None
    lists = {
        "follow_ups": follow_ups_overdue(partners=mine, today=today),
        "reviews": reviews_due(partners=mine, today=today),
        "contracts": contracts_ending(partners=mine, today=today),
        "uncovered": partners_without_valid_contract(partners=mine, today=today),
        "attestations": attestations_expired(partners=mine, today=today),
        "certifications": certifications_expiring(partners=mine, today=today),
        "actions": open_action_items(partners=mine).filter(due_on__lte=today),
    }
    # The first SHOWN of each list, and how many there are in all: the badges
    # and the count (which the daily reminder email also gives) are the whole.
    shown = {name: list(query[:SHOWN]) for name, query in lists.items()}
    totals = {
        name: len(shown[name]) if len(shown[name]) < SHOWN else query.count()
        for name, query in lists.items()
    }
    more = {name: totals[name] - len(shown[name]) for name in lists}
    return {
        "today": today,
        **shown,
        "totals": totals,
        "more": more,
        # One badge over the three lists (contracts ending, active without
        # one, compliance attestations expired on a contract in force).
        "contract_count": totals["contracts"] + totals["uncovered"] + totals["attestations"],
        "contract_more": more["contracts"] + more["uncovered"] + more["attestations"],
        "count": sum(totals.values()),
    }
