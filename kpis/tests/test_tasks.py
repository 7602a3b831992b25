"""Task names outlive the code's layout: beat schedules (django-celery-beat rows
written by data migrations) and messages already queued refer to them by name,
so moving a task to another module must keep every name registered."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from channelhub.celery import app

pytestmark = pytest.mark.django_db

# Every name the KPI app has ever registered (queued messages may carry any;
# services queue imports, recompute runs and batches, renders and packs by name).
KPI_TASKS = {
    "kpis.facts_import",
    "kpis.recompute_run",
    "kpis.recompute_batch",
    "kpis.recompute_all",
    "kpis.sweeper",
    "kpis.dashboards_render",
    "kpis.pack_render",
    "kpis.packs_dispatch",
    "kpis.packs_retention",
    "kpis.model_fit",
    "kpis.model_fit_scheduled",
    "kpis.alerts_send",
}


@pytest.fixture
def registered() -> set[str]:
    # What a worker does at start: import every app's `tasks` module.
    app.loader.import_default_modules()
    return set(app.tasks)


def test_every_task_a_beat_schedule_names_is_registered(registered):
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))
    # The migrations' schedules: the nightly recompute, the sweeper, the packs'
    # dispatch, the partners' daily flags and conflict detection, the heartbeat.
    assert {
        "kpis.recompute_all",
        "kpis.sweeper",
        "kpis.packs_dispatch",
        "kpis.packs_retention",
        "kpis.model_fit_scheduled",
        "kpis.alerts_send",
        "partners.partner_daily_task",
        "partners.conflict_detection_task",
        "channelhub.heartbeat",
    } <= scheduled
    assert scheduled <= registered, scheduled - registered


def test_every_kpi_task_keeps_its_name(registered):
    assert registered >= KPI_TASKS, KPI_TASKS - registered
    assert {name for name in registered if name.startswith("kpis.")} == KPI_TASKS
