"""The suite's PostgreSQL test databases are copies of a template named by a
fingerprint of the code (tests/databases.py): a stale template would test
yesterday's schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import databases


def test_every_process_shares_one_template_whose_name_postgresql_keeps_whole():
    name = databases.template_name("test_channelhub_main_gw1", "0123456789ab")
    assert name == databases.template_name("test_channelhub_main_gw0", "0123456789ab")
    assert name == "test_channelhub_main_tpl_0123456789ab"
    long = databases.template_name("test_" + "x" * 80 + "_gw3", "0123456789ab")
    assert len(long.encode()) <= 63
    assert long.endswith("_tpl_0123456789ab")


def _code(root: Path) -> None:
    for package in databases.CODE:
        (root / package / "migrations").mkdir(parents=True)
        (root / package / "tests").mkdir()
        (root / package / "migrations" / "0001_initial.py").write_text("operations = []\n")
        (root / package / "tests" / "test_it.py").write_text("def test(): pass\n")


def test_the_fingerprint_changes_with_the_code_but_not_with_the_tests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    _code(tmp_path)
    monkeypatch.setattr(databases, "ROOT", tmp_path)
    before = databases.fingerprint()
    assert databases.fingerprint() == before

    (tmp_path / "kpis" / "tests" / "test_it.py").write_text("def test(): assert True\n")
    assert databases.fingerprint() == before

    migration = tmp_path / "kpis" / "migrations" / "0001_initial.py"
    migration.write_text("operations = [1]\n")
    assert databases.fingerprint() != before
    migration.write_text("operations = []\n")
    (tmp_path / "partners" / "models.py").write_text("X = 1\n")
    assert databases.fingerprint() != before


@pytest.fixture
def left_behind(transactional_db):
    """A table no migration makes, in this process's test database (PostgreSQL
    only); the fixture gives a function that says whether it is still there."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test databases are migrated, not copied")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE left_behind (x int)")

    def still_there() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('left_behind') IS NOT NULL")
            return bool(cursor.fetchone()[0])

    yield still_there
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS left_behind")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_copied_again_from_its_template_is_the_migrated_one(left_behind):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    assert databases.recreate_from_template()

    assert not left_behind()
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_another_connection_is_busy_in_is_left_as_it_is(left_behind):
    import threading
    import time

    import psycopg2
    from django.db import connection

    busy = psycopg2.connect(**connection.get_connection_params())
    sleeping = threading.Thread(
        target=lambda: busy.cursor().execute("SELECT pg_sleep(1.5)"), daemon=True
    )
    sleeping.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%%' "
                    "AND state = 'active'"
                )
                if cursor.fetchone():
                    break
            time.sleep(0.02)
        else:
            raise AssertionError("the other connection never got busy")

        assert not databases.recreate_from_template()
    finally:
        sleeping.join()
        busy.close()
    assert left_behind()
