"""List filters (django-filter) of deal registrations."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from partners.conflicts.filters import _partners
from partners.directory.filters import partner_managers

from .models import DealRegistration


class DealFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(
        choices=DealRegistration.Status.choices, empty_label="Any status"
    )
    partner = django_filters.ModelChoiceFilter(queryset=_partners, empty_label="Any partner")
    manager = django_filters.ModelChoiceFilter(
        queryset=partner_managers, field_name="partner__manager", empty_label="Any manager"
    )
    conflict = django_filters.ChoiceFilter(
        choices=[("yes", "In an open conflict"), ("no", "No open conflict")],
        method="in_conflict",
        empty_label="Conflict or not",
        label="Conflict",
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("customer_name", "customer"),
            ("partner__name", "partner"),
            ("estimated_value", "value"),
            ("expected_close_on", "close"),
            ("submitted_on", "submitted"),
            ("expires_on", "expires"),
            ("status", "status"),
        )
    )

    class Meta:
        model = DealRegistration
        fields = ["q", "status", "partner", "manager", "conflict"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(customer_name__icontains=value)
            | Q(customer_domain__icontains=value)
            | Q(partner__name__icontains=value)
            | Q(product_interest__icontains=value)
        )

    def in_conflict(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "yes":
            return queryset.filter(open_conflicts__gt=0)
        if value == "no":
            return queryset.filter(open_conflicts=0)
        return queryset
