"""An import whose worker was killed is sent again by the next sweep (about a
minute), not after its 60-minute lease, and its page stops saying
"importing... 100%" (issue 19 item 8). PostgreSQL only: the sign of a live
worker is its session's advisory lock, which PostgreSQL frees with the session."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from kpis.ingest.pipeline import IMPORT_RUN_LOCK, orphaned_import_ids
from kpis.ingest.progress import get_progress, set_progress
from kpis.ingest.services import import_create
from kpis.models import DailyFact, ImportRun
from kpis.tasks import kpis_sweeper_task
from kpis.tests.helpers import csv_bytes, end_session
from tests.factories import ChannelFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a dead worker is told by its freed advisory lock: PostgreSQL only "
        "(SQLite runs one embedded worker and waits out the lease)",
    ),
]


@pytest.fixture
def killed_import():
    """An import a worker claimed and was killed in (SIGKILL): running with an
    hour of lease left, its last progress (100 %) still in the cache, and the
    worker's session (`holder`) holding the run's lock until closed."""
    ChannelFactory(name="Web Shop", slug="web-shop")
    data = csv_bytes(
        ["date", "channel", "spend", "revenue"], [["2025-01-02", "web-shop", "1", "4"]]
    )
    run = import_create(file=io.BytesIO(data), name="facts.csv", user=None)
    now = timezone.now()
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.RUNNING,
        started_at=now,
        lease_expires_at=now + timedelta(minutes=60),
        attempts=1,
    )
    set_progress(run.pk, processed=300_000, total=300_000)
    holder = connections.create_connection("default")
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [IMPORT_RUN_LOCK, run.pk])
        assert cursor.fetchone()[0]
    yield run, holder
    holder.close()


def test_a_live_worker_keeps_its_import(killed_import):
    run, _holder = killed_import
    assert orphaned_import_ids() == []
    kpis_sweeper_task()
    assert ImportRun.objects.get(pk=run.pk).attempts == 1
    assert not DailyFact.objects.exists()


def test_a_killed_import_is_sent_again_by_the_next_sweep(killed_import):
    run, holder = killed_import
    end_session(holder)  # the worker dies: PostgreSQL frees its lock with the session
    assert orphaned_import_ids() == [run.pk]
    kpis_sweeper_task()
    run.refresh_from_db()
    assert (run.status, run.attempts, run.rows_added) == ("succeeded", 2, 1)
    assert get_progress(run.pk) is None


def test_the_page_of_a_killed_import_says_so_instead_of_100_percent(
    marketing_client, killed_import
):
    run, holder = killed_import
    assert (
        "300,000 of about 300,000 rows checked" in marketing_client.get(run.get_absolute_url()).text
    )
    end_session(holder)
    text = marketing_client.get(run.get_absolute_url()).text
    assert "The worker importing this file stopped" in text
    assert "300,000 of about" not in text
