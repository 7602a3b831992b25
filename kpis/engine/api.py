"""KPI data over the API: snapshots (values from channelhub.metrics.formulas
through kpis.engine.selectors), the export CSV (kpis.engine.exports) and
recompute runs."""

from __future__ import annotations

import csv
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channelhub.lib.api import HasRole, RulesViewSet, request_user
from channelhub.lib.dates import window_errors
from channelhub.lib.parsers import JSONParser
from channelhub.metrics import periods
from channelhub.metrics.formulas import EXPORT_KPIS, METRICS, rounded
from channels_app.channels import selectors as channels_selectors
from kpis.models import RecomputeRun
from partners.directory import selectors as directory_selectors

from . import selectors
from .exports import HEADER, export_rows
from .recompute import recompute_request

# --- KPI snapshots -----------------------------------------------------------------


def _kpi_field(metric: str) -> serializers.Field:
    m = METRICS[metric]
    if m.additive and m.unit == "count":
        return serializers.IntegerField(help_text=m.help or m.label)
    places = 2 if m.additive else 4
    return serializers.DecimalField(
        max_digits=None,
        decimal_places=places,
        allow_null=not m.additive,
        help_text=(m.help or m.label) + ("" if m.additive else " (null when undefined)"),
    )


class KpiRowSerializer(serializers.Serializer):
    channel = serializers.CharField(help_text="The channel's slug.")
    channel_name = serializers.CharField()
    partner = serializers.CharField(
        allow_null=True, help_text="The partner's slug for a partner row; null for the channel."
    )
    period_kind = serializers.CharField()
    period = serializers.CharField(help_text="2025-01-15, 2025-W03, 2025-01, FY2025-Q1, FY2025")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    complete = serializers.BooleanField(
        help_text="False while the channel's facts do not yet reach the period's last day."
    )
    kpis = inline_serializer(
        "KpiValues",
        {metric: _kpi_field(metric) for metric in EXPORT_KPIS},
        help_text="Every KPI of the export, in its order: money with 2 decimals, ratios with 4.",
    )


class KpiQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(
        choices=periods.KINDS, default="month", help_text="The period kind."
    )
    channel = serializers.ListField(
        child=serializers.SlugField(),
        required=False,
        help_text="Channel slug(s); repeat the parameter for several. Default: every channel.",
    )
    partner = serializers.SlugField(
        required=False, help_text="A partner's slug: that partner's rows instead of channels'."
    )
    start = serializers.DateField(
        required=False, help_text="Periods overlapping [start, end] are returned, in full."
    )
    end = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # No KPI lies outside the facts window (a year 0001 overflowed the periods).
        problems = window_errors("facts", start=attrs.get("start"), end=attrs.get("end"))
        if problems:
            raise serializers.ValidationError(problems)
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["The end must be on or after the start."]})
        if attrs.get("partner") and attrs["period"] == "day":
            raise serializers.ValidationError(
                {"period": ["Partner rows exist per week, month, quarter and year."]}
            )
        return attrs


