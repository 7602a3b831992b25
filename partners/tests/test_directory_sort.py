"""Sorting the partner directory by a date some partners do not have (the
next review, the last contact): those partners come last, whichever way the
column is sorted, on the page and over the API."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from partners.directory.models import Partner
from tests.api import *  # noqa: F403
from tests.factories import InteractionFactory, PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def partners(indirect_channel):
    """Three partners due for review on different days and two with no date."""
    due = {
        "Birch": date(2026, 5, 1),
        "Alder": None,
        "Cedar": date(2026, 3, 1),
        "Aspen": None,
        "Dogwood": date(2026, 4, 1),
    }
    for name, on in due.items():
        partner = PartnerFactory(name=name, slug=name.lower(), channel=indirect_channel)
        Partner.objects.filter(pk=partner.pk).update(next_review_on=on)
        # Last contact: the same days, none for the partners with no review date.
        if on is not None:
            InteractionFactory(partner=partner, occurred_on=on)


def _page_order(client, sort: str) -> list[str]:
    response = client.get(reverse("partners:list"), {"sort": sort})
    assert response.status_code == 200
    return [p.name for p in response.context["partners"]]


@pytest.mark.parametrize("field", ["next_review", "last_interaction"])
def test_partners_without_a_date_sort_last_both_ways_on_the_page(field, partners, viewer_client):
    assert _page_order(viewer_client, field) == ["Cedar", "Dogwood", "Birch", "Alder", "Aspen"]
    assert _page_order(viewer_client, f"-{field}") == [
        "Birch",
        "Dogwood",
        "Cedar",
        "Alder",
        "Aspen",
    ]


def test_partners_without_a_review_date_sort_last_both_ways_over_the_api(partners, viewer_api):
    def order(sort: str) -> list[str]:
        body = viewer_api.get("/api/v1/partners/", {"sort": sort}).json()
        return [p["slug"] for p in body["results"]]

    assert order("next_review") == ["cedar", "dogwood", "birch", "alder", "aspen"]
    assert order("-next_review") == ["birch", "dogwood", "cedar", "alder", "aspen"]


def test_what_the_partner_did_alone_in_the_portal_is_not_contact(
    partners, viewer_client, partner_user
):
    """The report: a deal the partner registered in the portal made "Days
    since contact 0", though nobody had spoken to them."""
    from partners.profile.selectors import partner_scorecard

    birch = Partner.objects.get(slug="birch")
    InteractionFactory(partner=birch, occurred_on=date(2026, 6, 1), kind="in_portal")
    scorecard = partner_scorecard(partner=birch, today=date(2026, 6, 2))
    assert scorecard["last_interaction_on"] == date(2026, 5, 1)
    assert scorecard["days_since_interaction"] == 32
    page = viewer_client.get(reverse("partners:list"), {"sort": "-last_interaction"})
    (row,) = [p for p in page.context["partners"] if p.slug == "birch"]
    assert row.last_interaction_on == date(2026, 5, 1)
    # A message in the portal's thread is contact.
    InteractionFactory(partner=birch, occurred_on=date(2026, 6, 1), kind="portal")
    assert partner_scorecard(partner=birch, today=date(2026, 6, 2))["days_since_interaction"] == 1
