"""An import through the page reaches KPI snapshots through a real Celery worker
(Redis in CI), with nobody running a command."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from channelhub.lib.roles import MARKETING_MANAGER
from kpis.models import ImportRun, KpiSnapshot, RecomputeRun
from kpis.tests.helpers import csv_bytes
from tests.auth import password_login
from tests.factories import ChannelFactory, UserFactory
from tests.worker import running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_uploaded_file_is_imported_and_recomputed_by_the_worker():
    ChannelFactory(name="Web Shop", slug="web-shop")
    UserFactory(username="maria", role=MARKETING_MANAGER)
    client = Client()
    assert password_login(client, "maria")
    data = csv_bytes(
        ["date", "channel", "spend", "revenue"], [["2025-01-02", "web-shop", "100", "400"]]
    )
    with running_worker():
        response = client.post(
            reverse("kpis:import"), {"file": SimpleUploadedFile("facts.csv", data)}
        )
        assert response.status_code == 302
        run = ImportRun.objects.get()
        wait_for(lambda: ImportRun.objects.get(pk=run.pk).status == "succeeded", what="the import")
        recompute_id = ImportRun.objects.get(pk=run.pk).recompute_run_id
        wait_for(
            lambda: RecomputeRun.objects.get(pk=recompute_id).status == "succeeded",
            what="the recompute queued by the import",
        )
    month = KpiSnapshot.objects.get(channel__slug="web-shop", period_kind="month", partner_key=0)
    assert (month.spend, month.revenue) == (100, 400)
    page = client.get(reverse("channels:detail", args=["web-shop"]))
    assert "$400.00" in page.text
