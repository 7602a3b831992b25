"""Import pages: who may upload, undo and see the history, and what they see."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.urls import reverse

from kpis.ingest.pipeline import IMPORT_RUN_LOCK
from kpis.models import DailyFact, ImportRun
from kpis.tests.helpers import csv_bytes, import_rows
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db
GOOD = csv_bytes(
    ["date", "channel", "spend", "revenue"], [["2025-01-02", "web-shop", "100", "400"]]
)


@pytest.fixture
def shop():
    return ChannelFactory(name="Web Shop", slug="web-shop")


def upload(client, data=GOOD, name="facts.csv", **extra):
    return client.post(reverse("kpis:import"), {"file": SimpleUploadedFile(name, data), **extra})


def test_a_marketing_manager_uploads_a_file_and_sees_the_result(
    marketing_client, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(marketing_client)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    page = marketing_client.get(run.get_absolute_url())
    assert "Imported" in page.text and "1 row(s) added" in page.text
    assert run.recompute_run.status == "succeeded"
    channel_page = marketing_client.get(reverse("channels:detail", args=["web-shop"]))
    assert (
        "$400.00" in channel_page.text and "300.0%" in channel_page.text
    )  # revenue, ROI (400 - 100) / 100


def test_a_bad_file_shows_the_report_and_writes_nothing(
    marketing_client, shop, django_capture_on_commit_callbacks
):
    bad = csv_bytes(
        ["date", "channel", "spend"],
        [["2025-01-02", "web-shop", "x"], ["2025-13-01", "web-shop", "1"]],
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload(marketing_client, bad)
    page = marketing_client.get(ImportRun.objects.get().get_absolute_url())
    assert "Why the file was rejected" in page.text
    assert "not a date (expected YYYY-MM-DD)" in page.text and "2025-13-01" in page.text
    assert "Fix these rows and upload it again." in page.text
    assert not DailyFact.objects.exists()


def test_a_file_without_rows_is_reported_as_a_file_problem_not_as_rows(
    marketing_client, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(marketing_client, b"date,channel,spend\n")
    page = marketing_client.get(ImportRun.objects.get().get_absolute_url())
    assert "The file has a header but no data rows." in page.text
    assert "Fix the file and upload it again." in page.text
    assert "Fix these rows" not in page.text and "(empty)" not in page.text


def test_a_queued_file_gets_no_note_that_would_outlive_its_outcome(
    marketing_client, shop, monkeypatch
):
    """The import's page says how far it is, then its outcome: no note above a
    rejected file saying it "is being checked and imported"."""
    from kpis.ingest.pipeline import import_execute

    monkeypatch.setattr("kpis.ingest.services.import_start", lambda run: "queued")
    upload(marketing_client, csv_bytes(["date", "channel", "spend"], [["2025-01-02", "x", "1"]]))
    run = ImportRun.objects.get()
    import_execute(run.pk)  # what the worker does
    page = marketing_client.get(run.get_absolute_url())
    assert "Why the file was rejected" in page.text
    assert [str(m) for m in page.context["messages"]] == []


def test_the_form_refuses_a_wrong_type_or_an_oversized_file(marketing_client, shop, settings):
    response = upload(marketing_client, b"%PDF-1.4", name="facts.pdf")
    assert "Upload a .csv or .xlsx file." in response.text
    settings.MAX_UPLOAD_BYTES = 5
    response = upload(marketing_client)
    assert "larger than" in response.text
    assert not ImportRun.objects.exists()


def test_a_running_import_refreshes_itself_with_htmx(marketing_client, shop):
    run = ImportRun.objects.create(
        original_name="big.csv", status="running", rows_total=1000, rows_processed=250
    )
    # A live worker holds the import's lock (PostgreSQL; elsewhere no lock is asked).
    worker = connections.create_connection("default")
    try:
        if connection.vendor == "postgresql":
            with worker.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", [IMPORT_RUN_LOCK, run.pk])
        page = marketing_client.get(run.get_absolute_url())
        assert 'hx-trigger="every 1s"' in page.text and "250 of about 1,000" in page.text
        partial = marketing_client.get(run.get_absolute_url(), HTTP_HX_REQUEST="true")
        assert "<html" not in partial.text and 'value="25"' in partial.text
    finally:
        worker.close()


@pytest.mark.parametrize("client_name", ["viewer_client", "partner_client"])
def test_only_marketing_managers_import_and_undo(request, client_name, shop):
    client = request.getfixturevalue(client_name)
    assert client.get(reverse("kpis:import")).status_code == 403
    assert upload(client).status_code == 403
    run = import_rows(["date", "channel", "spend"], [["2025-01-02", "web-shop", "1"]])
    assert client.post(reverse("kpis:import-undo", args=[run.pk])).status_code == 403
    run.refresh_from_db()
    assert run.status == "succeeded"


def test_undo_from_the_page(marketing_client, shop):
    run = import_rows(["date", "channel", "spend"], [["2025-01-02", "web-shop", "1"]])
    response = marketing_client.post(reverse("kpis:import-undo", args=[run.pk]), follow=True)
    assert "Import undone" in response.text
    assert not DailyFact.objects.exists()
    again = marketing_client.post(reverse("kpis:import-undo", args=[run.pk]), follow=True)
    assert "Only a successful import can be undone." in again.text


def test_import_history_lists_imports_with_their_status(marketing_client, shop):
    import_rows(["date", "channel", "spend"], [["2025-01-02", "web-shop", "1"]], name="good.csv")
    import_rows(["date", "channel", "spend"], [["2025-01-02", "nope", "1"]], name="bad.csv")
    page = marketing_client.get(reverse("kpis:imports"))
    assert "good.csv" in page.text and "bad.csv" in page.text
    rejected = marketing_client.get(reverse("kpis:imports"), {"status": "rejected"})
    assert "bad.csv" in rejected.text and "good.csv" not in rejected.text


def test_the_viewer_cannot_see_job_history(viewer_client):
    assert viewer_client.get(reverse("kpis:imports")).status_code == 403
    assert viewer_client.get(reverse("kpis:runs")).status_code == 403


def test_the_template_lists_every_column(viewer_client):
    text = viewer_client.get(reverse("kpis:import-template")).content.decode()
    assert (
        text.splitlines()[0]
        == "date,channel,partner,spend,revenue,cogs,orders,units,leads,new_customers,impressions,clicks,inventory_value"
    )
