"""Writes to deal registrations: register, edit, approve, reject, expire.

A registration for a customer another partner already holds (an active
registration with the same normalised domain, or a fuzzy-matched name in the
same country; see `partners.matching`) opens a deal-overlap conflict case
the moment it is submitted, and cannot be approved while that case is open.
A registration for a customer the same partner already holds is refused: the
partner edits its open registration instead of registering the customer again.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from channelhub.lib.matching import name_key, names_match, normalise_domain
from channelhub.metrics.display import money
from partners.conflicts.models import ConflictCase
from partners.conflicts.services import conflict_close, default_conflict_owner, open_detected_case
from partners.directory.models import Partner
from partners.extensions import deal_decided

from .models import DealRegistration, default_expiry

D = DealRegistration


DEAL_FIELDS = (
    "customer_name",
    "customer_domain",
    "country",
    "estimated_value",
    "product_interest",
    "expected_close_on",
    "notes",
)


# An overlap on a deal this large is a high-severity case.
HIGH_VALUE_DEAL = Decimal("100000")


def active_deals(*, today: date) -> QuerySet[DealRegistration]:
    """Registrations that hold their customer on `today`."""
    return D.objects.filter(status__in=D.ACTIVE_STATUSES, expires_on__gte=today)


def _apply_keys(deal: DealRegistration) -> None:
    deal.customer_name = deal.customer_name.strip()
    deal.country = (deal.country or "").strip().upper()
    try:
        deal.domain_key = normalise_domain(deal.customer_domain)
    except ValidationError as exc:
        raise ValidationError({"customer_domain": exc.messages}) from None
    deal.customer_domain = deal.customer_domain.strip()
    deal.name_key = name_key(deal.customer_name)


def same_customer(a: DealRegistration, b: DealRegistration) -> bool:
    if a.domain_key and a.domain_key == b.domain_key:
        return True
    return a.country == b.country and names_match(a.name_key, b.name_key)


def _same_customer_candidates(deal: DealRegistration, *, today: date) -> QuerySet[DealRegistration]:
    """Active registrations other than `deal` that may be for its customer (the
    same domain, or the same country for a name match), oldest first; whose
    they are is the caller's filter, `same_customer` the final say."""
    by_domain = Q(domain_key=deal.domain_key) if deal.domain_key else Q(pk__in=[])
    return (
        active_deals(today=today)
        .exclude(pk=deal.pk)
        .filter(by_domain | Q(country=deal.country))
        .order_by("submitted_on", "pk")
    )


def deal_overlaps(*, deal: DealRegistration, today: date) -> list[DealRegistration]:
    """Other partners' active registrations for the same customer, oldest first."""
    candidates = (
        _same_customer_candidates(deal, today=today)
        .exclude(partner_id=deal.partner_id)
        .select_related("partner", "partner__channel", "partner__manager")
    )
    return [other for other in candidates if same_customer(deal, other)]


def own_open_duplicate(*, deal: DealRegistration, today: date) -> DealRegistration | None:
    """The partner's own active registration for the same customer (the same
    rules as an overlap between partners), the oldest; None if there is none."""
    candidates = _same_customer_candidates(deal, today=today).filter(partner_id=deal.partner_id)
    return next((other for other in candidates if same_customer(deal, other)), None)


def _refuse_own_duplicate(deal: DealRegistration, *, today: date) -> None:
    """Refuse a registration of a customer the partner already holds, naming
    the registration that holds it (the partner's own: nothing about another
    partner is said, so the message is safe in the portal)."""
    if not deal.is_active_on(today):
        return
    held = own_open_duplicate(deal=deal, today=today)
    if held is None:
        return
    same_domain = bool(deal.domain_key) and deal.domain_key == held.domain_key
    state = (
        f"approved and protected until {held.expires_on:%Y-%m-%d}"
        if held.status == D.Status.APPROVED
        else "awaiting a decision"
    )
    domain = f" ({held.customer_domain})" if held.customer_domain else ""
    keep = (
        "Keep to that registration instead of registering the customer again."
        if deal.pk is None
        else "Keep to that registration: this one cannot become a second one."
    )
    raise ValidationError(
        {
            "customer_domain" if same_domain else "customer_name": (
                f"{held.partner.name} already has an open registration for this customer: "
                f"“{held.customer_name}”{domain}, registration #{held.pk} of "
                f"{held.submitted_on:%Y-%m-%d}, {state}. {keep}"
            )
        },
        code="duplicate",
    )


def overlap_fingerprint(a: DealRegistration, b: DealRegistration) -> str:
    low, high = sorted((a.pk, b.pk))
    return f"deal_overlap:{low}:{high}"


