"""Channel conflicts: cases between partners and/or channels, with their timeline.

A case is opened by hand or by a detection rule. A rule's case carries a
fingerprint of the facts that made it (e.g. "territory:AT:12:31"); the
database allows one *open* case per fingerprint, so a rule that runs again,
or twice at once, can never open a duplicate while the first is open.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from channels_app.models import Channel

from .contracts import Contract
from .deals import DealRegistration
from .partner import Partner


class ConflictCase(models.Model):
    class Kind(models.TextChoices):
        PRICING = "pricing", "Pricing discrepancy"
        TERRITORY = "territory", "Territory overlap"
        DEAL_OVERLAP = "deal_overlap", "Deal / customer overlap"
        CANNIBALISATION = "cannibalisation", "Channel cannibalisation"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        INVESTIGATING = "investigating", "Investigating"
        RESOLVED = "resolved", "Resolved"
        DISMISSED = "dismissed", "Dismissed"

    class Source(models.TextChoices):
        MANUAL = "manual", "Opened by hand"
        DETECTED = "detected", "Detected by a rule"

    OPEN_STATUSES = (Status.OPEN, Status.INVESTIGATING)
    CLOSED_STATUSES = (Status.RESOLVED, Status.DISMISSED)
    SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}

    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_conflicts",
        help_text="Who drives the case to a resolution.",
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    # The facts a rule found, as a stable key; empty for cases opened by hand.
    fingerprint = models.CharField(max_length=200, blank=True, editable=False)
    partners = models.ManyToManyField(Partner, blank=True, related_name="conflicts")
    channels = models.ManyToManyField(Channel, blank=True, related_name="conflicts")
    deals = models.ManyToManyField(DealRegistration, blank=True, related_name="conflicts")
    contracts = models.ManyToManyField(Contract, blank=True, related_name="conflicts")
    region_code = models.CharField(max_length=10, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(blank=True, help_text="What was decided and done.")
    rule_agreed = models.CharField(
        "rule agreed",
        max_length=300,
        blank=True,
        help_text="The rule the parties agreed for the future, e.g. “first registration wins”.",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Who changed what and when (channelhub/history.py shows it on the object's page).
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "kind"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["fingerprint"]),
        ]
        constraints = [
            # A partial unique index (SQLite and PostgreSQL alike): the one thing
            # that makes "never a duplicate of an open case" hold under races.
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(status__in=["open", "investigating"]) & ~Q(fingerprint=""),
                name="conflict_one_open_case_per_fingerprint",
                violation_error_message="An open case already covers these facts.",
            ),
            models.CheckConstraint(
                condition=(Q(status__in=["resolved", "dismissed"]) & Q(closed_at__isnull=False))
                | (Q(status__in=["open", "investigating"]) & Q(closed_at__isnull=True)),
                name="conflict_closed_at_iff_closed",
                violation_error_message="A closed case has a closing time; an open one has none.",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=models.F("opened_at")),
                name="conflict_closed_after_opened",
                violation_error_message="A case cannot close before it opens.",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("partners:conflict-detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        if self.status == self.Status.RESOLVED and not self.resolution.strip():
            raise ValidationError({"resolution": "Say how the conflict was resolved."})

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def time_to_resolve(self) -> timedelta | None:
        if self.closed_at is None:
            return None
        return self.closed_at - self.opened_at

    def age_days(self, now: object = None) -> int:
        end = self.closed_at or now or timezone.now()
        return (end - self.opened_at).days  # type: ignore[operator]


class ConflictNote(models.Model):
    """One entry of a case's timeline: a note, or a change the case went through."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        CHANGE = "change", "Change"
        SYSTEM = "system", "Detection"

    case = models.ForeignKey(ConflictCase, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTE)
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["case", "created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.body[:60]}"
