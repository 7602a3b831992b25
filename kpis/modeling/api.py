"""The modeled ROI over the API: model runs (list, start, follow), the live
model's results and response curves, lift tests (create, read, change,
delete) and budget plans (plan and save, read, delete). Writes go through the
pages' forms and services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channelhub.lib.api import (
    FormModelSerializer,
    HasRole,
    RulesViewSet,
    ServiceWriteMixin,
    request_user,
    validate_with_form,
)
from channelhub.lib.fields import MONEY_ERRORS, MONEY_MAX_DIGITS
from channelhub.lib.parsers import JSONParser
from channels_app.channels.models import Channel
from kpis.models import BudgetPlan, ChannelModelResult, LiftTest, ModelRun

from . import selectors, services
from .forms import LiftTestForm, PlanForm, bound_field, bound_of_field
from .planner import PlanError

# --- model runs -----------------------------------------------------------------------


class ModelRunSerializer(serializers.ModelSerializer):
    requested_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    duration_s = serializers.FloatField(read_only=True, allow_null=True)
    outcome = serializers.CharField(read_only=True, help_text="The outcome in one sentence.")

    class Meta:
        model = ModelRun
        fields = [
            "id",
            "status",
            "trigger",
            "requested_by",
            "data_start",
            "data_end",
            "created_at",
            "started_at",
            "finished_at",
            "published_at",
            "duration_s",
            "fit_seconds",
            "library",
            "reason",
            "error",
            "outcome",
            "diagnostics",
            "warnings",
        ]
        read_only_fields = fields


class ModelRunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, RulesViewSet
):
    """Fits of the marketing-mix model. POST starts one (or returns the one
    already waiting or running); poll GET /model-runs/{id}/ for its outcome."""

    serializer_class = ModelRunSerializer
    perms = {"view": "kpis.view_modelrun", "add": "kpis.add_modelrun"}
    # Each starts minutes of work: RATE_LIMITS["model_fit"] per user (429 beyond).
    rate_limits = {"create": "model_fit"}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.require("add" if self.action == "create" else "view")

    def get_queryset(self) -> QuerySet[ModelRun]:
        return selectors.run_list()

    @extend_schema(
        request=None,
        responses={202: ModelRunSerializer, 200: ModelRunSerializer},
        description="Start a fit on every day of facts. 202: queued; 200: a fit was already "
        "waiting or running, and that one is returned.",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        run, created = services.model_fit_request(
            trigger=ModelRun.Trigger.API, requested_by=request_user(request)
        )
        return Response(
            ModelRunSerializer(run).data,
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )


# --- results and curves ---------------------------------------------------------------


class ChannelResultSerializer(serializers.ModelSerializer):
    channel = serializers.CharField(source="slug", read_only=True)
    attributed_roas = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = ChannelModelResult
        fields = [
            "channel",
            "name",
            "status",
            "reason",
            "spend",
            "attributed_revenue",
            "attributed_roas",
            "incremental_revenue",
            "incremental_revenue_low",
            "incremental_revenue_high",
            "incremental_roas",
            "roas_low",
            "roas_high",
            "incremental_roi",
            "marginal_roas",
            "marginal_roas_low",
            "marginal_roas_high",
            "half_life_days",
            "saturation_point",
            "moved",
        ]
        read_only_fields = fields


class ModelResultsSerializer(serializers.Serializer):
    run = ModelRunSerializer(allow_null=True)
    stale = serializers.BooleanField(help_text="Facts changed after this model was fitted.")
    channels = ChannelResultSerializer(many=True)


class ModelResultsView(APIView):
    """The live model's results per channel (none until a fit published)."""

    permission_classes = [HasRole]

    @extend_schema(responses={200: ModelResultsSerializer})
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("kpis.view_modelrun"):
            raise exceptions.PermissionDenied("You do not have permission to do this.")
        page = selectors.model_page()
        return Response(
            ModelResultsSerializer(
                {"run": page.live, "stale": page.stale, "channels": page.results}
            ).data
        )


