"""Writes to conflict cases and their timeline.

Every change a case goes through (status, owner, severity, resolution) is
also written to its timeline, so the case page reads as a history. The owner
is emailed when a case opens and when it is handed to them, once the write
commits (a rolled-back case sends nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from channels_app.channels.models import Channel
from partners.contracts.models import Contract
from partners.directory.models import Partner

from .models import ConflictCase, ConflictNote

if TYPE_CHECKING:  # deals sit above conflicts; only the type is named here
    from partners.deals.models import DealRegistration

log = logging.getLogger(__name__)


C = ConflictCase


S = ConflictCase.Status


# Where a case may go from each status; a closed case can be reopened.
CONFLICT_TRANSITIONS: dict[str, set[str]] = {
    S.OPEN: {S.INVESTIGATING, S.RESOLVED, S.DISMISSED},
    S.INVESTIGATING: {S.OPEN, S.RESOLVED, S.DISMISSED},
    S.RESOLVED: {S.OPEN},
    S.DISMISSED: {S.OPEN},
}


CASE_FIELDS = ("title", "description", "severity", "owner", "kind")


def _name(user: Any) -> str:
    if user is None:
        return "nobody"
    return user.get_full_name() or user.get_username()


def default_conflict_owner(partners: Iterable[Partner]) -> User | None:
    """Who owns a detected case: the owner of the (first) party's channel, who
    runs the channel's programme; else that partner's manager."""
    for partner in partners:
        owner = partner.channel.owner
        if owner is not None and owner.is_active:
            return owner
    for partner in partners:
        if partner.manager is not None and partner.manager.is_active:
            return partner.manager
    return None


def notify_owner_soon(case: ConflictCase, *, reason: str) -> None:
    """Email the case's owner once the write commits."""
    owner = case.owner
    if owner is None or not owner.email:
        return

    def send() -> None:
        # No request here: SITE_URL (no trailing slash) makes the link absolute.
        base = settings.SITE_URL
        context = {
            "case": case,
            "owner": owner,
            "reason": reason,
            "url": base + reverse("partners:conflict-detail", args=[case.pk]),
        }
        try:
            send_mail(
                subject=f"ChannelHub: conflict #{case.pk} {reason}: {case.title}"[:200],
                message=render_to_string("partners/conflict_email.txt", context),
                from_email=None,
                recipient_list=[owner.email],
            )
        except Exception as exc:  # the case stands; the mail server may be down
            log.warning("could not email the owner of conflict %s: %s", case.pk, exc)

    transaction.on_commit(send)


def _note(
    case: ConflictCase,
    body: str,
    *,
    kind: str = ConflictNote.Kind.CHANGE,
    author: User | None = None,
    at: datetime | None = None,
) -> ConflictNote:
    return ConflictNote.objects.create(
        case=case, kind=kind, body=body, author=author, created_at=at or timezone.now()
    )


@transaction.atomic
def conflict_open(
    *,
    kind: str,
    title: str,
    description: str = "",
    severity: str = C.Severity.MEDIUM,
    owner: User | None = None,
    partners: Iterable[Partner] = (),
    channels: Iterable[Channel] = (),
    deals: Iterable[DealRegistration] = (),
    contracts: Iterable[Contract] = (),
    region_code: str = "",
    opened_by: User | None = None,
    fingerprint: str = "",
    opened_at: datetime | None = None,
    notify: bool = True,
) -> ConflictCase:
    """Open a case between partners and/or channels. A rule passes the
    fingerprint of its facts: the database refuses a second open case with it
    (IntegrityError; `open_detected_case` handles that race)."""
    party_partners, party_channels = list(partners), list(channels)
    if not party_partners and not party_channels:
        raise ValidationError({"partners": "Name at least one partner or channel involved."})
    case = ConflictCase(
        kind=kind,
        title=title.strip(),
        description=description.strip(),
        severity=severity,
        owner=owner,
        source=C.Source.DETECTED if fingerprint else C.Source.MANUAL,
        fingerprint=fingerprint,
        region_code=region_code,
        opened_by=opened_by,
        opened_at=opened_at or timezone.now(),
    )
    # The one-open-case-per-fingerprint rule is the database's to enforce:
    # checking it here as well would only move the race, not close it.
    case.full_clean(exclude=["fingerprint"])
    case.save()
    case.partners.set(party_partners)
    case.channels.set(party_channels)
    case.deals.set(list(deals))
    case.contracts.set(list(contracts))
    opener = (
        f"the {case.get_kind_display().lower()} rule"
        if fingerprint and opened_by is None
        else _name(opened_by)
    )
    _note(
        case,
        f"Case opened by {opener}; owner {_name(owner)}.",
        kind=ConflictNote.Kind.SYSTEM if fingerprint else ConflictNote.Kind.CHANGE,
        author=opened_by,
        at=case.opened_at,
    )
    if notify:
        notify_owner_soon(case, reason="opened")
    return case


def open_detected_case(
    *, fingerprint: str, reopen_closed: bool, **fields: Any
) -> tuple[ConflictCase | None, bool]:
    """Open a case for a rule's finding unless one already covers it.

    Returns (case, created): the open case with this fingerprint (created or
    found), or (None, False) when a closed case holds it and `reopen_closed`
    is off (a dismissed finding stays dismissed). Safe to call twice at once:
    the loser of a race gets the winner's case.
    """
    existing = ConflictCase.objects.filter(fingerprint=fingerprint, status__in=C.OPEN_STATUSES)
    found = existing.first()
    if found is not None:
        return found, False
    if not reopen_closed and ConflictCase.objects.filter(fingerprint=fingerprint).exists():
        return None, False
    try:
        with transaction.atomic():  # a savepoint: the outer job goes on after a race
            return conflict_open(fingerprint=fingerprint, **fields), True
    except IntegrityError:
        return existing.get(), False


