"""`manage.py health [--check NAME ...]`: the /health/ report on the command line.

Exits 0 when every check passes, 1 otherwise: the beat container's health check
(`manage.py health --check beat`) uses it, as beat serves no HTTP.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from channelhub.health import CHECKS, health_report


class Command(BaseCommand):
    help = "Check the database, broker, worker and beat; exit 1 if one is unhealthy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="append", choices=CHECKS, help="Only this check (repeatable)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = health_report(options["check"] or list(CHECKS))
        self.stdout.write(json.dumps(report, indent=2))
        if not report["ok"]:
            failed = [name for name, check in report["checks"].items() if not check["ok"]]
            raise CommandError(f"unhealthy: {', '.join(failed)}")
