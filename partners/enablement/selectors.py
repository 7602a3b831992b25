"""Reads of certifications: those expiring soon."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import (
    Exists,
    OuterRef,
    QuerySet,
)

from partners.directory.models import Partner

from .models import Certification

CERTIFICATION_EXPIRING_DAYS = 30


def certifications_expiring(
    *, partners: QuerySet[Partner], today: date, within_days: int = CERTIFICATION_EXPIRING_DAYS
) -> QuerySet[Certification]:
    """Certifications still valid today that expire within `within_days`, unless
    the person already holds the same certification for longer (renewed)."""
    renewed = Certification.objects.filter(
        contact=OuterRef("contact"), name=OuterRef("name"), expires_on__gt=OuterRef("expires_on")
    )
    return (
        Certification.objects.filter(
            contact__partner__in=partners,
            expires_on__gte=today,
            expires_on__lte=today + timedelta(days=within_days),
        )
        .exclude(Exists(renewed))
        .exclude(contact__partner__status=Partner.Status.OFFBOARDED)
        .select_related("contact", "contact__partner", "contact__partner__manager")
        .order_by("expires_on", "pk")
    )
