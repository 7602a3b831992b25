"""Reads of incentive programmes: the list with its totals, per-partner
accrued, paid and owed, and what is left of a market development fund.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from channelhub.lib.fields import CentsField
from channelhub.lib.roles import has_any_role
from channelhub.metrics import periods
from partners.directory.models import Partner

from .models import IncentivePayout, IncentiveProgram, MdfClaim, ProgramEnrollment


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
        # Money (the sum of a CentsField is read back as an amount, not cents).
        rows = model.objects.filter(program=OuterRef("pk")).order_by().values("program")
        return Coalesce(
            Subquery(rows.annotate(t=Sum(field)).values("t")), Value(0), output_field=CentsField()
        )

    return IncentiveProgram.objects.select_related("channel", "tier", "owner").annotate(
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
        accrued=total(IncentiveAccrual, "amount"),
        paid=total(IncentivePayout, "amount"),
    )


def program_partner_totals(
    *, program: IncentiveProgram, today: date | None = None
) -> list[dict[str, Any]]:
    """Per enrolled partner: accrued (and how much is provisional), paid, owed
    (accrued minus paid) and, for a fund, what is left of it in `today`'s period."""
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
    left = (
        mdf_funds_left(program=program, day=today)
        if today is not None and program.kind == IncentiveProgram.Kind.MDF
        else {}
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
                "fund_left": left.get(enrollment.partner_id),
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


def mdf_period(program: IncentiveProgram, day: date) -> tuple[date, date]:
    """The accrual period of the fund that holds `day`."""
    start = periods.period_start(program.accrual_period, day)
    return start, periods.period_end(program.accrual_period, start)


def mdf_period_label(program: IncentiveProgram, day: date) -> str:
    return periods.display_label(program.accrual_period, mdf_period(program, day)[0])


def mdf_funds_left(
    *,
    program: IncentiveProgram,
    day: date,
    partner_ids: list[int] | None = None,
    counting: tuple[str, ...] = (MdfClaim.Status.APPROVED, MdfClaim.Status.SUBMITTED),
) -> dict[int, Decimal]:
    """Per enrolled partner: the fund left in the period of `day`, that is the
    allocation minus the claims `counting` (by default those approved *and*
    those awaiting a decision: a submitted claim holds its amount until it is
    decided; approval counts the approved ones only). One query.

    The one definition used by the claim form, the programme page and the
    services that accept and approve a claim.
    """
    start, end = mdf_period(program, day)
    allocation = program.mdf_allocation or Decimal(0)
    claims = MdfClaim.objects.filter(
        program=program,
        status__in=counting,
        activity_date__range=(start, end),
    )
    if partner_ids is not None:
        claims = claims.filter(partner_id__in=partner_ids)
    used = dict(
        claims.values("partner_id").annotate(total=Sum("amount")).values_list("partner_id", "total")
    )
    enrolled = program.enrollments.values_list("partner_id", flat=True)
    if partner_ids is not None:
        enrolled = enrolled.filter(partner_id__in=partner_ids)
    return {pid: allocation - (used.get(pid) or Decimal(0)) for pid in enrolled}


def program_accruals(*, program: IncentiveProgram, limit: int = 60) -> list[Any]:
    """The latest accruals, each with `period_label`: the period it is for, in
    words ("Q1 2025"); a bonus is dated on its day and a claim on its activity."""
    accruals = list(
        program.accruals.select_related("partner").order_by("-period_start", "partner__name")[
            :limit
        ]
    )
    for accrual in accruals:
        kind = program.accrual_period if accrual.period_end != accrual.period_start else "day"
        accrual.period_label = periods.display_label(kind, accrual.period_start)  # type: ignore[attr-defined]
    return accruals