def _locked(case: ConflictCase) -> ConflictCase:
    return ConflictCase.objects.select_for_update().get(pk=case.pk)


def _check_transition(case: ConflictCase, status: str) -> None:
    if status not in CONFLICT_TRANSITIONS[case.status]:
        allowed = ", ".join(sorted(S(s).label.lower() for s in CONFLICT_TRANSITIONS[case.status]))
        raise ValidationError(
            {"status": f"A {case.get_status_display().lower()} case can only become: {allowed}."}
        )


def _save_status(case: ConflictCase, fields: list[str]) -> None:
    try:
        with transaction.atomic():
            case.save(update_fields=[*fields, "updated_at"])
    except IntegrityError:
        other = ConflictCase.objects.filter(
            fingerprint=case.fingerprint, status__in=C.OPEN_STATUSES
        ).first()
        ref = f" (#{other.pk})" if other else ""
        raise ValidationError(
            f"Another open case{ref} already covers these facts; continue there."
        ) from None


@transaction.atomic
def conflict_set_status(
    *, case: ConflictCase, status: str, by: User | None, note: str = ""
) -> ConflictCase:
    """Move an open case to investigating or back to open, or reopen a closed
    one. Closing goes through `conflict_close` (it needs a resolution)."""
    locked = _locked(case)
    if status == locked.status:
        return locked
    if status in C.CLOSED_STATUSES:
        raise ValidationError({"status": "Close a case with its resolution."})
    _check_transition(locked, status)
    before = locked.get_status_display()
    reopening = locked.status in C.CLOSED_STATUSES
    if reopening and not note.strip():
        raise ValidationError({"note": "Say why the case is reopened."})
    locked.status = status
    fields = ["status"]
    if reopening:
        locked.closed_at, locked.closed_by = None, None
        fields += ["closed_at", "closed_by"]
    _save_status(locked, fields)
    text = f"Status: {before} → {locked.get_status_display()}."
    _note(locked, f"{text} {note.strip()}".strip(), author=by)
    return locked


@transaction.atomic
def conflict_close(
    *,
    case: ConflictCase,
    status: str,
    resolution: str,
    rule_agreed: str = "",
    by: User | None,
    at: datetime | None = None,
) -> ConflictCase:
    """Resolve (with what was decided and the rule agreed) or dismiss (with why)."""
    if status not in C.CLOSED_STATUSES:
        raise ValidationError({"status": "A case closes as resolved or dismissed."})
    locked = _locked(case)
    _check_transition(locked, status)
    if not resolution.strip():
        message = (
            "Say how the conflict was resolved."
            if status == S.RESOLVED
            else "Say why the case is dismissed."
        )
        raise ValidationError({"resolution": message})
    closed_at = at or timezone.now()
    if closed_at < locked.opened_at:
        raise ValidationError("A case cannot close before it opens.")
    before = locked.get_status_display()
    locked.status = status
    locked.resolution = resolution.strip()
    locked.rule_agreed = rule_agreed.strip()
    locked.closed_at = closed_at
    locked.closed_by = by
    locked.full_clean(exclude=["fingerprint"])
    locked.save(
        update_fields=[
            "status",
            "resolution",
            "rule_agreed",
            "closed_at",
            "closed_by",
            "updated_at",
        ]
    )
    rule = f" Rule agreed: {locked.rule_agreed}" if locked.rule_agreed else ""
    _note(
        locked,
        f"Status: {before} → {locked.get_status_display()}. {locked.resolution}{rule}",
        author=by,
        at=closed_at,
    )
    return locked


@transaction.atomic
def conflict_update(
    *,
    case: ConflictCase,
    data: dict[str, Any],
    by: User | None,
) -> ConflictCase:
    """Edit what a case is about, who owns it and how serious it is; each change
    of owner or severity goes to the timeline, and a new owner is emailed."""
    locked = _locked(case)
    old_owner, old_severity = locked.owner, locked.get_severity_display()
    for field in CASE_FIELDS:
        if field in data:
            setattr(locked, field, data[field])
    locked.title = locked.title.strip()
    locked.full_clean(exclude=["fingerprint"])
    locked.save()
    if "partners" in data or "channels" in data:
        partners = list(data.get("partners", locked.partners.all()))
        channels = list(data.get("channels", locked.channels.all()))
        if not partners and not channels:
            raise ValidationError({"partners": "Name at least one partner or channel involved."})
        locked.partners.set(partners)
        locked.channels.set(channels)
    changes = []
    if locked.owner_id != (old_owner.pk if old_owner else None):
        changes.append(f"Owner: {_name(old_owner)} → {_name(locked.owner)}.")
        notify_owner_soon(locked, reason="handed to you")
    if locked.get_severity_display() != old_severity:
        changes.append(f"Severity: {old_severity} → {locked.get_severity_display()}.")
    if changes:
        _note(locked, " ".join(changes), author=by)
    return locked


@transaction.atomic
def conflict_add_note(
    *, case: ConflictCase, body: str, author: User | None, at: datetime | None = None
) -> ConflictNote:
    note = ConflictNote(
        case=case,
        kind=ConflictNote.Kind.NOTE,
        body=body.strip(),
        author=author,
        created_at=at or timezone.now(),
    )
    note.full_clean()
    note.save()
    ConflictCase.objects.filter(pk=case.pk).update(updated_at=timezone.now())
    return note


def conflict_owner_choices() -> Any:
    """People who may own a case: active staff with a writing role."""
    from channelhub.lib.roles import MARKETING_MANAGER, PARTNER_MANAGER

    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(groups__name__in=[MARKETING_MANAGER, PARTNER_MANAGER])
        .distinct()
        .order_by("username")
    )
