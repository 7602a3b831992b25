"""Channels and their objectives over the API: the same selectors, rules,
forms and services as the channel pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import QueryDict
from rest_framework import mixins, serializers

from channelhub.lib.api import (
    FormModelSerializer,
    RulesViewSet,
    ServiceWriteMixin,
    SlugField,
    request_user,
)
from channelhub.lib.filtering import key_filter
from channelhub.metrics.formulas import OBJECTIVE_STATUS_CHOICES, OBJECTIVE_STATUS_LABELS
from channels_app.channels import selectors as channels_selectors
from channels_app.channels.filters import ChannelFilter, ObjectiveFilter
from channels_app.channels.forms import ChannelForm, ObjectiveForm
from channels_app.channels.models import RESERVED_SLUGS, Channel, ChannelObjective

from .channels import services

User = get_user_model()


# --- channels ----------------------------------------------------------------------


class ChannelSerializer(FormModelSerializer):
    form_class = ChannelForm

    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Username of the channel's owner.",
    )
    slug = SlugField(
        max_length=80,
        required=False,
        allow_blank=True,
        reserved=RESERVED_SLUGS,
        help_text="Used in imports and URLs. Empty: made from the name.",
        # Uniqueness is the form's check (with the page's message).
        validators=[],
    )
    objective_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Channel
        fields = [
            "slug",
            "name",
            "kind",
            "route",
            "reach",
            "owner",
            "status",
            "start_date",
            "target_segment",
            "value_proposition",
            "notes",
            "objective_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class ChannelApiFilter(ChannelFilter):
    owner = key_filter("owner__username", "Owner (username)")


class ChannelViewSet(
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    RulesViewSet,
):
    """Channels. A status change (planned → active ⇄ paused → retired) is an
    update of `status`; channels are retired, not deleted."""

    serializer_class = ChannelSerializer
    # A slug in use: 409.
    conflict_responses = True
    filterset_class = ChannelApiFilter
    lookup_field = "slug"
    # Any slug the URL can carry reaches the view (which answers 404), dots included.
    lookup_value_regex = "[^/]+"
    perms = {
        "view": "channels_app.view_channel",
        "add": "channels_app.add_channel",
        "change": "channels_app.change_channel",
    }

    def get_queryset(self) -> QuerySet[Channel]:
        return channels_selectors.channel_list(user=self.request.user)

    def create_data(self) -> Any:
        data = self.request.data
        # As on the page: the owner is whoever creates it, unless they say otherwise.
        if isinstance(data, Mapping) and "owner" not in data:
            owner = self.request.user.get_username()
            data = (
                {**data.dict(), "owner": owner}
                if isinstance(data, QueryDict)
                else {**data, "owner": owner}
            )
        return data

    def service_create(self, data: dict[str, Any]) -> Channel:
        return services.channel_create(**data)

    def service_update(self, obj: Channel, data: dict[str, Any]) -> Channel:
        return services.channel_update(channel=obj, data=data)

    def read(self, channel: Channel) -> dict[str, Any]:
        return self.get_serializer(self.get_queryset().get(pk=channel.pk)).data


# --- objectives --------------------------------------------------------------------


def _evaluation_number() -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=30, decimal_places=10, read_only=True, allow_null=True
    )


# The objective's stored evaluation: a row the KPI engine writes, read through
# the objective's `evaluation` relation (channels_app does not import kpis).
class ObjectiveEvaluationSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OBJECTIVE_STATUS_CHOICES, read_only=True)
    status_label = serializers.SerializerMethodField()
    actual = _evaluation_number()
    projected = _evaluation_number()
    progress = _evaluation_number()
    as_of = serializers.DateField(read_only=True, allow_null=True)

    def get_status_label(self, obj: Any) -> str:
        return OBJECTIVE_STATUS_LABELS[obj.status]


class ObjectiveSerializer(FormModelSerializer):
    form_class = ObjectiveForm

    channel = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Channel.objects.all(),
        help_text="The channel's slug. Set on creation; an objective stays with its channel.",
    )
    target = serializers.DecimalField(
        max_digits=20,
        decimal_places=4,
        help_text="Percent metrics (ROI, CTR, margin, share, ...) as a fraction: 0.25 = 25%.",
    )
    direction = serializers.ChoiceField(
        choices=ChannelObjective.Direction.choices,
        required=False,
        allow_blank=True,
        help_text="Empty: the usual one (at most for costs, at least otherwise).",
    )
    evaluation = ObjectiveEvaluationSerializer(
        read_only=True,
        allow_null=True,
        help_text="The stored evaluation (the metrics guide, section 4), refreshed by every "
        "recompute.",
    )

    class Meta:
        model = ChannelObjective
        fields = [
            "id",
            "channel",
            "metric",
            "target",
            "direction",
            "start_date",
            "end_date",
            "description",
            "evaluation",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        channel = attrs.pop("channel", None)
        if self.instance is not None:
            if channel is not None and channel != self.instance.channel:
                raise serializers.ValidationError(
                    {"channel": ["An objective stays with its channel."]}
                )
            channel = self.instance.channel
        cleaned = super().validate(attrs)
        cleaned["channel"] = channel
        return cleaned


class ObjectiveApiFilter(ObjectiveFilter):
    channel = key_filter("channel__slug", "Channel (slug)")


class ObjectiveViewSet(
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    RulesViewSet,
):
    """Objectives of channels, each with its stored evaluation (status,
    actual, projected, progress)."""

    serializer_class = ObjectiveSerializer
    # An identical objective of the channel: 409.
    conflict_responses = True
    filterset_class = ObjectiveApiFilter
    perms = {
        "view": "channels_app.view_channelobjective",
        "add": "channels_app.add_channelobjective",
        "change": "channels_app.change_channelobjective",
        "delete": "channels_app.delete_channelobjective",
    }

    def get_queryset(self) -> QuerySet[ChannelObjective]:
        return channels_selectors.objective_list(user=self.request.user).order_by(
            "channel__name", "start_date", "metric", "pk"
        )

    def service_create(self, data: dict[str, Any]) -> ChannelObjective:
        channel = data.pop("channel")
        # As on the page: whoever may change the channel adds its objectives.
        self.require_perm("channels_app.change_channel", channel)
        self.require("add", channel)
        return services.objective_create(
            channel=channel, created_by=request_user(self.request), **data
        )

    def service_update(self, obj: ChannelObjective, data: dict[str, Any]) -> ChannelObjective:
        data.pop("channel", None)
        return services.objective_update(objective=obj, data=data)

    def perform_destroy(self, instance: ChannelObjective) -> None:
        services.objective_delete(objective=instance)

    def read(self, objective: ChannelObjective) -> dict[str, Any]:
        return self.get_serializer(self.get_queryset().get(pk=objective.pk)).data
