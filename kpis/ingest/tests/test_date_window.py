"""Facts dated outside the facts window (channelhub.lib.dates) are refused by
every way in: the import page, the command, the API push, and the database."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from kpis.models import DailyFact, ImportRun
from kpis.tests.helpers import csv_bytes, import_rows
from tests.api import *  # noqa: F403
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db
HEADER = ["date", "channel", "spend", "revenue"]
WINDOW = "dates must be between 2000-01-01 and"


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop")


def _too_late() -> str:
    return (timezone.localdate() + timedelta(days=3 * 366)).isoformat()


@pytest.mark.parametrize("day", ["9999-12-31", "1999-12-31", "0717-01-01"])
def test_a_file_with_a_day_outside_the_window_is_refused_whole(shop, day):
    run = import_rows(HEADER, [["2025-01-02", "web-shop", "1", "2"], [day, "web-shop", "1", "2"]])
    assert run.status == ImportRun.Status.REJECTED
    (error,) = run.errors
    assert (error["line"], error["column"], error["value"]) == (3, "date", day)
    assert error["reason"].startswith("out of range: " + WINDOW)
    assert not DailyFact.objects.exists()


def test_the_window_ends_two_years_ahead(shop):
    last_ok = (timezone.localdate() + timedelta(days=700)).isoformat()
    assert import_rows(HEADER, [[last_ok, "web-shop", "1", "2"]]).status == "succeeded"
    run = import_rows(HEADER, [[_too_late(), "web-shop", "1", "2"]])
    assert run.status == ImportRun.Status.REJECTED


def test_the_import_page_shows_the_out_of_range_row(
    marketing_client, shop, django_capture_on_commit_callbacks
):
    data = csv_bytes(HEADER, [["9999-12-31", "web-shop", "1", "2"]])
    with django_capture_on_commit_callbacks(execute=True):
        marketing_client.post(
            reverse("kpis:import"), {"file": SimpleUploadedFile("facts.csv", data)}
        )
    run = ImportRun.objects.get()
    page = marketing_client.get(run.get_absolute_url())
    assert "9999-12-31" in page.text and "out of range" in page.text
    assert not DailyFact.objects.exists()


def test_the_import_command_refuses_an_out_of_range_day(tmp_path, shop):
    path = tmp_path / "facts.csv"
    path.write_bytes(csv_bytes(HEADER, [["9999-12-31", "web-shop", "1", "2"]]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_metrics", str(path), stderr=err)
    assert "out of range" in err.getvalue()
    assert not DailyFact.objects.exists()


def test_the_api_push_refuses_an_out_of_range_day(marketing_api, shop):
    response = marketing_api.post(
        "/api/v1/facts/",
        [
            {"date": "2025-03-01", "channel": "web-shop", "spend": "10"},
            {"date": "9999-12-31", "channel": "web-shop", "spend": "10"},
        ],
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "facts_rejected" and body["bad_rows"] == 1
    (error,) = body["row_errors"]
    assert error["row"] == 1 and error["column"] == "date" and "out of range" in error["reason"]
    assert not DailyFact.objects.exists()


@pytest.mark.parametrize("day", [date(1999, 12, 31), date(2100, 1, 1)])
def test_the_database_refuses_a_fact_outside_the_stored_bounds(shop, day):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO kpis_dailyfact (channel_id, day, partner_key, spend, revenue, cogs, "
            "orders, units, leads, new_customers, impressions, clicks) "
            "VALUES (%s, %s, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
            [shop.pk, day],
        )
    assert not DailyFact.objects.exists()
