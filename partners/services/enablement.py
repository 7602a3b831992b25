"""Writes to onboarding checklists, training completions and certifications."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import (
    Certification,
    OnboardingStep,
    Partner,
    PartnerContact,
    TrainingCompletion,
    TrainingModule,
)
from .flags import refresh_partner_flags_soon


@transaction.atomic
def onboarding_step_set_done(
    *, step: OnboardingStep, done: bool, by: User | None = None, on: date | None = None
) -> OnboardingStep:
    step.done_on = (on or timezone.localdate()) if done else None
    step.done_by = by if done else None
    step.save(update_fields=["done_on", "done_by"])
    return step


@transaction.atomic
def onboarding_step_add(*, partner: Partner, title: str, description: str = "") -> OnboardingStep:
    last = partner.onboarding_steps.order_by("-position").values_list("position", flat=True)
    step = OnboardingStep(
        partner=partner,
        position=(last.first() or 0) + 1,
        title=title.strip(),
        description=description.strip(),
    )
    step.full_clean()
    step.save()
    return step


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
    refresh_partner_flags_soon(contact.partner)
    return certification


@transaction.atomic
def certification_delete(*, certification: Certification) -> None:
    partner = certification.contact.partner
    certification.delete()
    refresh_partner_flags_soon(partner)
