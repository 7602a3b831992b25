"""Changes against before and last year over the API: the numbers of the
dashboards' headline and change columns (kpis.dashboards.comparisons, the one
comparison rule), with the ratios over a thin base named."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channelhub.lib.api import HasRole
from channelhub.lib.dates import window_errors
from channelhub.metrics.formulas import METRICS, Comparison, Number, rounded
from channelhub.metrics.periods import Span
from channels_app.channels import selectors as channels_selectors

from . import content
from .content import HEADLINE_METRICS, Filters

DASHBOARD_KINDS = content.DASHBOARD_KINDS


def _value_field(metric: str, *, change: bool = False) -> serializers.Field:
    m = METRICS[metric]
    if change:
        text = "relative change (0.103 = +10.3%)" if m.additive else "difference (0.141 = 14.1 pts)"
        return serializers.DecimalField(
            max_digits=None, decimal_places=4, allow_null=True, help_text=f"{m.label}: {text}"
        )
    if m.additive and m.unit == "count":
        return serializers.IntegerField(help_text=m.label)
    return serializers.DecimalField(
        max_digits=None,
        decimal_places=2 if m.additive else 4,
        allow_null=not m.additive,
        help_text=m.label,
    )


class KpiHeadlineValuesSerializer(serializers.Serializer):
    """The headline KPIs: money with 2 decimals, ratios with 4 (null when undefined)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {m: _value_field(m) for m in HEADLINE_METRICS}


class KpiChangeValuesSerializer(serializers.Serializer):
    """The change of each headline KPI (null when undefined)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {m: _value_field(m, change=True) for m in HEADLINE_METRICS}


class ComparedSpanSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    days = serializers.IntegerField()


class ComparedSpansSerializer(serializers.Serializer):
    current = ComparedSpanSerializer()
    before = ComparedSpanSerializer()
    last_year = ComparedSpanSerializer()


class KpiChangeSerializer(serializers.Serializer):
    against = serializers.CharField(help_text='"before" or "last year".')
    comparable = serializers.BooleanField()
    reason = serializers.CharField(
        help_text='Why there is no change when not comparable ("not comparable: the earlier '
        'span holds 1 day of data", "no earlier data"); empty otherwise.'
    )
    earlier_days = serializers.IntegerField(help_text="Days of the earlier span with facts.")
    earlier = KpiHeadlineValuesSerializer()
    changes = KpiChangeValuesSerializer()


def _thin_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(),
        help_text="KPIs over a thin base (the metrics guide): shown with a warning mark on pages.",
    )


class KpiChangesTotalSerializer(serializers.Serializer):
    kpis = KpiHeadlineValuesSerializer()
    thin = _thin_field()
    before = KpiChangeSerializer()
    last_year = KpiChangeSerializer()


class KpiChangesChannelSerializer(serializers.Serializer):
    channel = serializers.CharField(help_text="The channel's slug.")
    channel_name = serializers.CharField()
    complete = serializers.BooleanField()
    kpis = KpiHeadlineValuesSerializer()
    thin = _thin_field()
    before = KpiChangeSerializer()


class KpiChangesSerializer(serializers.Serializer):
    period_kind = serializers.CharField()
    start = serializers.DateField(help_text="First day of the range (whole periods).")
    end = serializers.DateField(help_text="Last day of the range (whole periods).")
    compared = ComparedSpansSerializer()
    total = KpiChangesTotalSerializer()
    channels = KpiChangesChannelSerializer(many=True)


class KpiChangesQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=DASHBOARD_KINDS, default="month")
    channel = serializers.ListField(child=serializers.SlugField(), required=False)
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The comparison reaches back a range's length and a year before it: a start
        # in year 249 overflowed the calendar (500). No KPI lies outside the facts window.
        problems = window_errors("facts", start=attrs.get("start"), end=attrs.get("end"))
        if problems:
            raise serializers.ValidationError(problems)
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["The end must be on or after the start."]})
        return attrs


def _rounded(values: dict[str, Number | None]) -> dict[str, Any]:
    return {m: rounded(m, values.get(m)) for m in HEADLINE_METRICS}


def _change(c: Comparison) -> dict[str, Any]:
    return {
        "against": c.against,
        "comparable": c.comparable,
        "reason": c.reason,
        "earlier_days": c.earlier_days,
        "earlier": _rounded(c.earlier),
        "changes": {m: rounded("roi", c.changes.get(m)) for m in HEADLINE_METRICS},
    }


def _span(span: Span) -> dict[str, Any]:
    return {"start": span.start, "end": span.end, "days": span.days}


class KpiChangesView(APIView):
    """Each channel's KPIs over a range and their change against before and
    last year, with the same rule as the dashboards."""

    permission_classes = [HasRole]

    @extend_schema(
        operation_id="kpi_changes",
        parameters=[
            OpenApiParameter(
                "period", str, enum=list(DASHBOARD_KINDS), description="Default month."
            ),
            OpenApiParameter(
                "channel", str, many=True, explode=True, description="Channel slug(s); default all."
            ),
            OpenApiParameter("start", OpenApiTypes.DATE, description="Default: 12 months back."),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Default: the latest data."),
        ],
        responses={200: KpiChangesSerializer},
        description="The range is widened to whole periods. A change compares the range, up "
        "to the last day with facts, with the same days before and last year; when the earlier "
        "span holds too few days of data, `comparable` is false and `reason` says why (the "
        "metrics guide, section 7). Sums change in relative terms, ratios by their difference.",
    )
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("kpis.view_kpisnapshot"):
            raise exceptions.PermissionDenied()
        params: dict[str, Any] = {k: v for k, v in request.query_params.items() if k != "channel"}
        if "channel" in request.query_params:
            params["channel"] = request.query_params.getlist("channel")
        query = KpiChangesQuerySerializer(data=params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        filters = Filters(kind=data["period"], start=data.get("start"), end=data.get("end"))
        filters = filters.snapped(content.latest_fact_day())
        visible = channels_selectors.channel_list(user=request.user)
        if data.get("channel"):
            visible = visible.filter(slug__in=data["channel"])
            missing = set(data["channel"]) - set(visible.values_list("slug", flat=True))
            if missing:
                raise exceptions.ValidationError(
                    {"channel": [f"No channel “{slug}”." for slug in sorted(missing)]}
                )
        totals = content.channel_totals(filters=filters, channels={c.pk: c for c in visible})
        comparison = totals.comparison
        body = {
            "period_kind": filters.kind,
            "start": filters.start,
            "end": filters.end,
            "compared": {
                "current": _span(comparison.spans.current),
                "before": _span(comparison.spans.before),
                "last_year": _span(comparison.spans.last_year),
            },
            "total": {
                "kpis": _rounded(totals.headline),
                "thin": sorted(m for m in totals.thin if m in HEADLINE_METRICS),
                "before": _change(comparison.before),
                "last_year": _change(comparison.last_year),
            },
            "channels": [
                {
                    "channel": t.channel.slug,
                    "channel_name": t.channel.name,
                    "complete": t.complete,
                    "kpis": _rounded(t.values),
                    "thin": sorted(m for m in t.thin if m in HEADLINE_METRICS),
                    "before": _change(t.change) if t.change else None,
                }
                for t in totals.table
            ],
        }
        return Response(KpiChangesSerializer(body).data)
