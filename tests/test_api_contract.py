"""What the schema promises and the API does agree, case by case.

Each case here is one that Schemathesis found with more examples than the suite
runs (bench/schema_fuzz.py): the schema said one thing and the code did
another. These pin each agreement with one request, fast.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from channels_app.channels.models import Channel
from partners.directory.models import RESERVED_SLUGS, Partner
from tests.api import *  # noqa: F403
from tests.factories import ChannelFactory, ContractFactory, PartnerFactory

pytestmark = pytest.mark.django_db

CHANNELS = "/api/v1/channels/"
PARTNERS = "/api/v1/partners/"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def component(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return schema["components"]["schemas"][name]


def text(prop: dict[str, Any]) -> dict[str, Any]:
    """A text field's schema; one that may be blank is a oneOf (text, or "")."""
    return prop["oneOf"][0] if "oneOf" in prop else prop


def accepts(pattern: str, value: str) -> bool:
    # The schema's patterns are ECMA-262 regexes that Python reads alike (\uXXXX).
    return re.search(pattern, value) is not None


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop", status=Channel.Status.ACTIVE)


# --- one line or several -------------------------------------------------------------


def test_the_schema_says_which_text_fields_hold_one_line(schema):
    channel = component(schema, "ChannelRequest")["properties"]
    contract = component(schema, "ContractRequest")["properties"]
    for field in (text(channel["name"]), text(contract["reference"])):
        assert not accepts(field["pattern"], "two\nlines")
        assert not accepts(field["pattern"], "tab\there")
        assert not accepts(field["pattern"], "abc\u202egpj.exe")
        assert accepts(field["pattern"], "Nørre Outdoor — B2B")
    # Notes hold several lines (a textarea on the page).
    assert accepts(channel["notes"]["pattern"], "first\nsecond\tthird")
    assert not accepts(channel["notes"]["pattern"], "nul\x00")


def test_a_one_line_name_with_a_new_line_is_refused_and_notes_keep_theirs(admin_api, shop):
    refused = admin_api.patch(f"{CHANNELS}web-shop/", {"name": "Web\nShop"}, format="json")
    assert refused.status_code == 400
    assert "U+000A" in refused.json()["errors"]["name"][0]
    kept = admin_api.patch(f"{CHANNELS}web-shop/", {"notes": "one\ntwo"}, format="json")
    assert kept.status_code == 200
    shop.refresh_from_db()
    assert (shop.name, shop.notes) == ("Web Shop", "one\ntwo")


# --- duplicates: 409 ---------------------------------------------------------------


def test_a_duplicate_slug_answers_409_and_writes_nothing(admin_api, shop):
    response = admin_api.post(
        CHANNELS, {"name": "Another shop", "slug": "web-shop", "kind": "ecommerce"}, format="json"
    )
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "conflict"
    assert "already exists" in body["errors"]["slug"][0]
    assert Channel.objects.count() == 1


def test_a_duplicate_partner_slug_answers_409(admin_api, shop):
    partner = PartnerFactory(slug="nordlicht")
    response = admin_api.post(
        PARTNERS,
        {"name": "Nordlicht 2", "slug": "nordlicht", "channel": partner.channel.slug},
        format="json",
    )
    assert response.status_code == 409, response.json()
    assert Partner.objects.count() == 1


def test_the_schema_lists_409_where_a_duplicate_can_happen(schema):
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/channels/", "post"),
        ("/api/v1/channels/{slug}/", "put"),
        ("/api/v1/channels/{slug}/", "patch"),
        ("/api/v1/objectives/", "post"),
        ("/api/v1/partners/", "post"),
    ]:
        assert "409" in paths[path][method]["responses"], (path, method)
    assert "409" not in paths["/api/v1/channels/"]["get"]["responses"]


# --- content types: 415 ------------------------------------------------------------


def test_a_body_of_an_unknown_content_type_answers_415_as_the_schema_says(admin_api, schema):
    for content_type in ("text/plain", ""):
        response = admin_api.generic(
            "POST", CHANNELS, "name=x", content_type=content_type or "application/x-unknown"
        )
        assert response.status_code == 415
        assert response.json()["code"] == "unsupported_media_type"
    assert Channel.objects.count() == 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                assert "415" in operation["responses"], (method, path)
    assert "415" not in schema["paths"]["/api/v1/channels/"]["get"]["responses"]


# --- reserved slugs ----------------------------------------------------------------


