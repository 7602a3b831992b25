"""The attention list: what needs a manager's attention, each item linked to
where to act (ROI low or falling, stale data, objectives at risk, revenue
moving between channels, open conflicts, overdue brand audits).

Like the dashboards it reads stored snapshots only, in a fixed number of
queries whatever the number of channels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from channelhub.metrics import periods
from channelhub.metrics.formulas import (
    AT_RISK,
    COMPONENT_NAMES,
    METRICS,
    OFF_TRACK,
    Components,
    kpis,
)
from channels_app.audits.selectors import channels_with_overdue_audits
from channels_app.channels.models import Channel, ChannelObjective
from channels_app.channels.selectors import channel_list, objective_list
from kpis.models import NO_PARTNER, ChannelDataState, KpiSnapshot
from partners.conflicts.selectors import open_conflicts_per_channel


@dataclass
class AttentionItem:
    kind: str  # roi_low, roi_drop, objective, stale, ...
    severity: str  # bad / warn
    title: str
    detail: str
    url: str
    channel: Channel | None = None
    action: tuple[str, str] | None = None  # (label, url) of a second link, e.g. "Open a case"


def _month_kpis(snapshot: dict[str, Any]) -> dict[str, Any]:
    return kpis(Components(**{n: snapshot[n] for n in COMPONENT_NAMES}))


def _roi_items(channel: Channel, complete: list[dict[str, Any]], url: str) -> list[AttentionItem]:
    """ROI below the threshold, or fallen too far, in the last complete month."""
    if not complete:
        return []
    roi = _month_kpis(complete[-1])["roi"]
    if roi is None:
        return []
    label = periods.label("month", complete[-1]["period_start"])
    threshold = Decimal(str(settings.ATTENTION_ROI_THRESHOLD))
    items = []
    if roi < threshold:
        items.append(
            AttentionItem(
                "roi_low", "bad", f"{channel.name}: ROI {roi:.1%} in {label}",
                f"Below the {threshold:.0%} threshold.", url, channel,
            )
        )  # fmt: skip
    before = _month_kpis(complete[-2])["roi"] if len(complete) >= 2 else None
    drop = Decimal(str(settings.ATTENTION_ROI_DROP_POINTS)) / 100
    if before is not None and before - roi > drop:
        points = (before - roi) * 100
        items.append(
            AttentionItem(
                "roi_drop", "warn", f"{channel.name}: ROI fell {points:.1f} points in {label}",
                f"From {before:.1%} to {roi:.1%}.", url, channel,
            )
        )  # fmt: skip
    return items


def _stale_item(channel: Channel, last: date | None, today: date) -> AttentionItem | None:
    where = reverse("kpis:import")
    if last is None:
        return AttentionItem(
            "stale", "warn", f"{channel.name}: no facts yet",
            "An active channel with no imported data.", where, channel,
        )  # fmt: skip
    days = (today - last).days
    if days <= settings.ATTENTION_STALE_DAYS:
        return None
    return AttentionItem(
        "stale", "warn", f"{channel.name}: no facts for {days} days",
        f"Last day with facts: {last:%Y-%m-%d}.", where, channel,
    )  # fmt: skip


def _objective_item(objective: ChannelObjective) -> AttentionItem:
    status = objective.evaluation.status
    target = f"{objective.direction_symbol} {objective.target.normalize()}"
    return AttentionItem(
        "objective",
        "bad" if status == OFF_TRACK else "warn",
        f"{objective.channel.name}: {METRICS[objective.metric].label} objective "
        f"{objective.evaluation.get_status_display().lower()}",
        objective.description or f"Target {target} by {objective.end_date:%Y-%m-%d}.",
        reverse("channels:detail", args=[objective.channel.slug]),
        objective.channel,
    )


def _month_revenue_change(months: list[dict[str, Any]]) -> tuple[date, date, Decimal] | None:
    """(previous start, last start, relative change) of revenue between the last
    two complete months, or None when there are not two or the first is 0."""
    if len(months) < 2:
        return None
    before, last = months[-2], months[-1]
    if not before["revenue"]:
        return None
    rel = (Decimal(last["revenue"]) - Decimal(before["revenue"])) / Decimal(before["revenue"])
    return before["period_start"], last["period_start"], rel


def _cannibalisation_items(
    channels: dict[int, Channel], complete: dict[int, list[dict[str, Any]]], may_open: bool
) -> list[AttentionItem]:
    """A channel whose revenue fell by more than ATTENTION_CANNIBALISATION_PCT
    between the last two complete months while a channel with the same target
    segment (compared case-insensitively) grew over the same two months. A
    hint with a link to open a case, never a case by itself."""
    threshold = Decimal(str(settings.ATTENTION_CANNIBALISATION_PCT)) / 100
    groups: dict[tuple[str, date, date], list[tuple[Channel, Decimal]]] = defaultdict(list)
    for channel_id, channel in channels.items():
        segment = " ".join(channel.target_segment.split()).casefold()
        found = _month_revenue_change(complete.get(channel_id, []))
        if segment and found:
            groups[(segment, found[0], found[1])].append((channel, found[2]))
    items = []
    for (_segment, _before, last), members in sorted(groups.items(), key=lambda kv: kv[0][2]):
        risers = sorted(((c, r) for c, r in members if r > 0), key=lambda cr: -cr[1])
        if not risers:
            continue
        for channel, rel in sorted(members, key=lambda cr: cr[1]):
            if rel >= -threshold:
                continue
            label = periods.label("month", last)
            names = ", ".join(f"{c.name} (+{r:.0%})" for c, r in risers)
            action = None
            if may_open:
                query = urlencode(
                    {
                        "kind": "cannibalisation",
                        "channel": [channel.slug, *(c.slug for c, _r in risers)],
                        "title": f"{channel.name} losing revenue to {risers[0][0].name}?",
                    },
                    doseq=True,
                )
                action = ("Open a case", f"{reverse('partners:conflict-create')}?{query}")
            items.append(
                AttentionItem(
                    "cannibalisation", "warn",
                    f"{channel.name}: revenue {rel:.0%} in {label} while {names} grew",
                    f"Same target segment ({channel.target_segment}). Possible cannibalisation.",
                    reverse("kpis:channel-dashboard", args=[channel.slug]), channel, action,
                )
            )  # fmt: skip
    return items


def _audit_items(channels: QuerySet[Channel], today: date) -> list[AttentionItem]:
    items = []
    for channel in channels_with_overdue_audits(today=today, channels=channels):
        last: date | None = getattr(channel, "last_audited_on", None)  # annotations
        due: date | None = getattr(channel, "next_audit_on", None)
        if last is None or due is None:
            detail = "Never audited."
        else:
            detail = f"Last audit {last:%Y-%m-%d}, due {due:%Y-%m-%d}."
        items.append(
            AttentionItem(
                "audit", "warn", f"{channel.name}: brand audit overdue", detail,
                reverse("channels:audits", args=[channel.slug]), channel,
            )
        )  # fmt: skip
    return items


def _conflict_items(channels: dict[int, Channel]) -> list[AttentionItem]:
    items = []
    counts = open_conflicts_per_channel()
    for channel_id, channel in sorted(channels.items(), key=lambda kv: kv[1].name):
        total, high = counts.get(channel_id, (0, 0))
        if not total:
            continue
        query = urlencode({"channel": channel_id, "state": "open"})
        items.append(
            AttentionItem(
                "conflict", "bad" if high else "warn",
                f"{channel.name}: {total} open conflict case{'s' if total != 1 else ''}",
                f"{high} high or critical." if high else "None high or critical.",
                f"{reverse('partners:conflict-list')}?{query}", channel,
            )
        )  # fmt: skip
    return items


def attention_items(
    *,
    user: Any = None,
    scope: str | None = None,
    today: date | None = None,
    channel_ids: Collection[int] | None = None,
) -> list[AttentionItem]:
    """What needs a manager's attention, each item linked to where to act.

    ROI and cannibalisation alerts compare complete months only (METRICS.md
    s3). A fixed number of queries: channels with their data states, recent
    month snapshots, objectives, overdue audits and open conflicts."""
    today = today or timezone.localdate()
    visible = channel_list(user=user, scope=scope)
    if channel_ids is not None:
        visible = visible.filter(pk__in=channel_ids)
    channels = {c.pk: c for c in visible.filter(status=Channel.Status.ACTIVE)}
    states = dict(
        ChannelDataState.objects.filter(channel_id__in=channels).values_list(
            "channel_id", "last_fact_day"
        )
    )
    latest = max((d for d in states.values() if d), default=None)
    complete: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if latest:
        since = periods.period_start("month", latest - timedelta(days=100))
        recent = KpiSnapshot.objects.filter(
            channel_id__in=channels, period_kind="month", partner_key=NO_PARTNER,
            period_start__gte=since,
        ).values("channel_id", "period_start", "period_end", *COMPONENT_NAMES)  # fmt: skip
        for snap in recent.order_by("period_start"):
            last = states.get(snap["channel_id"])
            if last and snap["period_end"] <= last:
                complete[snap["channel_id"]].append(snap)
    items: list[AttentionItem] = []
    for channel_id, channel in sorted(channels.items(), key=lambda kv: kv[1].name):
        url = reverse("kpis:channel-dashboard", args=[channel.slug])
        items += _roi_items(channel, complete.get(channel_id, []), url)
        stale = _stale_item(channel, states.get(channel_id), today)
        if stale:
            items.append(stale)
    at_risk = objective_list(user=user, scope=scope).filter(
        evaluation__status__in=[AT_RISK, OFF_TRACK]
    )
    if channel_ids is not None:
        at_risk = at_risk.filter(channel_id__in=channel_ids)
    items += [_objective_item(o) for o in at_risk.order_by("end_date")]
    # Opening a case is offered to whoever may open one (a worker's pack: nobody).
    may_open = user is not None and user.has_perm("partners.add_conflictcase")
    items += _cannibalisation_items(channels, complete, may_open)
    items += _conflict_items(channels)
    items += _audit_items(visible, today)
    return items
