"""A compliance attestation past its expiry on a contract still in force is
marked expired on the partner page and flagged like the other things that
need a manager: a flag on the partner, a line in the daily reminder, the
home panel and the "Contracts & certifications" work list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from partners.attention import services as attention_services
from partners.attention.models import PartnerFlag
from partners.attention.selectors import today_for_user
from partners.contracts import services as contracts_services
from partners.contracts.selectors import attestations_expired
from partners.directory.models import Partner
from tests.factories import ContractFactory, make_partner_user

pytestmark = pytest.mark.django_db

TODAY = date(2026, 8, 3)
K = PartnerFlag.Kind


def _attest(contract, kind="data_protection", attested_on=date(2025, 7, 29), expires_on=None):
    return contracts_services.attestation_create(
        contract=contract, kind=kind, attested_on=attested_on, expires_on=expires_on
    )


@pytest.fixture
def contract(pauls_partner):
    return ContractFactory(
        partner=pauls_partner, start_on=date(2025, 1, 1), end_on=date(2027, 12, 31)
    )


def _expired(partner, today=TODAY):
    return list(attestations_expired(partners=Partner.objects.filter(pk=partner.pk), today=today))


def test_an_attestation_past_its_expiry_on_a_contract_in_force_is_expired(contract, pauls_partner):
    lapsed = _attest(contract, expires_on=date(2026, 7, 29))
    _attest(contract, kind="anti_bribery", expires_on=date(2027, 7, 29))
    _attest(contract, kind="code_of_conduct")  # no expiry: never expires
    assert _expired(pauls_partner) == [lapsed]
    assert _expired(pauls_partner, today=date(2026, 7, 29)) == []  # its last day


def test_a_renewed_attestation_or_an_ended_contract_is_not_flagged(contract, pauls_partner):
    _attest(contract, expires_on=date(2026, 7, 29))
    _attest(contract, attested_on=date(2026, 7, 30), expires_on=date(2027, 7, 30))
    ended = ContractFactory(
        partner=pauls_partner, start_on=date(2024, 1, 1), end_on=date(2026, 7, 31)
    )
    _attest(ended, expires_on=date(2026, 5, 1))
    assert _expired(pauls_partner) == []


def test_the_daily_job_flags_it_and_the_reminder_names_it(
    contract, pauls_partner, partner_user, settings
):
    settings.SITE_URL = "https://hub.example.com"
    lapsed = _attest(contract, expires_on=date(2026, 7, 29))
    attention_services.partner_daily_run(today=TODAY)

    flag = PartnerFlag.objects.get(kind=K.ATTESTATION_EXPIRED)
    assert (flag.partner, flag.object_id, flag.due_on) == (
        pauls_partner,
        lapsed.pk,
        lapsed.expires_on,
    )
    assert flag.message == (
        "Data protection (GDPR) attestation for the Reseller agreement expired on 2026-07-29"
    )
    assert flag.get_absolute_url().endswith("#contracts")
    body = mail.outbox[0].body
    assert f"{pauls_partner.name}: {flag.message}" in body
    assert f"https://hub.example.com{pauls_partner.get_absolute_url()}#contracts" in body


def test_a_new_attestation_clears_the_flag(
    contract, pauls_partner, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    _attest(contract, attested_on=today - timedelta(days=400), expires_on=today - timedelta(days=1))
    attention_services.partner_flags_refresh(today=today)
    assert PartnerFlag.objects.filter(kind=K.ATTESTATION_EXPIRED).exists()
    with django_capture_on_commit_callbacks(execute=True):
        _attest(contract, attested_on=today, expires_on=today + timedelta(days=365))
    assert not PartnerFlag.objects.filter(kind=K.ATTESTATION_EXPIRED).exists()


def test_the_partner_page_the_home_panel_and_the_work_list_show_it(
    contract, pauls_partner, partner_user, partner_client
):
    today = timezone.localdate()
    _attest(contract, attested_on=today - timedelta(days=400), expires_on=today - timedelta(days=1))
    _attest(contract, kind="anti_bribery", attested_on=today - timedelta(days=10))
    attention_services.partner_flags_refresh(today=today)

    page = partner_client.get(pauls_partner.get_absolute_url()).text
    assert page.count('<span class="badge bad" title="Past its expiry date') == 1
    assert "Compliance attestation expired</strong> · Data protection (GDPR) attestation" in page

    panel = today_for_user(user=partner_user, today=today)
    assert panel is not None
    assert [a.get_kind_display() for a in panel["attestations"]] == ["Data protection (GDPR)"]
    home = partner_client.get(reverse("home")).text
    assert "Data protection (GDPR) attestation expired" in home

    work_list = partner_client.get(reverse("partners:expiring")).text
    assert 'id="attestations"' in work_list and "Data protection (GDPR)" in work_list


def test_only_the_lapsed_latest_attestation_is_marked_inside_and_in_the_portal(
    contract, pauls_partner, partner_client, client
):
    today = timezone.localdate()
    # Data protection: lapsed, then renewed (the old one is not marked).
    _attest(
        contract, attested_on=today - timedelta(days=800), expires_on=today - timedelta(days=400)
    )
    _attest(contract, attested_on=today - timedelta(days=399), expires_on=today + timedelta(days=1))
    # Anti-bribery: lapsed and not renewed.
    _attest(
        contract, kind="anti_bribery", attested_on=today - timedelta(days=400),
        expires_on=today - timedelta(days=1),
    )  # fmt: skip

    page = partner_client.get(pauls_partner.get_absolute_url()).text
    assert page.count('<span class="badge bad" title="Past its expiry date') == 1

    nina = make_partner_user(pauls_partner, "nina")
    client.force_login(nina)
    portal = client.get(reverse("portal:contracts")).text
    assert portal.count('<span class="badge bad">expired</span>') == 1
    row = portal[portal.index("Anti") : portal.index("Anti") + 300]
    assert "expired" in row and "attest it again" in row
