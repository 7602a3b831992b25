"""Conflict detection: each rule opens exactly one case for one conflict, none
for clean data, and no duplicate when it runs again (or twice at once)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, connections, transaction
from django_celery_beat.models import PeriodicTask

from partners.conflicts import pricing as conflicts_pricing
from partners.conflicts import services as conflicts_services
from partners.conflicts.models import ConflictCase, ConflictNote
from partners.deals import detection as deals_detection
from partners.deals.models import DealRegistration
from partners.deals.tasks import conflict_detection_task
from partners.directory.models import Partner, Territory
from tests.factories import (
    ChannelFactory,
    ConflictCaseFactory,
    ContractFactory,
    DealFactory,
    PartnerFactory,
    PriceObservationFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 1)
K = ConflictCase.Kind


def cases(kind: str | None = None):
    qs = ConflictCase.objects.all()
    return list(qs.filter(kind=kind) if kind else qs)


@pytest.fixture
def alpine(indirect_channel, other_partner_user):
    return PartnerFactory(
        name="Alpine Supply", slug="alpine", channel=indirect_channel, manager=other_partner_user
    )


# --- pricing -------------------------------------------------------------------------


@pytest.fixture
def desk():
    return ProductFactory(
        sku="DSK-200", name="Standing desk", list_price="599.00", map_price="499.00"
    )


def test_a_price_below_map_opens_one_pricing_case(pauls_partner, desk, partner_user):
    seen = PriceObservationFactory(
        partner=pauls_partner, product=desk, price=Decimal("449.00"), observed_on=TODAY
    )
    result = deals_detection.conflicts_detect(today=TODAY)
    assert result.opened == {K.PRICING: 1}
    case = ConflictCase.objects.get()
    assert case.kind == K.PRICING and case.status == "open" and case.source == "detected"
    assert case.fingerprint == f"pricing:{pauls_partner.pk}:{desk.pk}"
    assert list(case.partners.all()) == [pauls_partner]
    assert case.title == "Nordlicht Handel advertises DSK-200 at $449.00, below the $499.00 MAP"
    assert case.severity == "medium"  # 10% below
    assert list(case.price_observations.all()) == [seen]
    # The channel has no owner and there is no marketing manager: nobody's,
    # never the partner's own manager (issue 19).
    assert case.owner is None


def test_clean_prices_open_no_case(pauls_partner, desk):
    PriceObservationFactory(partner=pauls_partner, product=desk, price="499.00", observed_on=TODAY)
    PriceObservationFactory(partner=pauls_partner, product=desk, price="599.00", observed_on=TODAY)
    no_map = ProductFactory(map_price=None)
    PriceObservationFactory(partner=pauls_partner, product=no_map, price="1.00", observed_on=TODAY)
    # Below MAP, but seen long ago: history, not a conflict to act on.
    PriceObservationFactory(
        partner=pauls_partner, product=desk, price="400.00", observed_on=TODAY - timedelta(days=91)
    )
    assert deals_detection.conflicts_detect(today=TODAY).total_opened == 0
    assert cases() == []


def test_rerunning_the_pricing_rule_opens_no_duplicate(pauls_partner, desk):
    PriceObservationFactory(partner=pauls_partner, product=desk, price="449.00", observed_on=TODAY)
    deals_detection.conflicts_detect(today=TODAY)
    second = deals_detection.conflicts_detect(today=TODAY)
    assert second.total_opened == 0 and second.attached == 0
    assert len(cases()) == 1


def test_a_new_sighting_joins_the_open_case_and_a_closed_case_is_not_reopened(
    pauls_partner, desk, marketing_user
):
    PriceObservationFactory(partner=pauls_partner, product=desk, price="449.00", observed_on=TODAY)
    deals_detection.conflicts_detect(today=TODAY)
    case = ConflictCase.objects.get()
    later = PriceObservationFactory(
        partner=pauls_partner, product=desk, price="379.00", observed_on=TODAY
    )
    result = deals_detection.conflicts_detect(today=TODAY)
    assert result.total_opened == 0 and result.attached == 1
    assert later in case.price_observations.all()
    assert "1 more observation below MAP" in case.notes.filter(kind="system").last().body
    conflicts_services.conflict_close(
        case=case, status="resolved", resolution="Partner fixed its shop", by=marketing_user
    )
    assert (
        deals_detection.conflicts_detect(today=TODAY).total_opened == 0
    )  # reported ones stay closed
    # Seen below MAP again after the case closed: that is a new conflict.
    PriceObservationFactory(partner=pauls_partner, product=desk, price="450.00", observed_on=TODAY)
    assert deals_detection.conflicts_detect(today=TODAY).opened == {K.PRICING: 1}
    assert ConflictCase.objects.filter(status="open").count() == 1


def test_each_partner_and_product_gets_its_own_pricing_case(pauls_partner, alpine, desk):
    chair = ProductFactory(sku="CHR-310", list_price="249.00", map_price="199.00")
    for partner, product in ((pauls_partner, desk), (pauls_partner, chair), (alpine, desk)):
        PriceObservationFactory(partner=partner, product=product, price="100.00", observed_on=TODAY)
    assert deals_detection.conflicts_detect(today=TODAY).opened == {K.PRICING: 3}


def test_recording_a_price_below_map_opens_the_case_at_once(pauls_partner, desk, partner_user):
    observation = conflicts_pricing.observation_create(
        partner=pauls_partner,
        product=desk,
        price=Decimal("350.00"),
        observed_on=date.today(),
        where_seen="https://nordlicht.example/desk",
        recorded_by=partner_user,
    )
    observation.refresh_from_db()
    assert observation.conflict_case is not None
    assert observation.conflict_case.severity == "high"  # 30% below


# --- territory -----------------------------------------------------------------------


def _exclusive(partner, codes, start=date(2025, 1, 1), end=date(2026, 12, 31)):
    contract = ContractFactory(partner=partner, start_on=start, end_on=end, kind="distribution")
    contract.exclusive_territories.set(
        [Territory.objects.get_or_create(code=code)[0] for code in codes]
    )
    return contract


def test_two_exclusive_contracts_on_one_region_open_one_territory_case(pauls_partner, alpine):
    mine = _exclusive(pauls_partner, ["DE", "AT"])
    theirs = _exclusive(alpine, ["AT", "CH"], start=date(2025, 3, 1))
    result = deals_detection.conflicts_detect(today=TODAY)
    assert result.opened == {K.TERRITORY: 1}
    case = ConflictCase.objects.get()
    assert case.region_code == "AT" and case.severity == "high"
    assert set(case.partners.all()) == {pauls_partner, alpine}
    assert set(case.contracts.all()) == {mine, theirs}
    assert case.title == "Exclusive territory AT claimed by Nordlicht Handel and Alpine Supply"
    assert "from 2025-03-01 to 2026-12-31" in case.description


def test_exclusivity_that_does_not_clash_opens_no_case(pauls_partner, alpine, indirect_channel):
    _exclusive(pauls_partner, ["DE"])
    _exclusive(alpine, ["CH"])  # another region
    _exclusive(pauls_partner, ["FR"], end=date(2025, 2, 28))
    _exclusive(alpine, ["FR"], start=date(2025, 3, 1))  # same region, one after the other
    _exclusive(pauls_partner, ["DE"], start=date(2027, 1, 1), end=None)  # the same partner
    gone = PartnerFactory(channel=indirect_channel, status=Partner.Status.OFFBOARDED)
    _exclusive(gone, ["DE"])
    _exclusive(pauls_partner, ["IT"], start=date(2024, 1, 1), end=date(2024, 12, 31))
    _exclusive(alpine, ["IT"], start=date(2024, 6, 1), end=date(2025, 5, 31))  # over by today
    assert deals_detection.conflicts_detect(today=TODAY).total_opened == 0
    assert cases() == []


def test_a_dismissed_territory_case_is_not_opened_again(pauls_partner, alpine, marketing_user):
    _exclusive(pauls_partner, ["AT"])
    _exclusive(alpine, ["AT"])
    deals_detection.conflicts_detect(today=TODAY)
    assert deals_detection.conflicts_detect(today=TODAY).total_opened == 0
    case = ConflictCase.objects.get()
    conflicts_services.conflict_close(
        case=case,
        status="dismissed",
        resolution="Co-exclusivity agreed in writing",
        by=marketing_user,
    )
    assert deals_detection.conflicts_detect(today=TODAY).total_opened == 0
    assert len(cases()) == 1


# --- deal overlap --------------------------------------------------------------------


def test_two_partners_registering_one_domain_open_one_overlap_case(pauls_partner, alpine):
    held = DealFactory(
        partner=pauls_partner,
        customer_name="Acme GmbH",
        customer_domain="acme.de",
        submitted_on=TODAY - timedelta(days=20),
    )
    newer = DealFactory(
        partner=alpine,
        customer_name="ACME Deutschland",
        customer_domain="https://www.acme.de/kontakt",
        submitted_on=TODAY - timedelta(days=2),
        estimated_value=Decimal("150000"),
    )
    result = deals_detection.conflicts_detect(today=TODAY)
    assert result.opened == {K.DEAL_OVERLAP: 1}
    case = ConflictCase.objects.get()
    assert set(case.deals.all()) == {held, newer}
    assert set(case.partners.all()) == {pauls_partner, alpine}
    assert case.severity == "high"  # a large deal
    assert "already held by Nordlicht Handel" in case.title
    assert "the same domain (acme.de)" in case.description
    assert deals_detection.conflicts_detect(today=TODAY).total_opened == 0


def test_a_fuzzy_matched_name_in_the_same_country_is_an_overlap(pauls_partner, alpine):
    DealFactory(partner=pauls_partner, customer_name="Umbrella Corp", customer_domain="")
    DealFactory(partner=alpine, customer_name="Umbrela Corporation", customer_domain="")
    assert deals_detection.conflicts_detect(today=TODAY).opened == {K.DEAL_OVERLAP: 1}
    assert "matching names in DE" in ConflictCase.objects.get().description


def test_clean_registrations_open_no_overlap_case(pauls_partner, alpine):
    # Same partner twice: not a conflict between partners.
    DealFactory(partner=pauls_partner, customer_name="Initech", customer_domain="initech.com")
    DealFactory(partner=pauls_partner, customer_name="Initech AG", customer_domain="initech.com")
    # Different customers.
    DealFactory(partner=alpine, customer_name="Initrode", customer_domain="initrode.com")
    # The same name in another country, without a shared domain.
    DealFactory(partner=alpine, customer_name="Initech", customer_domain="", country="US")
    # The same customer, but the other registration is no longer active.
    DealFactory(
        partner=alpine,
        customer_name="Initech",
        customer_domain="initech.com",
        status=DealRegistration.Status.REJECTED,
    )
    DealFactory(
        partner=alpine,
        customer_name="Initech",
        customer_domain="initech.com",
        submitted_on=TODAY - timedelta(days=200),
    )
    assert deals_detection.conflicts_detect(today=TODAY).total_opened == 0
    assert cases() == []


def test_the_job_expires_registrations_past_their_expiry(pauls_partner):
    old = DealFactory(partner=pauls_partner, submitted_on=TODAY - timedelta(days=100))
    fresh = DealFactory(partner=pauls_partner, submitted_on=TODAY - timedelta(days=10))
    assert deals_detection.conflicts_detect(today=TODAY).expired_deals == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == ("expired", "submitted")
    assert deals_detection.conflicts_detect(today=TODAY).expired_deals == 0


# --- the case itself -----------------------------------------------------------------


def test_the_database_refuses_a_second_open_case_with_the_same_facts(pauls_partner):
    first = ConflictCaseFactory(fingerprint="territory:AT:1:2")
    with pytest.raises(IntegrityError), transaction.atomic():
        ConflictCaseFactory(fingerprint="territory:AT:1:2")
    # Once the first is closed, a new open case may hold the fingerprint.
    ConflictCase.objects.filter(pk=first.pk).update(status="resolved", closed_at=first.opened_at)
    ConflictCaseFactory(fingerprint="territory:AT:1:2")
    # Cases opened by hand have no fingerprint and never collide.
    ConflictCaseFactory()
    ConflictCaseFactory()
    assert ConflictCase.objects.count() == 4


def test_the_owner_is_emailed_when_a_case_opens(
    pauls_partner, desk, marketing_user, django_capture_on_commit_callbacks
):
    channel = pauls_partner.channel
    channel.owner = marketing_user
    channel.save()
    PriceObservationFactory(partner=pauls_partner, product=desk, price="449.00", observed_on=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        deals_detection.conflicts_detect(today=TODAY)
    case = ConflictCase.objects.get()
    assert case.owner == marketing_user  # the channel's owner runs it
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [marketing_user.email]
    assert f"conflict #{case.pk} opened" in email.subject
    assert "Nordlicht Handel" in email.body and f"/partners/conflicts/{case.pk}/" in email.body
    with django_capture_on_commit_callbacks(execute=True):
        deals_detection.conflicts_detect(today=TODAY)
    assert len(mail.outbox) == 1  # no new case, no new email


def test_the_task_runs_the_job_and_beat_runs_it_hourly(pauls_partner, desk, monkeypatch):
    import partners.deals.tasks

    monkeypatch.setattr(partners.deals.tasks.timezone, "localdate", lambda: TODAY)
    PriceObservationFactory(partner=pauls_partner, product=desk, price="449.00", observed_on=TODAY)
    conflict_detection_task()
    conflict_detection_task()
    assert len(cases()) == 1
    task = PeriodicTask.objects.get(task="partners.conflict_detection_task")
    assert task.enabled and (task.crontab.minute, task.crontab.hour) == ("20", "*")
    from channelhub.celery import app

    assert "partners.conflict_detection_task" in app.tasks


def test_a_reopened_case_cannot_duplicate_a_newer_open_one(pauls_partner, alpine, marketing_user):
    _exclusive(pauls_partner, ["AT"])
    _exclusive(alpine, ["AT"])
    deals_detection.conflicts_detect(today=TODAY)
    case = ConflictCase.objects.get()
    conflicts_services.conflict_close(
        case=case, status="resolved", resolution="Split", by=marketing_user
    )
    ConflictCaseFactory(fingerprint=case.fingerprint, kind=K.TERRITORY)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Another open case"):
        conflicts_services.conflict_set_status(
            case=case, status="open", by=marketing_user, note="Not split after all"
        )
    case.refresh_from_db()
    assert case.status == "resolved"
    assert (
        ConflictNote.objects.filter(case=case, body__startswith="Status: Resolved → Open").count()
        == 0
    )


# --- two runs at once ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_open_no_duplicate():
    manager = UserFactory(username="pam")
    channel = ChannelFactory(route="indirect")
    a = PartnerFactory(channel=channel, manager=manager, name="A")
    b = PartnerFactory(channel=channel, manager=manager, name="B")
    product = ProductFactory(map_price="99.00")
    PriceObservationFactory(partner=a, product=product, price="50.00", observed_on=TODAY)
    _exclusive(a, ["AT"])
    _exclusive(b, ["AT"])
    DealFactory(partner=a, customer_name="Acme", customer_domain="acme.com")
    DealFactory(partner=b, customer_name="Acme", customer_domain="acme.com")
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            deals_detection.conflicts_detect(today=TODAY)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(ConflictCase.objects.values_list("kind", flat=True)) == [
        K.DEAL_OVERLAP,
        K.PRICING,
        K.TERRITORY,
    ]
