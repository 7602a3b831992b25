"""Tier proposals: the daily job's suggestion that a partner moves up or down
a tier, by the tier requirements (partners.directory.models.Tier), for the
partner manager to confirm or dismiss.

At most one proposal per partner is open; the job refreshes it each day and
closes it ("lapsed") when the partner no longer qualifies for the change.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from partners.directory.models import Partner, Tier


class TierProposal(models.Model):
    class Kind(models.TextChoices):
        PROMOTION = "promotion", "Promotion"
        DEMOTION = "demotion", "Demotion"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for the partner manager"
        CONFIRMED = "confirmed", "Confirmed"
        DISMISSED = "dismissed", "Dismissed"
        LAPSED = "lapsed", "No longer applies"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tier_proposals")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="+")
    # Why, in words (each requirement with the partner's figure), as of `evaluated_on`.
    reasons = models.TextField(max_length=2000)
    evaluated_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(status="open"),
                name="tier_proposal_one_open_per_partner",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["promotion", "demotion"]), name="tier_proposal_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "confirmed", "dismissed", "lapsed"]),
                name="tier_proposal_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.partner} to {self.to_tier}"
