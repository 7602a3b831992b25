"""Recompute and export pages, and the channel page's KPI table: who may do
what, and what they see."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from kpis.models import RecomputeRun
from kpis.tests.helpers import import_rows, recompute
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop")


def test_marketing_managers_recompute_now_and_partner_managers_follow_the_run(
    marketing_client, partner_client, viewer_client, shop
):
    import_rows(["date", "channel", "spend"], [["2025-01-02", "web-shop", "1"]])
    assert viewer_client.post(reverse("kpis:run-create")).status_code == 403
    refused = partner_client.post(reverse("kpis:run-create"), {"channel": "web-shop"})
    assert refused.status_code == 403
    assert not RecomputeRun.objects.filter(trigger="manual").exists()
    assert "Recompute all channels now" not in partner_client.get(reverse("kpis:runs")).text
    response = marketing_client.post(reverse("kpis:run-create"), {"channel": "web-shop"})
    run = RecomputeRun.objects.get(trigger="manual")
    assert response["Location"] == run.get_absolute_url()
    assert run.channel_ids == [shop.pk]
    page = partner_client.get(run.get_absolute_url())
    assert "1 channel(s), all dates" in page.text
    assert f"#{run.pk}" in partner_client.get(reverse("kpis:runs")).text


def test_the_channel_csv_export_has_the_contract_columns(viewer_client, shop):
    import_rows(["date", "channel", "spend", "revenue"], [["2025-01-02", "web-shop", "100", "400"]])
    recompute()
    response = viewer_client.get(reverse("kpis:export"), {"period": "month", "channel": "web-shop"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith(
        "channel,channel_name,period,period_start,period_end,complete,spend,"
    )
    assert lines[1].startswith(
        "web-shop,Web Shop,2025-01,2025-01-01,2025-01-31,false,100.00,0.00,100.00,400.00"
    )
    assert response["Content-Disposition"] == 'attachment; filename="kpis-web-shop-month.csv"'
    assert viewer_client.get(reverse("kpis:export"), {"period": "decade"}).status_code == 400


def test_the_channel_page_shows_kpis_by_the_chosen_period(viewer_client, shop):
    import_rows(
        ["date", "channel", "spend", "revenue"],
        [["2025-01-02", "web-shop", "100", "400"], ["2025-02-02", "web-shop", "50", "20"]],
    )
    recompute()
    page = viewer_client.get(reverse("channels:detail", args=["web-shop"]), {"period": "quarter"})
    assert "KPIs by quarter" in page.text and "FY2025-Q1" in page.text
    rows = page.context["kpi"]["rows"]
    assert [r.label for r in rows] == ["FY2025-Q1"] and rows[0].values["spend"] == D("150")
    monthly = viewer_client.get(reverse("channels:detail", args=["web-shop"]))
    assert [r.start for r in monthly.context["kpi"]["rows"]] == [date(2025, 2, 1), date(2025, 1, 1)]
    assert "Recompute now" not in monthly.text  # viewers change nothing
