"""KPI data over the API: snapshots, the export and recompute runs."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channelhub.metrics.formulas import rounded
from kpis.engine.exports import HEADER, export_rows
from kpis.models import RecomputeRun
from kpis.tests.helpers import import_rows, kpi, recompute
from tests.api import *  # noqa: F403
from tests.factories import ChannelFactory, PartnerFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
FACTS = f"{API}/facts/"


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop")


@pytest.fixture
def january(shop):
    """Two days of the web shop in January 2025, imported and recomputed."""
    import_rows(
        ["date", "channel", "spend", "revenue", "cogs", "orders", "leads", "new_customers"],
        [
            ["2025-01-02", "web-shop", "100", "400", "100", "4", "10", "2"],
            ["2025-01-03", "web-shop", "50", "200", "50", "2", "0", "0"],
        ],
    )
    recompute()
    return shop


# --- snapshots ---------------------------------------------------------------------


def test_snapshot_rows_carry_the_kpis_of_kpis_formulas(viewer_api, january):
    response = viewer_api.get(f"{API}/kpis/snapshots/", {"period": "month", "channel": "web-shop"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["channel"] == "web-shop" and row["partner"] is None
    assert (row["period"], row["period_start"], row["period_end"]) == (
        "2025-01",
        "2025-01-01",
        "2025-01-31",
    )
    assert row["complete"] is False  # the facts stop on 3 January
    kpis = row["kpis"]
    assert kpis["revenue"] == "600.00" and kpis["orders"] == 6
    # (600 - 150 - 150) / 150 = 2, from the formulas module, rounded to 4 places.
    assert kpis["roi"] == "2.0000"
    assert Decimal(kpis["roi"]) == rounded("roi", kpi(january.pk, "month", date(2025, 1, 1), "roi"))
    assert kpis["cac"] == "75.0000"  # 150 / 2
    assert kpis["nps"] is None  # no feedback: undefined, never 0


def test_snapshots_filter_by_period_kind_and_date_range(viewer_api, january):
    weeks = viewer_api.get(f"{API}/kpis/snapshots/", {"period": "week"}).json()
    assert [r["period"] for r in weeks["results"]] == ["2025-W01"]
    days = viewer_api.get(
        f"{API}/kpis/snapshots/", {"period": "day", "start": "2025-01-03", "end": "2025-01-31"}
    ).json()
    assert [(r["period"], r["kpis"]["spend"]) for r in days["results"]] == [("2025-01-03", "50.00")]
    later = viewer_api.get(f"{API}/kpis/snapshots/", {"period": "month", "start": "2025-02-01"})
    assert later.json()["count"] == 0


def test_partner_rows_are_read_by_partner_slug(viewer_api):
    partner = PartnerFactory(slug="nordlicht", channel__slug="eu-distributors")
    import_rows(
        ["date", "channel", "partner", "revenue", "units"],
        [["2025-02-10", "eu-distributors", "nordlicht", "900", "9"]],
    )
    recompute()
    body = viewer_api.get(
        f"{API}/kpis/snapshots/", {"period": "month", "partner": partner.slug}
    ).json()
    assert [(r["partner"], r["kpis"]["revenue"], r["kpis"]["units"]) for r in body["results"]] == [
        ("nordlicht", "900.00", 9)
    ]


def test_a_bad_period_or_range_is_refused_under_its_parameter(viewer_api, shop):
    bad_kind = viewer_api.get(f"{API}/kpis/snapshots/", {"period": "decade"})
    assert bad_kind.status_code == 400 and "period" in bad_kind.json()["errors"]
    backwards = viewer_api.get(
        f"{API}/kpis/snapshots/", {"start": "2025-02-01", "end": "2025-01-01"}
    )
    assert backwards.status_code == 400 and "end" in backwards.json()["errors"]


def test_the_snapshot_list_costs_the_same_queries_for_1_or_6_channels(viewer_api, january):
    viewer_api.get(f"{API}/kpis/snapshots/")
    with CaptureQueriesContext(connection) as one:
        viewer_api.get(f"{API}/kpis/snapshots/")
    for n in range(5):
        ChannelFactory(slug=f"more-{n}")
        import_rows(["date", "channel", "revenue"], [["2025-01-05", f"more-{n}", "10"]])
    recompute()
    with CaptureQueriesContext(connection) as six:
        assert viewer_api.get(f"{API}/kpis/snapshots/").json()["count"] == 6
    assert len(six) == len(one)


@pytest.mark.parametrize(("who", "code"), [("norole_api", 403), ("anon_api", 401)])
def test_kpis_are_not_shown_without_a_role(who, code, request, january):
    assert request.getfixturevalue(who).get(f"{API}/kpis/snapshots/").status_code == code
    assert request.getfixturevalue(who).get(f"{API}/kpis/export/").status_code == code


# --- export ------------------------------------------------------------------------


def test_the_export_has_the_columns_and_rows_of_export_kpis(viewer_api, january):
    ChannelFactory(slug="=cmd", name="@evil")
    response = viewer_api.get(f"{API}/kpis/export/", {"period": "month"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="kpis-all-channels-month.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADER
    assert rows[1:] == list(export_rows(kind="month"))
    assert rows[1][:3] == ["web-shop", "Web Shop", "2025-01"]


def test_the_export_filters_by_channel_and_range(viewer_api, january):
    def export(**params):
        response = viewer_api.get(f"{API}/kpis/export/", {"channel": "web-shop", **params})
        return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    # ISO week 1 of 2025 starts on 30 December 2024: it overlaps, so it is in, in full.
    overlapping = export(period="week", end="2024-12-31")
    assert [(r[2], r[3]) for r in overlapping[1:]] == [("2025-W01", "2024-12-30")]
    assert export(period="week", end="2024-12-29") == [HEADER]
    assert export(period="month", channel="nowhere") == [HEADER]


# --- recompute runs --------------------------------------------------------------------


def test_a_marketing_manager_triggers_a_recompute_and_polls_it(
    marketing_api, january, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = marketing_api.post(
            f"{API}/recompute-runs/",
            {"channel": "web-shop", "start": "2025-01-01", "end": "2025-01-31"},
        )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["channels"] == [january.pk]
    polled = marketing_api.get(f"{API}/recompute-runs/{body['id']}/").json()
    assert polled["status"] == "succeeded" and polled["requested_by"] == "maria"


def test_a_partner_manager_reads_recomputes_but_starts_none(partner_api, shop):
    refused = partner_api.post(f"{API}/recompute-runs/", {"channel": "web-shop"})
    assert refused.status_code == 403
    assert partner_api.post(f"{API}/recompute-runs/", {}).status_code == 403
    assert not RecomputeRun.objects.exists()
    assert partner_api.get(f"{API}/recompute-runs/").status_code == 200


def test_a_recompute_of_every_channel_and_all_time(marketing_api, shop):
    body = marketing_api.post(f"{API}/recompute-runs/", {}).json()
    assert body["channels"] is None and body["start_date"] is None
    assert marketing_api.get(f"{API}/recompute-runs/", {"trigger": "manual"}).json()["count"] == 1


def test_a_bad_recompute_request_is_refused_under_its_field(marketing_api, shop):
    unknown = marketing_api.post(f"{API}/recompute-runs/", {"channel": "nowhere"})
    assert unknown.status_code == 400 and "channel" in unknown.json()["errors"]
    half = marketing_api.post(f"{API}/recompute-runs/", {"start": "2025-01-01"})
    assert half.status_code == 400 and "end" in half.json()["errors"]
    assert not RecomputeRun.objects.exists()


@pytest.mark.parametrize(
    ("who", "code"), [("viewer_api", 403), ("norole_api", 403), ("anon_api", 401)]
)
def test_job_history_and_recomputes_are_for_managers(who, code, request, shop):
    api = request.getfixturevalue(who)
    assert api.post(f"{API}/recompute-runs/", {}).status_code == code
    assert api.get(f"{API}/recompute-runs/").status_code == code
    assert api.get(f"{API}/import-runs/").status_code == code
    assert not RecomputeRun.objects.exists()
