"""Channel conflicts: cases between partners and/or channels, with their timeline.

A case is opened by hand or by a detection rule. A rule's case carries a
fingerprint of the facts that made it (e.g. "territory:AT:12:31"); the
database allows one *open* case per fingerprint, so a rule that runs again,
or twice at once, can never open a duplicate while the first is open.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from channels_app.channels.models import Channel
from partners.contracts.models import Contract
from partners.directory.models import Partner


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
    description = models.TextField(blank=True, max_length=5000)
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
    # A string, not the class: deals (a sub-domain above) open cases; cases only point at them.
    deals = models.ManyToManyField(
        "partners.DealRegistration", blank=True, related_name="conflicts"
    )
    contracts = models.ManyToManyField(Contract, blank=True, related_name="conflicts")
    region_code = models.CharField(max_length=10, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(
        blank=True, max_length=5000, help_text="What was decided and done."
    )
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
    body = models.TextField(max_length=5000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["case", "created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.body[:60]}"


SKU_RE = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"


class Product(models.Model):
    sku = models.CharField(
        "SKU",
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(SKU_RE, "Use letters, digits, dots, dashes, slashes or underscores.")
        ],
    )
    name = models.CharField(max_length=160)
    list_price = models.DecimalField(max_digits=12, decimal_places=2)
    map_price = models.DecimalField(
        "minimum advertised price",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Partners may not advertise below this. Empty: no MAP policy.",
    )
    is_active = models.BooleanField("on the price list", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(
                condition=Q(list_price__gte=0),
                name="product_list_price_not_negative",
                violation_error_message="The list price cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(map_price__isnull=True)
                | (Q(map_price__gte=0) & Q(map_price__lte=F("list_price"))),
                name="product_map_between_zero_and_list_price",
                violation_error_message="The MAP must be between 0 and the list price.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.list_price is not None and self.list_price < 0:
            errors["list_price"] = "The list price cannot be negative."
        if self.map_price is not None:
            if self.map_price < 0:
                errors["map_price"] = "The MAP cannot be negative."
            elif self.list_price is not None and self.map_price > self.list_price:
                errors["map_price"] = "The MAP cannot be above the list price."
        if errors:
            raise ValidationError(errors)


class PriceObservation(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        IMPORT = "import", "CSV import"

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="price_observations"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="observations")
    price = models.DecimalField(max_digits=12, decimal_places=2)
    observed_on = models.DateField("seen on")
    where_seen = models.CharField(
        "where seen", max_length=300, help_text="A web address, a store, a catalogue page, ..."
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    # The case this observation was reported in (set once, by the detection job).
    conflict_case = models.ForeignKey(
        "partners.ConflictCase",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="price_observations",
        editable=False,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-observed_on", "-pk"]
        indexes = [
            models.Index(fields=["observed_on"]),
            models.Index(fields=["product", "observed_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="price_observation_not_negative",
                violation_error_message="A price cannot be negative.",
            ),
            # The same sighting recorded twice (a file imported again) is one row.
            models.UniqueConstraint(
                fields=["partner", "product", "observed_on", "where_seen"],
                name="price_observation_unique_sighting",
                violation_error_message=(
                    "This partner's price for this product was already recorded "
                    "on that day at that place."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.product.sku} at {self.price} on {self.observed_on}"

    def get_absolute_url(self) -> str:
        return reverse("partners:price-list") + f"?partner={self.partner_id}"

    def clean(self) -> None:
        if self.price is not None and self.price < 0:
            raise ValidationError({"price": "A price cannot be negative."})

    @property
    def below_map_by(self) -> Decimal | None:
        """How far under the MAP, as a fraction of it (0.1 = 10% below); None if not below."""
        map_price = self.product.map_price
        if map_price is None or not map_price or self.price >= map_price:
            return None
        return (map_price - self.price) / map_price
