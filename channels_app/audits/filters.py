"""List filters of brand audits (django-filter): they live in the URL."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from channels_app.channels.models import Channel

from .models import BrandAudit

User = get_user_model()


def _auditors(request: object) -> QuerySet:
    return User.objects.filter(pk__in=BrandAudit.objects.values("auditor")).order_by("username")


class BrandAuditFilter(django_filters.FilterSet):
    channel = django_filters.ModelChoiceFilter(
        queryset=Channel.objects.order_by("name"), empty_label="Any channel"
    )
    auditor = django_filters.ModelChoiceFilter(queryset=_auditors, empty_label="Anyone")
    sort = django_filters.OrderingFilter(
        fields=(
            ("audited_on", "date"),
            ("channel__name", "channel"),
            ("overall", "score"),
            ("next_audit_on", "next"),
        )
    )

    class Meta:
        model = BrandAudit
        fields = ["channel", "auditor"]
