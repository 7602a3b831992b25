"""`manage.py restore BACKUP --database-url URL [--media-root DIR]`.

Loads a backup made by `manage.py backup` into the database URL given (which
must exist) and its files into the media folder (MEDIA_ROOT by default).
Restoring over the database this installation runs on needs `--yes`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from channelhub.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup folder into a database and a media folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="A folder written by `manage.py backup`.")
        parser.add_argument("--database-url", required=True, help="The database to restore into.")
        parser.add_argument("--media-root", default=str(settings.MEDIA_ROOT))
        parser.add_argument(
            "--yes", action="store_true", help="Allow replacing this installation's own database."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = dj_database_url.parse(options["database_url"])
        own = connection.settings_dict
        same_host = (target.get("HOST") or "") in {own.get("HOST") or "", "localhost", "127.0.0.1"}
        if target["NAME"] == own["NAME"] and same_host and not options["yes"]:
            raise CommandError("That is this installation's own database: add --yes to replace it.")
        try:
            manifest = backup_restore(
                source=Path(options["backup"]),
                database_url=options["database_url"],
                media_root=Path(options["media_root"]),
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored backup of {manifest['created_at']}")
        self.stdout.write(json.dumps(manifest["row_counts"]))
