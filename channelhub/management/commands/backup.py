"""`manage.py backup [--out DIR]`: the database (pg_dump) and MEDIA_ROOT, in one folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from channelhub.backups import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database and the uploaded files (see channelhub/backups.py)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", default=str(Path(settings.VAR_DIR) / "backups"), help="Folder for backups."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            folder = backup_create(out_dir=Path(options["out"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(folder))
