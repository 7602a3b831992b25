"""Conflict detection rules and the job that runs them.

Each rule turns facts into findings with a stable fingerprint and opens a case
only when no open case has that fingerprint (a partial unique index makes
that hold even for two runs at once; on PostgreSQL an advisory lock also
queues a second run behind the first, so it finds the first one's cases):

- pricing: observations below their product's minimum advertised price (MAP)
  in the last PRICING_LOOKBACK_DAYS, one case per partner and product. The
  observations are linked to the case, so each is reported once; a new one
  after the case closed opens a new case.
- territory: two partners with exclusive contracts on the same region code
  for overlapping dates (that reach today or later), one case per region and
  pair of contracts.
- deal overlap: two partners' active registrations for the same customer
  (see `partners.matching`), one case per pair of registrations.

A territory or deal-overlap case that was resolved or dismissed is not
opened again for the same facts: the people who closed it decided.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import combinations

from django.db.models import F, Q, QuerySet

from channelhub.metrics.display import money
from partners.contracts.models import Contract
from partners.directory.models import Partner

from .models import ConflictCase, ConflictNote, PriceObservation
from .services import default_conflict_owner, open_detected_case

K = ConflictCase.Kind


# Prices seen longer ago than this are history, not a conflict to act on (and
# a MAP raised today must not turn last year's fine prices into cases).
PRICING_LOOKBACK_DAYS = 90


# pg_advisory_xact_lock key of the detection job (kpis uses 7_302_00x).
DETECTION_LOCK = 7_302_101


@dataclass
class DetectionResult:
    opened: dict[str, int] = field(default_factory=dict)
    attached: int = 0
    expired_deals: int = 0

    @property
    def total_opened(self) -> int:
        return sum(self.opened.values())

    def count(self, kind: str, created: bool) -> None:
        if created:
            self.opened[kind] = self.opened.get(kind, 0) + 1


def _pricing_severity(gap: Decimal) -> str:
    if gap >= Decimal("0.20"):
        return ConflictCase.Severity.HIGH
    if gap >= Decimal("0.10"):
        return ConflictCase.Severity.MEDIUM
    return ConflictCase.Severity.LOW


def below_map(*, today: date) -> QuerySet[PriceObservation]:
    """Recent observations priced under their product's MAP, not yet reported."""
    return PriceObservation.objects.filter(
        conflict_case__isnull=True,
        observed_on__gte=today - timedelta(days=PRICING_LOOKBACK_DAYS),
        observed_on__lte=today,
        product__map_price__isnull=False,
        price__lt=F("product__map_price"),
    )


def detect_pricing(
    *,
    today: date,
    observations: QuerySet[PriceObservation] | None = None,
    notify: bool = True,
) -> DetectionResult:
    """One case per partner and product with observations below MAP.
    `observations` limits the run (e.g. to those just recorded)."""
    result = DetectionResult()
    found = below_map(today=today)
    if observations is not None:
        found = found.filter(pk__in=observations.values("pk"))
    groups: dict[tuple[int, int], list[PriceObservation]] = defaultdict(list)
    for observation in found.select_related(
        "partner", "partner__channel__owner", "partner__manager", "product"
    ).order_by("partner_id", "product_id", "observed_on", "pk"):
        groups[(observation.partner_id, observation.product_id)].append(observation)
    for (partner_id, product_id), items in groups.items():
        partner, product = items[0].partner, items[0].product
        assert product.map_price is not None
        worst = min(items, key=lambda o: (o.price, o.pk))
        gap = (product.map_price - worst.price) / product.map_price
        sightings = "; ".join(
            f"{o.observed_on:%Y-%m-%d} {money(o.price)} at {o.where_seen}" for o in items[:10]
        )
        case, created = open_detected_case(
            fingerprint=f"pricing:{partner_id}:{product_id}",
            reopen_closed=True,
            kind=K.PRICING,
            title=(
                f"{partner.name} advertises {product.sku} at {money(worst.price)}, "
                f"below the {money(product.map_price)} MAP"
            )[:200],
            description=(
                f"{product.sku} {product.name}: minimum advertised price "
                f"{money(product.map_price)}, list price {money(product.list_price)}. "
                f"Seen below it: {sightings}."
            ),
            severity=_pricing_severity(gap),
            owner=default_conflict_owner([partner]),
            partners=[partner],
            notify=notify,
        )
        assert case is not None  # pricing findings always get an open case
        result.count(K.PRICING, created)
        # A conditional UPDATE: an observation is linked to one case, once.
        linked = PriceObservation.objects.filter(
            pk__in=[o.pk for o in items], conflict_case__isnull=True
        ).update(conflict_case=case)
        if not created and linked:
            result.attached += linked
            ConflictNote.objects.create(
                case=case,
                kind=ConflictNote.Kind.SYSTEM,
                body=f"{linked} more observation{'s' if linked != 1 else ''} below MAP: "
                f"{sightings}.",
            )
    return result


def _overlap(
    a: tuple[date, date | None], b: tuple[date, date | None]
) -> tuple[date, date | None] | None:
    start = max(a[0], b[0])
    ends = [e for e in (a[1], b[1]) if e is not None]
    end = min(ends) if ends else None
    if end is not None and end < start:
        return None
    return start, end


def _label(contract: Contract) -> str:
    ref = f" {contract.reference}" if contract.reference else ""
    return f"{contract.get_kind_display().lower()}{ref}"


def detect_territory(*, today: date, notify: bool = True) -> DetectionResult:
    """One case per region code and pair of partners' exclusive contracts whose
    terms overlap on a day from today on."""
    result = DetectionResult()
    through = Contract.exclusive_territories.through
    rows = (
        through.objects.filter(Q(contract__end_on__isnull=True) | Q(contract__end_on__gte=today))
        .exclude(contract__partner__status=Partner.Status.OFFBOARDED)
        .values_list("territory__code", "contract_id")
        .order_by("territory__code", "contract_id")
    )
    by_code: dict[str, list[int]] = defaultdict(list)
    for code, contract_id in rows:
        by_code[code].append(contract_id)
    contracts = Contract.objects.in_bulk(
        {pk for ids in by_code.values() for pk in ids}
    )  # one query, then pairs in memory
    partners = Partner.objects.select_related("channel__owner", "manager").in_bulk(
        {c.partner_id for c in contracts.values()}
    )
    for code, ids in by_code.items():
        for low_id, high_id in combinations(sorted(ids), 2):
            first, second = contracts[low_id], contracts[high_id]
            if first.partner_id == second.partner_id:
                continue
            window = _overlap((first.start_on, first.end_on), (second.start_on, second.end_on))
            if window is None:
                continue
            a, b = partners[first.partner_id], partners[second.partner_id]
            until = f"{window[1]:%Y-%m-%d}" if window[1] else "open-ended"
            _case, created = open_detected_case(
                fingerprint=f"territory:{code}:{low_id}:{high_id}",
                reopen_closed=False,
                kind=K.TERRITORY,
                title=f"Exclusive territory {code} claimed by {a.name} and {b.name}"[:200],
                description=(
                    f"{a.name}'s {_label(first)} and {b.name}'s {_label(second)} both grant "
                    f"exclusivity in "
                    f"{code} from {window[0]:%Y-%m-%d} to {until}."
                ),
                severity=ConflictCase.Severity.HIGH,
                owner=default_conflict_owner([a, b]),
                partners=[a, b],
                contracts=[first, second],
                region_code=code,
                notify=notify,
            )
            result.count(K.TERRITORY, created)
    return result
