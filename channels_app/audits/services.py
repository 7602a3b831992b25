"""Writes to brand consistency audits: every audit scores the whole checklist.

Items are passed as {item key: (score, notes)}; the overall score is their
mean, and the next audit defaults to the cadence after this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from channels_app.channels.models import Channel

from .models import (
    BRAND_AUDIT_ITEM_KEYS,
    BRAND_AUDIT_ITEMS,
    BrandAudit,
    BrandAuditItem,
    brand_audit_cadence_days,
)

ItemScores = Mapping[str, tuple[int, str]]


def audit_default_next_on(*, audited_on: date) -> date:
    return audited_on + timedelta(days=brand_audit_cadence_days())


def _clean_items(items: ItemScores) -> list[BrandAuditItem]:
    missing = [label for key, label in BRAND_AUDIT_ITEMS if key not in items]
    unknown = sorted(set(items) - set(BRAND_AUDIT_ITEM_KEYS))
    if missing or unknown:
        problems = []
        if missing:
            problems.append("Score every item of the checklist: " + ", ".join(missing) + ".")
        if unknown:
            problems.append("Not on the checklist: " + ", ".join(unknown) + ".")
        raise ValidationError(problems)
    cleaned = []
    errors: dict[str, str] = {}
    for position, key in enumerate(BRAND_AUDIT_ITEM_KEYS):
        score, notes = items[key]
        if not isinstance(score, int) or not 1 <= score <= 5:
            errors[f"score_{key}"] = "Give a score from 1 to 5."
            continue
        cleaned.append(
            BrandAuditItem(item=key, position=position, score=score, notes=(notes or "").strip())
        )
    if errors:
        raise ValidationError(errors)
    for item in cleaned:
        item.full_clean(exclude=["audit"])
    return cleaned


def _mean(items: list[BrandAuditItem]) -> Decimal:
    return (Decimal(sum(i.score for i in items)) / Decimal(len(items))).quantize(Decimal("0.01"))


def _check_date(audited_on: date) -> None:
    if audited_on > timezone.localdate():
        raise ValidationError({"audited_on": "Record audits that took place, not planned ones."})


@transaction.atomic
def audit_record(
    *,
    channel: Channel,
    audited_on: date,
    items: ItemScores,
    auditor: User | None = None,
    summary: str = "",
    next_audit_on: date | None = None,
) -> BrandAudit:
    _check_date(audited_on)
    cleaned = _clean_items(items)
    audit = BrandAudit(
        channel=channel,
        audited_on=audited_on,
        auditor=auditor,
        summary=summary.strip(),
        overall=_mean(cleaned),
        next_audit_on=next_audit_on or audit_default_next_on(audited_on=audited_on),
    )
    audit.full_clean()
    audit.save()
    for item in cleaned:
        item.audit = audit
    BrandAuditItem.objects.bulk_create(cleaned)
    return audit


@transaction.atomic
def audit_update(
    *, audit: BrandAudit, data: dict[str, Any], items: ItemScores | None = None
) -> BrandAudit:
    for field in ("audited_on", "summary", "next_audit_on"):
        if field in data:
            setattr(audit, field, data[field])
    _check_date(audit.audited_on)
    audit.summary = audit.summary.strip()
    if not audit.next_audit_on:
        audit.next_audit_on = audit_default_next_on(audited_on=audit.audited_on)
    cleaned = _clean_items(items) if items is not None else list(audit.items.all())
    audit.overall = _mean(cleaned)
    audit.full_clean()
    audit.save()
    if items is not None:
        audit.items.all().delete()
        for item in cleaned:
            item.audit = audit
        BrandAuditItem.objects.bulk_create(cleaned)
    return audit
