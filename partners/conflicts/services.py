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
from django.db.models import Count, Q
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
    runs the channel's programme; else the marketing manager with the fewest
    open cases; else nobody (only marketing managers close an unowned case).

    Never the manager of one of the parties: the owner closes and dismisses a
    case, and a party must not decide a case against another party alone."""
    from channelhub.lib.roles import MARKETING_MANAGER

    parties = list(partners)
    party_managers = {p.manager_id for p in parties if p.manager_id is not None}
    for partner in parties:
        owner = partner.channel.owner
        if owner is not None and owner.is_active and owner.pk not in party_managers:
            return owner
    still_open = Q(owned_conflicts__status__in=C.OPEN_STATUSES)
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=MARKETING_MANAGER)
        .exclude(pk__in=party_managers)
        .annotate(open_cases=Count("owned_conflicts", filter=still_open))
        .order_by("open_cases", "pk")
        .first()
    )


def _email_soon(
    case: ConflictCase, *, recipients: dict[Any, str], reason: str, subject_reason: str = ""
) -> None:
    """Email each recipient (user -> why they are told) once the write commits."""
    recipients = {user: why for user, why in recipients.items() if user.email}
    if not recipients:
        return

    def send() -> None:
        # No request here: SITE_URL (no trailing slash) makes the link absolute.
        url = settings.SITE_URL + reverse("partners:conflict-detail", args=[case.pk])
        for user, why in recipients.items():
            context = {"case": case, "owner": user, "reason": reason, "why": why, "url": url}
            try:
                send_mail(
                    subject=(
                        f"ChannelHub: conflict #{case.pk} {subject_reason or reason}: {case.title}"
                    )[:200],
                    message=render_to_string("partners/conflict_email.txt", context),
                    from_email=None,
                    recipient_list=[user.email],
                )
            except Exception as exc:  # the case stands; the mail server may be down
                log.warning("could not email %s about conflict %s: %s", user.pk, case.pk, exc)

    transaction.on_commit(send)


def notify_owner_soon(case: ConflictCase, *, reason: str) -> None:
    """Email the case's owner once the write commits."""
    if case.owner is not None:
        _email_soon(case, recipients={case.owner: "owner"}, reason=reason)


def conflict_parties(case: ConflictCase) -> dict[Any, str]:
    """Everyone a case concerns, with why: its owner, the managers of its
    partners, the owners of the channels in it or of its partners' channels."""
    people: dict[Any, str] = {}

    def add(user: Any, why: str) -> None:
        if user is not None and user.is_active and user not in people:
            people[user] = why

    add(case.owner, "owner")
    partners = list(case.partners.select_related("manager", "channel__owner"))
    for partner in partners:
        add(partner.manager, f"manager of {partner.name}")
    for channel in case.channels.select_related("owner"):
        add(channel.owner, f"owner of the channel {channel.name}")
    for partner in partners:
        add(partner.channel.owner, f"owner of the channel {partner.channel.name}")
    return people


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
    if status == S.DISMISSED:
        # A dismissal lifts the approval gate of the case's deals: every
        # party hears of it (the one who dismissed it knows).
        told = {user: why for user, why in conflict_parties(locked).items() if user != by}
        _email_soon(
            locked,
            recipients=told,
            reason=f"dismissed by {_name(by)}",
            subject_reason="dismissed",
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
    old_partners = {p.pk: p.name for p in locked.partners.all()}
    old_channels = {c.pk: c.name for c in locked.channels.all()}
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
    # Who is party to the case is on its timeline too.
    for what, before, now in (
        ("Partners", old_partners, {p.pk: p.name for p in locked.partners.all()}),
        ("Channels", old_channels, {c.pk: c.name for c in locked.channels.all()}),
    ):
        added = sorted((now[k] for k in now.keys() - before.keys()), key=str.lower)
        removed = sorted((before[k] for k in before.keys() - now.keys()), key=str.lower)
        moves = [f"added {', '.join(added)}"] if added else []
        moves += [f"taken off {', '.join(removed)}"] if removed else []
        if moves:
            changes.append(f"{what}: {'; '.join(moves)}.")
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
