"""Fund claims from the portal: the same rules as inside, with proof checked
by its content and downloaded only by whoever may see it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channelhub.lib.roles import PARTNER_MANAGER, VIEWER
from partners.models import MdfClaim
from tests.auth import signed_in_client
from tests.documents import pdf_bytes
from tests.factories import (
    EnrollmentFactory,
    IncentiveProgramFactory,
    PartnerFactory,
    UserFactory,
    make_partner_user,
)
from tests.test_authorization_audit import database_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    paul = UserFactory(username="paul", role=PARTNER_MANAGER)
    acme = PartnerFactory(name="Acme Resellers", manager=paul)
    globex = PartnerFactory(name="Globex Trading", channel=acme.channel)
    fund = IncentiveProgramFactory(
        name="Co-marketing fund", channel=acme.channel, mdf_allocation=Decimal("1000")
    )
    EnrollmentFactory(program=fund, partner=acme)
    return {
        "paul": paul,
        "acme": acme,
        "fund": fund,
        "alice": make_partner_user(acme, "alice"),
        "bob": make_partner_user(globex, "bob"),
    }


def _claim(amount="250", proof=None, **extra):
    return {
        "activity_date": "2025-03-01",
        "amount": amount,
        "description": "Trade fair booth",
        "proof": proof or SimpleUploadedFile("invoice.pdf", pdf_bytes(), "application/pdf"),
        **extra,
    }


def test_a_partner_user_claims_with_proof_and_follows_it(world):
    client = signed_in_client(world["alice"])
    funds = client.get(reverse("portal:funds"))
    assert "Co-marketing fund" in funds.text

    response = client.post(reverse("portal:claim-create", args=[world["fund"].pk]), _claim())

    assert response.status_code == 302
    claim = MdfClaim.objects.get()
    assert claim.partner == world["acme"] and claim.created_by == world["alice"]
    assert claim.amount == Decimal("250") and claim.status == "submitted"
    assert claim.proof_name == "invoice.pdf" and claim.proof_type == "application/pdf"
    listing = client.get(reverse("portal:funds"))
    assert "invoice.pdf" in listing.text and "Submitted" in listing.text
    download = client.get(reverse("portal:claim-proof", args=[claim.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf_bytes()
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # The partner manager reads the same proof inside.
    inside = signed_in_client(world["paul"]).get(reverse("partners:claim-proof", args=[claim.pk]))
    assert inside.status_code == 200


def test_a_file_that_is_not_what_it_says_is_refused_next_to_the_field(world):
    fake = SimpleUploadedFile("invoice.pdf", b"<html><script>alert(1)</script></html>")

    response = signed_in_client(world["alice"]).post(
        reverse("portal:claim-create", args=[world["fund"].pk]), _claim(proof=fake)
    )

    assert response.status_code == 200
    assert "not a real PDF" in str(response.context["form"].errors["proof"])
    assert 'value="Trade fair booth"' in response.text
    assert not MdfClaim.objects.exists()


def test_a_claim_over_the_fund_left_is_refused_with_what_was_typed_kept(world):
    response = signed_in_client(world["alice"]).post(
        reverse("portal:claim-create", args=[world["fund"].pk]), _claim(amount="1500")
    )

    assert response.status_code == 200
    assert "of Acme Resellers's fund is left" in " ".join(response.context["form"].errors["amount"])
    assert 'value="1500"' in response.text
    assert not MdfClaim.objects.exists()


def test_a_missing_proof_and_an_amount_over_the_fund_are_said_together(world):
    data = {k: v for k, v in _claim(amount="1500").items() if k != "proof"}
    response = signed_in_client(world["alice"]).post(
        reverse("portal:claim-create", args=[world["fund"].pk]), data
    )

    errors = response.context["form"].errors
    assert set(errors) == {"proof", "amount"}
    assert "of Acme Resellers's fund is left" in " ".join(errors["amount"])
    assert not MdfClaim.objects.exists()
    # A claim within the fund, without its proof: only the proof is asked for.
    data["amount"] = "250"
    response = signed_in_client(world["alice"]).post(
        reverse("portal:claim-create", args=[world["fund"].pk]), data
    )
    assert set(response.context["form"].errors) == {"proof"}


def test_another_partners_user_cannot_claim_from_the_fund_or_read_the_proof(world):
    signed_in_client(world["alice"]).post(
        reverse("portal:claim-create", args=[world["fund"].pk]), _claim()
    )
    claim = MdfClaim.objects.get()
    bob = signed_in_client(world["bob"])
    before = database_state()

    assert bob.get(reverse("portal:claim-proof", args=[claim.pk])).status_code == 404
    refused = bob.post(reverse("portal:claim-create", args=[world["fund"].pk]), _claim())

    assert refused.status_code == 404
    assert database_state() == before
    assert "Co-marketing fund" not in bob.get(reverse("portal:funds")).text


def test_a_viewer_reads_the_proof_and_a_partner_user_not_through_the_inside_url(world):
    signed_in_client(world["alice"]).post(
        reverse("portal:claim-create", args=[world["fund"].pk]), _claim()
    )
    claim = MdfClaim.objects.get()
    url = reverse("partners:claim-proof", args=[claim.pk])

    assert signed_in_client(UserFactory(username="vera", role=VIEWER)).get(url).status_code == 200
    assert signed_in_client(world["alice"]).get(url).status_code == 403
