"""Writes to partners, their status history, territories, contacts and
onboarding checklist.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from channelhub.lib.text import slugify
from channels_app.channels.models import Channel
from partners.extensions import partner_attention_changed, partner_review_schedule_changed

from .models import (
    RESERVED_SLUGS,
    OnboardingStep,
    OnboardingTemplate,
    Partner,
    PartnerContact,
    PartnerStatusChange,
    Territory,
    Tier,
    validate_region_code,
)

S = Partner.Status


# Which status a partner may move to from each status. Offboarding is possible
# from anywhere; coming back from offboarded starts over as a prospect.
STATUS_TRANSITIONS: dict[str, set[str]] = {
    S.PROSPECT: {S.ONBOARDING, S.ACTIVE, S.OFFBOARDED},
    S.ONBOARDING: {S.ACTIVE, S.AT_RISK, S.SUSPENDED, S.OFFBOARDED},
    S.ACTIVE: {S.AT_RISK, S.SUSPENDED, S.OFFBOARDED},
    S.AT_RISK: {S.ACTIVE, S.SUSPENDED, S.OFFBOARDED},
    S.SUSPENDED: {S.ACTIVE, S.AT_RISK, S.OFFBOARDED},
    S.OFFBOARDED: {S.PROSPECT},
}


PARTNER_FIELDS = ("channel", "name", "slug", "kind", "tier", "manager", "website", "description")


def unique_partner_slug(name: str, *, exclude_pk: int | None = None) -> str:
    """A slug from the name, suffixed -2, -3, ... until no other partner has it."""
    base = slugify(name, max_length=70) or "partner"
    others = Partner.objects.exclude(pk=exclude_pk) if exclude_pk else Partner.objects.all()
    existing = set(others.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in existing or slug in RESERVED_SLUGS:
        slug, n = f"{base}-{n}", n + 1
    return slug


def normalise_region_codes(codes: Iterable[str]) -> list[str]:
    """' de, at ,DE' -> ['AT', 'DE']: upper case, unique, sorted, each validated."""
    cleaned = sorted({code.strip().upper() for code in codes if code and code.strip()})
    errors = []
    for code in cleaned:
        try:
            validate_region_code(code)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


def territories_for(codes: Iterable[str]) -> list[Territory]:
    """The Territory rows for these region codes, creating the missing ones."""
    cleaned = normalise_region_codes(codes)
    existing = {t.code: t for t in Territory.objects.filter(code__in=cleaned)}
    for code in cleaned:
        if code not in existing:
            existing[code] = Territory.objects.create(code=code)
    return [existing[code] for code in cleaned]


def _copy_onboarding_steps(partner: Partner) -> None:
    template = OnboardingTemplate.objects.filter(kind=partner.kind).first()
    if template is None:
        return
    OnboardingStep.objects.bulk_create(
        OnboardingStep(
            partner=partner, position=step.position, title=step.title, description=step.description
        )
        for step in template.steps.all()
    )


@transaction.atomic
def partner_create(
    *,
    channel: Channel,
    name: str,
    slug: str = "",
    kind: str = Partner.Kind.RESELLER,
    status: str = Partner.Status.PROSPECT,
    tier: Tier | None = None,
    manager: User | None = None,
    website: str = "",
    description: str = "",
    territories: Iterable[str] = (),
    created_by: User | None = None,
    created_on: date | None = None,
) -> Partner:
    """A new partner with its onboarding checklist copied from its kind's template."""
    if channel.route != Channel.Route.INDIRECT:
        raise ValidationError(
            {"channel": "Partners belong to indirect channels (distributors, affiliates, ...)."}
        )
    on = created_on or timezone.localdate()
    partner = Partner(
        channel=channel,
        name=name.strip(),
        slug=slug or unique_partner_slug(name),
        kind=kind,
        status=status,
        status_since=on,
        tier=tier,
        manager=manager,
        website=website,
        description=description,
    )
    partner.full_clean()
    partner.save()
    partner.territories.set(territories_for(territories))
    PartnerStatusChange.objects.create(
        partner=partner, from_status="", to_status=status, changed_on=on, changed_by=created_by
    )
    _copy_onboarding_steps(partner)
    partner_review_schedule_changed.send(sender=Partner, partner=partner)
    return partner


