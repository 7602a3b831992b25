"""Reads of channels and objectives, already limited to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from channelhub.lib.roles import has_any_role

from .models import Channel, ChannelObjective

# Who sees which channels. Every role of the team sees every channel: one
# scope, "team". A partner portal would add a scope per partner here; stored
# dashboard renders are keyed by scope, so they would follow without changes.
TEAM_SCOPE = "team"


def visibility_scope(*, user: Any) -> str | None:
    """The user's visibility scope (None: sees nothing)."""
    return TEAM_SCOPE if has_any_role(user) else None


def channel_list(*, user: Any = None, scope: str | None = None) -> QuerySet[Channel]:
    """Channels the user (or, for a worker, a scope) may see."""
    if (scope or visibility_scope(user=user)) != TEAM_SCOPE:
        return Channel.objects.none()
    return (
        Channel.objects.select_related("owner")
        .annotate(objective_count=Count("objectives", distinct=True))
        .order_by("name", "slug")
    )


def objective_list(
    *, user: Any = None, scope: str | None = None, channel: Channel | None = None
) -> QuerySet[ChannelObjective]:
    if (scope or visibility_scope(user=user)) != TEAM_SCOPE:
        return ChannelObjective.objects.none()
    qs = ChannelObjective.objects.select_related("channel", "evaluation")
    if channel is not None:
        qs = qs.filter(channel=channel)
    return qs


def channel_status_counts(*, user: Any) -> dict[str, int]:
    qs = channel_list(user=user)
    counts = qs.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in Channel.Status.values}
    )
    counts["total"] = sum(counts.values())
    return counts
