"""List filters (django-filter) of conflict cases and observed prices."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from channels_app.channels.models import Channel
from partners.directory.models import Partner

from .models import ConflictCase, PriceObservation, Product

User = get_user_model()


C = ConflictCase


def _partners(request: object) -> QuerySet[Partner]:
    return Partner.objects.order_by("name")


def _owners(request: object) -> QuerySet:
    return User.objects.filter(owned_conflicts__isnull=False).distinct().order_by("username")


class ConflictFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    state = django_filters.ChoiceFilter(
        choices=[("open", "Open or investigating"), ("closed", "Resolved or dismissed")],
        method="by_state",
        empty_label="Open and closed",
        label="State",
    )
    status = django_filters.ChoiceFilter(choices=C.Status.choices, empty_label="Any status")
    kind = django_filters.ChoiceFilter(choices=C.Kind.choices, empty_label="Any kind")
    severity = django_filters.ChoiceFilter(choices=C.Severity.choices, empty_label="Any severity")
    owner = django_filters.ModelChoiceFilter(queryset=_owners, empty_label="Any owner")
    partner = django_filters.ModelChoiceFilter(
        queryset=_partners, field_name="partners", empty_label="Any partner", distinct=True
    )
    channel = django_filters.ModelChoiceFilter(
        queryset=Channel.objects.order_by("name"),
        method="by_channel",
        empty_label="Any channel",
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("opened_at", "opened"),
            ("title", "title"),
            ("kind", "kind"),
            ("severity", "severity"),
            ("status", "status"),
            ("owner__username", "owner"),
            ("closed_at", "closed"),
        )
    )

    class Meta:
        model = ConflictCase
        fields = ["q", "state", "status", "kind", "severity", "owner", "partner", "channel"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        q = Q(title__icontains=value) | Q(description__icontains=value)
        if value.lstrip("#").isdigit():
            q |= Q(pk=int(value.lstrip("#")))
        return queryset.filter(q)

    def by_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "open":
            return queryset.filter(status__in=C.OPEN_STATUSES)
        if value == "closed":
            return queryset.filter(status__in=C.CLOSED_STATUSES)
        return queryset

    def by_channel(self, queryset: QuerySet, name: str, value: Channel | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(
            pk__in=C.objects.filter(Q(channels=value) | Q(partners__channel=value)).values("pk")
        )


class ObservationFilter(django_filters.FilterSet):
    partner = django_filters.ModelChoiceFilter(queryset=_partners, empty_label="Any partner")
    product = django_filters.ModelChoiceFilter(
        queryset=Product.objects.order_by("sku"), empty_label="Any product"
    )
    below = django_filters.ChoiceFilter(
        choices=[("yes", "Below MAP"), ("no", "At or above MAP")],
        method="by_map",
        empty_label="Any price",
        label="Price",
    )
    source = django_filters.ChoiceFilter(
        choices=PriceObservation.Source.choices, empty_label="Any source"
    )

    class Meta:
        model = PriceObservation
        fields = ["partner", "product", "below", "source"]

    def by_map(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "yes":
            return queryset.filter(is_below_map=True)
        if value == "no":
            return queryset.filter(is_below_map=False)
        return queryset
