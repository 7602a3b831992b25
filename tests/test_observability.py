"""Structured logs (a JSON line per request and per job), job_status and Sentry."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from channelhub.lib.logs import JsonFormatter
from channelhub.lib.sentry import sentry_init
from channelhub.models import ScheduledTaskState
from kpis.engine import recompute
from kpis.models import RecomputeRun
from kpis.tasks import recompute_all_task, recompute_run_task
from tests.worker import running_worker, wait_for

pytestmark = pytest.mark.django_db
NIGHTLY = "Nightly KPI recompute"


def _records(caplog, logger: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger]


def test_each_request_is_one_json_line_with_its_facts(marketing_client, marketing_user, caplog):
    caplog.set_level(logging.INFO, logger="channelhub.request")
    response = marketing_client.get(reverse("home"), {"q": "secret-query"})
    assert response.status_code == 200
    [record] = _records(caplog, "channelhub.request")
    line = json.loads(JsonFormatter().format(record))
    assert line["method"] == "GET" and line["path"] == "/" and line["status"] == 200
    assert line["user_id"] == marketing_user.pk
    assert line["duration_ms"] >= 0
    assert line["request_id"] == response["X-Request-ID"]
    assert "secret-query" not in json.dumps(line)  # no query strings


def test_an_anonymous_refusal_is_logged_without_a_user(client, caplog):
    caplog.set_level(logging.INFO, logger="channelhub.request")
    client.get(reverse("home"))
    [record] = _records(caplog, "channelhub.request")
    assert (record.status, record.user_id) == (302, None)


def test_a_proxy_request_id_is_kept_and_a_bogus_one_replaced(client, caplog):
    caplog.set_level(logging.INFO, logger="channelhub.request")
    good = client.get(reverse("health"), HTTP_X_REQUEST_ID="req-1234abcd")
    bad = client.get(reverse("health"), HTTP_X_REQUEST_ID='x" injected\nline')
    assert good["X-Request-ID"] == "req-1234abcd"
    assert bad["X-Request-ID"] != 'x" injected\nline' and len(bad["X-Request-ID"]) == 32
    assert [r.request_id for r in _records(caplog, "channelhub.request")] == [
        "req-1234abcd",
        bad["X-Request-ID"],
    ]


def test_password_reset_tokens_stay_out_of_the_log(client, caplog):
    caplog.set_level(logging.INFO, logger="channelhub.request")
    client.get("/accounts/reset/MQ/abc123-tok3nvalue/")
    [record] = _records(caplog, "channelhub.request")
    assert "abc123-tok3nvalue" not in record.path and "/MQ/" not in record.path
    assert record.path == "/accounts/reset/[redacted]/[redacted]/"


def test_the_formatter_masks_secret_looking_fields_and_keeps_exceptions():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.makeLogRecord(
            {"name": "x", "levelno": 40, "levelname": "ERROR", "msg": "failed %s", "args": (1,),
             "exc_info": sys.exc_info(), "api_token": "chub_abc", "password": "pw", "run": 3}
        )  # fmt: skip
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed 1" and line["run"] == 3
    assert line["api_token"] == line["password"] == "[redacted]"
    assert "ValueError: boom" in line["exc_info"]


def test_a_job_logs_its_task_run_id_outcome_and_duration(caplog):
    caplog.set_level(logging.INFO, logger="channelhub.jobs")
    run = RecomputeRun.objects.create(trigger=RecomputeRun.Trigger.MANUAL)
    recompute_run_task.apply(args=[run.pk])
    [record] = _records(caplog, "channelhub.jobs")
    line = json.loads(JsonFormatter().format(record))
    assert line["task"] == "kpis.recompute_run"
    assert line["recompute_run_id"] == run.pk
    assert line["outcome"] == "succeeded"
    assert isinstance(line["duration_ms"], int)
    assert RecomputeRun.objects.get(pk=run.pk).status == "succeeded"


def test_a_scheduled_job_is_recorded_with_the_run_it_queued(caplog, capsys):
    caplog.set_level(logging.INFO, logger="channelhub.jobs")
    recompute_all_task.apply(headers={"periodic_task_name": NIGHTLY})
    run = RecomputeRun.objects.filter(trigger="schedule").latest("pk")
    all_line = next(
        r for r in _records(caplog, "channelhub.jobs") if r.task == "kpis.recompute_all"
    )
    assert (all_line.recompute_run_id, all_line.periodic_task) == (run.pk, NIGHTLY)
    state = ScheduledTaskState.objects.get(name=NIGHTLY)
    assert (state.task, state.last_outcome, state.runs, state.failures) == (
        "kpis.recompute_all",
        "succeeded",
        1,
        0,
    )
    assert state.last_started_at and state.last_finished_at
    assert state.last_started_at <= state.last_finished_at

    call_command("job_status", "--json")
    report = json.loads(capsys.readouterr().out)
    nightly = next(j for j in report["scheduled"] if j["name"] == NIGHTLY)
    assert nightly["outcome"] == "succeeded"
    assert nightly["run"]["recompute_run_id"] == run.pk
    assert report["recompute_runs"][0]["id"] == run.pk
    names = {j["name"] for j in report["scheduled"]}
    assert names == set(PeriodicTask.objects.values_list("name", flat=True))


def test_a_failed_scheduled_job_shows_its_error_in_the_table(monkeypatch, caplog, capsys):
    def broken(**kwargs):
        raise RuntimeError("database said no")

    monkeypatch.setattr(recompute, "recompute_request", broken)
    with pytest.raises(RuntimeError):
        recompute_all_task.apply(headers={"periodic_task_name": NIGHTLY})
    state = ScheduledTaskState.objects.get(name=NIGHTLY)
    assert (state.last_outcome, state.failures) == ("failed", 1)
    assert state.last_error == "RuntimeError: database said no"
    [line] = [r for r in caplog.records if r.name == "channelhub.jobs"]
    assert (line.levelname, line.outcome) == ("ERROR", "failed")

    PeriodicTask.objects.filter(name=NIGHTLY).update(last_run_at=timezone.now())
    call_command("job_status")
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith(NIGHTLY))
    assert "failed" in row and "RuntimeError: database said no" in row
    assert "never run" in next(line for line in out.splitlines() if line.startswith("Job sweeper"))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_records_a_scheduled_task_sent_with_beats_header():
    with running_worker() as queue:
        recompute_all_task.apply_async(queue=queue, headers={"periodic_task_name": NIGHTLY})
        state = wait_for(
            lambda: ScheduledTaskState.objects.filter(
                name=NIGHTLY, last_outcome="succeeded"
            ).first(),
            what="the worker to record the scheduled run",
        )
        run = RecomputeRun.objects.filter(trigger="schedule").latest("pk")
        wait_for(lambda: RecomputeRun.objects.get(pk=run.pk).status == "succeeded", what="run")
    assert state.runs == 1 and state.last_duration_ms is not None


def test_sentry_starts_only_with_a_dsn(monkeypatch):
    import sentry_sdk

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: calls.append(kwargs))
    assert sentry_init("", environment="test", traces_sample_rate=0) is False
    assert calls == []
    assert sentry_init("https://key@sentry.example.com/1", environment="prod", traces_sample_rate=0)
    [options] = calls
    names = {type(i).__name__ for i in options["integrations"]}
    assert names == {"DjangoIntegration", "CeleryIntegration"}
    assert options["send_default_pii"] is False and options["environment"] == "prod"
