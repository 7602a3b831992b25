"""API endpoints that belong to no single app: the root and personal tokens."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from . import selectors, services
from .lib.api import RulesViewSet, request_user
from .lib.roles import role_label
from .models import ApiToken


@csrf_exempt  # it changes nothing; a CSRF page would not be the API's answer
def not_found(request: HttpRequest) -> JsonResponse:
    """A path under /api/v1/ that names nothing: the API's error body, not an HTML page."""
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)


class ApiRootView(APIView):
    """Where everything is, and who you are signed in as."""

    @extend_schema(
        operation_id="api_root",
        tags=["root"],
        responses=inline_serializer(
            "ApiRoot",
            {
                "user": serializers.CharField(),
                "role": serializers.CharField(),
                "endpoints": serializers.DictField(child=serializers.URLField()),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        names = [
            "channel-list",
            "objective-list",
            "partner-list",
            "contact-list",
            "contract-list",
            "interaction-list",
            "review-list",
            "kpi-snapshot-list",
            "kpi-export",
            "kpi-changes",
            "facts-push",
            "import-run-list",
            "recompute-run-list",
            "model-run-list",
            "model-results",
            "model-curves",
            "lift-test-list",
            "budget-plan-list",
            "token-list",
            "schema",
            "docs",
        ]
        return Response(
            {
                "user": request.user.get_username(),
                "role": role_label(request.user),
                "endpoints": {name: reverse(f"api:{name}", request=request) for name in names},
            }
        )


class TokenSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at", "active"]
        read_only_fields = fields


class TokenCreateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["name"]


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.CharField(
        read_only=True,
        help_text="The token itself. Shown this once: only its hash is stored.",
    )

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class TokenViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, RulesViewSet
):
    """Your personal API tokens. DELETE revokes a token (it stays listed)."""

    permission_classes = [IsAuthenticated]
    serializer_class = TokenSerializer
    perms = {
        "view": "channelhub.view_apitoken",
        "add": "channelhub.add_apitoken",
        "delete": "channelhub.delete_apitoken",
    }

    def get_queryset(self) -> QuerySet[ApiToken]:
        return selectors.api_token_list(user=self.request.user)

    @extend_schema(
        request=TokenCreateSerializer,
        responses={201: TokenCreatedSerializer},
        description=(
            "Create a token. Only from a signed-in session (the profile page or "
            "the browsable API), never with another token: a leaked token cannot "
            "mint more. The response holds the token; it is not shown again."
        ),
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.require("add")
        if isinstance(request.auth, ApiToken):
            raise exceptions.PermissionDenied(
                "Create tokens on your profile page (a signed-in session), not with a token."
            )
        serializer = TokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, raw = services.api_token_create(
            user=request_user(request), name=serializer.validated_data["name"]
        )
        token.token = raw  # type: ignore[attr-defined]
        return Response(TokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(description="Revoke the token: it stops working at once.")
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token = self.get_object()
        services.api_token_revoke(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)
