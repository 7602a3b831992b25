"""The tier rules: requirements per tier, the daily job proposing promotions
and demotions (idempotent, one open proposal per partner), the partner
manager's decision, and the partner's progress in the portal."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from channelhub.lib.roles import PARTNER_MANAGER
from kpis.tests.helpers import import_rows, recompute
from partners.models import Partner, Tier, TierProposal
from partners.tiering.services import tier_proposals_refresh
from partners.tiering.tasks import tier_rules_task
from tests.auth import signed_in_client
from tests.factories import (
    CertificationFactory,
    ChannelFactory,
    ContactFactory,
    PartnerFactory,
    ReviewFactory,
    UserFactory,
    make_partner_user,
)
from tests.test_authorization_audit import database_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    paul = UserFactory(username="paul", role=PARTNER_MANAGER)
    petra = UserFactory(username="petra", role=PARTNER_MANAGER)
    channel = ChannelFactory(slug="market", route="indirect")
    # The tiers every installation starts with: Silver, then Gold.
    silver, gold = Tier.objects.get(code="silver"), Tier.objects.get(code="gold")
    silver.min_revenue, silver.revenue_window_days = Decimal("1000"), 90
    silver.save()
    gold.min_revenue, gold.revenue_window_days = Decimal("5000"), 90
    gold.min_certified_people, gold.min_review_score = 1, Decimal("3.5")
    gold.save()
    acme = PartnerFactory(name="Acme", slug="acme", channel=channel, manager=paul)
    Partner.objects.filter(pk=acme.pk).update(status="active", tier=silver)
    acme.refresh_from_db()
    return {"paul": paul, "petra": petra, "acme": acme, "silver": silver, "gold": gold}


def _sales(amount: str, partner: str = "acme", day: date | None = None) -> None:
    day = day or timezone.localdate() - timedelta(days=1)
    import_rows(
        ["date", "channel", "partner", "revenue"], [[day.isoformat(), "market", partner, amount]]
    )
    recompute()


def _qualify_for_gold(world):
    _sales("6000")
    contact = ContactFactory(partner=world["acme"])
    CertificationFactory(contact=contact, expires_on=timezone.localdate() + timedelta(days=100))
    ReviewFactory(partner=world["acme"], author=world["paul"])  # overall from the factory's scores


def test_a_partner_meeting_the_next_tier_is_proposed_once_however_often_the_job_runs(world):
    _qualify_for_gold(world)
    review = world["acme"].reviews.get()
    assert review.overall >= Decimal("3.5"), "the factory's review must meet Gold"
    today = timezone.localdate()

    first = tier_proposals_refresh(today=today)
    second = tier_proposals_refresh(today=today)
    tier_rules_task()

    proposal = TierProposal.objects.get()
    assert (first.proposed, second.proposed, second.refreshed) == (1, 0, 1)
    assert proposal.kind == "promotion" and proposal.to_tier == world["gold"]
    assert proposal.from_tier == world["silver"] and proposal.status == "open"
    assert "$6,000 (needed $5,000)" in proposal.reasons


def test_a_partner_missing_its_tier_is_proposed_a_demotion_that_lapses_when_it_recovers(world):
    today = timezone.localdate()
    Partner.objects.filter(pk=world["acme"].pk).update(tier=world["gold"])

    tier_proposals_refresh(today=today)
    proposal = TierProposal.objects.get()
    assert proposal.kind == "demotion" and proposal.to_tier == world["silver"]
    assert "not met" in proposal.reasons

    _qualify_for_gold(world)
    tier_proposals_refresh(today=today)
    proposal.refresh_from_db()
    assert proposal.status == "lapsed"
    assert not TierProposal.objects.filter(status="open").exists()


def test_the_manager_confirms_and_the_partner_moves_up(world):
    _qualify_for_gold(world)
    tier_proposals_refresh(today=timezone.localdate())
    proposal = TierProposal.objects.get()
    paul = signed_in_client(world["paul"])

    assert "Acme" in paul.get(reverse("partners:tier-proposals")).text
    response = paul.post(
        reverse("partners:tier-proposal-decide", args=[proposal.pk]),
        {"decision": "confirm", "note": "Well earned"},
    )

    assert response.status_code == 302
    world["acme"].refresh_from_db()
    proposal.refresh_from_db()
    assert world["acme"].tier == world["gold"]
    assert proposal.status == "confirmed" and proposal.decided_by == world["paul"]
    # Decided once: a second click changes nothing.
    paul.post(reverse("partners:tier-proposal-decide", args=[proposal.pk]), {"decision": "dismiss"})
    proposal.refresh_from_db()
    assert proposal.status == "confirmed"


def test_a_dismissed_proposal_is_not_made_again_at_once(world):
    _qualify_for_gold(world)
    today = timezone.localdate()
    tier_proposals_refresh(today=today)
    signed_in_client(world["paul"]).post(
        reverse("partners:tier-proposal-decide", args=[TierProposal.objects.get().pk]),
        {"decision": "dismiss"},
    )

    tier_proposals_refresh(today=today)

    assert list(TierProposal.objects.values_list("status", flat=True)) == ["dismissed"]


def test_another_partner_manager_may_not_decide(world):
    _qualify_for_gold(world)
    tier_proposals_refresh(today=timezone.localdate())
    proposal = TierProposal.objects.get()
    before = database_state()

    response = signed_in_client(world["petra"]).post(
        reverse("partners:tier-proposal-decide", args=[proposal.pk]), {"decision": "confirm"}
    )

    assert response.status_code == 403
    assert database_state() == before


def test_the_portal_home_shows_what_the_next_tier_needs(world):
    _sales("2000")
    alice = make_partner_user(world["acme"], "alice")

    response = signed_in_client(alice).get(reverse("portal:home"))

    progress = response.context["tier_progress"]
    assert progress["tier"] == world["gold"] and not progress["met"]
    rows = {r.label: r for r in progress["requirements"]}
    revenue = rows["Revenue over the last 90 days"]
    assert (revenue.has, revenue.needed, revenue.met) == ("$2,000", "$5,000", False)
    assert revenue.gap == "$3,000 more revenue"
    assert rows["People with a valid certification"].gap == "1 more certified person"
    assert rows["Overall score of the last review"].has == "no review yet"
    assert "What Gold needs" in response.text and "$3,000 more revenue to go" in response.text
    assert '<td class="num">$5,000</td><td class="num">$2,000</td>' in response.text