def open_overlap_case(
    *,
    deal: DealRegistration,
    other: DealRegistration,
    opened_by: User | None = None,
    notify: bool = True,
) -> tuple[ConflictCase | None, bool]:
    """The deal-overlap case of two registrations (one per pair, ever: a case
    closed as resolved or dismissed is not reopened for the same pair)."""
    first, second = sorted((deal, other), key=lambda d: (d.submitted_on, d.pk))
    how = (
        f"the same domain ({first.domain_key})"
        if first.domain_key and first.domain_key == second.domain_key
        else f"matching names in {first.country}"
    )
    value = max(first.estimated_value, second.estimated_value)
    partners = [first.partner, second.partner]
    return open_detected_case(
        fingerprint=overlap_fingerprint(first, second),
        reopen_closed=False,
        kind=ConflictCase.Kind.DEAL_OVERLAP,
        title=(
            f"Deal overlap: {second.customer_name} registered by {second.partner.name}, "
            f"already held by {first.partner.name}"
        )[:200],
        description=(
            f"{second.partner.name} registered “{second.customer_name}” on "
            f"{second.submitted_on:%Y-%m-%d}; {first.partner.name} registered "
            f"“{first.customer_name}” on {first.submitted_on:%Y-%m-%d}, active until "
            f"{first.expires_on:%Y-%m-%d}. They match on {how}. Estimated value up to "
            f"{money(value)}."
        ),
        severity=(
            ConflictCase.Severity.HIGH if value >= HIGH_VALUE_DEAL else ConflictCase.Severity.MEDIUM
        ),
        owner=default_conflict_owner(partners),
        partners=partners,
        deals=[first, second],
        opened_by=opened_by,
        notify=notify,
    )


def deal_check_overlaps(
    *, deal: DealRegistration, today: date, opened_by: User | None = None, notify: bool = True
) -> list[ConflictCase]:
    """Open (or find) the overlap case of `deal` with each active registration
    of another partner for the same customer; returns the open cases."""
    if not deal.is_active_on(today):
        return []
    cases = []
    for other in deal_overlaps(deal=deal, today=today):
        case, _created = open_overlap_case(
            deal=deal, other=other, opened_by=opened_by, notify=notify
        )
        if case is not None and case.is_open:
            cases.append(case)
    return cases


@transaction.atomic
def deal_register(
    *,
    partner: Partner,
    customer_name: str,
    country: str,
    estimated_value: Decimal,
    expected_close_on: date,
    customer_domain: str = "",
    product_interest: str = "",
    notes: str = "",
    registered_by: User | None = None,
    submitted_on: date | None = None,
    notify: bool = True,
) -> DealRegistration:
    """Register a deal for a partner; an overlap opens a conflict case at once."""
    on = submitted_on or timezone.localdate()
    deal = DealRegistration(
        partner=partner,
        customer_name=customer_name,
        customer_domain=customer_domain,
        country=country,
        estimated_value=estimated_value,
        product_interest=product_interest.strip(),
        expected_close_on=expected_close_on,
        notes=notes.strip(),
        submitted_on=on,
        expires_on=default_expiry(on),
        registered_by=registered_by,
    )
    _apply_keys(deal)
    deal.full_clean()
    # One registration at a time per partner: two submitted at once (a double
    # click) cannot both pass the duplicate check.
    Partner.objects.select_for_update().filter(pk=partner.pk).first()
    _refuse_own_duplicate(deal, today=timezone.localdate())
    deal.save()
    deal_check_overlaps(deal=deal, today=timezone.localdate(), notify=notify)
    return deal


def _locked(deal: DealRegistration) -> DealRegistration:
    return D.objects.select_for_update(of=("self",)).select_related("partner").get(pk=deal.pk)


@transaction.atomic
def deal_update(*, deal: DealRegistration, data: dict[str, Any]) -> DealRegistration:
    """Correct a registration still waiting for a decision."""
    locked = _locked(deal)
    if locked.status != D.Status.SUBMITTED:
        raise ValidationError(
            f"A registration that is {locked.get_status_display().lower()} cannot be edited."
        )
    before = (locked.domain_key, locked.name_key, locked.country)
    for field in DEAL_FIELDS:
        if field in data:
            setattr(locked, field, data[field])
    _apply_keys(locked)
    blocking = list(open_cases_of(locked))
    if blocking and (locked.domain_key, locked.name_key, locked.country) != before:
        # The case was opened about this customer: changing who it is would
        # leave it describing another one, and still blocking the approval.
        refs = ", ".join(f"#{c.pk}" for c in blocking)
        raise ValidationError(
            {
                "customer_name": f"This registration is in an open conflict case ({refs}) "
                "about its customer: the customer cannot change until the case is closed. "
                "Add a note to the case instead."
            }
        )
    locked.full_clean()
    Partner.objects.select_for_update().filter(pk=locked.partner_id).first()
    _refuse_own_duplicate(locked, today=timezone.localdate())
    locked.save()
    deal_check_overlaps(deal=locked, today=timezone.localdate())
    return locked


