"""The API schema says which text it refuses (a drf-spectacular postprocessing hook).

The API's parsers refuse control characters in every field of a body (tab and
new lines aside), and the middleware refuses them in query strings
(channelhub/lib/parsers.py, channelhub/middleware.py); without this the schema
promised that any string was welcome. Every plain string (no format, enum or
pattern of its own) of a request body or a query parameter gets a `pattern`
saying so, and a decimal's pattern asks for at least one digit. The forms'
finer rules (one-line fields refuse tab and new lines, names refuse
text-direction characters) are not in the schema.
"""

from __future__ import annotations

import re
from typing import Any

BODY_TEXT = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
QUERY_TEXT = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
# channelhub.lib.text.text_problem(value) for a one-line name: no control character
# at all, no U+202A-U+202E or U+2066-U+2069.
ONE_LINE_TEXT = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*$"


# drf-spectacular's decimal pattern also matches "", "-" and ".", which no
# DecimalField takes: at least one digit.
_SPECTACULAR_DECIMAL = re.compile(r"^\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$$")


def _decimal_pattern(pattern: str) -> str:
    found = _SPECTACULAR_DECIMAL.match(pattern)
    if not found:
        return pattern
    whole, places = found.groups()
    return f"^-?(?:\\d{{1,{whole}}}(?:\\.\\d{{0,{places}}})?|\\.\\d{{1,{places}}})$"


def _plain_string(schema: dict[str, Any]) -> bool:
    return (
        schema.get("type") == "string"
        and not schema.get("readOnly")
        and not any(key in schema for key in ("format", "enum", "pattern", "$ref"))
    )


def _mark(schema: Any, pattern: str) -> None:
    if not isinstance(schema, dict):
        return
    if schema.get("format") == "decimal" and "pattern" in schema:
        schema["pattern"] = _decimal_pattern(schema["pattern"])
        return
    if _plain_string(schema):
        schema["pattern"] = pattern
        return
    for child in (schema.get("properties") or {}).values():
        _mark(child, pattern)
    for key in ("items", "additionalProperties"):
        _mark(schema.get(key), pattern)
    for key in ("allOf", "anyOf", "oneOf"):
        for child in schema.get(key) or []:
            _mark(child, pattern)


def text_patterns_hook(result: dict[str, Any], generator: Any, request: Any, public: Any) -> Any:
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    for name, schema in (result.get("components", {}).get("schemas") or {}).items():
        if name.endswith("Request"):
            _mark(schema, BODY_TEXT)
    for path in (result.get("paths") or {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters") or []:
                if parameter.get("in") == "query":
                    _mark(parameter.get("schema"), QUERY_TEXT)
    return result
