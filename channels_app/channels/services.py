"""Every write to channels and objectives goes through here."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from channelhub.lib.text import slugify
from channelhub.metrics.formulas import default_direction
from channels_app.extensions import objective_changed

from .models import RESERVED_SLUGS, Channel, ChannelObjective

# Which status a channel may move to from each status. A retired channel keeps
# its history but takes no new plans; reopening it is a deliberate "planned".
STATUS_TRANSITIONS: dict[str, set[str]] = {
    Channel.Status.PLANNED: {Channel.Status.ACTIVE, Channel.Status.RETIRED},
    Channel.Status.ACTIVE: {Channel.Status.PAUSED, Channel.Status.RETIRED},
    Channel.Status.PAUSED: {Channel.Status.ACTIVE, Channel.Status.RETIRED},
    Channel.Status.RETIRED: {Channel.Status.PLANNED},
}


CHANNEL_FIELDS = (
    "name",
    "slug",
    "kind",
    "route",
    "reach",
    "owner",
    "status",
    "target_segment",
    "value_proposition",
    "start_date",
    "notes",
)


def unique_channel_slug(name: str, *, exclude_pk: int | None = None) -> str:
    """A slug from the name, suffixed -2, -3, ... until no other channel has it."""
    base = slugify(name, max_length=70) or "channel"
    others = Channel.objects.exclude(pk=exclude_pk) if exclude_pk else Channel.objects.all()
    existing = set(others.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in existing or slug in RESERVED_SLUGS:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def channel_create(
    *,
    name: str,
    slug: str = "",
    kind: str = Channel.Kind.OTHER,
    route: str = Channel.Route.DIRECT,
    reach: str = Channel.Reach.ONLINE,
    owner: User | None = None,
    status: str = Channel.Status.PLANNED,
    target_segment: str = "",
    value_proposition: str = "",
    start_date: date | None = None,
    notes: str = "",
) -> Channel:
    channel = Channel(
        name=name.strip(),
        slug=slug or unique_channel_slug(name),
        kind=kind,
        route=route,
        reach=reach,
        owner=owner,
        status=status,
        target_segment=target_segment,
        value_proposition=value_proposition,
        start_date=start_date,
        notes=notes,
    )
    channel.full_clean()
    channel.save()
    return channel


@transaction.atomic
def channel_update(*, channel: Channel, data: dict[str, Any]) -> Channel:
    """Apply edited fields. A status change goes through `channel_set_status`."""
    if "status" in data and data["status"] != channel.status:
        _check_transition(channel, data["status"])
    for field in CHANNEL_FIELDS:
        if field in data:
            setattr(channel, field, data[field])
    if not channel.slug:
        channel.slug = unique_channel_slug(channel.name, exclude_pk=channel.pk)
    channel.full_clean()
    channel.save()
    return channel


def _check_transition(channel: Channel, status: str) -> None:
    allowed = STATUS_TRANSITIONS[channel.status]
    if status not in allowed:
        names = ", ".join(sorted(Channel.Status(s).label.lower() for s in allowed))
        raise ValidationError(
            {
                "status": (
                    f"A {channel.get_status_display().lower()} channel can only become: {names}."
                )
            }
        )


@transaction.atomic
def channel_set_status(*, channel: Channel, status: str) -> Channel:
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    if status == channel.status:
        return channel
    _check_transition(channel, status)
    channel.status = status
    channel.save(update_fields=["status", "updated_at"])
    return channel


def _after_objective_change(objective: ChannelObjective) -> None:
    # The KPI engine (a layer above) evaluates the objective, in this transaction.
    objective_changed.send(sender=ChannelObjective, objective=objective)


@transaction.atomic
def objective_create(
    *,
    channel: Channel,
    metric: str,
    target: Decimal,
    start_date: date,
    end_date: date,
    direction: str = "",
    description: str = "",
    created_by: User | None = None,
) -> ChannelObjective:
    objective = ChannelObjective(
        channel=channel,
        metric=metric,
        target=target,
        direction=direction or default_direction(metric),
        start_date=start_date,
        end_date=end_date,
        description=description,
        created_by=created_by,
    )
    objective.full_clean()
    objective.save()
    _after_objective_change(objective)
    return objective


@transaction.atomic
def objective_update(*, objective: ChannelObjective, data: dict[str, Any]) -> ChannelObjective:
    for field in ("metric", "target", "direction", "start_date", "end_date", "description"):
        if field in data:
            setattr(objective, field, data[field])
    if not objective.direction:
        objective.direction = default_direction(objective.metric)
    objective.full_clean()
    objective.save()
    _after_objective_change(objective)
    return objective


@transaction.atomic
def objective_delete(*, objective: ChannelObjective) -> None:
    objective.delete()
