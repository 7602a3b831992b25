"""Writes to training completions and certifications."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from partners.directory.models import Partner, PartnerContact
from partners.extensions import partner_attention_changed

from .models import Certification, TrainingCompletion, TrainingModule


@transaction.atomic
def training_completion_record(
    *,
    contact: PartnerContact,
    module: TrainingModule,
    completed_on: date,
    score: int | None = None,
    recorded_by: User | None = None,
) -> TrainingCompletion:
    """Record a completed module; a certifying module also issues the certification."""
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": "A completion cannot be in the future."})
    completion = TrainingCompletion(
        contact=contact,
        module=module,
        completed_on=completed_on,
        score=score,
        recorded_by=recorded_by,
    )
    completion.full_clean()
    completion.save()
    if module.certification_valid_days:
        certification_create(
            contact=contact,
            name=module.name,
            module=module,
            issued_on=completed_on,
            expires_on=completed_on + timedelta(days=module.certification_valid_days),
        )
    return completion


@transaction.atomic
def certification_create(
    *,
    contact: PartnerContact,
    name: str,
    issued_on: date,
    expires_on: date | None = None,
    module: TrainingModule | None = None,
) -> Certification:
    certification = Certification(
        contact=contact,
        name=name.strip(),
        module=module,
        issued_on=issued_on,
        expires_on=expires_on,
    )
    certification.full_clean()
    certification.save()
    partner_attention_changed.send(sender=Partner, partner=contact.partner)
    return certification


@transaction.atomic
def certification_delete(*, certification: Certification) -> None:
    partner = certification.contact.partner
    certification.delete()
    partner_attention_changed.send(sender=Partner, partner=partner)