def test_the_schema_names_the_slugs_that_are_pages(schema, admin_api):
    partner_slug = text(component(schema, "PartnerDetailRequest")["properties"]["slug"])
    assert set(partner_slug["not"]["enum"]) == set(RESERVED_SLUGS)
    assert partner_slug["pattern"] == "^[-a-zA-Z0-9_]+$"
    channel_slug = text(component(schema, "ChannelRequest")["properties"]["slug"])
    assert "new" in channel_slug["not"]["enum"]
    channel = PartnerFactory().channel
    refused = admin_api.post(
        PARTNERS, {"name": "Deals", "slug": "deals", "channel": channel.slug}, format="json"
    )
    assert refused.status_code == 400
    assert "reserved" in refused.json()["errors"]["slug"][0]


def test_a_contract_reference_is_one_line(admin_api):
    contract = ContractFactory(reference="C-1")
    refused = admin_api.patch(
        f"/api/v1/contracts/{contract.pk}/", {"reference": "C-1\nC-2"}, format="json"
    )
    assert refused.status_code == 400
    contract.refresh_from_db()
    assert contract.reference == "C-1"


# --- queued work is bounded ----------------------------------------------------------


def test_recomputes_queued_by_hand_are_rate_limited_per_user(settings, admin_api, marketing_api):
    from kpis.models import RecomputeRun

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "recompute": "2/hour"}
    codes = [
        admin_api.post("/api/v1/recompute-runs/", {}, format="json").status_code for _ in "abc"
    ]
    assert codes == [202, 202, 429]
    assert RecomputeRun.objects.count() == 2
    # Per user: another still queues one.
    assert marketing_api.post("/api/v1/recompute-runs/", {}, format="json").status_code == 202


def test_facts_pushed_over_the_api_count_as_imports(settings, admin_api, shop):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "import": "1/hour"}
    row = {"date": "2025-06-01", "channel": "web-shop", "spend": 1, "revenue": 2, "orders": 1}
    assert admin_api.post("/api/v1/facts/", [row], format="json").status_code == 201
    again = admin_api.post("/api/v1/facts/", [row], format="json")
    assert again.status_code == 429
    assert again.json()["code"] == "throttled"


# --- links: what to do next with a created object ------------------------------------


def test_the_schema_links_a_create_to_the_new_objects_operations(schema):
    paths = schema["paths"]
    created = paths["/api/v1/channels/"]["post"]["responses"]["201"]["links"]
    assert created["channels_retrieve"] == {
        "operationId": "channels_retrieve",
        "parameters": {"slug": "$response.body#/slug"},
    }
    assert {"channels_update", "channels_partial_update"} <= set(created)
    partner = paths["/api/v1/partners/"]["post"]["responses"]["201"]["links"]
    assert partner["partners_status_create"]["parameters"] == {"slug": "$response.body#/slug"}
    contact = paths["/api/v1/contacts/"]["post"]["responses"]["201"]["links"]
    assert contact["contacts_destroy"]["parameters"] == {"id": "$response.body#/id"}
    changed = paths["/api/v1/objectives/{id}/"]["patch"]["responses"]["200"]["links"]
    assert set(changed) == {"objectives_retrieve"}
    queued = paths["/api/v1/recompute-runs/"]["post"]["responses"]["202"]["links"]
    assert set(queued) == {"recompute_runs_retrieve"}


# --- dates far outside the facts window ----------------------------------------------


@pytest.mark.parametrize("query", ["start=0249-11-30", "end=0001-01-31", "start=9999-12-01"])
def test_a_kpi_range_outside_the_facts_window_is_refused_not_a_500(admin_api, shop, query):
    for path in ("/api/v1/kpis/changes/", "/api/v1/kpis/snapshots/", "/api/v1/kpis/export/"):
        response = admin_api.get(f"{path}?{query}")
        assert response.status_code == 400, (path, response.status_code)
        name = query.split("=")[0]
        assert "2000-01-01" in response.json()["errors"][name][0]


# --- sort: a list of known fields ------------------------------------------------------


def test_a_sort_with_an_empty_item_is_refused_an_empty_sort_is_the_default(admin_api, shop):
    for query in ("sort=,", "sort=name,", "sort=,-name"):
        response = admin_api.get(f"{CHANNELS}?{query}")
        assert response.status_code == 400, query
        assert "sort" in response.json()["errors"]
    for query in ("sort=", "sort=name,-kind"):
        assert admin_api.get(f"{CHANNELS}?{query}").status_code == 200, query
    assert admin_api.get("/api/v1/import-runs/?sort=,").status_code == 400
