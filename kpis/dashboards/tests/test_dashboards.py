"""Portfolio, channel dashboard and attention list pages."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis.dashboards.attention import attention_items
from kpis.dashboards.content import TREND_LEGEND, Filters
from kpis.tests.helpers import import_rows, recompute
from tests.factories import ChannelFactory, ObjectiveFactory, make_audit

pytestmark = pytest.mark.django_db
HEADER = ["date", "channel", "spend", "revenue", "cogs", "orders", "new_customers"]


@pytest.fixture
def portfolio_data():
    shop = ChannelFactory(name="Web Shop", slug="web-shop", kind="ecommerce")
    ads = ChannelFactory(name="Google Ads", slug="google-ads", kind="paid_search")
    import_rows(HEADER, [
        ["2025-01-10", "web-shop", "100", "500", "200", "5", "2"],
        ["2025-02-10", "web-shop", "100", "300", "100", "3", "1"],
        ["2025-01-10", "google-ads", "200", "150", "50", "2", "2"],
        ["2025-02-10", "google-ads", "200", "100", "50", "1", "1"],
        ["2024-12-10", "web-shop", "50", "50", "25", "1", "1"],
    ])  # fmt: skip
    recompute()
    return shop, ads


URL = reverse("kpis:portfolio")
RANGE = {"period": "month", "start": "2025-01-01", "end": "2025-02-28"}


def test_the_portfolio_shows_headline_numbers_for_the_range(viewer_client, portfolio_data):
    response = viewer_client.get(URL, RANGE)
    assert response.status_code == 200
    data = response.context["data"]
    # Jan + Feb of both channels: cost 600, revenue 1050, COGS 400.
    assert data.headline["total_cost"] == D("600")
    assert data.headline["revenue"] == D("1050")
    assert round(data.headline["roi"], 4) == D("0.0833")  # (650 - 600) / 600
    # Facts end on 10 February: Jan 1 - Feb 10 (2 days with facts in 41) is
    # compared with Nov 1 - Dec 10 (1 day in 40): too thin for a percentage.
    before = data.comparison.before
    assert (data.comparison.spans.before.start, data.comparison.spans.before.end) == (
        date(2024, 11, 1),
        date(2024, 12, 10),
    )
    assert before.changes == {} and before.earlier["revenue"] == D("50")
    assert "not comparable: the earlier span holds 1 day of data" in response.text
    assert data.comparison.last_year.reason == "no earlier data"
    assert "$1,050.00" in response.text and "8.3%" in response.text
    assert [t.channel.slug for t in data.table] == ["web-shop", "google-ads"]
    assert data.table[0].values["revenue"] == D("800")


def test_the_range_is_described_in_plain_words(viewer_client, portfolio_data):
    two = viewer_client.get(URL, RANGE).text
    assert (
        "(2 months)" in two
        and "Change against the 2 months before and against the same dates last year." in two
    )
    one = viewer_client.get(URL, {**RANGE, "start": "2025-02-01"}).text
    assert "(1 month)" in one and "Change against the month before and against" in one


def test_filters_live_in_the_url_and_narrow_the_channels(marketing_client, portfolio_data):
    response = marketing_client.get(URL, {**RANGE, "kind": "paid_search"})
    data = response.context["data"]
    assert [t.channel.slug for t in data.table] == ["google-ads"]
    assert data.headline["revenue"] == D("250")
    # Revenue share keeps every channel in its denominator.
    assert round(data.table[0].values["revenue_share"], 4) == D("0.2381")  # 250 / 1050


def test_the_default_range_ends_at_the_latest_data(viewer_client, portfolio_data):
    filters = viewer_client.get(URL).context["filters"]
    assert filters.end == date(2025, 2, 28)
    assert filters.start == date(2024, 3, 1)  # 12 months


def test_the_default_range_never_ends_after_today(viewer_client, portfolio_data):
    """One row dated two years ahead (an import allows it) moved everyone's
    default view to an empty future."""
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    ahead = (today + timedelta(days=700)).isoformat()
    import_rows(HEADER, [[ahead, "web-shop", "1", "", "", "", ""]])
    recompute()
    filters = viewer_client.get(URL).context["filters"]
    assert filters.start <= today <= filters.end < today + timedelta(days=31)


def test_a_filter_change_by_htmx_returns_only_the_body(viewer_client, portfolio_data):
    response = viewer_client.get(URL, RANGE, HTTP_HX_REQUEST="true")
    assert "<html" not in response.text and 'data-figure="fig-roi-by-channel"' in response.text


def test_invalid_filters_fall_back_to_defaults_and_say_so(viewer_client, portfolio_data):
    response = viewer_client.get(
        URL, {"period": "decade", "start": "2025-03-01", "end": "2025-01-01"}
    )
    assert response.status_code == 200
    assert response.context["filters"].kind == "month"
    assert "The end is before the start." in response.text


@pytest.mark.parametrize(
    "url",
    [URL, reverse("home"), reverse("kpis:portfolio-csv"), "/kpis/dashboard/channels/web-shop/"],
)
def test_a_range_outside_the_facts_window_falls_back_and_says_so(
    viewer_client, portfolio_data, url
):
    response = viewer_client.get(
        url, {"period": "month", "start": "0001-01-01", "end": "9999-12-31"}
    )
    assert response.status_code == 200
    if "csv" not in url:
        assert "out of range: dates must be between 2000-01-01 and" in response.text


def test_the_charts_carry_the_table_numbers(viewer_client, portfolio_data):
    figures = viewer_client.get(URL, RANGE).context["data"].figures
    roi_bars = figures["roi_by_channel"]["data"][0]
    assert list(roi_bars["y"]) == ["Web Shop", "Google Ads"]
    # Web Shop (800 - 300 - 200) / 200; Google Ads (250 - 100 - 400) / 400
    assert [round(v, 4) for v in roi_bars["x"]] == [1.5, -0.625]


def test_the_home_page_is_the_portfolio(viewer_client, portfolio_data):
    response = viewer_client.get(reverse("home"))
    assert "Channel portfolio" in response.text


def test_the_channel_table_downloads_as_csv(viewer_client, portfolio_data):
    response = viewer_client.get(reverse("kpis:portfolio-csv"), RANGE)
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("channel,channel_name,period,period_start,period_end,complete,spend")
    assert lines[1].startswith(
        "web-shop,Web Shop,2025-01..2025-02,2025-01-01,2025-02-28,false,200.00,0.00,200.00,800.00"
    )


def test_anonymous_and_roleless_users_are_kept_out(client, norole_client):
    assert client.get(URL).status_code == 302
    assert norole_client.get(URL).status_code == 403
    assert norole_client.get(reverse("kpis:attention")).status_code == 403


def test_the_number_of_queries_does_not_grow_with_channels(viewer_client):
    def queries_with(count: int) -> int:
        for i in range(count):
            ChannelFactory(slug=f"c{count}-{i}", kind=["ecommerce", "email", "events"][i % 3])
        import_rows(
            HEADER,
            [
                [f"2025-0{m}-10", f"c{count}-{i}", "10", "20", "5", "1", "1"]
                for i in range(count)
                for m in (1, 2, 3)
            ],
        )
        recompute()
        with CaptureQueriesContext(connection) as ctx:
            assert viewer_client.get(URL, RANGE).status_code == 200
        return len(ctx.captured_queries)

    assert queries_with(3) == queries_with(15)


def test_the_roi_trend_caption_says_when_its_legend_leaves_channels_out(viewer_client):
    def caption(count: int, kind: str) -> str:
        for i in range(count):
            ChannelFactory(slug=f"t{count}-{i}", kind=kind)
        import_rows(
            HEADER,
            [["2025-01-10", f"t{count}-{i}", "10", "20", "5", "1", "1"] for i in range(count)],
        )
        recompute()
        response = viewer_client.get(URL, {**RANGE, "kind": kind})
        trend = response.context["data"].figures["roi_trend"]["data"]
        # January holds facts up to the 10th: each line ends dashed (a trace
        # of the same name), and one legend entry says so.
        assert len({t["name"] for t in trend}) == min(count, TREND_LEGEND) + 1
        assert trend[-1]["name"] == "partial (10 of 31 days)"
        return response.text

    assert "of the 20 with the highest cost" not in caption(3, "ecommerce")
    assert "of the 20 with the highest cost" in caption(TREND_LEGEND + 2, "email")


def test_the_channel_dashboard_shows_trends_and_objectives(viewer_client, portfolio_data):
    shop, _ = portfolio_data
    ObjectiveFactory(
        channel=shop,
        metric="revenue",
        target=D("1000"),
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),
    )
    response = viewer_client.get(reverse("kpis:channel-dashboard", args=["web-shop"]), RANGE)
    data = response.context["data"]
    assert data.totals["revenue"] == D("800") and data.totals["roi"] == D("1.5")
    assert [r["label"] for r in data.rows] == ["2025-02", "2025-01"]
    trend = data.figures["trend"]["data"]
    # Facts end on 10 February: February is drawn as partial.
    names = ["Total cost", "Revenue", "ROI", "ROI", "partial (10 of 28 days)"]
    assert [t["name"] for t in trend] == names
    assert list(trend[1]["y"]) == [500.0, 300.0]
    assert trend[1]["marker"]["opacity"] == [1.0, 0.4]
    ((_objective, figure),) = data.objective_figures
    # Revenue to date in the window; February (10 of 28 days) is the dashed end.
    assert list(figure["data"][0]["y"]) == [500.0, None]
    assert list(figure["data"][1]["y"]) == [500.0, 800.0]
    assert figure["data"][1]["line"]["dash"] == "dash"
    assert "Revenue to date against its target" in str(figure["layout"]["title"])
    assert viewer_client.get(reverse("kpis:channel-dashboard", args=["nope"])).status_code == 404


def test_the_attention_list_flags_low_and_falling_roi_stale_data_and_objectives(
    portfolio_data, viewer_user, settings
):
    _shop, ads = portfolio_data
    settings.ATTENTION_ROI_DROP_POINTS = 10
    ObjectiveFactory(
        channel=ads,
        metric="roas",
        target=D("5"),
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),
    )
    recompute()  # evaluates the objective: ROAS 0.5 against 5, off track
    ChannelFactory(slug="silent", name="Silent", status="active")
    items = attention_items(user=viewer_user, today=date(2025, 3, 1))
    titles = [i.title for i in items]
    # Only complete months count: both channels' last facts are on Feb 10, so
    # January is the last complete month.
    assert "Google Ads: ROI -50.0% in 2025-01" in titles
    assert "Web Shop: ROI fell" not in " ".join(titles)
    assert "Silent: no facts yet" in titles
    assert "Google Ads: no facts for 19 days" in titles
    assert any(i.kind == "objective" and "ROAS objective off track" in i.title for i in items)
    assert all(i.url for i in items)


def test_the_attention_page_renders_the_items(viewer_client, portfolio_data):
    response = viewer_client.get(reverse("kpis:attention"))
    assert response.status_code == 200 and "Google Ads: ROI" in response.text


def test_a_week_view_ends_with_the_week_of_the_latest_data():
    assert Filters(kind="week").snapped(date(2025, 1, 1)).end == date(2025, 1, 5)


def test_the_channel_dashboard_shows_the_brand_audit_trend(viewer_client, portfolio_data):
    shop, _ads = portfolio_data
    url = reverse("kpis:channel-dashboard", args=["web-shop"])
    empty = viewer_client.get(url, RANGE).context["data"].figures["audits"]
    assert "No brand audit recorded yet" in str(empty["layout"]["annotations"])
    make_audit(shop, date(2025, 1, 15), scores=(3, 3, 3, 3, 3))
    make_audit(shop, date(2025, 4, 15), scores=(5, 4, 4, 4, 3))
    response = viewer_client.get(url, RANGE)
    overall = response.context["data"].figures["audits"]["data"][0]
    assert list(overall["x"]) == ["2025-01-15", "2025-04-15"]
    assert list(overall["y"]) == [3.0, 4.0]
    assert 'data-figure="fig-audits"' in response.text


def test_the_channel_dashboard_queries_do_not_grow_with_history(viewer_client, portfolio_data):
    shop, _ads = portfolio_data
    url = reverse("kpis:channel-dashboard", args=["web-shop"])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert viewer_client.get(url, RANGE).status_code == 200
        return len(ctx.captured_queries)

    make_audit(shop, date(2024, 6, 1))
    ObjectiveFactory(channel=shop, metric="revenue", target=D("10"))
    few = count()
    for month in range(1, 10):
        make_audit(shop, date(2024, month, 20))
    ObjectiveFactory(channel=shop, metric="roi", target=D("0.5"))
    ObjectiveFactory(channel=shop, metric="orders", target=D("3"))
    import_rows(
        HEADER, [[f"2024-0{m}-10", "web-shop", "10", "20", "5", "1", "1"] for m in range(1, 10)]
    )
    recompute()
    assert count() == few


def test_filter_errors_name_the_fields_by_their_labels(viewer_client, portfolio_data):
    response = viewer_client.get(URL, {"start": "2025-13-01", "end": "2025-01-01", "kind": "x"})
    assert response.status_code == 200
    text = response.text
    assert "From: Enter a valid date. (you typed “2025-13-01”)" in text
    assert "Channel kind: Select a valid choice." in text
    assert "<li>start:" not in text and "<li>kind:" not in text


def test_the_owner_filter_lists_people_by_name(viewer_client, marketing_user):
    marketing_user.first_name, marketing_user.last_name = "Maria", "Lopez"
    marketing_user.save()
    ChannelFactory(slug="owned", owner=marketing_user)
    form = viewer_client.get(URL).context["form"]
    labels = [label for _value, label in form.fields["owner"].choices]
    assert labels == ["Any owner", "Maria Lopez"]


def test_the_channel_table_marks_ratios_over_a_thin_base_and_shows_changes(viewer_client):
    ChannelFactory(name="Tiny", slug="tiny", kind="ecommerce")
    import_rows(["date", "channel", "spend", "revenue", "cogs", "orders", "leads"], [
        ["2025-01-10", "tiny", "40", "100", "20", "3", "2"],
        ["2025-02-10", "tiny", "40", "150", "20", "3", "2"],
    ])  # fmt: skip
    recompute()
    response = viewer_client.get(URL, {"period": "month", "start": "2025-02-01"})
    (row,) = response.context["data"].table
    # February: ROI (130 - 40) / 40 = 225% over $40 of cost; 3 orders over 2 leads.
    assert set(row.thin) == {"roi", "roas", "cpl", "conversion_rate", "aov"}
    assert "ROI over only $40.00 of cost (under $100.00)" in response.text
    assert "Conversion rate over only 2 leads (fewer than 20)" in response.text
    # February against January, the channel's own change: revenue +50%,
    # ROI 225.0% against (80 - 40) / 40 = 100.0%: +125.0 pts.
    assert row.change.changes["revenue"] == D("0.5")
    assert row.change.changes["roi"] == D("1.25")
    assert "Revenue change" in response.text
    assert ">+50.0%</td>" in response.text and ">+125.0 pts</td>" in response.text


def test_a_channel_keeps_its_colour_whatever_the_filters(viewer_client, portfolio_data):
    from kpis.dashboards.colours import channel_style

    shop, ads = portfolio_data

    def colours(**extra):
        figures = viewer_client.get(URL, {**RANGE, **extra}).context["data"].figures
        bubbles = {
            t["name"]: t["marker"]["color"]
            for t in figures["cost_revenue"]["data"]
            if "marker" in t
        }
        lines = {t["name"]: t["line"]["color"] for t in figures["roi_trend"]["data"] if "line" in t}
        return bubbles, lines

    bubbles, lines = colours()
    assert bubbles["Web Shop"] == lines["Web Shop"] == channel_style(shop.pk).colour
    assert bubbles["Google Ads"] == lines["Google Ads"] == channel_style(ads.pk).colour
    assert bubbles["Web Shop"] != bubbles["Google Ads"]
    only_shop, _ = colours(kind="ecommerce")
    assert only_shop["Web Shop"] == channel_style(shop.pk).colour and "Google Ads" not in only_shop
