"""Partners and their contacts over the API: the same selectors, forms and
services as the pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import django_filters
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from channelhub.lib.api import (
    FormModelSerializer,
    RulesViewSet,
    ServiceWriteMixin,
    SlugField,
    request_user,
    validate_with_form,
)
from channelhub.lib.dates import validate_business_date
from channelhub.lib.filtering import BooleanFilter, key_filter
from channels_app.channels.models import Channel

from . import selectors, services
from .filters import PartnerFilter
from .forms import ContactForm, PartnerForm, StatusForm
from .models import RESERVED_SLUGS, Partner, PartnerContact, Tier

User = get_user_model()


PARTNER_SLUG_HELP = "The partner's slug. Set on creation; it stays with its partner."


class PartnerScopedViewSet(ServiceWriteMixin, RulesViewSet):
    """Objects kept about a partner: created for a partner named in the body,
    which must be visible (else 400) and changeable by the user (else 403)."""

    def partner_for_create(self) -> Partner:
        data = self.request.data
        slug = data.get("partner") if isinstance(data, Mapping) else None
        if not slug or not isinstance(slug, str):
            raise exceptions.ValidationError({"partner": ["This field is required."]})
        partner = (
            selectors.partner_detail_queryset(user=self.request.user).filter(slug=slug).first()
        )
        if partner is None:
            raise exceptions.ValidationError({"partner": [f"No partner “{slug}”."]})
        self.require("add", partner)
        self.create_partner = partner
        return partner

    def check_create(self) -> None:
        self.partner_for_create()

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "partner": getattr(self, "create_partner", None),
        }


class RegionCodesField(serializers.ListField):
    """Territories as a list of region codes (["AT", "DE"]); the form normalises them."""

    def __init__(self, **kwargs: Any) -> None:
        code = serializers.CharField(
            max_length=10,
            validators=[
                RegexValidator(
                    r"^[A-Za-z]{2,4}(-[A-Za-z0-9]{1,3})?$",
                    "“%(value)s” is not a region code: use e.g. DE, US-CA or DACH.",
                )
            ],
        )
        super().__init__(child=code, required=False, **kwargs)

    def to_representation(self, data: Any) -> list[str]:
        return [territory.code for territory in data.all()]


class PartnerSlugField(serializers.SlugRelatedField):
    """The owning partner, by slug: written on creation, then read-only."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", PARTNER_SLUG_HELP)
        super().__init__(slug_field="slug", queryset=Partner.objects.all(), **kwargs)


def _keep_partner(serializer: serializers.Serializer, attrs: dict[str, Any]) -> Partner:
    """The partner a sub-object belongs to; moving it to another is refused."""
    partner = attrs.pop("partner", None)
    instance = serializer.instance
    if instance is not None:
        if partner is not None and partner != instance.partner:
            raise exceptions.ValidationError({"partner": ["It stays with its partner."]})
        return cast(Partner, instance.partner)
    return cast(Partner, serializer.context["partner"] or partner)


class ContactSerializer(FormModelSerializer):
    form_class = ContactForm
    partner = PartnerSlugField()

    class Meta:
        model = PartnerContact
        fields = [
            "id",
            "partner",
            "name",
            "role",
            "email",
            "phone",
            "is_primary",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        partner = _keep_partner(self, attrs)
        return {**super().validate(attrs), "partner": partner}


class FlagSerializer(serializers.Serializer):
    kind = serializers.CharField()
    message = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)


