"""Recompute run pages (the job history, "recompute now") and the KPI export
download."""

from __future__ import annotations

import csv
from datetime import date

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from channelhub.lib.views import AuthedRequest, check_perm, paginate, role_required
from channelhub.metrics.periods import KINDS
from channels_app.channels import selectors as channels_selectors
from kpis.models import RecomputeRun

from . import selectors
from .exports import HEADER, export_rows
from .recompute import recompute_request


@role_required
def run_list(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_recomputerun")
    page = paginate(request, selectors.recompute_run_list(user=request.user))
    return render(request, "kpis/run_list.html", {"page": page, "runs": page.object_list})


@require_POST
@role_required
def run_create(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.add_recomputerun")
    channel = None
    if request.POST.get("channel"):
        channel = get_object_or_404(
            channels_selectors.channel_list(user=request.user), slug=request.POST["channel"]
        )
    run = recompute_request(
        trigger=RecomputeRun.Trigger.MANUAL,
        channel_ids=[channel.pk] if channel else None,
        requested_by=request.user,
    )
    scope = f"“{channel.name}”" if channel else "every channel"
    messages.success(request, f"Recompute #{run.pk} of {scope} queued.")
    return redirect(run)


@role_required
def run_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    check_perm(request, "kpis.view_recomputerun")
    run = get_object_or_404(selectors.recompute_run_list(user=request.user), pk=pk)
    if request.htmx:
        return render(request, "kpis/_run_status.html", {"run": run})
    return render(request, "kpis/run_detail.html", {"run": run})


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


class _Echo:
    def write(self, value: str) -> str:
        return value


@role_required
def export_csv(request: AuthedRequest) -> HttpResponse | StreamingHttpResponse:
    """The export of METRICS.md s6 as a download (same rows as `export_kpis`)."""
    check_perm(request, "kpis.view_kpisnapshot")
    kind = request.GET.get("period", "month")
    if kind not in KINDS:
        return HttpResponse(f"Unknown period “{kind}”.", status=400, content_type="text/plain")
    channels = None
    slugs = request.GET.getlist("channel")
    if slugs:
        channels = list(channels_selectors.channel_list(user=request.user).filter(slug__in=slugs))
    rows = export_rows(
        kind=kind,
        channels=channels,
        start=_parse_date(request.GET.get("start")),
        end=_parse_date(request.GET.get("end")),
    )
    writer = csv.writer(_Echo(), lineterminator="\n")
    stream = (writer.writerow(row) for row in [HEADER, *rows])
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    name = slugify("-".join(slugs)) or "all-channels"
    response["Content-Disposition"] = f'attachment; filename="kpis-{name}-{kind}.csv"'
    return response
