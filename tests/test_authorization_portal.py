"""The authorization audit's partner-user axis (issue 18).

Two partner users: "alice" of Paul's partner (acme, which owns every object of
the audit's world) and "bob" of another partner. For every URL of the project:

- a portal URL on an object (a deal, an action item) answers Bob 404, for
  every method, and changes nothing; a portal page without an object shows
  Bob only his own partner's things, never acme's; Alice, the owner, is let
  through (the positive control);
- every other URL (internal pages, the admin's index, the API) refuses both
  partner users, for every method, and changes nothing.

The URL table is the audit's (tests/test_authorization_audit.py), so a new
URL is on this axis the moment it is in that table.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from channelhub.portal.middleware import ACCOUNT_URL_NAMES
from partners.models import IncentiveProgram
from tests.documents import pdf_bytes
from tests.factories import PASSWORD, DealFactory, PartnerFactory, make_partner_user
from tests.test_authorization_audit import (
    PATTERNS,
    ROUTES,
    World,
    _client,
    _send,
    build_world,
    database_state,
)

pytestmark = pytest.mark.django_db

PORTAL = sorted(p.key for p in PATTERNS if p.key.startswith("portal:") and not ROUTES[p.key].public)
# Portal URLs that name an object in their path: another partner's answers 404.
PORTAL_OBJECT_ROUTES = (
    "portal:action-done",
    "portal:claim-create",
    "portal:claim-proof",
    "portal:contract-acknowledge",
    "portal:contract-document",
    "portal:deal-detail",
    "portal:library-download",
    "portal:training-certificate",
)
# Every URL but the portal's, the public ones and the account pages a partner
# user keeps (their own password: ACCOUNT_URL_NAMES of the gate).
INTERNAL = sorted(
    p.key
    for p in PATTERNS
    if not p.key.startswith("portal:")
    and not ROUTES[p.key].public
    and p.key not in ACCOUNT_URL_NAMES
)


def _portal_world() -> tuple[World, Any, Any]:
    world = build_world()
    alice = make_partner_user(world.partner, "alice")
    # Globex sells through another channel: the library is per channel, so
    # acme's channel's material is not Bob's to read.
    globex = PartnerFactory(slug="globex", manager=world.petra)
    bob = make_partner_user(globex, "bob")
    DealFactory(partner=globex, customer_name="Bob's own customer")
    # Acme's claim carries proof (Alice may download it, Bob may not); the
    # fund takes claims for Alice's positive control.
    world.claim.proof.save("proof.pdf", ContentFile(pdf_bytes()), save=False)
    world.claim.proof_name, world.claim.proof_type = "proof.pdf", "application/pdf"
    world.claim.save()
    world.contract.document.save("contract.pdf", ContentFile(pdf_bytes()), save=False)
    world.contract.document_name, world.contract.document_type = "contract.pdf", "application/pdf"
    world.contract.save()
    completion = world.completion
    completion.certificate.save("certificate.pdf", ContentFile(pdf_bytes()), save=False)
    completion.certificate_name, completion.certificate_type = "certificate.pdf", "application/pdf"
    completion.save()
    IncentiveProgram.objects.filter(pk=world.program.pk).update(
        kind="mdf", mdf_allocation=Decimal("100000"), start_date="2025-01-01", end_date=None
    )
    return world, alice, bob


def test_every_portal_url_is_on_this_axis():
    """A new portal URL with an object in its path must join PORTAL_OBJECT_ROUTES."""
    with_object = sorted(p.key for p in PATTERNS if p.key in PORTAL and "<" in p.route)
    assert with_object == sorted(PORTAL_OBJECT_ROUTES)


@pytest.mark.parametrize("key", PORTAL_OBJECT_ROUTES)
def test_another_partners_user_gets_404_and_changes_nothing(key):
    entry = ROUTES[key]
    world, alice, bob = _portal_world()
    url = reverse(key, kwargs=entry.kwargs(world))
    data = entry.data(world) if entry.data else None
    if key == "portal:claim-create":
        data = {**(data or {}), "proof": ContentFile(pdf_bytes(), name="invoice.pdf")}
    methods = entry.writes or ("GET",)

    for method in methods:
        before = database_state()
        response = _send(_client(bob, api=False), method, url, data, api=False)
        assert response.status_code == 404, (
            f"{key}: {method} by Bob answered {response.status_code}"
        )
        assert database_state() == before, f"{key}: {method} by Bob changed the database"

    # The positive control: Alice, of the owning partner, is let through.
    response = _send(_client(alice, api=False), methods[0], url, data, api=False)
    assert response.status_code in (200, 302), f"{key}: Alice answered {response.status_code}"


@pytest.mark.parametrize("key", sorted(set(PORTAL) - set(PORTAL_OBJECT_ROUTES)))
def test_a_portal_page_shows_another_partners_user_only_their_own(key):
    entry = ROUTES[key]
    world, _alice, bob = _portal_world()
    url = reverse(key, kwargs=entry.kwargs(world))

    response = _client(bob, api=False).get(url)

    assert response.status_code == 200
    assert world.partner.name not in response.text
    assert world.deal.customer_name not in response.text
    assert world.action.description not in response.text
    if key == "portal:deal-list":
        assert "Bob&#x27;s own customer" in response.text
    if key == "portal:library":
        assert world.library_item.title not in response.text


def test_a_write_through_a_portal_page_lands_on_the_writers_own_partner():
    world, _alice, bob = _portal_world()
    acme_deals = list(world.partner.deals.values_list("pk", flat=True))
    client = _client(bob, api=False)

    client.post(reverse("portal:deal-create"), ROUTES["portal:deal-create"].data(world))
    client.post(reverse("portal:messages"), {"body": "From Bob"})

    assert list(world.partner.deals.values_list("pk", flat=True)) == acme_deals
    assert not world.partner.portal_messages.exists()
    assert not world.partner.interactions.filter(kind="portal").exists()
    globex = bob.portal_account.partner
    assert globex.deals.filter(customer_name="Initech AG").exists()
    assert globex.portal_messages.get().body == "From Bob"


@pytest.mark.parametrize("key", INTERNAL)
def test_a_partner_user_is_refused_every_internal_url(key):
    entry = ROUTES[key]
    pattern = next(p for p in PATTERNS if p.key == key)
    api = pattern.route.startswith("api/")
    world, alice, _bob = _portal_world()
    url = reverse(key, kwargs=entry.kwargs(world))
    data = entry.data(world) if entry.data else None
    client = _client(alice, api)

    for method in ("GET", *entry.writes):
        before = database_state()
        response = _send(client, method, url, data, api)
        refused = response.status_code in (403, 405) or (
            key == "home" and response["Location"] == reverse("portal:home")
        )
        assert refused, f"{key}: {method} by a partner user answered {response.status_code}"
        assert database_state() == before, f"{key}: {method} by a partner user changed the database"


def test_a_partner_user_signed_in_to_the_portal_gets_the_apis_error_body():
    _world, alice, _bob = _portal_world()
    response = _client(alice, api=False).get("/api/v1/channels/")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Partner accounts use the partner portal, not the API.",
        "code": "permission_denied",
    }


def test_a_partner_user_changes_their_own_password():
    _world, alice, _bob = _portal_world()
    client = _client(alice, api=False)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Quiet-river-5512",
            "new_password2": "Quiet-river-5512",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    alice.refresh_from_db()
    assert alice.check_password("Quiet-river-5512")
