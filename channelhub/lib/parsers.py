"""The API's request parsers: DRF's, refusing control characters in any text.

A NUL in a JSON string reached a database lookup before any serializer ran (a
partner slug on POST /api/v1/contacts/) and PostgreSQL answered it with a 500.
Here every string of the body, keys included, is checked as it is parsed:
control characters other than tab and new lines are refused with a 400 under
the field's name. The field's own rules (one line, no direction overrides in
names, length) are the page form's, which the API runs too
(`channelhub.lib.forms`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import exceptions, parsers

from .text import text_problem

NON_FIELD = "non_field_errors"


def _problem(value: Any) -> str | None:
    if isinstance(value, str):
        return text_problem(value, multiline=True, name=False)
    if isinstance(value, Mapping):
        for key, item in value.items():
            problem = _problem(key) or _problem(item)
            if problem:
                return problem
    elif isinstance(value, list | tuple):
        for item in value:
            problem = _problem(item)
            if problem:
                return problem
    return None


def refuse_control_characters(data: Any) -> None:
    """Raise a 400 naming each field whose text holds a control character."""
    errors: dict[str, list[str]] = {}
    if isinstance(data, Mapping):
        lists = data.lists() if hasattr(data, "lists") else ((k, [v]) for k, v in data.items())
        for key, values in lists:
            key_problem = _problem(key)
            if key_problem:
                errors.setdefault(NON_FIELD, []).append(f"A field name: {key_problem}")
                continue
            problem = _problem(list(values))
            if problem:
                errors[key] = [problem]
    else:
        problem = _problem(data)
        if problem:
            errors[NON_FIELD] = [problem]
    if errors:
        raise exceptions.ValidationError(errors)


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        refuse_control_characters(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        refuse_control_characters(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        refuse_control_characters(parsed.data)
        return parsed
