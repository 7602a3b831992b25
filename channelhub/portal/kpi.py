"""The portal's one door into the KPI engine: the partner's own sales and ROI.

Kept to this module so that the engine's layout can change (kpis is being
split into packages) with one place to follow here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q

from channelhub.metrics import periods
from channelhub.metrics.formulas import Components, gross_profit, rebate_amount, roi, total_cost
from kpis.engine.selectors import partner_month_rows
from kpis.models import IncentiveAccrual
from partners.directory.models import Partner
from partners.incentives.models import IncentiveProgram, ProgramEnrollment, RebateBracket

MONTHS = 6


@dataclass(frozen=True)
class PartnerFigures:
    months: list[dict[str, Any]]  # oldest first: label, revenue, units, orders, roi, complete
    revenue: Decimal
    gross_profit: Decimal
    cost: Decimal
    roi: Decimal | None  # over the months shown; None without costs


def partner_figures(*, partner: Partner, months: int = MONTHS) -> PartnerFigures | None:
    """The partner's last `months` months with facts, from its KPI snapshots
    (a fixed number of queries); None before any facts name the partner."""
    rows = partner_month_rows(partner=partner, months=months)
    if not rows:
        return None
    total = Components.total([row.components for row in rows])
    return PartnerFigures(
        months=[
            {
                "label": row.label,
                "revenue": row.values["revenue"],
                "units": row.values["units"],
                "orders": row.values["orders"],
                "roi": row.values["roi"],
                "complete": row.complete,
            }
            for row in rows
        ],
        revenue=total.revenue,
        gross_profit=gross_profit(total),
        cost=total_cost(total),
        roi=roi(total),
    )


@dataclass(frozen=True)
class Bracket:
    lower: Decimal
    upper: Decimal | None  # None: no upper bound
    rate: Decimal
    state: str  # "reached" (revenue above it), "current" (revenue inside it), "ahead"


@dataclass(frozen=True)
class RebateProgress:
    program: IncentiveProgram
    period: str  # "Q2 2026"
    period_end: date
    revenue: Decimal  # the partner's revenue in the open period, from the last recompute
    earned: Decimal  # the accrual so far (provisional while the period is open)
    computed_at: Any  # when the engine last computed it; None before the first run
    brackets: list[Bracket]
    next_bracket: Bracket | None
    revenue_to_next: Decimal | None
    earned_at_next: Decimal | None  # the rebate once revenue reaches the next bracket


def _brackets(program: IncentiveProgram) -> list[tuple[Decimal, Decimal]]:
    """The programme's terms as brackets: tiered ones as set; a flat rate as
    one bracket from its threshold (what rebate_amount computes either way)."""
    tiered = [(b.from_revenue, b.rate) for b in program.brackets.all()]
    if tiered:
        return tiered
    if program.rebate_rate is None:
        return []
    return [(program.rebate_threshold or Decimal(0), program.rebate_rate)]


def rebate_progress(*, partner: Partner, today: date) -> list[RebateProgress]:
    """Each rebate programme the partner is enrolled in today, with its open
    accrual period: revenue and rebate so far as the KPI engine accrued them
    (kpis.engine.accruals, METRICS.md section 5), and where the revenue stands
    against the brackets. Three queries, whatever the number of programmes."""
    enrollments = (
        ProgramEnrollment.objects.filter(
            partner=partner,
            program__kind=IncentiveProgram.Kind.REBATE,
            start_date__lte=today,
            program__start_date__lte=today,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .filter(Q(program__end_date__isnull=True) | Q(program__end_date__gte=today))
        .select_related("program")
        .prefetch_related(
            Prefetch("program__brackets", queryset=RebateBracket.objects.order_by("from_revenue"))
        )
        .order_by("program__name", "program__pk")
    )
    programs = [e.program for e in enrollments]
    accruals = {
        a.program_id: a
        for a in IncentiveAccrual.objects.filter(
            partner=partner,
            program__in=programs,
            period_start__lte=today,
            period_end__gte=today,
            claim_key=0,
        )
    }
    rows = []
    for program in programs:
        accrual = accruals.get(program.pk)
        revenue = (accrual.base_revenue if accrual else None) or Decimal(0)
        terms = _brackets(program)
        shown = []
        for i, (lower, rate) in enumerate(terms):
            upper = terms[i + 1][0] if i + 1 < len(terms) else None
            if upper is not None and revenue >= upper:
                state = "reached"
            elif revenue >= lower:
                state = "current"
            else:
                state = "ahead"
            shown.append(Bracket(lower=lower, upper=upper, rate=rate, state=state))
        ahead = next((b for b in shown if b.state == "ahead"), None)
        start = periods.period_start(program.accrual_period, today)
        rows.append(
            RebateProgress(
                program=program,
                period=periods.display_label(program.accrual_period, start),
                period_end=periods.period_end(program.accrual_period, start),
                revenue=revenue,
                earned=accrual.amount if accrual else Decimal(0),
                computed_at=accrual.computed_at if accrual else None,
                brackets=shown,
                next_bracket=ahead,
                revenue_to_next=ahead.lower - revenue if ahead else None,
                earned_at_next=(
                    rebate_amount(
                        ahead.lower,
                        rate=program.rebate_rate,
                        threshold=program.rebate_threshold or Decimal(0),
                        brackets=[(b.from_revenue, b.rate) for b in program.brackets.all()],
                    )
                    if ahead
                    else None
                ),
            )
        )
    return rows
