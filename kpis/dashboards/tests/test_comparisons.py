"""Like-for-like comparisons on the dashboards (docs/metrics.md section 7)."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse

from kpis.dashboards import content
from kpis.dashboards.content import Filters
from kpis.packs.content import summary_sentences
from kpis.tests.helpers import import_rows, recompute
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db
HEADER = ["date", "channel", "spend", "revenue", "cogs"]
PORTFOLIO = reverse("kpis:portfolio")


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def facts(slug: str, first: date, last: date, spend: str, revenue: str) -> list[list[str]]:
    return [[d.isoformat(), slug, spend, revenue, "0"] for d in days(first, last)]


@pytest.fixture
def partial_december():
    """Facts every day from 1 September to 2 December 2026. The days of October
    after the 2nd earn far more: a comparison with whole months would count them."""
    shop = ChannelFactory(name="Web Shop", slug="web-shop", kind="ecommerce")
    import_rows(
        HEADER,
        facts("web-shop", date(2026, 9, 1), date(2026, 10, 2), "10", "20")
        + facts("web-shop", date(2026, 10, 3), date(2026, 10, 31), "10", "500")
        + facts("web-shop", date(2026, 11, 1), date(2026, 12, 2), "10", "25"),
    )
    recompute()
    return shop


TWO_MONTHS = {"period": "month", "start": "2026-11-01", "end": "2026-12-31"}


def test_a_partial_december_is_compared_with_the_same_days_before(viewer_client, partial_december):
    response = viewer_client.get(PORTFOLIO, TWO_MONTHS)
    comparison = response.context["data"].comparison
    spans = comparison.spans
    assert (spans.current.start, spans.current.end) == (date(2026, 11, 1), date(2026, 12, 2))
    # November and 2 days of December against September and 2 days of October.
    assert (spans.before.start, spans.before.end) == (date(2026, 9, 1), date(2026, 10, 2))
    assert comparison.before.earlier["revenue"] == D("640")  # 32 days x 20
    assert comparison.before.earlier["total_cost"] == D("320")
    # Revenue 800 (32 x 25) against 640: +25%; ROI 150% against 100%: +50 points.
    assert comparison.before.changes["revenue"] == D("0.25")
    assert comparison.before.changes["roi"] == D("0.5")
    assert comparison.before.changes["total_cost"] == D("0")
    text = response.text
    assert "+25.0% vs before" in text and "+50.0 pts vs before" in text
    assert "the last month holds 2 of 31 days so far" in text
    assert "2026-09-01 → 2026-10-02 (before)" in text
    roi_trend = response.context["data"].figures["roi_trend"]["data"]
    assert [t["name"] for t in roi_trend] == ["Web Shop", "Web Shop", "partial (2 of 31 days)"]
    assert roi_trend[1]["x"] == ["2026-11", "2026-12"] and roi_trend[1]["line"]["dash"] == "dash"
    # The same dates of 2025 hold nothing.
    assert comparison.last_year.reason == "no earlier data"
    assert "vs last year: no earlier data" in text and "Against last year: no earlier data." in text


def test_the_channel_dashboard_shows_the_same_change_as_the_portfolio(
    viewer_client, partial_december
):
    url = reverse("kpis:channel-dashboard", args=["web-shop"])
    response = viewer_client.get(url, TWO_MONTHS)
    comparison = response.context["data"].comparison
    assert comparison.before.changes["revenue"] == D("0.25")
    assert comparison.before.changes["roi"] == D("0.5")
    assert "+25.0% vs before" in response.text and "+50.0 pts vs before" in response.text
    # Its charts draw December apart.
    trend = response.context["data"].figures["trend"]["data"]
    assert [t["name"] for t in trend][-1] == "partial (2 of 31 days)"
    assert trend[0]["marker"]["opacity"] == [1.0, 0.4]  # November, December's 2 days


def test_last_year_compares_the_same_dates_a_year_earlier(viewer_client):
    ChannelFactory(name="Web Shop", slug="web-shop", kind="ecommerce")
    import_rows(
        HEADER,
        facts("web-shop", date(2025, 11, 1), date(2025, 12, 2), "10", "20")
        + facts("web-shop", date(2025, 12, 3), date(2025, 12, 31), "10", "900")
        + facts("web-shop", date(2026, 11, 1), date(2026, 12, 2), "10", "30"),
    )
    recompute()
    comparison = viewer_client.get(PORTFOLIO, TWO_MONTHS).context["data"].comparison
    spans = comparison.spans
    assert (spans.last_year.start, spans.last_year.end) == (date(2025, 11, 1), date(2025, 12, 2))
    assert comparison.last_year.earlier["revenue"] == D("640")
    assert comparison.last_year.changes["revenue"] == D("0.5")  # 960 against 640
    assert comparison.last_year.changes["roi"] == D("1")  # 200% against 100%
    # The span just before (September, October) holds nothing.
    assert comparison.before.reason == "no earlier data"


def test_an_earlier_quarter_holding_29_days_is_not_comparable(viewer_client):
    ChannelFactory(name="Web Shop", slug="web-shop", kind="ecommerce")
    import_rows(
        HEADER,
        facts("web-shop", date(2025, 3, 3), date(2025, 3, 31), "10", "5")
        + facts("web-shop", date(2025, 4, 1), date(2025, 6, 30), "10", "50"),
    )
    recompute()
    quarter = {"period": "quarter", "start": "2025-04-01", "end": "2025-06-30"}
    response = viewer_client.get(PORTFOLIO, quarter)
    before = response.context["data"].comparison.before
    assert before.earlier_days == 29 and before.changes == {}
    assert before.reason == "not comparable: the earlier span holds 29 days of data"
    assert "Against before: not comparable: the earlier span holds 29 days of data." in (
        response.text
    )
    assert "vs before: not comparable" in response.text
    assert "% vs before" not in response.text


def test_packs_headline_and_portfolio_use_one_comparison(partial_december):
    filters = Filters(kind="month", start=date(2026, 11, 1), end=date(2026, 12, 31))
    data = content.portfolio(scope="team", filters=filters, channel_changes=True)
    mine = data.comparison.channels_before[partial_december.pk]
    assert mine.changes["roi"] == data.comparison.before.changes["roi"] == D("0.5")
    assert mine.earlier["roi"] == D("1")


def _channels(count: int) -> None:
    rows = []
    for i in range(count):
        slug = f"channel-{i}"
        ChannelFactory(name=f"Channel {i}", slug=slug)
        rows += [[d.isoformat(), slug, "10", "20", "0"] for d in (date(2026, 10, 1),)]
        rows += [[d.isoformat(), slug, "10", "30", "0"] for d in (date(2026, 11, 5),)]
        rows += [[d.isoformat(), slug, "10", "30", "0"] for d in (date(2026, 12, 2),)]
    import_rows(HEADER, rows)
    recompute()


@pytest.mark.parametrize("count", [2, 6])
def test_the_portfolio_queries_do_not_grow_with_channels(
    viewer_client, django_assert_max_num_queries, count
):
    _channels(count)
    # The same bound for 2 and 6 channels (the stale-figures banner, the live
    # model's figures beside attribution and the days with facts of each
    # channel, for the table's change columns, included).
    with django_assert_max_num_queries(28):
        response = viewer_client.get(PORTFOLIO, TWO_MONTHS)
    assert response.context["data"].comparison.before.earlier_days == 1


@pytest.mark.parametrize("count", [2, 6])
def test_the_channel_dashboard_queries_do_not_grow_with_channels_or_periods(
    viewer_client, django_assert_max_num_queries, count
):
    _channels(count)
    url = reverse("kpis:channel-dashboard", args=["channel-0"])
    with django_assert_max_num_queries(18):  # 17 + the live model's figure
        response = viewer_client.get(url, {**TWO_MONTHS, "start": "2026-01-01"})
    assert response.context["data"].comparison.before.earlier_days == 0


def test_a_pack_summary_says_when_the_span_before_is_too_thin_to_compare():
    ChannelFactory(name="Web Shop", slug="web-shop", kind="ecommerce")
    import_rows(
        HEADER,
        [
            ["2025-01-10", "web-shop", "10", "5", "0"],
            *facts("web-shop", date(2025, 3, 1), date(2025, 4, 30), "10", "20"),
        ],
    )
    recompute()
    filters = Filters(kind="month", start=date(2025, 3, 1), end=date(2025, 4, 30))
    data = content.portfolio(scope="team", filters=filters, channel_changes=True)
    summary = summary_sentences(data=data, previous_statuses=None)
    assert summary[0] == (
        "1 channel, 2025-03 to 2025-04: revenue $1,220.00 on a total cost of $610.00, "
        "ROI 100.0% (against the 2 months before: not comparable: the earlier span holds "
        "1 day of data)."
    )
    assert summary[1] == (
        "No channel has an ROI in the 2 months before with enough days of data to compare with."
    )


def test_a_whole_year_says_its_change_once_since_before_is_last_year(viewer_client):
    ChannelFactory(name="Web Shop", slug="web-shop", kind="ecommerce")
    import_rows(
        HEADER,
        facts("web-shop", date(2025, 1, 1), date(2025, 12, 31), "10", "20")
        + facts("web-shop", date(2026, 1, 1), date(2026, 12, 31), "10", "30"),
    )
    recompute()
    year_2026 = {"period": "month", "start": "2026-01-01", "end": "2026-12-31"}
    response = viewer_client.get(PORTFOLIO, year_2026)
    comparison = response.context["data"].comparison
    assert comparison.before_is_last_year
    assert [c.against for c in comparison.both] == ["last year"]
    # Revenue and gross profit +50%, each said once (six headline figures).
    assert response.text.count("+50.0% vs last year") == 2
    assert response.text.count("vs last year") == 6  # one line per headline figure
    assert "vs before" not in response.text
    assert "(the span before, which is the same dates last year)" in response.text
