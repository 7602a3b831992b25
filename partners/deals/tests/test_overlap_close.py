"""Closing a deal-overlap case decides its registrations in the same step
(issue 21 item 5): before, both stayed "Submitted" and needed a second walk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.conflicts.models import ConflictCase
from partners.deals import detection as deals_detection
from partners.deals.models import DealRegistration
from tests.factories import ConflictCaseFactory, DealFactory, PartnerFactory

pytestmark = pytest.mark.django_db

S = DealRegistration.Status


@pytest.fixture
def overlap(pauls_partner, indirect_channel, other_partner_user):
    today = timezone.localdate()
    alpine = PartnerFactory(
        name="Alpine Supply", slug="alpine", channel=indirect_channel, manager=other_partner_user
    )
    held = DealFactory(
        partner=pauls_partner,
        customer_name="Acme GmbH",
        customer_domain="acme.de",
        submitted_on=today - timedelta(days=20),
        expires_on=today + timedelta(days=70),
    )
    newer = DealFactory(
        partner=alpine,
        customer_name="ACME Deutschland",
        customer_domain="acme.de",
        submitted_on=today - timedelta(days=2),
        expires_on=today + timedelta(days=88),
    )
    deals_detection.conflicts_detect(today=today)
    case = ConflictCase.objects.get(kind=ConflictCase.Kind.DEAL_OVERLAP)
    return case, held, newer


def _close(client, case, **data):
    return client.post(
        reverse("partners:conflict-close-overlap", args=[case.pk]),
        {"status": "resolved", "resolution": "First registration wins.", **data},
    )


def test_the_close_page_of_an_overlap_case_asks_which_registration_keeps_the_customer(
    overlap, marketing_client
):
    case, _held, _newer = overlap
    response = marketing_client.get(reverse("partners:conflict-close", args=[case.pk]))
    assert response.status_code == 302
    page = marketing_client.get(response["Location"])
    assert "Nordlicht Handel keeps Acme GmbH" in page.text
    assert "Alpine Supply keeps ACME Deutschland" in page.text
    assert "Reject them all" in page.text


def test_resolving_approves_the_one_kept_and_rejects_the_other(overlap, marketing_client):
    case, held, newer = overlap
    response = _close(marketing_client, case, keep=str(held.pk), rule_agreed="First wins")
    assert response.status_code == 302
    case.refresh_from_db()
    held.refresh_from_db()
    newer.refresh_from_db()
    assert case.status == "resolved"
    assert (held.status, newer.status) == (S.APPROVED, S.REJECTED)
    assert newer.decision_note.startswith(f"Conflict case #{case.pk}: Nordlicht Handel keeps")
    text = marketing_client.get(case.get_absolute_url()).text
    assert "Nordlicht Handel&#x27;s registration approved, 1 rejected." in text


def test_reject_them_all(overlap, marketing_client):
    case, _held, _newer = overlap
    assert _close(marketing_client, case, keep="none").status_code == 302
    assert set(DealRegistration.objects.values_list("status", flat=True)) == {S.REJECTED}


def test_decide_later_leaves_them_submitted(overlap, marketing_client):
    case, _held, _newer = overlap
    assert _close(marketing_client, case, keep="later").status_code == 302
    assert set(DealRegistration.objects.values_list("status", flat=True)) == {S.SUBMITTED}


def test_a_registration_that_cannot_be_decided_closes_nothing(overlap, marketing_client):
    """One transaction: the kept registration sits in a second open case, so
    neither the case closes nor any registration changes."""
    case, held, _newer = overlap
    other = ConflictCaseFactory(kind=ConflictCase.Kind.DEAL_OVERLAP, status="open")
    other.deals.add(held)
    response = _close(marketing_client, case, keep=str(held.pk))
    assert response.status_code == 200
    assert "Nordlicht Handel's registration" in response.context["form"].errors["keep"][0]
    case.refresh_from_db()
    assert case.status == "open"
    assert set(DealRegistration.objects.values_list("status", flat=True)) == {S.SUBMITTED}


def test_a_party_cannot_close_it(overlap, partner_client):
    case, held, _newer = overlap
    assert _close(partner_client, case, keep=str(held.pk)).status_code in (403, 404)
    case.refresh_from_db()
    assert case.status == "open"
    assert set(DealRegistration.objects.values_list("status", flat=True)) == {S.SUBMITTED}
