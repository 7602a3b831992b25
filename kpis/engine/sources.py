"""Where KPI components come from: every table that feeds a snapshot.

Each source is a SELECT yielding the same columns per (channel, partner, day):
the additive components plus `is_fact` (1 for daily facts, which alone decide
a channel's "last day with facts"). The recompute aggregates their UNION ALL,
so a new source (incentive accruals, customer feedback) is one entry here and
no other SQL changes.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from channelhub.lib.fields import from_cents
from channelhub.metrics.formulas import Components

SOURCE_COLUMNS = (
    "channel_id",
    "partner_key",
    "day",
    "spend",
    "revenue",
    "cogs",
    "incentive_cost",
    "orders",
    "units",
    "leads",
    "new_customers",
    "impressions",
    "clicks",
    "inventory_value",
    "nps_promoters",
    "nps_detractors",
    "nps_responses",
    "rating_sum",
    "rating_count",
    "is_fact",
)


def facts_source(where: str) -> str:
    return (
        "SELECT channel_id, partner_key, day, spend, revenue, cogs, 0 AS incentive_cost, "
        "orders, units, leads, new_customers, impressions, clicks, inventory_value, "
        "0 AS nps_promoters, 0 AS nps_detractors, 0 AS nps_responses, 0 AS rating_sum, "
        "0 AS rating_count, 1 AS is_fact "
        f"FROM kpis_dailyfact WHERE {where}"
    )


def feedback_source(where: str) -> str:
    """Customer feedback: NPS counts (promoters 9-10, detractors 0-6) and ratings."""
    return (
        "SELECT * FROM (SELECT channel_id, COALESCE(partner_id, 0) AS partner_key, day, "
        "0 AS spend, 0 AS revenue, 0 AS cogs, 0 AS incentive_cost, 0 AS orders, 0 AS units, "
        "0 AS leads, 0 AS new_customers, 0 AS impressions, 0 AS clicks, "
        "CAST(NULL AS BIGINT) AS inventory_value, "
        "CASE WHEN score >= 9 THEN 1 ELSE 0 END AS nps_promoters, "
        "CASE WHEN score <= 6 THEN 1 ELSE 0 END AS nps_detractors, "
        "CASE WHEN score IS NOT NULL THEN 1 ELSE 0 END AS nps_responses, "
        "COALESCE(rating, 0) AS rating_sum, "
        "CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END AS rating_count, 0 AS is_fact "
        f"FROM kpis_customerfeedback) feedback WHERE {where}"
    )


def accruals_source(where: str) -> str:
    """Incentive accruals: the partner's channel pays them on the day they are dated."""
    return (
        "SELECT * FROM (SELECT channel_id, partner_id AS partner_key, accrued_on AS day, "
        "0 AS spend, 0 AS revenue, 0 AS cogs, amount AS incentive_cost, 0 AS orders, "
        "0 AS units, 0 AS leads, 0 AS new_customers, 0 AS impressions, 0 AS clicks, "
        "CAST(NULL AS BIGINT) AS inventory_value, 0 AS nps_promoters, 0 AS nps_detractors, "
        "0 AS nps_responses, 0 AS rating_sum, 0 AS rating_count, 0 AS is_fact "
        f"FROM kpis_incentiveaccrual) accruals WHERE {where}"
    )


# Each takes a WHERE clause over (channel_id, partner_key, day) and returns SQL.
SOURCES: list[Callable[[str], str]] = [facts_source, feedback_source, accruals_source]


def union_sql(where: str) -> str:
    return " UNION ALL ".join(source(where) for source in SOURCES)


def other_sources_sql(where: str) -> str:
    """Every source but the daily facts (the recompute sums the facts, by far the
    biggest, with their own columns only: summing constant zeros costs as much
    as summing values)."""
    return " UNION ALL ".join(source(where) for source in SOURCES if source is not facts_source)


# The facts' own components, summed in the recompute's one scan; the others are 0.
FACT_VALUE_COLUMNS = (
    "spend", "revenue", "cogs", "orders", "units", "leads", "new_customers", "impressions",
    "clicks",
)  # fmt: skip


def components_from_sums(
    spend: Any,
    revenue: Any,
    cogs: Any,
    incentive: Any,
    orders: Any,
    units: Any,
    leads: Any,
    new_customers: Any,
    impressions: Any,
    clicks: Any,
    inventory_sum: Any,
    inventory_days: Any,
    promoters: Any,
    detractors: Any,
    responses: Any,
    rating_sum: Any,
    rating_count: Any,
) -> Components:
    """The components of one row of summed sources, in SOURCE_COLUMNS' order
    (money in cents, inventory as its sum and the number of days it was counted)."""
    return Components(
        spend=from_cents(spend) or Decimal(0),
        revenue=from_cents(revenue) or Decimal(0),
        cogs=from_cents(cogs) or Decimal(0),
        incentive_cost=from_cents(incentive) or Decimal(0),
        orders=int(orders),
        units=int(units),
        leads=int(leads),
        new_customers=int(new_customers),
        impressions=int(impressions),
        clicks=int(clicks),
        inventory_sum=from_cents(inventory_sum) or Decimal(0),
        inventory_days=int(inventory_days),
        nps_promoters=int(promoters),
        nps_detractors=int(detractors),
        nps_responses=int(responses),
        rating_sum=int(rating_sum),
        rating_count=int(rating_count),
    )  # fmt: skip