def _query(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = {k: v for k, v in request.query_params.items() if k != "channel"}
    if "channel" in request.query_params:
        params["channel"] = request.query_params.getlist("channel")
    serializer = KpiQuerySerializer(data=params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# What a SlugField takes (django.core.validators.slug_re).
SLUG_PATTERN = "^[-a-zA-Z0-9_]+$"

KPI_PARAMETERS = [
    OpenApiParameter("period", str, enum=list(periods.KINDS), description="Default: month."),
    OpenApiParameter(
        "channel",
        str,
        many=True,
        explode=True,
        pattern=SLUG_PATTERN,
        description="Channel slug(s); default all. A slug that names no channel adds no rows.",
    ),
    OpenApiParameter("start", OpenApiTypes.DATE, description="Periods overlapping from here."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="…to here (in full)."),
]


class KpiSnapshotListView(GenericAPIView):
    """KPI rows per channel (or partner) and period, every value from the metric catalogue."""

    permission_classes = [HasRole]
    serializer_class = KpiRowSerializer
    filter_backends: list[Any] = []

    @extend_schema(
        operation_id="kpi_snapshots_list",
        parameters=[
            *KPI_PARAMETERS,
            OpenApiParameter(
                "partner",
                str,
                pattern=SLUG_PATTERN,
                description="A partner's slug: its own rows (none when it names no partner).",
            ),
        ],
        responses={200: KpiRowSerializer(many=True)},
        description="The stored KPI snapshots of weeks, months, fiscal quarters and years "
        "(day rows are computed from the facts), ordered by channel then period start. "
        "Ratios are derived from the summed components and are null when undefined; money "
        "has 2 decimals and ratios 4, rounded half-up (the metrics guide, section 3).",
    )
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("kpis.view_kpisnapshot"):
            raise exceptions.PermissionDenied()
        query = _query(request)
        channels = channels_selectors.channel_list(user=request.user)
        if query.get("channel"):
            channels = channels.filter(slug__in=query["channel"])
        by_id = {c.pk: c for c in channels}
        partner = None
        if query.get("partner"):
            partner = (
                directory_selectors.visible_partners(user=request.user)
                .filter(slug=query["partner"], channel_id__in=list(by_id))
                .first()
            )
            if partner is None:
                # A slug that names no partner you see has no rows, as an unknown channel.
                self.paginate_queryset([])
                return self.get_paginated_response([])
        rows = selectors.snapshot_rows(
            kind=query["period"],
            channel_ids=(
                [partner.channel_id] if partner else list(by_id) if query.get("channel") else None
            ),
            start=query.get("start"),
            end=query.get("end"),
            partner_keys=[partner.pk] if partner else None,
        )
        page = self.paginate_queryset(rows) or []
        data = [
            {
                "channel": by_id[row.channel_id].slug,
                "channel_name": by_id[row.channel_id].name,
                "partner": partner.slug if partner else None,
                "period_kind": row.kind,
                "period": row.label,
                "period_start": row.start,
                "period_end": row.end,
                "complete": row.complete,
                "kpis": {metric: rounded(metric, row.values[metric]) for metric in EXPORT_KPIS},
            }
            for row in page
            if row.channel_id in by_id
        ]
        return self.get_paginated_response(KpiRowSerializer(data, many=True).data)


class _Echo:
    def write(self, value: str) -> str:
        return value


class KpiExportView(APIView):
    """The KPI export as CSV: the columns and rows of `manage.py export_kpis`."""

    permission_classes = [HasRole]

    @extend_schema(
        operation_id="kpi_export_csv",
        parameters=KPI_PARAMETERS,
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="Header: " + ", ".join(HEADER) + ". One row per channel and "
                "period with data, ordered by channel slug then period start (the metrics guide, "
                "section 6).",
            ),
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        if not request.user.has_perm("kpis.view_kpisnapshot"):
            raise exceptions.PermissionDenied()
        query = _query(request)
        channels = None
        if query.get("channel"):
            channels = list(
                channels_selectors.channel_list(user=request.user).filter(slug__in=query["channel"])
            )
        rows = export_rows(
            kind=query["period"], channels=channels, start=query.get("start"), end=query.get("end")
        )
        writer = csv.writer(_Echo(), lineterminator="\n")
        stream = (writer.writerow(row) for row in [HEADER, *rows])
        response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
        name = slugify("-".join(query.get("channel") or [])) or "all-channels"
        response["Content-Disposition"] = (
            f'attachment; filename="kpis-{name}-{query["period"]}.csv"'
        )
        return response


# --- recompute runs ------------------------------------------------------------------


class RecomputeRunSerializer(serializers.ModelSerializer):
    requested_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    channels = serializers.SerializerMethodField(
        help_text="Ids of the channels in scope; null for every channel."
    )
    scope = serializers.CharField(source="scope_label", read_only=True)
    duration_s = serializers.FloatField(read_only=True, allow_null=True)
    warning = serializers.CharField(
        read_only=True,
        help_text="Fact rows the run skipped for their date (outside 2000-01-01 to "
        "2099-12-31), in words; empty when none.",
    )

    class Meta:
        model = RecomputeRun
        fields = [
            "id",
            "status",
            "trigger",
            "channels",
            "start_date",
            "end_date",
            "scope",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "duration_s",
            "error",
            "warning",
        ]
        read_only_fields = fields

    def get_channels(self, obj: RecomputeRun) -> list[int] | None:
        return list(obj.channel_ids) if obj.channel_ids is not None else None


class RecomputeRequestSerializer(serializers.Serializer):
    channel = serializers.SlugField(
        required=False, allow_blank=True, help_text="A channel's slug; empty: every channel."
    )
    start = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="First day whose periods are recomputed, inside the facts window "
        "(2000-01-01 to today + 2 years by default).",
    )
    end = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start"), attrs.get("end")
        problems = window_errors("facts", start=start, end=end)
        if problems:
            raise serializers.ValidationError(problems)
        if (start is None) != (end is None):
            raise serializers.ValidationError(
                {"end" if start else "start": ["Give both start and end, or neither."]}
            )
        if start and end and end < start:
            raise serializers.ValidationError({"end": ["The end must be on or after the start."]})
        return attrs


class RecomputeRunFilter(django_filters.FilterSet):
    sort = django_filters.OrderingFilter(fields=(("created_at", "created"), ("status", "status")))

    class Meta:
        model = RecomputeRun
        fields = ["status", "trigger"]


class RecomputeRunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, RulesViewSet
):
    """Recomputes of the KPI snapshots. POST queues one (202); poll its status by id."""

    # JSON only: every field is optional, so a form body that names none of
    # them would queue a recompute of everything.
    parser_classes = [JSONParser]
    serializer_class = RecomputeRunSerializer
    filterset_class = RecomputeRunFilter
    perms = {"view": "kpis.view_recomputerun", "add": "kpis.add_recomputerun"}
    # Each queues work for a worker: RATE_LIMITS["recompute"] per user (429 beyond).
    rate_limits = {"create": "recompute"}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.require("add" if self.action == "create" else "view")

    def get_queryset(self) -> QuerySet[RecomputeRun]:
        return selectors.recompute_run_list(user=self.request.user)

    @extend_schema(
        request=RecomputeRequestSerializer,
        responses={202: RecomputeRunSerializer},
        description="Queue a recompute of one channel (or all) and a date range (or all "
        "time). A worker runs it; poll GET /recompute-runs/{id}/ for its status.",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = RecomputeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        channel = None
        if data.get("channel"):
            channel = (
                channels_selectors.channel_list(user=request.user)
                .filter(slug=data["channel"])
                .first()
            )
            if channel is None:
                raise exceptions.ValidationError({"channel": [f"No channel “{data['channel']}”."]})
        run = recompute_request(
            trigger=RecomputeRun.Trigger.MANUAL,
            channel_ids=[channel.pk] if channel else None,
            start=data.get("start"),
            end=data.get("end"),
            requested_by=request_user(request),
        )
        return Response(RecomputeRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
