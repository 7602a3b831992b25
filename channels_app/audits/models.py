"""Brand consistency audits of a channel: the checklist, one score and note per item."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from channels_app.channels.models import Channel

# The checklist of every audit: key, label. Order is the order on pages.
BRAND_AUDIT_ITEMS: tuple[tuple[str, str], ...] = (
    ("messaging", "Messaging"),
    ("pricing", "Pricing"),
    ("product_information", "Product information"),
    ("customer_service", "Customer service standards"),
    ("visual_identity", "Visual identity"),
)


BRAND_AUDIT_ITEM_KEYS = tuple(key for key, _label in BRAND_AUDIT_ITEMS)


# A channel is audited this often unless an audit sets its own next date;
# settings.BRAND_AUDIT_CADENCE_DAYS overrides it for the whole business.
DEFAULT_BRAND_AUDIT_CADENCE_DAYS = 90


def brand_audit_cadence_days() -> int:
    return int(getattr(settings, "BRAND_AUDIT_CADENCE_DAYS", DEFAULT_BRAND_AUDIT_CADENCE_DAYS))


class BrandAudit(models.Model):
    """A brand consistency check of one channel on one day: a score per
    checklist item (BrandAuditItem) and an overall score, their mean."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="brand_audits")
    audited_on = models.DateField("audit date")
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The mean of the item scores, computed by the service (never typed in).
    overall = models.DecimalField(max_digits=3, decimal_places=2, editable=False)
    summary = models.TextField("notes", blank=True, max_length=5000)
    next_audit_on = models.DateField("next audit")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel", "-audited_on", "-pk"]
        indexes = [models.Index(fields=["channel", "audited_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(overall__gte=1) & Q(overall__lte=5),
                name="brand_audit_overall_1_to_5",
                violation_error_message="The overall score is from 1 to 5.",
            ),
            models.CheckConstraint(
                condition=Q(next_audit_on__gt=F("audited_on")),
                name="brand_audit_next_after_this_one",
                violation_error_message="The next audit must be after this one.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}: brand audit of {self.audited_on}"

    def get_absolute_url(self) -> str:
        return reverse("channels:audit-detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        if self.audited_on and self.next_audit_on and self.next_audit_on <= self.audited_on:
            raise ValidationError({"next_audit_on": "The next audit must be after this one."})


class BrandAuditItem(models.Model):
    audit = models.ForeignKey(BrandAudit, on_delete=models.CASCADE, related_name="items")
    item = models.CharField(max_length=30, choices=BRAND_AUDIT_ITEMS)
    position = models.PositiveSmallIntegerField(default=0, editable=False)
    score = models.PositiveSmallIntegerField(help_text="1 (poor) to 5 (excellent)")
    notes = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["audit", "position"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "item"], name="brand_audit_item_once"),
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5),
                name="brand_audit_item_score_1_to_5",
                violation_error_message="Scores are from 1 to 5.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()}: {self.score}"
