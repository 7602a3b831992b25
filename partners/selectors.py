"""Reads of partners and what is kept about them, limited to what the user may see.

The "needs attention" rules (reviews due, contracts ending, certifications
expiring, follow-ups overdue, active without a contract) are written once
here, as querysets over a set of partners; pages, the home panel and the
daily flags job all use them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from channelhub.lib.roles import has_any_role

from .models import (
    Certification,
    ConflictCase,
    Contract,
    IncentivePayout,
    IncentiveProgram,
    Interaction,
    OnboardingStep,
    Partner,
    PartnerFlag,
    PartnerReview,
    ProgramEnrollment,
    ReviewActionItem,
)
from .models.activity import REVIEW_CRITERIA

CONTRACT_ENDING_DAYS = 60
CERTIFICATION_EXPIRING_DAYS = 30
REVIEW_DUE_SOON_DAYS = 14
# Partners we review and expect to be under contract; prospects, partners in
# onboarding, suspended and offboarded ones are not.
ACTIVE_STATUSES = (Partner.Status.ACTIVE, Partner.Status.AT_RISK)


def visible_partners(*, user: Any) -> QuerySet[Partner]:
    """Every partner the user may see (all of them for any role, none without)."""
    if not has_any_role(user):
        return Partner.objects.none()
    return Partner.objects.all()


def _count_subquery(qs: QuerySet[Any]) -> Subquery:
    # A correlated COUNT per row: several of these on one list do not multiply
    # each other's rows the way several JOIN + COUNTs would.
    return Subquery(
        qs.order_by().values("partner").annotate(n=Count("pk")).values("n")[:1],
        output_field=IntegerField(),
    )


def with_progress(qs: QuerySet[Partner]) -> QuerySet[Partner]:
    steps = OnboardingStep.objects.filter(partner=OuterRef("pk"))
    return qs.annotate(
        onboarding_total=Coalesce(_count_subquery(steps), Value(0)),
        onboarding_done=Coalesce(_count_subquery(steps.filter(done_on__isnull=False)), Value(0)),
    )


def partner_list(*, user: Any) -> QuerySet[Partner]:
    """The directory: one query for the page, however many partners it shows."""
    return (
        with_progress(visible_partners(user=user))
        .select_related("channel", "manager", "tier")
        .prefetch_related(
            "territories", Prefetch("flags", queryset=PartnerFlag.objects.order_by("kind"))
        )
        .annotate(
            # No tier sorts as the lowest on SQLite and PostgreSQL alike
            # (they disagree on where NULLs go).
            tier_rank=Coalesce("tier__rank", Value(-1)),
            last_interaction_on=Subquery(
                Interaction.objects.filter(partner=OuterRef("pk"))
                .order_by("-occurred_on")
                .values("occurred_on")[:1]
            ),
        )
        .order_by("name", "slug")
    )


def partner_detail_queryset(*, user: Any) -> QuerySet[Partner]:
    return with_progress(visible_partners(user=user)).select_related("channel", "manager", "tier")


def onboarding_percent(partner: Partner) -> int | None:
    total = getattr(partner, "onboarding_total", None)
    done = getattr(partner, "onboarding_done", None)
    if total is None or done is None:
        steps = list(partner.onboarding_steps.all())
        total, done = len(steps), sum(1 for s in steps if s.done_on)
    return round(100 * done / total) if total else None


# --- what needs attention ------------------------------------------------------


def reviews_due(
    *, partners: QuerySet[Partner], today: date, within_days: int = REVIEW_DUE_SOON_DAYS
) -> QuerySet[Partner]:
    """Partners whose next review is overdue or due within `within_days`, soonest first."""
    return (
        partners.filter(status__in=ACTIVE_STATUSES, next_review_on__isnull=False)
        .filter(next_review_on__lte=today + timedelta(days=within_days))
        .select_related("manager", "tier", "channel")
        .order_by("next_review_on", "name")
    )


def reviews_overdue(*, partners: QuerySet[Partner], today: date) -> QuerySet[Partner]:
    return reviews_due(partners=partners, today=today, within_days=0).filter(
        next_review_on__lt=today
    )


def follow_ups_overdue(*, partners: QuerySet[Partner], today: date) -> QuerySet[Interaction]:
    return (
        Interaction.objects.filter(
            partner__in=partners,
            follow_up_on__lt=today,
            follow_up_done_on__isnull=True,
        )
        .exclude(partner__status=Partner.Status.OFFBOARDED)
        .select_related("partner", "partner__manager", "logged_by")
        .order_by("follow_up_on", "pk")
    )


def contracts_ending(
    *, partners: QuerySet[Partner], today: date, within_days: int = CONTRACT_ENDING_DAYS
) -> QuerySet[Contract]:
    """Contracts in force today that end within `within_days`."""
    return (
        Contract.objects.filter(
            partner__in=partners,
            start_on__lte=today,
            end_on__gte=today,
            end_on__lte=today + timedelta(days=within_days),
        )
        .exclude(partner__status=Partner.Status.OFFBOARDED)
        .select_related("partner", "partner__manager")
        .order_by("end_on", "pk")
    )


def valid_contracts(*, today: date) -> QuerySet[Contract]:
    return Contract.objects.filter(kind__in=Contract.COMMERCIAL_KINDS, start_on__lte=today).filter(
        Q(end_on__isnull=True) | Q(end_on__gte=today)
    )


def partners_without_valid_contract(
    *, partners: QuerySet[Partner], today: date
) -> QuerySet[Partner]:
    in_force = valid_contracts(today=today).filter(partner=OuterRef("pk"))
    return (
        partners.filter(status=Partner.Status.ACTIVE)
        .exclude(Exists(in_force))
        .select_related("manager", "channel")
        .order_by("name")
    )


def certifications_expiring(
    *, partners: QuerySet[Partner], today: date, within_days: int = CERTIFICATION_EXPIRING_DAYS
) -> QuerySet[Certification]:
    """Certifications still valid today that expire within `within_days`, unless
    the person already holds the same certification for longer (renewed)."""
    renewed = Certification.objects.filter(
        contact=OuterRef("contact"), name=OuterRef("name"), expires_on__gt=OuterRef("expires_on")
    )
    return (
        Certification.objects.filter(
            contact__partner__in=partners,
            expires_on__gte=today,
            expires_on__lte=today + timedelta(days=within_days),
        )
        .exclude(Exists(renewed))
        .exclude(contact__partner__status=Partner.Status.OFFBOARDED)
        .select_related("contact", "contact__partner", "contact__partner__manager")
        .order_by("expires_on", "pk")
    )


def open_action_items(*, partners: QuerySet[Partner]) -> QuerySet[ReviewActionItem]:
    return (
        ReviewActionItem.objects.filter(review__partner__in=partners, done_on__isnull=True)
        .select_related("review", "review__partner")
        .order_by("due_on", "pk")
    )


def managed_by(partners: QuerySet[Partner], manager: Any) -> QuerySet[Partner]:
    return partners.filter(manager=manager) if manager else partners


def today_for_user(*, user: Any, today: date) -> dict[str, Any] | None:
    """The home panel of a partner manager: what needs them today. None for
    users who manage no partner (they get no panel)."""
    mine = visible_partners(user=user).filter(manager=user)
    if not mine.exists():
        return None
    follow_ups = list(follow_ups_overdue(partners=mine, today=today)[:10])
    due = list(reviews_due(partners=mine, today=today)[:10])
    contracts = list(contracts_ending(partners=mine, today=today)[:10])
    uncovered = list(partners_without_valid_contract(partners=mine, today=today)[:10])
    certifications = list(certifications_expiring(partners=mine, today=today)[:10])
    actions = list(open_action_items(partners=mine).filter(due_on__lte=today)[:10])
    return {
        "today": today,
        "follow_ups": follow_ups,
        "reviews": due,
        "contracts": contracts,
        "uncovered": uncovered,
        "certifications": certifications,
        "actions": actions,
        "count": len(follow_ups)
        + len(due)
        + len(contracts)
        + len(uncovered)
        + len(certifications)
        + len(actions),
    }


# --- the partner page ----------------------------------------------------------


def review_list(*, partner: Partner) -> QuerySet[PartnerReview]:
    return (
        PartnerReview.objects.filter(partner=partner)
        .select_related("author")
        .prefetch_related("action_items")
        .order_by("-reviewed_on", "-pk")
    )


def review_score_frame(*, partner: Partner) -> pd.DataFrame:
    """One row per review, oldest first: reviewed_on, overall and each criterion."""
    fields = ["reviewed_on", "overall", *(name for name, _label in REVIEW_CRITERIA)]
    rows = list(
        PartnerReview.objects.filter(partner=partner)
        .order_by("reviewed_on", "pk")
        .values_list(*fields)
    )
    frame = pd.DataFrame(rows, columns=fields)
    if not frame.empty:
        frame["overall"] = frame["overall"].astype(float)
    return frame


def partner_scorecard(*, partner: Partner, today: date) -> dict[str, Any]:
    last_review = PartnerReview.objects.filter(partner=partner).order_by("-reviewed_on").first()
    last_interaction = (
        Interaction.objects.filter(partner=partner, occurred_on__lte=today)
        .aggregate(last=Max("occurred_on"))
        .get("last")
    )
    certifications = Certification.objects.filter(contact__partner=partner)
    return {
        "onboarding_percent": onboarding_percent(partner),
        "certifications_valid": certifications.filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=today)
        ).count(),
        "certifications_expiring": certifications_expiring(
            partners=Partner.objects.filter(pk=partner.pk), today=today
        ).count(),
        "last_review": last_review,
        "open_action_items": ReviewActionItem.objects.filter(
            review__partner=partner, done_on__isnull=True
        ).count(),
        "last_interaction_on": last_interaction,
        "days_since_interaction": (today - last_interaction).days if last_interaction else None,
    }


# --- Incentive programmes --------------------------------------------------------------


def _accrual_model() -> Any:
    # Accruals are rows of the KPI engine (kpis.IncentiveAccrual, a layer above):
    # read through the relation it declares on the program, never by importing it.
    return IncentiveProgram._meta.get_field("accruals").related_model


def program_list(*, user: Any) -> QuerySet[IncentiveProgram]:
    """Programmes with enrolment count, total accrued and total paid (subqueries,
    so the figures do not multiply each other): one query for the page."""
    IncentiveAccrual = _accrual_model()

    if not has_any_role(user):
        return IncentiveProgram.objects.none()

    def total(model: Any, field: str) -> Any:
        rows = model.objects.filter(program=OuterRef("pk")).order_by().values("program")
        return Coalesce(Subquery(rows.annotate(t=Sum(field)).values("t")), Value(0))

    return IncentiveProgram.objects.select_related("channel", "tier").annotate(
        enrolled=Coalesce(
            Subquery(
                ProgramEnrollment.objects.filter(program=OuterRef("pk"))
                .order_by()
                .values("program")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            Value(0),
        ),
        accrued_cents=total(IncentiveAccrual, "amount"),
        paid_cents=total(IncentivePayout, "amount"),
    )


def program_partner_totals(*, program: IncentiveProgram) -> list[dict[str, Any]]:
    """Per enrolled partner: accrued (and how much is provisional), paid, balance."""
    IncentiveAccrual = _accrual_model()

    accrued = {
        row["partner_id"]: row
        for row in IncentiveAccrual.objects.filter(program=program)
        .values("partner_id")
        .annotate(total=Sum("amount"), provisional=Sum("amount", filter=Q(provisional=True)))
    }
    paid = dict(
        IncentivePayout.objects.filter(program=program)
        .values("partner_id")
        .annotate(total=Sum("amount"))
        .values_list("partner_id", "total")
    )
    rows = []
    for enrollment in program.enrollments.select_related("partner__manager").order_by(
        "partner__name"
    ):
        a: dict[str, Any] = dict(accrued.get(enrollment.partner_id) or {})
        total_accrued = a.get("total") or Decimal(0)
        total_paid = paid.get(enrollment.partner_id) or Decimal(0)
        rows.append(
            {
                "enrollment": enrollment,
                "partner": enrollment.partner,
                "accrued": total_accrued,
                "provisional": a.get("provisional") or Decimal(0),
                "paid": total_paid,
                "balance": total_accrued - total_paid,
            }
        )
    return rows


def partner_incentives(*, partner: Partner) -> list[dict[str, Any]]:
    """The programmes a partner is enrolled in, with its accrued and paid totals."""
    IncentiveAccrual = _accrual_model()

    accrued = dict(
        IncentiveAccrual.objects.filter(partner=partner)
        .values("program_id")
        .annotate(total=Sum("amount"))
        .values_list("program_id", "total")
    )
    paid = dict(
        IncentivePayout.objects.filter(partner=partner)
        .values("program_id")
        .annotate(total=Sum("amount"))
        .values_list("program_id", "total")
    )
    return [
        {
            "program": e.program,
            "enrollment": e,
            "accrued": accrued.get(e.program_id) or Decimal(0),
            "paid": paid.get(e.program_id) or Decimal(0),
        }
        for e in partner.enrollments.select_related("program").order_by("-program__start_date")
    ]

    return []


# --- conflicts (for dashboards and the attention list) ------------------------------


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
