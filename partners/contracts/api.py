"""Contracts (and their signed documents) over the API: the same selectors,
forms and services as the pages.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from channelhub.lib.api import (
    FormModelSerializer,
    request_user,
)
from channelhub.lib.parsers import FormParser, MultiPartParser
from partners.directory import selectors as directory_selectors
from partners.directory.api import (
    PartnerScopedViewSet,
    PartnerSlugField,
    PartnerSlugFilter,
    RegionCodesField,
    _keep_partner,
)

from . import services
from .documents import ACCEPTED, check_document
from .forms import ContractForm
from .models import Contract


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
    PartnerScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
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
            Contract.objects.filter(
                partner__in=directory_selectors.visible_partners(user=self.request.user)
            )
            .select_related("partner")
            .prefetch_related("exclusive_territories")
            .order_by("partner__name", "-start_on", "-pk")
        )

    def service_create(self, data: dict[str, Any]) -> Contract:
        data.pop("partner")
        return services.contract_create(
            partner=self.create_partner, created_by=request_user(self.request), **data
        )

    def service_update(self, obj: Contract, data: dict[str, Any]) -> Contract:
        data.pop("partner")
        return services.contract_update(contract=obj, data=data)

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
        return Response(self.read(contract))

    def read(self, contract: Contract) -> dict[str, Any]:
        return dict(
            ContractSerializer(
                self.get_queryset().get(pk=contract.pk), context=self.get_serializer_context()
            ).data
        )
