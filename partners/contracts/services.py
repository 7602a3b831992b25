"""Writes to contracts, their signed documents and compliance attestations."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from partners.directory.models import Partner
from partners.directory.services import territories_for
from partners.extensions import partner_attention_changed

from .documents import check_document
from .models import ComplianceAttestation, Contract

CONTRACT_FIELDS = (
    "kind",
    "reference",
    "start_on",
    "end_on",
    "auto_renew",
    "notice_days",
    "discount_pct",
    "margin_pct",
    "signed_on",
    "notes",
)


def _attach_document(contract: Contract, document: Any) -> None:
    kind = check_document(document)
    old = contract.document.name if contract.document else ""
    contract.document_name = PurePath(document.name).name[:200]
    contract.document_type = kind.content_type
    contract.document_size = document.size
    contract.document.save(document.name, document, save=False)
    if old:
        # Remove the replaced file only once the new row is committed, so a
        # rolled-back edit never leaves the contract pointing at nothing.
        storage = contract.document.storage
        transaction.on_commit(lambda: storage.delete(old))


@transaction.atomic
def contract_create(
    *,
    partner: Partner,
    kind: str,
    start_on: date,
    end_on: date | None = None,
    auto_renew: bool = False,
    notice_days: int = 0,
    discount_pct: Decimal | None = None,
    margin_pct: Decimal | None = None,
    exclusive_territories: Iterable[str] = (),
    document: Any = None,
    signed_on: date | None = None,
    reference: str = "",
    notes: str = "",
    created_by: User | None = None,
) -> Contract:
    contract = Contract(
        partner=partner,
        kind=kind,
        reference=reference.strip(),
        start_on=start_on,
        end_on=end_on,
        auto_renew=auto_renew,
        notice_days=notice_days,
        discount_pct=discount_pct,
        margin_pct=margin_pct,
        signed_on=signed_on,
        notes=notes,
        created_by=created_by,
    )
    contract.full_clean(exclude=["document"])
    if document:
        _attach_document(contract, document)
    contract.save()
    contract.exclusive_territories.set(territories_for(exclusive_territories))
    partner_attention_changed.send(sender=Partner, partner=partner)
    return contract


@transaction.atomic
def contract_update(*, contract: Contract, data: dict[str, Any]) -> Contract:
    for field in CONTRACT_FIELDS:
        if field in data:
            setattr(contract, field, data[field])
    contract.full_clean(exclude=["document"])
    if data.get("document"):
        _attach_document(contract, data["document"])
    contract.save()
    if "exclusive_territories" in data:
        contract.exclusive_territories.set(territories_for(data["exclusive_territories"]))
    partner_attention_changed.send(sender=Partner, partner=contract.partner)
    return contract


@transaction.atomic
def attestation_create(
    *,
    contract: Contract,
    kind: str,
    attested_on: date,
    expires_on: date | None = None,
    attested_by: str = "",
    note: str = "",
) -> ComplianceAttestation:
    attestation = ComplianceAttestation(
        contract=contract,
        kind=kind,
        attested_on=attested_on,
        expires_on=expires_on,
        attested_by=attested_by.strip(),
        note=note.strip(),
    )
    attestation.full_clean()
    attestation.save()
    # A new attestation may renew an expired one: its flag clears.
    partner_attention_changed.send(sender=Partner, partner=contract.partner)
    return attestation
