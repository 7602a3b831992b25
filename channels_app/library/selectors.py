"""Reads of the brand library, limited to what the user may see (every role
sees every channel's library; partner users read theirs through the portal's
selector, partners.access.selectors.portal_library)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from channels_app.channels.selectors import TEAM_SCOPE, visibility_scope

from .models import LibraryItem, LibraryVersion


def library_items(
    *, user: Any, channel_id: int | None = None, withdrawn: bool = False
) -> QuerySet[LibraryItem]:
    """Items of every channel (or one), current ones or withdrawn ones; each
    with its current version and channel (a fixed number of queries)."""
    if visibility_scope(user=user) != TEAM_SCOPE:
        return LibraryItem.objects.none()
    items = LibraryItem.objects.select_related("channel", "current", "published_by").filter(
        withdrawn_at__isnull=not withdrawn
    )
    if channel_id is not None:
        items = items.filter(channel_id=channel_id)
    return items.order_by("channel__name", "kind", "title", "pk")


def library_item_queryset(*, user: Any) -> QuerySet[LibraryItem]:
    """Every item the user may open, withdrawn or not."""
    if visibility_scope(user=user) != TEAM_SCOPE:
        return LibraryItem.objects.none()
    return LibraryItem.objects.select_related("channel", "current", "withdrawn_by")


def library_versions(*, item: LibraryItem) -> QuerySet[LibraryVersion]:
    return item.versions.select_related("published_by").order_by("-number")


def library_version_queryset(*, user: Any) -> QuerySet[LibraryVersion]:
    if visibility_scope(user=user) != TEAM_SCOPE:
        return LibraryVersion.objects.none()
    return LibraryVersion.objects.select_related("item", "item__channel")
