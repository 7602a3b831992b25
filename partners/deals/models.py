"""Deal registrations: a partner claims a customer opportunity for a while.

A registration protects the partner that made it: while it is active
(submitted or approved, and not past its expiry) another partner's
registration for the same customer is flagged as a conflict instead of being
approved. "The same customer" is decided on normalised keys kept on the row
(see `partners.matching`), so the check is an indexed lookup plus a fuzzy
comparison of names, never a scan of free text.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from channelhub.lib.countries import COMMON_MISTAKES, is_country_code
from partners.directory.models import Partner

# A registration protects its customer this long unless the approver says
# otherwise: counted from submission, and again from approval.
DEAL_REGISTRATION_DAYS = 90


def validate_country(value: str) -> None:
    """An assigned ISO 3166-1 alpha-2 code (upper case, as the services store it)."""
    if is_country_code(value or ""):
        return
    meant = COMMON_MISTAKES.get(value or "")
    raise ValidationError(
        f"“{value}” is not a country code: use the two-letter ISO code, e.g. DE or US"
        + (f" ({meant} for {value})." if meant else "."),
        code="country",
    )


ESTIMATED_VALUE_MESSAGE = "Enter the expected deal size: an amount above 0."


def default_expiry(start: date) -> date:
    return start + timedelta(days=DEAL_REGISTRATION_DAYS)


class DealRegistration(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    # A registration in one of these holds its customer until it expires.
    ACTIVE_STATUSES = (Status.SUBMITTED, Status.APPROVED)

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="deals")
    customer_name = models.CharField(max_length=160)
    customer_domain = models.CharField(
        max_length=253,
        blank=True,
        help_text="The customer's web domain, e.g. acme.com (a URL or an email address works too).",
    )
    # Normalised keys the overlap check compares (kept by the services).
    domain_key = models.CharField(max_length=253, blank=True, editable=False, db_index=True)
    name_key = models.CharField(max_length=160, editable=False, db_index=True)
    country = models.CharField(
        max_length=2, validators=[validate_country], help_text="ISO code, e.g. DE or US."
    )
    estimated_value = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="Expected deal size in the reporting currency."
    )
    product_interest = models.CharField(max_length=200, blank=True)
    expected_close_on = models.DateField("expected close date")
    notes = models.TextField(blank=True, max_length=5000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_on = models.DateField()
    expires_on = models.DateField(
        help_text=f"Default: {DEAL_REGISTRATION_DAYS} days after submission, then after approval."
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_on = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The audit trail (channelhub/history.py): written in the partner portal too.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-submitted_on", "-pk"]
        indexes = [
            models.Index(fields=["status", "expires_on"]),
            models.Index(fields=["partner", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(estimated_value__gte=0),
                name="deal_value_not_negative",
                violation_error_message="The estimated value cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gte=F("submitted_on")),
                name="deal_expires_after_submission",
                violation_error_message="A registration cannot expire before it is submitted.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "approved", "rejected", "expired"]),
                name="deal_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_name} ({self.partner})"

    def get_absolute_url(self) -> str:
        return reverse("partners:deal-detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.estimated_value is not None and self.estimated_value <= 0:
            errors["estimated_value"] = ESTIMATED_VALUE_MESSAGE
        if self.submitted_on and self.expires_on and self.expires_on < self.submitted_on:
            errors["expires_on"] = "A registration cannot expire before it is submitted."
        if errors:
            raise ValidationError(errors)

    def is_active_on(self, day: date) -> bool:
        return self.status in self.ACTIVE_STATUSES and self.expires_on >= day

    def expected_protection_end(self, today: date) -> date | None:
        """When the customer's protection is expected to end, as the partner
        may count on it today: for an approved registration its expiry; for
        one still waiting, the end it would get if approved today (approval
        counts DEAL_REGISTRATION_DAYS again, unless the approver chooses
        another date), never before its current expiry. None once it no
        longer protects (rejected, expired, past its expiry)."""
        if not self.is_active_on(today):
            return None
        if self.status == self.Status.SUBMITTED:
            return max(self.expires_on, default_expiry(today))
        return self.expires_on

    @property
    def is_decided(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.REJECTED)
