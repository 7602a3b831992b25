"""What every app's `api.py` shares: paging, the error body, the role gate,
rules-based object permissions, form validation and the schema's error responses.

API views are as thin as page views: they parse input (a serializer, then the
page's own form, so both validate alike), ask rules.py, call one service or
selector, and render.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db.models import Model
from django.http import Http404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.viewsets import GenericViewSet

from .roles import has_any_role
from .schema_text import ONE_LINE_TEXT

NON_FIELD = "non_field_errors"


# --- errors --------------------------------------------------------------------------


class Conflict(exceptions.APIException):
    """409: the request is valid but would duplicate a stored object (a slug in
    use, an identical objective). Its body is a validation error's, the messages
    under their fields' names. (Not a ValidationError: a serializer would turn
    it into one, a 400.)"""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


# The codes of a form's (or a model's full_clean) errors that name a stored object
# the request would duplicate: Django's unique checks, and "duplicate" of our own.
CONFLICT_CODES = frozenset({"unique", "unique_together", "duplicate"})


def _refusal(codes: set[str | None]) -> type[exceptions.APIException]:
    """Conflict when every error is a duplicate of a stored object, else a 400."""
    return Conflict if codes and codes <= CONFLICT_CODES else exceptions.ValidationError


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request is too large."
    default_code = "too_large"


def django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError (a service's full_clean) as {field: [messages]}."""
    if hasattr(exc, "error_dict"):
        return {
            (NON_FIELD if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {NON_FIELD: list(exc.messages)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error body has `detail` (one sentence) and `code`; a validation
    error also has `errors`, the messages under their field names
    (`non_field_errors` for the rest)."""
    if isinstance(exc, DjangoValidationError):
        # A service's full_clean: a duplicate alone is a conflict, as in a form.
        codes = (
            {error.code for error in exc.error_list}
            if not hasattr(exc, "error_dict")
            else {error.code for errors in exc.error_dict.values() for error in errors}
        )
        exc = _refusal(codes)(django_errors(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError | Conflict):
        errors = data if isinstance(data, dict) else {NON_FIELD: data}
        response.data = {
            "detail": _first_message(errors) or "The request is not valid.",
            "code": "conflict" if isinstance(exc, Conflict) else "invalid",
            "errors": errors,
        }
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        response.data = {
            "detail": str(detail),
            "code": getattr(detail, "code", None) or exc.default_code,
        }
    return response


def _first_message(errors: Any) -> str:
    if isinstance(errors, Mapping):
        for field, value in errors.items():
            message = _first_message(value)
            if message:
                return message if field == NON_FIELD else f"{field}: {message}"
        return ""
    if isinstance(errors, list | tuple):
        for value in errors:
            message = _first_message(value)
            if message:
                return message
        return ""
    return str(errors)


class ErrorSerializer(serializers.Serializer):
    """The body of every error response (for the schema; views build it in
    `exception_handler`)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # Declared here, not as attributes: `errors` would hide Serializer.errors.
        return {
            "detail": serializers.CharField(help_text="What went wrong, in one sentence."),
            "code": serializers.CharField(
                help_text="A stable code: invalid, not_authenticated, authentication_failed, "
                "permission_denied, not_found, method_not_allowed, throttled, too_large, ..."
            ),
            "errors": serializers.DictField(
                required=False,
                child=serializers.JSONField(),
                help_text="Validation errors only: a list of messages under each field's "
                "name, `non_field_errors` for the rest.",
            ),
        }


ERROR_RESPONSES = {
    "400": "The request is not valid (see `errors`).",
    "401": "No credentials, or an invalid or revoked token.",
    "403": "Signed in, but not allowed to do this.",
    "404": "Not found, or not visible to you.",
    "429": "Too many requests: wait and retry (see Retry-After).",
}
# Operations with a body: one whose Content-Type none of the parsers reads.
UNSUPPORTED_MEDIA_TYPE = "The body's Content-Type is not one this operation reads."
# Creates and updates of a viewset whose `conflict_responses` is True.
CONFLICT = (
    "Valid, but it would duplicate a stored object (a slug in use, an identical "
    "objective): nothing written, `errors` says which field."
)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})


def one_line_text_field(field: serializers.Field) -> bool:
    """Whether the page's form behind `field`'s serializer reads it as one line:
    a text field that is not a textarea (channelhub.lib.forms.guard_text_field)."""
    form_class = getattr(field.parent, "form_class", None)
    if form_class is None:
        return False
    form_field = form_class.base_fields.get(field.field_name)
    return isinstance(form_field, forms.CharField) and not isinstance(
        form_field.widget, forms.Textarea
    )


class SlugField(serializers.SlugField):
    """A slug that may not be one of `reserved`: the path segments of pages next
    to the objects' own (the model's clean refuses them; the schema says so)."""

    def __init__(self, *, reserved: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        self.reserved = reserved
        super().__init__(**kwargs)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The personal tokens in the schema (and the docs page's Authorize button)."""

    target_class = "channelhub.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from your profile page: "
            "`Authorization: Bearer <token>` (`Token <token>` works too).",
        }


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, plus the error responses every operation may give,
    and the item counts a list serializer states (`min_length`, `max_length`)."""

    def _unwrap_list_serializer(self, serializer: Any, direction: Any) -> Any:
        schema = super()._unwrap_list_serializer(serializer, direction)
        if isinstance(serializer, serializers.ListSerializer) and isinstance(schema, dict):
            # Set by ListSerializer's __init__ (the stubs do not know them).
            low, high = (
                getattr(serializer, "min_length", None),
                getattr(serializer, "max_length", None),
            )
            if low is not None:
                schema["minItems"] = low
            if high is not None:
                schema["maxItems"] = high
        return schema

    def _error_response(self, code: str, description: str, direction: Any) -> Any:
        return self._get_response_for_code(
            OpenApiResponse(ErrorSerializer, description=description), code, direction=direction
        )

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, description in ERROR_RESPONSES.items():
            if code not in responses:
                responses[code] = self._error_response(code, description, direction)
        if self.method in WRITE_METHODS and getattr(self.view, "conflict_responses", False):
            responses.setdefault("409", self._error_response("409", CONFLICT, direction))
        return responses

    def get_operation(self, *args: Any, **kwargs: Any) -> Any:
        operation = super().get_operation(*args, **kwargs)
        if operation and "requestBody" in operation:
            operation["responses"].setdefault(
                "415", self._error_response("415", UNSUPPORTED_MEDIA_TYPE, "response")
            )
        return operation

    def _map_serializer_field(
        self, field: Any, direction: Any, bypass_extensions: bool = False
    ) -> Any:
        """What the page's form refuses, in a request's field: text on one line
        (and without direction characters) where the form reads one line, and
        the reserved slugs."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or not isinstance(schema, dict):
            return schema
        # (A regex, email or URL validator gives the field its own pattern or format.)
        if (
            schema.get("type") == "string"
            and not any(key in schema for key in ("format", "enum", "pattern", "$ref"))
            and not any(isinstance(v, RegexValidator) for v in field.validators)
            and one_line_text_field(field)
        ):
            schema["pattern"] = ONE_LINE_TEXT
        reserved = getattr(field, "reserved", None)
        if reserved:
            schema["not"] = {"enum": sorted(reserved)}
        return schema


# --- permissions ---------------------------------------------------------------------


class HasRole(BasePermission):
    """Signed in and holding a role (or superuser), as `role_required` on pages."""

    message = "Your account has no role yet. Ask an administrator."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and has_any_role(request.user))


# Which rules.py permission (by kind) an action needs on the object it touches.
OBJECT_ACTIONS = {
    "retrieve": "view",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


def request_user(request: Request) -> User:
    """The signed-in user of a request that passed the permission classes."""
    return cast(User, request.user)


class RulesViewSet(GenericViewSet):
    """A viewset whose object permissions are asked of rules.py.

    `perms` names the rule of each kind ("view", "add", "change", "delete");
    `action_perms` maps extra actions to a kind. Objects a user may not see at
    all are absent from `get_queryset()` (404); objects they see but may not
    change answer 403, as on the pages.
    """

    permission_classes = [HasRole]
    perms: dict[str, str] = {}
    action_perms: dict[str, str] = {}

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        super().check_object_permissions(request, obj)
        kind = self.action_perms.get(self.action or "") or OBJECT_ACTIONS.get(self.action or "")
        if kind:
            self.require(kind, obj)

    def require(self, kind: str, obj: Model | None = None) -> None:
        """403 unless the user holds the `kind` permission (on `obj`, when given)."""
        self.require_perm(self.perms[kind], obj)

    def require_perm(self, perm: str, obj: Model | None = None) -> None:
        if not self.request.user.has_perm(perm, obj):
            raise exceptions.PermissionDenied("You do not have permission to do this.")


if TYPE_CHECKING:
    _ViewSet = RulesViewSet
else:
    _ViewSet = object


class ServiceWriteMixin(_ViewSet):
    """The API's create and update, one way for every viewset: check who may
    create, validate with the serializer (which validates with the page's form),
    hand the validated data to a service, answer with the stored object.

    A viewset defines `service_create(data)` and `service_update(obj, data)`,
    each calling one service, and may override `check_create()` (default: the
    "add" permission), `create_data()` (default: the request's data) and
    `read(obj)` (default: the object serialized). Put it first in the bases.
    """

    def check_create(self) -> None:
        self.require("add")

    def create_data(self) -> Any:
        return self.request.data

    def read(self, obj: Any) -> Any:
        return self.get_serializer(obj).data

    def service_create(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def service_update(self, obj: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.check_create()
        serializer = self.get_serializer(data=self.create_data())
        serializer.is_valid(raise_exception=True)
        obj = self.service_create(dict(serializer.validated_data))
        return Response(self.read(obj), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        serializer = self.get_serializer(
            obj, data=request.data, partial=kwargs.pop("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        return Response(self.read(self.service_update(obj, dict(serializer.validated_data))))


# --- validating with the page's form -------------------------------------------------


def form_value(value: Any) -> Any:
    """A validated serializer value as a bound form expects it."""
    if value is None:
        return ""
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [form_value(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def validate_with_form(
    form_class: type[forms.BaseForm],
    data: Mapping[str, Any],
    *,
    files: Mapping[str, Any] | None = None,
    **form_kwargs: Any,
) -> dict[str, Any]:
    """Run the page's form over the request's data: its rules are the API's too.

    Returns the form's cleaned_data (what the page view hands its service) or
    raises a 400 with the form's messages under their field names.
    """
    form = form_class(
        data={name: form_value(value) for name, value in data.items()},
        files=cast(Any, files or {}),
        **form_kwargs,
    )
    if not form.is_valid():
        errors = {
            (NON_FIELD if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in form.errors.items()
        }
        codes = {error.code for errors in form.errors.as_data().values() for error in errors}
        # Only a duplicate of a stored object: 409; anything else wrong too: 400.
        raise _refusal(codes)(errors)
    return dict(form.cleaned_data)


class FormModelSerializer(serializers.ModelSerializer):
    """A serializer whose input is checked by the page's form after its own
    type checks, so that the API refuses exactly what the page refuses.

    `validated_data` is then the form's cleaned_data: what the page view hands
    its service. On an update (PUT or PATCH) the fields not sent keep their
    stored values (`form_initial`), as DRF's own update does: the schema marks
    only the fields a PUT must send as required.
    """

    form_class: type[forms.BaseForm]

    def form_kwargs(self) -> dict[str, Any]:
        return {}

    def form_initial(self, instance: Any) -> dict[str, Any]:
        names = list(cast(Any, self.form_class).base_fields)
        return forms.models.model_to_dict(instance, fields=names)

    def to_form_data(self, data: dict[str, Any]) -> dict[str, Any]:
        """Adapt values whose API shape differs from the form's (a list of
        region codes where the form takes "DE, AT", ...)."""
        return data

    def model_defaults(self) -> dict[str, Any]:
        """The model's defaults of the form's fields: a field left out of a
        create gets what the model would give it (a page form has it preset)."""
        model = cast(Any, self.Meta).model
        defaults = {}
        for name in cast(Any, self.form_class).base_fields:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if field.has_default() and not callable(field.default):
                defaults[name] = field.default
        return defaults

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        data = dict(attrs)
        kwargs = self.form_kwargs()
        if self.instance is None:
            data = {**self.model_defaults(), **data}
        else:
            data = {**self.form_initial(self.instance), **attrs}
            if issubclass(self.form_class, forms.BaseModelForm):
                # A fresh copy: a ModelForm writes the cleaned values onto its
                # instance, and the service must see the stored row.
                kwargs["instance"] = type(self.instance).objects.get(pk=self.instance.pk)
        return validate_with_form(self.form_class, self.to_form_data(data), **kwargs)
