"""What happens with a partner over time: interactions with it and its
performance reviews, their action items and revisions.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from partners.directory.models import Partner, PartnerContact

# The author may correct a submitted review this long; after that only an
# administrator may, so reviews the partner has seen do not quietly change.
REVIEW_EDIT_WINDOW = timedelta(days=7)


class Interaction(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"
        TRAINING = "training", "Training session"
        VISIT = "visit", "Visit"
        # Written in the partner portal's message thread (partners.access).
        PORTAL = "portal", "Portal message"
        # What a partner user did in the portal (a deal registered, a claim
        # filed, training recorded, terms acknowledged...), logged by
        # partners.access so that the partner manager sees it on the log.
        IN_PORTAL = "in_portal", "Portal activity"

    # Written by the portal, never logged by hand.
    PORTAL_KINDS = (Kind.PORTAL, Kind.IN_PORTAL)

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    occurred_on = models.DateField("date")
    contacts = models.ManyToManyField(
        PartnerContact, blank=True, related_name="interactions", verbose_name="partner people"
    )
    participants = models.CharField(
        "other people", max_length=200, blank=True, help_text="Anyone else who took part."
    )
    summary = models.TextField(max_length=5000)
    outcome = models.TextField(blank=True, max_length=5000)
    next_step = models.CharField(max_length=300, blank=True)
    follow_up_on = models.DateField("follow-up date", null=True, blank=True)
    follow_up_done_on = models.DateField(null=True, blank=True, editable=False)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The audit trail (channelhub/history.py): written in the partner portal too.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        indexes = [
            models.Index(fields=["partner", "occurred_on"]),
            models.Index(fields=["follow_up_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.partner} on {self.occurred_on}"

    def clean(self) -> None:
        if self.follow_up_on and not self.next_step.strip():
            raise ValidationError({"next_step": "Say what the follow-up is for."})
        if self.follow_up_on and self.occurred_on and self.follow_up_on < self.occurred_on:
            raise ValidationError(
                {"follow_up_on": "The follow-up cannot be before the interaction."}
            )

    @property
    def from_portal(self) -> bool:
        """Written or done by a partner user in the portal: read-only inside."""
        return self.kind in self.PORTAL_KINDS

    @property
    def follow_up_open(self) -> bool:
        return self.follow_up_on is not None and self.follow_up_done_on is None

    @property
    def follow_up_overdue(self) -> bool:
        """Still open after its date: "overdue since" wherever it is shown (as
        the overdue follow-ups work list counts it)."""
        return (
            self.follow_up_open
            and self.follow_up_on is not None
            and self.follow_up_on < timezone.localdate()
        )


# The fixed review criteria: field name, label. Order is the order on pages.
REVIEW_CRITERIA: tuple[tuple[str, str], ...] = (
    ("score_sales", "Sales performance against target"),
    ("score_enablement", "Enablement and training"),
    ("score_brand", "Brand and messaging consistency"),
    ("score_satisfaction", "Customer satisfaction"),
    ("score_collaboration", "Communication and collaboration"),
)


SCORE_FIELDS = tuple(name for name, _label in REVIEW_CRITERIA)


def _score_field(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, help_text="1 (poor) to 5 (excellent)")


class PartnerReview(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="reviews")
    period_start = models.DateField()
    period_end = models.DateField()
    reviewed_on = models.DateField(help_text="The day of the review conversation.")
    score_sales = _score_field("Sales performance against target")
    score_enablement = _score_field("Enablement and training")
    score_brand = _score_field("Brand and messaging consistency")
    score_satisfaction = _score_field("Customer satisfaction")
    score_collaboration = _score_field("Communication and collaboration")
    # The mean of the five scores, computed by the service (never typed in).
    overall = models.DecimalField(max_digits=3, decimal_places=2, editable=False)
    strengths = models.TextField(blank=True, max_length=5000)
    improvements = models.TextField("areas to improve", blank=True, max_length=5000)
    next_review_on = models.DateField("next review")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    # Who changed what and when (channelhub/history.py shows it on the object's page).
    history = HistoricalRecords()

    class Meta:
        ordering = ["partner", "-period_end", "-pk"]
        indexes = [models.Index(fields=["partner", "reviewed_on"])]
        constraints = [
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 1}) & Q(**{f"{name}__lte": 5}),
                    name=f"review_{name}_1_to_5",
                    violation_error_message="Scores are from 1 to 5.",
                )
                for name in SCORE_FIELDS
            ],
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="review_period_end_not_before_start",
                violation_error_message="The period must end on or after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(next_review_on__gt=F("reviewed_on")),
                name="review_next_after_this_one",
                violation_error_message="The next review must be after this one.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.period_start} – {self.period_end}"

    def get_absolute_url(self) -> str:
        return reverse("partners:review-detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for name in SCORE_FIELDS:
            value = getattr(self, name)
            if value is not None and not 1 <= value <= 5:
                errors[name] = "Give a score from 1 to 5."
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = "The period must end on or after it starts."
        if self.reviewed_on and self.next_review_on and self.next_review_on <= self.reviewed_on:
            errors["next_review_on"] = "The next review must be after this one."
        if self.reviewed_on and self.period_start and self.reviewed_on < self.period_start:
            errors["reviewed_on"] = REVIEWED_BEFORE_PERIOD
        if errors:
            raise ValidationError(errors)

    @property
    def scores(self) -> list[tuple[str, int]]:
        return [(label, getattr(self, name)) for name, label in REVIEW_CRITERIA]

    @property
    def edit_window_ends_at(self) -> object:
        return self.created_at + REVIEW_EDIT_WINDOW

    @staticmethod
    def mean_score(scores: list[int]) -> Decimal:
        return (Decimal(sum(scores)) / Decimal(len(scores))).quantize(Decimal("0.01"))


REVIEWED_BEFORE_PERIOD = (
    "A review looks back on its period: it cannot be held before the period starts."
)


class ReviewActionItem(models.Model):
    review = models.ForeignKey(PartnerReview, on_delete=models.CASCADE, related_name="action_items")
    description = models.CharField(max_length=300)
    owner = models.CharField(
        max_length=120, help_text="Who does it: someone of ours or at the partner."
    )
    due_on = models.DateField("due date")
    done_on = models.DateField(null=True, blank=True)
    # What was done, when it was ticked off (the partner says so in the portal).
    done_note = models.CharField("note", max_length=300, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The audit trail (channelhub/history.py): written in the partner portal too.
    history = HistoricalRecords()

    class Meta:
        ordering = ["review", "due_on", "pk"]

    def __str__(self) -> str:
        return self.description


class ReviewRevision(models.Model):
    """A snapshot of a review after each save: its edit history."""

    review = models.ForeignKey(PartnerReview, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField()

    class Meta:
        ordering = ["review", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["review", "number"], name="review_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.review} — revision {self.number}"
