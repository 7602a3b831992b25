"""The interaction log inside: what came from the partner portal stays as the
portal recorded it, and a follow-up reads the same on the log as on the
partner's page."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from partners.activity import services
from partners.activity.models import Interaction
from tests.api import *  # noqa: F403
from tests.factories import InteractionFactory, make_partner_user

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def from_portal(world):
    """A message and an activity entry that Nina wrote and did in the portal."""
    nina = make_partner_user(world["partner"], "nina", name="Nina Berger")
    return [
        InteractionFactory(
            partner=world["partner"],
            kind=kind,
            occurred_on=date(2025, 3, 5),
            summary=summary,
            logged_by=nina,
        )
        for kind, summary in (
            (Interaction.Kind.PORTAL, "Can we get the new price list?"),
            (Interaction.Kind.IN_PORTAL, "Registered a deal for Initech AG"),
        )
    ]


def _unchanged(entries: list[Interaction]) -> bool:
    kept = {i.pk: (i.kind, i.occurred_on, i.summary) for i in entries}
    stored = {
        i.pk: (i.kind, i.occurred_on, i.summary) for i in Interaction.objects.filter(pk__in=kept)
    }
    return stored == kept


def test_the_owner_sees_no_edit_button_on_what_came_from_the_portal(
    world, from_portal, partner_client
):
    page = partner_client.get(reverse("partners:interactions", args=["nordlicht"]))

    assert page.status_code == 200
    for entry in from_portal:
        assert reverse("partners:interaction-edit", args=[entry.pk]) not in page.text
    # A call the manager logged stays editable.
    assert reverse("partners:interaction-edit", args=[world["interaction"].pk]) in page.text
    partner_page = partner_client.get(reverse("partners:detail", args=["nordlicht"]))
    for entry in from_portal:
        assert reverse("partners:interaction-edit", args=[entry.pk]) not in partner_page.text


def test_the_owner_cannot_open_or_post_the_edit_form_of_a_portal_entry(
    world, from_portal, partner_client
):
    for entry in from_portal:
        url = reverse("partners:interaction-edit", args=[entry.pk])
        opened = partner_client.get(url, follow=True)
        posted = partner_client.post(
            url,
            {"kind": "call", "occurred_on": "2025-03-06", "summary": "Rewritten as a call"},
            follow=True,
        )

        for response in (opened, posted):
            assert response.redirect_chain == [
                (reverse("partners:interactions", args=["nordlicht"]), 302)
            ]
            assert "recorded by the partner portal and cannot be edited" in response.text
            assert "Rewritten as a call" not in response.text
    assert _unchanged(from_portal)


def test_the_api_refuses_to_change_a_portal_entry(world, from_portal, partner_api):
    for entry in from_portal:
        response = partner_api.patch(
            f"{API}/interactions/{entry.pk}/",
            {"kind": "call", "occurred_on": "2025-03-06", "summary": "Rewritten as a call"},
        )

        assert response.status_code == 400
        assert "cannot be edited" in response.json()["detail"]
    assert _unchanged(from_portal)


def test_the_service_refuses_every_portal_kind(world, from_portal):
    for entry in from_portal:
        with pytest.raises(ValidationError, match="cannot be edited"):
            services.interaction_update(interaction=entry, data={"summary": "Rewritten"})
    assert _unchanged(from_portal)


def test_an_overdue_follow_up_reads_the_same_on_the_log_as_on_the_partner_page(
    world, partner_client
):
    # world's call has a follow-up on 2025-03-10, long past and still open.
    log = partner_client.get(reverse("partners:interactions", args=["nordlicht"]))
    partner_page = partner_client.get(reverse("partners:detail", args=["nordlicht"]))

    for page in (log, partner_page):
        assert "overdue since 2025-03-10" in page.text
        assert "by 2025-03-10" not in page.text
