"""The API's request parsers: DRF's, refusing control characters in any text.

A NUL in a JSON string reached a database lookup before any serializer ran (a
partner slug on POST /api/v1/contacts/) and PostgreSQL answered it with a 500.
Here every string of the body's fields is checked as it is parsed: control
characters other than tab and new lines are refused with a 400 under the
field's name. Names the view's serializer does not declare are left alone, as
DRF ignores them (a view without a serializer has every name checked). The
field's own rules (one line, no direction overrides in names, length) are the
page form's, which the API runs too (`channelhub.lib.forms`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import exceptions, parsers, serializers

from .text import text_problem

NON_FIELD = "non_field_errors"


def _nested_fields(field: Any) -> dict[str, Any] | None:
    """The fields of a nested serializer (one object, or a list of them), else None."""
    if isinstance(field, serializers.ListSerializer):
        field = field.child
    if isinstance(field, serializers.Serializer):
        return {name: f for name, f in field.fields.items() if not f.read_only}
    return None


def _problem(value: Any, fields: dict[str, Any] | None = None) -> str | None:
    """The first control character in `value`. Inside a nested serializer's
    objects (`fields`), only the names it declares are read, as at the top."""
    if isinstance(value, str):
        return text_problem(value, multiline=True, name=False)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if fields is not None and key not in fields:
                continue
            nested = _nested_fields(fields[key]) if fields is not None else None
            problem = _problem(key) or _problem(item, nested)
            if problem:
                return problem
    elif isinstance(value, list | tuple):
        for item in value:
            problem = _problem(item, fields)
            if problem:
                return problem
    return None


def _declared_fields(parser_context: Any) -> dict[str, Any] | None:
    """The fields the view's serializer reads, by name, or None when it has none."""
    view: Any = (parser_context or {}).get("view")
    if view is None or not hasattr(view, "get_serializer_class"):
        return None
    try:
        fields = view.get_serializer_class()(context=view.get_serializer_context()).fields
    except Exception:
        # A view whose serializer needs more than its context: check every name,
        # the safe side.
        return None
    return {name: field for name, field in fields.items() if not field.read_only}


def refuse_control_characters(data: Any, parser_context: Any = None) -> None:
    """Raise a 400 naming each field whose text holds a control character."""
    errors: dict[str, list[str]] = {}
    declared = _declared_fields(parser_context)
    if isinstance(data, Mapping):
        lists = data.lists() if hasattr(data, "lists") else ((k, [v]) for k, v in data.items())
        for key, values in lists:
            if declared is not None and key not in declared:
                continue
            key_problem = _problem(key)
            if key_problem:
                errors.setdefault(NON_FIELD, []).append(f"A field name: {key_problem}")
                continue
            nested = _nested_fields(declared[key]) if declared is not None else None
            problem = _problem(list(values), nested)
            if problem:
                errors[key] = [problem]
    else:
        problem = _problem(data)
        if problem:
            errors[NON_FIELD] = [problem]
    if errors:
        raise exceptions.ValidationError(errors)


TOO_DEEP = "JSON parse error - the body is nested too deeply."


class PlainJSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a body nested too deeply refused with a 400:
    about 1,000 nested brackets (2 KB) exhausted Python's stack in the
    decoder, a 500 for anyone signed in. For bodies whose text is checked
    elsewhere (the facts push checks every cell)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            return self.checked(super().parse(stream, media_type, parser_context), parser_context)
        except RecursionError:
            raise exceptions.ParseError(TOO_DEEP) from None

    def checked(self, data: Any, parser_context: Any) -> Any:
        return data


class JSONParser(PlainJSONParser):
    def checked(self, data: Any, parser_context: Any) -> Any:
        refuse_control_characters(data, parser_context)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        refuse_control_characters(data, parser_context)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        refuse_control_characters(parsed.data, parser_context)
        return parsed
