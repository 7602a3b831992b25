"""Demo partners: ~40 across the indirect channels, with two years of history.

Deterministic (a seeded random generator) and idempotent: a partner whose
slug exists is left alone, so running `seed_demo` twice adds nothing.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from channelhub.lib.text import slugify
from channels_app.channels.models import Channel
from partners.activity import services as activity_services
from partners.attention import services as attention_services
from partners.contracts import services as contracts_services
from partners.directory import services as directory_services
from partners.directory.models import Partner, PartnerContact, Tier
from partners.enablement import services as enablement_services
from partners.enablement.models import TrainingModule

P = Partner.Kind


# name, channel slug, kind, territories
DEMO_PARTNERS: list[tuple[str, str, str, list[str]]] = [
    ("Nordlicht Handel", "eu-distributors", P.DISTRIBUTOR, ["DE", "AT"]),
    ("Alpine Supply", "eu-distributors", P.DISTRIBUTOR, ["CH", "AT"]),
    ("Iberia Distribución", "eu-distributors", P.DISTRIBUTOR, ["ES", "PT"]),
    ("Benelux Brands", "eu-distributors", P.DISTRIBUTOR, ["NL", "BE", "LU"]),
    ("Nordic Goods AB", "eu-distributors", P.DISTRIBUTOR, ["SE", "NO", "DK"]),
    ("Polska Dystrybucja", "eu-distributors", P.DISTRIBUTOR, ["PL"]),
    ("Gallia Diffusion", "eu-distributors", P.DISTRIBUTOR, ["FR"]),
    ("Italia Commerce", "eu-distributors", P.DISTRIBUTOR, ["IT"]),
    ("Danube Trading", "eu-distributors", P.DISTRIBUTOR, ["HU", "SK", "CZ"]),
    ("Celtic Wholesale", "eu-distributors", P.DISTRIBUTOR, ["IE", "GB"]),
    ("OfficeWorks Solutions", "resellers", P.RESELLER, ["US-NY", "US-NJ"]),
    ("BrightDesk IT", "resellers", P.RESELLER, ["US-CA"]),
    ("Summit Systems", "resellers", P.RESELLER, ["US-CO", "US-UT"]),
    ("Harbor Tech Partners", "resellers", P.RESELLER, ["US-MA"]),
    ("Lone Star Office", "resellers", P.RESELLER, ["US-TX"]),
    ("Maple Business Supply", "resellers", P.RESELLER, ["CA-ON", "CA-QC"]),
    ("Pacific Workspace", "resellers", P.RESELLER, ["US-WA", "US-OR"]),
    ("Keystone Integrators", "resellers", P.OEM, ["US-PA"]),
    ("Peachtree Resellers", "resellers", P.RESELLER, ["US-GA"]),
    ("Great Lakes Office Co", "resellers", P.RESELLER, ["US-IL", "US-MI"]),
    ("DealHunter Media", "affiliates", P.AFFILIATE, ["US", "CA"]),
    ("GadgetReview Hub", "affiliates", P.AFFILIATE, ["US", "GB"]),
    ("SmartSaver Blog", "affiliates", P.AFFILIATE, ["GB"]),
    ("Vergleichsportal24", "affiliates", P.AFFILIATE, ["DE", "AT", "CH"]),
    ("CouponCloud", "affiliates", P.AFFILIATE, ["US"]),
    ("Creator Collective", "affiliates", P.AGENCY, ["US", "GB"]),
    ("Brandwave Agency", "affiliates", P.AGENCY, ["DE", "FR"]),
    ("ReferMe Network", "affiliates", P.REFERRAL, ["US"]),
    ("Loyalty Loop", "affiliates", P.REFERRAL, ["GB", "IE"]),
    ("TechTalk Podcast", "affiliates", P.AFFILIATE, ["US"]),
    ("Prime Sellers Group", "amazon", P.MARKETPLACE_SELLER, ["US"]),
    ("EU Marketplace Services", "amazon", P.MARKETPLACE_SELLER, ["DE", "FR", "IT", "ES"]),
    ("ShelfRunner", "amazon", P.MARKETPLACE_SELLER, ["GB"]),
    ("FulfilPro", "amazon", P.MARKETPLACE_SELLER, ["US", "CA"]),
    ("Cart & Co", "amazon", P.MARKETPLACE_SELLER, ["JP"]),
    ("Storefront Masters", "amazon", P.MARKETPLACE_SELLER, ["AU"]),
    ("ModeMarkt Partner", "zalando", P.MARKETPLACE_SELLER, ["DE", "AT"]),
    ("Fashion Forward Sellers", "zalando", P.MARKETPLACE_SELLER, ["NL", "BE"]),
    ("Stilhaus Digital", "zalando", P.MARKETPLACE_SELLER, ["CH"]),
    ("Nord Mode Partner", "zalando", P.MARKETPLACE_SELLER, ["DK", "SE"]),
]


FIRST = ["Anna", "Ben", "Clara", "David", "Elif", "Felix", "Grace", "Hugo", "Ines", "Jonas"]


LAST = ["Meyer", "Rossi", "García", "Novak", "Larsen", "Dubois", "Kowalski", "Brown", "Silva"]


ROLES = ["Managing director", "Sales lead", "Marketing manager", "Operations", "Buyer"]


TRAINING_MODULES = [
    ("product-basics", "Product basics", "3.0", None),
    ("sales-certification", "Certified sales professional", "8.0", 365),
    ("technical-setup", "Technical setup and support", "6.0", 730),
    ("brand-guidelines", "Brand and messaging guidelines", "1.5", None),
]


SUMMARIES = [
    ("call", "Quarterly pipeline call", "Pipeline healthy; two large deals in negotiation."),
    ("meeting", "Joint business planning", "Agreed targets and marketing funds for next quarter."),
    ("email", "Price list update sent", "Partner confirmed receipt; questions on bundles."),
    ("training", "Product training for sales team", "Six people trained on the new range."),
    ("visit", "Visit at partner's showroom", "Display needs refresh; new stands ordered."),
    ("call", "Escalation: delayed deliveries", "Root cause logistics; weekly check-ins agreed."),
    ("meeting", "Co-marketing campaign review", "Campaign ROI good; repeat in Q4."),
]


NEXT_STEPS = [
    "Send updated co-marketing plan",
    "Share Q-end stock forecast",
    "Book follow-up training",
    "Confirm rebate calculation",
    "Send renewal proposal",
    "Review demo stock levels",
]


STRENGTHS = [
    "Strong pipeline discipline and forecast accuracy.",
    "Sales team is well trained and confident with the range.",
    "Excellent customer feedback and low return rate.",
    "Very responsive; joint planning works well.",
]


IMPROVEMENTS = [
    "Brand guidelines not always followed in local ads.",
    "Certification of new staff is lagging.",
    "Forecasts arrive late in the quarter.",
    "Needs more focus on the premium range.",
]


def _quarter_end(day: date) -> date:
    """The last day of the calendar quarter before the one holding `day`."""
    first_of_quarter = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return first_of_quarter - timedelta(days=1)


def _quarter_start(end: date) -> date:
    return date(end.year, end.month - 2, 1)


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _modules() -> list[TrainingModule]:
    modules = []
    for code, name, hours, valid_days in TRAINING_MODULES:
        module, _ = TrainingModule.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "duration_hours": hours,
                "certification_valid_days": valid_days,
            },
        )
        modules.append(module)
    return modules


def _lifecycle(index: int, channel: Channel) -> str:
    """The status a demo partner ends in: mostly active, some in each other state."""
    if channel.status == Channel.Status.PLANNED:
        return [Partner.Status.PROSPECT, Partner.Status.ONBOARDING][index % 2]
    return {
        3: Partner.Status.AT_RISK,
        8: Partner.Status.ONBOARDING,
        14: Partner.Status.SUSPENDED,
        19: Partner.Status.ONBOARDING,
        24: Partner.Status.OFFBOARDED,
        29: Partner.Status.PROSPECT,
        33: Partner.Status.AT_RISK,
    }.get(index, Partner.Status.ACTIVE)


def seed(users: dict[str, Any], channels: list[Channel], today: date) -> list[Partner]:
    """Create the demo partners that do not exist yet; returns all demo partners."""
    rng = random.Random(20240601)
    by_slug = {c.slug: c for c in channels}
    tiers = {t.code: t for t in Tier.objects.all()}
    modules = _modules()
    managers = [users["paul"], users["petra"]]
    partners: list[Partner] = []
    for index, (name, channel_slug, kind, territories) in enumerate(DEMO_PARTNERS):
        channel = by_slug.get(channel_slug)
        if channel is None or channel.route != Channel.Route.INDIRECT:
            continue
        slug = directory_services.unique_partner_slug(name)
        existing = Partner.objects.filter(name=name, channel=channel).first()
        if existing is not None:
            partners.append(existing)
            continue
        final = _lifecycle(index, channel)
        tier_code = rng.choice(["registered", "silver", "silver", "gold", "gold", "platinum"])
        started = today - timedelta(days=800 + rng.randint(0, 200))
        if final in (Partner.Status.PROSPECT, Partner.Status.ONBOARDING):
            started = today - timedelta(days=rng.randint(20, 80))
        partner = directory_services.partner_create(
            channel=channel,
            name=name,
            slug=slug,
            kind=kind,
            tier=tiers.get(tier_code) if final != Partner.Status.PROSPECT else tiers["registered"],
            manager=managers[index % 2],
            website=f"https://www.{slug.replace('-', '')[:20]}.example",
            territories=territories,
            created_by=users["maria"],
            created_on=started,
        )
        _seed_partner(partner, final, started, today, rng, users, modules)
        partners.append(partner)
    attention_services.partner_flags_refresh(today=today)
    return partners


def _seed_partner(
    partner: Partner,
    final: str,
    started: date,
    today: date,
    rng: random.Random,
    users: dict[str, Any],
    modules: list[TrainingModule],
) -> None:
    manager = partner.manager
    S = Partner.Status
    contacts = []
    for n in range(rng.randint(2, 3)):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        contacts.append(
            directory_services.contact_create(
                partner=partner,
                name=f"{first} {last}",
                role=ROLES[n] if n < len(ROLES) else rng.choice(ROLES),
                email=f"{slugify(first)}.{slugify(last)}@{partner.slug[:20].strip('-')}.example",
                phone=f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                is_primary=n == 0,
            )
        )

    # Lifecycle: prospect -> onboarding -> active (-> where it ended up).
    activated: date | None = None
    if final != S.PROSPECT:
        onboarding_on = started + timedelta(days=rng.randint(7, 20))
        directory_services.partner_set_status(
            partner=partner, status=S.ONBOARDING, changed_by=manager, changed_on=onboarding_on
        )
        if final != S.ONBOARDING:
            activated = onboarding_on + timedelta(days=rng.randint(30, 60))
            directory_services.partner_set_status(
                partner=partner, status=S.ACTIVE, changed_by=manager, changed_on=activated
            )
            if final != S.ACTIVE:
                directory_services.partner_set_status(
                    partner=partner,
                    status=final,
                    changed_by=manager,
                    changed_on=today - timedelta(days=rng.randint(10, 90)),
                    note={
                        str(S.AT_RISK): "Sales down two quarters in a row.",
                        str(S.SUSPENDED): "Payment overdue; orders on hold.",
                        str(S.OFFBOARDED): "Partner closed its hardware business.",
                    }.get(final, ""),
                )

    # Onboarding: all done once active, a few steps while onboarding.
    steps = list(partner.onboarding_steps.order_by("position"))
    done_count = len(steps) if activated else (rng.randint(1, 3) if final == S.ONBOARDING else 0)
    for n, step in enumerate(steps[:done_count]):
        directory_services.onboarding_step_set_done(
            step=step, done=True, by=manager, on=started + timedelta(days=5 + 6 * n)
        )

    # Training and certifications; some certifications expire within 30 days.
    if activated:
        for contact in contacts[:2]:
            for module in modules:
                if rng.random() < 0.35:
                    continue
                valid = module.certification_valid_days
                if valid and rng.random() < 0.1:
                    completed = today - timedelta(days=valid - rng.randint(5, 28))
                elif valid:
                    # Recertified regularly: a recent completion.
                    completed = today - timedelta(days=rng.randint(30, min(valid - 60, 300)))
                else:
                    completed = activated + timedelta(days=rng.randint(5, 200))
                completed = min(completed, today - timedelta(days=1))
                enablement_services.training_completion_record(
                    contact=contact,
                    module=module,
                    completed_on=completed,
                    score=rng.randint(70, 100),
                    recorded_by=manager,
                )

    # Contracts: an NDA from the start; a commercial contract from activation.
    contracts_services.contract_create(
        partner=partner,
        kind="nda",
        start_on=started,
        end_on=started + timedelta(days=3 * 365),
        signed_on=started,
        reference=f"NDA-{partner.pk:04d}",
        created_by=manager,
    )
    if activated:
        kinds: dict[str, str] = {
            P.DISTRIBUTOR: "distribution",
            P.AFFILIATE: "affiliate",
            P.AGENCY: "agency",
            P.REFERRAL: "referral",
            P.OEM: "oem",
        }
        kind = kinds.get(partner.kind, "reseller")
        roll = rng.random()
        if roll < 0.2:
            end = today + timedelta(days=rng.randint(10, 55))  # ending soon
        elif roll < 0.34 and final == S.ACTIVE:
            end = today - timedelta(days=rng.randint(5, 40))  # lapsed: no valid contract
        else:
            end = activated + timedelta(days=3 * 365)
        contract = contracts_services.contract_create(
            partner=partner,
            kind=kind,
            start_on=activated,
            end_on=end,
            auto_renew=rng.random() < 0.4,
            notice_days=rng.choice([30, 60, 90]),
            discount_pct=rng.choice([None, Decimal(10), Decimal(15), Decimal(20), Decimal(25)]),
            margin_pct=rng.choice([None, Decimal(8), Decimal(12), Decimal(18)]),
            exclusive_territories=partner_territories(partner)[:1] if rng.random() < 0.3 else [],
            signed_on=activated,
            reference=f"PA-{activated.year}-{partner.pk:04d}",
            created_by=manager,
        )
        for attestation in ("data_protection", "anti_bribery"):
            contracts_services.attestation_create(
                contract=contract,
                kind=attestation,
                attested_on=activated,
                expires_on=activated + timedelta(days=2 * 365),
                attested_by=contacts[0].name,
            )

    _seed_interactions(partner, contacts, started, today, rng, manager)
    if activated:
        _seed_reviews(partner, activated, final, today, rng, manager)


def partner_territories(partner: Partner) -> list[str]:
    return [t.code for t in partner.territories.all()]


def _seed_interactions(
    partner: Partner,
    contacts: list[PartnerContact],
    started: date,
    today: date,
    rng: random.Random,
    manager: Any,
) -> None:
    span = max((today - started).days, 10)
    count = rng.randint(3, 8) if span > 100 else rng.randint(1, 3)
    days = sorted(rng.sample(range(1, span), min(count, span - 1)))
    for n, offset in enumerate(days):
        occurred = started + timedelta(days=offset)
        kind, summary, outcome = rng.choice(SUMMARIES)
        last = n == len(days) - 1
        follow_up = occurred + timedelta(days=rng.randint(7, 21))
        interaction = activity_services.interaction_create(
            partner=partner,
            kind=kind,
            occurred_on=occurred,
            summary=summary,
            outcome=outcome,
            next_step=rng.choice(NEXT_STEPS),
            follow_up_on=follow_up,
            contacts=contacts[: rng.randint(1, len(contacts))],
            logged_by=manager,
        )
        # Older follow-ups were done; the latest may still be open (or overdue).
        if follow_up < today and not (last and rng.random() < 0.5):
            activity_services.follow_up_set_done(
                interaction=interaction, on=min(today, follow_up + timedelta(days=2))
            )


def _seed_reviews(
    partner: Partner, activated: date, final: str, today: date, rng: random.Random, manager: Any
) -> None:
    """Two years of quarterly reviews; the partner's trend shapes the scores."""
    trends: dict[str, float] = {Partner.Status.AT_RISK: -0.25, Partner.Status.SUSPENDED: -0.3}
    trend = trends.get(final, 0.1)
    base = rng.uniform(2.6, 3.8)
    # Some partners skipped the last quarter: their review is overdue now.
    skip_last = rng.random() < 0.25
    end = _quarter_end(today)
    quarters = []
    for _ in range(8):
        quarters.append(end)
        end = _quarter_end(end)
    quarters.reverse()
    if skip_last:
        quarters = quarters[:-1]
    for n, q_end in enumerate(quarters):
        q_start = _quarter_start(q_end)
        if q_start < activated:
            continue
        reviewed_on = min(q_end + timedelta(days=rng.randint(7, 20)), today - timedelta(days=1))
        level = base + trend * n

        def score(spread: float, level: float = level) -> int:
            return max(1, min(5, round(level + rng.uniform(-spread, spread))))

        due = reviewed_on + timedelta(days=rng.randint(20, 60))
        activity_services.review_submit(
            partner=partner,
            author=manager,
            period_start=q_start,
            period_end=q_end,
            reviewed_on=reviewed_on,
            score_sales=score(1.0),
            score_enablement=score(0.8),
            score_brand=score(0.7),
            score_satisfaction=score(0.6),
            score_collaboration=score(0.6),
            strengths=rng.choice(STRENGTHS),
            improvements=rng.choice(IMPROVEMENTS),
            next_review_on=reviewed_on + timedelta(days=91),
            action_items=[
                {
                    "description": rng.choice(NEXT_STEPS),
                    "owner": rng.choice([manager.get_full_name(), "Partner sales lead"]),
                    "due_on": due,
                    "done_on": due - timedelta(days=3) if due < today - timedelta(days=3) else None,
                }
                for _ in range(rng.randint(1, 3))
            ],
            submitted_at=_aware(reviewed_on),
        )
