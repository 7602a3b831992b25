"""python manage.py model_fit [--quick]: fit the model in the foreground (for
scripts and CI), publish it, print the outcome. Exits 1 when the data cannot
support a model (refused) or the fit failed; the previous model stays live."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kpis.modeling import contract, services
from kpis.models import ChannelModelResult, ModelRun


class Command(BaseCommand):
    help = "Fit the marketing-mix model now, in this process, and publish it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--quick", action="store_true", help="A small, fast fit (for trying things out)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        settings = asdict(contract.FitSettings(quick=bool(options["quick"])))
        run, created = services.model_fit_request(
            trigger=ModelRun.Trigger.COMMAND, settings=settings, send=False
        )
        if not created and run.status == ModelRun.Status.RUNNING:
            raise CommandError(f"Model fit #{run.pk} is already running; wait for it.")
        try:
            done = services.model_fit_execute(run.pk)
        except Exception as exc:
            raise CommandError(f"Model fit #{run.pk} failed: {exc}") from exc
        if done is None:
            raise CommandError(f"Model fit #{run.pk} was taken by a worker; see its page.")
        if done.status == ModelRun.Status.REFUSED:
            raise CommandError(f"Model fit #{done.pk} refused: {done.reason}")
        if done.status != ModelRun.Status.SUCCEEDED:
            raise CommandError(f"Model fit #{done.pk} ended {done.status}: {done.error}")
        self.stdout.write(
            f"Model fit #{done.pk} published: {done.data_start} to {done.data_end}, "
            f"{done.fit_seconds or 0:.0f} s ({done.library})."
        )
        for r in ChannelModelResult.objects.filter(run=done).order_by("slug"):
            if r.incremental_roas is None:
                self.stdout.write(f"  {r.slug}: no estimate ({r.reason})")
            else:
                flag = f" [{r.reason}]" if r.reason else ""
                self.stdout.write(
                    f"  {r.slug}: incremental ROAS {r.incremental_roas:.2f} "
                    f"(90% {r.roas_low:.2f} to {r.roas_high:.2f}){flag}"
                )
        for warning in done.warnings or []:
            self.stdout.write(f"Warning: {warning}")
