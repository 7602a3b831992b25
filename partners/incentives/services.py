"""Incentive programmes: terms, enrolments, fund claims and payouts.

Every change that alters what a programme costs (terms, enrolments, approved
claims) tells the KPI engine (the `incentive_costs_changed` signal), which recomputes
the accruals and the channel's incentive_cost once the transaction commits.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from channelhub.lib.dates import validate_business_date
from channelhub.metrics.display import money
from partners.directory.models import Partner
from partners.extensions import claim_decided, incentive_costs_changed

from .models import IncentivePayout, IncentiveProgram, MdfClaim, ProgramEnrollment, RebateBracket
from .selectors import mdf_funds_left, mdf_period_label

PROGRAM_FIELDS = (
    "name",
    "kind",
    "description",
    "channel",
    "tier",
    "accrual_period",
    "start_date",
    "end_date",
    "rebate_rate",
    "rebate_threshold",
    "spiff_per_unit",
    "mdf_allocation",
)


def _program_changed(program: IncentiveProgram, user: User | None) -> None:
    """Recompute the accruals of everyone enrolled, over the programme's window."""
    channel_ids = sorted(set(program.enrollments.values_list("partner__channel_id", flat=True)))
    if channel_ids:
        end = program.end_date or timezone.localdate()
        incentive_costs_changed.send(
            sender=IncentiveProgram,
            channel_ids=channel_ids,
            start=program.start_date,
            end=max(end, program.start_date),
            requested_by=user,
        )


def _set_brackets(program: IncentiveProgram, brackets: list[tuple[Decimal, Decimal]]) -> None:
    bounds = [lower for lower, _ in brackets]
    if len(set(bounds)) != len(bounds):
        raise ValidationError({"brackets": "Two brackets start at the same revenue."})
    program.brackets.all().delete()
    RebateBracket.objects.bulk_create(
        RebateBracket(program=program, from_revenue=lower, rate=rate)
        for lower, rate in sorted(brackets)
    )


@transaction.atomic
def program_create(
    *,
    data: dict[str, Any],
    brackets: list[tuple[Decimal, Decimal]] | None = None,
    created_by: User | None = None,
    owner: User | None = None,
) -> IncentiveProgram:
    """A new programme, owned by `owner` (by default whoever creates it)."""
    program = IncentiveProgram(
        created_by=created_by,
        owner=owner or created_by,
        **{f: data[f] for f in PROGRAM_FIELDS if f in data},
    )
    _check_rebate_terms(program, brackets)
    program.full_clean()
    program.save()
    if brackets:
        _set_brackets(program, brackets)
    return program


@transaction.atomic
def program_update(
    *,
    program: IncentiveProgram,
    data: dict[str, Any],
    brackets: list[tuple[Decimal, Decimal]] | None = None,
    user: User | None = None,
) -> IncentiveProgram:
    """Change the terms; everyone's accruals are recomputed under the new terms.
    An "owner" in `data` hands the programme over (the caller checks who may)."""
    for field in PROGRAM_FIELDS:
        if field in data:
            setattr(program, field, data[field])
    if "owner" in data:
        program.owner = data["owner"]
    _check_rebate_terms(program, brackets)
    program.full_clean()
    program.save()
    if brackets is not None:
        _set_brackets(program, brackets)
    for enrollment in program.enrollments.select_related("partner"):
        if not program.eligible(enrollment.partner):
            raise ValidationError(
                f"{enrollment.partner} is enrolled but would no longer be eligible: "
                "end their enrolment first."
            )
    _program_changed(program, user)
    return program


def _check_rebate_terms(
    program: IncentiveProgram, brackets: list[tuple[Decimal, Decimal]] | None
) -> None:
    if (
        program.kind == IncentiveProgram.Kind.REBATE
        and program.rebate_rate is None
        and not brackets
    ):
        existing = program.pk and program.brackets.exists() and brackets is None
        if not existing:
            raise ValidationError({"rebate_rate": "A rebate needs a rate, or brackets of rates."})


