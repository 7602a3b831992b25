"""Every write refuses a partner manager on someone else's partner, and a viewer.

The matrix names each write URL once; the same requests by the owner are the
positive control (so a view that refused everyone would fail here too).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from partners.activity.models import Interaction, PartnerReview, ReviewActionItem
from partners.contracts.models import Contract
from partners.directory.models import OnboardingStep, Partner, PartnerContact
from partners.enablement.models import Certification
from tests.auth import signed_in_client

pytestmark = pytest.mark.django_db

# url name, which object of `world` gives its argument (slug for the partner)
WRITE_URLS = [
    ("partners:edit", "partner"),
    ("partners:status", "partner"),
    ("partners:contact-create", "partner"),
    ("partners:contact-edit", "contact"),
    ("partners:contact-delete", "contact"),
    ("partners:step-toggle", "step"),
    ("partners:step-add", "partner"),
    ("partners:training-create", "partner"),
    ("partners:certification-create", "partner"),
    ("partners:certification-delete", "certification"),
    ("partners:contract-create", "partner"),
    ("partners:contract-edit", "contract"),
    ("partners:attestation-create", "contract"),
    ("partners:interaction-create", "partner"),
    ("partners:interaction-edit", "interaction"),
    ("partners:follow-up-done", "interaction"),
    ("partners:review-create", "partner"),
    ("partners:review-edit", "review"),
    ("partners:action-toggle", "action_item"),
]


def _url(world: dict, name: str, key: str) -> str:
    obj = world[key]
    arg = obj.slug if isinstance(obj, Partner) else obj.pk
    return reverse(name, args=[arg])


def _snapshot() -> tuple:
    """Everything a refused write could have touched."""
    return (
        list(Partner.objects.values_list("name", "status", "manager_id")),
        PartnerContact.objects.count(),
        Certification.objects.count(),
        Contract.objects.count(),
        list(Interaction.objects.values_list("summary", "follow_up_done_on")),
        list(PartnerReview.objects.values_list("overall", "strengths")),
        list(ReviewActionItem.objects.values_list("done_on", flat=True)),
        list(OnboardingStep.objects.values_list("title", "done_on")),
    )


@pytest.mark.parametrize(("name", "key"), WRITE_URLS)
def test_it_refuses_a_foreign_partner(world, other_partner_user, name, key):
    petra = signed_in_client(other_partner_user)
    before = _snapshot()
    url = _url(world, name, key)
    assert petra.post(url, {"name": "Hijacked", "status": "suspended"}).status_code == 403
    if name not in ("partners:status", "partners:step-toggle", "partners:step-add") and not (
        name.endswith(("-delete", "-done", "-toggle"))
    ):
        assert petra.get(url).status_code == 403
    assert _snapshot() == before


@pytest.mark.parametrize(("name", "key"), WRITE_URLS)
def test_it_refuses_a_viewer(world, viewer_client, name, key):
    before = _snapshot()
    response = viewer_client.post(_url(world, name, key), {"name": "Hijacked"})
    assert response.status_code == 403
    assert _snapshot() == before


@pytest.mark.parametrize(("name", "key"), WRITE_URLS)
def test_the_owner_is_let_through(world, partner_client, name, key):
    response = partner_client.post(_url(world, name, key), {})
    # A form with errors (200) or a redirect after the change (302): never refused.
    assert response.status_code in (200, 302)


# Reviews are edited only by their author (7 days) or an administrator.
@pytest.mark.parametrize(("name", "key"), [u for u in WRITE_URLS if u[0] != "partners:review-edit"])
def test_a_marketing_manager_edits_every_partner(world, marketing_client, name, key):
    assert marketing_client.post(_url(world, name, key), {}).status_code in (200, 302)


def test_a_viewer_cannot_create_partners(viewer_client, indirect_channel):
    response = viewer_client.post(
        reverse("partners:create"), {"name": "X", "channel": indirect_channel.pk}
    )
    assert response.status_code == 403
    assert not Partner.objects.exists()


def test_a_user_without_a_role_sees_no_partner(norole_client, world):
    assert norole_client.get(reverse("partners:list")).status_code == 403
    assert norole_client.get(world["partner"].get_absolute_url()).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client, world):
    response = client.get(reverse("partners:contract-document", args=[world["contract"].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_partner_manager_registers_partners_only_for_themself(
    partner_client, partner_user, other_partner_user, indirect_channel
):
    response = partner_client.post(
        reverse("partners:create"),
        {
            "name": "Alpine Supply",
            "channel": indirect_channel.pk,
            "kind": "distributor",
            "status": "prospect",
            "manager": other_partner_user.pk,
            "territories": "ch, at",
        },
    )
    # Petra is not a choice for Paul: the form says so and nothing is created.
    assert response.status_code == 200
    assert response.context["form"].errors["manager"] == [
        "Only a marketing manager hands a partner to another manager: name yourself, or ask one."
    ]
    assert not Partner.objects.exists()
    response = partner_client.post(
        reverse("partners:create"),
        {
            "name": "Alpine Supply",
            "channel": indirect_channel.pk,
            "kind": "distributor",
            "status": "prospect",
            "manager": partner_user.pk,
            "territories": "ch, at",
        },
    )
    partner = Partner.objects.get()
    assert response.status_code == 302 and partner.manager == partner_user
    assert [t.code for t in partner.territories.all()] == ["AT", "CH"]