CurveSerializer = inline_serializer(
    "ModelCurve",
    many=True,
    fields={
        "channel": serializers.CharField(),
        "name": serializers.CharField(),
        "today_daily_spend": serializers.FloatField(
            allow_null=True,
            help_text="Average daily cost over the fitted days (the held-out weeks left out).",
        ),
        "recent_daily_spend": serializers.FloatField(
            allow_null=True,
            help_text="Average daily cost of the data's last 13 weeks: today's spend in the "
            "planner (null for a fit that did not record it; the planner then uses the "
            "window's average).",
        ),
        "spend": serializers.ListField(child=serializers.FloatField()),
        "mean": serializers.ListField(child=serializers.FloatField()),
        "low": serializers.ListField(child=serializers.FloatField()),
        "high": serializers.ListField(child=serializers.FloatField()),
        "months_seen": serializers.ListField(
            child=serializers.FloatField(),
            allow_null=True,
            help_text="Average daily cost of the channel's quietest and busiest whole month "
            "in the model's data (null for a fit that did not record them): with today's, "
            "the planner's default range.",
        ),
        "samples": serializers.ListField(
            child=serializers.ListField(child=serializers.FloatField()),
            required=False,
            help_text="Posterior draws (with ?samples=1): one list per draw, same draw "
            "index across channels.",
        ),
    },
)


class ModelCurvesView(APIView):
    """Response curves of the live model: daily cost held steady -> daily
    incremental revenue, with the 90% band."""

    permission_classes = [HasRole]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "samples", OpenApiTypes.BOOL, description="Include the posterior draws."
            )
        ],
        responses={200: CurveSerializer},
    )
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("kpis.view_modelrun"):
            raise exceptions.PermissionDenied("You do not have permission to do this.")
        samples = request.query_params.get("samples", "false")
        if samples not in ("1", "true", "0", "false"):
            raise exceptions.ValidationError({"samples": ["Say true or false."]})
        live = selectors.live_run()
        with_samples = samples in ("1", "true")
        rows = selectors.results(live, with_samples=with_samples) if live else []
        data = []
        for r in rows:
            if r.curve is None:
                continue
            item: dict[str, Any] = {
                "channel": r.slug,
                "name": r.name,
                "today_daily_spend": r.daily_spend,
            }
            item.update({k: r.curve.get(k, []) for k in ("spend", "mean", "low", "high")})
            item["months_seen"] = r.curve.get("months_seen")
            item["recent_daily_spend"] = r.curve.get("recent_daily")
            if with_samples:
                item["samples"] = r.curve_samples or []
            data.append(item)
        return Response(data)


# --- lift tests -----------------------------------------------------------------------


class LiftTestSerializer(FormModelSerializer):
    form_class = LiftTestForm
    channel: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", queryset=Channel.objects.all(), help_text="The channel's slug."
    )
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = LiftTest
        fields = [
            "id",
            "channel",
            "name",
            "start",
            "end",
            "cost",
            "delta_cost",
            "delta_revenue",
            "sigma",
            "notes",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["id", "created_by", "created_at"]
        # The form's limits on amounts, stated in the schema.
        extra_kwargs = {
            name: {"max_digits": MONEY_MAX_DIGITS, "error_messages": MONEY_ERRORS}
            for name in LiftTestForm.AMOUNTS
        }


class LiftTestViewSet(
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    RulesViewSet,
):
    """Lift tests (measured experiments); the next fit calibrates with them.
    Changed or deleted by the marketing manager who recorded them."""

    serializer_class = LiftTestSerializer
    perms = {
        "view": "kpis.view_lifttest",
        "add": "kpis.add_lifttest",
        "change": "kpis.change_lifttest",
        "delete": "kpis.delete_lifttest",
    }

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.require("view")

    def get_queryset(self) -> QuerySet[LiftTest]:
        return selectors.lift_test_list()

    def service_create(self, data: dict[str, Any]) -> LiftTest:
        return services.lift_test_save(test=LiftTest(**data), user=request_user(self.request))

    def service_update(self, obj: LiftTest, data: dict[str, Any]) -> LiftTest:
        for name, value in data.items():
            setattr(obj, name, value)
        return services.lift_test_save(test=obj)

    def perform_destroy(self, instance: LiftTest) -> None:
        services.lift_test_delete(test=instance)


# --- budget plans ---------------------------------------------------------------------


class BoundSerializer(serializers.Serializer):
    min = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)
    max = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)
    locked = serializers.BooleanField(default=False)

    def to_internal_value(self, data: Any) -> Any:
        # A mistyped key ("minimum") would otherwise plan without that bound.
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {key: ["Not a bound: give min, max or locked."] for key in unknown}
                )
        return super().to_internal_value(data)


