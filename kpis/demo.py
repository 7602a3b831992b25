"""Two years of believable daily facts for the demo channels.

Written as a CSV and imported through the real import service, so the demo
exercises the same path as a user's file. Deterministic (seeded), with weekly
and yearly seasonality, growth, and channels that earn their cost and some
that do not.
"""

from __future__ import annotations

import csv
import io
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from channels_app.channels.models import Channel
from partners.models import Partner

from .engine.recompute import recompute_execute
from .ingest.checks import KNOWN_COLUMNS
from .ingest.pipeline import import_execute
from .ingest.services import import_create
from .models import ImportRun, ModelChannelSetting

DAYS = 730


@dataclass(frozen=True)
class Profile:
    spend: float  # average daily spend
    roas: float  # revenue per unit of spend
    margin: float  # gross margin
    aov: float  # average order value
    lead_rate: float  # leads per order
    new_share: float  # share of orders from new customers
    ctr: float  # clicks per impression (0 = no impressions tracked)
    cpm: float  # spend per 1,000 impressions
    inventory: float  # stock held (0 = not reported)
    growth: float  # yearly growth of revenue
    weekend: float  # weekend multiplier


PROFILES = {
    "web-shop": Profile(1800, 3.2, 0.50, 85, 2.5, 0.35, 0.021, 9.0, 0, 0.20, 1.25),
    "amazon": Profile(1200, 3.0, 0.35, 48, 0, 0.45, 0.012, 6.0, 180000, 0.25, 1.2),
    "flagship-stores": Profile(2400, 2.3, 0.58, 120, 0, 0.25, 0, 0, 640000, 0.02, 1.6),
    "field-sales": Profile(1500, 2.2, 0.50, 2400, 6.0, 0.5, 0, 0, 0, 0.05, 0.15),
    "social": Profile(900, 1.6, 0.55, 62, 4.0, 0.65, 0.009, 5.5, 0, 0.35, 1.3),
    "google-ads": Profile(1600, 3.6, 0.50, 90, 3.0, 0.55, 0.045, 22.0, 0, 0.05, 0.9),
    "newsletter": Profile(120, 12.0, 0.55, 70, 8.0, 0.05, 0.035, 0.8, 0, 0.05, 0.8),
    "eu-distributors": Profile(700, 4.2, 0.28, 3200, 0, 0.2, 0, 0, 950000, 0.06, 0.2),
    "affiliates": Profile(650, 2.0, 0.52, 74, 0, 0.7, 0.015, 4.0, 0, 0.10, 1.1),
    "resellers": Profile(500, 3.6, 0.31, 1800, 0, 0.3, 0, 0, 420000, 0.03, 0.2),
    "trade-shows": Profile(300, 0.7, 0.50, 1500, 12.0, 0.8, 0, 0, 0, -0.3, 0.0),
}


def _money(value: float) -> str:
    return f"{max(value, 0):.2f}"


def _partner_weights(
    partners: dict[str, list[str]], rng: random.Random
) -> dict[str, list[tuple[str, float]]]:
    """Each channel's partners with a share of its sales (a few big, many small)."""
    weights = {}
    for channel, slugs in partners.items():
        raw = [rng.paretovariate(1.6) for _ in slugs]
        total = sum(raw)
        weights[channel] = [(slug, w / total) for slug, w in zip(slugs, raw, strict=True)]
    return weights


