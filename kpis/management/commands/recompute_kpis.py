"""python manage.py recompute_kpis [--channel SLUG] [--start DATE] [--end DATE]"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from channelhub.lib.dates import date_window
from channels_app.channels.models import Channel
from kpis.engine.recompute import FACT_KINDS, ROLLUP_KINDS, recompute_execute
from kpis.models import RecomputeRun


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text}") from None


class Command(BaseCommand):
    help = (
        "Recompute KPI snapshots in this process (the job the workers run) and exit when written."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--channel", action="append", metavar="SLUG", help="Only this channel (repeatable)."
        )
        parser.add_argument("--start", type=_date, help="First day whose periods are recomputed.")
        parser.add_argument("--end", type=_date, help="Last day whose periods are recomputed.")
        parser.add_argument(
            "--kinds",
            default=",".join((*FACT_KINDS, *ROLLUP_KINDS)),
            help="Period kinds to recompute (default: week,month,quarter,year).",
        )
        parser.add_argument("--stats", action="store_true", help="Print the run's timings as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = options["start"], options["end"]
        if (start is None) != (end is None):
            raise CommandError("Give both --start and --end, or neither.")
        window = date_window("facts")
        for flag, day in (("--start", start), ("--end", end)):
            problem = window.problem(day)
            if problem:
                raise CommandError(f"{flag} {problem}")
        if start and end and end < start:
            raise CommandError("--end is before --start.")
        kinds = [k.strip() for k in options["kinds"].split(",") if k.strip()]
        unknown = set(kinds) - {*FACT_KINDS, *ROLLUP_KINDS}
        if unknown:
            raise CommandError(f"Unknown period kind(s): {', '.join(sorted(unknown))}")
        channel_ids = None
        if options["channel"]:
            found = dict(
                Channel.objects.filter(slug__in=options["channel"]).values_list("slug", "pk")
            )
            missing = sorted(set(options["channel"]) - set(found))
            if missing:
                raise CommandError(f"Unknown channel(s): {', '.join(missing)}")
            channel_ids = sorted(found.values())
        run = RecomputeRun.objects.create(
            trigger=RecomputeRun.Trigger.COMMAND,
            channel_ids=channel_ids,
            start_date=start,
            end_date=end,
            stats={"kinds": kinds},
        )
        result = recompute_execute(run.pk, inline=True)
        if result is None:
            raise CommandError(f"Run #{run.pk} was taken by another process.")
        result.refresh_from_db()
        if result.status != RecomputeRun.Status.SUCCEEDED:
            raise CommandError(f"Recompute #{run.pk} failed: {result.error}")
        self.stdout.write(self.style.SUCCESS(f"Recompute #{run.pk} done ({result.scope_label})."))
        if options["stats"]:
            self.stdout.write(json.dumps(result.stats))
