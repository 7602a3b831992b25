"""Import sources: where a file of daily facts comes from ("Google Ads - EU
account", "Shopify", "Our weekly spreadsheet") and how its files map onto
ChannelHub's fields (kpis.ingest.mapping describes the plan)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.urls import reverse


def header_signature(names: list[str]) -> str:
    """The same header (case and spaces aside) gives the same signature."""
    cleaned = [" ".join(str(n).lower().split()) for n in names]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    return hashlib.sha256("\x1f".join(cleaned).encode()).hexdigest()


class Source(models.Model):
    name = models.CharField(max_length=120, unique=True)
    preset = models.CharField(
        max_length=40, blank=True, help_text="The ready-made export format it started from."
    )
    # The header of the files it reads, and its signature (files are matched by it).
    header = models.JSONField(default=list, blank=True)
    signature = models.CharField(max_length=64, blank=True, db_index=True)
    # Column mapping, constant channel, channel values, date format, decimal
    # mark, reader settings: the plan of kpis.ingest.mapping.
    plan = models.JSONField(default=dict, blank=True)
    currency = models.CharField(
        max_length=3, blank=True, help_text="The currency of its amounts, if not the company's."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("kpis:sources")


class ExchangeRate(models.Model):
    """What one unit of a currency was worth in the reporting currency on a day
    (settings.REPORTING_CURRENCY), for imports of amounts in that currency."""

    currency = models.CharField(max_length=3)
    day = models.DateField()
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["currency", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "day"], name="exchangerate_one_per_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchangerate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.day}: {self.rate}"
