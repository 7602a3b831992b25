"""Fixtures every test can use: one user per role, plus an outsider with no role."""

from __future__ import annotations

import pytest

from channelhub.lib.roles import MARKETING_MANAGER, PARTNER_MANAGER, VIEWER
from tests.auth import signed_in_client
from tests.factories import UserFactory


@pytest.fixture
def marketing_user(db):
    return UserFactory(username="maria", role=MARKETING_MANAGER)


@pytest.fixture
def partner_user(db):
    return UserFactory(username="paul", role=PARTNER_MANAGER)


@pytest.fixture
def other_partner_user(db):
    return UserFactory(username="petra", role=PARTNER_MANAGER)


@pytest.fixture
def viewer_user(db):
    return UserFactory(username="vera", role=VIEWER)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada", is_superuser=True, is_staff=True)


@pytest.fixture
def norole_user(db):
    return UserFactory(username="nobody")


@pytest.fixture
def marketing_client(marketing_user):
    return signed_in_client(marketing_user)


@pytest.fixture
def partner_client(partner_user):
    return signed_in_client(partner_user)


@pytest.fixture
def viewer_client(viewer_user):
    return signed_in_client(viewer_user)


@pytest.fixture
def admin_client_(admin_user):
    return signed_in_client(admin_user)


@pytest.fixture
def norole_client(norole_user):
    return signed_in_client(norole_user)


@pytest.fixture(autouse=True)
def celery_eager(request):
    """Tasks run in-process, right away, unless a test starts a real worker."""
    from channelhub.celery import app

    if request.node.get_closest_marker("worker"):
        yield
        return
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Tests hash passwords with a cheap hasher.

    Production's PBKDF2 costs about 0.3 s a hash on CI's cores, and nearly every
    test makes users and signs them in: that was half the suite's time. What a
    test checks (who may sign in, lockout, reset) does not depend on the cost.
    """
    # Production's hashers stay known: a user whom a separate web process
    # (gunicorn in the fault tests) signs in gets a PBKDF2 password.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    """Uploads of each test land in a folder of its own, and its cache is private."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Local-memory caches of one location share their store across tests.
    from django.core.cache import cache

    cache.clear()
    return settings.MEDIA_ROOT


# Rows the data migrations create (roles, tiers, onboarding templates,
# schedules). A transactional test's flush deletes them, and pytest-django's
# serialized rollback does not always put them back before a live-server test;
# every transactional test re-runs these idempotent migration steps first.
REFERENCE_DATA = [
    ("channelhub.migrations.0001_roles", "create_roles"),
    ("partners.migrations.0003_tiers_and_onboarding_templates", "create"),
    ("partners.migrations.0004_daily_flags_schedule", "create"),
    ("partners.migrations.0017_tier_rules_schedule", "create"),
    ("kpis.migrations.0002_unlogged_stage_and_schedules", "add_schedules"),
    ("kpis.migrations.0016_model_fit_schedule", "add_schedule"),
    ("kpis.migrations.0016_alert_schedules", "add_schedules"),
]


@pytest.fixture(autouse=True)
def _reference_data(request):
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        import importlib

        from django.apps import apps

        request.getfixturevalue("transactional_db")
        for module, function in REFERENCE_DATA:
            getattr(importlib.import_module(module), function)(apps, None)


def pytest_collection_modifyitems(items):
    """Every transactional test restores the migrated rows (serialized rollback).

    A transactional test without it ends with a flush that re-creates content
    types and permissions under new ids; the next test that restores the
    serialized rows then collides with them ("duplicate key ... content_type"),
    depending on which tests a worker happened to run before. One kind only.
    """
    offenders = []
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            offenders.append(item.nodeid)
    if offenders:
        raise pytest.UsageError(
            "transactional tests must also set serialized_rollback=True: " + ", ".join(offenders)
        )


@pytest.fixture
def migrator(transactional_db):
    """A migration executor that always leaves the schema at the latest state,

    even when the test fails half-way (a test left on an old schema would
    break every test after it on the same worker)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    try:
        yield executor
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
