"""Stored renders of the default dashboard views (kpis.dashboards.renders)."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from channels_app.channels.selectors import TEAM_SCOPE
from kpis.dashboards import content as dashboards
from kpis.dashboards import renders
from kpis.dashboards.content import Filters
from kpis.models import DashboardRender, DashboardState
from kpis.tests.helpers import import_rows, settle
from tests.factories import ChannelFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db
HEADER = ["date", "channel", "spend", "revenue", "cogs", "orders", "new_customers"]
URL = reverse("kpis:portfolio")


@pytest.fixture
def data():
    shop = ChannelFactory(name="Web Shop", slug="web-shop", kind="ecommerce")
    ads = ChannelFactory(name="Google Ads", slug="google-ads", kind="paid_search")
    import_rows(HEADER, [
        ["2025-01-10", "web-shop", "100", "500", "200", "5", "2"],
        ["2025-02-10", "web-shop", "100", "300", "100", "3", "1"],
        ["2025-02-10", "google-ads", "200", "150", "50", "2", "2"],
    ])  # fmt: skip
    settle()
    return shop, ads


def _no_compute():
    """Fail loudly if a page computes a dashboard instead of reading the store."""
    boom = AssertionError("computed instead of read from the store")
    return mock.patch.multiple(
        "kpis.dashboards.content",
        portfolio=mock.Mock(side_effect=boom),
        channel_dashboard=mock.Mock(side_effect=boom),
    )


def test_a_landed_recompute_records_itself_and_the_worker_renders_every_default_view(data):
    shop, ads = data
    state = DashboardState.objects.get()
    assert state.last_run is not None and state.landed_at is not None
    assert renders.render_defaults() == 5  # portfolio by week, month, quarter + 2 channels
    keys = set(DashboardRender.objects.values_list("key", flat=True))
    assert keys == {
        "portfolio:week:team",
        "portfolio:month:team",
        "portfolio:quarter:team",
        f"channel:{shop.pk}:month:team",
        f"channel:{ads.pk}:month:team",
    }
    assert set(DashboardRender.objects.values_list("run_id", flat=True)) == {state.last_run_id}
    assert renders.render_defaults() == 0  # everything current: nothing to do


def test_the_default_portfolio_is_read_from_the_store(viewer_client, data):
    renders.render_defaults()
    with _no_compute():
        response = viewer_client.get(URL)
    assert response.status_code == 200
    # Feb 2025 is the latest month; 12 months up to it: revenue 950, cost 400.
    assert "$950.00" in response.text and "Web Shop" in response.text
    assert response.context["filters"].end.isoformat() == "2025-02-28"


def test_the_stored_page_matches_the_computed_page(viewer_client, data):
    htmx = {"HTTP_HX_REQUEST": "true"}  # the body alone: no CSRF token in it
    computed = viewer_client.get(URL, **htmx).text  # computes, then stores (read-through)
    assert DashboardRender.objects.filter(key="portfolio:month:team").exists()
    with _no_compute():
        stored = viewer_client.get(URL, **htmx).text
    assert "Web Shop" in stored
    assert stored == computed


def test_a_filtered_view_is_computed_not_read(viewer_client, data):
    renders.render_defaults()
    with _no_compute(), pytest.raises(AssertionError, match="computed instead"):
        viewer_client.get(URL, {"kind": "paid_search"})
    table = viewer_client.get(URL, {"kind": "paid_search"}).context["parts"]["table"]
    assert "Google Ads" in table and "Web Shop" not in table


def test_the_channel_dashboard_default_view_is_read_from_the_store(viewer_client, data):
    shop, _ = data
    renders.render_defaults()
    url = reverse("kpis:channel-dashboard", args=[shop.slug])
    with _no_compute():
        response = viewer_client.get(url)
    assert response.status_code == 200 and "$800.00" in response.text
    with _no_compute(), pytest.raises(AssertionError):
        viewer_client.get(url, {"period": "quarter", "start": "2025-01-01"})


def test_a_new_recompute_replaces_the_stored_views(viewer_client, data):
    renders.render_defaults()
    before = DashboardState.objects.get().generation
    import_rows(HEADER, [["2025-02-11", "web-shop", "0", "1000", "0", "1", "0"]])
    settle()
    assert DashboardState.objects.get().generation > before
    # The old render is no longer served: the page shows the new numbers.
    response = viewer_client.get(URL)
    assert "$1,950.00" in response.text
    renders.render_defaults()
    with _no_compute():
        assert "$1,950.00" in viewer_client.get(URL).text


def test_editing_a_channel_makes_its_stored_views_stale(viewer_client, data):
    shop, _ = data
    renders.render_defaults()
    shop.name = "Online Store"
    shop.save()
    assert "Online Store" in viewer_client.get(URL).text


def test_a_new_objective_shows_on_the_stored_portfolio(viewer_client, data):
    shop, _ = data
    renders.render_defaults()
    ObjectiveFactory(channel=shop, metric="revenue", target="5000")
    response = viewer_client.get(URL)
    assert response.context["parts"]["objectives"].count("Web Shop") == 1


def test_an_older_render_never_replaces_a_newer_one(data):
    key = renders.portfolio_key("month", TEAM_SCOPE)
    renders.store(key=key, generation=7, run_id=1, payload={"v": "new"}, render_ms=1)
    renders.store(key=key, generation=6, run_id=1, payload={"v": "old"}, render_ms=1)
    assert DashboardRender.objects.get(key=key).payload == {"v": "new"}
    renders.store(key=key, generation=8, run_id=2, payload={"v": "newer"}, render_ms=1)
    assert DashboardRender.objects.get(key=key).payload == {"v": "newer"}


def test_a_render_of_a_stale_generation_is_not_served(data):
    renders.render_defaults()
    key = renders.portfolio_key("month", TEAM_SCOPE)
    assert renders.read(key) is not None
    renders.dashboards_changed()
    assert renders.read(key) is None


def test_a_render_by_other_code_is_not_served_and_is_replaced(viewer_client, data):
    """A deploy that changes a part template or a chart: the renders the old
    code stored are misses, and the new code's render replaces them at the
    same generation (the worker renders them again too)."""
    renders.render_defaults()
    key = renders.portfolio_key("month", TEAM_SCOPE)
    DashboardRender.objects.filter(key=key).update(code_version="an older deploy")
    assert renders.read(key) is None
    with mock.patch("kpis.dashboards.content.portfolio", wraps=dashboards.portfolio) as computed:
        response = viewer_client.get(URL)
    assert response.status_code == 200 and computed.called
    stored = DashboardRender.objects.get(key=key)
    assert stored.code_version == renders.code_version()
    assert renders.read(key) is not None
    DashboardRender.objects.filter(key=key).update(code_version="an older deploy")
    assert renders.render_defaults() == 1  # only the one view by other code


def test_the_code_version_follows_the_part_templates():
    from pathlib import Path

    from django.template.loader import get_template

    renders.code_version.cache_clear()
    before = renders.code_version()
    edited = get_template(renders.PORTFOLIO_PARTS["table"]).origin.name
    read_bytes = Path.read_bytes

    def after_an_edit(path):
        return read_bytes(path) + (b"<!-- edited -->" if str(path) == edited else b"")

    try:
        with mock.patch.object(Path, "read_bytes", after_an_edit):
            renders.code_version.cache_clear()
            assert renders.code_version() != before
    finally:
        renders.code_version.cache_clear()
    assert renders.code_version() == before


def test_a_stored_default_view_runs_the_same_queries_whatever_the_data(viewer_client, data):
    def queries() -> int:
        renders.render_defaults()
        viewer_client.get(URL)  # warm the session and caches
        with CaptureQueriesContext(connection) as ctx:
            assert viewer_client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for i in range(12):
        ChannelFactory(slug=f"extra-{i}")
    import_rows(
        HEADER, [[f"2025-02-{i + 1:02d}", f"extra-{i}", "1", "2", "0", "1", "1"] for i in range(12)]
    )
    settle()
    assert queries() == few


def test_nothing_is_rendered_while_more_recomputes_are_pending(data):
    import_rows(HEADER, [["2025-02-12", "web-shop", "1", "1", "0", "1", "0"]])  # queues one
    assert renders.render_defaults() is None  # deferred
    # The worker's task tries again a little later rather than dropping it.
    from celery.exceptions import Retry

    from kpis.tasks import RENDER_DEFER_SECONDS, dashboards_render_task

    deferred = mock.patch.object(dashboards_render_task, "retry", side_effect=Retry())
    with deferred as retry, pytest.raises(Retry):
        dashboards_render_task.run()
    retry.assert_called_once_with(countdown=RENDER_DEFER_SECONDS)
    settle()
    assert renders.render_defaults() == 5


def test_views_without_data_are_not_stored(viewer_client):
    ChannelFactory(slug="empty")
    assert renders.render_defaults() == 0
    assert viewer_client.get(URL).status_code == 200
    assert not DashboardRender.objects.exists()


def test_the_default_filters_are_the_only_stored_ones():
    assert Filters(kind="week").is_default
    assert not Filters(kind="month", route="direct").is_default


def test_the_portfolio_attention_list_is_cached_until_something_changes(viewer_client, data):
    shop, _ = data
    first = viewer_client.get(URL).context["attention"]
    assert any(item.title.startswith("Web Shop") for item in first)
    recomputed = AssertionError("attention list computed again")
    with mock.patch("kpis.dashboards.attention.attention_items", side_effect=recomputed):
        assert viewer_client.get(URL).status_code == 200  # read from the cache
    shop.name = "Online Store"
    shop.save()  # bumps the generation: the next page computes it again
    again = viewer_client.get(URL).context["attention"]
    assert any(item.title.startswith("Online Store") for item in again)


def test_the_attention_list_is_computed_when_the_cache_is_down(viewer_client, data):
    with mock.patch("kpis.dashboards.renders.cache.get", side_effect=ConnectionError("redis down")):
        response = viewer_client.get(URL)
    assert response.status_code == 200 and response.context["attention"]