class BudgetPlanSerializer(serializers.ModelSerializer):
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    result = serializers.JSONField(
        read_only=True,
        help_text="total, days, goal, outcome and today_outcome ({mean, low, high}: the 90% "
        "interval), channels: [{slug, name, amount, today, outcome, capped}], and notes "
        "(sentences on what the answer means, when there are any).",
    )

    class Meta:
        model = BudgetPlan
        fields = [
            "id",
            "name",
            "run",
            "goal",
            "mode",
            "period_start",
            "period_end",
            "total_budget",
            "target",
            "bounds",
            "reach",
            "result",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class PlanRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    goal = serializers.ChoiceField(choices=BudgetPlan.Goal.choices, default="revenue")
    mode = serializers.ChoiceField(choices=BudgetPlan.Mode.choices, default="budget")
    period = serializers.ChoiceField(choices=PlanForm.PERIODS, default="month")
    start = serializers.DateField(help_text="The first day of a coming month or quarter.")
    total_budget = serializers.DecimalField(
        max_digits=16, decimal_places=2, required=False, allow_null=True
    )
    target = serializers.DecimalField(
        max_digits=16, decimal_places=2, required=False, allow_null=True
    )
    bounds = serializers.DictField(
        child=BoundSerializer(),
        required=False,
        help_text="Per channel slug: {min, max, locked}; totals over the period.",
    )
    reach = serializers.ChoiceField(
        choices=BudgetPlan.Reach.choices,
        default=BudgetPlan.Reach.NEAR,
        help_text="How far a channel without a bound may move from today's spend: near "
        "(from half to twice today's, or from its quietest to its busiest whole month in the "
        "model's data where that is wider), or free (anywhere, down to nothing).",
    )


def _bounds_nested(exc: exceptions.ValidationError) -> exceptions.ValidationError:
    """The form's messages on a channel's bound (forms.bound_field) under
    `bounds: {slug: {min: [...]}}`, as the request put them."""
    if not isinstance(exc.detail, dict):
        return exc
    errors: dict[str, Any] = {}
    bounds: dict[str, dict[str, Any]] = {}
    for field, messages in exc.detail.items():
        bound = bound_of_field(str(field))
        if bound:
            bounds.setdefault(bound[0], {})[bound[1]] = messages
        else:
            errors[field] = messages
    if bounds:
        errors["bounds"] = bounds
    return type(exc)(errors)


class BudgetPlanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    RulesViewSet,
):
    """Saved budget plans. POST plans a budget on the live model and saves it."""

    # JSON only: bounds are nested objects, which a form body cannot carry
    # (its "bounds[x][min]" keys were dropped, and the plan saved without them).
    parser_classes = [JSONParser]
    serializer_class = BudgetPlanSerializer
    perms = {
        "view": "kpis.view_budgetplan",
        "add": "kpis.add_budgetplan",
        "delete": "kpis.delete_budgetplan",
    }

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.require("add" if self.action == "create" else "view")

    def get_queryset(self) -> QuerySet[BudgetPlan]:
        return selectors.plan_list()

    @extend_schema(request=PlanRequestSerializer, responses={201: BudgetPlanSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        question = PlanRequestSerializer(data=request.data)
        question.is_valid(raise_exception=True)
        data = dict(question.validated_data)
        live = selectors.live_run()
        if live is None:
            raise exceptions.ValidationError({"non_field_errors": ["There is no model yet."]})
        slugs = {c.slug: c.name for c in selectors.planner_curves(live)}
        bounds = data.pop("bounds", {}) or {}
        unknown = sorted(set(bounds) - set(slugs))
        if unknown:
            raise exceptions.ValidationError(
                {"bounds": [f"No response curve for: {', '.join(unknown)}."]}
            )
        flat = {**data}
        for slug, bound in bounds.items():
            flat[bound_field("min", slug)] = bound.get("min")
            flat[bound_field("max", slug)] = bound.get("max")
            flat[bound_field("locked", slug)] = bool(bound.get("locked"))
        form_data = {k: v for k, v in flat.items() if v is not None and v is not False}
        try:
            cleaned = validate_with_form(PlanForm, form_data, slugs=slugs)
        except exceptions.ValidationError as exc:
            raise _bounds_nested(exc) from exc
        form = PlanForm(data={}, slugs=slugs)
        form.cleaned_data = cleaned
        try:
            plan = services.plan_create(
                run=live,
                name=cleaned["name"],
                mode=cleaned["mode"],
                goal=cleaned["goal"],
                start=cleaned["start"],
                end=cleaned["end"],
                total_budget=cleaned.get("total_budget"),
                target=cleaned.get("target"),
                bounds=form.bounds(),
                reach=cleaned["reach"],
                user=request_user(request),
            )
        except PlanError as exc:
            raise exceptions.ValidationError({exc.field or "non_field_errors": [str(exc)]}) from exc
        return Response(BudgetPlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: BudgetPlan) -> None:
        services.plan_delete(plan=instance)
