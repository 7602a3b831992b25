"""Partners and what is kept about them, over the API: the same selectors,
rules, forms and services as the partner pages.

A partner manager reads every partner and changes only their own; a viewer
reads only. Sub-objects (contacts, contracts, interactions, reviews) name
their partner by slug and are checked through it, as on the pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from channelhub.lib.api import (
    FormModelSerializer,
    RulesViewSet,
    request_user,
    validate_with_form,
)
from channels_app.models import Channel

from . import selectors, services
from .documents import ACCEPTED, check_document
from .filters import PartnerFilter
from .forms import ContactForm, ContractForm, InteractionForm, PartnerForm, ReviewForm, StatusForm
from .models import (
    Contract,
    Interaction,
    Partner,
    PartnerContact,
    PartnerReview,
    Territory,
    Tier,
)
from .models.activity import SCORE_FIELDS

User = get_user_model()

PARTNER_SLUG_HELP = "The partner's slug. Set on creation; it stays with its partner."


class PartnerScopedViewSet(RulesViewSet):
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

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "partner": getattr(self, "create_partner", None),
        }


class RegionCodesField(serializers.ListField):
    """Territories as a list of region codes (["AT", "DE"]); the form normalises them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(max_length=10), required=False, **kwargs)

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


# --- partners ----------------------------------------------------------------------


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