@transaction.atomic
def partner_update(
    *, partner: Partner, data: dict[str, Any], changed_by: User | None = None
) -> Partner:
    """Apply edited fields; a status change goes through `partner_set_status`."""
    for field in PARTNER_FIELDS:
        if field in data:
            setattr(partner, field, data[field])
    if not partner.slug:
        partner.slug = unique_partner_slug(partner.name, exclude_pk=partner.pk)
    if partner.channel.route != Channel.Route.INDIRECT:
        raise ValidationError(
            {"channel": "Partners belong to indirect channels (distributors, affiliates, ...)."}
        )
    partner.full_clean()
    partner.save()
    if "territories" in data:
        partner.territories.set(territories_for(data["territories"]))
    if "status" in data and data["status"] != partner.status:
        partner_set_status(partner=partner, status=data["status"], changed_by=changed_by)
    partner_review_schedule_changed.send(sender=Partner, partner=partner)
    return partner


@transaction.atomic
def partner_set_status(
    *,
    partner: Partner,
    status: str,
    changed_by: User | None = None,
    changed_on: date | None = None,
    note: str = "",
) -> Partner:
    # of=self: the tier is an outer join, which PostgreSQL will not lock.
    locked = (
        Partner.objects.select_for_update(of=("self",)).select_related("tier").get(pk=partner.pk)
    )
    if status == locked.status:
        return locked
    if status not in STATUS_TRANSITIONS[locked.status]:
        allowed = ", ".join(sorted(S(s).label.lower() for s in STATUS_TRANSITIONS[locked.status]))
        current = locked.get_status_display().lower()
        raise ValidationError({"status": f"A {current} partner can only become: {allowed}."})
    on = changed_on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"changed_on": "A status change cannot be dated in the future."})
    if status == S.OFFBOARDED and not note.strip():
        # Its people lose the portal at once: the history says why.
        raise ValidationError(
            {"note": "Say why the partner is offboarded: its people lose the partner portal."}
        )
    PartnerStatusChange.objects.create(
        partner=locked,
        from_status=locked.status,
        to_status=status,
        changed_on=on,
        changed_by=changed_by,
        note=note.strip(),
    )
    locked.status = status
    locked.status_since = on
    locked.save(update_fields=["status", "status_since", "updated_at"])
    partner_review_schedule_changed.send(sender=Partner, partner=locked)
    partner_attention_changed.send(sender=Partner, partner=locked)
    # Keep the caller's object in step with the row.
    partner.status, partner.status_since = locked.status, locked.status_since
    partner.next_review_on = locked.next_review_on
    return locked


CONTACT_FIELDS = ("name", "role", "email", "phone", "is_primary", "is_active")


@transaction.atomic
def contact_create(
    *,
    partner: Partner,
    name: str,
    role: str = "",
    email: str = "",
    phone: str = "",
    is_primary: bool = False,
) -> PartnerContact:
    contact = PartnerContact(
        partner=partner,
        name=name.strip(),
        role=role.strip(),
        email=email,
        phone=phone.strip(),
        is_primary=is_primary,
    )
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_update(*, contact: PartnerContact, data: dict[str, Any]) -> PartnerContact:
    for field in CONTACT_FIELDS:
        if field in data:
            setattr(contact, field, data[field])
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_delete(*, contact: PartnerContact) -> None:
    contact.delete()


@transaction.atomic
def onboarding_step_set_done(
    *, step: OnboardingStep, done: bool, by: User | None = None, on: date | None = None
) -> OnboardingStep:
    step.done_on = (on or timezone.localdate()) if done else None
    step.done_by = by if done else None
    step.save(update_fields=["done_on", "done_by"])
    return step


@transaction.atomic
def onboarding_step_add(*, partner: Partner, title: str, description: str = "") -> OnboardingStep:
    last = partner.onboarding_steps.order_by("-position").values_list("position", flat=True)
    step = OnboardingStep(
        partner=partner,
        position=(last.first() or 0) + 1,
        title=title.strip(),
        description=description.strip(),
    )
    step.full_clean()
    step.save()
    return step
