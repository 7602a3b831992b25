"""python manage.py import_metrics FILE [--source NAME] [--channel SLUG] [--ignore COLUMN]
[--create-channels] (METRICS.md section 6; docs/user-guide.md for sources and presets)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kpis.engine.recompute import recompute_execute
from kpis.ingest.checks import FileProblem
from kpis.ingest.pipeline import import_execute
from kpis.ingest.services import import_create
from kpis.ingest.sources import UnknownSource, attach_source, plan_for
from kpis.models import ImportRun, RecomputeRun


class Command(BaseCommand):
    help = (
        "Import a CSV or XLSX file of daily facts. A file with any bad row is rejected whole "
        "(exit status 1, report on stderr). After a good file the affected KPIs are recomputed "
        "before the command exits."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--create-channels",
            action="store_true",
            help="Create a channel (kind 'other') for a channel name that matches none.",
        )
        parser.add_argument(
            "--source",
            default="",
            help="A saved source's name or a preset's slug (google-ads, meta-ads, microsoft-ads, "
            "tiktok-ads, shopify, amazon-seller, ga4): how the file's columns are read. "
            "Without it, a saved source with the same header is used, else the column names.",
        )
        parser.add_argument(
            "--ignore",
            action="append",
            default=[],
            metavar="COLUMN",
            help="A column of the file not to import (repeat for several). A column of amounts "
            "that matches no field is refused unless named here.",
        )
        parser.add_argument(
            "--channel",
            default="",
            metavar="SLUG",
            help="One channel for every row (a file of one ad account or shop).",
        )
        parser.add_argument(
            "--no-recompute",
            action="store_true",
            help="Leave the recompute to the workers instead of running it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            saved, plan = plan_for(
                source=options["source"], ignore=options["ignore"], channel=options["channel"]
            )
        except UnknownSource as unknown:
            raise CommandError(str(unknown)) from None
        try:
            with open(path, "rb") as handle:
                run = import_create(
                    file=handle,
                    name=path.name,
                    user=None,
                    source=ImportRun.Source.COMMAND,
                    create_channels=options["create_channels"],
                    mapping=plan,
                    data_source=saved,
                )
        except FileProblem as problem:
            raise CommandError(str(problem)) from None
        if not options["source"]:
            attach_source(run)
        result = import_execute(run.pk)
        assert result is not None
        if result.status != ImportRun.Status.SUCCEEDED:
            self._report(result)
            raise CommandError(result.message or "The file was rejected.")
        self.stdout.write(self.style.SUCCESS(f"Import #{result.pk}: {result.message}"))
        for note in (result.reading or {}).get("notes", []):
            self.stdout.write(f"  {note}")
        if (result.reading or {}).get("skipped_count"):
            lines = ", ".join(str(s["line"]) for s in result.reading["skipped"])
            self.stdout.write(f"  Totals rows skipped: line(s) {lines}.")
        if (result.reading or {}).get("dropped_count"):
            self.stdout.write(f"  Rows dropped by channel value: {result.reading['dropped']}.")
        if result.channels_created:
            self.stdout.write("Channels created: " + ", ".join(result.channels_created))
        if result.recompute_run_id and not options["no_recompute"]:
            self._recompute(result.recompute_run_id)

    def _report(self, run: ImportRun) -> None:
        err = self.stderr
        err.write(f"{run.original_name}: {run.message}")
        err.write("line\tcolumn\tvalue\treason")
        for e in run.errors:
            err.write(f"{e['line']}\t{e['column']}\t{e['value']}\t{e['reason']}")
        if run.bad_rows > len({e["line"] for e in run.errors}):
            err.write(f"... and more: {run.bad_rows} bad row(s) in all.")

    def _recompute(self, run_id: int) -> None:
        # A worker may have claimed the run first (it was queued on commit):
        # then wait for it, so the command still exits with fresh snapshots.
        run = recompute_execute(run_id, inline=True) or RecomputeRun.objects.get(pk=run_id)
        deadline = time.monotonic() + 3600
        while run.status in (RecomputeRun.Status.QUEUED, RecomputeRun.Status.RUNNING):
            if time.monotonic() > deadline:
                raise CommandError(f"Recompute #{run_id} did not finish within an hour.")
            time.sleep(0.5)
            run.refresh_from_db()
        if run.status != RecomputeRun.Status.SUCCEEDED:
            raise CommandError(f"Recompute #{run_id} failed: {run.error}")
        self.stdout.write(f"KPIs recomputed (run #{run_id}).")
        sys.stdout.flush()
