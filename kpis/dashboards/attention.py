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
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from channelhub.metrics import periods
from channelhub.metrics.display import money, number, pct
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
    # What makes the item the same item tomorrow (alerts send each once):
    # by default its kind, channel and title.
    identity: str = ""

    @property
    def key(self) -> str:
        channel = self.channel.pk if self.channel else "-"
        return f"{self.kind}:{channel}:{self.identity or self.title}"[:200]


@dataclass(frozen=True)
class Thresholds:
    """The attention list's thresholds, read from the settings once, and said
    in words on the page and in alert emails (never by setting name)."""

    roi_floor: Decimal
    drop_points: Decimal
    drop_pct: Decimal
    stale_days: int
    cannibalisation_pct: Decimal
    cannibalisation_amount: Decimal

    @classmethod
    def current(cls) -> Thresholds:
        return cls(
            roi_floor=Decimal(str(settings.ATTENTION_ROI_THRESHOLD)),
            drop_points=Decimal(str(settings.ATTENTION_ROI_DROP_POINTS)),
            drop_pct=Decimal(str(settings.ATTENTION_ROI_DROP_PCT)),
            stale_days=int(settings.ATTENTION_STALE_DAYS),
            cannibalisation_pct=Decimal(str(settings.ATTENTION_CANNIBALISATION_PCT)),
            cannibalisation_amount=Decimal(str(settings.ATTENTION_CANNIBALISATION_MIN_AMOUNT)),
        )

    def roi_drops(self, before: Decimal, now: Decimal) -> bool:
        """ROI fell by more than `drop_points` points AND by more than
        `drop_pct`% of its earlier level (its size, for a negative ROI)."""
        drop = before - now
        return drop * 100 > self.drop_points and drop > abs(before) * self.drop_pct / 100

    def revenue_falls(self, before: Decimal, now: Decimal) -> bool:
        """Revenue fell by more than `cannibalisation_pct`% AND by at least
        `cannibalisation_amount`."""
        fall = before - now
        return (
            before > 0
            and fall * 100 > before * self.cannibalisation_pct
            and fall >= self.cannibalisation_amount
        )

    @property
    def words(self) -> list[str]:
        """Each rule with its values, for people."""
        return [
            f"ROI below {pct(self.roi_floor, 0)} in the last complete month;",
            f"ROI fallen between the last two complete months by more than "
            f"{number(self.drop_points, 0)} points and by more than "
            f"{number(self.drop_pct, 0)}% of where it was (597% to 579% is 18 points "
            "but only 3% of its level: not flagged);",
            f"an active channel with no facts for more than {self.stale_days} days;",
            f"revenue fallen between the last two complete months by more than "
            f"{number(self.cannibalisation_pct, 0)}% and by at least "
            f"{money(self.cannibalisation_amount)}, while a channel selling to the same "
            "target segment grew;",
            # No threshold to set: said here so that every list of the rules
            # (the page, the alerts page, the digest email) has all of them.
            "an objective at risk or off track; an open conflict case; a brand audit past "
            "its due date.",
        ]


def _month_kpis(snapshot: dict[str, Any]) -> dict[str, Any]:
    return kpis(Components(**{n: snapshot[n] for n in COMPONENT_NAMES}))


def _roi_items(
    channel: Channel, complete: list[dict[str, Any]], url: str, limits: Thresholds
) -> list[AttentionItem]:
    """ROI below the floor, or fallen too far (points and share of its
    level, Thresholds.roi_drops), in the last complete month."""
    if not complete:
        return []
    roi = _month_kpis(complete[-1])["roi"]
    if roi is None:
        return []
    label = periods.label("month", complete[-1]["period_start"])
    items = []
    if roi < limits.roi_floor:
        items.append(
            AttentionItem(
                "roi_low", "bad", f"{channel.name}: ROI {roi:.1%} in {label}",
                f"Below {pct(limits.roi_floor, 0)}.", url, channel, identity=label,
            )
        )  # fmt: skip
    before = _month_kpis(complete[-2])["roi"] if len(complete) >= 2 else None
    if before is not None and limits.roi_drops(before, roi):
        points = (before - roi) * 100
        items.append(
            AttentionItem(
                "roi_drop", "warn", f"{channel.name}: ROI fell {points:.1f} points in {label}",
                f"From {before:.1%} to {roi:.1%}: more than {number(limits.drop_points, 0)} "
                f"points and more than {number(limits.drop_pct, 0)}% of where it was.",
                url, channel, identity=label,
            )
        )  # fmt: skip
    return items