@transaction.atomic
def enrollment_add(
    *,
    program: IncentiveProgram,
    partner: Partner,
    start_date: date | None = None,
    created_by: User | None = None,
) -> ProgramEnrollment:
    if not program.eligible(partner):
        scope = program.channel or program.tier
        raise ValidationError({"partner": f"{partner} is not a partner of {scope}."})
    if partner.status == Partner.Status.OFFBOARDED:
        raise ValidationError({"partner": f"{partner} is offboarded: it joins no programme."})
    if program.enrollments.filter(partner=partner).exists():
        raise ValidationError({"partner": f"{partner} is already enrolled."})
    enrollment = ProgramEnrollment(
        program=program,
        partner=partner,
        start_date=max(start_date or program.start_date, program.start_date),
        created_by=created_by,
    )
    enrollment.full_clean()
    enrollment.save()
    _program_changed(program, created_by)
    return enrollment


@transaction.atomic
def enrollment_end(
    *, enrollment: ProgramEnrollment, end_date: date, user: User | None = None
) -> ProgramEnrollment:
    enrollment.end_date = end_date
    enrollment.full_clean()
    enrollment.save(update_fields=["end_date"])
    _program_changed(enrollment.program, user)
    return enrollment


def mdf_remaining(*, program: IncentiveProgram, partner: Partner, day: date) -> Decimal:
    """The partner's fund left in the accrual period of `day` counting approved
    claims only (what approving one more may spend)."""
    left = mdf_funds_left(
        program=program, day=day, partner_ids=[partner.pk], counting=(MdfClaim.Status.APPROVED,)
    )
    return left.get(partner.pk, program.mdf_allocation or Decimal(0))


CLAIM_AMOUNT_ABOVE_ZERO = "Claim an amount above 0."


def check_claim_amount(amount: Decimal | None) -> None:
    """The rule the database's claim_amount_positive holds, in words."""
    if amount is None or amount <= 0:
        raise ValidationError({"amount": CLAIM_AMOUNT_ABOVE_ZERO})


@transaction.atomic
def claim_submit(
    *,
    program: IncentiveProgram,
    partner: Partner,
    activity_date: date,
    amount: Decimal,
    description: str,
    created_by: User | None = None,
) -> MdfClaim:
    # The partner's enrolment, locked: two claims sent at once (a double
    # submit) are checked one after the other against the fund left.
    ProgramEnrollment.objects.select_for_update().filter(program=program, partner=partner).first()
    claim_check(
        program=program,
        partner=partner,
        activity_date=activity_date,
        amount=amount,
        description=description,
    )
    claim = MdfClaim(
        program=program,
        partner=partner,
        activity_date=activity_date,
        amount=amount,
        description=description,
        created_by=created_by,
    )
    claim.full_clean()
    claim.save()
    return claim


