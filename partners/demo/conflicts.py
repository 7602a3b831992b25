"""Demo deal registrations, products, observed prices and conflict cases."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from partners.attention import services as attention_services
from partners.conflicts import pricing as conflicts_pricing
from partners.conflicts import services as conflicts_services
from partners.contracts import services as contracts_services
from partners.deals import detection as deals_detection
from partners.deals import services as deals_services
from partners.directory.models import Partner

# sku, name, list price, minimum advertised price (None: no MAP policy)
DEMO_PRODUCTS: list[tuple[str, str, str, str | None]] = [
    ("DSK-200", "Standing desk Pro", "599.00", "499.00"),
    ("DSK-120", "Standing desk Compact", "399.00", "349.00"),
    ("CHR-310", "Ergonomic chair", "249.00", "199.00"),
    ("MON-270", "Monitor arm, dual", "129.00", "109.00"),
    ("LMP-040", "Desk lamp", "59.00", None),
    ("ACC-KIT", "Cable management kit", "39.00", "29.00"),
]


# partner, customer, domain, country, value, product interest, days ago, outcome
DEMO_DEALS: list[tuple[str, str, str, str, str, str, int, str]] = [
    (
        "Nordlicht Handel",
        "Contoso Retail GmbH",
        "contoso-retail.de",
        "DE",
        "120000",
        "Standing desks for 14 stores",
        40,
        "approved",
    ),
    (
        "Alpine Supply",
        "Bergwerk Versicherung AG",
        "bergwerk.ch",
        "CH",
        "45000",
        "Chairs and monitor arms",
        25,
        "submitted",
    ),
    (
        "OfficeWorks Solutions",
        "Umbrella Corp",
        "",
        "US",
        "80000",
        "Office refit, 3 floors",
        30,
        "approved",
    ),
    ("BrightDesk IT", "Initech", "initech.com", "US", "22000", "Desks", 15, "submitted"),
    (
        "Harbor Tech Partners",
        "Globex Industries",
        "globex.example",
        "US",
        "64000",
        "Standing desks",
        120,
        "approved",
    ),  # approved long ago: expired by now
    (
        "Lone Star Office",
        "Stark Logistics",
        "starklogistics.example",
        "US",
        "15000",
        "Chairs",
        20,
        "rejected",
    ),
    (
        "Gallia Diffusion",
        "Maison Lumière SARL",
        "maison-lumiere.fr",
        "FR",
        "9000",
        "Desk lamps",
        10,
        "submitted",
    ),
    (
        "Iberia Distribución",
        "Hoteles Sol y Mar",
        "solymar.example",
        "ES",
        "38000",
        "Lobby workstations",
        5,
        "submitted",
    ),
    # These two collide with registrations above: each opens a deal-overlap case.
    (
        "Vergleichsportal24",
        "Contoso Retail",
        "https://www.contoso-retail.de/filialen",
        "DE",
        "95000",
        "Desks for new stores",
        3,
        "submitted",
    ),
    ("Summit Systems", "Umbrela Corporation", "", "US", "70000", "Office refit", 2, "submitted"),
]


def seed_deals_and_conflicts(users: dict[str, Any], today: date) -> int:
    """Products with a MAP, prices seen (some below MAP), deal registrations
    (two colliding), exclusive contracts that overlap, cases opened by hand and
    closed ones for the dashboard; then the detection job. Idempotent: what
    exists (by SKU, sighting, customer and partner, case title) is left alone.
    Returns the number of open conflict cases."""
    from partners.models import ConflictCase, DealRegistration, PriceObservation, Product

    rng = random.Random(20240602)
    partners = {p.name: p for p in Partner.objects.select_related("manager")}
    products = {}
    for sku, name, list_price, map_price in DEMO_PRODUCTS:
        products[sku] = Product.objects.filter(sku=sku).first() or conflicts_pricing.product_create(
            sku=sku,
            name=name,
            list_price=Decimal(list_price),
            map_price=Decimal(map_price) if map_price else None,
        )

    # Prices seen over the last two months: mostly at or above MAP.
    sellers = [
        "Prime Sellers Group",
        "EU Marketplace Services",
        "ShelfRunner",
        "DealHunter Media",
        "OfficeWorks Solutions",
        "BrightDesk IT",
        "Nordlicht Handel",
        "Iberia Distribución",
    ]
    below = {
        ("ShelfRunner", "DSK-200"),
        ("DealHunter Media", "CHR-310"),
        ("Prime Sellers Group", "ACC-KIT"),
    }
    for name in sellers:
        partner = partners.get(name)
        if partner is None:
            continue
        for sku in rng.sample(sorted(products), 3) + [s for n, s in below if n == name]:
            product = products[sku]
            floor = product.map_price or product.list_price
            for _ in range(2):
                seen = today - timedelta(days=rng.randint(1, 60))
                price = (floor * Decimal(rng.choice(["1.00", "1.02", "1.05", "1.10"]))).quantize(
                    Decimal("0.01")
                )
                if (name, sku) in below:
                    price = (floor * Decimal(rng.choice(["0.78", "0.85", "0.93"]))).quantize(
                        Decimal("0.01")
                    )
                where = f"https://{partner.slug.replace('-', '')[:20]}.example/p/{sku.lower()}"
                PriceObservation.objects.get_or_create(
                    partner=partner,
                    product=product,
                    observed_on=seen,
                    where_seen=where,
                    defaults={
                        "price": price,
                        "recorded_by": partner.manager,
                        "source": PriceObservation.Source.IMPORT,
                    },
                )

    # Two distributors both given exclusivity in Austria: a territory conflict.
    for name, reference in (("Nordlicht Handel", "EX-AT-01"), ("Alpine Supply", "EX-AT-02")):
        partner = partners.get(name)
        if partner is not None and not partner.contracts.filter(reference=reference).exists():
            contracts_services.contract_create(
                partner=partner,
                kind="distribution",
                reference=reference,
                start_on=today - timedelta(days=200),
                end_on=today + timedelta(days=500),
                exclusive_territories=["AT"],
                signed_on=today - timedelta(days=200),
                created_by=partner.manager,
            )
            # Now, not on commit: the demo's flags are right within its transaction.
            attention_services.partner_flags_refresh(today=today, partner=partner)

    for name, customer, domain, country, value, interest, days_ago, outcome in DEMO_DEALS:
        partner = partners.get(name)
        if (
            partner is None
            or DealRegistration.objects.filter(partner=partner, customer_name=customer).exists()
        ):
            continue
        submitted = today - timedelta(days=days_ago)
        deal = deals_services.deal_register(
            partner=partner,
            customer_name=customer,
            customer_domain=domain,
            country=country,
            estimated_value=Decimal(value),
            expected_close_on=max(submitted + timedelta(days=75), today + timedelta(days=14)),
            product_interest=interest,
            registered_by=partner.manager,
            submitted_on=submitted,
            notify=False,
        )
        decided = submitted + timedelta(days=min(3, days_ago))
        if outcome == "approved":
            deals_services.deal_approve(deal=deal, by=users["maria"], on=decided, note="Good fit")
        elif outcome == "rejected":
            deals_services.deal_reject(
                deal=deal, by=users["tom"], on=decided, note="Customer buys direct from us"
            )
    deals_services.deals_expire(today=today)

    _seed_manual_cases(users, partners, today)
    deals_detection.conflicts_detect(today=today, notify=False)
    return ConflictCase.objects.filter(status__in=ConflictCase.OPEN_STATUSES).count()


MANUAL_CASE_DESCRIPTIONS = {
    "Web Shop spring sale undercuts Amazon sellers": (
        "The web shop ran 25% off the desk range for three weeks; Amazon sellers could not "
        "follow without going below MAP."
    ),
    "Affiliate coupon codes leaked to a deal forum": (
        "Single-use codes issued to two affiliates were posted publicly and used hundreds of times."
    ),
    "Two resellers quoting the same school district": (
        "Both resellers sent quotes to the same district within a week, one 8% below the other."
    ),
    "Marketplace seller below MAP on chairs": "A customer sent a screenshot of the listing.",
    "Distributor selling into Switzerland": (
        "Nordlicht shipped to Swiss retailers covered by Alpine's contract."
    ),
    "Retail store price match complaint": (
        "A store manager reported a Benelux Brands advert below our shelf price."
    ),
    "Affiliate bidding on our brand keyword": (
        "Paid search found the affiliate's ads on our brand name, raising our cost per click."
    ),
}


def _seed_manual_cases(users: dict[str, Any], partners: dict[str, Partner], today: date) -> None:
    """Cases opened by hand, some closed long ago (so the dashboard has time
    to resolve), each with a short timeline."""
    from channels_app.channels.models import Channel
    from partners.models import ConflictCase

    K, Sev = ConflictCase.Kind, ConflictCase.Severity
    channels = {c.slug: c for c in Channel.objects.all()}
    now = timezone.now()
    # title, kind, severity, owner, partners, channels, opened days ago, closed
    # after (days; None: open), outcome, resolution, rule agreed, notes
    cases: list[tuple[Any, ...]] = [
        (
            "Web Shop spring sale undercuts Amazon sellers",
            K.CANNIBALISATION,
            Sev.HIGH,
            "maria",
            ["Prime Sellers Group"],
            ["web-shop", "amazon"],
            12,
            None,
            "",
            "",
            "",
            ["Amazon revenue down 18% in the sale weeks; sellers complain."],
        ),
        (
            "Affiliate coupon codes leaked to a deal forum",
            K.OTHER,
            Sev.MEDIUM,
            "paul",
            ["CouponCloud", "DealHunter Media"],
            ["affiliates"],
            45,
            None,
            "",
            "",
            "",
            ["Codes appear on a forum; asked both partners where they came from."],
        ),
        (
            "Two resellers quoting the same school district",
            K.DEAL_OVERLAP,
            Sev.MEDIUM,
            "tom",
            ["Summit Systems", "Pacific Workspace"],
            [],
            150,
            9,
            "resolved",
            "Summit had the earlier contact and keeps the district.",
            "First documented contact wins",
            ["Both showed emails; Summit's are 3 weeks older."],
        ),
        (
            "Marketplace seller below MAP on chairs",
            K.PRICING,
            Sev.LOW,
            "petra",
            ["ShelfRunner"],
            [],
            120,
            6,
            "resolved",
            "Seller corrected the price within a week.",
            "Second breach within a year suspends the listing",
            [],
        ),
        (
            "Distributor selling into Switzerland",
            K.TERRITORY,
            Sev.HIGH,
            "paul",
            ["Nordlicht Handel", "Alpine Supply"],
            [],
            200,
            21,
            "resolved",
            "Nordlicht stops active sales in CH; passive orders are routed to Alpine.",
            "Active sales only in contracted territories",
            ["Met both partners at the trade fair."],
        ),
        (
            "Retail store price match complaint",
            K.PRICING,
            Sev.LOW,
            "maria",
            ["Benelux Brands"],
            ["flagship-stores"],
            90,
            2,
            "dismissed",
            "The advertised price was a clearance item, allowed by policy.",
            "",
            [],
        ),
        (
            "Affiliate bidding on our brand keyword",
            K.OTHER,
            Sev.MEDIUM,
            "maria",
            ["GadgetReview Hub"],
            ["google-ads"],
            60,
            14,
            "resolved",
            "Affiliate added our brand terms as negative keywords.",
            "No bidding on brand terms",
            [],
        ),
    ]
    for (
        title,
        kind,
        severity,
        owner,
        party_names,
        channel_slugs,
        opened_ago,
        closed_after,
        outcome,
        resolution,
        rule,
        notes,
    ) in cases:
        if ConflictCase.objects.filter(title=title).exists():
            continue
        party_partners = [partners[n] for n in party_names if n in partners]
        party_channels = [channels[s] for s in channel_slugs if s in channels]
        if not party_partners and not party_channels:
            continue
        opened_at = now - timedelta(days=opened_ago)
        case = conflicts_services.conflict_open(
            kind=kind,
            title=title,
            description=MANUAL_CASE_DESCRIPTIONS.get(title, ""),
            severity=severity,
            owner=users[owner],
            partners=party_partners,
            channels=party_channels,
            opened_by=users[owner],
            opened_at=opened_at,
            notify=False,
        )
        for n, body in enumerate(notes):
            conflicts_services.conflict_add_note(
                case=case, body=body, author=users[owner], at=opened_at + timedelta(days=1 + n)
            )
        if closed_after is not None:
            conflicts_services.conflict_close(
                case=case,
                status=outcome,
                resolution=resolution,
                rule_agreed=rule,
                by=users[owner],
                at=opened_at + timedelta(days=closed_after),
            )
