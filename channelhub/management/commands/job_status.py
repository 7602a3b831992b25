"""`manage.py job_status [--json] [--limit N]`: the last run of every scheduled job.

One row per django-celery-beat periodic task (when beat last sent it, when a
worker started and finished it, its outcome and error), then the latest
recompute and import runs. `--json` prints the same as one JSON document.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from channelhub.selectors import recent_job_runs, scheduled_job_status


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    text = str(value).replace("\n", " ")
    if len(text) > 19 and text[4:5] == "-" and text[10:11] == "T":
        text = text[:19].replace("T", " ")  # an ISO time, to the second
    return text if len(text) <= 60 else text[:57] + "..."


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Print the last runs of every scheduled job and their outcome."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON instead of tables.")
        parser.add_argument("--limit", type=int, default=5, help="Recent runs to list (5).")

    def handle(self, *args: Any, **options: Any) -> None:
        scheduled = scheduled_job_status()
        recent = recent_job_runs(limit=options["limit"])
        if options["json"]:
            self.stdout.write(json.dumps({"scheduled": scheduled, **recent}, indent=2))
            return
        self.stdout.write("Scheduled jobs\n")
        self.stdout.write(render_table(SCHEDULED_HEADERS, [_scheduled_row(j) for j in scheduled]))
        self.stdout.write("\nRecent recompute runs\n")
        self.stdout.write(
            render_table(RECOMPUTE_HEADERS, [_recompute_row(r) for r in recent["recompute_runs"]])
        )
        self.stdout.write("\nRecent imports\n")
        self.stdout.write(
            render_table(IMPORT_HEADERS, [_import_row(r) for r in recent["import_runs"]])
        )


SCHEDULED_HEADERS = [
    "job", "task", "schedule", "on", "last sent", "last finished", "outcome", "ms", "runs",
    "failed", "error / run",
]  # fmt: skip
RECOMPUTE_HEADERS = ["run", "trigger", "status", "scope", "tries", "created", "finished", "error"]
IMPORT_HEADERS = ["import", "file", "status", "tries", "rows", "created", "finished", "message"]


def _scheduled_row(job: dict[str, Any]) -> list[Any]:
    note = job["error"]
    if not note and "run" in job:
        note = f"recompute #{job['run']['recompute_run_id']} {job['run']['status']}"
    return [
        job["name"], job["task"], job["schedule"], "yes" if job["enabled"] else "no",
        job["last_sent_at"], job["last_finished_at"], job["outcome"], job["duration_ms"],
        job["runs"], job["failures"], note,
    ]  # fmt: skip


def _recompute_row(r: dict[str, Any]) -> list[Any]:
    return [
        r["id"], r["trigger"], r["status"], r["scope"], r["attempts"], r["created_at"],
        r["finished_at"], r["error"],
    ]  # fmt: skip


def _import_row(r: dict[str, Any]) -> list[Any]:
    return [
        r["id"], r["file"], r["status"], r["attempts"], r["rows"], r["created_at"],
        r["finished_at"], r["message"],
    ]  # fmt: skip
