"""The import pages: upload a file of daily facts, follow its check and write,
see the report, undo it, and the history of imports. Views parse input, call
one service or selector, and render; one partial template serves both the
first load and the htmx refresh of a running import."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from channelhub.lib.ratelimit import rate_limited
from channelhub.lib.views import AuthedRequest, check_perm, paginate, role_required
from kpis.models import ImportRun

from . import selectors, services
from .checks import template_csv, template_xlsx
from .forms import ImportForm
from .pipeline import worker_lost
from .progress import get_progress
from .sources import import_prepare as prepare_import

log = logging.getLogger(__name__)


@role_required
@rate_limited("import")
def import_page(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.add_importrun")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = services.import_create(
            file=upload,
            name=upload.name,
            user=request.user,
            create_channels=form.cleaned_data["create_channels"],
        )
        if prepare_import(run):
            messages.info(request, f"Tell us how to read “{run.original_name}”.")
            return redirect("kpis:import-mapping", pk=run.pk)
        start_import(request, run)
        return redirect(run)
    recent = selectors.import_list(user=request.user).filter(kind=ImportRun.Kind.FACTS)[:5]
    return render(request, "kpis/import.html", {"form": form, "recent": recent})


def start_import(request: AuthedRequest, run: ImportRun) -> None:
    """Hand the import to a worker and tell the user what happened, broker down or not
    (the feedback import page uses it too)."""
    name = run.original_name
    try:
        how = services.import_start(run)
    except Exception:
        # import_execute marked the run failed with its reason (import page).
        log.exception("import %s failed in the request", run.pk)
        messages.error(request, f"“{name}” could not be imported; the reason is below.")
        return
    # Queued: the import's page shows its progress, then its outcome (a note saying
    # it "is being checked" would still show above a file already rejected).
    if how == services.ImportStart.IMPORTED:
        messages.warning(
            request,
            f"The job queue is unavailable right now, so “{name}” was checked and imported "
            "directly. Its KPIs will be recomputed automatically once the queue is back.",
        )
    elif how == services.ImportStart.STORED:
        messages.warning(
            request,
            f"The job queue is unavailable right now. “{name}” is stored and will be "
            "imported automatically as soon as it is back; nothing is lost.",
        )


def _get_import_for_user(request: AuthedRequest, pk: int) -> ImportRun:
    check_perm(request, "kpis.view_importrun")
    return get_object_or_404(selectors.import_list(user=request.user), pk=pk)


@role_required
def import_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    run = _get_import_for_user(request, pk)
    lost = worker_lost(run)
    processed, total = (get_progress(run.pk) if run.is_active and not lost else None) or (
        run.rows_processed,
        run.rows_total,
    )
    unknown_channels = sorted(
        {str(e["value"]) for e in run.errors if e.get("reason", "").startswith("unknown channel")}
    )
    context = {
        "run": run,
        "unknown_channels": unknown_channels,
        # Unknown channel values can be mapped, created or dropped in the mapping step.
        "may_remap": bool(unknown_channels)
        and run.status == ImportRun.Status.REJECTED
        and request.user.has_perm("kpis.map_importrun", run),
        "worker_lost": lost,
        "errors": run.errors,
        "processed": processed,
        "total": total,
        "percent": min(100, processed * 100 // total) if total else 0,
    }
    if request.htmx:
        return render(request, "kpis/_import_status.html", context)
    return render(request, "kpis/import_detail.html", context)


@require_POST
@role_required
def import_undo(request: AuthedRequest, pk: int) -> HttpResponse:
    run = _get_import_for_user(request, pk)
    check_perm(request, "kpis.undo_importrun", run)
    try:
        services.import_undo(run=run, user=request.user)
    except services.ImportRefused as refused:
        if refused.blocking is not None:
            messages.error(
                request,
                format_html(
                    '{} <a href="{}">Open import #{}</a>.',
                    str(refused),
                    refused.blocking.get_absolute_url(),
                    refused.blocking.pk,
                ),
            )
        else:
            messages.error(request, str(refused))
    else:
        messages.success(request, "Import undone; the affected KPIs are being recomputed.")
    return redirect(run)


@require_POST
@role_required
def import_remap(request: AuthedRequest, pk: int) -> HttpResponse:
    run = _get_import_for_user(request, pk)
    check_perm(request, "kpis.map_importrun", run)
    try:
        again = services.import_remap(run=run, user=request.user)
    except services.ImportRefused as refused:
        messages.error(request, str(refused))
        return redirect(run)
    messages.info(request, f"Tell us how to read “{again.original_name}”.")
    return redirect("kpis:import-mapping", pk=again.pk)


@role_required
def import_list(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "kpis.view_importrun")
    # The facts history: customer feedback imports have their own page.
    runs = selectors.import_list(user=request.user).filter(kind=ImportRun.Kind.FACTS)
    status = request.GET.get("status", "")
    if status in ImportRun.Status.values:
        runs = runs.filter(status=status)
    page = paginate(request, runs)
    return render(
        request,
        "kpis/import_list.html",
        {
            "page": page,
            "runs": page.object_list,
            "statuses": ImportRun.Status.choices,
            "status": status,
        },
    )


@role_required
def import_template_xlsx(request: AuthedRequest) -> HttpResponse:
    response = HttpResponse(
        template_xlsx(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="channelhub-daily-facts-template.xlsx"'
    return response


@role_required
def import_template(request: AuthedRequest) -> HttpResponse:
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="channelhub-daily-facts-template.csv"'
    return response
