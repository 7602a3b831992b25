"""Deal registration: normalised customers, the overlap check at submission,
the approval workflow and expiry."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from channelhub.lib.matching import (
    NAME_MATCH_THRESHOLD,
    name_key,
    name_similarity,
    names_match,
    normalise_domain,
)
from partners.conflicts import services as conflicts_services
from partners.conflicts.models import ConflictCase
from partners.deals import services as deals_services
from partners.deals.models import DealRegistration
from tests.factories import DealFactory, PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("acme.com", "acme.com"),
        ("  https://www.ACME.com/contact?x=1#top ", "acme.com"),
        ("http://shop.acme.co.uk:8080/path", "shop.acme.co.uk"),
        ("sales@acme.de", "acme.de"),
        ("www.acme.com.", "acme.com"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("", ""),
    ],
)
def test_domains_are_normalised(typed, key):
    assert normalise_domain(typed) == key


@pytest.mark.parametrize("typed", ["not a domain", "localhost", "acme", "http://", "a..com"])
def test_things_that_are_not_domains_are_refused(typed):
    with pytest.raises(ValidationError):
        normalise_domain(typed)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("ACME Corp.", "Acme Corporation", True),
        ("Acme GmbH & Co. KG", "ACME", True),
        ("Société Générale S.A.", "Societe Generale", True),
        ("Umbrella Corp", "Umbrela Corporation", True),
        ("Globex Industries", "Globex Industry", True),
        ("Blue Sky Media", "Blue Sea Media", False),
        ("Acme Tools", "Acme Foods", False),
        ("Initech", "Initrode", False),
    ],
)
def test_names_match_above_the_documented_threshold(a, b, same):
    assert names_match(name_key(a), name_key(b)) is same
    similarity = name_similarity(name_key(a), name_key(b))
    assert (similarity >= NAME_MATCH_THRESHOLD) is same


def _register(partner, user=None, **overrides):
    data = {
        "customer_name": "Acme GmbH",
        "customer_domain": "https://www.acme.de/",
        "country": "de",
        "estimated_value": Decimal("40000"),
        "expected_close_on": timezone.localdate() + timedelta(days=60),
        "product_interest": "Standing desks",
    }
    data.update(overrides)
    return deals_services.deal_register(partner=partner, registered_by=user, **data)


def test_a_registration_is_submitted_with_a_90_day_expiry_and_normalised_keys(
    pauls_partner, partner_user
):
    deal = _register(pauls_partner, partner_user)
    today = timezone.localdate()
    assert deal.status == "submitted" and deal.submitted_on == today
    assert deal.expires_on == today + timedelta(days=90)
    assert (deal.domain_key, deal.name_key, deal.country) == ("acme.de", "acme", "DE")
    assert deal.registered_by == partner_user
    assert not ConflictCase.objects.exists()


def test_a_registration_for_a_customer_another_partner_holds_opens_a_case(
    pauls_partner, indirect_channel, other_partner_user
):
    held = _register(pauls_partner)
    alpine = PartnerFactory(
        name="Alpine Supply", channel=indirect_channel, manager=other_partner_user
    )
    newer = _register(alpine, customer_name="ACME Deutschland", customer_domain="acme.de")
    case = ConflictCase.objects.get()
    assert case.kind == "deal_overlap" and case.status == "open"
    assert set(case.deals.all()) == {held, newer}
    assert newer.status == "submitted"  # flagged, not approved
    # A third partner registering the same domain gets a case per holder.
    third = PartnerFactory(channel=indirect_channel)
    _register(third, customer_name="Acme Germany", customer_domain="sales@acme.de")
    assert ConflictCase.objects.count() == 3
    # By name only: "Acme" matches "Acme GmbH" (both "acme"), not "ACME Deutschland".
    fourth = PartnerFactory(channel=indirect_channel)
    _register(fourth, customer_name="ACME", customer_domain="")
    assert ConflictCase.objects.count() == 4


def test_the_same_partner_cannot_register_a_customer_it_already_holds(pauls_partner):
    first = _register(pauls_partner)
    # The same domain, written otherwise: refused next to the domain.
    with pytest.raises(ValidationError) as error:
        _register(pauls_partner, customer_name="Acme Germany", customer_domain="sales@acme.de")
    message = " ".join(error.value.message_dict["customer_domain"])
    assert (
        f"registration #{first.pk}" in message and "“Acme GmbH” (https://www.acme.de/)" in message
    )
    assert "awaiting a decision" in message and pauls_partner.name in message
    # The same name in the same country, no domain: refused next to the name.
    with pytest.raises(ValidationError) as error:
        _register(
            pauls_partner, customer_name="ACME", customer_domain="", product_interest="Chairs"
        )
    assert f"#{first.pk}" in " ".join(error.value.message_dict["customer_name"])
    assert list(DealRegistration.objects.all()) == [first]
    assert not ConflictCase.objects.exists()


def test_an_approved_registration_also_blocks_a_second_one(pauls_partner, marketing_user):
    first = deals_services.deal_approve(deal=_register(pauls_partner), by=marketing_user)
    with pytest.raises(ValidationError, match=rf"#{first.pk} .*approved and protected until"):
        _register(pauls_partner)


def test_the_same_name_in_another_country_is_another_customer(pauls_partner):
    _register(pauls_partner, customer_domain="")
    _register(pauls_partner, customer_domain="", country="AT")
    assert DealRegistration.objects.count() == 2


@pytest.mark.parametrize("end", ["rejected", "expired"])
def test_a_customer_is_registered_again_once_the_first_registration_ended(
    pauls_partner, marketing_user, end
):
    first = _register(pauls_partner)
    if end == "rejected":
        deals_services.deal_reject(deal=first, by=marketing_user, note="Buys direct")
    else:
        DealRegistration.objects.filter(pk=first.pk).update(
            submitted_on=timezone.localdate() - timedelta(days=91),
            expires_on=timezone.localdate() - timedelta(days=1),
        )
    assert _register(pauls_partner).pk != first.pk


def test_editing_a_registration_into_a_duplicate_of_another_is_refused(pauls_partner):
    first = _register(pauls_partner)
    other = _register(pauls_partner, customer_name="Beta Systems", customer_domain="beta.example")
    with pytest.raises(ValidationError, match=rf"#{first.pk}") as refused:
        deals_services.deal_update(deal=other, data={"customer_domain": "acme.de"})
    # Said as an edit, not as a new registration.
    assert "this one cannot become a second one" in str(refused.value)
    assert "registering the customer again" not in str(refused.value)
    other.refresh_from_db()
    assert other.domain_key == "beta.example"
    # Editing a registration is not a duplicate of itself.
    deals_services.deal_update(deal=first, data={"product_interest": "Chairs"})


def test_a_registration_that_collides_cannot_be_approved_until_the_case_closes(
    pauls_partner, indirect_channel, marketing_user
):
    _register(pauls_partner)
    newer = _register(PartnerFactory(channel=indirect_channel), customer_domain="acme.de")
    with pytest.raises(ValidationError, match=r"open conflict case \(#\d+\)"):
        deals_services.deal_approve(deal=newer, by=marketing_user)
    case = ConflictCase.objects.get()
    conflicts_services.conflict_close(
        case=case,
        status="resolved",
        resolution="Nordlicht registered first and keeps Acme",
        rule_agreed="First registration wins",
        by=marketing_user,
    )
    # Resolved for the first registration: the second is rejected, not approved.
    deals_services.deal_reject(
        deal=newer, by=marketing_user, note="Held by Nordlicht (case closed)"
    )
    newer.refresh_from_db()
    assert newer.status == "rejected" and newer.decided_by == marketing_user


def test_approval_protects_the_deal_from_the_approval_day(pauls_partner, marketing_user):
    deal = _register(pauls_partner, submitted_on=timezone.localdate() - timedelta(days=10))
    approved = deals_services.deal_approve(deal=deal, by=marketing_user, note="Good fit")
    today = timezone.localdate()
    assert approved.status == "approved" and approved.decided_on == today
    assert approved.expires_on == today + timedelta(days=90)
    custom = _register(pauls_partner, customer_name="Beta", customer_domain="beta.example")
    until = today + timedelta(days=30)
    assert (
        deals_services.deal_approve(deal=custom, by=marketing_user, expires_on=until).expires_on
        == until
    )


def test_only_a_submitted_registration_is_decided(pauls_partner, marketing_user):
    deal = _register(pauls_partner)
    deals_services.deal_approve(deal=deal, by=marketing_user)
    with pytest.raises(ValidationError, match="Only a submitted registration"):
        deals_services.deal_approve(deal=deal, by=marketing_user)
    with pytest.raises(ValidationError, match="Only a submitted registration"):
        deals_services.deal_reject(deal=deal, by=marketing_user, note="no")
    with pytest.raises(ValidationError, match="cannot be edited"):
        deals_services.deal_update(deal=deal, data={"customer_name": "Other"})


def test_a_rejection_needs_a_reason(pauls_partner, marketing_user):
    deal = _register(pauls_partner)
    with pytest.raises(ValidationError):
        deals_services.deal_reject(deal=deal, by=marketing_user, note="  ")
    assert DealRegistration.objects.get(pk=deal.pk).status == "submitted"


def test_an_expired_registration_no_longer_holds_its_customer(pauls_partner, indirect_channel):
    old = DealFactory(
        partner=pauls_partner,
        customer_name="Acme GmbH",
        customer_domain="acme.de",
        submitted_on=timezone.localdate() - timedelta(days=120),
    )
    assert deals_services.deals_expire(today=timezone.localdate()) == 1
    old.refresh_from_db()
    assert old.status == "expired"
    _register(PartnerFactory(channel=indirect_channel))
    assert not ConflictCase.objects.exists()


def test_editing_a_registration_renormalises_and_rechecks(pauls_partner, indirect_channel):
    _register(pauls_partner)
    other = _register(
        PartnerFactory(channel=indirect_channel),
        customer_name="Beta Systems",
        customer_domain="beta.example",
    )
    assert not ConflictCase.objects.exists()
    deals_services.deal_update(deal=other, data={"customer_domain": "WWW.ACME.DE"})
    other.refresh_from_db()
    assert other.domain_key == "acme.de"
    assert ConflictCase.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country", "Germany"),
        ("country", "ZZ"),
        ("country", "XK"),
        ("country", "UK"),
        ("customer_domain", "not a domain"),
        ("estimated_value", "-1"),
        ("estimated_value", "0"),
    ],
)
def test_bad_registrations_are_refused(pauls_partner, field, value):
    with pytest.raises(ValidationError) as error:
        _register(pauls_partner, **{field: Decimal(value) if field == "estimated_value" else value})
    assert field in error.value.message_dict
    assert not DealRegistration.objects.exists()


def test_the_country_is_an_iso_code_and_a_common_mistake_says_which_one(pauls_partner):
    with pytest.raises(ValidationError) as error:
        _register(pauls_partner, country="uk")
    assert error.value.message_dict["country"] == [
        "“UK” is not a country code: use the two-letter ISO code, e.g. DE or US (GB for UK)."
    ]
    assert _register(pauls_partner, country=" gb ").country == "GB"


def test_an_estimated_value_of_zero_says_what_to_enter(pauls_partner):
    with pytest.raises(ValidationError) as error:
        _register(pauls_partner, estimated_value=Decimal("0.00"))
    assert error.value.message_dict["estimated_value"] == [
        "Enter the expected deal size: an amount above 0."
    ]
    assert _register(pauls_partner, estimated_value=Decimal("0.01")).estimated_value > 0


def test_an_old_dated_registration_starts_expired_for_overlap_checks(
    pauls_partner, indirect_channel
):
    _register(pauls_partner, submitted_on=date(2020, 1, 1))
    _register(PartnerFactory(channel=indirect_channel))
    assert not ConflictCase.objects.exists()


def test_the_customer_of_a_registration_in_an_open_case_cannot_change(
    pauls_partner, indirect_channel
):
    """The report: a deal edited to another customer left its case describing
    the old one, open and blocking the approval of both."""
    first = _register(pauls_partner)
    other = _register(PartnerFactory(channel=indirect_channel))
    (case,) = ConflictCase.objects.all()
    with pytest.raises(ValidationError, match=rf"open conflict case \(#{case.pk}\)"):
        deals_services.deal_update(
            deal=other,
            data={"customer_name": "Different Co", "customer_domain": "different.example"},
        )
    other.refresh_from_db()
    assert other.customer_name == first.customer_name
    # What does not change the customer may still be corrected.
    deals_services.deal_update(deal=other, data={"product_interest": "Desks"})
    other.refresh_from_db()
    assert other.product_interest == "Desks"
