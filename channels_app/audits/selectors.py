"""Reads of brand audits: a channel's latest audit, channels overdue for one,
the audit list and a channel's score history.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery

from channelhub.lib.roles import has_any_role
from channels_app.channels.models import Channel

from .models import BRAND_AUDIT_ITEM_KEYS, BrandAudit, BrandAuditItem, brand_audit_cadence_days

# Channels we expect to keep on brand: the ones selling or about to sell again.
AUDITED_STATUSES = (Channel.Status.ACTIVE, Channel.Status.PAUSED)


def with_last_audit(qs: QuerySet[Channel]) -> QuerySet[Channel]:
    """Annotate each channel with its latest audit: last_audited_on,
    last_audit_overall and next_audit_on (None when never audited)."""
    latest = BrandAudit.objects.filter(channel=OuterRef("pk")).order_by("-audited_on", "-pk")
    return qs.annotate(
        last_audited_on=Subquery(latest.values("audited_on")[:1]),
        last_audit_overall=Subquery(
            latest.values("overall")[:1],
            output_field=DecimalField(max_digits=3, decimal_places=2),
        ),
        next_audit_on=Subquery(latest.values("next_audit_on")[:1]),
    )


def channels_with_overdue_audits(
    *, today: date, channels: QuerySet[Channel] | None = None
) -> QuerySet[Channel]:
    """Active and paused channels whose brand audit is overdue on `today`.

    Overdue: the latest audit's next date (by default the cadence, 90 days,
    after it) is before today; or the channel was never audited and started
    (start date, else the day it was created) more than a cadence ago.
    Each channel comes annotated with last_audited_on, last_audit_overall and
    next_audit_on (None when never audited), most overdue first.
    """
    start = today - timedelta(days=brand_audit_cadence_days())
    qs = with_last_audit(
        (channels if channels is not None else Channel.objects.all()).filter(
            status__in=AUDITED_STATUSES
        )
    ).select_related("owner")
    never_audited = Q(last_audited_on__isnull=True) & (
        Q(start_date__lte=start) | Q(start_date__isnull=True, created_at__date__lte=start)
    )
    return qs.filter(Q(next_audit_on__lt=today) | never_audited).order_by(
        F("next_audit_on").asc(nulls_first=True), "name"
    )


def audit_list(*, user: Any, channel: Channel | None = None) -> QuerySet[BrandAudit]:
    if not has_any_role(user):
        return BrandAudit.objects.none()
    qs = BrandAudit.objects.select_related("channel", "auditor").prefetch_related("items")
    if channel is not None:
        qs = qs.filter(channel=channel)
    return qs.order_by("-audited_on", "-pk")


def audit_score_frame(*, channel: Channel) -> pd.DataFrame:
    """One row per audit of the channel, oldest first: audited_on, overall,
    and one column per checklist item (its score)."""
    columns = ["audited_on", "overall", *BRAND_AUDIT_ITEM_KEYS]
    rows: dict[int, dict[str, Any]] = {}
    for pk, audited_on, overall in (
        BrandAudit.objects.filter(channel=channel)
        .order_by("audited_on", "pk")
        .values_list("pk", "audited_on", "overall")
    ):
        rows[pk] = {"audited_on": audited_on, "overall": float(overall)}
    for audit_id, item, score in BrandAuditItem.objects.filter(audit__channel=channel).values_list(
        "audit_id", "item", "score"
    ):
        rows[audit_id][item] = score
    return pd.DataFrame(list(rows.values()), columns=columns)