def claim_check(
    *,
    program: IncentiveProgram,
    partner: Partner,
    activity_date: date,
    amount: Decimal,
    description: str,
) -> None:
    """The rules a claim must meet to be sent (a ValidationError, by field,
    for the first it breaks); asked on its own where a form has other errors
    too, so that they are all said at once."""
    if program.kind != IncentiveProgram.Kind.MDF:
        raise ValidationError("Claims are for market development funds only.")
    if not ProgramEnrollment.objects.filter(program=program, partner=partner).exists():
        raise ValidationError({"partner": f"{partner} is not enrolled in this fund."})
    if activity_date < program.start_date or (
        program.end_date and activity_date > program.end_date
    ):
        raise ValidationError({"activity_date": "The activity must fall inside the fund's dates."})
    if activity_date > timezone.localdate():
        raise ValidationError(
            {"activity_date": "A claim is for an activity that took place: this date is to come."}
        )
    since = partner.status_since
    if partner.status == Partner.Status.OFFBOARDED and (since is None or activity_date >= since):
        # Activities before it left may still be settled.
        raise ValidationError(
            {
                "activity_date": f"{partner} was offboarded on {since:%Y-%m-%d}: only "
                "activities before that day can be claimed."
                if since
                else f"{partner} is offboarded: it claims nothing more."
            }
        )
    check_claim_amount(amount)
    same = MdfClaim.objects.filter(
        program=program,
        partner=partner,
        activity_date=activity_date,
        amount=amount,
        description=description,
        status=MdfClaim.Status.SUBMITTED,
    ).first()
    if same is not None:
        raise ValidationError(
            f"The same claim (activity on {activity_date:%Y-%m-%d}, {money(amount)}) "
            f"was sent on {timezone.localtime(same.created_at):%Y-%m-%d at %H:%M} and awaits "
            "a decision: it is not sent twice."
        )
    # Refused now, not at approval: the fund left counts the claims still
    # waiting for a decision, so two claims cannot both spend the same money.
    left = mdf_funds_left(program=program, day=activity_date, partner_ids=[partner.pk]).get(
        partner.pk, Decimal(0)
    )
    if amount > left:
        raise ValidationError(
            {
                "amount": (
                    f"Only {money(max(left, Decimal(0)))} of {partner.name}'s fund is left for "
                    f"{mdf_period_label(program, activity_date)} (claims approved or awaiting "
                    f"a decision count); claim at most that."
                )
            }
        )


@transaction.atomic
def claim_decide(*, claim: MdfClaim, approve: bool, user: User, note: str = "") -> MdfClaim:
    """Approve (within the partner's remaining fund) or reject a claim."""
    claim = (
        MdfClaim.objects.select_for_update().select_related("program", "partner").get(pk=claim.pk)
    )
    if claim.status != MdfClaim.Status.SUBMITTED:
        raise ValidationError(f"This claim was already {claim.get_status_display().lower()}.")
    if claim.created_by_id is not None and claim.created_by_id == user.pk:
        # Four eyes: whoever asks for the money does not grant it.
        raise ValidationError(
            "You submitted this claim: another marketing manager or an administrator decides it."
        )
    if approve:
        # A claim stored before dates had a window (9999-12-31) has no fund
        # period to approve against: it can only be rejected.
        try:
            validate_business_date(claim.activity_date)
        except ValidationError as exc:
            raise ValidationError(
                f"This claim's activity date {exc.messages[0].split(':')[0]}: "
                "reject it and ask for a claim with the real date."
            ) from exc
        remaining = mdf_remaining(
            program=claim.program, partner=claim.partner, day=claim.activity_date
        )
        if claim.amount > remaining:
            raise ValidationError(
                f"The claim ({claim.amount:,.2f}) exceeds the fund left for this period "
                f"({max(remaining, Decimal(0)):,.2f})."
            )
    claim.status = MdfClaim.Status.APPROVED if approve else MdfClaim.Status.REJECTED
    claim.decided_by = user
    claim.decided_at = timezone.now()
    claim.decision_note = note
    claim.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    claim_decided.send(sender=MdfClaim, claim=claim)
    if approve:
        incentive_costs_changed.send(
            sender=IncentiveProgram,
            channel_ids=[claim.partner.channel_id],
            start=claim.activity_date,
            end=claim.activity_date,
            requested_by=user,
        )
    return claim


@transaction.atomic
def payout_record(
    *,
    program: IncentiveProgram,
    partner: Partner,
    period_start: date,
    period_end: date,
    amount: Decimal,
    paid_on: date,
    reference: str = "",
    recorded_by: User | None = None,
) -> IncentivePayout:
    if not program.enrollments.filter(partner=partner).exists():
        raise ValidationError({"partner": f"{partner} is not enrolled in this programme."})
    payout = IncentivePayout(
        program=program,
        partner=partner,
        period_start=period_start,
        period_end=period_end,
        amount=amount,
        paid_on=paid_on,
        reference=reference,
        recorded_by=recorded_by,
    )
    payout.full_clean()
    payout.save()
    return payout
