"""Writes to the price list and to observed partner prices (by hand or a CSV).

A price recorded below its product's MAP opens (or joins) a pricing case at
once, in the same transaction: the person who recorded it sees the case.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from partners.directory.models import Partner

from .detection import detect_pricing
from .models import PriceObservation, Product
from .price_import import PriceFile, check_file

PRODUCT_FIELDS = ("sku", "name", "list_price", "map_price", "is_active")


@transaction.atomic
def product_create(
    *,
    sku: str,
    name: str,
    list_price: Decimal,
    map_price: Decimal | None = None,
    is_active: bool = True,
) -> Product:
    product = Product(
        sku=sku.strip(),
        name=name.strip(),
        list_price=list_price,
        map_price=map_price,
        is_active=is_active,
    )
    product.full_clean()
    product.save()
    return product


@transaction.atomic
def product_update(*, product: Product, data: dict[str, Any]) -> Product:
    for field in PRODUCT_FIELDS:
        if field in data:
            setattr(product, field, data[field])
    product.sku = product.sku.strip()
    product.full_clean()
    product.save()
    return product


@transaction.atomic
def observation_create(
    *,
    partner: Partner,
    product: Product,
    price: Decimal,
    observed_on: date,
    where_seen: str,
    recorded_by: User | None = None,
    source: str = PriceObservation.Source.MANUAL,
) -> PriceObservation:
    if observed_on > timezone.localdate():
        raise ValidationError({"observed_on": "Record prices that were seen, not expected ones."})
    observation = PriceObservation(
        partner=partner,
        product=product,
        price=price,
        observed_on=observed_on,
        where_seen=where_seen.strip(),
        source=source,
        recorded_by=recorded_by,
    )
    observation.full_clean()
    observation.save()
    detect_pricing(
        today=timezone.localdate(), observations=PriceObservation.objects.filter(pk=observation.pk)
    )
    observation.refresh_from_db(fields=["conflict_case"])  # linked by the rule, if below MAP
    return observation


def observations_import(
    *,
    path: Path,
    recorded_by: User | None,
    allowed_partners: Iterable[Partner] | None,
    today: date | None = None,
) -> tuple[PriceFile, int]:
    """Check the whole file; write it only if no row is bad. Returns the checked
    file (its errors, with line numbers, when rejected) and how many
    observations were added."""
    on = today or timezone.localdate()
    allowed = None if allowed_partners is None else {p.pk for p in allowed_partners}
    checked = check_file(path, today=on, allowed_partner_ids=allowed)
    if not checked.ok:
        return checked, 0
    try:
        with transaction.atomic():
            created = _write(checked, recorded_by=recorded_by, today=on)
    except IntegrityError:
        # Another import stored some of these sightings after the check.
        checked.errors = [
            {
                "line": 1,
                "column": "",
                "value": "",
                "reason": "someone recorded some of these rows meanwhile: import the file again",
            }
        ]
        return checked, 0
    return checked, len(created)


def _write(checked: PriceFile, *, recorded_by: User | None, today: date) -> list[PriceObservation]:
    created = PriceObservation.objects.bulk_create(
        PriceObservation(
            partner_id=row.partner_id,
            product_id=row.product_id,
            price=row.price,
            observed_on=row.observed_on,
            where_seen=row.where_seen,
            source=PriceObservation.Source.IMPORT,
            recorded_by=recorded_by,
        )
        for row in checked.rows
    )
    ids = [o.pk for o in created]
    detect_pricing(today=today, observations=PriceObservation.objects.filter(pk__in=ids))
    return created
