"""A batch of a split recompute whose worker was killed is sent again by the
next sweep, not after the run's 55-minute lease (issue 19 item 8).
PostgreSQL only: a live worker is told by its session's advisory lock."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from kpis.engine import recompute as recompute_module
from kpis.engine.recompute import BATCH_LOCK, RUN_LOCK, recompute_execute, recompute_request
from kpis.engine.recovery import orphaned_batches, orphaned_publishes
from kpis.models import RecomputeBatch, RecomputeRun
from kpis.tasks import kpis_sweeper_task
from kpis.tests.helpers import end_session, import_rows
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
def killed_batch(monkeypatch):
    """A run split in 2 batches; batch 1 was taken by a worker that is still
    connected (`holder`) until the test closes its session."""
    for i in range(4):
        ChannelFactory(slug=f"c{i}")
    import_rows(
        ["date", "channel", "spend", "revenue"],
        [[f"2025-01-0{i + 1}", f"c{i}", "1", "4"] for i in range(4)],
    )
    monkeypatch.setattr(recompute_module, "BATCH_CHANNELS", 2)
    sent: list[tuple] = []
    monkeypatch.setattr(recompute_module, "send_task", lambda *args, **kw: sent.append(args))
    run = recompute_request(trigger="manual")
    recompute_execute(run.pk)  # split: its batch messages are queued (captured here)
    batch = RecomputeBatch.objects.get(run=run, index=1)
    RecomputeBatch.objects.filter(pk=batch.pk).update(started_at=timezone.now())
    holder = connections.create_connection("default")
    with holder.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [BATCH_LOCK, batch.pk])
        assert cursor.fetchone()[0]
    monkeypatch.undo()
    monkeypatch.setattr(recompute_module, "BATCH_CHANNELS", 2)
    yield run, holder
    holder.close()


def test_a_batch_whose_worker_lives_is_left_alone(killed_batch):
    run, _holder = killed_batch
    assert orphaned_batches() == []
    kpis_sweeper_task()
    assert RecomputeBatch.objects.get(run=run, index=1).status == "pending"


def test_a_killed_batch_is_sent_again_and_the_run_completes(killed_batch):
    run, holder = killed_batch
    recompute_module.batch_execute(run.pk, 0)  # the other batch finishes normally
    end_session(holder)  # batch 1's worker dies
    assert orphaned_batches() == [(run.pk, 1)]
    kpis_sweeper_task()
    run.refresh_from_db()
    assert run.status == RecomputeRun.Status.SUCCEEDED
    assert run.batches.filter(status="done").count() == 2


def _split_run_of_two_batches(monkeypatch) -> RecomputeRun:
    """Four channels with a day each, split two per batch; the batches are
    not sent to a worker (the test runs them)."""
    for i in range(4):
        ChannelFactory(slug=f"c{i}")
    import_rows(
        ["date", "channel", "spend", "revenue"],
        [[f"2025-01-0{i + 1}", f"c{i}", "1", "4"] for i in range(4)],
    )
    monkeypatch.setattr(recompute_module, "BATCH_CHANNELS", 2)
    monkeypatch.setattr(recompute_module, "send_task", lambda *args, **kw: None)
    run = recompute_request(trigger="manual")
    recompute_execute(run.pk)
    return run


@pytest.fixture
def killed_publish(monkeypatch):
    """A split run whose batches are all done, whose publisher died before it
    committed (its claim is set, its lock gone with its connection)."""
    run = _split_run_of_two_batches(monkeypatch)
    monkeypatch.setattr(recompute_module, "publish", lambda run_id: None)  # killed in publish
    recompute_module.batch_execute(run.pk, 0)
    recompute_module.batch_execute(run.pk, 1)
    monkeypatch.undo()
    run.refresh_from_db()
    assert run.status == "running" and run.publish_claimed_at is not None
    return run


def test_a_run_whose_publisher_died_is_published_by_the_next_sweep(killed_publish):
    run = killed_publish
    kpis_sweeper_task()
    run.refresh_from_db()
    assert run.status == RecomputeRun.Status.SUCCEEDED


def test_a_run_being_published_is_left_alone(killed_publish):
    run = killed_publish
    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [RUN_LOCK, run.pk])
        assert orphaned_publishes() == []
        kpis_sweeper_task()
        assert RecomputeRun.objects.get(pk=run.pk).status == "running"
    finally:
        holder.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_batches_of_one_run_are_computed_at_once(monkeypatch):
    """A worker computing one batch holds its batch's row, not the run's: a
    second worker computes the next batch meanwhile instead of waiting."""
    run = _split_run_of_two_batches(monkeypatch)
    computing, go_on = threading.Event(), threading.Event()
    compute = recompute_module._compute_batch

    def slow_first_batch(run_: RecomputeRun, batch: RecomputeBatch) -> None:
        if batch.index == 0:
            computing.set()
            go_on.wait(30)
        compute(run_, batch)

    monkeypatch.setattr(recompute_module, "_compute_batch", slow_first_batch)
    errors: list[BaseException] = []

    def first_worker() -> None:
        try:
            recompute_module.batch_execute(run.pk, 0)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    worker = threading.Thread(target=first_worker)
    worker.start()
    try:
        assert computing.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")  # waiting would raise
        recompute_module.batch_execute(run.pk, 1)
        assert RecomputeBatch.objects.get(run=run, index=1).status == "done"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
        go_on.set()
        worker.join()
    assert not errors
    run.refresh_from_db()
    assert run.status == RecomputeRun.Status.SUCCEEDED
