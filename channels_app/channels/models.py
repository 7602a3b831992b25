"""Channels a business sells through, and the objectives set for each."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from simple_history.models import HistoricalRecords

from channelhub.metrics.formulas import METRIC_CHOICES, METRICS, NEGATIVE_TARGET_METRICS

# Path segments under /channels/ that are pages, not channels.
RESERVED_SLUGS = frozenset({"new", "objectives", "import", "export", "audits", "library"})


class Channel(models.Model):
    class Kind(models.TextChoices):
        DIRECT_SALES = "direct_sales", "Direct sales"
        ECOMMERCE = "ecommerce", "E-commerce"
        RETAIL_STORE = "retail_store", "Retail store"
        SOCIAL_MEDIA = "social_media", "Social media"
        MARKETPLACE = "marketplace", "Marketplace"
        DISTRIBUTOR = "distributor", "Distributor"
        AFFILIATE = "affiliate", "Affiliate"
        EMAIL = "email", "Email"
        PAID_SEARCH = "paid_search", "Paid search"
        EVENTS = "events", "Events"
        OTHER = "other", "Other"

    class Route(models.TextChoices):
        DIRECT = "direct", "Direct"
        INDIRECT = "indirect", "Indirect"

    class Reach(models.TextChoices):
        ONLINE = "online", "Online"
        OFFLINE = "offline", "Offline"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    route = models.CharField(max_length=10, choices=Route.choices, default=Route.DIRECT)
    reach = models.CharField(max_length=10, choices=Reach.choices, default=Reach.ONLINE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_channels",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    target_segment = models.CharField(max_length=200, blank=True)
    value_proposition = models.TextField(blank=True, max_length=2000)
    start_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Who changed what and when (channelhub/history.py shows it on the object's page).
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "slug"]
        indexes = [models.Index(fields=["status", "kind"])]
        constraints = [
            # Import files name channels by name, whatever the capitals: two
            # channels of one name would make every such file ambiguous.
            models.UniqueConstraint(
                Lower("name"),
                name="channel_name_unique_any_case",
                violation_error_message="Another channel already has this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("channels:detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": f"“{self.slug}” is reserved; choose another slug."})
        if self.name:
            same = Channel.objects.filter(name__iexact=self.name.strip()).exclude(pk=self.pk)
            other = same.values_list("name", "slug").first()
            if other is not None:
                raise ValidationError(
                    {
                        "name": (
                            f"The channel “{other[0]}” (slug {other[1]}) already has this name: "
                            "import files name channels by name, so each name is used once."
                        )
                    }
                )

    def validate_constraints(self, exclude: Any = None) -> None:
        # clean() says which channel has the name, next to the field.
        super().validate_constraints(exclude={*(exclude or ()), "name"})


class ChannelObjective(models.Model):
    class Direction(models.TextChoices):
        AT_LEAST = "at_least", "At least"
        AT_MOST = "at_most", "At most"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="objectives")
    metric = models.CharField(max_length=30, choices=METRIC_CHOICES)
    target = models.DecimalField(max_digits=20, decimal_places=4)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    start_date = models.DateField()
    end_date = models.DateField()
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Who changed what and when (channelhub/history.py shows it on the object's page).
    history = HistoricalRecords()

    class Meta:
        ordering = ["channel__name", "start_date", "metric"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="objective_end_not_before_start",
                violation_error_message="The end date must be on or after the start date.",
            ),
            models.CheckConstraint(
                condition=Q(metric__in=sorted(NEGATIVE_TARGET_METRICS)) | Q(target__gte=0),
                name="objective_target_not_negative",
                violation_error_message="The target cannot be negative for this metric.",
            ),
            models.CheckConstraint(
                condition=Q(direction__in=["at_least", "at_most"]),
                name="objective_direction_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.metric_label} {self.direction_symbol} {self.target}"

    def clean(self) -> None:
        # Field-level messages for what the constraints below also enforce, so
        # a form shows them next to the field (Django then skips the constraint).
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "The end date must be on or after the start date."
        if (
            self.target is not None
            and self.metric in METRICS
            and self.target < 0
            and self.metric not in NEGATIVE_TARGET_METRICS
        ):
            errors["target"] = (
                f"The target for {self.metric_label} cannot be negative "
                "(only ROI and NPS targets can)."
            )
        if errors:
            raise ValidationError(errors)
        complete = None not in (self.target, self.start_date, self.end_date)
        if self.channel_id and self.metric in METRICS and complete and self._identical().exists():
            raise ValidationError(
                f"{self.channel.name} already has this objective: {self.metric_label} "
                f"{self.direction_symbol} {self.target.normalize():f} from "
                f"{self.start_date:%Y-%m-%d} to {self.end_date:%Y-%m-%d}. "
                "Change the target, the dates or the metric, or edit the one it has.",
                code="duplicate",
            )

    def _identical(self) -> models.QuerySet[ChannelObjective]:
        """Other objectives of the channel with the same metric, direction,
        target and window (what makes two objectives one)."""
        return ChannelObjective.objects.filter(
            channel_id=self.channel_id,
            metric=self.metric,
            direction=self.direction,
            target=self.target,
            start_date=self.start_date,
            end_date=self.end_date,
        ).exclude(pk=self.pk)

    @property
    def metric_label(self) -> str:
        return METRICS[self.metric].label

    @property
    def unit(self) -> str:
        return METRICS[self.metric].unit

    @property
    def direction_symbol(self) -> str:
        return "≥" if self.direction == self.Direction.AT_LEAST else "≤"

    @property
    def json_id(self) -> str:
        """The id of this objective's chart data on a page."""
        return f"fig-objective-{self.pk}"

    @property
    def window_days(self) -> int:
        return (self.end_date - self.start_date).days + 1
