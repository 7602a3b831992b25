"""The API's front door: root, schema, docs (assets served by us), errors, throttling."""

from __future__ import annotations

import re

import pytest
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from tests.api import *  # noqa: F403

pytestmark = pytest.mark.django_db


def test_the_root_lists_the_endpoints_and_who_is_calling(marketing_api):
    body = marketing_api.get("/api/v1/").json()
    assert body["user"] == "maria" and body["role"] == "Marketing manager"
    assert body["endpoints"]["facts-push"] == "http://testserver/api/v1/facts/"
    assert body["endpoints"]["kpi-snapshot-list"].endswith("/api/v1/kpis/snapshots/")


def test_the_root_lists_every_collection_of_the_api(marketing_api):
    """The report: the model's endpoints (runs, results, curves, lift tests,
    plans) were missing from the root."""
    from django.urls import get_resolver

    listed = set(marketing_api.get("/api/v1/").json()["endpoints"])
    api = get_resolver().url_patterns
    names = {
        name
        for pattern in api
        if getattr(pattern, "namespace", None) == "api"
        for name in _names(pattern)
        if not name.endswith("-detail") and "-" in name
    }
    assert names - listed <= _NOT_COLLECTIONS, names - listed


# Actions on one object, named without "-detail".
_NOT_COLLECTIONS = {"partner-set-status", "contract-document", "interaction-follow-up-done"}


def _names(resolver):
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _names(pattern)
        elif pattern.name:
            yield pattern.name


def test_the_schema_is_openapi_3_and_names_every_endpoint(anon_api):
    response = anon_api.get("/api/v1/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith("openapi: 3")
    for path in ("/api/v1/facts/", "/api/v1/kpis/snapshots/", "/api/v1/reviews/{id}/"):
        assert f"  {path}:" in text


def test_the_docs_page_loads_swagger_ui_from_our_static_files(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in s for s in sources)
    assert all(not s.startswith(("http://", "https://", "//")) for s in sources)
    # The split view: no inline script, so a strict CSP can hold.
    assert "<script>" not in html


def test_an_unknown_api_path_answers_json_404(marketing_api):
    response = marketing_api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert marketing_api.get("/api/v1/channels/a.b/").json()["code"] == "not_found"


def test_a_caller_over_the_rate_is_throttled_with_a_clear_answer(marketing_api, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "rate", "3/minute", raising=False)
    codes = [marketing_api.get("/api/v1/channels/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = marketing_api.get("/api/v1/channels/")
    assert response.json()["code"] == "throttled" and int(response["Retry-After"]) > 0


def test_anonymous_callers_have_their_own_lower_rate(anon_api, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "rate", "2/minute", raising=False)
    codes = [anon_api.get("/api/v1/schema/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
