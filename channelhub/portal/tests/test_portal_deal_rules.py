"""The registration rules in the portal: the same service as inside, so a
partner user cannot register a customer its partner already holds, and the
refusal names only the partner's own registration."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from channelhub.lib.roles import PARTNER_MANAGER
from partners.deals import services as deals_services
from partners.models import ConflictCase, DealRegistration
from tests.auth import signed_in_client
from tests.factories import ChannelFactory, PartnerFactory, UserFactory, make_partner_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    paul = UserFactory(username="paul", role=PARTNER_MANAGER)
    channel = ChannelFactory(slug="market", name="Market")
    acme = PartnerFactory(name="Acme Resellers", slug="acme", channel=channel, manager=paul)
    globex = PartnerFactory(name="Globex Trading", slug="globex", channel=channel, manager=paul)
    return {
        "acme": acme,
        "globex": globex,
        "alice": make_partner_user(acme, "alice", name="Alice Acme"),
    }


def _data(**overrides):
    data = {
        "customer_name": "Initech AG",
        "customer_domain": "initech.de",
        "country": "DE",
        "estimated_value": "40000",
        "product_interest": "Desks",
        "expected_close_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "notes": "",
    }
    data.update(overrides)
    return data


def _register(partner, **overrides):
    data = _data(**overrides)
    data["estimated_value"] = Decimal(data["estimated_value"])
    data["expected_close_on"] = timezone.localdate() + timedelta(days=30)
    return deals_services.deal_register(partner=partner, **data)


def test_a_second_registration_of_the_same_customer_is_refused_naming_the_first(world):
    # Another partner holds the customer too: that one is never mentioned.
    _register(world["globex"], estimated_value="90000")
    mine = _register(world["acme"])
    case = ConflictCase.objects.get()

    response = signed_in_client(world["alice"]).post(
        reverse("portal:deal-create"), _data(customer_name="Initech", notes="Second try")
    )

    assert response.status_code == 200
    error = response.context["form"].errors["customer_domain"][0]
    assert f"registration #{mine.pk}" in error and "awaiting a decision" in error
    assert 'value="Initech"' in response.text and "Second try" in response.text
    assert "Globex" not in response.text and "90000" not in response.text
    assert DealRegistration.objects.filter(partner=world["acme"]).count() == 1
    assert list(ConflictCase.objects.all()) == [case]


@pytest.mark.parametrize(
    ("field", "typed", "words"),
    [("country", "ZZ", "is not a country code"), ("estimated_value", "0", "above 0")],
)
def test_a_bad_country_or_value_is_refused_next_to_its_field(world, field, typed, words):
    response = signed_in_client(world["alice"]).post(
        reverse("portal:deal-create"), _data(**{field: typed})
    )

    assert response.status_code == 200
    assert words in response.context["form"].errors[field][0]
    assert 'value="Initech AG"' in response.text
    assert not DealRegistration.objects.exists()
