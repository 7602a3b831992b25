"""`manage.py backup` and `restore`: a backup restored into a scratch database has
the same rows, and the uploaded files come back."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from channelhub.backups import COUNTED_TABLES, table_counts
from tests.factories import ChannelFactory, UserFactory
from tests.worker import _database_url

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _business(media_root: Path) -> bytes:
    for i in range(3):
        ChannelFactory(slug=f"channel-backup-{i}")
    UserFactory(username="backup-user")
    document = media_root / "contracts" / "2025" / "signed.pdf"
    document.parent.mkdir(parents=True)
    content = b"%PDF-1.4 signed contract " + uuid.uuid4().bytes
    document.write_bytes(content)
    return content


def _pg_admin():
    import psycopg2

    db = connection.settings_dict
    admin = psycopg2.connect(
        dbname="postgres", user=db["USER"], password=db.get("PASSWORD") or None,
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
    )  # fmt: skip
    admin.autocommit = True
    return admin


def _pg_counts(name: str) -> dict[str, int]:
    import psycopg2

    db = connection.settings_dict
    conn = psycopg2.connect(
        dbname=name, user=db["USER"], password=db.get("PASSWORD") or None,
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
    )  # fmt: skip
    try:
        with conn.cursor() as cursor:
            counts = {}
            for table in COUNTED_TABLES:
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
                counts[table] = cursor.fetchone()[0]
            cursor.execute("SELECT COUNT(*) FROM django_migrations")
            counts["django_migrations"] = cursor.fetchone()[0]
        return counts
    finally:
        conn.close()


def _own_counts() -> dict[str, int]:
    counts = table_counts()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations")
        counts["django_migrations"] = cursor.fetchone()[0]
    return counts


def test_a_backup_restores_into_a_scratch_database_with_its_rows_and_files(tmp_path, capsys):
    content = _business(Path(settings.MEDIA_ROOT))
    call_command("backup", out=str(tmp_path / "backups"))
    folder = Path(capsys.readouterr().out.strip())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["row_counts"]["channels_app_channel"] == 3
    restored_media = tmp_path / "restored-media"

    if connection.vendor != "postgresql":
        if os.environ.get("DATABASE_URL"):
            pytest.fail("DATABASE_URL is set but the tests do not run on PostgreSQL")
        target = tmp_path / "restored.sqlite3"
        call_command("restore", str(folder), database_url=f"sqlite:///{target}",
                     media_root=str(restored_media))  # fmt: skip
        with sqlite3.connect(target) as db:
            count = db.execute("SELECT COUNT(*) FROM channels_app_channel").fetchone()[0]
        assert count == 3
    else:
        scratch = f"channelhub_restore_{uuid.uuid4().hex[:8]}"
        admin = _pg_admin()
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{scratch}"')
        try:
            url = _database_url().rsplit("/", 1)[0] + f"/{scratch}"
            call_command("restore", str(folder), database_url=url, media_root=str(restored_media))
            restored = _pg_counts(scratch)
            assert restored == _own_counts()
            assert restored["channels_app_channel"] == 3
            assert restored["django_migrations"] > 10
        finally:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            admin.close()

    assert (restored_media / "contracts" / "2025" / "signed.pdf").read_bytes() == content


def test_restoring_over_the_running_database_needs_yes(tmp_path, capsys):
    call_command("backup", out=str(tmp_path))
    folder = capsys.readouterr().out.strip()
    own_url = _database_url()
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", folder, database_url=own_url, media_root=str(tmp_path / "m"))


def test_a_folder_that_is_not_a_backup_is_refused(tmp_path):
    with pytest.raises(CommandError, match="not a ChannelHub backup"):
        call_command("restore", str(tmp_path), database_url="sqlite:///x.sqlite3")
