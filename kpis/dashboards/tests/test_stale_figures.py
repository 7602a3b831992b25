"""Stale data is loud: when the latest recompute of a channel failed, the
portfolio, the channel dashboard and the attention list say so in words, with
the error and a link to the run (issue 19 item 3)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis.engine import recompute as recompute_module
from kpis.engine.recompute import recompute_execute, recompute_request
from kpis.models import ChannelDataState, RecomputeRun
from kpis.tests.helpers import import_rows, recompute
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db
HEADER = ["date", "channel", "spend", "revenue"]
PAGES = ["kpis:portfolio", "kpis:attention"]


@pytest.fixture
def shop():
    ChannelFactory(name="Web Shop", slug="web-shop")
    import_rows(HEADER, [["2025-01-10", "web-shop", "100", "500"]])
    recompute()


def failed_run(monkeypatch, **scope) -> RecomputeRun:
    def boom(**kwargs):
        raise RuntimeError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(recompute_module, "objectives_evaluate", boom)
        run = recompute_request(trigger=RecomputeRun.Trigger.SCHEDULE, **scope)
        with pytest.raises(RuntimeError):
            recompute_execute(run.pk, inline=True)
    run.refresh_from_db()
    assert run.status == "failed"
    return run


def notice(run: RecomputeRun) -> str:
    published = ChannelDataState.objects.get().published_at
    assert published is not None
    return (
        f"The figures below are from {published:%Y-%m-%d %H:%M} (UTC); "
        "the last recompute failed: disk full"
    )


@pytest.mark.parametrize("page", PAGES)
def test_a_failed_full_recompute_is_said_in_words_with_a_link(
    marketing_client, shop, monkeypatch, page
):
    run = failed_run(monkeypatch)
    text = marketing_client.get(reverse(page)).text
    assert notice(run) in text
    assert f'href="{run.get_absolute_url()}"' in text


def test_the_channel_dashboard_says_its_recompute_failed(marketing_client, shop, monkeypatch):
    run = failed_run(monkeypatch, channel_ids=[ChannelDataState.objects.get().channel_id])
    text = marketing_client.get(reverse("kpis:channel-dashboard", args=["web-shop"])).text
    assert notice(run) in text and f'href="{run.get_absolute_url()}"' in text


def test_a_later_successful_recompute_clears_the_notice(marketing_client, shop, monkeypatch):
    failed_run(monkeypatch)
    recompute()
    for page in PAGES:
        assert "the last recompute failed" not in marketing_client.get(reverse(page)).text
    dashboard = marketing_client.get(reverse("kpis:channel-dashboard", args=["web-shop"]))
    assert "the last recompute failed" not in dashboard.text


def test_an_older_run_finishing_later_does_not_clear_a_newer_failure(shop, monkeypatch):
    older = recompute_request(trigger=RecomputeRun.Trigger.MANUAL)
    newer = failed_run(monkeypatch)
    recompute_execute(older.pk, inline=True)
    assert ChannelDataState.objects.get().last_failed_run_id == newer.pk


def test_a_viewer_reads_the_notice_without_a_link_to_the_job(viewer_client, shop, monkeypatch):
    run = failed_run(monkeypatch)
    text = viewer_client.get(reverse("kpis:portfolio")).text
    assert notice(run) in text and run.get_absolute_url() not in text


@pytest.mark.parametrize("page", PAGES)
def test_the_notice_costs_the_same_queries_for_1_or_4_stale_channels(
    marketing_client, monkeypatch, page
):
    made = iter(range(100))

    def queries(count: int) -> int:
        for _ in range(count):
            i = next(made)
            ChannelFactory(name=f"Shop {i}", slug=f"shop-{i}")
            import_rows(HEADER, [["2025-01-10", f"shop-{i}", "100", "500"]])
        recompute()
        failed_run(monkeypatch)
        marketing_client.get(reverse(page))  # warm the stored renders
        with CaptureQueriesContext(connection) as captured:
            assert "the last recompute failed" in marketing_client.get(reverse(page)).text
        return len(captured)

    one = queries(1)
    assert queries(3) == one  # 4 channels stale now
