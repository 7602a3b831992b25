"""The demo deals, price list, conflicts and brand audits: each kind is there,
and loading them twice adds nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from channelhub.demo import seed_users
from channels_app.audits.models import BrandAudit
from channels_app.audits.selectors import channels_with_overdue_audits
from channels_app.demo import audits as audit_demo
from channels_app.demo import channels as channels_demo
from partners.conflicts.models import ConflictCase, ConflictNote, PriceObservation, Product
from partners.deals.models import DealRegistration
from partners.demo import conflicts as demo_conflicts
from partners.demo import partners as demo_partners

pytestmark = pytest.mark.django_db


def _state() -> tuple:
    return (
        DealRegistration.objects.count(),
        ConflictCase.objects.count(),
        ConflictNote.objects.count(),
        PriceObservation.objects.count(),
        Product.objects.count(),
        BrandAudit.objects.count(),
    )


def test_the_demo_has_deals_conflicts_of_each_kind_prices_and_audits_once():
    today = timezone.localdate()
    users = seed_users()
    channels = channels_demo.seed(users, today)
    demo_partners.seed(users, channels, today)
    open_cases = demo_conflicts.seed_deals_and_conflicts(users, today)
    audit_demo.seed(users, channels, today)

    assert open_cases >= 5
    kinds = set(ConflictCase.objects.values_list("kind", flat=True))
    assert kinds == {k for k, _label in ConflictCase.Kind.choices}
    detected = ConflictCase.objects.filter(source="detected", status="open")
    assert {"pricing", "territory", "deal_overlap"} <= set(detected.values_list("kind", flat=True))
    assert detected.filter(kind="deal_overlap").count() >= 2  # domain and fuzzy name
    assert ConflictCase.objects.filter(status="resolved").exclude(rule_agreed="").exists()
    assert ConflictCase.objects.filter(status="dismissed").exists()
    statuses = set(DealRegistration.objects.values_list("status", flat=True))
    assert statuses == {"submitted", "approved", "rejected", "expired"}
    below = [o for o in PriceObservation.objects.select_related("product") if o.below_map_by]
    assert below and all(o.conflict_case_id for o in below)
    assert Product.objects.filter(map_price__isnull=True).exists()
    overdue = {c.slug for c in channels_with_overdue_audits(today=today)}
    assert overdue == {"amazon", "trade-shows", "resellers"}
    assert BrandAudit.objects.filter(channel__slug="web-shop").count() == 8

    before = _state()
    demo_conflicts.seed_deals_and_conflicts(users, today)
    audit_demo.seed(users, channels, today)
    assert _state() == before
