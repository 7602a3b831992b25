"""List filters for channels and objectives (django-filter), shared by pages and API."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from channelhub.metrics.formulas import METRIC_CHOICES, OBJECTIVE_STATUS_CHOICES

from .models import Channel, ChannelObjective

User = get_user_model()


def _owners(request: object) -> QuerySet:
    return User.objects.filter(owned_channels__isnull=False).distinct().order_by("username")


class ChannelFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    kind = django_filters.ChoiceFilter(choices=Channel.Kind.choices, empty_label="Any kind")
    status = django_filters.ChoiceFilter(choices=Channel.Status.choices, empty_label="Any status")
    route = django_filters.ChoiceFilter(choices=Channel.Route.choices, empty_label="Any route")
    reach = django_filters.ChoiceFilter(choices=Channel.Reach.choices, empty_label="Any reach")
    owner = django_filters.ModelChoiceFilter(queryset=_owners, empty_label="Any owner")
    sort = django_filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("kind", "kind"),
            ("status", "status"),
            ("owner__username", "owner"),
            ("start_date", "start_date"),
            ("updated_at", "updated"),
        ),
    )

    class Meta:
        model = Channel
        fields = ["q", "kind", "status", "route", "reach", "owner"]

    def search(self, queryset: QuerySet[Channel], name: str, value: str) -> QuerySet[Channel]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(slug__icontains=value)
            | Q(target_segment__icontains=value)
            | Q(value_proposition__icontains=value)
        )


class ObjectiveFilter(django_filters.FilterSet):
    channel = django_filters.ModelChoiceFilter(
        queryset=Channel.objects.all(), field_name="channel", empty_label="Any channel"
    )
    metric = django_filters.ChoiceFilter(choices=METRIC_CHOICES, empty_label="Any metric")
    status = django_filters.ChoiceFilter(
        choices=OBJECTIVE_STATUS_CHOICES, field_name="evaluation__status", empty_label="Any status"
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("channel__name", "channel"),
            ("metric", "metric"),
            ("end_date", "end"),
            ("evaluation__status", "status"),
            ("evaluation__progress", "progress"),
        ),
    )

    class Meta:
        model = ChannelObjective
        fields = ["channel", "metric", "status"]
