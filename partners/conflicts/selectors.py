"""Reads of conflict cases and the price list, limited to what the user may see;
the dashboard's frames and the open cases per channel the KPI dashboards show.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from channelhub.lib.roles import has_any_role
from partners.contracts.models import Contract
from partners.directory.models import Partner
from partners.directory.roles import edits_all_partners

from .detection import PRICING_LOOKBACK_DAYS
from .models import ConflictCase, ConflictNote, PriceObservation, Product


def open_conflict_counts() -> dict[str, int]:
    """Open conflict cases (open or investigating), counted in one query:
    {"total", "high" (high or critical severity), and one key per kind:
    "pricing", "territory", "deal_overlap", "cannibalisation", "other"}."""
    C = ConflictCase
    counts = C.objects.filter(status__in=C.OPEN_STATUSES).aggregate(
        total=Count("pk"),
        high=Count("pk", filter=Q(severity__in=[C.Severity.HIGH, C.Severity.CRITICAL])),
        **{kind: Count("pk", filter=Q(kind=kind)) for kind in C.Kind.values},
    )
    return {key: int(value or 0) for key, value in counts.items()}


def open_conflicts_by_channel() -> dict[int, int]:
    """Channel id -> open cases naming the channel or one of its partners."""
    return {
        channel_id: total for channel_id, (total, _high) in open_conflicts_per_channel().items()
    }


def open_conflicts_per_channel() -> dict[int, tuple[int, int]]:
    """Channel id -> (open cases, of which high or critical), counting each case
    once per channel whether it names the channel or one of its partners. Two
    queries over the open cases only."""
    C = ConflictCase
    open_cases = C.objects.filter(status__in=C.OPEN_STATUSES)
    high = {C.Severity.HIGH, C.Severity.CRITICAL}
    rows = set(
        open_cases.filter(partners__isnull=False).values_list(
            "pk", "severity", "partners__channel_id"
        )
    ) | set(open_cases.filter(channels__isnull=False).values_list("pk", "severity", "channels"))
    counts: dict[int, tuple[int, int]] = {}
    for _case, severity, channel_id in rows:
        total, severe = counts.get(channel_id, (0, 0))
        counts[channel_id] = (total + 1, severe + (severity in high))
    return counts


C = ConflictCase


# Age buckets of open cases on the conflict dashboard: (label, from day, to day).
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7 days", 0, 7),
    ("8-30 days", 8, 30),
    ("31-90 days", 31, 90),
    ("over 90 days", 91, None),
)


AGE_BUCKET_SHORT = ("0-7 d", "8-30 d", "31-90 d", "> 90 d")


RESOLVE_WINDOW_DAYS = 365


def price_partner_scope(*, user: Any) -> QuerySet[Partner] | None:
    """Partners whose prices the user may record from a file: None for all."""
    if edits_all_partners(user):
        return None
    return Partner.objects.filter(manager=user) if has_any_role(user) else Partner.objects.none()


def product_list(*, user: Any, today: date) -> QuerySet[Product]:
    if not has_any_role(user):
        return Product.objects.none()
    recent = PriceObservation.objects.filter(
        product=OuterRef("pk"), observed_on__gte=today - timedelta(days=PRICING_LOOKBACK_DAYS)
    )
    below = recent.filter(price__lt=OuterRef("map_price"))

    def count(qs: QuerySet[PriceObservation]) -> Coalesce:
        return Coalesce(
            Subquery(
                qs.order_by().values("product").annotate(n=Count("pk")).values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        )

    return Product.objects.annotate(
        recent_observations=count(recent), recent_below_map=count(below)
    ).order_by("sku")


def observation_list(*, user: Any) -> QuerySet[PriceObservation]:
    if not has_any_role(user):
        return PriceObservation.objects.none()
    return (
        PriceObservation.objects.select_related(
            "partner", "product", "recorded_by", "conflict_case"
        )
        .annotate(
            is_below_map=Q(product__map_price__isnull=False) & Q(price__lt=F("product__map_price"))
        )
        .order_by("-observed_on", "-pk")
    )


def conflict_list(*, user: Any) -> QuerySet[ConflictCase]:
    if not has_any_role(user):
        return ConflictCase.objects.none()
    return (
        ConflictCase.objects.select_related("owner")
        .prefetch_related(
            Prefetch("partners", queryset=Partner.objects.only("pk", "name", "slug", "manager_id")),
            "channels",
        )
        .annotate(
            note_count=Coalesce(
                Subquery(
                    ConflictNote.objects.filter(case=OuterRef("pk"), kind=ConflictNote.Kind.NOTE)
                    .order_by()
                    .values("case")
                    .annotate(n=Count("pk"))
                    .values("n")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            )
        )
        .order_by("-opened_at", "-pk")
    )


def conflict_detail_queryset(*, user: Any) -> QuerySet[ConflictCase]:
    if not has_any_role(user):
        return ConflictCase.objects.none()
    return ConflictCase.objects.select_related("owner", "opened_by", "closed_by").prefetch_related(
        Prefetch("partners", queryset=Partner.objects.select_related("channel", "manager")),
        "channels",
        Prefetch("deals", queryset=_deals().select_related("partner")),
        Prefetch(
            "contracts",
            queryset=Contract.objects.select_related("partner").prefetch_related(
                "exclusive_territories"
            ),
        ),
        Prefetch(
            "price_observations",
            queryset=PriceObservation.objects.select_related("product", "partner").order_by(
                "observed_on", "pk"
            ),
        ),
    )


def timeline(case: ConflictCase) -> QuerySet[ConflictNote]:
    return case.notes.select_related("author").order_by("created_at", "pk")


def open_cases_of_partner(partner: Partner) -> QuerySet[ConflictCase]:
    return partner.conflicts.filter(status__in=C.OPEN_STATUSES).order_by("-opened_at")


def open_conflicts_frame(*, now: datetime) -> pd.DataFrame:
    """Open cases by kind and age: one row per kind and age bucket (zeros
    included, so every bar is there): kind, kind_label, bucket, count."""
    buckets = {}
    for label, low, high in AGE_BUCKETS:
        condition = Q(opened_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(opened_at__gt=now - timedelta(days=high + 1))
        buckets[label] = Count("pk", filter=condition)
    counts: dict[str, dict[str, Any]] = {
        row["kind"]: dict(row)
        for row in ConflictCase.objects.filter(status__in=C.OPEN_STATUSES)
        .values("kind")
        .annotate(**{f"b{i}": agg for i, agg in enumerate(buckets.values())})
        .order_by()
    }
    rows = []
    for kind, kind_label in C.Kind.choices:
        for i, (label, _low, _high) in enumerate(AGE_BUCKETS):
            rows.append(
                {
                    "kind": kind,
                    "kind_label": kind_label,
                    "bucket": label,
                    "count": int(counts.get(kind, {}).get(f"b{i}", 0)),
                }
            )
    return pd.DataFrame(rows, columns=["kind", "kind_label", "bucket", "count"])


def resolve_times_frame(*, now: datetime, days: int = RESOLVE_WINDOW_DAYS) -> pd.DataFrame:
    """Cases closed in the last `days`: kind, kind_label, status, days to close."""
    rows = ConflictCase.objects.filter(
        status__in=C.CLOSED_STATUSES, closed_at__gte=now - timedelta(days=days)
    ).values_list("kind", "status", "opened_at", "closed_at")
    labels = dict(C.Kind.choices)
    frame = pd.DataFrame(
        [
            {
                "kind": kind,
                "kind_label": labels[kind],
                "status": status,
                "days": (closed - opened).total_seconds() / 86400,
            }
            for kind, status, opened, closed in rows
            if closed is not None
        ],
        columns=["kind", "kind_label", "status", "days"],
    )
    order = {kind: i for i, kind in enumerate(C.Kind.values)}
    return frame.sort_values("kind", key=lambda kinds: kinds.map(order), kind="stable")


def resolve_time_summary(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Per kind: cases closed, median and mean days to close (resolved and dismissed)."""
    summary = []
    labels = dict(C.Kind.choices)
    for kind in C.Kind.values:
        part = frame[frame["kind"] == kind]["days"] if not frame.empty else pd.Series([])
        summary.append(
            {
                "kind": kind,
                "kind_label": labels[kind],
                "closed": len(part),
                "median_days": round(float(part.median()), 1) if len(part) else None,
                "mean_days": round(float(part.mean()), 1) if len(part) else None,
            }
        )
    return summary


def conflict_stats(*, now: datetime) -> dict[str, Any]:
    month_ago = now - timedelta(days=30)
    return ConflictCase.objects.aggregate(
        open=Count("pk", filter=Q(status=C.Status.OPEN)),
        investigating=Count("pk", filter=Q(status=C.Status.INVESTIGATING)),
        high=Count("pk", filter=Q(status__in=C.OPEN_STATUSES, severity__in=["high", "critical"])),
        opened_30=Count("pk", filter=Q(opened_at__gte=month_ago)),
        closed_30=Count("pk", filter=Q(closed_at__gte=month_ago)),
    )


def _deals() -> Any:
    # Deal registrations sit in a sub-domain above (they open cases); read them
    # through the relation that names them, not by importing them.
    model: Any = ConflictCase._meta.get_field("deals").related_model
    return model.objects.all()
