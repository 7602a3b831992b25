"""The price list and what partners were seen charging for it.

An observation priced below its product's minimum advertised price (MAP) is a
pricing conflict; the detection job opens a case for it and links the
observation to that case, so each observation is reported once.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from .partner import Partner

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
