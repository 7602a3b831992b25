"""Every spreadsheet download defuses formulas in text cells (docs/metrics.md section 6):
the dashboard export, the portfolio table and the API export, not only the command."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from kpis.tests.helpers import import_rows, recompute
from tests.api import *  # noqa: F403
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

NAMES = {
    "formula": '=HYPERLINK("http://evil.example","x")',
    "plus": "+1+1",
    "minus": "-2+3",
    "at": "@SUM(A1)",
    "tab": "\tTabbed",
    "plain": "Web Shop",
}
EXPECTED = {slug: (f"'{name}" if slug != "plain" else name) for slug, name in NAMES.items()}


@pytest.fixture
def channels():
    for slug, name in NAMES.items():
        ChannelFactory(slug=slug, name=name)
    import_rows(
        ["date", "channel", "spend", "revenue"],
        [["2025-01-02", slug, "10", "30"] for slug in NAMES],
    )
    recompute()


def _names(body: str) -> dict[str, str]:
    return {row["channel"]: row["channel_name"] for row in csv.DictReader(io.StringIO(body))}


def _body(response) -> str:
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def test_the_dashboard_export_defuses_formulas(viewer_client, channels):
    response = viewer_client.get(reverse("kpis:export"), {"period": "month"})
    assert _names(_body(response)) == EXPECTED


def test_the_portfolio_table_defuses_formulas(viewer_client, channels):
    response = viewer_client.get(
        reverse("kpis:portfolio-csv"),
        {"period": "month", "start": "2025-01-01", "end": "2025-01-31"},
    )
    assert _names(_body(response)) == EXPECTED


def test_the_api_export_defuses_formulas(viewer_api, channels):
    response = viewer_api.get("/api/v1/kpis/export/", {"period": "month"})
    assert _names(_body(response)) == EXPECTED
