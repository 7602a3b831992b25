"""CSV of the live model (one row per channel) and of a saved budget plan,
formula-safe like every export (channelhub.lib.tabular.safe_text)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import IO, Any

from channelhub.lib.tabular import safe_text
from kpis.models import BudgetPlan, ChannelModelResult

MODEL_HEADER = [
    "channel",
    "spend",
    "incremental_revenue",
    "incremental_roas",
    "roas_low",
    "roas_high",
    "marginal_roas",
    "status",
]
PLAN_HEADER = [
    "channel",
    "channel_name",
    "planned_cost",
    "today_cost",
    "expected_incremental",
    "low",
    "high",
    "plan",
    "period_start",
    "period_end",
    "goal",
]


def _num(value: Any, places: int) -> str:
    return "" if value is None else f"{float(value):.{places}f}"


def model_rows(results: Iterable[ChannelModelResult]) -> Iterator[list[str]]:
    """Ordered by channel slug; `status` says why a channel was flagged or refused."""
    for r in sorted(results, key=lambda r: r.slug):
        status = r.status if not r.reason else f"{r.status}: {r.reason}"
        yield [
            safe_text(r.slug),
            _num(r.spend, 2),
            _num(r.incremental_revenue, 2),
            _num(r.incremental_roas, 4),
            _num(r.roas_low, 4),
            _num(r.roas_high, 4),
            _num(r.marginal_roas, 4),
            safe_text(status),
        ]


def plan_rows(plan: BudgetPlan) -> Iterator[list[str]]:
    for row in sorted(plan.allocations, key=lambda r: str(r.get("slug", ""))):
        outcome = row.get("outcome") or {}
        yield [
            safe_text(str(row.get("slug", ""))),
            safe_text(str(row.get("name", ""))),
            _num(row.get("amount"), 2),
            _num(row.get("today"), 2),
            _num(outcome.get("mean"), 2),
            _num(outcome.get("low"), 2),
            _num(outcome.get("high"), 2),
            safe_text(plan.name),
            plan.period_start.isoformat(),
            plan.period_end.isoformat(),
            plan.goal,
        ]


def write(out: IO[str] | Any, header: list[str], rows: Iterable[list[str]]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count
