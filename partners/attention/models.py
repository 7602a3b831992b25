"""What the daily job raises for a manager: partner flags, and the reminder
emails it sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from partners.directory.models import Partner


class PartnerFlag(models.Model):
    """Something about a partner that needs its manager, raised by the daily job.

    One row per (kind, partner, object): the job recomputes the whole set and
    leaves rows that still hold untouched, so running it twice changes nothing.
    """

    class Kind(models.TextChoices):
        REVIEW_OVERDUE = "review_overdue", "Review overdue"
        CONTRACT_EXPIRING = "contract_expiring", "Contract ending"
        NO_VALID_CONTRACT = "no_valid_contract", "Active without a valid contract"
        CERTIFICATION_EXPIRING = "certification_expiring", "Certification expiring"
        FOLLOW_UP_OVERDUE = "follow_up_overdue", "Follow-up overdue"
        ATTESTATION_EXPIRED = "attestation_expired", "Compliance attestation expired"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # The contract, certification, attestation or interaction the flag is about; 0 when it
    # is about the partner itself (a review overdue, no valid contract).
    object_id = models.PositiveBigIntegerField(default=0)
    message = models.CharField(max_length=300)
    due_on = models.DateField(null=True, blank=True)
    raised_on = models.DateField()

    class Meta:
        ordering = ["due_on", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "partner", "object_id"], name="partner_flag_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.message}"

    def get_absolute_url(self) -> str:
        """The section of the partner page where the flagged thing is dealt with."""
        section = FLAG_SECTIONS.get(self.kind, "")
        url = self.partner.get_absolute_url()
        return f"{url}#{section}" if section else url

    @property
    def short_label(self) -> str:
        return FLAG_SHORT_LABELS.get(self.kind, self.get_kind_display())


class ReminderLog(models.Model):
    """One reminder email per manager and day, claimed before it is sent."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sent_on = models.DateField()
    item_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_on", "recipient"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "sent_on"], name="reminder_once_a_day")
        ]

    def __str__(self) -> str:
        return f"Reminder to {self.recipient} on {self.sent_on}"


FLAG_SHORT_LABELS: dict[str, str] = {
    PartnerFlag.Kind.REVIEW_OVERDUE: "Review overdue",
    PartnerFlag.Kind.CONTRACT_EXPIRING: "Contract ending",
    PartnerFlag.Kind.NO_VALID_CONTRACT: "No contract",
    PartnerFlag.Kind.CERTIFICATION_EXPIRING: "Cert. expiring",
    PartnerFlag.Kind.FOLLOW_UP_OVERDUE: "Follow-up overdue",
    PartnerFlag.Kind.ATTESTATION_EXPIRED: "Attestation expired",
}

# The partner page's section (its HTML id) that holds each kind's object.
FLAG_SECTIONS: dict[str, str] = {
    PartnerFlag.Kind.REVIEW_OVERDUE: "reviews",
    PartnerFlag.Kind.CONTRACT_EXPIRING: "contracts",
    PartnerFlag.Kind.NO_VALID_CONTRACT: "contracts",
    PartnerFlag.Kind.CERTIFICATION_EXPIRING: "training",
    PartnerFlag.Kind.FOLLOW_UP_OVERDUE: "interactions",
    PartnerFlag.Kind.ATTESTATION_EXPIRED: "contracts",
}
