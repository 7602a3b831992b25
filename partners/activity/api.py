"""Interactions and performance reviews over the API: the same selectors,
forms and services as the pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from channelhub.lib.api import (
    FormModelSerializer,
    request_user,
)
from channelhub.lib.dates import validate_business_date
from channelhub.lib.filtering import BooleanFilter
from channelhub.lib.parsers import JSONParser
from partners.directory import selectors as directory_selectors
from partners.directory.api import (
    PartnerScopedViewSet,
    PartnerSlugField,
    PartnerSlugFilter,
    _keep_partner,
)
from partners.directory.models import PartnerContact

from . import services
from .forms import InteractionForm, ReviewForm
from .models import SCORE_FIELDS, Interaction, PartnerReview


class InteractionSerializer(FormModelSerializer):
    form_class = InteractionForm
    partner = PartnerSlugField()
    contacts = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=PartnerContact.objects.all(),
        required=False,
        help_text="Ids of the partner's people who took part.",
    )
    logged_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = Interaction
        fields = [
            "id",
            "partner",
            "kind",
            "occurred_on",
            "contacts",
            "participants",
            "summary",
            "outcome",
            "next_step",
            "follow_up_on",
            "follow_up_done_on",
            "logged_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "follow_up_done_on", "created_at", "updated_at"]

    def form_kwargs(self) -> dict[str, Any]:
        partner = self.instance.partner if self.instance is not None else self.context["partner"]
        return {"partner": partner}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        partner = _keep_partner(self, attrs)
        return {**super().validate(attrs), "partner": partner}


class FollowUpSerializer(serializers.Serializer):
    done = serializers.BooleanField(default=True, help_text="False reopens the follow-up.")


class InteractionFilter(PartnerSlugFilter):
    occurred_after = django_filters.DateFilter(field_name="occurred_on", lookup_expr="gte")
    occurred_before = django_filters.DateFilter(field_name="occurred_on", lookup_expr="lte")
    follow_up_open = BooleanFilter(
        field_name="follow_up_done_on", lookup_expr="isnull", label="Follow-up still open"
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("occurred_on", "date"),
            ("follow_up_on", "follow_up"),
            ("partner__name", "partner"),
        )
    )

    class Meta:
        model = Interaction
        fields = ["partner", "kind", "occurred_after", "occurred_before", "follow_up_open"]


class InteractionViewSet(
    PartnerScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """The interaction log (calls, emails, meetings, visits, ...) with partners."""

    serializer_class = InteractionSerializer
    filterset_class = InteractionFilter
    perms = {
        "view": "partners.view_interaction",
        "add": "partners.add_interaction",
        "change": "partners.change_interaction",
    }
    action_perms = {"follow_up_done": "change"}

    def get_queryset(self) -> QuerySet[Interaction]:
        return (
            Interaction.objects.filter(
                partner__in=directory_selectors.visible_partners(user=self.request.user)
            )
            .select_related("partner", "logged_by")
            .prefetch_related("contacts")
            .order_by("-occurred_on", "-pk")
        )

    def service_create(self, data: dict[str, Any]) -> Interaction:
        data.pop("partner")
        return services.interaction_create(
            partner=self.create_partner, logged_by=request_user(self.request), **data
        )

    def service_update(self, obj: Interaction, data: dict[str, Any]) -> Interaction:
        data.pop("partner")
        return services.interaction_update(interaction=obj, data=data)

    @extend_schema(
        request=FollowUpSerializer,
        responses={200: InteractionSerializer},
        description="Mark the interaction's follow-up done (or open again).",
    )
    @action(detail=True, methods=["post"], url_path="follow-up-done")
    def follow_up_done(self, request: Request, pk: str | None = None) -> Response:
        interaction = self.get_object()
        serializer = FollowUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        interaction = services.follow_up_set_done(
            interaction=interaction, done=serializer.validated_data["done"]
        )
        return Response(self.read(interaction))

    def read(self, interaction: Interaction) -> dict[str, Any]:
        return dict(
            InteractionSerializer(
                self.get_queryset().get(pk=interaction.pk), context=self.get_serializer_context()
            ).data
        )


class ActionItemSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=300)
    owner = serializers.CharField(max_length=120, help_text="Who does it.")
    due_on = serializers.DateField(validators=[validate_business_date])
    done_on = serializers.DateField(
        required=False, allow_null=True, validators=[validate_business_date]
    )


class ReviewSerializer(FormModelSerializer):
    form_class = ReviewForm
    partner = PartnerSlugField()
    action_items = ActionItemSerializer(  # type: ignore[call-arg]
        many=True,
        required=False,
        max_length=30,
        help_text="Agreed actions. On update, sending the list replaces them all.",
    )
    author: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    editable_until = serializers.SerializerMethodField(
        help_text="Until when the author may still edit it (after that, an administrator)."
    )
    next_review_on = serializers.DateField(
        required=False,
        allow_null=True,
        validators=[validate_business_date],
        help_text="Empty: the partner's tier cadence after this review.",
    )

    class Meta:
        model = PartnerReview
        fields = [
            "id",
            "partner",
            "period_start",
            "period_end",
            "reviewed_on",
            *SCORE_FIELDS,
            "overall",
            "strengths",
            "improvements",
            "next_review_on",
            "action_items",
            "author",
            "created_at",
            "editable_until",
            "updated_at",
        ]
        read_only_fields = ["id", "overall", "created_at", "updated_at"]
        extra_kwargs = {name: {"min_value": 1, "max_value": 5} for name in SCORE_FIELDS}

    def get_editable_until(self, obj: PartnerReview) -> datetime:
        return cast(datetime, obj.edit_window_ends_at)

    def form_kwargs(self) -> dict[str, Any]:
        partner = self.instance.partner if self.instance is not None else self.context["partner"]
        return {"default_cadence_days": services.review_cadence_days(partner)}

    def to_representation(self, instance: PartnerReview) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["action_items"] = [
            {
                "description": item.description,
                "owner": item.owner,
                "due_on": item.due_on.isoformat(),
                "done_on": item.done_on.isoformat() if item.done_on else None,
            }
            for item in instance.action_items.all()
        ]
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        partner = _keep_partner(self, attrs)
        items = attrs.pop("action_items", None)
        cleaned = super().validate(attrs)
        return {**cleaned, "partner": partner, "action_items": items}


class ReviewFilter(PartnerSlugFilter):
    reviewed_after = django_filters.DateFilter(field_name="reviewed_on", lookup_expr="gte")
    reviewed_before = django_filters.DateFilter(field_name="reviewed_on", lookup_expr="lte")
    sort = django_filters.OrderingFilter(
        fields=(("reviewed_on", "reviewed"), ("overall", "overall"), ("partner__name", "partner"))
    )

    class Meta:
        model = PartnerReview
        fields = ["partner", "reviewed_after", "reviewed_before"]


class ReviewViewSet(
    PartnerScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Performance reviews of partners. The author may edit a review for 7 days
    after submitting it; after that only an administrator may (rules.py)."""

    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    # JSON only: a form encoding cannot carry the list of action items, which
    # DRF then read as none (a review "with" four items was stored without them).
    parser_classes = [JSONParser]
    perms = {
        "view": "partners.view_partnerreview",
        "add": "partners.add_partnerreview",
        "change": "partners.change_partnerreview",
    }

    def get_queryset(self) -> QuerySet[PartnerReview]:
        return (
            PartnerReview.objects.filter(
                partner__in=directory_selectors.visible_partners(user=self.request.user)
            )
            .select_related("partner", "partner__tier", "author")
            .prefetch_related("action_items")
            .order_by("-reviewed_on", "-pk")
        )

    def service_create(self, data: dict[str, Any]) -> PartnerReview:
        data.pop("partner")
        data["action_items"] = data.get("action_items") or []
        return services.review_submit(
            partner=self.create_partner, author=request_user(self.request), **data
        )

    def service_update(self, obj: PartnerReview, data: dict[str, Any]) -> PartnerReview:
        data.pop("partner")
        items = data.pop("action_items")
        return services.review_update(
            review=obj, editor=request_user(self.request), data=data, action_items=items
        )

    def read(self, review: PartnerReview) -> dict[str, Any]:
        return dict(
            ReviewSerializer(
                self.get_queryset().get(pk=review.pk), context=self.get_serializer_context()
            ).data
        )
