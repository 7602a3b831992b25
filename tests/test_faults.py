"""Faults on the real stack: PostgreSQL, Redis and real Celery worker processes.

- a worker killed with SIGKILL just before a recompute commits;
- the same recompute delivered twice (at-least-once delivery);
- Redis down while a user imports a file through the web page.

With DATABASE_URL and REDIS_URL set (CI) these tests fail when PostgreSQL or
Redis cannot be reached; on a laptop without them they skip and say why.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import redis
import requests
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from channelhub.lib.roles import MARKETING_MANAGER
from channelhub.models import Heartbeat
from channelhub.tasks import heartbeat_task
from kpis.engine.recompute import PAUSE_BEFORE_COMMIT_ENV
from kpis.engine.recovery import orphaned_run_ids
from kpis.ingest.pipeline import PAUSE_AFTER_SCAN_ENV, orphaned_import_ids
from kpis.ingest.services import import_create, import_enqueue
from kpis.models import DailyFact, ImportRun, KpiSnapshot, RecomputeRun
from kpis.tasks import kpis_sweeper_task, recompute_run_task
from kpis.tests.helpers import csv_bytes, import_rows, snapshot_state
from tests.factories import PASSWORD, ChannelFactory, UserFactory
from tests.worker import ROOT, private_queue, process_env, running_worker_process, stop, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

HEADER = ["date", "channel", "spend", "revenue"]
JANUARY = date(2025, 1, 1)
# Private servers of these tests (ports 8071-8079 are ours on the shared machine).
PRIVATE_REDIS_PORT = 8078
WEB_PORT = 8077


def _require_real_stack() -> None:
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        pytest.skip("fault tests need PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")
    # Configured: from here on, an unreachable server is a failure, never a skip.
    assert settings.IS_POSTGRES, "DATABASE_URL must name a PostgreSQL database"
    redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5).ping()


@pytest.fixture
def queue() -> Iterator[str]:
    """A private queue: what this test process sends goes there, and only its workers read it."""
    _require_real_stack()
    with private_queue("fault") as name:
        yield name


def _month(channel_slug: str) -> KpiSnapshot:
    return KpiSnapshot.objects.get(
        channel__slug=channel_slug, period_kind="month", partner_key=0, period_start=JANUARY
    )


def _drain(queue: str) -> None:
    """Wait until the worker on `queue` handled everything sent before now (FIFO, prefetch 1)."""
    marker = f"drained-{uuid.uuid4().hex[:8]}"
    heartbeat_task.apply_async(args=[marker], queue=queue)
    wait_for(lambda: Heartbeat.objects.filter(name=marker).exists(), what="the queue to drain")


def _first_import_recomputed(queue: str) -> None:
    ChannelFactory(name="Web Shop", slug="web-shop")
    with running_worker_process(queue):
        import_rows(HEADER, [["2025-01-02", "web-shop", "100", "400"]])
        run = RecomputeRun.objects.latest("pk")
        wait_for(lambda: RecomputeRun.objects.get(pk=run.pk).status == "succeeded", what="run 1")
    assert (_month("web-shop").spend, _month("web-shop").revenue) == (100, 400)


def test_a_worker_killed_before_commit_keeps_old_snapshots_and_the_run_is_recovered(
    queue, tmp_path
):
    _first_import_recomputed(queue)
    before = snapshot_state()
    pause = tmp_path / "paused"
    with running_worker_process(queue, {PAUSE_BEFORE_COMMIT_ENV: str(pause)}) as worker:
        import_rows(HEADER, [["2025-01-02", "web-shop", "150", "900"]])
        run = RecomputeRun.objects.latest("pk")
        wait_for(pause.exists, what="the worker to reach the point before commit")
        assert pause.read_text() == str(run.pk)
        # Mid-run: the new numbers are written but not committed.
        assert snapshot_state() == before
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()

    # The previous snapshots are still there, readable and unchanged.
    assert snapshot_state() == before
    assert RecomputeRun.objects.get(pk=run.pk).status == "running"
    # Its worker's connection is gone, and the run's lock with it.
    wait_for(lambda: orphaned_run_ids() == [run.pk], what="PostgreSQL to drop the dead session")

    with running_worker_process(queue):
        kpis_sweeper_task()  # the scheduled reaper (every minute)
        wait_for(
            lambda: RecomputeRun.objects.get(pk=run.pk).status == "succeeded",
            what="the run to be retried",
        )
    run.refresh_from_db()
    assert run.attempts == 2 and run.error == ""
    assert (_month("web-shop").spend, _month("web-shop").revenue) == (150, 900)
    assert orphaned_run_ids() == []


def test_a_worker_killed_during_an_import_is_recovered_by_the_next_sweep(queue, tmp_path):
    ChannelFactory(name="Web Shop", slug="web-shop")
    pause = tmp_path / "paused"
    data = csv_bytes(HEADER, [["2025-01-02", "web-shop", "100", "400"]])
    with running_worker_process(queue, {PAUSE_AFTER_SCAN_ENV: str(pause)}) as worker:
        run = import_create(file=io.BytesIO(data), name="facts.csv", user=None)
        import_enqueue(run)
        wait_for(pause.exists, what="the worker to check the whole file")
        assert pause.read_text() == str(run.pk)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()

    # Nothing was written; the row still says running, with most of its lease left.
    run.refresh_from_db()
    assert run.status == "running" and run.lease_expires_at is not None
    assert run.lease_expires_at > timezone.now() + timedelta(minutes=55)
    assert not DailyFact.objects.exists()
    wait_for(lambda: orphaned_import_ids() == [run.pk], what="PostgreSQL to drop the dead session")

    with running_worker_process(queue):
        kpis_sweeper_task()  # the scheduled sweeper (every minute), not the lease
        wait_for(
            lambda: ImportRun.objects.get(pk=run.pk).status == "succeeded",
            what="the import to be sent again",
        )
    run.refresh_from_db()
    assert (run.attempts, run.rows_added) == (2, 1)
    assert DailyFact.objects.get().revenue == 400
    assert orphaned_import_ids() == []


def test_a_recompute_delivered_twice_gives_the_snapshots_of_one_delivery(queue):
    _first_import_recomputed(queue)
    run = RecomputeRun.objects.latest("pk")
    once = snapshot_state()
    rows_once = list(KpiSnapshot.objects.order_by("pk").values())

    with running_worker_process(queue):
        recompute_run_task.delay(run.pk)  # the broker delivers the same message again
        _drain(queue)

    assert snapshot_state() == once
    # Not even rewritten: same run, same computed_at.
    assert list(KpiSnapshot.objects.order_by("pk").values()) == rows_once
    assert RecomputeRun.objects.get(pk=run.pk).attempts == 1


def test_a_second_delivery_while_the_first_still_runs_changes_nothing(queue, tmp_path):
    _first_import_recomputed(queue)
    pause = tmp_path / "paused"
    with running_worker_process(queue, {PAUSE_BEFORE_COMMIT_ENV: str(pause)}):
        import_rows(HEADER, [["2025-01-02", "web-shop", "150", "900"]])
        run = RecomputeRun.objects.latest("pk")
        wait_for(pause.exists, what="the first delivery to reach the point before commit")
        # The first worker is busy (paused): a second one gets the duplicate.
        with running_worker_process(queue):
            recompute_run_task.delay(run.pk)
            _drain(queue)
        assert RecomputeRun.objects.get(pk=run.pk).attempts == 1
        pause.unlink()  # let the first delivery commit
        wait_for(lambda: RecomputeRun.objects.get(pk=run.pk).status == "succeeded", what="run")
    twice = snapshot_state()
    assert (_month("web-shop").spend, _month("web-shop").revenue) == (150, 900)

    # A fresh run over the same facts (one delivery) gives the same snapshots.
    with running_worker_process(queue):
        again = RecomputeRun.objects.create(trigger=RecomputeRun.Trigger.MANUAL)
        recompute_run_task.delay(again.pk)
        wait_for(lambda: RecomputeRun.objects.get(pk=again.pk).status == "succeeded", what="rerun")
    assert snapshot_state() == twice


# --- Redis down during an import through the web page ---------------------------------


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _start_redis(port: int, folder: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    client = redis.Redis(port=port, socket_connect_timeout=1)
    wait_for(lambda: _pings(client), timeout=20, what="the private redis-server")
    return process


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def _login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{base}/accounts/login/",
        data={"username": "maria", "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=30,
    )
    assert response.status_code == 200 and "/accounts/login/" not in response.url
    return session


def test_with_redis_down_an_import_still_commits_and_its_recompute_runs_once_redis_is_back(
    queue, tmp_path
):
    assert _port_free(PRIVATE_REDIS_PORT) and _port_free(WEB_PORT), "ports 8077/8078 are busy"
    ChannelFactory(name="Web Shop", slug="web-shop")
    maria = UserFactory(username="maria", role=MARKETING_MANAGER)
    # gunicorn checks the password with production's hasher, not the tests' cheap one.
    type(maria).objects.filter(pk=maria.pk).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    broker_url = f"redis://127.0.0.1:{PRIVATE_REDIS_PORT}/0"
    env = process_env(queue, {"REDIS_URL": broker_url, "DJANGO_DEBUG": "1"})
    private_redis = _start_redis(PRIVATE_REDIS_PORT, tmp_path)
    web_log = open(tmp_path / "web.log", "w+")  # noqa: SIM115
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "channelhub.wsgi", "--bind",
         f"127.0.0.1:{WEB_PORT}", "--workers", "1", "--timeout", "120"],
        cwd=ROOT, env=env, stdout=web_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{WEB_PORT}"
    try:
        wait_for(lambda: _web_up(base), timeout=60, what="gunicorn")
        session = _login(base)

        stop(private_redis)  # Redis goes away
        health = session.get(f"{base}/health/", params={"check": "broker"}, timeout=30)
        assert health.status_code == 503

        page = session.get(f"{base}/kpis/import/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        data = csv_bytes(HEADER, [["2025-01-02", "web-shop", "100", "400"]])
        response = session.post(
            f"{base}/kpis/import/",
            data={"csrfmiddlewaretoken": token},
            files={"file": ("facts.csv", data, "text/csv")},
            headers={"Referer": f"{base}/kpis/import/"},
            timeout=120,
        )
        # Redirected to the import's page, which says what happened: not a 500.
        assert response.status_code == 200, response.text[:2000]
        assert "The job queue is unavailable right now" in response.text
        assert "imported directly" in response.text

        # The import committed; its recompute waits, queued, in its job row.
        imported = ImportRun.objects.get()
        assert imported.status == "succeeded"
        assert DailyFact.objects.filter(channel__slug="web-shop").count() == 1
        pending = RecomputeRun.objects.get(trigger="import")
        assert pending.status == "queued"
        assert not KpiSnapshot.objects.exists()

        private_redis = _start_redis(PRIVATE_REDIS_PORT, tmp_path)  # Redis is back
        # The sweeper re-sends runs queued for over two minutes: let them be.
        RecomputeRun.objects.filter(pk=pending.pk).update(
            created_at=timezone.now() - timedelta(minutes=3)
        )
        with running_worker_process(queue, {"REDIS_URL": broker_url}):
            # The next scheduled sweep, as beat would run it (its own process).
            subprocess.run(
                [sys.executable, "manage.py", "shell", "-c",
                 "from kpis.tasks import kpis_sweeper_task; kpis_sweeper_task()"],
                cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
            )  # fmt: skip
            wait_for(
                lambda: RecomputeRun.objects.get(pk=pending.pk).status == "succeeded",
                what="the queued recompute to run once Redis is back",
            )
        assert (_month("web-shop").spend, _month("web-shop").revenue) == (100, 400)
        assert session.get(f"{base}/health/", params={"check": "broker"}, timeout=30).ok
    finally:
        stop(web)
        web_log.close()
        stop(private_redis)


def _web_up(base: str) -> bool:
    try:
        return requests.get(f"{base}/health/?check=database", timeout=5).status_code == 200
    except requests.RequestException:
        return False
