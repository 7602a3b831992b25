"""Compare channels (issue 17 item 4): 2 to 6 channels side by side."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from kpis.dashboards.colours import channel_style
from kpis.tests.helpers import import_rows, recompute
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db
URL = reverse("kpis:compare")
HEADER = ["date", "channel", "spend", "revenue", "cogs", "orders", "leads"]


def _channels(count: int) -> list:
    made = [ChannelFactory(name=f"Channel {i}", slug=f"channel-{i}") for i in range(count)]
    rows = []
    for i in range(count):
        rows += [
            ["2025-01-10", f"channel-{i}", "200", str(500 + 100 * i), "100", "10", "40"],
            ["2025-02-10", f"channel-{i}", "200", str(600 + 100 * i), "100", "10", "40"],
        ]
    import_rows(HEADER, rows)
    recompute()
    return made


def _query(slugs: list[str], **extra: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"channel": slugs, "period": "month", "start": "2025-02-01", **extra}, True)


def test_two_channels_side_by_side_from_a_bookmarkable_url(viewer_client):
    a, b, _c = _channels(3)
    response = viewer_client.get(f"{URL}?{_query([a.slug, b.slug])}")
    assert response.status_code == 200
    result = response.context["result"]
    assert [c.channel.slug for c in result.channels] == ["channel-0", "channel-1"]
    first, second = (c.total for c in result.channels)
    # February: channel 0 revenue 600, ROI (500 - 200) / 200 = 150%; channel 1
    # revenue 700, ROI (600 - 200) / 200 = 200%.
    assert (first.values["revenue"], first.values["roi"]) == (D("600"), D("1.5"))
    assert (second.values["revenue"], second.values["roi"]) == (D("700"), D("2"))
    # Against January: channel 0 revenue +20%, ROI +50 pts.
    assert first.change.changes["revenue"] == D("0.2")
    assert "+20.0% vs before" in response.text and "+50.0 pts vs before" in response.text
    # Each channel in its own colour, the same as on every other page.
    assert [c.style for c in result.channels] == [channel_style(a.pk), channel_style(b.pk)]
    roi = result.figures["roi"]["data"]
    # February holds 10 of 28 days so far: each line ends at a hollow marker.
    assert [t["name"] for t in roi] == [
        "Channel 0",
        "Channel 0",
        "Channel 1",
        "Channel 1",
        "partial (10 of 28 days)",
    ]
    assert roi[0]["line"]["color"] == channel_style(a.pk).colour
    # The form shows what was picked.
    assert 'value="channel-0" id="id_channel_0" checked' in response.text or (
        response.text.count("checked") == 2
    )


def test_fewer_than_two_or_more_than_six_channels_are_refused_with_a_message(viewer_client):
    made = _channels(7)
    one = viewer_client.get(f"{URL}?{_query([made[0].slug])}")
    assert one.context["result"] is None
    assert "Pick at least 2 channels to compare (you picked 1)." in one.text
    seven = viewer_client.get(f"{URL}?{_query([c.slug for c in made])}")
    assert seven.context["result"] is None
    assert "Pick at most 6 channels to compare (you picked 7)." in seven.text
    assert seven.text.count("checked") == 7  # what was ticked stays ticked


def test_an_unknown_channel_is_named_and_the_first_visit_explains(viewer_client):
    _channels(2)
    response = viewer_client.get(f"{URL}?{_query(['channel-0', 'nope'])}")
    assert "“nope” is not a channel you can see." in response.text
    first = viewer_client.get(URL)
    assert "Pick channels to compare" in first.text and first.context["result"] is None


def test_channels_without_data_in_the_range_say_so(viewer_client):
    _channels(2)
    response = viewer_client.get(
        f"{URL}?{_query(['channel-0', 'channel-1'], start='2024-01-01', end='2024-03-31')}"
    )
    assert "No KPIs for these channels in this range" in response.text


@pytest.mark.parametrize("count", [2, 6])
def test_the_queries_do_not_grow_with_the_channels(
    viewer_client, django_assert_max_num_queries, count
):
    made = _channels(count)
    with django_assert_max_num_queries(16):
        response = viewer_client.get(f"{URL}?{_query([c.slug for c in made])}")
    assert len(response.context["result"].channels) == count


def test_anonymous_and_roleless_users_are_kept_out(client, norole_client):
    assert client.get(URL).status_code == 302
    assert norole_client.get(URL).status_code == 403


def test_an_address_with_channels_only_shows_month_in_the_period_select(viewer_client):
    a, b = _channels(2)
    page = viewer_client.get(f"{URL}?channel={a.slug}&channel={b.slug}").text
    assert '<option value="month" selected>Month</option>' in page
    assert "by month" in page


def test_the_portfolio_filtered_by_channel_only_shows_month_in_the_period_select(viewer_client):
    a, _b = _channels(2)
    page = viewer_client.get(f"{reverse('kpis:portfolio')}?channel={a.slug}").text
    assert '<option value="month" selected>Month</option>' in page
