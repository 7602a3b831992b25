"""The Celery app loads its configuration, and a real worker runs our tasks."""

import pytest
from django.conf import settings

from channelhub.celery import app
from channelhub.models import Heartbeat
from channelhub.tasks import heartbeat_task
from tests.worker import running_worker, wait_for


def test_the_celery_app_is_configured_from_django_settings():
    conf = app.conf
    assert conf.broker_url == settings.CELERY_BROKER_URL
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    if settings.REDIS_URL:
        # Redelivery must not happen while the longest task may still run.
        assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert "channelhub.heartbeat" in app.tasks


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_a_queued_task():
    with running_worker() as queue:
        heartbeat_task.apply_async(args=["worker-test"], queue=queue)
        beat = wait_for(
            lambda: Heartbeat.objects.filter(name="worker-test").first(),
            what="the worker to record its heartbeat",
        )
    assert beat.detail  # the worker's host name
