"""The brand library: files marketing publishes for the partners of a channel
(logos, price lists, brand guidelines, sales collateral), each kept in
numbered versions.

A `LibraryItem` is one piece of material of one channel; replacing its file
adds a `LibraryVersion` (1, 2, ...) and makes it the current one, so what a
partner downloaded last quarter can still be told apart from today's. A
withdrawn item stays (with its versions) for the record but is no longer
offered to partners. Files pass the document check of contracts
(channelhub.lib.documents) and are served only by permission-checked views.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from channels_app.channels.models import Channel


def library_file_path(instance: LibraryVersion, filename: str) -> str:
    # A random name: the original name is kept in `file_name` for download;
    # nothing a user typed reaches the path on disk.
    suffix = PurePath(filename).suffix.lower()[:6]
    return f"library/{instance.item.channel_id}/{uuid.uuid4().hex}{suffix}"


class LibraryItem(models.Model):
    class Kind(models.TextChoices):
        LOGO = "logo", "Logo"
        PRICE_LIST = "price_list", "Price list"
        GUIDELINE = "guideline", "Brand guideline"
        COLLATERAL = "collateral", "Sales collateral"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="library_items")
    title = models.CharField(max_length=160)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    description = models.TextField(blank=True, max_length=2000)
    # The version partners get now (the latest; kept by the services).
    current = models.ForeignKey(
        "LibraryVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Who published, replaced and withdrew what (channelhub/history.py).
    history = HistoricalRecords()

    class Meta:
        ordering = ["channel", "kind", "title", "pk"]
        indexes = [models.Index(fields=["channel", "withdrawn_at"])]
        constraints = [
            models.UniqueConstraint(
                "channel",
                Lower("title"),
                name="library_item_title_unique_in_channel",
                violation_error_message="This channel's library already has an item of this "
                "title: publish a new version of it instead.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["logo", "price_list", "guideline", "collateral"]),
                name="library_item_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.channel})"

    def get_absolute_url(self) -> str:
        return reverse("channels:library-item", kwargs={"pk": self.pk})

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class LibraryVersion(models.Model):
    item = models.ForeignKey(LibraryItem, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to=library_file_path, max_length=200)
    file_name = models.CharField(max_length=200, editable=False)
    file_type = models.CharField(max_length=100, editable=False)
    file_size = models.PositiveIntegerField(default=0, editable=False)
    published_on = models.DateField(default=timezone.localdate)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField("what changed", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "number"], name="library_version_number_unique_in_item"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="library_version_from_1"),
        ]

    def __str__(self) -> str:
        return f"{self.item.title} v{self.number}"
