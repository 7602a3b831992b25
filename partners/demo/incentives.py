"""Demo incentive programmes: a tiered distributor rebate, a reseller SPIFF and
an affiliate marketing fund with claims. Idempotent (by programme name).
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from channels_app.channels.models import Channel
from partners.directory.models import Partner
from partners.incentives import services as services
from partners.incentives.models import IncentiveProgram


def seed(users: dict[str, Any], today: date) -> list[IncentiveProgram]:
    channels = {
        c.slug: c
        for c in Channel.objects.filter(slug__in=["eu-distributors", "resellers", "affiliates"])
    }
    if len(channels) < 3:
        return []
    year = date(today.year - 1, 1, 1)
    plans: list[tuple[dict[str, Any], list[tuple[Decimal, Decimal]] | None]] = [
        (
            {
                "name": "EU distributor volume rebate",
                "kind": "rebate",
                "channel": channels["eu-distributors"],
                "accrual_period": "quarter",
                "start_date": year,
                "description": "Tiered rebate on each distributor's quarterly sell-in.",
            },
            [
                (Decimal("0"), Decimal("0.01")),
                (Decimal("20000"), Decimal("0.03")),
                (Decimal("60000"), Decimal("0.05")),
            ],
        ),
        (
            {
                "name": "Reseller spring SPIFF",
                "kind": "spiff",
                "channel": channels["resellers"],
                "start_date": date(today.year, 3, 1),
                "end_date": date(today.year, 4, 30),
                "spiff_per_unit": Decimal("4.00"),
                "description": "Bonus per unit sold in March and April.",
            },
            None,
        ),
        (
            {
                "name": "Affiliate co-marketing fund",
                "kind": "mdf",
                "channel": channels["affiliates"],
                "accrual_period": "quarter",
                "start_date": year,
                "mdf_allocation": Decimal("1500.00"),
                "description": "Up to 1,500 per affiliate and quarter for approved campaigns.",
            },
            None,
        ),
    ]
    programs = []
    for data, brackets in plans:
        program = IncentiveProgram.objects.filter(name=data["name"]).first()
        if program is None:
            program = services.program_create(
                data=data, brackets=brackets, created_by=users.get("paul")
            )
            for partner in Partner.objects.filter(
                channel=data["channel"], status__in=["active", "at_risk"]
            ):
                services.enrollment_add(
                    program=program, partner=partner, created_by=partner.manager
                )
        programs.append(program)
    fund = programs[2]
    if not fund.claims.exists():
        for i, enrollment in enumerate(fund.enrollments.select_related("partner")[:5]):
            claim = services.claim_submit(
                program=fund,
                partner=enrollment.partner,
                activity_date=today - timedelta(days=20 + 45 * i),
                amount=Decimal(400 + 250 * i),
                description=[
                    "Newsletter feature",
                    "Comparison page",
                    "Podcast ad",
                    "Gift guide",
                    "Video review",
                ][i],
                created_by=enrollment.partner.manager,
            )
            if i < 3:
                with contextlib.suppress(ValidationError):  # over the fund: left to decide
                    services.claim_decide(claim=claim, approve=True, user=users["maria"])
    return programs
