"""The portal's one door into the KPI engine: the partner's own sales and ROI.

Kept to this module so that the engine's layout can change (kpis is being
split into packages) with one place to follow here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from channelhub.metrics.formulas import Components, gross_profit, roi, total_cost
from kpis.engine.selectors import partner_month_rows
from partners.directory.models import Partner

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
