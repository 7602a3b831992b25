"""The daily job: flags for what needs a manager, idempotent, and one reminder a day."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django_celery_beat.models import PeriodicTask

from partners.activity import services as activity_services
from partners.attention import services as attention_services
from partners.attention.models import PartnerFlag, ReminderLog
from partners.attention.tasks import partner_daily_task
from partners.directory.models import Partner
from partners.enablement import services as enablement_services
from tests.factories import (
    CertificationFactory,
    ContactFactory,
    ContractFactory,
    InteractionFactory,
    PartnerFactory,
)

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 1)
K = PartnerFlag.Kind


@pytest.fixture
def trouble(pauls_partner, other_partner_user, indirect_channel):
    """One of each thing the job flags, on Paul's partner; a quiet one of Petra's."""
    Partner.objects.filter(pk=pauls_partner.pk).update(next_review_on=date(2025, 5, 20))
    ending = ContractFactory(
        partner=pauls_partner, start_on=date(2024, 1, 1), end_on=date(2025, 7, 15)
    )
    ContractFactory(
        partner=pauls_partner, start_on=date(2024, 1, 1), end_on=date(2026, 12, 31), kind="nda"
    )
    contact = ContactFactory(partner=pauls_partner, name="Clara Dubois")
    cert = CertificationFactory(
        contact=contact, issued_on=date(2024, 6, 20), expires_on=date(2025, 6, 20)
    )
    CertificationFactory(
        contact=contact,
        name="Technical setup",
        issued_on=date(2024, 9, 1),
        expires_on=date(2025, 9, 1),
    )
    late = InteractionFactory(
        partner=pauls_partner,
        occurred_on=date(2025, 5, 1),
        next_step="Send price list",
        follow_up_on=date(2025, 5, 15),
    )
    InteractionFactory(
        partner=pauls_partner,
        occurred_on=date(2025, 5, 1),
        next_step="Later",
        follow_up_on=date(2025, 6, 15),
    )
    quiet = PartnerFactory(channel=indirect_channel, manager=other_partner_user, name="Quiet")
    ContractFactory(partner=quiet, start_on=date(2024, 1, 1), end_on=None)
    return {"ending": ending, "cert": cert, "late": late, "quiet": quiet}


def _flags():
    return sorted(
        PartnerFlag.objects.values_list(
            "kind", "partner_id", "object_id", "message", "due_on", "raised_on"
        )
    )


def test_it_flags_each_thing_that_needs_the_manager(trouble, pauls_partner):
    attention_services.partner_flags_refresh(today=TODAY)
    flags = {(f.kind, f.object_id): f for f in PartnerFlag.objects.all()}
    assert set(flags) == {
        (K.REVIEW_OVERDUE, 0),
        (K.CONTRACT_EXPIRING, trouble["ending"].pk),
        (K.CERTIFICATION_EXPIRING, trouble["cert"].pk),
        (K.FOLLOW_UP_OVERDUE, trouble["late"].pk),
    }
    assert all(f.partner_id == pauls_partner.pk for f in flags.values())
    assert flags[(K.REVIEW_OVERDUE, 0)].message == "Review overdue by 12 days"
    assert flags[(K.CONTRACT_EXPIRING, trouble["ending"].pk)].due_on == date(2025, 7, 15)


def test_an_active_partner_without_a_valid_contract_is_flagged(trouble, pauls_partner):
    trouble["ending"].delete()  # only the NDA is left, and an NDA is not a sales contract
    attention_services.partner_flags_refresh(today=TODAY)
    assert PartnerFlag.objects.filter(kind=K.NO_VALID_CONTRACT, partner=pauls_partner).exists()
    assert not PartnerFlag.objects.filter(partner=trouble["quiet"]).exists()


def test_running_the_job_twice_gives_the_same_flags(trouble):
    first = attention_services.partner_flags_refresh(today=TODAY)
    before = _flags()
    second = attention_services.partner_flags_refresh(today=TODAY)
    assert _flags() == before
    assert (first.raised, first.cleared) == (4, 0)
    assert (second.raised, second.cleared, second.kept) == (0, 0, 4)


def test_a_flag_clears_when_its_cause_is_dealt_with(trouble, pauls_partner):
    attention_services.partner_flags_refresh(today=TODAY)
    activity_services.follow_up_set_done(interaction=trouble["late"], on=TODAY)
    result = attention_services.partner_flags_refresh(today=TODAY)
    assert result.cleared == 1
    assert not PartnerFlag.objects.filter(kind=K.FOLLOW_UP_OVERDUE).exists()
    # A later day keeps the raised date of flags that still hold.
    attention_services.partner_flags_refresh(today=date(2025, 6, 2))
    assert PartnerFlag.objects.get(kind=K.REVIEW_OVERDUE).raised_on == TODAY
    assert PartnerFlag.objects.get(kind=K.REVIEW_OVERDUE).message == "Review overdue by 13 days"


def test_each_manager_gets_one_reminder_a_day(trouble, partner_user):
    attention_services.partner_daily_run(today=TODAY)
    attention_services.partner_daily_run(today=TODAY)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [partner_user.email]
    assert "4 partner items need you" in email.subject
    assert "Nordlicht Handel: Review overdue by 12 days" in email.body
    assert "Send price list" in email.body
    assert ReminderLog.objects.get().item_count == 4
    attention_services.partner_daily_run(today=date(2025, 6, 2))
    assert len(mail.outbox) == 2


def test_the_task_runs_the_job_for_today(trouble, monkeypatch):
    import partners.attention.tasks

    monkeypatch.setattr(partners.attention.tasks.timezone, "localdate", lambda: TODAY)
    partner_daily_task()
    partner_daily_task()
    assert len(_flags()) == 4
    assert len(mail.outbox) == 1


def test_beat_runs_the_job_daily():
    task = PeriodicTask.objects.get(task="partners.partner_daily_task")
    assert task.enabled and task.crontab is not None
    assert (task.crontab.minute, task.crontab.hour) == ("0", "6")
    from channelhub.celery import app

    assert "partners.partner_daily_task" in app.tasks


def test_a_renewed_certification_is_not_flagged(trouble, pauls_partner):
    cert = trouble["cert"]
    # One certification per person and kind: the renewal extends it in place.
    enablement_services.certification_create(
        contact=cert.contact,
        name=cert.name,
        issued_on=date(2025, 5, 30),
        expires_on=date(2026, 5, 30),
    )
    attention_services.partner_flags_refresh(today=TODAY)
    assert not PartnerFlag.objects.filter(kind=K.CERTIFICATION_EXPIRING).exists()


def test_the_reminder_links_to_each_item_and_to_the_home_page(trouble, pauls_partner, settings):
    """Issue 21 item 7: every line of the digest carries the link to deal with it."""
    settings.SITE_URL = "https://hub.example.com"
    attention_services.partner_daily_run(today=TODAY)
    body = mail.outbox[0].body
    page = f"https://hub.example.com{pauls_partner.get_absolute_url()}"
    lines = body.splitlines()
    for text, section in [
        ("Review overdue by 12 days", "reviews"),
        ("Send price list", "interactions"),
        ("expires on 2025-06-20", "training"),
        ("ends on 2025-07-15", "contracts"),
    ]:
        (at,) = [i for i, line in enumerate(lines) if text in line]
        assert lines[at + 1].strip() == f"{page}#{section}", lines[at : at + 2]
    assert (
        "Your home page shows them, with links to each full list: https://hub.example.com/" in body
    )


def test_no_reminder_goes_to_a_manager_whose_role_was_taken(trouble, partner_user):
    from django.contrib.auth.models import Group

    partner_user.groups.set([Group.objects.get_or_create(name="viewer")[0]])
    attention_services.partner_daily_run(today=TODAY)
    assert not mail.outbox and not ReminderLog.objects.exists()
