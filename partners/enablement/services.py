"""Writes to training completions and certifications."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
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
        # Issues the certification, or renews the one the person holds.
        certification_create(
            contact=contact,
            name=module.name,
            module=module,
            issued_on=completed_on,
            expires_on=completed_on + timedelta(days=module.certification_valid_days),
            from_training=True,
        )
    return completion


def certification_held(
    *, contact: PartnerContact, name: str, module: TrainingModule | None = None
) -> Certification | None:
    """The certification of this kind the person already holds: the same name
    (ignoring case) or granted by the same module. There is at most one."""
    same = Q(name__iexact=name.strip())
    if module is not None:
        same |= Q(module=module)
    return Certification.objects.filter(contact=contact).filter(same).order_by("pk").first()


def certification_renews(held: Certification, expires_on: date | None) -> bool:
    """Whether a certification expiring on `expires_on` (None: never) renews
    `held`, i.e. stays valid longer."""
    if held.expires_on is None:
        return False
    return expires_on is None or expires_on > held.expires_on


def certification_duplicate_message(held: Certification) -> str:
    until = f"valid until {held.expires_on:%Y-%m-%d}" if held.expires_on else "no expiry"
    return (
        f"{held.contact.name} already holds “{held.name}” "
        f"(issued {held.issued_on:%Y-%m-%d}, {until})."
    )


@transaction.atomic
def certification_create(
    *,
    contact: PartnerContact,
    name: str,
    issued_on: date,
    expires_on: date | None = None,
    module: TrainingModule | None = None,
    from_training: bool = False,
) -> Certification:
    """Record a certification: one per person and kind (the database holds it).

    If the person holds one of the kind already: one valid longer renews it
    in place; the same again returns it unchanged (idempotent); anything else
    is refused, unless it comes from a training completion (an older
    completion recorded late leaves the certification as it is)."""
    held = certification_held(contact=contact, name=name, module=module)
    if held is not None:
        if certification_renews(held, expires_on):
            held.issued_on, held.expires_on = issued_on, expires_on
            held.module = held.module or module
            held.full_clean()
            held.save(update_fields=["issued_on", "expires_on", "module"])
            partner_attention_changed.send(sender=Partner, partner=contact.partner)
            return held
        same = (held.issued_on, held.expires_on) == (issued_on, expires_on)
        if same and module is not None and held.module_id is None:
            held.module = module  # the training granted what was added by hand
            held.save(update_fields=["module"])
        if same or from_training:
            return held
        raise ValidationError({"name": certification_duplicate_message(held)})
    certification = Certification(
        contact=contact,
        name=name.strip(),
        module=module,
        issued_on=issued_on,
        expires_on=expires_on,
    )
    certification.full_clean()
    try:
        with transaction.atomic():
            certification.save()
    except IntegrityError:  # the same one, added at the same moment
        raise ValidationError(
            {"name": f"{contact.name} already holds “{certification.name}”."}
        ) from None
    partner_attention_changed.send(sender=Partner, partner=contact.partner)
    return certification


@transaction.atomic
def certification_delete(*, certification: Certification) -> None:
    partner = certification.contact.partner
    certification.delete()
    partner_attention_changed.send(sender=Partner, partner=partner)
