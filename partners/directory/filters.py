"""List filters for the partner directory (django-filter): they live in the URL."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy

from channels_app.channels.models import Channel

from .models import Partner, Territory, Tier, related_model

User = get_user_model()


def _channels(request: object) -> QuerySet[Channel]:
    return Channel.objects.filter(route=Channel.Route.INDIRECT).order_by("name")


def partner_managers(request: object) -> QuerySet:
    """The users who manage a partner: the choices of every "managed by" filter."""
    return User.objects.filter(managed_partners__isnull=False).distinct().order_by("username")


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """A sort that puts the partners without a value (no review date, no
    interaction yet) last, ascending and descending, on PostgreSQL and SQLite
    alike (they disagree on where NULLs go); ties keep the name order, so a
    page does not reshuffle them."""

    def get_ordering_value(self, param: str) -> OrderBy:
        descending = param.startswith("-")
        name = param.removeprefix("-")
        field = F(self.param_map.get(name, name))
        return field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)

    def filter(self, qs: QuerySet[Partner], value: list[str] | None) -> QuerySet[Partner]:
        sorted_qs = super().filter(qs, value)
        if sorted_qs is qs:
            return qs
        return sorted_qs.order_by(*sorted_qs.query.order_by, "name", "slug")


class PartnerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    channel = django_filters.ModelChoiceFilter(queryset=_channels, empty_label="Any channel")
    kind = django_filters.ChoiceFilter(choices=Partner.Kind.choices, empty_label="Any kind")
    tier = django_filters.ModelChoiceFilter(
        queryset=Tier.objects.order_by("rank"), empty_label="Any tier"
    )
    status = django_filters.ChoiceFilter(choices=Partner.Status.choices, empty_label="Any status")
    manager = django_filters.ModelChoiceFilter(queryset=partner_managers, empty_label="Any manager")
    territory = django_filters.ModelChoiceFilter(
        queryset=Territory.objects.order_by("code"),
        field_name="territories",
        to_field_name="code",
        empty_label="Any territory",
    )
    flag = django_filters.ChoiceFilter(
        choices=related_model("flags").Kind.choices,
        field_name="flags__kind",
        empty_label="Any flag",
        distinct=True,
    )
    sort = NullsLastOrderingFilter(
        fields=(
            ("name", "name"),
            ("channel__name", "channel"),
            ("kind", "kind"),
            ("tier_rank", "tier"),
            ("status", "status"),
            ("manager__username", "manager"),
            ("next_review_on", "next_review"),
            ("last_interaction_on", "last_interaction"),
        ),
    )

    class Meta:
        model = Partner
        fields = ["q", "channel", "kind", "tier", "status", "manager", "territory", "flag"]

    def search(self, queryset: QuerySet[Partner], name: str, value: str) -> QuerySet[Partner]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(slug__icontains=value)
            | Q(website__icontains=value)
            | Q(pk__in=Partner.objects.filter(contacts__name__icontains=value).values("pk"))
        )
