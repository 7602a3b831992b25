"""Fixtures every test can use: one user per role, plus an outsider with no role."""

from __future__ import annotations

import pytest

from channelhub.lib.roles import MARKETING_MANAGER, PARTNER_MANAGER, VIEWER
from tests.auth import signed_in_client
from tests.factories import UserFactory


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, django_db_blocker):
    """On PostgreSQL each test database is a copy of a migrated template
    (tests/databases.py) instead of migrated anew by every process."""
    from tests.databases import use_template

    with django_db_blocker.unblock():
        use_template()


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


@pytest.fixture
def demo_business(db):
    """The demo business of `manage.py seed_demo` (users, channels, partners,
    two years of facts): seeded once per test process, then restored from that
    seed for each test that asks (tests/demo_data.py). Ask for it before any
    fixture that writes rows: the restore replaces every table's contents."""
    from tests.demo_data import load_demo

    load_demo()


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
# tests/test_reference_data.py fails on a migration step in neither list.
REFERENCE_DATA = [
    ("channelhub.migrations.0001_roles", "create_roles"),
    ("channelhub.migrations.0005_partner_user_role", "create_role"),
    ("partners.migrations.0003_tiers_and_onboarding_templates", "create"),
    ("partners.migrations.0004_daily_flags_schedule", "create"),
    ("partners.migrations.0007_conflict_detection_schedule", "create"),
    ("partners.migrations.0017_tier_rules_schedule", "create"),
    ("kpis.migrations.0002_unlogged_stage_and_schedules", "add_schedules"),
    ("kpis.migrations.0007_review_packs", "add_schedule"),
    ("kpis.migrations.0013_pack_files_retention", "add_schedule"),
    ("kpis.migrations.0016_model_fit_schedule", "add_schedule"),
    ("kpis.migrations.0016_alert_schedules", "add_schedules"),
]

# The other data migration steps, and why a flush does not undo them.
NOT_REFERENCE_DATA = {
    ("channelhub.migrations.0004_scheduled_task_state", "heartbeat_writes_queue"):
        "changes a schedule kpis 0002 now writes as changed",
    ("partners.migrations.0009_one_certification_per_person", "merge_duplicates"):
        "merges rows that existed before it",
    ("partners.migrations.0010_incentive_program_owner", "owner_from_creator"):
        "fills a column of rows that existed before it",
    ("kpis.migrations.0002_unlogged_stage_and_schedules", "unlogged_stage"):
        "a table's storage, not rows",
    ("kpis.migrations.0010_fact_day_in_range", "refuse_out_of_range_facts"):
        "checks rows that existed before it",
    ("kpis.migrations.0020_snapshot_fillfactor", "leave_room"): "a table's storage, not rows",
    ("kpis.migrations.0021_sum_aggregate", "create"): "a database function, not rows",
    ("channels_app.migrations.0006_channel_name_unique_any_case", "rename_repeated_names"):
        "renames rows that existed before it",
    ("kpis.migrations.0022_snapshot_composite_key", "to_composite_key"):
        "a table's key, not rows",
}  # fmt: skip


def _put_reference_data_back() -> None:
    import importlib

    from django.apps import apps

    for module, function in REFERENCE_DATA:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _reference_data(request):
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        _put_reference_data_back()


def _database_use(item: pytest.Item) -> str:
    """How a test uses the database: "transactional", "db" (in a transaction
    rolled back after it) or "" (not at all)."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    if (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))) or (
        "transactional_db" in fixtures or "live_server" in fixtures
    ):
        return "transactional"
    return "db" if marker or "db" in fixtures else ""


# True once a transactional test ran in this process: its flush emptied every
# table, the migrated rows (content types, roles, tiers, schedules) too.
_flushed = False


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test in a transaction meets the migrated rows, whatever ran before it.

    Django runs such tests before the transactional ones for that reason, and
    pytest-django sorts them so; but a process of the parallel suite runs the
    slowest tests first (pytest_collection_modifyitems below) and takes over
    tests from the other process's queue, so one can follow a transactional
    test. Before the first one that does, the migrated rows are put back, as a
    transactional test's serialized rollback does (committed, before its
    transaction begins)."""
    global _flushed
    use = _database_use(item)
    if use == "transactional":
        _flushed = True
    elif use == "db" and _flushed:
        from django.db import connection, transaction
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock(), transaction.atomic():
            serialized = getattr(connection, "_test_serialized_contents", None)
            if serialized:
                connection.creation.deserialize_db_from_string(serialized)
            _put_reference_data_back()
        _flushed = False


# The slowest tests, in seconds on CI's two cores (`pytest --durations=40`;
# a module's figure is all its tests and its module fixture). They start
# first: the other process works through the short tests beside them and then
# takes over the tail of this one's queue (xdist's worksteal), so the run never
# ends with one process alone in a long test. Keys are node-id prefixes.
SLOWEST = {
    "kpis/modeling/tests/test_end_to_end.py": 88,
    "tests/test_browser_modeling.py": 80,  # the real fit behind "Fit now"
    "tests/test_screens.py": 75,
    "tests/test_user_guide_screenshots.py": 41,
    "tests/test_api_schema.py": 40,
    "tests/test_browser_csp.py": 35,
    "tests/test_browser_dashboard.py": 28,
    # Migrate back and forth: Django re-renders the models' state at each step.
    "partners/tests/test_certifications.py::test_the_migration": 35,
    "partners/incentives/tests/test_program_ownership.py::test_the_migration": 35,
    # From the full run's --durations=30 (2 processes, PostgreSQL).
    "tests/test_faults.py": 60,
    "partners/tests/test_conflict_demo.py": 18,
    "tests/test_browser_portal.py": 14,
    "tests/test_health.py::test_a_real_worker_and_beat": 12,
    "tests/test_words_for_users.py": 12,
    "tests/test_facts_properties.py": 11,
    "kpis/alerts/tests/test_alert_workers.py": 9,
}


def _slowest_first(items: list[pytest.Item]) -> None:
    def seconds(item: pytest.Item) -> int:
        return max(
            (s for prefix, s in SLOWEST.items() if item.nodeid.startswith(prefix)), default=0
        )

    def demo(item: pytest.Item) -> bool:
        return "demo_business" in getattr(item, "fixturenames", ())

    # Then the other tests of the demo business, on the process that seeded it
    # (tests/demo_data.py); stable: the others keep their order.
    items.sort(key=lambda item: (-seconds(item), not demo(item)))


def pytest_collection_modifyitems(items):
    """The slowest tests first (SLOWEST), and every transactional test restores
    the migrated rows (serialized rollback).

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
    _slowest_first(items)


@pytest.fixture
def migrator(transactional_db):
    """A migration executor that always leaves the schema at the latest state,

    even when the test fails half-way (a test left on an old schema would
    break every test after it on the same worker). On PostgreSQL the database
    is copied afresh from its migrated template (tests/databases.py) rather
    than migrated forward."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from tests.databases import recreate_from_template

    executor = MigrationExecutor(connection)
    try:
        yield executor
    finally:
        if not recreate_from_template():
            executor = MigrationExecutor(connection)
            executor.migrate(executor.loader.graph.leaf_nodes())
