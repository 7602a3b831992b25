"""Scheduled ROI review packs: a definition, and every pack rendered from it.

A ReviewPack says what the team reviews and when; on each cadence slot a
worker renders a PackRender: one self-contained HTML file (the portfolio and
channel dashboards, attention list, objectives, KPI table, written summary)
plus the KPI table as CSV, archived unchanged, then emails the subscribers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class ReviewPack(models.Model):
    class Cadence(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"

    class PeriodKind(models.TextChoices):
        WEEK = "week", "Weeks"
        MONTH = "month", "Months"
        QUARTER = "quarter", "Quarters"

    class Selection(models.TextChoices):
        ALL = "all", "Every channel that is not retired"
        KINDS = "kinds", "Channels of some kinds"
        LIST = "list", "A list of channels"

    class Delivery(models.TextChoices):
        ATTACH = "attach", "Attach the pack to the email"
        LINK = "link", "Link to the pack in the app"

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True, max_length=2000)
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive packs are not rendered on their cadence."
    )
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY)
    weekday = models.PositiveSmallIntegerField(
        choices=WEEKDAYS, default=0, help_text="Weekly packs: the day they are sent."
    )
    day_of_month = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text="Monthly packs: the day of the month; quarterly packs: the day of the "
        "quarter's first month (1-28, so every month has it).",
    )
    send_hour = models.PositiveSmallIntegerField(
        default=7,
        validators=[MaxValueValidator(23)],
        help_text="Hour of the day (server time zone) after which the pack is rendered.",
    )
    period_kind = models.CharField(
        "periods of", max_length=10, choices=PeriodKind.choices, default=PeriodKind.MONTH
    )
    periods = models.PositiveSmallIntegerField(
        "number of periods",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
        help_text="How many whole periods, up to the last one finished before the pack's day.",
    )
    channel_selection = models.CharField(
        "channels", max_length=10, choices=Selection.choices, default=Selection.ALL
    )
    channel_kinds = models.JSONField(default=list, blank=True)
    channels = models.ManyToManyField(
        "channels_app.Channel", blank=True, related_name="review_packs"
    )
    subscribers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="review_packs"
    )
    extra_emails = models.TextField(
        "other email addresses",
        blank=True,
        max_length=2000,
        help_text="One per line or separated by commas.",
    )
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.ATTACH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(day_of_month__gte=1, day_of_month__lte=28),
                name="review_pack_day_of_month_1_28",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="review_pack_weekday_0_6"
            ),
            models.CheckConstraint(
                condition=models.Q(send_hour__lte=23), name="review_pack_send_hour_0_23"
            ),
            models.CheckConstraint(
                condition=models.Q(periods__gte=1, periods__lte=36),
                name="review_pack_periods_1_36",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("kpis:pack-detail", args=[self.pk])

    @property
    def cadence_text(self) -> str:
        at = f"after {self.send_hour:02d}:00"
        if self.cadence == self.Cadence.WEEKLY:
            return f"Every {self.get_weekday_display()} {at}"
        if self.cadence == self.Cadence.MONTHLY:
            return f"Monthly on day {self.day_of_month} {at}"
        return f"Quarterly on day {self.day_of_month} of the quarter {at}"

    @property
    def period_text(self) -> str:
        unit = self.get_period_kind_display().lower()
        return f"last {self.periods} {unit if self.periods > 1 else unit[:-1]}"

    def extra_email_list(self) -> list[str]:
        text = self.extra_emails.replace(",", "\n").replace(";", "\n")
        return [e.strip() for e in text.splitlines() if e.strip()]


class PackRender(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        WAITING = "waiting", "Waiting for the recompute"
        RENDERING = "rendering", "Rendering"
        SENDING = "sending", "Sending"
        RENDERED = "rendered", "Rendered (preview)"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.WAITING, Status.RENDERING, Status.SENDING)

    pack = models.ForeignKey(ReviewPack, on_delete=models.CASCADE, related_name="renders")
    slot = models.CharField(
        max_length=40, help_text="The cadence slot (2026-W48, 2026-11, 2026-Q4) or 'preview'."
    )
    slot_at = models.DateTimeField(help_text="When the slot was due (or the preview asked).")
    is_preview = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # The data it shows: the last recompute that had landed when it rendered
    # (its id, kept as a number: the archive outlives a deleted run row).
    data_run_number = models.BigIntegerField(null=True, blank=True)
    data_landed_at = models.DateTimeField(null=True, blank=True)
    period_kind = models.CharField(max_length=10, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    channel_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=list, blank=True)
    objective_statuses = models.JSONField(default=dict, blank=True)
    html_file = models.FileField(upload_to="packs/%Y/%m/", blank=True, max_length=255)
    csv_file = models.FileField(upload_to="packs/%Y/%m/", blank=True, max_length=255)
    recipients = models.JSONField(default=list, blank=True)
    sent_to = models.JSONField(default=list, blank=True)
    # Set when the retention sweep deleted its files (PACK_RETENTION_DAYS): the
    # row stays, with its summary, so the archive still says what was sent.
    files_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "slot"],
                condition=models.Q(is_preview=False),
                name="pack_render_once_per_slot",
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="pack_render_status_idx")]

    def __str__(self) -> str:
        return f"{self.pack} {self.slot}"

    def get_absolute_url(self) -> str:
        return reverse("kpis:pack-render", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def has_files(self) -> bool:
        return bool(self.html_file)
