"""Review pack retention: archived pack files older than PACK_RETENTION_DAYS are
deleted by a daily sweep; their rows stay and say the files were removed
(issue 19 item 8)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from kpis.models import PackRender
from kpis.packs.services import packs_retention_sweep
from kpis.tasks import packs_retention_task
from kpis.tests.helpers import make_pack

pytestmark = pytest.mark.django_db


def archived(pack, *, days_old: int, slot: str, status=PackRender.Status.SENT) -> PackRender:
    render = PackRender(pack=pack, slot=slot, slot_at=timezone.now(), status=status)
    render.html_file.save(f"{slot}.html", ContentFile(b"<html>pack</html>"), save=False)
    render.csv_file.save(f"{slot}.csv", ContentFile(b"channel,revenue\n"), save=False)
    render.save()
    made = timezone.now() - timedelta(days=days_old)
    PackRender.objects.filter(pk=render.pk).update(created_at=made, rendered_at=made)
    render.refresh_from_db()
    return render


def test_files_older_than_the_retention_are_removed_and_the_row_says_so(settings):
    settings.PACK_RETENTION_DAYS = 400
    pack = make_pack()
    old = archived(pack, days_old=401, slot="2024-01")
    young = archived(pack, days_old=399, slot="2024-02")
    old_files = [old.html_file.path, old.csv_file.path]

    assert packs_retention_sweep() == 1

    old.refresh_from_db()
    young.refresh_from_db()
    assert not old.html_file and not old.csv_file and old.files_removed_at is not None
    assert not any(os.path.exists(p) for p in old_files)
    assert young.html_file and young.files_removed_at is None
    assert young.html_file.storage.exists(young.html_file.name)
    # A second sweep finds nothing more to do.
    assert packs_retention_sweep() == 0


def test_a_pack_still_being_sent_is_never_swept(settings):
    settings.PACK_RETENTION_DAYS = 1
    render = archived(make_pack(), days_old=30, slot="2024-01", status=PackRender.Status.SENDING)
    assert packs_retention_sweep() == 0
    render.refresh_from_db()
    assert render.html_file and render.files_removed_at is None


def test_the_render_page_says_the_files_were_removed_by_retention(marketing_client, settings):
    settings.PACK_RETENTION_DAYS = 400
    render = archived(make_pack(), days_old=500, slot="2024-01")
    packs_retention_task()
    page = marketing_client.get(render.get_absolute_url()).text
    assert "removed after 400 days (retention)" in page
    assert "Open the pack" not in page
    assert marketing_client.get(reverse("kpis:pack-file", args=[render.pk])).status_code == 404


def test_the_sweep_runs_daily_from_the_beat_schedule():
    task = PeriodicTask.objects.get(task="kpis.packs_retention")
    assert task.enabled and task.crontab is not None and task.crontab.hour == "3"
