"""Channels and objectives over the API: same rules, forms and services as the pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_app.channels.models import Channel, ChannelObjective
from tests.api import *  # noqa: F403
from tests.factories import ChannelFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

CHANNELS = "/api/v1/channels/"
OBJECTIVES = "/api/v1/objectives/"


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop", status=Channel.Status.ACTIVE)


# --- channels ----------------------------------------------------------------------


def test_a_viewer_lists_channels_with_filters_and_paging(viewer_api, shop):
    ChannelFactory(name="Amazon", slug="amazon", kind=Channel.Kind.MARKETPLACE)
    ChannelFactory(name="Old Catalogue", slug="old", status=Channel.Status.RETIRED)
    response = viewer_api.get(CHANNELS, {"status": "active", "sort": "name"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [c["slug"] for c in body["results"]] == ["amazon", "web-shop"]
    paged = viewer_api.get(CHANNELS, {"page_size": 1, "page": 2, "sort": "name"}).json()
    assert [c["slug"] for c in paged["results"]] == ["old"] and paged["count"] == 3
    searched = viewer_api.get(CHANNELS, {"q": "amaz"}).json()
    assert [c["slug"] for c in searched["results"]] == ["amazon"]


def test_the_page_size_is_bounded(viewer_api):
    ChannelFactory.create_batch(3)
    response = viewer_api.get(CHANNELS, {"page_size": 100000})
    assert response.status_code == 200 and len(response.json()["results"]) == 3
    from channelhub.lib.pagination import Pagination

    assert Pagination.max_page_size == 200


def test_the_channel_list_costs_the_same_queries_for_1_or_20_channels(viewer_api, viewer_user):
    ChannelFactory(owner=viewer_user)
    viewer_api.get(CHANNELS)  # the token's first use writes its last_used_at
    with CaptureQueriesContext(connection) as one:
        assert viewer_api.get(CHANNELS).status_code == 200
    for _ in range(19):
        ChannelFactory(owner=viewer_user)
    with CaptureQueriesContext(connection) as twenty:
        assert len(viewer_api.get(CHANNELS).json()["results"]) == 20
    assert len(twenty) == len(one) <= 8


def test_channel_detail_by_slug(viewer_api, shop, marketing_user):
    ObjectiveFactory(channel=shop)
    shop.owner = marketing_user
    shop.save()
    body = viewer_api.get(f"{CHANNELS}web-shop/").json()
    assert body["name"] == "Web Shop" and body["owner"] == "maria"
    assert body["objective_count"] == 1
    assert viewer_api.get(f"{CHANNELS}nope/").status_code == 404


def test_a_marketing_manager_creates_a_channel_owned_by_them(marketing_api):
    response = marketing_api.post(
        CHANNELS, {"name": "TikTok Shop", "kind": "social_media", "status": "planned"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "tiktok-shop" and body["owner"] == "maria"
    assert Channel.objects.get(slug="tiktok-shop").kind == "social_media"


def test_a_repeated_name_is_refused_under_its_field(marketing_api):
    assert marketing_api.post(CHANNELS, {"name": "TikTok Shop"}).status_code == 201
    response = marketing_api.post(CHANNELS, {"name": "tiktok shop"})
    assert response.status_code == 400
    assert "already has this name" in str(response.json()["errors"]["name"])
    assert Channel.objects.filter(name__iexact="tiktok shop").count() == 1


def test_a_name_that_only_looks_the_same_is_refused_too(marketing_api, marketing_client):
    """A no-break space or two spaces made a second "Web Shop" in every list."""
    from django.urls import reverse

    assert marketing_api.post(CHANNELS, {"name": "Web Shop"}).status_code == 201
    for name in ("Web\u00a0Shop", "Web  Shop", " web shop\t"):
        response = marketing_api.post(CHANNELS, {"name": name})
        assert response.status_code == 400, name
        assert "already has this name" in str(response.json()["errors"]["name"])
    page = marketing_client.post(
        reverse("channels:create"), {"name": "Web\u00a0Shop", "kind": "ecommerce"}
    )
    assert page.status_code == 200 and "already has this name" in page.text
    assert Channel.objects.count() == 1
    created = marketing_api.post(CHANNELS, {"name": "Mail\u00a0 Order"})
    assert created.status_code == 201 and created.json()["name"] == "Mail Order"


def test_a_reserved_slug_is_refused_under_its_field(marketing_api):
    response = marketing_api.post(CHANNELS, {"name": "New", "slug": "new"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "slug" in body["errors"]
    assert not Channel.objects.filter(slug="new").exists()


def test_a_missing_name_is_reported_under_name(marketing_api):
    body = marketing_api.post(CHANNELS, {"kind": "email"}).json()
    assert body["errors"]["name"] and body["detail"].startswith("name:")


def test_a_marketing_manager_updates_a_channel(marketing_api, shop):
    response = marketing_api.patch(f"{CHANNELS}web-shop/", {"notes": "Main shop"})
    assert response.status_code == 200, response.json()
    shop.refresh_from_db()
    assert shop.notes == "Main shop" and shop.name == "Web Shop"


def test_a_status_change_follows_the_channels_transitions(marketing_api, shop):
    assert marketing_api.patch(f"{CHANNELS}web-shop/", {"status": "paused"}).status_code == 200
    response = marketing_api.patch(f"{CHANNELS}web-shop/", {"status": "planned"})
    assert response.status_code == 400 and "status" in response.json()["errors"]
    shop.refresh_from_db()
    assert shop.status == "paused"


@pytest.mark.parametrize("who", ["viewer_api", "partner_api", "norole_api", "anon_api"])
def test_only_marketing_managers_write_channels(who, request, shop):
    api = request.getfixturevalue(who)
    expected = 401 if who == "anon_api" else 403
    assert api.post(CHANNELS, {"name": "Sneaky"}).status_code == expected
    assert api.patch(f"{CHANNELS}web-shop/", {"name": "Hijacked"}).status_code in (expected, 404)
    assert not Channel.objects.filter(name__in=["Sneaky", "Hijacked"]).exists()


def test_channels_are_not_deleted_over_the_api(admin_api, shop):
    assert admin_api.delete(f"{CHANNELS}web-shop/").status_code == 405
    assert Channel.objects.filter(slug="web-shop").exists()


def test_a_user_without_a_role_sees_nothing(norole_api, shop):
    response = norole_api.get(CHANNELS)
    assert response.status_code == 403 and "no role" in response.json()["detail"]


def test_an_anonymous_caller_is_asked_to_authenticate(anon_api, shop):
    response = anon_api.get(CHANNELS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "not_authenticated"


# --- objectives --------------------------------------------------------------------


def test_the_objective_list_costs_the_same_queries_for_1_or_10(viewer_api, shop):
    ObjectiveFactory(channel=shop)
    viewer_api.get(OBJECTIVES)  # the token's first use writes its last_used_at
    with CaptureQueriesContext(connection) as one:
        viewer_api.get(OBJECTIVES)
    for _ in range(9):
        ObjectiveFactory(channel=ChannelFactory())
    with CaptureQueriesContext(connection) as ten:
        assert viewer_api.get(OBJECTIVES).json()["count"] == 10
    assert len(ten) == len(one)


def test_a_marketing_manager_sets_an_objective_and_it_is_evaluated(marketing_api, shop):
    response = marketing_api.post(
        OBJECTIVES,
        {
            "channel": "web-shop",
            "metric": "cac",
            "target": "25",
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    # The usual direction for a cost, filled in as on the page.
    assert body["direction"] == "at_most"
    assert body["evaluation"]["status"] in ("no_data", "not_started")
    objective = ChannelObjective.objects.get()
    assert objective.created_by.username == "maria"


def test_a_percentage_target_typed_as_a_whole_number_is_refused_as_on_the_page(marketing_api, shop):
    response = marketing_api.post(
        OBJECTIVES,
        {
            "channel": "web-shop",
            "metric": "roi",
            "target": "25",
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
        },
    )
    assert response.status_code == 400
    assert "fraction" in response.json()["errors"]["target"][0]


def test_an_identical_objective_answers_409_but_a_duplicate_with_a_bad_field_400(
    marketing_api, shop
):
    fields = {
        "channel": "web-shop",
        "metric": "revenue",
        "target": "100",
        "start_date": "2025-01-01",
        "end_date": "2025-12-31",
    }
    assert marketing_api.post(OBJECTIVES, fields).status_code == 201
    again = marketing_api.post(OBJECTIVES, fields)
    assert again.status_code == 409  # a conflict with the stored one
    assert "already has this objective: Revenue ≥ 100 from 2025-01-01" in str(again.json())
    # Something else wrong too: the request itself is bad first.
    both = marketing_api.post(OBJECTIVES, {**fields, "description": "x" * 201})
    assert both.status_code == 400
    assert ChannelObjective.objects.count() == 1


def test_an_objective_ending_before_it_starts_is_refused_under_end_date(marketing_api, shop):
    response = marketing_api.post(
        OBJECTIVES,
        {
            "channel": "web-shop",
            "metric": "revenue",
            "target": "100",
            "start_date": "2025-06-01",
            "end_date": "2025-01-01",
        },
    )
    assert response.status_code == 400 and "end_date" in response.json()["errors"]
    assert not ChannelObjective.objects.exists()


def test_a_marketing_manager_updates_and_deletes_an_objective(marketing_api, shop):
    objective = ObjectiveFactory(channel=shop, target=Decimal("100"))
    url = f"{OBJECTIVES}{objective.pk}/"
    response = marketing_api.patch(url, {"target": "150.5"})
    assert response.status_code == 200, response.json()
    objective.refresh_from_db()
    assert objective.target == Decimal("150.5") and objective.metric == "revenue"
    moved = marketing_api.patch(url, {"channel": ChannelFactory(slug="elsewhere").slug})
    assert moved.status_code == 400 and "channel" in moved.json()["errors"]
    assert marketing_api.delete(url).status_code == 204
    assert not ChannelObjective.objects.exists()


@pytest.mark.parametrize("who", ["viewer_api", "partner_api", "norole_api", "anon_api"])
def test_only_marketing_managers_write_objectives(who, request, shop):
    api = request.getfixturevalue(who)
    objective = ObjectiveFactory(channel=shop, target=Decimal("100"))
    url = f"{OBJECTIVES}{objective.pk}/"
    created = api.post(
        OBJECTIVES,
        {
            "channel": "web-shop",
            "metric": "revenue",
            "target": "5",
            "start_date": "2025-01-01",
            "end_date": "2025-02-01",
        },
    )
    assert created.status_code in (401, 403)
    assert api.patch(url, {"target": "1"}).status_code in (401, 403)
    assert api.delete(url).status_code in (401, 403)
    assert list(ChannelObjective.objects.values_list("target", flat=True)) == [Decimal("100")]


@pytest.mark.parametrize("size", ["null", "abc", "0", "-1", "1.5", " 2"])
def test_a_page_size_that_is_not_a_whole_number_is_a_400(viewer_api, size):
    response = viewer_api.get(CHANNELS, {"page_size": size})
    assert response.status_code == 400
    assert "page_size" in response.json()["errors"]


@pytest.mark.parametrize("page", ["abc", "-1", "1.5", " 2"])
def test_a_page_that_is_not_a_whole_number_is_a_400(viewer_api, page):
    response = viewer_api.get(CHANNELS, {"page": page})
    assert response.status_code == 400
    assert "page" in response.json()["errors"]


def test_a_page_past_the_last_is_a_404(viewer_api):
    assert viewer_api.get(CHANNELS, {"page": 999}).status_code == 404


def test_a_put_keeps_the_fields_it_does_not_send_as_the_schema_says(marketing_api, shop):
    # The schema lists only `name` as required for a PUT.
    response = marketing_api.put(f"{CHANNELS}web-shop/", {"name": "Web Shop EU"})
    assert response.status_code == 200, response.json()
    shop.refresh_from_db()
    assert shop.name == "Web Shop EU" and shop.kind == Channel.Kind.ECOMMERCE
    assert shop.status == Channel.Status.ACTIVE


def test_the_api_refuses_a_viewer_as_a_channels_owner(marketing_api, viewer_user):
    response = marketing_api.post(CHANNELS, {"name": "Bad owner", "owner": viewer_user.username})
    assert response.status_code == 400
    assert "Choose a marketing or partner manager" in response.json()["errors"]["owner"][0]
    assert not Channel.objects.filter(name="Bad owner").exists()