class PartnerSerializer(FormModelSerializer):
    form_class = PartnerForm

    channel = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Channel.objects.all(),
        help_text="Slug of the (indirect) channel the partner sells through.",
    )
    slug = SlugField(
        max_length=80,
        required=False,
        allow_blank=True,
        validators=[],
        reserved=RESERVED_SLUGS,
        help_text="Used in imports and URLs. Empty: made from the name.",
    )
    status = serializers.ChoiceField(
        choices=Partner.Status.choices,
        required=False,
        help_text="On creation: prospect, onboarding or active. Afterwards it changes "
        "only through POST /partners/{slug}/status/ (each change is dated and kept).",
    )
    tier = serializers.SlugRelatedField(
        slug_field="code", queryset=Tier.objects.all(), required=False, allow_null=True
    )
    manager = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Username of the partner manager. A partner manager may only name "
        "themself (the default).",
    )
    territories = RegionCodesField(help_text='Region codes, e.g. ["DE", "AT", "US-CA"].')
    website = serializers.CharField(required=False, allow_blank=True, max_length=200)
    onboarding_percent = serializers.SerializerMethodField()
    flags = serializers.SerializerMethodField(
        help_text="What needs attention, one kind each (details in flag_details)."
    )
    flag_details = serializers.SerializerMethodField()

    class Meta:
        model = Partner
        fields = [
            "slug",
            "name",
            "channel",
            "kind",
            "status",
            "status_since",
            "tier",
            "manager",
            "territories",
            "website",
            "description",
            "next_review_on",
            "onboarding_percent",
            "flags",
            "flag_details",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status_since", "next_review_on", "created_at", "updated_at"]

    def get_onboarding_percent(self, obj: Partner) -> int | None:
        return selectors.onboarding_percent(obj)

    def get_flags(self, obj: Partner) -> list[str]:
        # One kind each: two follow-ups overdue are one "follow_up_overdue".
        return sorted({flag.kind for flag in obj.flags.all()})

    @extend_schema_field(FlagSerializer(many=True))
    def get_flag_details(self, obj: Partner) -> list[dict[str, Any]]:
        """Each flag: its kind, what it says and when it was due."""
        return [
            {"kind": f.kind, "message": f.message, "due_on": f.due_on}
            for f in sorted(obj.flags.all(), key=lambda f: (f.due_on is None, f.due_on, f.kind))
        ]

    def form_kwargs(self) -> dict[str, Any]:
        user = self.context["request"].user
        return {
            "can_assign_manager": user.has_perm("partners.assign_partner_manager"),
            "user": user,
        }

    def form_initial(self, instance: Partner) -> dict[str, Any]:
        initial = super().form_initial(instance)
        initial["territories"] = [t.code for t in instance.territories.all()]
        return initial

    def to_form_data(self, data: dict[str, Any]) -> dict[str, Any]:
        if isinstance(data.get("territories"), list | tuple):
            data["territories"] = ", ".join(data["territories"])
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and attrs.get("status", self.instance.status) != (
            self.instance.status
        ):
            raise exceptions.ValidationError(
                {"status": ["Change the status with POST /api/v1/partners/{slug}/status/."]}
            )
        if self.instance is not None:
            attrs.pop("status", None)  # the form has no status field when editing
        else:
            attrs.setdefault("manager", self.context["request"].user)
        return super().validate(attrs)


class PartnerDetailSerializer(PartnerSerializer):
    contacts = ContactSerializer(many=True, read_only=True)

    class Meta(PartnerSerializer.Meta):
        fields = [*PartnerSerializer.Meta.fields, "contacts"]


class PartnerStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Partner.Status.choices)
    changed_on = serializers.DateField(
        required=False,
        allow_null=True,
        validators=[validate_business_date],
        help_text="Empty: today.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class PartnerApiFilter(PartnerFilter):
    channel = key_filter("channel__slug", "Channel (slug)")
    tier = key_filter("tier__code", "Tier (code)")
    manager = key_filter("manager__username", "Manager (username)")
    territory = key_filter("territories__code", "Territory (region code)", distinct=True)


class PartnerViewSet(
    ServiceWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    RulesViewSet,
):
    """Partners of the indirect channels. The detail includes their contacts."""

    filterset_class = PartnerApiFilter
    lookup_field = "slug"
    # Any slug the URL can carry reaches the view (which answers 404), dots included.
    lookup_value_regex = "[^/]+"
    # A slug in use: 409.
    conflict_responses = True
    perms = {
        "view": "partners.view_partner",
        "add": "partners.add_partner",
        "change": "partners.change_partner",
    }
    action_perms = {"set_status": "change"}

    def get_queryset(self) -> QuerySet[Partner]:
        if self.action == "list":
            return selectors.partner_list(user=self.request.user)
        return selectors.partner_detail_queryset(user=self.request.user).prefetch_related(
            "territories", "flags", "contacts__partner"
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "list":
            return PartnerSerializer
        if self.action == "set_status":
            return PartnerStatusSerializer
        return PartnerDetailSerializer

    def service_create(self, data: dict[str, Any]) -> Partner:
        return services.partner_create(created_by=request_user(self.request), **data)

    def service_update(self, obj: Partner, data: dict[str, Any]) -> Partner:
        if not self.request.user.has_perm("partners.assign_partner_manager"):
            data.pop("manager", None)
        return services.partner_update(
            partner=obj, data=data, changed_by=request_user(self.request)
        )

    @extend_schema(
        request=PartnerStatusSerializer,
        responses={200: PartnerDetailSerializer},
        description="Move the partner to another status (prospect → onboarding → active "
        "⇄ at risk / suspended → offboarded); the change is dated and kept in its history.",
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, slug: str | None = None) -> Response:
        partner = self.get_object()
        serializer = PartnerStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cleaned = validate_with_form(
            StatusForm,
            serializer.validated_data,
            allowed=services.STATUS_TRANSITIONS[partner.status],
        )
        partner = services.partner_set_status(
            partner=partner,
            status=cleaned["status"],
            changed_by=request_user(request),
            changed_on=cleaned["changed_on"],
            note=cleaned["note"],
        )
        return Response(self.read(partner))

    def read(self, partner: Partner) -> dict[str, Any]:
        fresh = (
            selectors.partner_detail_queryset(user=self.request.user)
            .prefetch_related("territories", "flags", "contacts__partner")
            .get(pk=partner.pk)
        )
        return PartnerDetailSerializer(fresh, context=self.get_serializer_context()).data


class PartnerSlugFilter(django_filters.FilterSet):
    partner = key_filter("partner__slug", "Partner (slug)")


class ContactFilter(PartnerSlugFilter):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name")
    is_primary = BooleanFilter()
    sort = django_filters.OrderingFilter(
        fields=(("name", "name"), ("partner__name", "partner"), ("updated_at", "updated"))
    )

    class Meta:
        model = PartnerContact
        fields = ["partner", "q", "is_primary"]


class ContactViewSet(
    PartnerScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    """People at partners. Filter by `partner` (slug) for one partner's contacts."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    perms = {
        "view": "partners.view_partnercontact",
        "add": "partners.add_partnercontact",
        "change": "partners.change_partnercontact",
        "delete": "partners.delete_partnercontact",
    }

    def get_queryset(self) -> QuerySet[PartnerContact]:
        return (
            PartnerContact.objects.filter(
                partner__in=selectors.visible_partners(user=self.request.user)
            )
            .select_related("partner")
            .order_by("partner__name", "-is_primary", "name", "pk")
        )

    def service_create(self, data: dict[str, Any]) -> PartnerContact:
        data.pop("partner")
        return services.contact_create(partner=self.create_partner, **data)

    def service_update(self, obj: PartnerContact, data: dict[str, Any]) -> PartnerContact:
        data.pop("partner")
        return services.contact_update(contact=obj, data=data)

    def perform_destroy(self, instance: PartnerContact) -> None:
        services.contact_delete(contact=instance)
