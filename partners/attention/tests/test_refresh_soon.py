"""Flags follow writes once per transaction, not once per write."""

from __future__ import annotations

import pytest
from django.db import transaction

from partners.attention import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshed(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(
        services,
        "partner_flags_refresh",
        lambda *, today, partner=None: calls.append(partner.pk),
    )
    return calls


def test_many_writes_of_one_partner_in_a_transaction_refresh_it_once(
    pauls_partner, django_capture_on_commit_callbacks, refreshed
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            services.refresh_partner_flags_soon(pauls_partner)
    assert refreshed == [pauls_partner.pk]


def test_a_write_after_the_refresh_refreshes_again(
    pauls_partner, django_capture_on_commit_callbacks, refreshed
):
    with django_capture_on_commit_callbacks(execute=True):
        services.refresh_partner_flags_soon(pauls_partner)
    with django_capture_on_commit_callbacks(execute=True):
        services.refresh_partner_flags_soon(pauls_partner)
    assert refreshed == [pauls_partner.pk, pauls_partner.pk]


def test_each_partner_is_refreshed(pauls_partner, django_capture_on_commit_callbacks, refreshed):
    from tests.factories import PartnerFactory

    other = PartnerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.refresh_partner_flags_soon(pauls_partner)
        services.refresh_partner_flags_soon(other)
        services.refresh_partner_flags_soon(pauls_partner)
    assert sorted(refreshed) == sorted([pauls_partner.pk, other.pk])


def test_a_rolled_back_write_leaves_no_refresh_behind(
    pauls_partner, django_capture_on_commit_callbacks, refreshed
):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.refresh_partner_flags_soon(pauls_partner)
                raise RuntimeError("the write fails")
        except RuntimeError:
            pass
        services.refresh_partner_flags_soon(pauls_partner)
    assert refreshed == [pauls_partner.pk]