def _stale_item(
    channel: Channel, last: date | None, today: date, limits: Thresholds, may_import: bool
) -> AttentionItem | None:
    # Where to act: the import page for who may import, else the channel's
    # page (whose owner and history say whom to ask).
    where = (
        reverse("kpis:import") if may_import else reverse("channels:detail", args=[channel.slug])
    )
    if last is None:
        return AttentionItem(
            "stale", "warn", f"{channel.name}: no facts yet",
            "An active channel with no imported data.", where, channel, identity="never",
        )  # fmt: skip
    days = (today - last).days
    if days <= limits.stale_days:
        return None
    # The same silence is one item, however many days it lasts.
    return AttentionItem(
        "stale", "warn", f"{channel.name}: no facts for {days} days",
        f"Last day with facts: {last:%Y-%m-%d} (flagged after {limits.stale_days} days).",
        where, channel, identity=f"since {last:%Y-%m-%d}",
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
        identity=f"objective {objective.pk} {status}",
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
    channels: dict[int, Channel],
    complete: dict[int, list[dict[str, Any]]],
    may_open: bool,
    limits: Thresholds,
) -> list[AttentionItem]:
    """A channel whose revenue fell by more than the threshold (a share and
    an amount, Thresholds.revenue_falls) between the last two complete months
    while a channel with the same target segment (compared
    case-insensitively) grew over the same two months. A hint with a link to
    open a case, never a case by itself."""
    groups: dict[tuple[str, date, date], list[tuple[Channel, Decimal]]] = defaultdict(list)
    falls: set[int] = set()
    for channel_id, channel in channels.items():
        segment = " ".join(channel.target_segment.split()).casefold()
        months = complete.get(channel_id, [])
        found = _month_revenue_change(months)
        if segment and found:
            groups[(segment, found[0], found[1])].append((channel, found[2]))
            earlier, latest = Decimal(months[-2]["revenue"]), Decimal(months[-1]["revenue"])
            if limits.revenue_falls(earlier, latest):
                falls.add(channel_id)
    items = []
    for (_segment, _before, last), members in sorted(groups.items(), key=lambda kv: kv[0][2]):
        risers = sorted(((c, r) for c, r in members if r > 0), key=lambda cr: -cr[1])
        if not risers:
            continue
        for channel, rel in sorted(members, key=lambda cr: cr[1]):
            if channel.pk not in falls:
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
                    identity=label,
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
    channel_q: Q | None = None,
) -> list[AttentionItem]:
    """What needs a manager's attention, each item linked to where to act,
    among the channels the user sees, optionally only `channel_ids` and those
    matching `channel_q` (the dashboard's channel filters).

    ROI and cannibalisation alerts compare complete months only (METRICS.md
    s3). A fixed number of queries: channels with their data states, recent
    month snapshots, objectives, overdue audits and open conflicts."""
    today = today or timezone.localdate()
    limits = Thresholds.current()
    visible = channel_list(user=user, scope=scope)
    if channel_ids is not None:
        visible = visible.filter(pk__in=channel_ids)
    if channel_q is not None:
        visible = visible.filter(channel_q)
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
    may_import = user is not None and user.has_perm("kpis.add_importrun")
    for channel_id, channel in sorted(channels.items(), key=lambda kv: kv[1].name):
        url = reverse("kpis:channel-dashboard", args=[channel.slug])
        items += _roi_items(channel, complete.get(channel_id, []), url, limits)
        stale = _stale_item(channel, states.get(channel_id), today, limits, may_import)
        if stale:
            items.append(stale)
    at_risk = objective_list(user=user, scope=scope).filter(
        evaluation__status__in=[AT_RISK, OFF_TRACK]
    )
    # Of running channels only: a paused or retired channel's objectives
    # need no one's attention (its conflicts and ROI are left out alike).
    at_risk = at_risk.filter(channel_id__in=list(channels))
    items += [_objective_item(o) for o in at_risk.order_by("end_date")]
    # Opening a case is offered to whoever may open one (a worker's pack: nobody).
    may_open = user is not None and user.has_perm("partners.add_conflictcase")
    items += _cannibalisation_items(channels, complete, may_open, limits)
    items += _conflict_items(channels)
    items += _audit_items(visible, today)
    return items
