"""The model fit task: a fit stopped by its time limit fails in words and keeps
the previous model; a dropped connection is retried; the sweeper resends."""

from __future__ import annotations

import pytest
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.db import OperationalError

from kpis.modeling import fitting, selectors, services
from kpis.modeling.tasks import model_fit_task
from kpis.models import ModelRun

from .fakefit import make_fit

pytestmark = pytest.mark.django_db


def test_the_task_fits_and_publishes(business, fake_fit):
    run, _ = services.model_fit_request(trigger="manual", send=False)
    model_fit_task.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.status == "succeeded" and selectors.live_run() == run


def test_a_fit_stopped_by_its_time_limit_fails_in_words(business, fake_fit, monkeypatch):
    live, _ = services.model_fit_request(trigger="manual", send=False)
    services.model_fit_execute(live.pk)

    def too_long(data, settings):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(fitting, "fit", too_long)
    run, _ = services.model_fit_request(trigger="manual", send=False)
    with pytest.raises(SoftTimeLimitExceeded):
        model_fit_task.apply(args=[run.pk], throw=True)
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error.startswith("The fit took longer than its limit of 20 minutes and was stopped.")
    assert selectors.live_run().pk == live.pk


def test_a_dropped_connection_queues_the_run_again_for_its_retry(business, monkeypatch):
    def drop(data, settings):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(fitting, "fit", drop)
    run, _ = services.model_fit_request(trigger="manual", send=False)
    with pytest.raises(Retry):
        model_fit_task.apply(args=[run.pk])
    run.refresh_from_db()
    # Queued again, claimable by the retry (or the sweeper); nothing published.
    assert run.status == "queued" and run.error == ""
    assert selectors.live_run() is None
    monkeypatch.setattr(fitting, "fit", make_fit())
    assert services.model_fit_execute(run.pk).status == "succeeded"


def test_the_kpi_sweeper_resends_a_lost_fit(business, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from kpis.tasks import kpis_sweeper_task

    run, _ = services.model_fit_request(trigger="manual", send=False)
    ModelRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    sent: list[int] = []
    monkeypatch.setattr(services, "send_run", sent.append)
    kpis_sweeper_task()
    assert sent == [run.pk]
