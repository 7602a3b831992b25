"""/health/ and `manage.py health`: database, broker, worker and beat liveness."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from channelhub.models import Heartbeat
from tests.worker import running_beat, running_worker, wait_for

pytestmark = pytest.mark.django_db


def _beats(*, worker_age: float | None = 5, beat_age: float | None = 5) -> None:
    now = timezone.now()
    if worker_age is not None:
        Heartbeat.objects.create(
            name="worker:celery@host", seen_at=now - timedelta(seconds=worker_age)
        )
    if beat_age is not None:
        Heartbeat.objects.create(name="beat", seen_at=now - timedelta(seconds=beat_age))


def test_it_is_healthy_without_sign_in_when_every_part_is_alive(client):
    _beats()
    response = client.get(reverse("health"))
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert set(body["checks"]) == {"database", "broker", "worker", "beat"}
    assert all(check["ok"] for check in body["checks"].values())
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_beat_heartbeat_older_than_two_intervals_is_unhealthy(client):
    # The heartbeat schedule runs every 60 s (migration): 2 intervals = 120 s.
    _beats(beat_age=121)
    response = client.get(reverse("health"))
    assert response.status_code == 503
    beat = response.json()["checks"]["beat"]
    assert (beat["ok"], beat["max_age_s"]) == (False, 120.0)
    assert beat["age_s"] >= 121
    assert response.json()["checks"]["worker"]["ok"] is True


def test_a_beat_heartbeat_within_two_intervals_is_healthy(client):
    _beats(beat_age=110)
    assert client.get(reverse("health")).status_code == 200


def test_the_beat_limit_follows_the_schedule_set_in_the_admin(client):
    task = PeriodicTask.objects.get(task="channelhub.heartbeat")
    task.interval, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    task.save()
    _beats(beat_age=500)
    assert client.get(reverse("health")).json()["checks"]["beat"]["ok"] is True
    Heartbeat.objects.filter(name="beat").update(seen_at=timezone.now() - timedelta(seconds=601))
    assert client.get(reverse("health")).status_code == 503


def test_a_stale_worker_heartbeat_is_unhealthy(client, settings):
    settings.WORKER_HEARTBEAT_SECONDS = 30
    _beats(worker_age=61)
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["detail"] == "worker heartbeat is stale"


def test_no_heartbeat_at_all_is_unhealthy(client):
    body = client.get(reverse("health")).json()
    assert body["ok"] is False
    assert body["checks"]["worker"]["detail"] == "no worker heartbeat yet"
    assert body["checks"]["beat"]["detail"] == "no beat heartbeat yet"


def test_an_unreachable_redis_is_unhealthy_and_its_url_is_not_shown(client, settings):
    settings.REDIS_URL = "redis://:hunter2-secret@127.0.0.1:1/0"
    _beats()
    response = client.get(reverse("health"))
    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False and broker["detail"].startswith("redis unreachable")
    assert "hunter2" not in response.text


def test_the_embedded_filesystem_broker_is_checked(client, settings, tmp_path):
    settings.REDIS_URL = ""
    settings.BROKER_DIR = tmp_path
    for sub in ("out", "processed", "control"):
        (tmp_path / sub).mkdir()
    _beats()
    assert client.get(reverse("health")).json()["checks"]["broker"] == {
        "ok": True,
        "detail": "filesystem",
        "age_s": None,
        "max_age_s": None,
    }
    (tmp_path / "control").rmdir()
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert "control" in response.json()["checks"]["broker"]["detail"]


def test_only_the_requested_checks_run(client):
    response = client.get(reverse("health"), {"check": ["database"]})
    assert response.status_code == 200
    assert list(response.json()["checks"]) == ["database"]


def test_an_unknown_check_is_refused(client):
    assert client.get(reverse("health"), {"check": "moon"}).status_code == 400


def test_the_command_exits_non_zero_when_unhealthy(capsys):
    _beats(beat_age=None)
    with pytest.raises(CommandError, match="unhealthy: beat"):
        call_command("health")
    assert json.loads(capsys.readouterr().out)["checks"]["beat"]["ok"] is False
    call_command("health", check=["worker"])
    assert json.loads(capsys.readouterr().out)["ok"] is True


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_and_beat_make_the_health_check_pass(client):
    # A short heartbeat schedule, so beat sends it within the test.
    task = PeriodicTask.objects.get(task="channelhub.heartbeat")
    task.interval, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    task.save()
    assert client.get(reverse("health")).status_code == 503
    with running_worker() as queue:
        wait_for(
            lambda: Heartbeat.objects.filter(name=f"worker:{queue}@{_host()}").exists(),
            what="the worker's heartbeat bootstep",
        )
        with running_beat(queue):
            wait_for(lambda: Heartbeat.objects.filter(name="beat").exists(), what="beat")
            # The heartbeat task went beat → broker → worker.
            wait_for(lambda: Heartbeat.objects.filter(name="queue").exists(), what="delivery")
            # Asked while beat still runs: its heartbeat is due every second and
            # counts as stale after two, which a loaded machine can cross once.
            response = wait_for(lambda: _passing_health(client), what="a passing health check")
    assert response.status_code == 200, response.json()
    assert response.json()["queue"]["age_s"] is not None


def _host() -> str:
    import socket

    return socket.gethostname()


def _passing_health(client):
    response = client.get(reverse("health"))
    return response if response.status_code == 200 else None


def test_the_latest_full_recompute_is_reported_without_its_error_text(client):
    from kpis.models import RecomputeRun

    _beats()
    assert client.get(reverse("health")).json()["recompute"] == {"latest_full": None}
    RecomputeRun.objects.create(trigger="schedule", channel_ids=[1], status="succeeded")
    run = RecomputeRun.objects.create(
        trigger="schedule", status="failed", error="connection to db-secret-host refused"
    )
    response = client.get(reverse("health"))
    assert response.status_code == 200  # reported, never unhealthy on its own
    latest = response.json()["recompute"]["latest_full"]
    assert latest["id"] == run.pk and latest["failed"] is True and latest["skipped_rows"] == 0
    assert "db-secret-host" not in response.text
