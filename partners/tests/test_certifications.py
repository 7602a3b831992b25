"""One certification per person and kind: recording the training that grants it
and adding it by hand do not make two, and the scorecard counts the person once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from partners.enablement import services as enablement_services
from partners.enablement.models import Certification
from partners.profile import selectors as profile_selectors
from tests.factories import ContactFactory, TrainingModuleFactory

pytestmark = pytest.mark.django_db

BEFORE = ("partners", "0008_history")
AFTER = ("partners", "0009_one_certification_per_person")


@pytest.fixture
def module(db):
    return TrainingModuleFactory(name="Certified sales professional", certification_valid_days=365)


@pytest.fixture
def clara(pauls_partner):
    return ContactFactory(partner=pauls_partner, name="Clara Dubois")


def _record(clara, module, on):
    return enablement_services.training_completion_record(
        contact=clara, module=module, completed_on=on
    )


def test_adding_by_hand_what_the_training_granted_keeps_one_certification(
    clara, module, pauls_partner
):
    on = date(2025, 3, 1)
    _record(clara, module, on)
    granted = Certification.objects.get()
    assert (granted.module, granted.expires_on) == (module, on + timedelta(days=365))
    again = enablement_services.certification_create(
        contact=clara,
        name="Certified sales professional",
        issued_on=on,
        expires_on=granted.expires_on,
    )
    assert again.pk == granted.pk  # idempotent: the same certification, not a copy
    assert Certification.objects.count() == 1
    scorecard = profile_selectors.partner_scorecard(partner=pauls_partner, today=date(2025, 6, 1))
    assert scorecard["certifications_valid"] == 1


def test_the_form_says_the_person_already_holds_it(clara, module, partner_client, pauls_partner):
    on = date(2025, 3, 1)
    _record(clara, module, on)
    response = partner_client.post(
        reverse("partners:certification-create", args=[pauls_partner.slug]),
        {
            "contact": clara.pk,
            "name": "certified sales professional ",
            "issued_on": "2025-03-01",
            "expires_on": "2026-03-01",
        },
    )
    assert response.status_code == 200
    (error,) = response.context["form"].errors["name"]
    assert error == (
        "Clara Dubois already holds “Certified sales professional” "
        "(issued 2025-03-01, valid until 2026-03-01)."
    )
    assert response.context["form"]["name"].value() == "certified sales professional "
    assert Certification.objects.count() == 1


def test_a_later_completion_renews_the_certification_in_place(clara, module):
    _record(clara, module, date(2024, 3, 1))
    _record(clara, module, date(2025, 2, 1))
    certification = Certification.objects.get()
    assert (certification.issued_on, certification.expires_on) == (
        date(2025, 2, 1),
        date(2026, 2, 1),
    )
    # An older completion recorded late does not shorten it.
    _record(clara, module, date(2024, 9, 1))
    assert Certification.objects.get().expires_on == date(2026, 2, 1)


def test_the_database_refuses_a_second_certification_of_a_kind(clara, module):
    Certification.objects.create(contact=clara, name="Technical setup", issued_on=date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Certification.objects.create(
            contact=clara, name="TECHNICAL SETUP", issued_on=date(2025, 2, 1)
        )
    Certification.objects.create(contact=clara, name="A", module=module, issued_on=date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Certification.objects.create(
            contact=clara, name="B", module=module, issued_on=date(2025, 1, 1)
        )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_keeps_the_latest_of_each_duplicate(migrator, pauls_partner):
    executor = migrator
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    Contact = old.get_model("partners", "PartnerContact")
    Cert = old.get_model("partners", "Certification")
    Module = old.get_model("partners", "TrainingModule")
    clara = Contact.objects.create(partner_id=pauls_partner.pk, name="Clara")
    other = Contact.objects.create(partner_id=pauls_partner.pk, name="Ole")
    module = Module.objects.create(code="sales", name="Sales", certification_valid_days=365)
    on = date(2025, 3, 1)
    # The duplicate of the report: granted by the training, then added by hand.
    Cert.objects.create(
        contact=clara, name="Sales", module=module, issued_on=on, expires_on=date(2026, 3, 1)
    )
    Cert.objects.create(contact=clara, name="Sales", issued_on=on, expires_on=date(2026, 3, 1))
    # A renewal kept as a second row: the later one stays.
    Cert.objects.create(contact=clara, name="Setup", issued_on=on, expires_on=date(2025, 6, 1))
    kept = Cert.objects.create(contact=clara, name="setup", issued_on=on, expires_on=None)
    Cert.objects.create(contact=other, name="Sales", issued_on=on, expires_on=date(2026, 3, 1))

    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])
    new = executor.loader.project_state([AFTER]).apps.get_model("partners", "Certification")
    rows = sorted(new.objects.values_list("contact__name", "name", "module__code", "expires_on"))
    assert rows == [
        ("Clara", "Sales", "sales", date(2026, 3, 1)),
        ("Clara", "setup", None, None),
        ("Ole", "Sales", None, date(2026, 3, 1)),
    ]
    assert new.objects.filter(pk=kept.pk).exists()


def test_adding_it_by_hand_valid_longer_renews_it(clara, module, partner_client, pauls_partner):
    _record(clara, module, date(2025, 3, 1))
    response = partner_client.post(
        reverse("partners:certification-create", args=[pauls_partner.slug]),
        {
            "contact": clara.pk,
            "name": "Certified sales professional",
            "issued_on": "2026-02-20",
            "expires_on": "2027-02-20",
        },
        follow=True,
    )
    assert "Certification renewed until 2027-02-20." in response.text
    certification = Certification.objects.get()
    assert (certification.issued_on, certification.module) == (date(2026, 2, 20), module)
