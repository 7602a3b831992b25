"""Back up and restore ChannelHub: the database plus the uploaded files (MEDIA_ROOT).

A backup is a folder `channelhub-backup-<UTC time>/` holding
- `database.dump`: `pg_dump --format=custom` (PostgreSQL), or `database.sqlite3`
  (a consistent copy through SQLite's backup API, embedded mode);
- `media.tar.gz`: every file under MEDIA_ROOT (imports, contract documents, packs);
- `manifest.json`: when, which database engine, the row counts of the main tables.

Restore loads the dump into a database you name (pg_restore --clean, so it
can replace an older copy) and unpacks the files into a media folder. The
password of a database URL goes to pg_dump / pg_restore through PGPASSWORD,
never on their command line.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings
from django.db import connection
from django.utils import timezone

DUMP = "database.dump"
SQLITE = "database.sqlite3"
MEDIA = "media.tar.gz"
MANIFEST = "manifest.json"
# Counted in the manifest so a restore can be checked at a glance.
COUNTED_TABLES = (
    "auth_user",
    "channels_app_channel",
    "partners_partner",
    "kpis_dailyfact",
    "kpis_kpisnapshot",
    "kpis_importrun",
)


class BackupError(Exception):
    """pg_dump / pg_restore failed, or a backup folder is incomplete."""


@dataclass(frozen=True)
class PgTarget:
    name: str
    host: str
    port: str
    user: str
    password: str

    @classmethod
    def from_url(cls, url: str) -> PgTarget:
        config = dj_database_url.parse(url)
        if not config["ENGINE"].endswith("postgresql"):
            raise BackupError("not a PostgreSQL database URL")
        return cls.from_config(config)

    @classmethod
    def from_config(cls, config: Any) -> PgTarget:
        return cls(
            name=str(config["NAME"]),
            host=str(config.get("HOST") or "127.0.0.1"),
            port=str(config.get("PORT") or 5432),
            user=str(config.get("USER") or "postgres"),
            password=str(config.get("PASSWORD") or ""),
        )

    def args(self) -> list[str]:
        return ["--host", self.host, "--port", self.port, "--username", self.user]

    def env(self) -> dict[str, str]:
        env = {**os.environ}
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


def table_counts() -> dict[str, int]:
    counts = {}
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in COUNTED_TABLES:
            if table in existing:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
                counts[table] = int(cursor.fetchone()[0])
    return counts


def backup_create(*, out_dir: Path) -> Path:
    """Write a backup of the configured database and MEDIA_ROOT under `out_dir`."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    folder = Path(out_dir) / f"channelhub-backup-{stamp}"
    folder.mkdir(parents=True, exist_ok=False)
    if connection.vendor == "postgresql":
        target = PgTarget.from_config(connection.settings_dict)
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
             *target.args(), "--file", str(folder / DUMP), target.name],
            target.env(),
        )  # fmt: skip
    else:
        connection.ensure_connection()
        destination = sqlite3.connect(folder / SQLITE)
        with destination:
            connection.connection.backup(destination)
        destination.close()
    media_root = Path(settings.MEDIA_ROOT)
    with tarfile.open(folder / MEDIA, "w:gz") as archive:
        if media_root.exists():
            archive.add(media_root, arcname=".")
    manifest = {
        "created_at": timezone.now().isoformat(),
        "engine": connection.vendor,
        "database": DUMP if connection.vendor == "postgresql" else SQLITE,
        "media": MEDIA,
        "row_counts": table_counts(),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return folder


def backup_restore(*, source: Path, database_url: str, media_root: Path) -> dict[str, Any]:
    """Load the backup in `source` into `database_url` and its files into `media_root`.

    PostgreSQL: the target database must exist (an empty one, or an older copy:
    its objects are dropped and recreated). SQLite: the file is replaced.
    Returns the backup's manifest.
    """
    source = Path(source)
    manifest_path = source / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{source} is not a ChannelHub backup (no {MANIFEST})")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    config = dj_database_url.parse(database_url)
    if manifest["engine"] == "postgresql":
        target = PgTarget.from_url(database_url)
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--exit-on-error", *target.args(), "--dbname", target.name, str(source / DUMP)],
            target.env(),
        )  # fmt: skip
    else:
        if config["ENGINE"].endswith("postgresql"):
            raise BackupError("an SQLite backup restores into an SQLite file")
        shutil.copyfile(source / SQLITE, str(config["NAME"]))
    media_root = Path(media_root)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / MEDIA, "r:gz") as archive:
        # "data": no absolute paths, no "..", no links out of the folder.
        archive.extractall(media_root, filter="data")
    return manifest
