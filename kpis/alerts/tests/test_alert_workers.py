"""Two real Celery workers send the same digests at once: every new item is
emailed once (issue 17 item 6). The emails go to each worker's log through
Django's console backend, where they are counted."""

from __future__ import annotations

import pytest
from django.conf import settings

from channelhub.lib.roles import PARTNER_MANAGER
from kpis.alerts import services
from kpis.alerts.tasks import alerts_send_task
from kpis.models import AlertSent, AlertSubscription
from tests.factories import ChannelFactory, UserFactory
from tests.worker import private_queue, running_worker_process, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MANAGERS = 6


def _log(name: str) -> str:
    return (settings.VAR_DIR / f"worker-{name}.log").read_text(errors="replace")


def test_two_workers_at_once_send_each_new_item_once():
    silent = [
        ChannelFactory(slug=f"silent-{i}", name=f"Silent {i}", status="active") for i in range(3)
    ]
    for i in range(MANAGERS):
        user = UserFactory(username=f"manager{i}", role=PARTNER_MANAGER)
        services.subscription_save(
            subscription=AlertSubscription(user=user, scope="chosen"), channels=silent
        )
    env = {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    with private_queue("alerts") as queue:
        names = [f"{queue}-a", f"{queue}-b"]
        with (
            running_worker_process(queue, env, hostname=names[0]),
            running_worker_process(queue, env, hostname=names[1]),
        ):
            wait_for(lambda: all("ready" in _log(n) for n in names), what="both workers")
            for _ in names:  # beat twice, or two beats: each worker takes one
                alerts_send_task.apply_async(args=["daily"], queue=queue)
            # Both runs, whichever worker took them: a worker polling the
            # embedded broker's folder can take the second before the other
            # looks (seen on SQLite), and the item must still go once.
            wait_for(
                lambda: sum(_log(n).count("attention alerts (daily)") for n in names) == 2,
                what="the workers to run both digests",
            )
        logs = [_log(n) for n in names]
    # One email per manager (3 items each), whichever worker sent it.
    emails = sum(log.count("Subject: ChannelHub: 3 new items need attention") for log in logs)
    assert emails == MANAGERS
    assert AlertSent.objects.count() == MANAGERS * 3
    for i in range(MANAGERS):
        recipients = sum(log.count(f"To: manager{i}@example.com") for log in logs)
        assert recipients == 1, (i, recipients)
