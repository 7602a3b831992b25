"""OpenAPI links: what a client does next with an object it created (a
drf-spectacular postprocessing hook).

`POST /channels/` answers the new channel, whose `slug` is the `{slug}` of
`GET`, `PUT` and `PATCH /channels/{slug}/` and of the actions under it; a
`PUT` or `PATCH` answers the object, which `GET` reads again. The schema says
so with links, which a client generator reads and Schemathesis follows in its
stateful run (create, then read, change, delete what was created).
"""

from __future__ import annotations

import re
from typing import Any

# "/api/v1/channels/{slug}/" -> collection "/api/v1/channels/", key "slug".
_ITEM = re.compile(r"^(?P<collection>.*/)\{(?P<key>[a-z_]+)\}/(?P<rest>.*)$")
_SUCCESS = ("200", "201", "202")


def _link(operation: dict[str, Any], key: str) -> dict[str, Any]:
    return {
        "operationId": operation["operationId"],
        "parameters": {key: f"$response.body#/{key}"},
    }


def _add(response: dict[str, Any], name: str, link: dict[str, Any]) -> None:
    response.setdefault("links", {})[name] = link


def _answers_with(response: dict[str, Any], key: str, components: dict[str, Any]) -> bool:
    """Whether a JSON response's body is an object with `key` among its properties."""
    schema = (response.get("content") or {}).get("application/json", {}).get("schema") or {}
    ref = schema.get("$ref", "")
    if ref:
        schema = components.get(ref.rsplit("/", 1)[-1], {})
    return key in (schema.get("properties") or {})


def links_hook(result: dict[str, Any], generator: Any, request: Any, public: Any) -> Any:
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    paths: dict[str, dict[str, Any]] = result.get("paths") or {}
    components = (result.get("components") or {}).get("schemas") or {}
    for path, operations in paths.items():
        found = _ITEM.match(path)
        if not found:
            continue
        key, collection = found["key"], found["collection"]
        create = (paths.get(collection) or {}).get("post")
        for method, target in operations.items():
            if not isinstance(target, dict) or "operationId" not in target:
                continue
            # From the collection's create to every operation on the object ...
            sources = [create]
            # ... and from a change of the object to its reading.
            if method == "get" and not found["rest"]:
                sources += [operations.get("put"), operations.get("patch")]
            for source in sources:
                for code in _SUCCESS:
                    response = (source or {}).get("responses", {}).get(code)
                    if response and _answers_with(response, key, components):
                        _add(response, target["operationId"], _link(target, key))
    return result