class PartnerSerializer(FormModelSerializer):
    form_class = PartnerForm

    channel = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Channel.objects.all(),
        help_text="Slug of the (indirect) channel the partner sells through.",
    )
    slug = serializers.SlugField(
        max_length=80,
        required=False,
        allow_blank=True,
        validators=[],
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
    flags = serializers.SerializerMethodField()

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
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status_since", "next_review_on", "created_at", "updated_at"]

    def get_onboarding_percent(self, obj: Partner) -> int | None:
        return selectors.onboarding_percent(obj)

    def get_flags(self, obj: Partner) -> list[str]:
        return [flag.kind for flag in obj.flags.all()]

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
    changed_on = serializers.DateField(required=False, allow_null=True, help_text="Empty: today.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class PartnerApiFilter(PartnerFilter):
    channel = django_filters.ModelChoiceFilter(
        queryset=Channel.objects.filter(route=Channel.Route.INDIRECT),
        to_field_name="slug",
        label="Channel (slug)",
    )
    tier = django_filters.ModelChoiceFilter(
        queryset=Tier.objects.all(), to_field_name="code", label="Tier (code)"
    )
    manager = django_filters.ModelChoiceFilter(
        queryset=User.objects.all(), to_field_name="username", label="Manager (username)"
    )
    territory = django_filters.ModelChoiceFilter(
        queryset=Territory.objects.all(),
        field_name="territories",
        to_field_name="code",
        label="Territory (region code)",
    )


class PartnerViewSet(
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

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.require("add")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        partner = services.partner_create(
            created_by=request_user(request), **serializer.validated_data
        )
        return Response(self._read(partner), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partner = self.get_object()
        serializer = self.get_serializer(
            partner, data=request.data, partial=kwargs.pop("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if not request.user.has_perm("partners.assign_partner_manager"):
            data.pop("manager", None)
        partner = services.partner_update(
            partner=partner, data=data, changed_by=request_user(request)
        )
        return Response(self._read(partner))

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
        return Response(self._read(partner))

    def _read(self, partner: Partner) -> dict[str, Any]:
        fresh = (
            selectors.partner_detail_queryset(user=self.request.user)
            .prefetch_related("territories", "flags", "contacts__partner")
            .get(pk=partner.pk)
        )
        return PartnerDetailSerializer(fresh, context=self.get_serializer_context()).data


# --- contacts ----------------------------------------------------------------------


class PartnerSlugFilter(django_filters.FilterSet):
    partner = django_filters.ModelChoiceFilter(
        queryset=Partner.objects.all(), to_field_name="slug", label="Partner (slug)"
    )


class ContactFilter(PartnerSlugFilter):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name")
    sort = django_filters.OrderingFilter(
        fields=(("name", "name"), ("partner__name", "partner"), ("updated_at", "updated"))
    )

    class Meta:
        model = PartnerContact
        fields = ["partner", "q", "is_primary"]


class ContactViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    PartnerScopedViewSet,
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

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partner = self.partner_for_create()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("partner")
        contact = services.contact_create(partner=partner, **data)
        return Response(self.get_serializer(contact).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        contact = self.get_object()
        serializer = self.get_serializer(
            contact, data=request.data, partial=kwargs.pop("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("partner")
        contact = services.contact_update(contact=contact, data=data)
        return Response(self.get_serializer(contact).data)

    def perform_destroy(self, instance: PartnerContact) -> None:
        services.contact_delete(contact=instance)


# --- contracts ---------------------------------------------------------------------


class ContractDocumentSerializer(serializers.Serializer):
    name = serializers.CharField(source="document_name")
    content_type = serializers.CharField(source="document_type")
    size = serializers.IntegerField(source="document_size", allow_null=True)
    url = serializers.SerializerMethodField()

    def get_url(self, obj: Contract) -> str:
        request = self.context.get("request")
        path = f"/api/v1/contracts/{obj.pk}/document/"
        return request.build_absolute_uri(path) if request else path


class ContractSerializer(FormModelSerializer):
    form_class = ContractForm
    partner = PartnerSlugField()
    exclusive_territories = RegionCodesField(
        help_text="Region codes where this partner has exclusivity."
    )
    document = serializers.SerializerMethodField(
        help_text="The signed document, if any (upload it with PUT …/document/)."
    )

    class Meta:
        model = Contract
        fields = [
            "id",
            "partner",
            "kind",
            "reference",
            "start_on",
            "end_on",
            "auto_renew",
            "notice_days",
            "discount_pct",
            "margin_pct",
            "exclusive_territories",
            "signed_on",
            "notes",
            "document",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    @extend_schema_field(ContractDocumentSerializer(allow_null=True))
    def get_document(self, obj: Contract) -> dict[str, Any] | None:
        if not obj.document:
            return None
        return dict(ContractDocumentSerializer(obj, context=self.context).data)

    def form_initial(self, instance: Contract) -> dict[str, Any]:
        initial = super().form_initial(instance)
        initial["exclusive_territories"] = [t.code for t in instance.exclusive_territories.all()]
        initial.pop("document", None)
        return initial

    def to_form_data(self, data: dict[str, Any]) -> dict[str, Any]:
        if isinstance(data.get("exclusive_territories"), list | tuple):
            data["exclusive_territories"] = ", ".join(data["exclusive_territories"])
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        partner = _keep_partner(self, attrs)
        cleaned = super().validate(attrs)
        # Documents arrive through their own multipart endpoint.
        cleaned.pop("document", None)
        return {**cleaned, "partner": partner}


class DocumentUploadSerializer(serializers.Serializer):
    document = serializers.FileField(help_text=f"The signed document: {ACCEPTED}.")


class ContractFilter(PartnerSlugFilter):
    sort = django_filters.OrderingFilter(
        fields=(("start_on", "start"), ("end_on", "end"), ("partner__name", "partner"))
    )
    ending_before = django_filters.DateFilter(field_name="end_on", lookup_expr="lte")

    class Meta:
        model = Contract
        fields = ["partner", "kind", "ending_before"]


class ContractViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PartnerScopedViewSet,
):
    """Contracts with partners (metadata as JSON; the signed document through
    GET/PUT `/contracts/{id}/document/`)."""

    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    perms = {
        "view": "partners.view_contract",
        "add": "partners.add_contract",
        "change": "partners.change_contract",
        "document": "partners.view_contract_document",
    }
    action_perms = {"document": "document", "upload_document": "change"}

    def get_queryset(self) -> QuerySet[Contract]:
        return (
            Contract.objects.filter(partner__in=selectors.visible_partners(user=self.request.user))
            .select_related("partner")
            .prefetch_related("exclusive_territories")
            .order_by("partner__name", "-start_on", "-pk")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partner = self.partner_for_create()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("partner")
        contract = services.contract_create(
            partner=partner, created_by=request_user(request), **data
        )
        return Response(self._read(contract), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        contract = self.get_object()
        serializer = self.get_serializer(
            contract, data=request.data, partial=kwargs.pop("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("partner")
        contract = services.contract_update(contract=contract, data=data)
        return Response(self._read(contract))

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The signed document, as a download."
            )
        },
        description="Download the signed document.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="document",
        parser_classes=[MultiPartParser, FormParser],
    )
    def document(self, request: Request, pk: str | None = None) -> FileResponse:
        contract = self.get_object()
        if not contract.document:
            raise Http404("This contract has no document.")
        try:
            handle = contract.document.open("rb")
        except FileNotFoundError:
            raise Http404("The document file is missing.") from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=contract.document_name or "contract",
            content_type=contract.document_type or "application/octet-stream",
        )
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    @extend_schema(
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={200: ContractSerializer},
        description=f"Upload (or replace) the signed document: {ACCEPTED}, checked by its "
        "content as on the contract page.",
    )
    @document.mapping.put
    def upload_document(self, request: Request, pk: str | None = None) -> Response:
        contract = self.get_object()
        serializer = DocumentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["document"]
        try:
            check_document(upload)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"document": list(exc.messages)}) from None
        contract = services.contract_update(contract=contract, data={"document": upload})
        return Response(self._read(contract))

    def _read(self, contract: Contract) -> dict[str, Any]:
        return dict(
            ContractSerializer(
                self.get_queryset().get(pk=contract.pk), context=self.get_serializer_context()
            ).data
        )


# --- interactions ------------------------------------------------------------------


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
    follow_up_open = django_filters.BooleanFilter(
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
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PartnerScopedViewSet,
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
                partner__in=selectors.visible_partners(user=self.request.user)
            )
            .select_related("partner", "logged_by")
            .prefetch_related("contacts")
            .order_by("-occurred_on", "-pk")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partner = self.partner_for_create()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("partner")
        interaction = services.interaction_create(
            partner=partner, logged_by=request_user(request), **data
        )
        return Response(self._read(interaction), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        interaction = self.get_object()
        serializer = self.get_serializer(
            interaction, data=request.data, partial=kwargs.pop("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("partner")
        interaction = services.interaction_update(interaction=interaction, data=data)
        return Response(self._read(interaction))

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
        return Response(self._read(interaction))

    def _read(self, interaction: Interaction) -> dict[str, Any]:
        return dict(
            InteractionSerializer(
                self.get_queryset().get(pk=interaction.pk), context=self.get_serializer_context()
            ).data
        )


# --- reviews -----------------------------------------------------------------------


class ActionItemSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=300)
    owner = serializers.CharField(max_length=120, help_text="Who does it.")
    due_on = serializers.DateField()
    done_on = serializers.DateField(required=False, allow_null=True)


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
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PartnerScopedViewSet,
):
    """Performance reviews of partners. The author may edit a review for 7 days
    after submitting it; after that only an administrator may (rules.py)."""

    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    perms = {
        "view": "partners.view_partnerreview",
        "add": "partners.add_partnerreview",
        "change": "partners.change_partnerreview",
    }

    def get_queryset(self) -> QuerySet[PartnerReview]:
        return (
            PartnerReview.objects.filter(
                partner__in=selectors.visible_partners(user=self.request.user)
            )
            .select_related("partner", "partner__tier", "author")
            .prefetch_related("action_items")
            .order_by("-reviewed_on", "-pk")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partner = self.partner_for_create()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("partner")
        data["action_items"] = data.get("action_items") or []
        review = services.review_submit(partner=partner, author=request_user(request), **data)
        return Response(self._read(review), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        review = self.get_object()
        serializer = self.get_serializer(
            review, data=request.data, partial=kwargs.pop("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("partner")
        items = data.pop("action_items")
        review = services.review_update(
            review=review, editor=request_user(request), data=data, action_items=items
        )
        return Response(self._read(review))

    def _read(self, review: PartnerReview) -> dict[str, Any]:
        return dict(
            ReviewSerializer(
                self.get_queryset().get(pk=review.pk), context=self.get_serializer_context()
            ).data
        )


__all__ = [
    "ContactViewSet",
    "ContractViewSet",
    "InteractionViewSet",
    "PartnerViewSet",
    "ReviewViewSet",
]
