"""Demo channels and objectives: a believable mid-size consumer brand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from channels_app.channels.models import Channel, ChannelObjective
from channels_app.channels.services import channel_create, objective_create

K, R, H, S = Channel.Kind, Channel.Route, Channel.Reach, Channel.Status


# slug, name, kind, route, reach, status, owner, segment, value proposition
DEMO_CHANNELS = [
    (
        "web-shop",
        "Web Shop",
        K.ECOMMERCE,
        R.DIRECT,
        H.ONLINE,
        S.ACTIVE,
        "maria",
        "Urban consumers 25-45",
        "Full range, free returns, fastest delivery.",
    ),
    (
        "amazon",
        "Amazon Marketplace",
        K.MARKETPLACE,
        R.INDIRECT,
        H.ONLINE,
        S.ACTIVE,
        "tom",
        "Price-driven online shoppers",
        "Reach and Prime delivery on bestsellers.",
    ),
    (
        "flagship-stores",
        "Flagship Stores",
        K.RETAIL_STORE,
        R.DIRECT,
        H.OFFLINE,
        S.ACTIVE,
        "maria",
        "Urban consumers 25-45",
        "Try before you buy, expert staff.",
    ),
    (
        "field-sales",
        "Field Sales",
        K.DIRECT_SALES,
        R.DIRECT,
        H.OFFLINE,
        S.ACTIVE,
        "tom",
        "Corporate gifting buyers",
        "Volume pricing and custom branding.",
    ),
    (
        "social",
        "Instagram & TikTok",
        K.SOCIAL_MEDIA,
        R.DIRECT,
        H.ONLINE,
        S.ACTIVE,
        "maria",
        "Gen Z trend seekers",
        "Creator-led launches and drops.",
    ),
    (
        "google-ads",
        "Google Ads",
        K.PAID_SEARCH,
        R.DIRECT,
        H.ONLINE,
        S.ACTIVE,
        "tom",
        "High-intent searchers",
        "Be there when they search.",
    ),
    (
        "newsletter",
        "Newsletter",
        K.EMAIL,
        R.DIRECT,
        H.ONLINE,
        S.ACTIVE,
        "maria",
        "Existing customers",
        "Early access and loyalty offers.",
    ),
    (
        "eu-distributors",
        "EU Distributors",
        K.DISTRIBUTOR,
        R.INDIRECT,
        H.OFFLINE,
        S.ACTIVE,
        "tom",
        "Independent retailers in the EU",
        "Local stock and service in 12 countries.",
    ),
    (
        "affiliates",
        "Affiliate Network",
        K.AFFILIATE,
        R.INDIRECT,
        H.ONLINE,
        S.ACTIVE,
        "maria",
        "Deal and review sites' readers",
        "Pay only for sales.",
    ),
    (
        "resellers",
        "Value-Added Resellers",
        K.DISTRIBUTOR,
        R.INDIRECT,
        H.OFFLINE,
        S.ACTIVE,
        "tom",
        "SMB offices",
        "Bundles with setup and support.",
    ),
    (
        "trade-shows",
        "Trade Shows",
        K.EVENTS,
        R.DIRECT,
        H.OFFLINE,
        S.PAUSED,
        "tom",
        "Retail buyers",
        "Meet the makers, see the range.",
    ),
    (
        "zalando",
        "Zalando",
        K.MARKETPLACE,
        R.INDIRECT,
        H.ONLINE,
        S.PLANNED,
        "maria",
        "Fashion shoppers in DACH",
        "Curated range in a fashion-first marketplace.",
    ),
]


def _year_window(today: date) -> tuple[date, date]:
    return date(today.year, 1, 1), date(today.year, 12, 31)


def _quarter_window(today: date) -> tuple[date, date]:
    q_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    if q_start.month == 10:
        next_q = date(q_start.year + 1, 1, 1)
    else:
        next_q = date(q_start.year, q_start.month + 3, 1)
    return q_start, next_q - timedelta(days=1)


def seed(users: dict[str, Any], today: date) -> list[Channel]:
    channels: list[Channel] = []
    for slug, name, kind, route, reach, status, owner, segment, proposition in DEMO_CHANNELS:
        channel = Channel.objects.filter(slug=slug).first() or channel_create(
            name=name,
            slug=slug,
            kind=kind,
            route=route,
            reach=reach,
            status=status,
            owner=users[owner],
            target_segment=segment,
            value_proposition=proposition,
            start_date=date(today.year - 3, 1 + len(channels) % 12, 1),
        )
        channels.append(channel)
    year_start, year_end = _year_window(today)
    q_start, q_end = _quarter_window(today)
    plans = [
        ("web-shop", "revenue", Decimal("2400000"), year_start, year_end, "Annual sales target"),
        ("web-shop", "roi", Decimal("0.80"), year_start, year_end, "Keep ROI above 80%"),
        ("amazon", "revenue_share", Decimal("0.18"), year_start, year_end, "Market penetration"),
        ("flagship-stores", "revenue", Decimal("520000"), q_start, q_end, "Quarterly store sales"),
        ("social", "impressions", Decimal("9000000"), q_start, q_end, "Brand visibility"),
        ("social", "cac", Decimal("45"), year_start, year_end, "Acquisition cost ceiling"),
        ("google-ads", "roas", Decimal("4"), year_start, year_end, "Return on ad spend"),
        ("google-ads", "spend", Decimal("600000"), year_start, year_end, "Budget cap"),
        ("newsletter", "conversion_rate", Decimal("0.12"), q_start, q_end, "Lead conversion"),
        ("eu-distributors", "revenue", Decimal("1800000"), year_start, year_end, "Sell-in target"),
        ("affiliates", "roi", Decimal("0.5"), year_start, year_end, "Affiliate ROI"),
        ("resellers", "units", Decimal("450"), year_start, year_end, "Units through resellers"),
        (
            "zalando",
            "revenue",
            Decimal("300000"),
            date(today.year + 1, 1, 1),
            date(today.year + 1, 12, 31),
            "First year on Zalando",
        ),
    ]
    by_slug = {c.slug: c for c in channels}
    for slug, metric, target, start, end, description in plans:
        channel = by_slug[slug]
        if not ChannelObjective.objects.filter(channel=channel, metric=metric).exists():
            objective_create(
                channel=channel,
                metric=metric,
                target=target,
                start_date=start,
                end_date=end,
                description=description,
                created_by=channel.owner,
            )
    return channels
