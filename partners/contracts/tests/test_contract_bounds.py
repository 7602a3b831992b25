"""A contract's notice period is a number of days a partner can be held to:
0 to two years, on the page, in the service and over the API (a typed
99,999,999,999,999 was stored and read back in the portal)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from partners.contracts import services as contracts_services
from partners.contracts.models import MAX_NOTICE_DAYS, Contract
from tests.api import partner_api  # noqa: F401

pytestmark = pytest.mark.django_db

API = "/api/v1"
MESSAGE = "Enter a notice period from 0 to 730 days (two years)."


def _data(**overrides):
    return {
        "kind": "reseller",
        "reference": "R-1",
        "start_on": "2025-01-01",
        "end_on": "2027-12-31",
        "notice_days": "90",
        **overrides,
    }


@pytest.mark.parametrize("typed", ["99999999999999", "731", "-1"])
def test_a_notice_period_out_of_bounds_is_shown_next_to_its_field(
    pauls_partner, partner_client, typed
):
    response = partner_client.post(
        reverse("partners:contract-create", args=[pauls_partner.slug]), _data(notice_days=typed)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["notice_days"] == [MESSAGE]
    assert f'value="{typed}"' in response.text and 'value="R-1"' in response.text
    assert not Contract.objects.exists()


def test_two_years_of_notice_is_the_longest_accepted(pauls_partner, partner_client):
    response = partner_client.post(
        reverse("partners:contract-create", args=[pauls_partner.slug]),
        _data(notice_days=str(MAX_NOTICE_DAYS)),
    )
    assert response.status_code == 302
    assert Contract.objects.get().notice_days == 730


def test_editing_a_contract_checks_the_notice_period_too(world, partner_client):
    contract = world["contract"]
    response = partner_client.post(
        reverse("partners:contract-edit", args=[contract.pk]), _data(notice_days="1000")
    )
    assert response.context["form"].errors["notice_days"] == [MESSAGE]
    contract.refresh_from_db()
    assert contract.notice_days != 1000


def test_the_service_refuses_it_whoever_calls_it(world):
    with pytest.raises(ValidationError) as error:
        contracts_services.contract_update(contract=world["contract"], data={"notice_days": 731})
    assert error.value.message_dict["notice_days"] == [MESSAGE]


def test_the_api_refuses_it_under_notice_days(partner_api, world):  # noqa: F811
    created = partner_api.post(
        f"{API}/contracts/",
        {
            "partner": world["partner"].slug,
            "kind": "nda",
            "start_on": "2025-01-01",
            "notice_days": 99999999999999,
        },
    )
    assert created.status_code == 400
    assert "notice_days" in created.json()["errors"]
    changed = partner_api.patch(f"{API}/contracts/{world['contract'].pk}/", {"notice_days": 731})
    assert changed.status_code == 400
    assert "notice_days" in changed.json()["errors"]
    assert Contract.objects.count() == 1
