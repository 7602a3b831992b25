"""Fixtures of every partner test (each sub-domain's tests/ too): a partner of
Paul's with one of everything."""

from __future__ import annotations

from datetime import date

import pytest

from partners.directory.models import OnboardingStep, Partner, Tier
from tests.factories import (
    ActionItemFactory,
    CertificationFactory,
    ChannelFactory,
    ContactFactory,
    ContractFactory,
    InteractionFactory,
    PartnerFactory,
    ReviewFactory,
)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded documents go to a throwaway folder, never the developer's var/.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def gold(db) -> Tier:
    return Tier.objects.get(code="gold")


@pytest.fixture
def indirect_channel(db):
    return ChannelFactory(name="EU Distributors", slug="eu-distributors", route="indirect")


@pytest.fixture
def pauls_partner(partner_user, indirect_channel, gold):
    return PartnerFactory(
        name="Nordlicht Handel",
        slug="nordlicht",
        channel=indirect_channel,
        manager=partner_user,
        tier=gold,
        kind=Partner.Kind.DISTRIBUTOR,
        website="https://nordlicht.example",
    )


@pytest.fixture
def world(pauls_partner, partner_user):
    """Paul's partner with a contact, step, certification, contract, interaction,
    review and action item: something for every write view to aim at."""
    contact = ContactFactory(partner=pauls_partner, name="Clara Dubois")
    review = ReviewFactory(partner=pauls_partner, author=partner_user)
    return {
        "partner": pauls_partner,
        "contact": contact,
        "step": OnboardingStep.objects.create(partner=pauls_partner, position=1, title="Signed"),
        "certification": CertificationFactory(contact=contact),
        "contract": ContractFactory(partner=pauls_partner),
        "interaction": InteractionFactory(
            partner=pauls_partner, next_step="Call back", follow_up_on=date(2025, 3, 10)
        ),
        "review": review,
        "action_item": ActionItemFactory(review=review),
    }