def open_cases_of(deal: DealRegistration) -> QuerySet[ConflictCase]:
    return deal.conflicts.filter(status__in=ConflictCase.OPEN_STATUSES).order_by("pk")


@transaction.atomic
def deal_approve(
    *,
    deal: DealRegistration,
    by: User | None,
    expires_on: date | None = None,
    note: str = "",
    on: date | None = None,
) -> DealRegistration:
    """Approve a submitted registration: it then holds its customer until
    `expires_on` (default: 90 days from today). Refused while an overlap case
    about it is open: a conflict is decided in its case, not by the approval."""
    today = on or timezone.localdate()
    locked = _locked(deal)
    if locked.status != D.Status.SUBMITTED:
        raise ValidationError(
            f"Only a submitted registration can be approved; this one is "
            f"{locked.get_status_display().lower()}."
        )
    if locked.expires_on < today:
        raise ValidationError("This registration has expired; register it again.")
    # A registration submitted meanwhile by another partner may collide now.
    deal_check_overlaps(deal=locked, today=today)
    blocking = list(open_cases_of(locked))
    if blocking:
        refs = ", ".join(f"#{c.pk}" for c in blocking)
        raise ValidationError(
            f"This registration is in an open conflict case ({refs}): resolve it first."
        )
    until = expires_on or default_expiry(today)
    if until < today:
        raise ValidationError({"expires_on": "The registration cannot expire in the past."})
    locked.status = D.Status.APPROVED
    locked.decided_on, locked.decided_by = today, by
    locked.decision_note = note.strip()
    locked.expires_on = until
    locked.full_clean()
    locked.save()
    deal_decided.send(sender=DealRegistration, deal=locked)
    return locked


@transaction.atomic
def deal_reject(
    *, deal: DealRegistration, by: User | None, note: str, on: date | None = None
) -> DealRegistration:
    locked = _locked(deal)
    if locked.status != D.Status.SUBMITTED:
        raise ValidationError(
            f"Only a submitted registration can be rejected; this one is "
            f"{locked.get_status_display().lower()}."
        )
    if not note.strip():
        raise ValidationError({"note": "Say why the registration is rejected."})
    locked.status = D.Status.REJECTED
    locked.decided_on, locked.decided_by = on or timezone.localdate(), by
    locked.decision_note = note.strip()
    locked.save()
    deal_decided.send(sender=DealRegistration, deal=locked)
    return locked


KEEP_NONE = "none"  # reject every registration of the case
KEEP_LATER = "later"  # close the case, decide the registrations later


@transaction.atomic
def overlap_case_close(
    *,
    case: ConflictCase,
    status: str,
    resolution: str,
    keep: str,
    rule_agreed: str = "",
    by: User | None,
    on: date | None = None,
) -> tuple[ConflictCase, list[DealRegistration]]:
    """Close a deal-overlap case and decide its registrations in the same step.

    `keep` is the pk of the registration that keeps the customer (approved;
    every other submitted one of the case rejected with the case's outcome as
    the reason), KEEP_NONE (all rejected) or KEEP_LATER (left submitted).
    One transaction: if a registration cannot be decided (it sits in another
    open case, it expired), nothing is closed and the error says why.
    """
    closed = conflict_close(
        case=case, status=status, resolution=resolution, rule_agreed=rule_agreed, by=by
    )
    if keep == KEEP_LATER:
        return closed, []
    pending = list(closed.deals.filter(status=D.Status.SUBMITTED).order_by("pk"))
    if keep != KEEP_NONE and not any(str(d.pk) == keep for d in pending):
        raise ValidationError(
            {"keep": "Choose one of the case's registrations awaiting a decision."}
        )
    winner = next((d for d in pending if str(d.pk) == keep), None)
    reason = f"Conflict case #{closed.pk}: " + (
        f"{winner.partner.name} keeps the customer. {closed.resolution}"
        if winner
        else closed.resolution
    )
    decided = []
    for deal in pending:
        try:
            if deal == winner:
                decided.append(deal_approve(deal=deal, by=by, note=reason[:500], on=on))
            else:
                decided.append(deal_reject(deal=deal, by=by, note=reason[:500], on=on))
        except ValidationError as exc:
            raise ValidationError(
                {"keep": f"{deal.partner.name}'s registration: {' '.join(exc.messages)}"}
            ) from exc
    return closed, decided


def deals_expire(*, today: date) -> int:
    """Mark registrations past their expiry as expired; returns how many.
    One conditional UPDATE: running it twice, or twice at once, is harmless."""
    return D.objects.filter(status__in=D.ACTIVE_STATUSES, expires_on__lt=today).update(
        status=D.Status.EXPIRED, updated_at=timezone.now()
    )