def facts_csv(today: date, seed: int = 7, partners: dict[str, list[str]] | None = None) -> str:
    """The demo facts as CSV text: every active (and paused) channel, two years up
    to yesterday. In channels with partners the channel's own rows carry its
    marketing (spend, reach, leads) and each partner's rows its sales."""
    rng = random.Random(seed)
    weights = _partner_weights(partners or {}, rng)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = list(KNOWN_COLUMNS)
    writer.writerow(columns)
    first = today - timedelta(days=DAYS)
    for slug, p in PROFILES.items():
        for offset in range(DAYS):
            day = first + timedelta(days=offset)
            if slug == "trade-shows" and (day.month not in (3, 9) or day.year == today.year):
                continue  # shows in March and September; paused this year
            years = offset / 365
            season = 1 + 0.18 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 80) / 365)
            if day.month in (11, 12):
                season *= 1.35  # holiday peak
            weekday = p.weekend if day.weekday() >= 5 else 1.0
            noise = rng.uniform(0.8, 1.2)
            spend = p.spend * season * noise * (1 + 0.1 * years) * (1 if weekday else 0.2)
            revenue = spend * p.roas * (1 + p.growth * years) * weekday * rng.uniform(0.85, 1.15)
            orders = max(0, round(revenue / p.aov * rng.uniform(0.9, 1.1)))
            impressions = round(spend / p.cpm * 1000) if p.cpm else 0
            row: dict[str, Any] = {
                "date": day.isoformat(),
                "channel": slug,
                "partner": "",
                "spend": _money(spend),
                "revenue": _money(revenue),
                "cogs": _money(revenue * (1 - p.margin) * rng.uniform(0.97, 1.03)),
                "orders": orders,
                "units": round(orders * rng.uniform(1.1, 1.8)),
                "leads": round(orders * p.lead_rate * rng.uniform(0.8, 1.2)),
                "new_customers": round(orders * p.new_share * rng.uniform(0.8, 1.2)),
                "impressions": impressions,
                "clicks": round(impressions * p.ctr * rng.uniform(0.85, 1.15)),
                # Stock is counted on weekdays only: weekends are "not reported".
                "inventory_value": _money(p.inventory * rng.uniform(0.85, 1.15))
                if p.inventory and day.weekday() < 5
                else "",
            }
            if slug not in weights:
                writer.writerow([row[c] for c in columns])
                continue
            sales = ("revenue", "cogs", "orders", "units", "new_customers")
            writer.writerow(
                [0 if c in sales or c == "inventory_value" else row[c] for c in columns]
            )
            for partner, share in weights[slug]:
                jitter = share * rng.uniform(0.6, 1.4)
                split = {
                    "partner": partner,
                    "revenue": _money(float(row["revenue"]) * jitter),
                    "cogs": _money(float(row["cogs"]) * jitter),
                    "orders": round(int(row["orders"]) * jitter),
                    "units": round(int(row["units"]) * jitter),
                    "new_customers": round(int(row["new_customers"]) * jitter),
                    "inventory_value": _money(p.inventory * share * rng.uniform(0.8, 1.2))
                    if p.inventory and day.weekday() == 0  # distributors count stock on Mondays
                    else "",
                }
                writer.writerow(
                    [split.get(c, 0 if c not in ("date", "channel") else row[c]) for c in columns]
                )
    return out.getvalue()


# Channels whose costs the model does not count as advertising.
NOT_ADVERTISING = ("flagship-stores", "field-sales")

# Per channel: how customers feel (mean recommend score, spread).
SENTIMENT = {
    "web-shop": (8.4, 1.6), "amazon": (7.2, 2.2), "flagship-stores": (8.9, 1.2),
    "field-sales": (8.0, 1.5), "social": (6.5, 2.5), "google-ads": (7.5, 2.0),
    "newsletter": (8.6, 1.3), "eu-distributors": (7.0, 2.0), "affiliates": (6.2, 2.6),
    "resellers": (7.8, 1.7), "trade-shows": (8.2, 1.4),
}  # fmt: skip
COMMENTS = {
    "good": ["Fast delivery, great quality", "Support solved it in minutes", "Will order again",
             "Great value for money", "Loved the packaging"],
    "neutral": ["OK overall", "Delivery took a while", "Fine, nothing special"],
    "bad": ["Item arrived damaged", "Hard to reach anyone", "Price was higher than elsewhere",
            "Order was incomplete", "Returns were a hassle"],
}  # fmt: skip


