"""python manage.py export_model [--out FILE]: the live model's results as CSV,
one row per channel (channel, spend, incremental_revenue, incremental_roas,
roas_low, roas_high, marginal_roas, status), formula-safe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kpis.modeling import exports, selectors


class Command(BaseCommand):
    help = "Write the live model's per-channel results as CSV (stdout by default)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        live = selectors.live_run()
        if live is None:
            raise CommandError("There is no model yet: run `manage.py model_fit` first.")
        rows = exports.model_rows(selectors.results(live))
        if options["out"]:
            with open(options["out"], "w", newline="", encoding="utf-8") as out:
                count = exports.write(out, exports.MODEL_HEADER, rows)
            self.stderr.write(
                f"{count} channel(s) of model fit #{live.pk} written to {options['out']}"
            )
        else:
            exports.write(self.stdout, exports.MODEL_HEADER, rows)
