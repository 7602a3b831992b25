"""Every deal, pricing and conflict write refuses a partner manager on someone
else's partner, a viewer and an anonymous visitor.

The matrices name each write URL once; the same requests by the owner (and by
a marketing manager) are the positive control, so a view that refused
everyone would fail here too.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.conflicts.models import ConflictCase, ConflictNote, PriceObservation, Product
from partners.deals.models import DealRegistration
from tests.auth import signed_in_client
from tests.factories import (
    ConflictCaseFactory,
    DealFactory,
    PartnerFactory,
    PriceObservationFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

# Writes on something of one partner: url name, which object gives its argument.
PARTNER_WRITES: list[tuple[str, str | None]] = [
    ("partners:partner-deal-create", "partner"),
    ("partners:deal-edit", "deal"),
    ("partners:partner-observation-create", "partner"),
    ("partners:conflict-edit", "case"),
    ("partners:conflict-note", "case"),
    ("partners:conflict-status", "case"),
]
# Decisions on a case: its owner's (Maria here) or a marketing manager's,
# never a party's manager's alone (issue 19).
CASE_DECISIONS: list[tuple[str, str | None]] = [
    ("partners:conflict-close", "case"),
]
# Writes only the programme leads (marketing managers, administrators) make.
PROGRAMME_WRITES: list[tuple[str, str | None]] = [
    ("partners:deal-decide", "deal"),
    ("partners:product-create", None),
    ("partners:product-edit", "product"),
]
# Writes without an object, open to partner managers (each checks its rows).
GENERAL_WRITES: list[tuple[str, str | None]] = [
    ("partners:deal-create", None),
    ("partners:observation-create", None),
    ("partners:conflict-create", None),
    ("partners:price-import", None),
]
ALL_WRITES = PARTNER_WRITES + CASE_DECISIONS + PROGRAMME_WRITES + GENERAL_WRITES
POST_ONLY = {"partners:deal-decide", "partners:conflict-note", "partners:conflict-status"}


@pytest.fixture
def world(pauls_partner, marketing_user):
    """Paul's partner with a waiting registration, an open case (owned by
    Maria), a product and a price seen."""
    case = ConflictCaseFactory(
        partners=[pauls_partner], owner=marketing_user, title="Nordlicht undercuts"
    )
    return {
        "partner": pauls_partner,
        "deal": DealFactory(
            partner=pauls_partner,
            submitted_on=timezone.localdate(),
            expires_on=timezone.localdate() + timedelta(days=90),
        ),
        "case": case,
        "product": ProductFactory(sku="DSK-200"),
        "observation": PriceObservationFactory(partner=pauls_partner),
    }


def _url(world: dict, name: str, key: str | None) -> str:
    if key is None:
        return reverse(name)
    obj = world[key]
    return reverse(name, args=[obj.slug if key == "partner" else obj.pk])


def _snapshot() -> tuple:
    """Everything a refused write could have touched."""
    return (
        list(DealRegistration.objects.values_list("customer_name", "status", "expires_on")),
        list(ConflictCase.objects.values_list("title", "status", "severity", "owner_id")),
        ConflictNote.objects.count(),
        PriceObservation.objects.count(),
        list(Product.objects.values_list("sku", "list_price", "map_price")),
    )


BAD_POST = {
    "customer_name": "Hijacked",
    "country": "DE",
    "estimated_value": "1",
    "expected_close_on": "2030-01-01",
    "decision": "approve",
    "status": "investigating",
    "body": "Hijacked",
    "title": "Hijacked",
    "kind": "other",
    "severity": "low",
    "resolution": "Hijacked",
    "price": "1",
    "observed_on": "2025-01-01",
    "where_seen": "x",
    "sku": "HIJACK",
    "name": "Hijacked",
    "list_price": "1",
}


@pytest.mark.parametrize(("name", "key"), PARTNER_WRITES + CASE_DECISIONS + PROGRAMME_WRITES)
def test_it_refuses_a_foreign_partner(world, other_partner_user, name, key):
    petra = signed_in_client(other_partner_user)
    before = _snapshot()
    url = _url(world, name, key)
    assert petra.post(url, BAD_POST).status_code == 403
    if name not in POST_ONLY:
        assert petra.get(url).status_code == 403
    assert _snapshot() == before


@pytest.mark.parametrize(("name", "key"), ALL_WRITES)
def test_it_refuses_a_viewer(world, viewer_client, name, key):
    before = _snapshot()
    assert viewer_client.post(_url(world, name, key), BAD_POST).status_code == 403
    assert _snapshot() == before


@pytest.mark.parametrize(("name", "key"), ALL_WRITES)
def test_an_anonymous_visitor_is_sent_to_sign_in(world, client, name, key):
    before = _snapshot()
    response = client.post(_url(world, name, key), BAD_POST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _snapshot() == before


@pytest.mark.parametrize(("name", "key"), PARTNER_WRITES + GENERAL_WRITES)
def test_the_partners_manager_is_let_through(world, partner_client, name, key):
    response = partner_client.post(_url(world, name, key), {})
    # A form with errors (200) or a redirect after the change (302): never refused.
    assert response.status_code in (200, 302)


@pytest.mark.parametrize(("name", "key"), ALL_WRITES)
def test_a_marketing_manager_makes_every_write(world, marketing_client, name, key):
    assert marketing_client.post(_url(world, name, key), {}).status_code in (200, 302)


@pytest.mark.parametrize(
    "name", ["partners:deal-list", "partners:conflict-list", "partners:price-list"]
)
def test_a_user_without_a_role_sees_nothing(world, norole_client, name):
    assert norole_client.get(reverse(name)).status_code == 403
    assert norole_client.get(world["case"].get_absolute_url()).status_code == 403
    assert norole_client.get(world["deal"].get_absolute_url()).status_code == 403


def test_a_partner_manager_cannot_pick_another_managers_partner(
    world, partner_client, indirect_channel, other_partner_user
):
    petras = PartnerFactory(
        name="Alpine Supply", channel=indirect_channel, manager=other_partner_user
    )
    before = _snapshot()
    response = partner_client.post(
        reverse("partners:deal-create"),
        {
            "partner": petras.pk,
            "customer_name": "Acme",
            "country": "DE",
            "estimated_value": "1000",
            "expected_close_on": (date.today() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    response = partner_client.post(
        reverse("partners:observation-create"),
        {
            "partner": petras.pk,
            "product": world["product"].pk,
            "price": "10",
            "observed_on": date.today().isoformat(),
            "where_seen": "shop",
        },
    )
    assert response.status_code == 200 and "Select a valid choice" in response.text
    assert _snapshot() == before


def test_a_partner_manager_opens_cases_only_about_their_partners(
    world, partner_client, indirect_channel, other_partner_user
):
    petras = PartnerFactory(
        name="Alpine Supply", channel=indirect_channel, manager=other_partner_user
    )
    data = {"kind": "other", "title": "Poaching", "severity": "medium", "partners": [petras.pk]}
    response = partner_client.post(reverse("partners:conflict-create"), data)
    assert response.status_code == 200
    assert "Include at least one of your partners" in response.text
    assert ConflictCase.objects.count() == 1
    data["partners"] = [petras.pk, world["partner"].pk]
    response = partner_client.post(reverse("partners:conflict-create"), data)
    assert response.status_code == 302
    case = ConflictCase.objects.get(title="Poaching")
    assert case.opened_by.username == "paul" and case.source == "manual"


def test_a_partner_manager_who_owns_a_case_works_on_it(world, other_partner_user):
    case = world["case"]
    ConflictCase.objects.filter(pk=case.pk).update(owner=other_partner_user)
    petra = signed_in_client(other_partner_user)
    response = petra.post(reverse("partners:conflict-note", args=[case.pk]), {"body": "On it"})
    assert response.status_code == 302
    assert case.notes.filter(body="On it", author=other_partner_user).exists()


def test_a_partner_manager_does_not_decide_deals_or_edit_the_price_list(world, partner_client):
    before = _snapshot()
    for name, key in PROGRAMME_WRITES + CASE_DECISIONS:
        assert partner_client.post(_url(world, name, key), BAD_POST).status_code == 403
    assert _snapshot() == before
