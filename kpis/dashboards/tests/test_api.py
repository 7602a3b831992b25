"""Changes against before and last year over the API (issue 17 item 2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kpis.tests.helpers import import_rows, recompute
from tests.api import *  # noqa: F403
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/kpis/changes/"
HEADER = ["date", "channel", "spend", "revenue", "cogs", "orders", "leads"]


@pytest.fixture
def two_months():
    ChannelFactory(name="Web Shop", slug="web-shop")
    ChannelFactory(name="Tiny", slug="tiny")
    import_rows(HEADER, [
        ["2025-01-10", "web-shop", "200", "500", "100", "10", "40"],
        ["2025-02-10", "web-shop", "200", "600", "100", "12", "40"],
        ["2025-01-10", "tiny", "40", "100", "20", "3", "2"],
        ["2025-02-10", "tiny", "40", "150", "20", "3", "2"],
    ])  # fmt: skip
    recompute()


def test_the_changes_of_each_channel_and_of_all_together(viewer_api, two_months):
    response = viewer_api.get(URL, {"period": "month", "start": "2025-02-01"})
    assert response.status_code == 200
    body = response.json()
    assert (body["start"], body["end"]) == ("2025-02-01", "2025-02-28")
    assert body["compared"]["before"] == {"start": "2025-01-01", "end": "2025-01-10", "days": 10}
    shop, tiny = body["channels"]
    assert shop["channel"] == "web-shop" and tiny["channel"] == "tiny"
    # Web shop: revenue 600 against 500 (+20%); ROI (500 - 200) / 200 = 150%
    # against (400 - 200) / 200 = 100%: +50 pts.
    assert shop["before"]["comparable"] is True
    assert Decimal(shop["before"]["changes"]["revenue"]) == Decimal("0.2")
    assert Decimal(shop["before"]["changes"]["roi"]) == Decimal("0.5")
    assert shop["thin"] == []
    # Tiny: ROI and ROAS over $40 of cost are marked.
    assert tiny["thin"] == ["roas", "roi"]
    assert Decimal(tiny["kpis"]["roi"]) == Decimal("2.25")
    # Together: revenue 750 against 600 (+25%).
    assert Decimal(body["total"]["before"]["changes"]["revenue"]) == Decimal("0.25")
    assert body["total"]["last_year"]["comparable"] is False
    assert body["total"]["last_year"]["reason"] == "no earlier data"


def test_a_channel_filter_and_bad_input(viewer_api, two_months):
    response = viewer_api.get(URL, {"period": "month", "start": "2025-02-01", "channel": "tiny"})
    assert [c["channel"] for c in response.json()["channels"]] == ["tiny"]
    bad = viewer_api.get(URL, {"period": "day", "channel": "nope"})
    assert bad.status_code == 400
    assert "period" in bad.json()["errors"]
    missing = viewer_api.get(URL, {"channel": "nope"})
    assert missing.status_code == 400 and missing.json()["errors"]["channel"] == [
        "No channel “nope”."
    ]


def test_without_a_role_the_changes_are_refused(norole_api, anon_api):
    assert norole_api.get(URL).status_code == 403
    assert anon_api.get(URL).status_code == 401


def test_the_api_root_names_the_changes(viewer_api):
    body = viewer_api.get("/api/v1/").json()
    assert body["endpoints"]["kpi-changes"].endswith("/api/v1/kpis/changes/")
