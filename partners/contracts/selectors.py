"""Reads of contracts: those the user may see, those ending soon, partners
active without a valid contract, compliance attestations expired on a
contract in force.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
)

from partners.directory.models import Partner
from partners.directory.selectors import visible_partners

from .models import ComplianceAttestation, Contract

CONTRACT_ENDING_DAYS = 60


def contracts_ending(
    *, partners: QuerySet[Partner], today: date, within_days: int = CONTRACT_ENDING_DAYS
) -> QuerySet[Contract]:
    """Contracts in force today that end within `within_days`."""
    return (
        Contract.objects.filter(
            partner__in=partners,
            start_on__lte=today,
            end_on__gte=today,
            end_on__lte=today + timedelta(days=within_days),
        )
        .exclude(partner__status=Partner.Status.OFFBOARDED)
        .select_related("partner", "partner__manager")
        .order_by("end_on", "pk")
    )


def attestations_expired(
    *, partners: QuerySet[Partner], today: date
) -> QuerySet[ComplianceAttestation]:
    """Compliance attestations past their expiry on a contract still in force
    today, unless the partner attested the same policy again on that contract
    since (only the latest of each kind counts: a renewed one is not flagged)."""
    later = ComplianceAttestation.objects.filter(
        contract=OuterRef("contract"), kind=OuterRef("kind")
    ).filter(
        Q(attested_on__gt=OuterRef("attested_on"))
        | Q(attested_on=OuterRef("attested_on"), pk__gt=OuterRef("pk"))
    )
    return (
        ComplianceAttestation.objects.filter(
            contract__partner__in=partners,
            contract__start_on__lte=today,
            expires_on__lt=today,
        )
        .filter(Q(contract__end_on__isnull=True) | Q(contract__end_on__gte=today))
        .exclude(Exists(later))
        .exclude(contract__partner__status=Partner.Status.OFFBOARDED)
        .select_related("contract", "contract__partner", "contract__partner__manager")
        .order_by("expires_on", "pk")
    )


def valid_contracts(*, today: date) -> QuerySet[Contract]:
    return Contract.objects.filter(kind__in=Contract.COMMERCIAL_KINDS, start_on__lte=today).filter(
        Q(end_on__isnull=True) | Q(end_on__gte=today)
    )


def partners_without_valid_contract(
    *, partners: QuerySet[Partner], today: date
) -> QuerySet[Partner]:
    in_force = valid_contracts(today=today).filter(partner=OuterRef("pk"))
    return (
        partners.filter(status=Partner.Status.ACTIVE)
        .exclude(Exists(in_force))
        .select_related("manager", "channel")
        .order_by("name")
    )


def contract_queryset(*, user: Any) -> QuerySet[Contract]:
    """Contracts of the partners the user sees."""
    return Contract.objects.select_related("partner").filter(
        partner__in=visible_partners(user=user)
    )
