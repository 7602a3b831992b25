"""python manage.py export_kpis --period {day,week,month,quarter,year} [--channel SLUG]
[--start DATE] [--end DATE] [--out FILE] (METRICS.md section 6)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from channelhub.metrics.periods import KINDS
from channels_app.channels.models import Channel
from kpis.engine.exports import export_rows, write_csv


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text}") from None


class Command(BaseCommand):
    help = "Write KPIs per channel and period as CSV (stdout by default)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period", required=True, choices=KINDS)
        parser.add_argument("--channel", action="append", metavar="SLUG")
        parser.add_argument("--start", type=_date)
        parser.add_argument("--end", type=_date)
        parser.add_argument("--out", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        channels = None
        if options["channel"]:
            channels = list(Channel.objects.filter(slug__in=options["channel"]))
            missing = sorted(set(options["channel"]) - {c.slug for c in channels})
            if missing:
                raise CommandError(f"Unknown channel(s): {', '.join(missing)}")
        rows = export_rows(
            kind=options["period"], channels=channels, start=options["start"], end=options["end"]
        )
        if options["out"]:
            with open(options["out"], "w", newline="", encoding="utf-8") as out:
                count = write_csv(out, rows)
            self.stderr.write(f"{count} row(s) written to {options['out']}")
        else:
            write_csv(self.stdout, rows)
