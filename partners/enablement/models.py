"""Training modules, completions and certifications of partners' people."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from partners.directory.models import PartnerContact


class TrainingModule(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=5000)
    duration_hours = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    certification_valid_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="When set, completing the module certifies the person for this many days.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def training_certificate_path(instance: TrainingCompletion, filename: str) -> str:
    # A random name: the original is kept in `certificate_name` for download.
    suffix = PurePath(filename).suffix.lower()[:6]
    return f"training/{instance.contact.partner_id}/{uuid.uuid4().hex}{suffix}"


class TrainingCompletion(models.Model):
    """A partner person completed a training module on a date."""

    contact = models.ForeignKey(
        PartnerContact, on_delete=models.CASCADE, related_name="training_completions"
    )
    module = models.ForeignKey(TrainingModule, on_delete=models.PROTECT, related_name="completions")
    completed_on = models.DateField()
    score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0-100, if graded.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The course's certificate, when the person uploaded one in the portal
    # (checked like a contract document; served only by a permission-checked view).
    certificate = models.FileField(upload_to=training_certificate_path, blank=True, max_length=200)
    certificate_name = models.CharField(max_length=200, blank=True, editable=False)
    certificate_type = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # The audit trail (channelhub/history.py): written in the partner portal too.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-completed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "module", "completed_on"],
                name="training_completion_once_a_day",
                violation_error_message="This completion is already recorded.",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100),
                name="training_score_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact.name}: {self.module} on {self.completed_on}"


class Certification(models.Model):
    """A person's certification of one kind (its name, and the module that
    grants it, if any): one row per person and kind, renewed in place."""

    contact = models.ForeignKey(
        PartnerContact, on_delete=models.CASCADE, related_name="certifications"
    )
    name = models.CharField(max_length=120)
    module = models.ForeignKey(
        TrainingModule,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certifications",
    )
    issued_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True, help_text="Empty: does not expire.")
    created_at = models.DateTimeField(auto_now_add=True)

    # The audit trail (channelhub/history.py): written in the partner portal too.
    history = HistoricalRecords()

    class Meta:
        ordering = ["expires_on", "name"]
        indexes = [models.Index(fields=["expires_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=F("issued_on")),
                name="certification_expires_after_issue",
                violation_error_message="A certification must expire after it is issued.",
            ),
            # One per person and kind: recording the training that grants it
            # and adding it by hand must not count the person twice.
            models.UniqueConstraint(
                F("contact"),
                Lower("name"),
                name="certification_once_per_person",
                violation_error_message="This person already holds this certification.",
            ),
            models.UniqueConstraint(
                fields=["contact", "module"],
                condition=Q(module__isnull=False),
                name="certification_once_per_person_and_module",
                violation_error_message="This person already holds this module's certification.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} — {self.contact.name}"
