"""Incentive programmes: rebates, per-unit bonuses (SPIFF) and market
development funds (MDF), who is enrolled, MDF claims, and payouts.

What a programme costs (its accruals, docs/metrics.md section 5) is computed by the
KPI engine from the daily facts and enters the channel's incentive_cost.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from channelhub.lib.fields import CentsField
from channels_app.channels.models import Channel
from partners.directory.models import Partner, Tier

RATE_VALIDATORS = [
    MinValueValidator(Decimal(0), message="A rate cannot be negative."),
    MaxValueValidator(
        Decimal(1), message="A rate is a share: type 0.05 for 5%% (at most 1, for 100%%)."
    ),
]


class IncentiveProgram(models.Model):
    class Kind(models.TextChoices):
        REBATE = "rebate", "Rebate"
        SPIFF = "spiff", "Per-unit bonus (SPIFF)"
        MDF = "mdf", "Market development fund"

    class AccrualPeriod(models.TextChoices):
        MONTH = "month", "Month"
        QUARTER = "quarter", "Quarter"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    description = models.TextField(blank=True, max_length=5000)
    # For the partners of a channel, or for the partners of a tier (any channel).
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.PROTECT, related_name="incentive_programs"
    )
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="incentive_programs"
    )
    accrual_period = models.CharField(
        max_length=8, choices=AccrualPeriod.choices, default=AccrualPeriod.QUARTER
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Empty: open-ended.")
    rebate_rate = models.DecimalField(
        max_digits=7, decimal_places=4, null=True, blank=True, validators=RATE_VALIDATORS,
        help_text="Share of the revenue, e.g. 0.03 for 3%. Brackets, when set, replace it.",
    )  # fmt: skip
    rebate_threshold = CentsField(
        default=0, help_text="Only revenue above this, per accrual period, earns the rebate."
    )
    spiff_per_unit = CentsField(null=True, blank=True, help_text="Bonus per unit sold.")
    mdf_allocation = CentsField(
        null=True, blank=True, help_text="Fund per partner and accrual period (a budget)."
    )
    # Who runs the programme: with the marketing managers, the only one who
    # changes its terms and enrols partners (partners/rules.py). Empty for a
    # programme whose creator is unknown or was deleted: then only marketing
    # managers change it (SET_NULL fails closed, and a user can still be deleted).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_incentive_programs",
        help_text="Who runs the programme: changes its terms and enrols partners.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Who changed what and when (channelhub/history.py shows it on the object's page).
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__isnull=False) | Q(tier__isnull=False),
                name="program_for_a_channel_or_a_tier",
                violation_error_message="A programme is for a channel or for a tier.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="program_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=Q(rebate_threshold__gte=0)
                & (Q(spiff_per_unit__isnull=True) | Q(spiff_per_unit__gte=0))
                & (Q(mdf_allocation__isnull=True) | Q(mdf_allocation__gte=0)),
                name="program_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("partners:program-detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not self.channel_id and not self.tier_id:
            errors["channel"] = "Choose the channel or the tier this programme is for."
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "The end date must be on or after the start date."
        if self.kind == self.Kind.SPIFF:
            if self.spiff_per_unit is None:
                errors["spiff_per_unit"] = "A per-unit bonus needs its amount per unit."
            if self.end_date is None:
                errors["end_date"] = "A per-unit bonus runs for a date window: give its end."
        if self.kind == self.Kind.MDF and self.mdf_allocation is None:
            errors["mdf_allocation"] = "A fund needs its allocation per partner and period."
        # The database's program_amounts_not_negative, said next to the field.
        for name in ("rebate_threshold", "spiff_per_unit", "mdf_allocation"):
            value = getattr(self, name)
            if value is not None and value < 0 and name not in errors:
                errors[name] = "Enter an amount of 0 or more."
        if errors:
            raise ValidationError(errors)

    def eligible(self, partner: Partner) -> bool:
        if self.channel_id and partner.channel_id != self.channel_id:
            return False
        return not (self.tier_id and partner.tier_id != self.tier_id)


class RebateBracket(models.Model):
    """A tiered rebate: the rate applies to the revenue from `from_revenue` up
    to the next bracket's lower bound (like tax brackets)."""

    program = models.ForeignKey(IncentiveProgram, on_delete=models.CASCADE, related_name="brackets")
    from_revenue = CentsField(default=0)
    rate = models.DecimalField(max_digits=7, decimal_places=4, validators=RATE_VALIDATORS)

    class Meta:
        ordering = ["program", "from_revenue"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "from_revenue"], name="bracket_unique_bound"
            ),
            models.CheckConstraint(
                condition=Q(from_revenue__gte=0), name="bracket_bound_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lte=1), name="bracket_rate_0_to_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.rate} from {self.from_revenue}"


class ProgramEnrollment(models.Model):
    program = models.ForeignKey(
        IncentiveProgram, on_delete=models.CASCADE, related_name="enrollments"
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="enrollments")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "partner__name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "partner"], name="enrollment_unique"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="enrollment_end_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} in {self.program}"


def claim_proof_path(instance: MdfClaim, filename: str) -> str:
    # A random name: the original is kept in `proof_name` for download; on
    # disk nothing a user typed reaches the path.
    suffix = PurePath(filename).suffix.lower()[:6]
    return f"claims/{instance.partner_id}/{uuid.uuid4().hex}{suffix}"


class MdfClaim(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    program = models.ForeignKey(IncentiveProgram, on_delete=models.CASCADE, related_name="claims")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="mdf_claims")
    activity_date = models.DateField(help_text="When the marketing activity took place.")
    amount = CentsField()
    description = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    # Proof of the activity (an invoice, a photo), checked by its content like
    # a signed contract; served only through permission-checked views.
    proof = models.FileField(upload_to=claim_proof_path, blank=True, max_length=200)
    proof_name = models.CharField(max_length=200, blank=True, editable=False)
    proof_type = models.CharField(max_length=100, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The audit trail (channelhub/history.py): written in the partner portal too.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-activity_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="claim_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.amount} on {self.activity_date}"


class IncentivePayout(models.Model):
    """Money actually paid to a partner under a programme (what accrued is owed)."""

    program = models.ForeignKey(IncentiveProgram, on_delete=models.CASCADE, related_name="payouts")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="payouts")
    period_start = models.DateField()
    period_end = models.DateField()
    amount = CentsField()
    paid_on = models.DateField()
    reference = models.CharField(
        max_length=120, blank=True, help_text="Credit note, transfer id, ..."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="payout_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.amount} paid {self.paid_on}"
