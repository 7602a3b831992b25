"""The registration rules as the deal pages apply them: a duplicate of the
partner's own open registration, a country that is not an ISO code and an
estimated value of 0 are refused next to their field, with what was typed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.conflicts.models import ConflictCase
from partners.deals import services as deals_services
from partners.deals.models import DealRegistration
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def _data(**overrides):
    data = {
        "customer_name": "Acme GmbH",
        "customer_domain": "acme.de",
        "country": "DE",
        "estimated_value": "40000",
        "expected_close_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
    }
    data.update(overrides)
    return data


def _hold(partner, **overrides):
    data = _data(**overrides)
    data["estimated_value"] = Decimal(data["estimated_value"])
    data["expected_close_on"] = timezone.localdate() + timedelta(days=30)
    return deals_services.deal_register(partner=partner, **data)


@pytest.mark.parametrize(
    ("field", "typed", "words"),
    [
        ("country", "ZZ", "“ZZ” is not a country code"),
        ("estimated_value", "0", "an amount above 0"),
    ],
)
def test_a_bad_country_or_value_is_shown_next_to_its_field(
    pauls_partner, partner_client, field, typed, words
):
    response = partner_client.post(
        reverse("partners:partner-deal-create", args=[pauls_partner.slug]),
        _data(customer_name="Typed Customer", **{field: typed}),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {field} and words in errors[field][0]
    assert 'value="Typed Customer"' in response.text and f'value="{typed}"' in response.text
    assert not DealRegistration.objects.exists()


def test_registering_a_customer_the_partner_holds_names_its_registration(
    pauls_partner, partner_client
):
    held = _hold(pauls_partner)
    response = partner_client.post(
        reverse("partners:partner-deal-create", args=[pauls_partner.slug]),
        _data(customer_name="Acme Deutschland", customer_domain="www.acme.de", notes="Typed"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["customer_domain"]
    assert f"registration #{held.pk}" in errors["customer_domain"][0]
    assert 'value="Acme Deutschland"' in response.text
    assert DealRegistration.objects.count() == 1


def test_editing_into_a_duplicate_is_refused_next_to_the_field(pauls_partner, partner_client):
    held = _hold(pauls_partner)
    other = _hold(pauls_partner, customer_name="Beta Systems", customer_domain="beta.example")
    response = partner_client.post(
        reverse("partners:deal-edit", args=[other.pk]),
        _data(customer_name="Acme", customer_domain=""),
    )
    assert response.status_code == 200
    assert f"#{held.pk}" in response.context["form"].errors["customer_name"][0]
    other.refresh_from_db()
    assert other.customer_name == "Beta Systems"


def test_another_partners_registration_still_opens_a_conflict_case(
    pauls_partner, partner_client, indirect_channel
):
    _hold(PartnerFactory(name="Alpine Supply", channel=indirect_channel))
    response = partner_client.post(
        reverse("partners:partner-deal-create", args=[pauls_partner.slug]), _data()
    )
    assert response.status_code == 302
    assert ConflictCase.objects.get().kind == "deal_overlap"
    assert DealRegistration.objects.count() == 2
