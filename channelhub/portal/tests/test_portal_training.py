"""Training in the portal: a partner user sees what is due and done, and
records a module they completed (with its certificate), which certifies them
through the same service as inside."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from channelhub.lib.roles import PARTNER_MANAGER
from partners.models import Certification, TrainingCompletion
from tests.auth import signed_in_client
from tests.documents import pdf_bytes
from tests.factories import (
    CertificationFactory,
    PartnerFactory,
    TrainingModuleFactory,
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
    return {
        "paul": paul,
        "acme": acme,
        "sales": TrainingModuleFactory(name="Selling our range", certification_valid_days=365),
        "intro": TrainingModuleFactory(name="Welcome course", certification_valid_days=None),
        "alice": make_partner_user(acme, "alice"),
        "bob": make_partner_user(globex, "bob"),
    }


def _done(module, on=None, certificate=None):
    data = {"module": module.pk, "completed_on": (on or timezone.localdate()).isoformat()}
    if certificate is not None:
        data["certificate"] = certificate
    return data


def _pdf(name="certificate.pdf"):
    return SimpleUploadedFile(name, pdf_bytes(), "application/pdf")


def test_a_partner_user_records_a_module_with_its_certificate_and_is_certified(world):
    client = signed_in_client(world["alice"])
    page = client.get(reverse("portal:training"))
    assert [row["module"] for row in page.context["due"]] == [world["sales"], world["intro"]]

    response = client.post(reverse("portal:training"), _done(world["sales"], certificate=_pdf()))

    assert response.status_code == 302
    contact = world["alice"].portal_account.contact
    completion = TrainingCompletion.objects.get()
    assert completion.contact == contact and completion.recorded_by == world["alice"]
    assert completion.certificate_name == "certificate.pdf"
    assert completion.certificate_type == "application/pdf"
    certification = Certification.objects.get()
    today = timezone.localdate()
    assert certification.contact == contact and certification.module == world["sales"]
    assert certification.expires_on == today + timedelta(days=365)
    page = client.get(reverse("portal:training"))
    assert [row["module"] for row in page.context["done"]] == [world["sales"]]
    assert [row["module"] for row in page.context["due"]] == [world["intro"]]
    assert "certificate.pdf" in page.text
    download = client.get(reverse("portal:training-certificate", args=[completion.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf_bytes()
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_completing_again_renews_the_one_certification(world):
    contact = world["alice"].portal_account.contact
    today = timezone.localdate()
    CertificationFactory(
        contact=contact,
        name="Selling our range",
        module=world["sales"],
        issued_on=today - timedelta(days=350),
        expires_on=today + timedelta(days=15),
    )
    client = signed_in_client(world["alice"])
    due = client.get(reverse("portal:training")).context["due"]
    assert due[0]["why"] == "Not completed yet"  # never recorded, though certified
    assert client.post(reverse("portal:training"), _done(world["sales"])).status_code == 302

    certification = Certification.objects.get()
    assert certification.expires_on == today + timedelta(days=365)
    assert not TrainingCompletion.objects.get().certificate


def test_an_expiring_certification_makes_the_module_due_again(world):
    contact = world["alice"].portal_account.contact
    today = timezone.localdate()
    client = signed_in_client(world["alice"])
    client.post(reverse("portal:training"), _done(world["sales"], on=today - timedelta(days=340)))

    due = client.get(reverse("portal:training")).context["due"]

    assert due[0]["module"] == world["sales"]
    assert due[0]["why"] == "Certification expiring soon"
    assert Certification.objects.get(contact=contact).expires_on == today + timedelta(days=25)


def test_a_fake_certificate_is_refused_next_to_the_field_with_the_date_kept(world):
    fake = SimpleUploadedFile("certificate.pdf", b"<html><script>alert(1)</script></html>")
    on = timezone.localdate() - timedelta(days=3)

    response = signed_in_client(world["alice"]).post(
        reverse("portal:training"), _done(world["sales"], on=on, certificate=fake)
    )

    assert response.status_code == 200
    assert "not a real PDF" in str(response.context["form"].errors["certificate"])
    assert f'value="{on.isoformat()}"' in response.text
    assert not TrainingCompletion.objects.exists() and not Certification.objects.exists()


def test_a_future_date_and_a_retired_module_are_refused(world):
    client = signed_in_client(world["alice"])
    tomorrow = timezone.localdate() + timedelta(days=1)

    future = client.post(reverse("portal:training"), _done(world["sales"], on=tomorrow))
    world["intro"].is_active = False
    world["intro"].save()
    retired = client.post(reverse("portal:training"), _done(world["intro"]))

    assert "cannot be in the future" in str(future.context["form"].errors["completed_on"])
    assert "module" in retired.context["form"].errors
    assert not TrainingCompletion.objects.exists()


def test_the_same_completion_twice_is_refused(world):
    client = signed_in_client(world["alice"])
    client.post(reverse("portal:training"), _done(world["sales"]))

    response = client.post(reverse("portal:training"), _done(world["sales"]))

    assert response.status_code == 200
    assert "already recorded" in response.text
    assert TrainingCompletion.objects.count() == 1


def test_another_partners_user_records_only_for_themselves_and_reads_no_certificate(world):
    signed_in_client(world["alice"]).post(
        reverse("portal:training"), _done(world["sales"], certificate=_pdf())
    )
    completion = TrainingCompletion.objects.get()
    bob = signed_in_client(world["bob"])
    before = database_state()

    assert bob.get(reverse("portal:training-certificate", args=[completion.pk])).status_code == 404
    assert database_state() == before
    page = bob.get(reverse("portal:training"))
    assert "certificate.pdf" not in page.text
    assert bob.post(reverse("portal:training"), _done(world["sales"])).status_code == 302

    mine = TrainingCompletion.objects.exclude(pk=completion.pk).get()
    assert mine.contact == world["bob"].portal_account.contact
    assert TrainingCompletion.objects.filter(contact__partner=world["acme"]).count() == 1


def test_an_internal_user_is_refused_and_changes_nothing(world):
    client = signed_in_client(world["paul"])
    before = database_state()

    assert client.get(reverse("portal:training")).status_code == 403
    assert client.post(reverse("portal:training"), _done(world["sales"])).status_code == 403
    assert database_state() == before


def test_a_shut_account_records_nothing(world):
    client = signed_in_client(world["alice"])
    contact = world["alice"].portal_account.contact
    contact.is_active = False
    contact.save()

    response = client.post(reverse("portal:training"), _done(world["sales"], certificate=_pdf()))

    assert response.status_code == 403
    assert not TrainingCompletion.objects.exists() and not Certification.objects.exists()


def test_the_training_page_query_count_does_not_grow_with_data(
    world, django_assert_max_num_queries
):
    client = signed_in_client(world["alice"])
    client.get(reverse("portal:training"))  # the session's first queries
    for n in range(8):
        module = TrainingModuleFactory(name=f"Module {n}")
        client.post(
            reverse("portal:training"),
            _done(module, certificate=_pdf() if n % 2 else None),
        )
    assert TrainingCompletion.objects.count() == 8

    with django_assert_max_num_queries(12):
        response = client.get(reverse("portal:training"))
    assert response.status_code == 200


def test_the_partner_manager_reads_the_certificate_inside_and_a_partner_user_not(world):
    signed_in_client(world["alice"]).post(
        reverse("portal:training"), _done(world["sales"], certificate=_pdf())
    )
    completion = TrainingCompletion.objects.get()
    url = reverse("partners:training-certificate", args=[completion.pk])

    page = signed_in_client(world["paul"]).get(world["acme"].get_absolute_url())
    assert url in page.text
    inside = signed_in_client(world["paul"]).get(url)
    assert inside.status_code == 200
    assert b"".join(inside.streaming_content) == pdf_bytes()
    assert signed_in_client(world["alice"]).get(url).status_code == 403
    assert signed_in_client(world["bob"]).get(url).status_code == 403
