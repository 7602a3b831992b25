"""The home panel "What needs you today" lists only work that is still work."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from partners.attention.selectors import today_for_user
from partners.directory.models import Partner
from partners.directory.services import partner_set_status
from tests.factories import ActionItemFactory, ReviewFactory

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 1)


def test_an_offboarded_partners_open_action_items_leave_the_panel(
    pauls_partner, partner_user, partner_client
):
    """Issue 21 item 8: offboarding ends the work; its items are history."""
    review = ReviewFactory(partner=pauls_partner, author=partner_user)
    ActionItemFactory(review=review, description="Send the co-marketing plan")
    panel = today_for_user(user=partner_user, today=TODAY)
    assert panel is not None
    assert [a.description for a in panel["actions"]] == ["Send the co-marketing plan"]

    partner_set_status(partner=pauls_partner, status=Partner.Status.OFFBOARDED, note="Ended")
    panel = today_for_user(user=partner_user, today=TODAY)
    assert panel is None or panel["actions"] == []
    assert "Send the co-marketing plan" not in partner_client.get(reverse("home")).text


def test_the_panel_counts_every_item_and_says_how_many_more_than_it_lists(
    pauls_partner, partner_user, partner_client
):
    """Each list shows ten; its badge counted the ten, and nothing said there
    were more (a manager with 26 expired attestations read 10)."""
    review = ReviewFactory(partner=pauls_partner, author=partner_user)
    for i in range(13):
        ActionItemFactory(review=review, description=f"Task {i:02}")
    panel = today_for_user(user=partner_user, today=TODAY)
    assert panel is not None
    assert len(panel["actions"]) == 10
    assert panel["totals"]["actions"] == 13 and panel["more"]["actions"] == 3
    assert panel["count"] >= 13
    page = partner_client.get(reverse("home")).text
    assert 'Action items due <span class="badge warn">13</span>' in page
    assert "and 3 more" in page
