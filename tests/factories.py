"""factory-boy factories shared by every app's tests."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from channelhub.lib.matching import name_key, normalise_domain
from channelhub.lib.roles import PARTNER_USER
from channels_app.channels.models import Channel, ChannelObjective
from partners.models import (
    Certification,
    ConflictCase,
    Contract,
    DealRegistration,
    Interaction,
    Partner,
    PartnerContact,
    PartnerReview,
    PortalAccount,
    PriceObservation,
    Product,
    ReviewActionItem,
    TrainingModule,
)

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create and extracted:
            # get_or_create: a transactional test's flush empties migration data.
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])
        if create:
            self.save()


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    name = factory.Sequence(lambda n: f"Channel {n}")
    slug = factory.Sequence(lambda n: f"channel-{n}")
    kind = Channel.Kind.ECOMMERCE
    status = Channel.Status.ACTIVE
    route = Channel.Route.DIRECT
    reach = Channel.Reach.ONLINE


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelObjective

    channel = factory.SubFactory(ChannelFactory)
    metric = "revenue"
    target = Decimal("100000")
    direction = "at_least"
    start_date = date(2025, 1, 1)
    end_date = date(2025, 12, 31)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    channel = factory.SubFactory(ChannelFactory, route=Channel.Route.INDIRECT)
    name = factory.Sequence(lambda n: f"Partner {n}")
    slug = factory.Sequence(lambda n: f"partner-{n}")
    status = Partner.Status.ACTIVE


# --- partner management ------------------------------------------------------------


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerContact

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    role = "Sales lead"
    email = factory.LazyAttribute(lambda c: f"{c.name.replace(' ', '.').lower()}@partner.example")


class TrainingModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingModule

    code = factory.Sequence(lambda n: f"module-{n}")
    name = factory.Sequence(lambda n: f"Module {n}")
    certification_valid_days = 365


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification

    contact = factory.SubFactory(ContactFactory)
    name = "Certified sales professional"
    issued_on = date(2025, 1, 1)
    expires_on = date(2026, 1, 1)


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    partner = factory.SubFactory(PartnerFactory)
    kind = Contract.Kind.RESELLER
    # Relative to today: a contract that started two years ago and runs for
    # another year is in force whenever the suite runs, and far from the
    # "ending soon" window (CONTRACT_ENDING_DAYS). Tests about ending or ended
    # contracts pass their own dates.
    start_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=730))
    end_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    partner = factory.SubFactory(PartnerFactory)
    kind = Interaction.Kind.CALL
    occurred_on = date(2025, 3, 1)
    summary = "Pipeline call"


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerReview

    partner = factory.SubFactory(PartnerFactory)
    period_start = date(2025, 1, 1)
    period_end = date(2025, 3, 31)
    reviewed_on = date(2025, 4, 10)
    score_sales = 4
    score_enablement = 3
    score_brand = 4
    score_satisfaction = 5
    score_collaboration = 4
    overall = Decimal("4.00")
    next_review_on = date(2025, 7, 10)


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewActionItem

    review = factory.SubFactory(ReviewFactory)
    description = "Send the co-marketing plan"
    owner = "Paul"
    due_on = date(2025, 5, 1)


# --- deal registrations, pricing and conflicts ---------------------------------------


class DealFactory(factory.django.DjangoModelFactory):
    """A registration as the service would store it (keys normalised)."""

    class Meta:
        model = DealRegistration

    partner = factory.SubFactory(PartnerFactory)
    customer_name = factory.Sequence(lambda n: f"Customer {n} GmbH")
    customer_domain = factory.Sequence(lambda n: f"customer{n}.example")
    domain_key = factory.LazyAttribute(lambda d: normalise_domain(d.customer_domain))
    name_key = factory.LazyAttribute(lambda d: name_key(d.customer_name))
    country = "DE"
    estimated_value = Decimal("25000")
    expected_close_on = date(2025, 9, 30)
    submitted_on = date(2025, 5, 1)
    expires_on = factory.LazyAttribute(lambda d: d.submitted_on + timedelta(days=90))


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:03d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    list_price = Decimal("129.00")
    map_price = Decimal("99.00")


class PriceObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceObservation

    partner = factory.SubFactory(PartnerFactory)
    product = factory.SubFactory(ProductFactory)
    price = Decimal("99.00")
    observed_on = date(2025, 5, 20)
    where_seen = factory.Sequence(lambda n: f"https://shop.example/item/{n}")


class ConflictCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConflictCase
        skip_postgeneration_save = True

    kind = ConflictCase.Kind.OTHER
    title = factory.Sequence(lambda n: f"Conflict {n}")
    severity = ConflictCase.Severity.MEDIUM

    @factory.post_generation
    def partners(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.partners.set(extracted)


# --- brand audits --------------------------------------------------------------------


def make_audit(channel, audited_on, scores=(4, 4, 4, 4, 4), auditor=None, next_audit_on=None):
    """A brand audit with one item per checklist entry, through the service."""
    from channels_app.audits.models import BRAND_AUDIT_ITEM_KEYS
    from channels_app.audits.services import audit_record

    items = {key: (score, "") for key, score in zip(BRAND_AUDIT_ITEM_KEYS, scores, strict=True)}
    return audit_record(
        channel=channel,
        audited_on=audited_on,
        items=items,
        auditor=auditor,
        next_audit_on=next_audit_on,
    )


# --- onboarding, incentives, jobs (the authorization audit builds one of each) ---------


class OnboardingStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "partners.OnboardingStep"

    partner = factory.SubFactory(PartnerFactory)
    title = factory.Sequence(lambda n: f"Step {n}")


class IncentiveProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "partners.IncentiveProgram"

    name = factory.Sequence(lambda n: f"Program {n}")
    kind = "mdf"
    channel = factory.SubFactory(ChannelFactory, route=Channel.Route.INDIRECT)
    start_date = date(2025, 1, 1)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "partners.ProgramEnrollment"

    program = factory.SubFactory(IncentiveProgramFactory)
    partner = factory.SubFactory(PartnerFactory)
    start_date = date(2025, 1, 1)


class MdfClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "partners.MdfClaim"

    program = factory.SubFactory(IncentiveProgramFactory)
    partner = factory.SubFactory(PartnerFactory)
    activity_date = date(2025, 3, 1)
    amount = Decimal("500.00")
    description = "Trade show booth"


class ImportRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "kpis.ImportRun"

    original_name = "facts.csv"
    status = "succeeded"


class RecomputeRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "kpis.RecomputeRun"

    status = "succeeded"


def make_partner_user(partner, username, *, contact=None, **contact_fields):
    """A partner user of `partner` (role, contact and portal account), as an
    accepted invitation leaves them; signs in with PASSWORD."""
    contact = contact or ContactFactory(
        partner=partner, email=f"{username}@partner.example", **contact_fields
    )
    user = UserFactory(username=username, email=contact.email, role=PARTNER_USER)
    PortalAccount.objects.create(user=user, partner=partner, contact=contact)
    return user
