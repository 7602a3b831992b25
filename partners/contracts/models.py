"""Contracts and agreements with partners, their signed documents and attestations."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from partners.directory.models import Partner, Territory

# A notice period longer than two years is a typing slip, not a term anyone
# signs (the partner reads it in the portal as "N days' notice").
MAX_NOTICE_DAYS = 730
NOTICE_DAYS_MESSAGE = f"Enter a notice period from 0 to {MAX_NOTICE_DAYS} days (two years)."


def contract_document_path(instance: Contract, filename: str) -> str:
    # A random name: the original name is kept in `document_name` for download;
    # on disk nothing a user typed reaches the path.
    suffix = PurePath(filename).suffix.lower()[:6]
    return f"contracts/{instance.partner_id}/{uuid.uuid4().hex}{suffix}"


class Contract(models.Model):
    class Kind(models.TextChoices):
        RESELLER = "reseller", "Reseller agreement"
        DISTRIBUTION = "distribution", "Distribution agreement"
        REFERRAL = "referral", "Referral agreement"
        AFFILIATE = "affiliate", "Affiliate agreement"
        AGENCY = "agency", "Agency agreement"
        OEM = "oem", "OEM licence"
        NDA = "nda", "NDA"

    # An NDA governs what we tell each other, not what the partner may sell:
    # it does not make an active partner "under contract".
    COMMERCIAL_KINDS = (
        Kind.RESELLER,
        Kind.DISTRIBUTION,
        Kind.REFERRAL,
        Kind.AFFILIATE,
        Kind.AGENCY,
        Kind.OEM,
    )

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contracts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reference = models.CharField(max_length=60, blank=True, help_text="Contract number, if any.")
    start_on = models.DateField("start date")
    end_on = models.DateField("end date", null=True, blank=True, help_text="Empty: open-ended.")
    auto_renew = models.BooleanField("renews automatically", default=False)
    notice_days = models.PositiveSmallIntegerField(
        "notice period (days)",
        default=0,
        validators=[MaxValueValidator(MAX_NOTICE_DAYS, message=NOTICE_DAYS_MESSAGE)],
        help_text=f"Days of notice to end or not renew it (0 to {MAX_NOTICE_DAYS}).",
    )
    discount_pct = models.DecimalField(
        "discount %", max_digits=5, decimal_places=2, null=True, blank=True
    )
    margin_pct = models.DecimalField(
        "margin %", max_digits=5, decimal_places=2, null=True, blank=True
    )
    exclusive_territories = models.ManyToManyField(
        Territory,
        blank=True,
        related_name="exclusive_contracts",
        help_text="Territories where this partner has exclusivity.",
    )
    document = models.FileField(upload_to=contract_document_path, blank=True, max_length=200)
    document_name = models.CharField(max_length=200, blank=True, editable=False)
    document_type = models.CharField(max_length=100, blank=True, editable=False)
    document_size = models.PositiveIntegerField(null=True, blank=True, editable=False)
    signed_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True, max_length=5000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Who changed what and when (channelhub/history.py shows it on the object's page).
    history = HistoricalRecords()

    class Meta:
        ordering = ["partner", "-start_on", "-pk"]
        indexes = [models.Index(fields=["end_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=F("start_on")),
                name="contract_end_not_before_start",
                violation_error_message="The end date must be on or after the start date.",
            ),
            models.CheckConstraint(
                condition=Q(discount_pct__isnull=True)
                | (Q(discount_pct__gte=0) & Q(discount_pct__lte=100)),
                name="contract_discount_is_a_percentage",
                violation_error_message="The discount must be between 0 and 100%.",
            ),
            models.CheckConstraint(
                condition=Q(margin_pct__isnull=True)
                | (Q(margin_pct__gte=0) & Q(margin_pct__lte=100)),
                name="contract_margin_is_a_percentage",
                violation_error_message="The margin must be between 0 and 100%.",
            ),
        ]

    def __str__(self) -> str:
        ref = f" {self.reference}" if self.reference else ""
        return f"{self.get_kind_display()}{ref} ({self.partner})"

    def get_absolute_url(self) -> str:
        return reverse("partners:contract-edit", kwargs={"pk": self.pk})

    def clean(self) -> None:
        errors = {}
        if self.start_on and self.end_on and self.end_on < self.start_on:
            errors["end_on"] = "The end date must be on or after the start date."
        if self.signed_on and self.signed_on > timezone.localdate():
            errors["signed_on"] = "A contract is recorded once signed: this day is to come."
        for field in ("discount_pct", "margin_pct"):
            value = getattr(self, field)
            if value is not None and not Decimal(0) <= value <= Decimal(100):
                errors[field] = "Enter a percentage between 0 and 100."
        if errors:
            raise ValidationError(errors)

    def is_valid_on(self, day: object) -> bool:
        return self.start_on <= day and (self.end_on is None or self.end_on >= day)  # type: ignore[operator]


class ComplianceAttestation(models.Model):
    """The partner confirmed it complies with a policy, on a date."""

    class Kind(models.TextChoices):
        DATA_PROTECTION = "data_protection", "Data protection (GDPR)"
        ANTI_BRIBERY = "anti_bribery", "Anti-bribery and corruption"
        EXPORT_CONTROL = "export_control", "Export control and sanctions"
        CODE_OF_CONDUCT = "code_of_conduct", "Code of conduct"
        INFORMATION_SECURITY = "information_security", "Information security"
        OTHER = "other", "Other"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="attestations")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    attested_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    attested_by = models.CharField(
        max_length=120, blank=True, help_text="Who signed it at the partner."
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "kind", "-attested_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=F("attested_on")),
                name="attestation_expires_after_it_is_made",
                violation_error_message="An attestation must expire after it is made.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.attested_on}"
