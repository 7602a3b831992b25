"""Incentive accruals (METRICS.md section 5): what each programme costs.

Computed by the recompute job before it aggregates snapshots, for the partners
of the run's channels: the partners' revenue and units are summed by SQL per
enrolment and accrual period (or day); the few resulting rows get their
amounts from channelhub.metrics.formulas, exactly, rounded to cents. Accruals enter the
snapshots as `incentive_cost` on the day they are dated on.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from channelhub.lib.dates import FACTS_STORED_END, FACTS_STORED_FIRST
from channelhub.lib.fields import from_cents
from channelhub.metrics import periods
from channelhub.metrics.formulas import rebate_amount
from kpis.models import IncentiveAccrual
from partners.models import IncentiveProgram, MdfClaim, ProgramEnrollment

from . import sql

Kind = IncentiveProgram.Kind


def _range(start: date | None, end: date | None) -> tuple[date, date] | None:
    """Accrual periods are months or fiscal quarters: work on whole quarters."""
    if start is None or end is None:
        return None
    return periods.snap_range("quarter", start, end)


def accruals_recompute(
    *, channel_ids: list[int], start: date | None, end: date | None
) -> tuple[date, date] | None:
    """Rewrite the accruals of these channels' partners over [start, end]
    widened to whole quarters (all time when None). Returns the span of the
    days the old and new accruals are dated on, or None when there are none:
    the run's snapshot scope must cover it."""
    bounds = _range(start, end)
    in_scope = Q(channel_id__in=channel_ids)
    if bounds:
        in_scope &= Q(period_end__gte=bounds[0], period_start__lte=bounds[1])
    old = IncentiveAccrual.objects.filter(in_scope)
    enrollments = {
        e.pk: e
        for e in ProgramEnrollment.objects.select_related("program", "partner").filter(
            partner__channel_id__in=channel_ids
        )
    }
    if not enrollments and not old.exists():
        return None
    spans = [d for pair in old.values_list("period_start", "accrued_on") for d in pair]
    fresh = [
        *_rebates(enrollments, bounds),
        *_spiffs(enrollments, bounds),
        *_mdf(enrollments, bounds),
    ]
    old.delete()
    IncentiveAccrual.objects.bulk_create(fresh)
    spans += [d for a in fresh for d in (a.period_start, a.accrued_on)]
    return (min(spans), max(spans)) if spans else None


def _fact_sums(
    enrollments: dict[int, ProgramEnrollment], kind: str, group: str, measure: str,
    bounds: tuple[date, date] | None, extra: str = "",
) -> list[tuple[Any, ...]]:  # fmt: skip
    """SUM(measure) of each enrolled partner's facts inside the programme's and
    the enrolment's windows, grouped by enrolment and `group`."""
    ids = sql.placeholders([pk for pk, e in enrollments.items() if e.program.kind == kind])
    if not ids:
        return []
    day_filter = f"AND f.day BETWEEN '{bounds[0]}' AND '{bounds[1]}'" if bounds else ""
    # Only days the facts table may hold: a row dated 9999-12-31 (written behind
    # the import's back) would make a period ending in year 10000. The run
    # counts and names such rows (kpis.engine.recompute).
    day_filter += f" AND f.day >= '{FACTS_STORED_FIRST}' AND f.day < '{FACTS_STORED_END}'"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.id, {group} AS slot, SUM(f.{measure}) "
            "FROM partners_programenrollment e "
            "JOIN partners_incentiveprogram g ON g.id = e.program_id "
            "JOIN partners_partner p ON p.id = e.partner_id "
            "JOIN kpis_dailyfact f ON f.channel_id = p.channel_id AND f.partner_key = p.id "
            f"WHERE e.id IN ({ids}) {extra} {day_filter} "
            "AND f.day >= g.start_date AND f.day >= e.start_date "
            "AND (g.end_date IS NULL OR f.day <= g.end_date) "
            "AND (e.end_date IS NULL OR f.day <= e.end_date) "
            "GROUP BY e.id, slot",
            [],
        )
        return cursor.fetchall()


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _rebates(
    enrollments: dict[int, ProgramEnrollment], bounds: tuple[date, date] | None
) -> list[IncentiveAccrual]:
    fy = periods.fiscal_start_month()
    today = timezone.localdate()
    brackets: dict[int, list[tuple[Decimal, Decimal]]] = {}
    for e in enrollments.values():
        if e.program.kind == Kind.REBATE and e.program_id not in brackets:
            brackets[e.program_id] = [(b.from_revenue, b.rate) for b in e.program.brackets.all()]
    accruals = []
    for kind in ("month", "quarter"):
        rows = _fact_sums(
            enrollments, Kind.REBATE, sql.period_start_sql(kind, "f.day", fy), "revenue", bounds,
            extra=f"AND g.accrual_period = '{kind}'",
        )  # fmt: skip
        for enrollment_id, slot, cents in rows:
            e = enrollments[enrollment_id]
            revenue = from_cents(int(cents)) or Decimal(0)
            start = _as_date(slot)
            end = periods.period_end(kind, start)
            accruals.append(
                IncentiveAccrual(
                    program=e.program, partner=e.partner, channel_id=e.partner.channel_id,
                    period_start=start, period_end=end, accrued_on=end, base_revenue=revenue,
                    amount=rebate_amount(
                        revenue, rate=e.program.rebate_rate, threshold=e.program.rebate_threshold,
                        brackets=brackets[e.program_id],
                    ),
                    provisional=end >= today,
                )
            )  # fmt: skip
    return accruals


def _spiffs(
    enrollments: dict[int, ProgramEnrollment], bounds: tuple[date, date] | None
) -> list[IncentiveAccrual]:
    accruals = []
    for enrollment_id, day, units in _fact_sums(enrollments, Kind.SPIFF, "f.day", "units", bounds):
        if not units:
            continue
        e = enrollments[enrollment_id]
        the_day = _as_date(day)
        per_unit = e.program.spiff_per_unit or Decimal(0)
        accruals.append(
            IncentiveAccrual(
                program=e.program, partner=e.partner, channel_id=e.partner.channel_id,
                period_start=the_day, period_end=the_day, accrued_on=the_day,
                base_units=int(units), amount=per_unit * int(units),
            )
        )  # fmt: skip
    return accruals


def _mdf(
    enrollments: dict[int, ProgramEnrollment], bounds: tuple[date, date] | None
) -> list[IncentiveAccrual]:
    keys = {
        (e.program_id, e.partner_id): e for e in enrollments.values() if e.program.kind == Kind.MDF
    }
    if not keys:
        return []
    claims = MdfClaim.objects.filter(
        status=MdfClaim.Status.APPROVED,
        program_id__in={p for p, _ in keys},
        partner_id__in={p for _, p in keys},
    )
    if bounds:
        claims = claims.filter(activity_date__range=bounds)
    accruals = []
    for claim in claims:
        e = keys.get((claim.program_id, claim.partner_id))
        if e is None:
            continue
        accruals.append(
            IncentiveAccrual(
                program=e.program, partner=e.partner, channel_id=e.partner.channel_id,
                period_start=claim.activity_date, period_end=claim.activity_date,
                accrued_on=claim.activity_date, claim_key=claim.pk, amount=claim.amount,
            )
        )  # fmt: skip
    return accruals
