"""Partners and what defines them: tiers, territories, the partner itself, its
status history, its contacts and its onboarding checklist."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from channels_app.channels.models import Channel

# Path segments under /partners/ that are pages, not partners.
RESERVED_SLUGS = frozenset(
    {
        "new",
        "reviews",
        "follow-ups",
        "expiring",
        "contracts",
        "interactions",
        "contacts",
        "incentives",
        "deals",
        "conflicts",
        "prices",
        "tiers",
    }
)


# ISO 3166-1 alpha-2 ("DE"), optionally with a subdivision ("US-CA"), or one of
# our sales regions ("EMEA", "DACH", ...): upper case letters and digits.
REGION_CODE_RE = re.compile(r"^[A-Z]{2,4}(-[A-Z0-9]{1,3})?$")


def validate_region_code(value: str) -> None:
    if not REGION_CODE_RE.match(value):
        raise ValidationError(
            f"“{value}” is not a region code: use e.g. DE, US-CA or DACH.", code="region_code"
        )


class Tier(models.Model):
    """A partner programme level; the administrator maintains the table."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=60, unique=True)
    rank = models.PositiveSmallIntegerField(
        default=0, help_text="Higher is better; used to sort tiers."
    )
    review_cadence_days = models.PositiveSmallIntegerField(
        default=90, help_text="Days between two performance reviews of a partner in this tier."
    )
    description = models.TextField(blank=True, max_length=5000)
    # What a partner needs to be in this tier (partners/tiering: the daily job
    # proposes promotions and demotions by them). Empty: not required. A tier
    # with no requirement at all is never proposed by the job.
    min_revenue = models.DecimalField(
        "revenue needed",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Revenue over the window below, from our reports. Empty: not required.",
    )
    revenue_window_days = models.PositiveSmallIntegerField(
        "revenue window (days)", default=365, help_text="The revenue counts over this many days."
    )
    min_certified_people = models.PositiveSmallIntegerField(
        "certified people needed",
        null=True,
        blank=True,
        help_text="People at the partner with a valid certification. Empty: not required.",
    )
    min_review_score = models.DecimalField(
        "review score needed",
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Overall score (1-5) of the last performance review. Empty: not required.",
    )

    class Meta:
        ordering = ["rank", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(review_cadence_days__gte=7) & Q(review_cadence_days__lte=730),
                name="tier_review_cadence_between_a_week_and_two_years",
                violation_error_message="The review cadence must be between 7 and 730 days.",
            ),
            models.CheckConstraint(
                condition=Q(revenue_window_days__gte=1) & Q(revenue_window_days__lte=1096),
                name="tier_revenue_window_a_day_to_three_years",
                violation_error_message="The revenue window must be between 1 and 1096 days.",
            ),
            models.CheckConstraint(
                condition=Q(min_revenue__isnull=True) | Q(min_revenue__gte=0),
                name="tier_min_revenue_not_negative",
                violation_error_message="The revenue needed cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(min_review_score__isnull=True)
                | (Q(min_review_score__gte=1) & Q(min_review_score__lte=5)),
                name="tier_min_review_score_1_to_5",
                violation_error_message="The review score needed is from 1 to 5.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_requirements(self) -> bool:
        return (
            self.min_revenue is not None
            or self.min_certified_people is not None
            or self.min_review_score is not None
        )


class Territory(models.Model):
    """A region code a partner covers. A table (not a JSON list) so that
    "partners in DE" is one indexed join on SQLite and PostgreSQL alike."""

    code = models.CharField(max_length=10, unique=True, validators=[validate_region_code])
    name = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "territories"

    def __str__(self) -> str:
        return self.code


class Partner(models.Model):
    class Kind(models.TextChoices):
        RESELLER = "reseller", "Reseller"
        DISTRIBUTOR = "distributor", "Distributor"
        AFFILIATE = "affiliate", "Affiliate"
        AGENCY = "agency", "Agency"
        REFERRAL = "referral", "Referral"
        MARKETPLACE_SELLER = "marketplace_seller", "Marketplace seller"
        OEM = "oem", "OEM"

    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        ONBOARDING = "onboarding", "Onboarding"
        ACTIVE = "active", "Active"
        AT_RISK = "at_risk", "At risk"
        SUSPENDED = "suspended", "Suspended"
        OFFBOARDED = "offboarded", "Offboarded"

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="partners")
    name = models.CharField(max_length=160)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RESELLER)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROSPECT)
    status_since = models.DateField(null=True, blank=True, editable=False)
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="partners"
    )
    territories = models.ManyToManyField(Territory, blank=True, related_name="partners")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_partners",
    )
    website = models.URLField(blank=True)
    description = models.TextField(blank=True, max_length=5000)
    # Kept by the review services (last review's next date, else the tier's
    # cadence from activation) so "due / overdue" is a plain indexed filter.
    next_review_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Who changed what and when (channelhub/history.py shows it on the object's page).
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "slug"]
        indexes = [
            models.Index(fields=["channel", "status"]),
            models.Index(fields=["manager", "next_review_on"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("partners:detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": f"“{self.slug}” is reserved; choose another slug."})


class PartnerStatusChange(models.Model):
    """One row per status change: the partner's lifecycle, with who and when."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=Partner.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Partner.Status.choices)
    changed_on = models.DateField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_on", "-created_at", "-pk"]
        indexes = [models.Index(fields=["partner", "changed_on"])]

    def __str__(self) -> str:
        return f"{self.partner}: {self.from_status or '—'} → {self.to_status} on {self.changed_on}"


class PartnerContact(models.Model):
    """A person at the partner: who we call, train and certify."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120)
    role = models.CharField(max_length=120, blank=True, help_text="e.g. Owner, Sales lead")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_primary = models.BooleanField("main contact", default=False)
    # Unticked when the person leaves the partner: their portal account shuts.
    is_active = models.BooleanField(
        "still works with the partner",
        default=True,
        help_text="Untick when this person leaves: their partner-portal account stops working.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["partner", "-is_primary", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.partner})"


# --- Onboarding: the checklist a new partner works through -------------------


class OnboardingTemplate(models.Model):
    """The checklist every new partner of one kind starts with."""

    kind = models.CharField(max_length=20, choices=Partner.Kind.choices, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.name


class OnboardingTemplateStep(models.Model):
    template = models.ForeignKey(OnboardingTemplate, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["template", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class OnboardingStep(models.Model):
    """A partner's own copy of a template step: editing the template later
    does not rewrite the checklists partners already work through."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="onboarding_steps")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    done_on = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["partner", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.partner}: {self.title}"

    @property
    def is_done(self) -> bool:
        return self.done_on is not None


def related_model(name: str) -> Any:
    """The model behind one of Partner's reverse relations ("flags",
    "interactions", ...). The sub-domains above (activity, attention) point at
    partners; the partner list reads their rows through those relations, never
    by importing the packages above it."""
    return Partner._meta.get_field(name).related_model
