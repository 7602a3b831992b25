"""Contracts in the portal: a partner user reads their partner's contract
terms and signed documents, and acknowledges new terms; the partner manager
sees who acknowledged and when on the partner page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channelhub.lib.roles import PARTNER_MANAGER
from partners.contracts import services as contracts_services
from partners.models import ContractAcknowledgement
from tests.auth import signed_in_client
from tests.documents import pdf_bytes
from tests.factories import PartnerFactory, UserFactory, make_partner_user
from tests.test_authorization_audit import database_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    paul = UserFactory(username="paul", role=PARTNER_MANAGER)
    acme = PartnerFactory(name="Acme Resellers", manager=paul)
    globex = PartnerFactory(name="Globex Trading", channel=acme.channel)
    contract = contracts_services.contract_create(
        partner=acme,
        kind="reseller",
        reference="RS-2026-7",
        start_on=date(2026, 1, 1),
        end_on=date(2030, 12, 31),
        discount_pct=Decimal("22.50"),
        notice_days=90,
        document=SimpleUploadedFile("signed.pdf", pdf_bytes(), "application/pdf"),
        created_by=paul,
    )
    return {
        "paul": paul,
        "acme": acme,
        "contract": contract,
        "alice": make_partner_user(acme, "alice", name="Alice Acme"),
        "bob": make_partner_user(globex, "bob"),
    }


def _ack(client, contract, terms_as_of=None):
    return client.post(
        reverse("portal:contract-acknowledge", args=[contract.pk]),
        {"terms_as_of": (terms_as_of or contract.updated_at).isoformat()},
    )


def test_a_partner_user_reads_the_terms_and_downloads_the_signed_document(world):
    client = signed_in_client(world["alice"])

    page = client.get(reverse("portal:contracts"))

    assert page.status_code == 200
    assert "RS-2026-7" in page.text and "22.50%" in page.text and "90 days" in page.text
    assert "I acknowledge these terms" in page.text
    download = client.get(reverse("portal:contract-document", args=[world["contract"].pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf_bytes()
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_acknowledging_records_who_and_when_and_the_manager_sees_it(world):
    client = signed_in_client(world["alice"])

    response = _ack(client, world["contract"])

    assert response.status_code == 302
    acknowledgement = ContractAcknowledgement.objects.get()
    assert acknowledgement.contract == world["contract"]
    assert acknowledgement.user == world["alice"]
    assert acknowledgement.name == "Alice Acme (alice@partner.example)"
    assert acknowledgement.terms_as_of == world["contract"].updated_at
    page = client.get(reverse("portal:contracts"))
    assert "Acknowledged by Alice Acme" in page.text
    assert "I acknowledge these terms" not in page.text
    inside = signed_in_client(world["paul"]).get(world["acme"].get_absolute_url())
    assert "by Alice Acme (alice@partner.example)" in inside.text


def test_the_same_terms_are_acknowledged_once(world):
    client = signed_in_client(world["alice"])
    _ack(client, world["contract"])

    response = _ack(client, world["contract"])

    assert response.status_code == 302
    assert ContractAcknowledgement.objects.count() == 1
    page = client.get(reverse("portal:contracts"))
    assert "already acknowledged by Alice Acme" in page.text


def test_new_terms_need_a_new_acknowledgement(world):
    client = signed_in_client(world["alice"])
    _ack(client, world["contract"])
    old_terms = world["contract"].updated_at
    contracts_services.contract_update(
        contract=world["contract"], data={"discount_pct": Decimal("25")}
    )

    page = client.get(reverse("portal:contracts"))
    assert "I acknowledge these terms" in page.text and "The terms changed since" in page.text
    inside = signed_in_client(world["paul"]).get(world["acme"].get_absolute_url())
    assert "not yet" in inside.text
    # Acknowledging the page shown before the change is refused: read them again.
    stale = _ack(client, world["contract"], terms_as_of=old_terms)
    assert ContractAcknowledgement.objects.count() == 1
    assert "The terms changed while you were reading" in client.get(stale["Location"]).text

    assert _ack(client, world["contract"]).status_code == 302
    assert ContractAcknowledgement.objects.count() == 2


def test_an_ended_contract_is_not_acknowledged(world):
    contracts_services.contract_update(
        contract=world["contract"],
        data={"start_on": date(2020, 1, 1), "end_on": date(2021, 12, 31)},
    )
    client = signed_in_client(world["alice"])
    assert "I acknowledge these terms" not in client.get(reverse("portal:contracts")).text

    _ack(client, world["contract"])

    assert not ContractAcknowledgement.objects.exists()


def test_another_partners_user_reads_and_acknowledges_nothing_of_it(world):
    bob = signed_in_client(world["bob"])
    before = database_state()

    assert (
        bob.get(reverse("portal:contract-document", args=[world["contract"].pk])).status_code == 404
    )
    assert _ack(bob, world["contract"]).status_code == 404
    assert database_state() == before
    page = bob.get(reverse("portal:contracts"))
    assert "RS-2026-7" not in page.text and "No contract with Globex Trading" in page.text


def test_an_internal_user_and_a_shut_account_change_nothing(world):
    paul = signed_in_client(world["paul"])
    alice = signed_in_client(world["alice"])
    contact = world["alice"].portal_account.contact
    contact.is_active = False
    contact.save()

    assert paul.get(reverse("portal:contracts")).status_code == 403
    assert _ack(paul, world["contract"]).status_code == 403
    assert _ack(alice, world["contract"]).status_code == 403
    assert not ContractAcknowledgement.objects.exists()


def test_the_contracts_page_query_count_does_not_grow_with_data(
    world, django_assert_max_num_queries
):
    client = signed_in_client(world["alice"])
    for year in range(2010, 2016):
        contract = contracts_services.contract_create(
            partner=world["acme"], kind="reseller", start_on=date(year, 1, 1)
        )
        _ack(client, contract)
    client.get(reverse("portal:contracts"))

    with django_assert_max_num_queries(12):
        response = client.get(reverse("portal:contracts"))
    assert response.status_code == 200
    assert response.text.count("Acknowledged by Alice Acme") == 6
