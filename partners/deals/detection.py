"""The nightly conflict detection: deal overlaps here, pricing and territory
rules from partners.conflicts.detection, all under one lock.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from itertools import combinations

from django.db import transaction

from channelhub.lib.locks import advisory_xact_lock
from channelhub.lib.matching import names_match
from partners.conflicts.detection import (
    DETECTION_LOCK,
    DetectionResult,
    K,
    detect_pricing,
    detect_territory,
)

from .services import active_deals, deals_expire, open_overlap_case


def detect_deal_overlaps(*, today: date, notify: bool = True) -> DetectionResult:
    """One case per pair of other partners' active registrations of one customer.

    Pairs are compared within a domain, and names within a country: a few
    hundred active registrations per country are a few tens of thousands of
    cheap comparisons (most are refused by difflib's quick upper bounds).
    """
    result = DetectionResult()
    deals = list(
        active_deals(today=today)
        .select_related("partner__channel__owner", "partner__manager")
        .order_by("submitted_on", "pk")
    )
    pairs: set[tuple[int, int]] = set()
    by_domain: dict[str, list[int]] = defaultdict(list)
    by_country: dict[str, list[int]] = defaultdict(list)
    for index, deal in enumerate(deals):
        if deal.domain_key:
            by_domain[deal.domain_key].append(index)
        by_country[deal.country].append(index)
    for indexes in by_domain.values():
        pairs.update(combinations(indexes, 2))
    for indexes in by_country.values():
        for i, j in combinations(indexes, 2):
            if names_match(deals[i].name_key, deals[j].name_key):
                pairs.add((i, j))
    for i, j in sorted(pairs):
        first, second = deals[i], deals[j]
        if first.partner_id == second.partner_id:
            continue
        _case, created = open_overlap_case(deal=second, other=first, notify=notify)
        result.count(K.DEAL_OVERLAP, created)
    return result


@transaction.atomic
def conflicts_detect(*, today: date, notify: bool = True) -> DetectionResult:
    """The scheduled job: expire old registrations, then run every rule.

    One transaction: the cases of a run appear together, with their emails
    sent after the commit (`notify=False`: none, e.g. for demo data). Running
    it again opens nothing new.
    """
    advisory_xact_lock(DETECTION_LOCK)
    result = DetectionResult(expired_deals=deals_expire(today=today))
    for rule in (detect_pricing, detect_territory, detect_deal_overlaps):
        found = rule(today=today, notify=notify)
        for kind, n in found.opened.items():
            result.opened[kind] = result.opened.get(kind, 0) + n
        result.attached += found.attached
    return result