def feedback_csv(today: date, partners: dict[str, list[str]] | None = None, seed: int = 11) -> str:
    """A year of customer feedback: a few survey answers per channel and week."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "channel", "partner", "score", "rating", "comment", "source"])
    for slug, (mean, spread) in SENTIMENT.items():
        for week in range(52):
            for _ in range(rng.randint(1, 4)):
                day = today - timedelta(days=7 * week + rng.randint(1, 7))
                score = max(0, min(10, round(rng.gauss(mean, spread))))
                tone = "good" if score >= 9 else "bad" if score <= 6 else "neutral"
                partner = rng.choice([*(partners or {}).get(slug, []), ""])
                writer.writerow([
                    day.isoformat(), slug, partner, score,
                    max(1, min(5, round(score / 2))) if rng.random() < 0.7 else "",
                    rng.choice(COMMENTS[tone]) if rng.random() < 0.6 else "",
                    rng.choice(["NPS survey", "Review site", "Support follow-up"]),
                ])  # fmt: skip
    return out.getvalue()


def _import(name: str, text: str, user: Any, kind: str) -> ImportRun | None:
    run = import_create(
        file=io.BytesIO(text.encode()),
        name=name,
        user=user,
        source=ImportRun.Source.DEMO,
        kind=kind,
    )
    result = import_execute(run.pk)
    if result and result.recompute_run_id:
        recompute_execute(result.recompute_run_id, inline=True)
    return result


def seed(users: dict[str, Any], today: date) -> ImportRun | None:
    """Import the demo facts and feedback once (idempotent) and compute their KPIs."""
    done = ImportRun.objects.filter(source=ImportRun.Source.DEMO, status=ImportRun.Status.SUCCEEDED)
    if done.exists() or not Channel.objects.filter(slug__in=list(PROFILES)).exists():
        return None
    partners: dict[str, list[str]] = {}
    active = Partner.objects.filter(status__in=[Partner.Status.ACTIVE, Partner.Status.AT_RISK])
    for slug, channel in active.values_list("slug", "channel__slug"):
        partners.setdefault(channel, []).append(slug)
    # The stores' rent and the sales team's pay are costs, not advertising:
    # the model counts their sales in the base (Costs per channel).
    for shop in Channel.objects.filter(slug__in=NOT_ADVERTISING):
        ModelChannelSetting.objects.get_or_create(
            channel=shop, defaults={"cost_basis": ModelChannelSetting.CostBasis.NONE}
        )
    user = users.get("maria")
    facts = _import(
        "demo-daily-facts.csv", facts_csv(today, partners=partners), user, ImportRun.Kind.FACTS
    )
    _import("demo-feedback.csv", feedback_csv(today, partners), user, ImportRun.Kind.FEEDBACK)
    return facts


def seed_packs(users: dict[str, Any]) -> None:
    """Two review packs: the marketing team's weekly ROI review and a monthly
    pack for the board, linked rather than attached (idempotent)."""
    from .models import ReviewPack

    weekly, created = ReviewPack.objects.get_or_create(
        name="Weekly ROI review",
        defaults={
            "description": "Monday's channel review: the last four weeks against the four before.",
            "cadence": ReviewPack.Cadence.WEEKLY,
            "weekday": 0,
            "send_hour": 7,
            "period_kind": ReviewPack.PeriodKind.WEEK,
            "periods": 4,
            "created_by": users.get("maria"),
        },
    )
    if created:
        weekly.subscribers.set([u for k, u in users.items() if k in ("maria", "tom")])
    board, created = ReviewPack.objects.get_or_create(
        name="Monthly board pack",
        defaults={
            "description": "Online channels, last three months, for the board.",
            "cadence": ReviewPack.Cadence.MONTHLY,
            "day_of_month": 3,
            "send_hour": 8,
            "period_kind": ReviewPack.PeriodKind.MONTH,
            "periods": 3,
            "channel_selection": ReviewPack.Selection.KINDS,
            "channel_kinds": ["ecommerce", "marketplace", "paid_search", "social_media", "email"],
            "extra_emails": "board@demo.channelhub.local",
            "delivery": ReviewPack.Delivery.LINK,
            "created_by": users.get("maria"),
        },
    )
    if created:
        board.subscribers.set([u for k, u in users.items() if k == "vera"])
